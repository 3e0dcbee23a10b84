//! Configuration from the environment, with Docker secrets.
//!
//! Every setting is read from `VAR`, or from the file named by `VAR_FILE` (how Docker secrets
//! mounted under `/run/secrets` reach a container). Setting both is an error, as in the
//! official MariaDB and WordPress images. Several spellings of one setting (`MARIADB_USER`,
//! `MYSQL_USER`) are read in order, the first one set winning.
//!
//! Errors name the variable and never its value, so they can be logged as they are; passwords
//! and keys are read as a [`Secret`], which no `{:?}` shows.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Why a setting could not be read. Each variant names the variable concerned.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A required setting is not set under any of its names.
    #[error("{var} is required (set it or {var}_FILE)")]
    Missing { var: String },
    /// A required setting is set but empty.
    #[error("{var} is empty")]
    Empty { var: String },
    /// `VAR` and `VAR_FILE` are both set: which one is meant is unclear.
    #[error("both {var} and {var}_FILE are set; set only one")]
    Both { var: String },
    /// The file named by `VAR_FILE` cannot be read.
    #[error("cannot read {var}_FILE ({}): {source}", path.display())]
    Unreadable {
        var: String,
        path: PathBuf,
        source: std::io::Error,
    },
    /// The value is not valid UTF-8.
    #[error("{var} is not valid UTF-8")]
    NotUtf8 { var: String },
    /// The value is set but unacceptable.
    #[error("{var} is invalid: {reason}")]
    Invalid { var: String, reason: String },
}

impl ConfigError {
    /// An [`ConfigError::Invalid`] for `var`.
    pub fn invalid(var: &str, reason: impl std::fmt::Display) -> Self {
        ConfigError::Invalid {
            var: var.to_owned(),
            reason: reason.to_string(),
        }
    }
}

/// A password or key: its `Debug` is redacted and it has no `Display`, so it reaches a file, a
/// command or a connection only through [`Secret::expose`], never a log line by accident.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps `value`.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value itself, for where it is meant to go.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Secret {
        Secret::new(value)
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(redacted)")
    }
}

/// Where values come from: the process environment, or a map in tests.
pub trait Source {
    /// The raw value of an environment variable.
    fn var(&self, name: &str) -> Option<OsString>;
    /// The content of a secret file.
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        std::fs::read(path)
    }
}

/// The real process environment.
#[derive(Debug, Default, Clone, Copy)]
pub struct ProcessEnv;

impl Source for ProcessEnv {
    fn var(&self, name: &str) -> Option<OsString> {
        std::env::var_os(name)
    }
}

/// A fixed set of variables (tests, or values computed by a binary).
impl Source for HashMap<String, String> {
    fn var(&self, name: &str) -> Option<OsString> {
        self.get(name).map(OsString::from)
    }
}

/// Typed access to settings.
#[derive(Debug, Clone)]
pub struct Config<S = ProcessEnv> {
    source: S,
}

impl Config<ProcessEnv> {
    /// Settings of this process.
    pub fn from_env() -> Self {
        Config { source: ProcessEnv }
    }
}

impl Config<HashMap<String, String>> {
    /// Settings given as pairs, a later pair replacing an earlier one of the same name (a
    /// test's defaults, then its changes).
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = &'a (&'a str, &'a str)>) -> Self {
        Config::new(
            pairs
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }
}

impl<S: Source> Config<S> {
    /// Settings read from `source`.
    pub fn new(source: S) -> Self {
        Config { source }
    }

    /// The value of the first of `names` that is set (directly or as `NAME_FILE`), with the
    /// name it came from. Empty values count as unset.
    pub fn lookup(&self, names: &[&str]) -> Result<Option<(String, String)>, ConfigError> {
        for &name in names {
            if let Some(value) = self.one(name)? {
                if !value.is_empty() {
                    return Ok(Some((name.to_owned(), value)));
                }
            }
        }
        Ok(None)
    }

    /// An optional setting under any of `names`.
    pub fn optional(&self, names: &[&str]) -> Result<Option<String>, ConfigError> {
        Ok(self.lookup(names)?.map(|(_, v)| v))
    }

    /// A required setting: missing or empty under every name is an error naming the first.
    pub fn required(&self, names: &[&str]) -> Result<String, ConfigError> {
        if let Some((_, value)) = self.lookup(names)? {
            return Ok(value);
        }
        let var = names[0].to_owned();
        let set_but_empty = names.iter().any(|n| {
            self.source.var(n).is_some() || self.source.var(&format!("{n}_FILE")).is_some()
        });
        Err(if set_but_empty {
            ConfigError::Empty { var }
        } else {
            ConfigError::Missing { var }
        })
    }

    /// A required secret (a password, a key): as [`Config::required`], wrapped.
    pub fn secret(&self, names: &[&str]) -> Result<Secret, ConfigError> {
        self.required(names).map(Secret)
    }

