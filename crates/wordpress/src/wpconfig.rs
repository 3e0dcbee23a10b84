//! `wp-config.php` and `wp-salts.php` in the volume, the passwords in memory.
//!
//! `wp-config.php` is ours: rendered at every start from the template in the image and the
//! container's settings, so that a changed `.env` or secret takes effect on restart. Users
//! put their own settings in `wp-config-local.php`, which it loads. `wp-salts.php` is
//! generated once from the CSPRNG and kept, so that sessions survive restarts. The database
//! and Redis passwords are not in the volume (nor in its backups, nor on the FTP share):
//! they go to [`SECRETS_FILE`] on a tmpfs, which `wp-config.php` requires.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Context;
use inception_core::template::Template;
use inception_core::user::Account;
use inception_core::{fs, random};

use crate::settings::Settings;
use crate::volume;

/// The template, as installed in the image.
pub const TEMPLATE: &str = "/etc/inception/wp-config.php.tmpl";
/// Our must-use plugins, as installed in the image: WP-Cron's loopback request given time
/// to arrive; core updates left to the image.
/// WordPress's mail from the relay's sender, and Site Health told when there is none.
pub const MU_PLUGINS: [&str; 3] = [
    "/etc/inception/inception-cron.php",
    "/etc/inception/inception-updates.php",
    "/etc/inception/inception-mail.php",
];
/// Our object-cache drop-in, as installed in the image.
pub const OBJECT_CACHE: &str = "/etc/inception/object-cache.php";
/// The passwords, as PHP constants: written at every start to memory (the container's /run/php
/// is a tmpfs), root's and readable by php-fpm's group only.
pub const SECRETS_FILE: &str = "/run/php/wp-secrets.php";
/// What marks a wp-content/object-cache.php as ours (and so ours to remove).
const OBJECT_CACHE_MARK: &str = "Inception object cache";

/// The eight keys and salts WordPress signs cookies and nonces with.
const SALT_NAMES: [&str; 8] = [
    "AUTH_KEY",
    "SECURE_AUTH_KEY",
    "LOGGED_IN_KEY",
    "NONCE_KEY",
    "AUTH_SALT",
    "SECURE_AUTH_SALT",
    "LOGGED_IN_SALT",
    "NONCE_SALT",
];

