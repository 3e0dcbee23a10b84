//! Redis's exporter: the server and its password (`EXPORTER_REDIS_HOST`,
//! `EXPORTER_REDIS_PASSWORD`, read as every Redis client of the stack reads them: core's
//! `config::Redis`). The password goes into the exporter's password file (a JSON map from
//! the server's URI to its password), readable by the exporter only.

use inception_core::config::{Config, ConfigError, Redis, Source};
use inception_core::user::Account;

use crate::{Exporter, write_private};

pub const EXPORTER: Exporter = Exporter::new(&["prometheus-redis-exporter"], 9121, flags);

fn flags<S: Source>(cfg: &Config<S>, user: &Account) -> anyhow::Result<Vec<String>> {
    let redis = Redis::read(cfg, "EXPORTER_")?.ok_or_else(|| ConfigError::Missing {
        var: "EXPORTER_REDIS_HOST".into(),
    })?;
    let uri = format!("redis://{}", redis.address);
    let path = write_private(
        "redis-passwords.json",
        &password_file(&uri, redis.password.expose()),
        user,
    )?;
    Ok(vec![
        format!("-redis.addr={uri}"),
        format!("-redis.password-file={path}"),
    ])
}

/// `{"<uri>": "<password>"}`, JSON-escaped.
fn password_file(uri: &str, password: &str) -> String {
    serde_json::json!({ uri: password }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_file_maps_the_uri_to_the_password() {
        assert_eq!(
            password_file("redis://redis:6379", "p\"w\\"),
            r#"{"redis://redis:6379":"p\"w\\"}"#
        );
    }

    #[test]
    fn the_server_is_required() {
        let user = Account {
            name: "prometheus".into(),
            uid: 0,
            gid: 0,
        };
        let err = flags(&Config::from_pairs(&[]), &user)
            .unwrap_err()
            .to_string();
        assert!(err.contains("EXPORTER_REDIS_HOST"), "{err}");
    }
}
