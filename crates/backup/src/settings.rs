//! Settings of the backup service, from the environment and Docker secrets.

use std::path::PathBuf;
use std::time::Duration;

use inception_core::config::{Config, ConfigError};
use inception_core::probe::mysql::Target;

/// Everything the service needs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The database account (WordPress's: enough to dump and restore its database).
    pub db: Target,
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
    pub redis: Option<(String, String)>,
}

impl Settings {
    /// Reads and validates the settings.
    pub fn read() -> Result<Settings, ConfigError> {
        let cfg = Config::from_env();
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
            db: Target {
                address: host,
                user: cfg.required(&["BACKUP_DB_USER", "MYSQL_USER"])?,
                password: cfg.required(&["BACKUP_DB_PASSWORD", "MYSQL_PASSWORD"])?,
                database: None,
            },
            db_name: cfg.required(&["BACKUP_DB_NAME", "MYSQL_DATABASE"])?,
            dir: PathBuf::from(cfg.or(&["BACKUP_DIR"], "/backups")?),
            files: PathBuf::from(cfg.or(&["BACKUP_FILES"], "/var/www/html")?),
            interval: Duration::from_secs(interval_h * 3600),
            keep,
            redis: match cfg.optional(&["BACKUP_REDIS_HOST"])? {
                None => None,
                Some(host) => Some((host, cfg.required(&["BACKUP_REDIS_PASSWORD"])?)),
            },
        })
    }
}
