//! Outgoing mail: an SMTP relay from the settings (`SMTP_*`), through Debian's msmtp, which
//! PHP runs as its `sendmail_path` (srcs/requirements/wordpress/conf/mail.ini). The
//! entrypoint writes msmtp's configuration, the relay's password included, to [`MSMTPRC`] on
//! a tmpfs at every start: never to the volume, an image layer or the environment. With no
//! `SMTP_HOST` nothing is written: msmtp then finds no configuration, `wp_mail()` fails, and
//! WordPress says the mail could not be sent (Site Health says why:
//! wp-content/mu-plugins/inception-mail.php).

use std::path::Path;

use inception_core::config::{Config, ConfigError, Secret, Source};
use inception_core::fs;
use inception_core::user::Account;

/// msmtp's configuration, as mail.ini names it: in memory (/run/php is a tmpfs), php-fpm's
/// workers' (www-data) and private, as msmtp requires.
pub const MSMTPRC: &str = "/run/php/msmtprc";

/// How the connection to the relay is protected (`SMTP_TLS`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Encryption {
    /// Plain connection upgraded by STARTTLS (submission, port 587).
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No TLS (a relay on a trusted network only).
    Off,
}

/// The relay WordPress sends through.
#[derive(Clone)]
pub struct Smtp {
    /// `SMTP_HOST`.
    pub host: String,
    /// `SMTP_PORT` (587).
    pub port: u16,
    /// `SMTP_USER`: none, no authentication.
    pub user: Option<String>,
    /// `SMTP_PASSWORD` (`SMTP_PASSWORD_FILE`, a Docker secret): used with `user` only.
    pub password: Secret,
    /// `SMTP_FROM`: the sender of every mail (envelope and From header).
    pub from: String,
    /// `SMTP_TLS` (starttls).
    pub tls: Encryption,
}

impl Smtp {
    /// The relay from `SMTP_*`; `None` without `SMTP_HOST`. `domain` names the default
    /// sender (`wordpress@DOMAIN`, as WordPress's own).
    pub fn read<S: Source>(cfg: &Config<S>, domain: &str) -> Result<Option<Smtp>, ConfigError> {
        let Some(host) = cfg.optional(&["SMTP_HOST"])? else {
            return Ok(None);
        };
        if host.is_empty() || host.chars().any(|c| c.is_whitespace() || c == '"') {
            return Err(ConfigError::invalid(
                "SMTP_HOST",
                "a host name or address, without spaces or quotes",
            ));
        }
        let port: u16 = cfg.parse_or(&["SMTP_PORT"], 587)?;
        if port == 0 {
            return Err(ConfigError::invalid("SMTP_PORT", "must be 1 to 65535"));
        }
        let tls = match cfg.or(&["SMTP_TLS"], "starttls")?.as_str() {
            "starttls" => Encryption::Starttls,
            "tls" => Encryption::Tls,
            "off" => Encryption::Off,
            other => {
                return Err(ConfigError::invalid(
                    "SMTP_TLS",
                    format!("{other:?} is not one of starttls, tls, off"),
                ));
            }
        };
        let user = cfg.optional(&["SMTP_USER"])?.filter(|u| !u.is_empty());
        // Read whenever it is named, so that a missing secret file is an error even before
        // a user is set.
        let password = cfg.optional_secret(&["SMTP_PASSWORD"])?.unwrap_or_default();
        let password = Secret::new(password.expose().trim_end_matches(['\n', '\r']));
        if user.is_some() && password.expose().is_empty() {
            return Err(ConfigError::invalid(
                "SMTP_PASSWORD",
                "empty while SMTP_USER is set (the relay's password goes in secrets/smtp_password.txt)",
            ));
        }
        let from = cfg.or(&["SMTP_FROM"], &format!("wordpress@{domain}"))?;
        if !from.contains('@') || from.chars().any(|c| c.is_whitespace() || c == '"') {
            return Err(ConfigError::invalid("SMTP_FROM", "not an e-mail address"));
        }
        for (var, value) in [
            ("SMTP_USER", user.as_deref()),
            ("SMTP_PASSWORD", Some(password.expose())),
        ] {
            if value.is_some_and(|v| v.chars().any(char::is_control)) {
                return Err(ConfigError::invalid(
                    var,
                    "control characters are not allowed",
                ));
            }
        }
        Ok(Some(Smtp {
            host,
            port,
            user,
            password,
            from,
            tls,
        }))
    }

