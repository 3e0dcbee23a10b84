//! Settings of the wordpress container, from the environment and Docker secrets.
//!
//! The database ones accept the official WordPress image's names first
//! (`WORDPRESS_DB_HOST`, `WORDPRESS_DB_USER`, `WORDPRESS_DB_PASSWORD`, `WORDPRESS_DB_NAME`,
//! `WORDPRESS_TABLE_PREFIX`, each also `_FILE`), then the stack's `MYSQL_*` names.

use std::path::{Path, PathBuf};
use std::time::Duration;

use inception_core::config::{Config, ConfigError, Redis, Secret, Site, Source};
use inception_core::db;

use crate::mail::Smtp;
use crate::volume::WEBROOT;

/// Roles the second user may have: anything but administrator.
pub const ROLES: &[&str] = &["subscriber", "contributor", "author", "editor"];

/// The site's database.
#[derive(Clone)]
pub struct Database {
    /// The server (`host` or `host:port`), the account, and the database (always set).
    pub connection: db::Database,
    /// Prefix of WordPress's tables.
    pub table_prefix: String,
    /// How long to wait for the database at start.
    pub wait: Duration,
}

impl Database {
    /// The database's name.
    pub fn name(&self) -> &str {
        self.connection.database.as_deref().unwrap_or_default()
    }
}

/// A WordPress account to create.
#[derive(Clone)]
pub struct Account {
    /// Login name.
    pub login: String,
    /// E-mail address.
    pub email: String,
    /// Password.
    pub password: Secret,
}

/// Everything the start-up needs.
#[derive(Clone)]
pub struct Settings {
    /// The database.
    pub db: Database,
    /// Where the site is published.
    pub site: Site,
    /// Site title.
    pub title: String,
    /// The administrator.
    pub admin: Account,
    /// The second user.
    pub user: Account,
    /// The second user's role.
    pub role: String,
    /// Redis for the object cache (bonus): `host:port` and password, when configured.
    pub redis: Option<Redis>,
    /// `WP_SHARED_DIR`: in a cluster, the copy of the site every replica mounts (a network
    /// file system). The setup runs there; php-fpm runs a private copy of the code.
    pub shared: Option<PathBuf>,
    /// The SMTP relay for outgoing mail, when `SMTP_HOST` is set.
    pub mail: Option<Smtp>,
}

impl Settings {
    /// The site's public address (`WP_HOME`, `WP_SITEURL`).
    pub fn home_url(&self) -> String {
        self.site.url()
    }

    /// Reads and validates everything, before anything is touched.
    pub fn read<S: Source>(cfg: &Config<S>) -> Result<Settings, ConfigError> {
        let host = cfg.or(&["WORDPRESS_DB_HOST"], "mariadb")?;
        let table_prefix = cfg.or(&["WORDPRESS_TABLE_PREFIX"], "wp_")?;
        if !table_prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(ConfigError::invalid(
                "WORDPRESS_TABLE_PREFIX",
                "only letters, digits and _ are allowed",
            ));
        }
        let name = cfg.required(&["WORDPRESS_DB_NAME", "MYSQL_DATABASE"])?;
        let db = Database {
            connection: db::Database {
                address: host,
                user: cfg.required(&["WORDPRESS_DB_USER", "MYSQL_USER"])?,
                password: cfg.secret(&["WORDPRESS_DB_PASSWORD", "MYSQL_PASSWORD"])?,
                database: Some(name),
            },
            table_prefix,
            wait: Duration::from_secs(cfg.parse_or(&["WORDPRESS_DB_WAIT_TIMEOUT"], 60)?),
        };

        let site = Site::read(cfg)?;

        let admin = account(cfg, "WP_ADMIN_USER", "WP_ADMIN_EMAIL", "WP_ADMIN_PASSWORD")?;
        if admin.login.to_lowercase().contains("admin") {
            return Err(ConfigError::invalid(
                "WP_ADMIN_USER",
                "the administrator's login must not contain \"admin\" (in any case)",
            ));
        }
        let user = account(cfg, "WP_USER", "WP_USER_EMAIL", "WP_USER_PASSWORD")?;
        if user.login.eq_ignore_ascii_case(&admin.login) {
            return Err(ConfigError::invalid(
                "WP_USER",
                "must differ from WP_ADMIN_USER",
            ));
        }
        if user.email.eq_ignore_ascii_case(&admin.email) {
            return Err(ConfigError::invalid(
                "WP_USER_EMAIL",
                "must differ from WP_ADMIN_EMAIL",
            ));
        }
        let role = cfg.or(&["WP_USER_ROLE"], "author")?;
        if !ROLES.contains(&role.as_str()) {
            return Err(ConfigError::invalid(
                "WP_USER_ROLE",
                format!("must be one of {}", ROLES.join(", ")),
            ));
        }
        let shared = cfg.optional(&["WP_SHARED_DIR"])?.map(PathBuf::from);
        if let Some(dir) = &shared
            && (!dir.is_absolute()
                || dir.starts_with(WEBROOT)
                || Path::new(WEBROOT).starts_with(dir))
        {
            return Err(ConfigError::invalid(
                "WP_SHARED_DIR",
                format!("must be an absolute path outside {WEBROOT} (the replica's own copy)"),
            ));
        }
        Ok(Settings {
            mail: Smtp::read(cfg, &site.domain)?,
            shared,
            redis: Redis::read(cfg, "WP_")?,
            db,
            site,
            title: cfg.or(&["WP_TITLE"], "Inception")?,
            admin,
            user,
            role,
        })
    }
}