    /// An optional secret under any of `names`.
    pub fn optional_secret(&self, names: &[&str]) -> Result<Option<Secret>, ConfigError> {
        Ok(self.optional(names)?.map(Secret))
    }

    /// A setting with a default when unset.
    pub fn or(&self, names: &[&str], default: &str) -> Result<String, ConfigError> {
        Ok(self.optional(names)?.unwrap_or_else(|| default.to_owned()))
    }

    /// A boolean flag. As in the official images, any non-empty value but `0`, `no` and
    /// `false` (in any case) means yes.
    pub fn flag(&self, names: &[&str]) -> Result<bool, ConfigError> {
        Ok(match self.optional(names)? {
            None => false,
            Some(v) => !matches!(v.to_ascii_lowercase().as_str(), "0" | "no" | "false"),
        })
    }

    /// A setting parsed with [`FromStr`], or `default` when unset.
    pub fn parse_or<T>(&self, names: &[&str], default: T) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: std::fmt::Display,
    {
        match self.lookup(names)? {
            None => Ok(default),
            Some((name, v)) => v
                .trim()
                .parse()
                .map_err(|e: T::Err| ConfigError::invalid(&name, e.to_string())),
        }
    }

    /// `name` or `name_FILE`, refusing both; `None` when neither is set.
    fn one(&self, name: &str) -> Result<Option<String>, ConfigError> {
        let file_var = format!("{name}_FILE");
        match (self.source.var(name), self.source.var(&file_var)) {
            (Some(_), Some(_)) => Err(ConfigError::Both { var: name.into() }),
            (Some(v), None) => v
                .into_string()
                .map(Some)
                .map_err(|_| ConfigError::NotUtf8 { var: name.into() }),
            (None, Some(path)) => {
                let path = PathBuf::from(path);
                let bytes = self
                    .source
                    .read(&path)
                    .map_err(|source| ConfigError::Unreadable {
                        var: name.into(),
                        path,
                        source,
                    })?;
                let text =
                    String::from_utf8(bytes).map_err(|_| ConfigError::NotUtf8 { var: file_var })?;
                // A secret file usually ends with a newline that is not part of the secret.
                Ok(Some(text.trim_end_matches(['\n', '\r']).to_owned()))
            }
            (None, None) => Ok(None),
        }
    }
}

/// A Redis server a service talks to: `<PREFIX>REDIS_HOST` (`host:port`; unset: none) and
/// `<PREFIX>REDIS_PASSWORD`, required with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redis {
    /// `host:port`.
    pub address: String,
    /// `AUTH`'s password.
    pub password: Secret,
}

impl Redis {
    /// Reads `{prefix}REDIS_HOST` and `{prefix}REDIS_PASSWORD` (prefix `WP_`, `BACKUP_`).
    pub fn read<S: Source>(cfg: &Config<S>, prefix: &str) -> Result<Option<Redis>, ConfigError> {
        let Some(address) = cfg.optional(&[&format!("{prefix}REDIS_HOST")])? else {
            return Ok(None);
        };
        let password = cfg.secret(&[&format!("{prefix}REDIS_PASSWORD")])?;
        Ok(Some(Redis { address, password }))
    }
}

/// Where the site is published: `DOMAIN_NAME` and the host's `HTTPS_PORT` (443 when
/// unset). nginx, WordPress and the bonus services read it the same way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    /// The domain, lower-cased.
    pub domain: String,
    /// The port the host publishes HTTPS on.
    pub https_port: u16,
}

impl Site {
    /// Reads and validates `DOMAIN_NAME` and `HTTPS_PORT`.
    pub fn read<S: Source>(cfg: &Config<S>) -> Result<Site, ConfigError> {
        let domain = cfg.required(&["DOMAIN_NAME"])?.to_ascii_lowercase();
        check_domain(&domain).map_err(|reason| ConfigError::invalid("DOMAIN_NAME", reason))?;
        let https_port: u16 = cfg.parse_or(&["HTTPS_PORT"], 443)?;
        if https_port == 0 {
            return Err(ConfigError::invalid(
                "HTTPS_PORT",
                "must be between 1 and 65535",
            ));
        }
        Ok(Site { domain, https_port })
    }

    /// `domain`, with `:port` unless the port is 443 (as browsers write it in `Host`).
    pub fn host(&self) -> String {
        if self.https_port == 443 {
            self.domain.clone()
        } else {
            format!("{}:{}", self.domain, self.https_port)
        }
    }

    /// The site's public address: `https://` and [`Site::host`].
    pub fn url(&self) -> String {
        format!("https://{}", self.host())
    }
}

/// Why a name is not a DNS name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("must be 1 to 253 characters")]
    Length,
    #[error("{0:?} is not a valid DNS label")]
    Label(String),
}