    /// `host:port`, as logs and Site Health show the relay.
    pub fn address(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// msmtp's configuration file (msmtp(1), "Configuration files").
    pub fn msmtprc(&self) -> String {
        let (tls, starttls) = match self.tls {
            Encryption::Starttls => ("on", "on"),
            Encryption::Tls => ("on", "off"),
            Encryption::Off => ("off", "off"),
        };
        let mut out = format!(
            "# Written by inception-wordpress at every start from SMTP_*; in memory only.\n\
             defaults\n\
             syslog off\n\
             timeout 15\n\
             tls {tls}\n\
             tls_starttls {starttls}\n\
             tls_trust_file /etc/ssl/certs/ca-certificates.crt\n\
             account default\n\
             host {}\n\
             port {}\n\
             from {}\n",
            quote(&self.host),
            self.port,
            quote(&self.from),
        );
        match &self.user {
            // msmtp's `auth on` picks only methods it deems safe on a plain connection:
            // without TLS (SMTP_TLS=off, a trusted network) the password goes as PLAIN.
            Some(user) => out.push_str(&format!(
                "auth {}\nuser {}\npassword {}\n",
                if self.tls == Encryption::Off {
                    "plain"
                } else {
                    "on"
                },
                quote(user),
                quote(self.password.expose())
            )),
            None => out.push_str("auth off\n"),
        }
        out
    }
}

/// `value` as a msmtp argument: in double quotes, which msmtp removes and nothing else (a
/// backslash or a quote inside stays as it is; no value holds a line break).
fn quote(value: &str) -> String {
    format!("\"{value}\"")
}

/// Writes msmtp's configuration for `smtp`, owned by `www` (msmtp reads it as php-fpm's
/// worker and refuses a file others may read), or says once that no mail leaves.
pub fn configure(smtp: Option<&Smtp>, www: &Account) -> anyhow::Result<()> {
    let path = Path::new(MSMTPRC);
    match smtp {
        Some(smtp) => {
            fs::write_atomic(path, smtp.msmtprc().as_bytes(), 0o600)?;
            fs::chown(path, www.uid, www.gid)?;
            tracing::info!(relay = %smtp.address(), from = %smtp.from, auth = smtp.user.is_some(), "mail: through the SMTP relay");
        }
        None => tracing::info!(
            "mail: no mail transport configured (SMTP_HOST unset): WordPress sends no mail"
        ),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pairs: &[(&str, &str)]) -> Result<Option<Smtp>, ConfigError> {
        Smtp::read(&Config::from_pairs(pairs), "me.42.fr")
    }

    fn err(pairs: &[(&str, &str)]) -> String {
        match read(pairs) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("{pairs:?} should be refused"),
        }
    }

    #[test]
    fn no_host_no_relay_and_defaults_otherwise() {
        assert!(read(&[("SMTP_PORT", "25")]).unwrap().is_none());
        let s = read(&[("SMTP_HOST", "smtp.example.com")]).unwrap().unwrap();
        assert_eq!(
            (s.port, s.tls, s.user.as_deref()),
            (587, Encryption::Starttls, None)
        );
        assert_eq!(s.from, "wordpress@me.42.fr");
        let rc = s.msmtprc();
        assert!(rc.contains("host \"smtp.example.com\"\nport 587\n"), "{rc}");
        assert!(rc.contains("tls on\ntls_starttls on\n") && rc.contains("auth off\n"));
        assert!(!rc.contains("password"));
    }

    #[test]
    fn bad_settings_name_their_variable() {
        let h = ("SMTP_HOST", "relay");
        for (pairs, var) in [
            (vec![h, ("SMTP_TLS", "ssl")], "SMTP_TLS"),
            (vec![h, ("SMTP_PORT", "0")], "SMTP_PORT"),
            (vec![h, ("SMTP_PORT", "70000")], "SMTP_PORT"),
            (vec![h, ("SMTP_FROM", "nobody")], "SMTP_FROM"),
            (vec![("SMTP_HOST", "a b")], "SMTP_HOST"),
            (vec![h, ("SMTP_USER", "u")], "SMTP_PASSWORD"),
        ] {
            let e = err(&pairs);
            assert!(
                e.starts_with(&format!("{var} is invalid")),
                "{pairs:?}: {e}"
            );
        }
        let e = err(&[h, ("SMTP_PASSWORD_FILE", "/nonexistent/smtp")]);
        assert!(
            e.starts_with("cannot read SMTP_PASSWORD_FILE (/nonexistent/smtp)"),
            "{e}"
        );
    }

    #[test]
    fn the_password_is_quoted_for_msmtp_and_never_shown() {
        let s = read(&[
            ("SMTP_HOST", "relay"),
            ("SMTP_PORT", "465"),
            ("SMTP_TLS", "tls"),
            ("SMTP_USER", "me@example.com"),
            ("SMTP_PASSWORD", "p\"a\\ss word\n"),
        ])
        .unwrap()
        .unwrap();
        let rc = s.msmtprc();
        assert!(rc.contains("tls on\ntls_starttls off\n"), "{rc}");
        assert!(
            rc.contains("auth on\nuser \"me@example.com\"\npassword \"p\"a\\ss word\"\n"),
            "{rc}"
        );
        let off = read(&[("SMTP_HOST", "relay"), ("SMTP_TLS", "off")])
            .unwrap()
            .unwrap();
        assert!(off.msmtprc().contains("tls off\ntls_starttls off\n"));
    }
}