/// `value` as a single-quoted PHP string literal.
pub fn php_string(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// Renders `wp-config.php` from `tmpl`.
pub fn render(tmpl: &Template, settings: &Settings) -> anyhow::Result<String> {
    let db = &settings.db;
    let values = HashMap::from([
        ("DB_NAME", php_string(db.name())),
        ("DB_USER", php_string(&db.connection.user)),
        ("SECRETS_FILE", php_string(SECRETS_FILE)),
        ("DB_HOST", php_string(&db.connection.address)),
        ("TABLE_PREFIX", php_string(&db.table_prefix)),
        ("HOME_URL", php_string(&settings.home_url())),
        // Each replica runs its own copy of the code (files.rs), WP-Cron from one (cron.rs).
        ("CLUSTER", settings.shared.is_some().to_string()),
        (
            "REDIS_HOST",
            php_string(settings.redis.as_ref().map_or("", |r| &r.address)),
        ),
        // Outgoing mail (mail.rs): the relay, '' for none, and its sender.
        (
            "SMTP_RELAY",
            php_string(
                &settings
                    .mail
                    .as_ref()
                    .map_or(String::new(), |m| m.address()),
            ),
        ),
        (
            "SMTP_FROM",
            php_string(settings.mail.as_ref().map_or("", |m| &m.from)),
        ),
        // One key space per site: database and table prefix.
        (
            "CACHE_KEY_SALT",
            php_string(&format!("{}:{}", db.name(), db.table_prefix)),
        ),
    ]);
    Ok(tmpl.render(&values)?)
}

/// The PHP file that defines the passwords `wp-config.php` does not hold.
pub fn secrets(settings: &Settings) -> String {
    let redis = settings.redis.as_ref().map_or("", |r| r.password.expose());
    format!(
        "<?php\n// Written by inception-wordpress at every start from the Docker secrets; in memory only.\n\
         define('DB_PASSWORD', {});\ndefine('WP_REDIS_PASSWORD', {});\n",
        php_string(settings.db.connection.password.expose()),
        php_string(redis)
    )
}

/// A new `wp-salts.php` with fresh random values.
pub fn salts() -> std::io::Result<String> {
    // Printable ASCII without the quote and backslash, as WordPress's own generator.
    let alphabet: Vec<u8> = (0x21u8..0x7f).filter(|c| !b"'\\".contains(c)).collect();
    let mut out = String::from(
        "<?php\n// Generated once by inception-wordpress from the kernel's CSPRNG and kept across\n\
         // restarts. Delete this file and restart the container to log every user out.\n",
    );
    for name in SALT_NAMES {
        let value = random::string_from(&alphabet, 64)?;
        out.push_str(&format!("define('{name}', '{value}');\n"));
    }
    Ok(out)
}

/// Writes the salts (once) and `wp-config.php` (when it changed), readable by `www`.
pub fn write(webroot: &Path, settings: &Settings, www: &Account) -> anyhow::Result<()> {
    let salts_path = webroot.join(volume::SALTS);
    if !salts_path.exists() {
        fs::write_atomic(&salts_path, salts()?.as_bytes(), 0o640)?;
        fs::chown(&salts_path, 0, www.gid)?;
        tracing::info!(path = %salts_path.display(), "generated keys and salts");
    }
    let secrets_path = Path::new(SECRETS_FILE);
    fs::write_atomic(secrets_path, secrets(settings).as_bytes(), 0o640)?;
    fs::chown(secrets_path, 0, www.gid)?;
    let config = render(&Template::load(TEMPLATE)?, settings)?;
    let path = webroot.join(volume::WP_CONFIG);
    // Root owns it and the web server's group only reads it: WordPress cannot rewrite it.
    if fs::write_if_changed(&path, config.as_bytes(), 0o640)? {
        tracing::info!(path = %path.display(), home = %settings.home_url(), "wrote wp-config.php");
    }
    fs::chown(&path, 0, www.gid)?;
    mu_plugins(webroot)?;
    object_cache(webroot, settings.redis.is_some())
}

/// Installs our must-use plugins (see each file), kept up to date with the image.
fn mu_plugins(webroot: &Path) -> anyhow::Result<()> {
    let dir = webroot.join(volume::MU_PLUGINS);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for source in MU_PLUGINS {
        let source = Path::new(source);
        let plugin =
            std::fs::read(source).with_context(|| format!("cannot read {}", source.display()))?;
        let target = dir.join(source.file_name().context("a plugin without a name")?);
        if fs::write_if_changed(&target, &plugin, 0o644)? {
            tracing::info!(path = %target.display(), "installed a must-use plugin");
        }
    }
    Ok(())
}

/// Installs the object-cache drop-in when Redis is configured; removes ours when it is not
/// (a drop-in someone else installed is left alone).
fn object_cache(webroot: &Path, enabled: bool) -> anyhow::Result<()> {
    let target = webroot.join(volume::OBJECT_CACHE);
    let current = std::fs::read_to_string(&target).ok();
    let ours = current
        .as_deref()
        .is_some_and(|c| c.contains(OBJECT_CACHE_MARK));
    if enabled {
        if current.is_some() && !ours {
            tracing::warn!(path = %target.display(), "another object cache is installed; left alone");
            return Ok(());
        }
        let dropin =
            std::fs::read(OBJECT_CACHE).with_context(|| format!("cannot read {OBJECT_CACHE}"))?;
        if fs::write_if_changed(&target, &dropin, 0o644)? {
            tracing::info!(path = %target.display(), "object cache: redis");
        }
    } else if ours {
        std::fs::remove_file(&target)
            .with_context(|| format!("cannot remove {}", target.display()))?;
        tracing::info!("object cache: none (WP_REDIS_HOST unset)");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TMPL: &str = include_str!("../../../srcs/requirements/wordpress/conf/wp-config.php.tmpl");

    #[test]
    fn php_strings_escape_quotes_and_backslashes() {
        assert_eq!(php_string(r"it's a \ test"), r"'it\'s a \\ test'");
        assert_eq!(php_string("$x é"), "'$x é'");
    }

    #[test]
    fn the_template_renders_every_setting() {
        let cfg = inception_core::config::Config::new(std::collections::HashMap::from(
            [
                ("MYSQL_DATABASE", "wp"),
                ("MYSQL_USER", "u"),
                ("MYSQL_PASSWORD", "p'w\\"),
                ("DOMAIN_NAME", "me.42.fr"),
                ("HTTPS_PORT", "8443"),
                ("WP_ADMIN_USER", "boss"),
                ("WP_ADMIN_EMAIL", "b@x.fr"),
                ("WP_ADMIN_PASSWORD", "x"),
                ("WP_USER", "w"),
                ("WP_USER_EMAIL", "w@x.fr"),
                ("WP_USER_PASSWORD", "y"),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string())),
        ));
        let settings = Settings::read(&cfg).unwrap();
        let out = render(&Template::from_text(TEMPLATE, TMPL), &settings).unwrap();
        assert!(
            !out.contains("p\\'w"),
            "a password is in wp-config.php: {out}"
        );
        assert!(out.contains("require '/run/php/wp-secrets.php';"), "{out}");
        assert!(out.contains("define('WP_HOME', 'https://me.42.fr:8443');"));
        assert!(out.contains("define('DISALLOW_FILE_EDIT', true);"));
        assert!(out.contains("define('DISALLOW_FILE_MODS', false);"));
        assert!(out.contains("define('DISABLE_WP_CRON', false);"));
        assert!(out.contains("define('INCEPTION_SMTP_RELAY', '');"), "{out}");
        assert!(!out.contains("{{"));
        let secrets = secrets(&settings);
        assert!(
            secrets.contains(r"define('DB_PASSWORD', 'p\'w\\');"),
            "{secrets}"
        );
        assert!(
            secrets.contains("define('WP_REDIS_PASSWORD', '');"),
            "{secrets}"
        );
    }

    #[test]
    fn salts_are_eight_distinct_quoted_values() {
        let s = salts().unwrap();
        assert_eq!(s.matches("define(").count(), 8);
        assert!(!s.contains('\\'));
        assert_ne!(s, salts().unwrap());
    }
}
