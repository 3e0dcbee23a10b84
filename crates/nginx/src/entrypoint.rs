//! Start-up of the nginx container: validate settings, make sure there is a certificate,
//! render the configuration, then run nginx.

use std::path::{Path, PathBuf};

use anyhow::Context;
use inception_core::config::{Config, ConfigError, Site};
use inception_core::pid1;

use crate::conf::{self, Values};
use inception_core::cert::{self, Pair};

/// Where our self-signed certificate is kept (a volume).
pub const CERT_DIR: &str = "/etc/nginx/certs";

/// Our self-signed pair, in [`CERT_DIR`].
pub fn own_pair() -> Pair {
    Pair::in_dir(Path::new(CERT_DIR))
}

/// Prepares, then runs `argv` (nginx) until it ends.
pub fn run(argv: Vec<String>) -> anyhow::Result<u8> {
    let cfg = Config::from_env();
    let site = Site::read(&cfg)?;
    // The monitoring's internal listener (bonus).
    let metrics = cfg.flag(&["NGINX_METRICS"])?;
    if metrics && site.https_port == conf::METRICS_PORT {
        return Err(ConfigError::invalid(
            "HTTPS_PORT",
            format!(
                "{} is nginx's internal metrics port (NGINX_METRICS=1): choose another",
                conf::METRICS_PORT
            ),
        )
        .into());
    }
    let upstream = cfg.or(&["WORDPRESS_UPSTREAM"], "wordpress:9000")?;
    let xmlrpc = cfg.flag(&["WP_XMLRPC"])?;
    // A user certificate: both files or neither (paths, typically under /run/secrets).
    let provided = match (
        cfg.optional(&["TLS_CERT_PATH"])?,
        cfg.optional(&["TLS_KEY_PATH"])?,
    ) {
        (Some(cert), Some(key)) => Some(Pair {
            cert: PathBuf::from(cert),
            key: PathBuf::from(key),
        }),
        (None, None) => None,
        (Some(_), None) => {
            return Err(ConfigError::Missing {
                var: "TLS_KEY_PATH".into(),
            }
            .into());
        }
        (None, Some(_)) => {
            return Err(ConfigError::Missing {
                var: "TLS_CERT_PATH".into(),
            }
            .into());
        }
    };

    let tls = cert::ensure(own_pair(), &site.domain, provided)?;
    let resolv = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
    let resolver = conf::nameserver(&resolv).unwrap_or_else(|| "127.0.0.11".into());
    conf::write(&Values {
        site: &site,
        tls: &tls,
        upstream: &upstream,
        resolver: &resolver,
        xmlrpc,
        metrics,
    })
    .context("cannot write the nginx configuration")?;
    if metrics {
        conf::prepare_metrics_socket()?;
    }
    pid1::run_service(&argv, None)
}