fn account<S: Source>(
    cfg: &Config<S>,
    login: &str,
    email: &str,
    password: &str,
) -> Result<Account, ConfigError> {
    let account = Account {
        login: cfg.required(&[login])?,
        email: cfg.required(&[email])?,
        password: cfg.secret(&[password])?,
    };
    if account.login.len() > 60 || account.login.chars().any(|c| c.is_control()) {
        return Err(ConfigError::invalid(
            login,
            "at most 60 characters, no control characters",
        ));
    }
    if !account.email.contains('@') {
        return Err(ConfigError::invalid(email, "not an e-mail address"));
    }
    Ok(account)
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::HashMap;

    use super::*;

    /// Settings from a complete example environment, with `extra` added or replaced.
    pub(crate) fn env(extra: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let base = [
            ("MYSQL_DATABASE", "wordpress"),
            ("MYSQL_USER", "wp"),
            ("MYSQL_PASSWORD", "pw"),
            ("DOMAIN_NAME", "login.42.fr"),
            ("WP_ADMIN_USER", "webmaster"),
            ("WP_ADMIN_EMAIL", "w@example.com"),
            ("WP_ADMIN_PASSWORD", "a"),
            ("WP_USER", "writer"),
            ("WP_USER_EMAIL", "u@example.com"),
            ("WP_USER_PASSWORD", "u"),
        ];
        Settings::read(&Config::from_pairs(base.iter().chain(extra)))
    }

    fn err(extra: &[(&str, &str)]) -> String {
        env(extra).err().expect("should be refused").to_string()
    }

    #[test]
    fn defaults_and_official_names() {
        let s = env(&[("WORDPRESS_DB_NAME", "other")]).unwrap();
        assert_eq!(s.db.name(), "other");
        assert_eq!(s.db.connection.address, "mariadb");
        assert_eq!(s.role, "author");
        assert_eq!(s.home_url(), "https://login.42.fr");
    }

    #[test]
    fn the_port_appears_in_the_url_unless_it_is_443() {
        let s = env(&[("HTTPS_PORT", "8443")]).unwrap();
        assert_eq!(s.home_url(), "https://login.42.fr:8443");
        assert!(err(&[("HTTPS_PORT", "0")]).starts_with("HTTPS_PORT is invalid"));
        assert!(err(&[("HTTPS_PORT", "70000")]).starts_with("HTTPS_PORT is invalid"));
    }

    #[test]
    fn admin_login_must_not_contain_admin_in_any_case() {
        for login in ["admin", "SiteAdmin", "ADMINISTRATOR", "xAdMiNx"] {
            let e = err(&[("WP_ADMIN_USER", login)]);
            assert!(e.starts_with("WP_ADMIN_USER is invalid"), "{login}: {e}");
        }
    }

    #[test]
    fn bad_domain_role_and_prefix_are_refused() {
        assert!(err(&[("DOMAIN_NAME", "bad domain")]).starts_with("DOMAIN_NAME is invalid"));
        assert!(err(&[("DOMAIN_NAME", "-x.42.fr")]).starts_with("DOMAIN_NAME is invalid"));
        assert!(err(&[("WP_USER_ROLE", "administrator")]).starts_with("WP_USER_ROLE is invalid"));
        assert!(err(&[("WORDPRESS_TABLE_PREFIX", "wp-")]).starts_with("WORDPRESS_TABLE_PREFIX"));
    }

    #[test]
    fn the_shared_copy_is_outside_the_replicas_own() {
        assert_eq!(env(&[]).unwrap().shared, None);
        let s = env(&[("WP_SHARED_DIR", "/var/www/shared")]).unwrap();
        assert_eq!(s.shared.as_deref(), Some(Path::new("/var/www/shared")));
        for bad in [
            "shared",
            "/var/www/html",
            "/var/www/html/shared",
            "/var/www",
        ] {
            let e = err(&[("WP_SHARED_DIR", bad)]);
            assert!(e.starts_with("WP_SHARED_DIR is invalid"), "{bad}: {e}");
        }
    }

    #[test]
    fn missing_password_names_the_variable() {
        let mut map: HashMap<String, String> = HashMap::new();
        map.insert("MYSQL_DATABASE".into(), "x".into());
        map.insert("MYSQL_USER".into(), "x".into());
        let e = Settings::read(&Config::new(map)).err().unwrap().to_string();
        assert_eq!(
            e,
            "WORDPRESS_DB_PASSWORD is required (set it or WORDPRESS_DB_PASSWORD_FILE)"
        );
    }
}
