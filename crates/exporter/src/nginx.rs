//! nginx's exporter: reads nginx's `stub_status` page, served on nginx's internal-only
//! listener (port 9180 on the stack network, never published).

use inception_core::config::{Config, ConfigError, Source};
use inception_core::user::Account;

use crate::Exporter;

pub const EXPORTER: Exporter = Exporter::new(&["prometheus-nginx-exporter"], 9113, flags);

fn flags<S: Source>(cfg: &Config<S>, _: &Account) -> anyhow::Result<Vec<String>> {
    let uri = cfg.or(&["NGINX_STATUS_URI"], "http://nginx:9180/stub_status")?;
    check_uri(&uri).map_err(|reason| ConfigError::invalid("NGINX_STATUS_URI", reason))?;
    Ok(vec![
        format!("-nginx.scrape-uri={uri}"),
        // It exits at start when nginx does not answer: nginx may start after it (5 min).
        "-nginx.retries=60".into(),
    ])
}

/// What the exporter accepts: an http(s) URL or a unix socket (`unix:/path:/stub_status`).
fn check_uri(uri: &str) -> Result<(), &'static str> {
    let rest = ["http://", "https://", "unix:"]
        .iter()
        .find_map(|scheme| uri.strip_prefix(scheme))
        .ok_or("must start with http://, https:// or unix:")?;
    if rest.is_empty() || rest.contains(char::is_whitespace) {
        return Err("must name a host and path, without spaces");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_uris() {
        for (uri, ok) in [
            ("http://nginx:9180/stub_status", true),
            ("unix:/run/nginx.sock:/stub_status", true),
            ("nginx:8080", false),
            ("http://", false),
        ] {
            assert_eq!(check_uri(uri).is_ok(), ok, "{uri}");
        }
    }

    #[test]
    fn flags_name_the_status_page_and_a_bad_one_names_the_variable() {
        let user = Account {
            name: "prometheus".into(),
            uid: 0,
            gid: 0,
        };
        let args = flags(&Config::from_pairs(&[]), &user).unwrap();
        assert_eq!(args[0], "-nginx.scrape-uri=http://nginx:9180/stub_status");
        let cfg = Config::from_pairs(&[("NGINX_STATUS_URI", "ftp://x")]);
        let err = flags(&cfg, &user).unwrap_err().to_string();
        assert!(err.contains("NGINX_STATUS_URI"), "{err}");
    }
}
