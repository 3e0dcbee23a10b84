//! The password file of `/prometheus/` (nginx's `auth_basic_user_file`), written at every
//! start from the `PROMETHEUS_PASSWORD` secret, never kept in the image or a volume.
//!
//! The scheme is `{SSHA}` (salted SHA-1), one of those nginx reads itself
//! (<https://nginx.org/en/docs/http/ngx_http_auth_basic_module.html#auth_basic_user_file>):
//! ring gives SHA-1, so no crypt(3) to link. SHA-1 is fast, which matters for guessable
//! passwords only; the one `make` generates has 32 random characters (about 190 bits), and
//! the file lives in nginx's tmpfs, readable by nginx alone.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use inception_core::config::ConfigError;
use inception_core::user::Account;
use inception_core::{fs, random};

/// Where nginx reads it (its runtime directory, a tmpfs).
pub const PATH: &str = "/run/nginx/prometheus.htpasswd";

/// One `user:{SSHA}base64(sha1(password + salt) + salt)` line.
pub fn line(user: &str, password: &str, salt: &[u8]) -> String {
    let mut input = password.as_bytes().to_vec();
    input.extend_from_slice(salt);
    let mut hash = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &input)
        .as_ref()
        .to_vec();
    hash.extend_from_slice(salt);
    format!("{user}:{{SSHA}}{}\n", STANDARD.encode(hash))
}

/// A user name the file can hold: not empty, no `:`, no space or control character.
pub fn check_user(user: &str) -> Result<(), ConfigError> {
    if user.is_empty() || user.contains(|c: char| c == ':' || c.is_whitespace() || c.is_control()) {
        return Err(ConfigError::invalid(
            "PROMETHEUS_USER",
            "must be a non-empty name without ':', spaces or control characters",
        ));
    }
    Ok(())
}

/// Writes the file for `user` and `password` with a fresh salt, readable by nginx's workers
/// (`www-data`: they read it at each request) and root only.
pub fn write(user: &str, password: &str) -> anyhow::Result<()> {
    check_user(user)?;
    let salt = random::password(16)?;
    let workers = Account::lookup("www-data")?;
    let path = Path::new(PATH);
    fs::write_atomic(
        path,
        line(user, password, salt.as_bytes()).as_bytes(),
        0o640,
    )?;
    fs::chown(path, 0, workers.gid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssha_lines_match_openldap_s_scheme() {
        // python3: base64(sha1(b"secret" + b"saltsalt").digest() + b"saltsalt")
        assert_eq!(
            line("prometheus", "secret", b"saltsalt"),
            "prometheus:{SSHA}1G904nLkTkGWjKNnQuB/hpWXC/hzYWx0c2FsdA==\n"
        );
    }

    #[test]
    fn user_names() {
        assert!(check_user("prometheus").is_ok());
        for bad in ["", "a:b", "a b", "a\nb"] {
            let err = check_user(bad).unwrap_err().to_string();
            assert!(err.contains("PROMETHEUS_USER"), "{err}");
        }
    }
}