/// A DNS name: dot-separated labels of letters, digits and inner hyphens.
pub fn check_domain(domain: &str) -> Result<(), DomainError> {
    if domain.is_empty() || domain.len() > 253 {
        return Err(DomainError::Length);
    }
    for label in domain.split('.') {
        let ok = !label.is_empty()
            && label.len() <= 63
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !label.starts_with('-')
            && !label.ends_with('-');
        if !ok {
            return Err(DomainError::Label(label.into()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(pairs: &[(&str, &str)]) -> Config<HashMap<String, String>> {
        Config::new(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn first_spelling_set_wins() {
        let c = cfg(&[("MYSQL_USER", "old"), ("MARIADB_USER", "new")]);
        assert_eq!(c.required(&["MARIADB_USER", "MYSQL_USER"]).unwrap(), "new");
        let c = cfg(&[("MYSQL_USER", "old")]);
        assert_eq!(c.required(&["MARIADB_USER", "MYSQL_USER"]).unwrap(), "old");
    }

    #[test]
    fn missing_and_empty_name_the_variable_not_the_value() {
        let err = cfg(&[]).required(&["DB_PASSWORD"]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "DB_PASSWORD is required (set it or DB_PASSWORD_FILE)"
        );
        let err = cfg(&[("DB_PASSWORD", "")])
            .required(&["DB_PASSWORD"])
            .unwrap_err();
        assert_eq!(err.to_string(), "DB_PASSWORD is empty");
    }

    #[test]
    fn both_var_and_file_is_an_error() {
        let err = cfg(&[("P", "x"), ("P_FILE", "/nonexistent")])
            .optional(&["P"])
            .unwrap_err();
        assert!(matches!(err, ConfigError::Both { ref var } if var == "P"));
    }

    #[test]
    fn secret_file_loses_only_its_trailing_newlines() {
        let dir = std::env::temp_dir().join(format!("inception-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("secret");
        std::fs::write(&path, " pa ss\\'\"$%é \n\n").unwrap();
        let c = cfg(&[("P_FILE", path.to_str().unwrap())]);
        assert_eq!(c.required(&["P"]).unwrap(), " pa ss\\'\"$%é ");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_secret_is_never_shown_by_debug() {
        let c = cfg(&[("P", "hunter2")]);
        let secret = c.secret(&["P"]).unwrap();
        assert_eq!(secret.expose(), "hunter2");
        assert_eq!(format!("{secret:?}"), "Secret(redacted)");
        let redis = Redis::read(
            &cfg(&[("R_REDIS_HOST", "r:6379"), ("R_REDIS_PASSWORD", "hunter2")]),
            "R_",
        )
        .unwrap();
        assert!(!format!("{redis:?}").contains("hunter2"), "{redis:?}");
        assert_eq!(c.optional_secret(&["NOPE"]).unwrap(), None);
        assert!(matches!(
            c.secret(&["NOPE"]),
            Err(ConfigError::Missing { .. })
        ));
    }

    #[test]
    fn unreadable_file_names_variable_and_path() {
        let err = cfg(&[("P_FILE", "/nonexistent/secret")])
            .required(&["P"])
            .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with("cannot read P_FILE (/nonexistent/secret): "),
            "{msg}"
        );
    }

    #[test]
    fn domains() {
        assert!(check_domain("login.42.fr").is_ok());
        assert!(check_domain("bad domain").is_err());
        assert!(check_domain("-x.42.fr").is_err());
        assert!(check_domain("x..fr").is_err());
        assert!(check_domain("").is_err());
    }

    #[test]
    fn the_site_is_read_once_with_its_public_address() {
        let site =
            Site::read(&cfg(&[("DOMAIN_NAME", "Me.42.fr"), ("HTTPS_PORT", "8443")])).unwrap();
        assert_eq!(site.host(), "me.42.fr:8443");
        assert_eq!(site.url(), "https://me.42.fr:8443");
        let site = Site::read(&cfg(&[("DOMAIN_NAME", "me.42.fr")])).unwrap();
        assert_eq!(site.url(), "https://me.42.fr");
        let err = Site::read(&cfg(&[("DOMAIN_NAME", "me.42.fr"), ("HTTPS_PORT", "0")]));
        assert!(
            err.unwrap_err()
                .to_string()
                .starts_with("HTTPS_PORT is invalid")
        );
        let err = Site::read(&cfg(&[("DOMAIN_NAME", "bad name")]));
        assert!(
            err.unwrap_err()
                .to_string()
                .starts_with("DOMAIN_NAME is invalid")
        );
    }

    #[test]
    fn flags_and_parsing() {
        let c = cfg(&[("A", "yes"), ("B", "0"), ("PORT", "8443"), ("BAD", "x")]);
        assert!(c.flag(&["A"]).unwrap());
        assert!(!c.flag(&["B"]).unwrap());
        assert!(!c.flag(&["C"]).unwrap());
        assert_eq!(c.parse_or::<u16>(&["PORT"], 443).unwrap(), 8443);
        assert_eq!(c.parse_or::<u16>(&["NOPE"], 443).unwrap(), 443);
        let err = c.parse_or::<u16>(&["BAD"], 443).unwrap_err();
        assert!(err.to_string().starts_with("BAD is invalid: "));
    }
}
