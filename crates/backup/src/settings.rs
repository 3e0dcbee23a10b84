//! Settings of the backup service, from the environment and Docker secrets.

use std::path::PathBuf;
use std::time::Duration;

use inception_core::config::{Config, ConfigError, Redis, Source};
use inception_core::db::Database;

/// Everything the service needs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The database account (WordPress's: enough to dump and restore its database).
    pub db: Database,
    /// WordPress's database.
    pub db_name: String,
    /// Where backups go (a volume under DATA_DIR).
    pub dir: PathBuf,
    /// WordPress's files (the wordpress volume).
    pub files: PathBuf,
    /// Time between scheduled backups.
    pub interval: Duration,
    /// Scheduled backups kept.
    pub keep: usize,
    /// WordPress's object cache (`host:port`, password), flushed after a restore so that
    /// no cached entry contradicts the restored database.
    pub redis: Option<Redis>,
}

impl Settings {
    /// Where the backups are (`BACKUP_DIR`, default /backups): all `list` needs.
    pub fn dir<S: Source>(cfg: &Config<S>) -> Result<PathBuf, ConfigError> {
        Ok(PathBuf::from(cfg.or(&["BACKUP_DIR"], "/backups")?))
    }

    /// Reads and validates the settings.
    pub fn read<S: Source>(cfg: &Config<S>) -> Result<Settings, ConfigError> {
        let host = cfg.or(&["BACKUP_DB_HOST"], "mariadb:3306")?;
        let interval_h: u64 = cfg.parse_or(&["BACKUP_INTERVAL_HOURS"], 24)?;
        if interval_h == 0 {
            return Err(ConfigError::invalid(
                "BACKUP_INTERVAL_HOURS",
                "must be at least 1",
            ));
        }
        let keep: usize = cfg.parse_or(&["BACKUP_KEEP"], 7)?;
        if keep == 0 {
            return Err(ConfigError::invalid("BACKUP_KEEP", "must be at least 1"));
        }
        Ok(Settings {
            db: Database {
                address: host,
                user: cfg.required(&["BACKUP_DB_USER", "MYSQL_USER"])?,
                password: cfg.secret(&["BACKUP_DB_PASSWORD", "MYSQL_PASSWORD"])?,
                database: None,
            },
            db_name: cfg.required(&["BACKUP_DB_NAME", "MYSQL_DATABASE"])?,
            dir: Settings::dir(cfg)?,
            files: PathBuf::from(cfg.or(&["BACKUP_FILES"], "/var/www/html")?),
            interval: Duration::from_secs(interval_h * 3600),
            keep,
            redis: Redis::read(cfg, "BACKUP_")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let base = [
            ("MYSQL_USER", "wpuser"),
            ("MYSQL_PASSWORD", "secret"),
            ("MYSQL_DATABASE", "wordpress"),
        ];
        Settings::read(&Config::from_pairs(base.iter().chain(vars)))
    }

    #[test]
    fn defaults_and_each_bad_value_named() {
        let s = read(&[]).unwrap();
        assert_eq!(s.db.address, "mariadb:3306");
        assert_eq!(
            (s.db.user.as_str(), s.db_name.as_str()),
            ("wpuser", "wordpress")
        );
        assert_eq!(s.interval, Duration::from_secs(24 * 3600));
        assert_eq!((s.keep, s.redis), (7, None));
        let s = read(&[
            ("BACKUP_REDIS_HOST", "redis:6379"),
            ("BACKUP_REDIS_PASSWORD", "r"),
        ])
        .unwrap();
        assert_eq!(s.redis.unwrap().address, "redis:6379");
        for (var, value) in [
            ("BACKUP_INTERVAL_HOURS", "0"),
            ("BACKUP_INTERVAL_HOURS", "daily"),
            ("BACKUP_KEEP", "0"),
        ] {
            let err = read(&[(var, value)]).unwrap_err();
            assert!(err.to_string().contains(var), "{var}={value}: {err}");
        }
        // Listing needs no database account.
        let dir = Settings::dir(&Config::from_pairs(&[("BACKUP_DIR", "/elsewhere")])).unwrap();
        assert_eq!(dir, PathBuf::from("/elsewhere"));
        let err = read(&[("BACKUP_REDIS_HOST", "redis:6379")]).unwrap_err();
        assert!(err.to_string().contains("BACKUP_REDIS_PASSWORD"), "{err}");
    }
}
