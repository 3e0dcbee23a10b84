//! Who may read Prometheus: its web configuration (`--web.config.file`), written at every
//! start from `PROMETHEUS_USER` and the `prometheus_password` secret. Prometheus itself asks
//! for the password (HTTP basic auth) on every path, its UI, API and metrics, whoever
//! calls: nginx's `/prometheus/` only passes requests through, and holds no secret of it.
//!
//! Prometheus takes bcrypt hashes only. The password in clear is kept beside it for
//! Prometheus's scrape of itself (`password_file`); `health` reads the secret.

use std::path::Path;

use inception_core::config::{Config, ConfigError, Secret, Source};
use inception_core::probe::http::Basic;
use inception_core::user::Account;
use inception_core::{fs, random};

/// The web configuration Prometheus reads.
pub const CONFIG: &str = "/run/prometheus/web.yml";
/// The password in clear, for Prometheus's scrape of itself.
pub const PASSWORD: &str = "/run/prometheus/password";
/// bcrypt's cost: about 50 ms a check on these machines, once per connection's credentials
/// (Prometheus caches a successful check).
const COST: u32 = 10;

/// The credentials asked for.
#[derive(Debug)]
pub struct Access {
    pub user: String,
    pub password: Secret,
}

impl Access {
    /// Reads and checks `PROMETHEUS_USER` (default `prometheus`) and `PROMETHEUS_PASSWORD`:
    /// Prometheus is never served without a password.
    pub fn read<S: Source>(cfg: &Config<S>) -> Result<Access, ConfigError> {
        let user = cfg.or(&["PROMETHEUS_USER"], "prometheus")?;
        check_user(&user)?;
        let password = cfg.secret(&["PROMETHEUS_PASSWORD"])?;
        // bcrypt reads 72 bytes; a longer password would be cut without a word.
        if password.expose().len() > 72 {
            return Err(ConfigError::invalid(
                "PROMETHEUS_PASSWORD",
                "is longer than 72 bytes, which is all a bcrypt hash keeps",
            ));
        }
        Ok(Access { user, password })
    }

    /// The web configuration: one user, the bcrypt hash of the password with `salt`.
    pub fn config(&self, salt: [u8; 16]) -> anyhow::Result<String> {
        let hash = bcrypt::non_truncating_hash_with_salt(self.password.expose(), COST, salt)?
            .format_for_version(bcrypt::Version::TwoB);
        Ok(format!(
            "# Written by inception-prometheus at start (crates/prometheus/src/web.rs).\n\
             basic_auth_users:\n  \"{}\": \"{hash}\"\n",
            self.user
        ))
    }

    /// The credentials, for a request.
    pub fn basic(&self) -> Basic<'_> {
        Basic {
            user: &self.user,
            password: self.password.expose(),
        }
    }

    /// Writes [`CONFIG`] and [`PASSWORD`], readable by root and `prometheus` only.
    pub fn write(&self, prometheus: &Account) -> anyhow::Result<()> {
        let files = [
            (CONFIG, self.config(random::bytes()?)?),
            (PASSWORD, self.password.expose().to_owned()),
        ];
        for (path, contents) in files {
            let path = Path::new(path);
            fs::write_atomic(path, contents.as_bytes(), 0o640)?;
            fs::chown(path, 0, prometheus.gid)?;
        }
        Ok(())
    }
}

/// A user name a basic-auth header and the YAML file can hold: letters, digits, `.`, `_`, `-`.
pub fn check_user(user: &str) -> Result<(), ConfigError> {
    let ok = !user.is_empty()
        && user
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(ConfigError::invalid(
            "PROMETHEUS_USER",
            format!("{user:?} is not a name of letters, digits, '.', '_' and '-'"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pairs: &[(&str, &str)]) -> Result<Access, ConfigError> {
        Access::read(&Config::from_pairs(pairs))
    }

    #[test]
    fn the_config_holds_a_bcrypt_hash_that_checks_the_password() {
        let access = read(&[("PROMETHEUS_PASSWORD", "s3cret-Q'\"\\$% é")]).unwrap();
        let config = access.config([7; 16]).unwrap();
        assert!(!config.contains("s3cret"), "{config}");
        let hash = config
            .lines()
            .find_map(|l| l.strip_prefix("  \"prometheus\": \""))
            .and_then(|l| l.strip_suffix('"'))
            .unwrap();
        assert!(hash.starts_with("$2b$10$"), "{hash}");
        assert!(bcrypt::verify("s3cret-Q'\"\\$% é", hash).unwrap());
        assert!(!bcrypt::verify("s3cret", hash).unwrap());
    }

    #[test]
    fn no_password_or_a_bad_one_is_refused_naming_the_variable() {
        for pairs in [
            vec![],
            vec![("PROMETHEUS_PASSWORD", "")],
            vec![("PROMETHEUS_PASSWORD", &*"x".repeat(73))],
        ] {
            let err = read(&pairs).unwrap_err().to_string();
            assert!(err.starts_with("PROMETHEUS_PASSWORD"), "{err}");
        }
        assert!(read(&[("PROMETHEUS_PASSWORD", &"x".repeat(72))]).is_ok());
    }

    #[test]
    fn user_names() {
        assert!(check_user("prometheus").is_ok());
        assert!(check_user("ops.team_1-a").is_ok());
        for bad in ["", "a:b", "a b", "a\"b", "a\nb", "é"] {
            let err = check_user(bad).unwrap_err().to_string();
            assert!(err.starts_with("PROMETHEUS_USER is invalid"), "{err}");
        }
    }
}
