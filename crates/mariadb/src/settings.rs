//! First-start settings, read from the official image's variables: `MARIADB_*` first, then
//! the older `MYSQL_*` spellings, each also as `*_FILE` (Docker secrets).

use inception_core::config::{Config, ConfigError, Secret, Source};
use inception_core::sql::Identifier;

/// How the root account gets its password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RootPassword {
    /// The given password.
    Given(Secret),
    /// No password (`MARIADB_ALLOW_EMPTY_ROOT_PASSWORD`).
    Empty,
    /// A random one, written to a file in the data directory (`MARIADB_RANDOM_ROOT_PASSWORD`).
    Random,
}

/// The account to create for the application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Account name.
    pub name: String,
    /// Its password.
    pub password: Secret,
}

/// Everything the first start needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Root's password.
    pub root: RootPassword,
    /// Host part of the root account besides `localhost`, if any: `MARIADB_ROOT_HOST`,
    /// `%` (anywhere) by default as in the official image; `localhost` means no other.
    pub root_host: Option<String>,
    /// Database to create.
    pub database: Option<Identifier>,
    /// Account to create, with all privileges on `database`.
    pub user: Option<User>,
    /// Do not load time zone tables.
    pub skip_tzinfo: bool,
}

fn names(suffix: &str) -> [String; 2] {
    [format!("MARIADB_{suffix}"), format!("MYSQL_{suffix}")]
}

/// Reads one setting under both spellings.
fn get<S: Source>(cfg: &Config<S>, suffix: &str) -> Result<Option<String>, ConfigError> {
    let n = names(suffix);
    cfg.optional(&[&n[0], &n[1]])
}

impl Settings {
    /// Reads and validates the settings.
    pub fn read<S: Source>(cfg: &Config<S>) -> Result<Settings, ConfigError> {
        let flag = |suffix: &str| {
            let n = names(suffix);
            cfg.flag(&[&n[0], &n[1]])
        };
        let root = match get(cfg, "ROOT_PASSWORD")? {
            Some(p) => RootPassword::Given(Secret::new(p)),
            None if flag("ALLOW_EMPTY_ROOT_PASSWORD")? => RootPassword::Empty,
            None if flag("RANDOM_ROOT_PASSWORD")? => RootPassword::Random,
            None => {
                return Err(ConfigError::Missing {
                    var: "MARIADB_ROOT_PASSWORD".into(),
                });
            }
        };
        let root_host =
            Some(get(cfg, "ROOT_HOST")?.unwrap_or_else(|| "%".into())).filter(|h| h != "localhost");
        let database = get(cfg, "DATABASE")?
            .map(|db| Identifier::new(&db))
            .transpose()
            .map_err(|reason| ConfigError::invalid("MARIADB_DATABASE", reason))?;
        let user = match get(cfg, "USER")? {
            None => None,
            Some(name) if name == "root" => {
                return Err(ConfigError::invalid(
                    "MARIADB_USER",
                    "root is created from MARIADB_ROOT_PASSWORD; choose another user",
                ));
            }
            Some(name) => {
                let password = get(cfg, "PASSWORD")?.ok_or_else(|| ConfigError::Missing {
                    var: "MARIADB_PASSWORD".into(),
                })?;
                Some(User {
                    name,
                    password: Secret::new(password),
                })
            }
        };
        Ok(Settings {
            root,
            root_host,
            database,
            user,
            skip_tzinfo: flag("INITDB_SKIP_TZINFO")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        Settings::read(&Config::from_pairs(pairs))
    }

    #[test]
    fn both_spellings_are_accepted() {
        let s = read(&[
            ("MYSQL_ROOT_PASSWORD", "r"),
            ("MYSQL_DATABASE", "wp"),
            ("MARIADB_USER", "u"),
            ("MYSQL_PASSWORD", "p"),
        ])
        .unwrap();
        assert_eq!(s.root, RootPassword::Given("r".into()));
        assert_eq!(s.database.as_ref().map(Identifier::as_str), Some("wp"));
        assert_eq!(s.user.unwrap().password.expose(), "p");
    }

    #[test]
    fn root_may_connect_from_anywhere_unless_root_host_says_otherwise() {
        let root = [("MARIADB_ROOT_PASSWORD", "r")];
        assert_eq!(read(&root).unwrap().root_host.as_deref(), Some("%"));
        let local = read(&[root[0], ("MARIADB_ROOT_HOST", "localhost")]).unwrap();
        assert_eq!(local.root_host, None);
        let net = read(&[root[0], ("MYSQL_ROOT_HOST", "10.0.0.%")]).unwrap();
        assert_eq!(net.root_host.as_deref(), Some("10.0.0.%"));
    }

    #[test]
    fn root_password_is_required_unless_empty_or_random_is_allowed() {
        let err = read(&[]).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("MARIADB_ROOT_PASSWORD is required")
        );
        assert_eq!(
            read(&[("MARIADB_ALLOW_EMPTY_ROOT_PASSWORD", "1")])
                .unwrap()
                .root,
            RootPassword::Empty
        );
        assert_eq!(
            read(&[("MYSQL_RANDOM_ROOT_PASSWORD", "yes")]).unwrap().root,
            RootPassword::Random
        );
    }

    #[test]
    fn a_user_needs_a_password_and_cannot_be_root() {
        let err = read(&[("MARIADB_ROOT_PASSWORD", "r"), ("MARIADB_USER", "u")]).unwrap_err();
        assert!(err.to_string().starts_with("MARIADB_PASSWORD is required"));
        let err = read(&[("MARIADB_ROOT_PASSWORD", "r"), ("MARIADB_USER", "root")]).unwrap_err();
        assert!(err.to_string().starts_with("MARIADB_USER is invalid"));
    }
}
