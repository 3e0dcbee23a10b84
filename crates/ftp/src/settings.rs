//! The ftp service's settings, read and validated before anything is touched.

use inception_core::config::{Config, ConfigError, Secret, Site, Source};

/// Everything `serve` needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The FTP account (`FTP_USER`, default `wpftp`): a system user name.
    pub user: String,
    /// Its password (`FTP_PASSWORD`, or `FTP_PASSWORD_FILE`).
    pub password: Secret,
    /// The certificate's name (`DOMAIN_NAME`).
    pub domain: String,
    /// The passive-mode data ports (`FTP_PASV_MIN`, `FTP_PASV_MAX`).
    pub pasv: (u16, u16),
    /// The address given to clients for passive connections (`FTP_PASV_ADDRESS`); unset:
    /// the one they connected to.
    pub pasv_address: Option<String>,
}

impl Settings {
    pub fn read<S: Source>(cfg: &Config<S>) -> Result<Settings, ConfigError> {
        let user = cfg.or(&["FTP_USER"], "wpftp")?;
        if !valid_user(&user) {
            return Err(ConfigError::invalid(
                "FTP_USER",
                "lower-case letters, digits, _ and -, at most 32",
            ));
        }
        let password = cfg.secret(&["FTP_PASSWORD"])?;
        if password.expose().contains(['\n', ':']) {
            return Err(ConfigError::invalid(
                "FTP_PASSWORD",
                "must not contain ':' or a newline",
            ));
        }
        // The certificate's name; the HTTPS port does not matter here.
        let domain = Site::read(cfg)?.domain;
        let pasv_min: u16 = cfg.parse_or(&["FTP_PASV_MIN"], 21100)?;
        let pasv_max: u16 = cfg.parse_or(&["FTP_PASV_MAX"], 21110)?;
        if pasv_min == 0 || pasv_min > pasv_max {
            return Err(ConfigError::invalid(
                "FTP_PASV_MIN",
                "must be at least 1 and at most FTP_PASV_MAX",
            ));
        }
        Ok(Settings {
            user,
            password,
            domain,
            pasv: (pasv_min, pasv_max),
            pasv_address: cfg.optional(&["FTP_PASV_ADDRESS"])?,
        })
    }
}

/// A name `useradd` takes and `chpasswd` cannot misread.
fn valid_user(user: &str) -> bool {
    !user.is_empty()
        && user.len() <= 32
        && !user.starts_with('-')
        && user
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let base = [("FTP_PASSWORD", "s3cret"), ("DOMAIN_NAME", "me.42.fr")];
        Settings::read(&Config::from_pairs(base.iter().chain(vars)))
    }

    #[test]
    fn defaults() {
        let s = read(&[]).unwrap();
        assert_eq!(s.user, "wpftp");
        assert_eq!((s.domain.as_str(), s.pasv), ("me.42.fr", (21100, 21110)));
        assert_eq!(s.pasv_address, None);
    }

    #[test]
    fn each_bad_value_is_named() {
        for (var, value) in [
            ("FTP_USER", "Root"),
            ("FTP_USER", "-x"),
            ("FTP_USER", "a-name-much-longer-than-thirty-two"),
            ("FTP_PASSWORD", "a:b"),
            ("FTP_PASSWORD", "a\nb"),
            ("FTP_PASV_MIN", "0"),
            ("FTP_PASV_MIN", "30000"),
            ("FTP_PASV_MAX", "70000"),
            ("DOMAIN_NAME", "not a domain"),
        ] {
            let err = read(&[(var, value)]).unwrap_err().to_string();
            let named = if var == "FTP_PASV_MAX" && value == "70000" {
                "FTP_PASV_MAX"
            } else {
                var
            };
            assert!(err.contains(named), "{var}={value:?}: {err}");
        }
        let err = Settings::read(&Config::from_pairs(&[("DOMAIN_NAME", "me.42.fr")])).unwrap_err();
        assert!(err.to_string().contains("FTP_PASSWORD"), "{err}");
    }
}
