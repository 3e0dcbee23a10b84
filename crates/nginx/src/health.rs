//! `inception-nginx health`: a TLS handshake with the site's name, then an HTTP request to
//! nginx's own health location, which must answer 2xx or 3xx.

use std::time::Duration;

use inception_core::probe::{self, tls};

/// Runs the check and prints its verdict on one line.
pub fn run() -> anyhow::Result<u8> {
    let domain = std::env::var("DOMAIN_NAME").unwrap_or_else(|_| "localhost".into());
    let answer = probe::block_on(tls::get(
        "127.0.0.1:443",
        &domain,
        "/healthz",
        Duration::from_secs(3),
    ))?;
    Ok(probe::report(answer.and_then(|a| {
        anyhow::ensure!(
            (200..400).contains(&a.status),
            "/healthz answered {}",
            a.status
        );
        Ok(format!(
            "{} handshake for {domain}, /healthz answered {}",
            a.protocol, a.status
        ))
    })))
}
