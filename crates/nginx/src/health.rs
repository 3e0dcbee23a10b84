//! `inception-nginx health`: a TLS handshake with the site's name, then an HTTP request to
//! nginx's own health location, which must answer 2xx or 3xx.

use std::time::Duration;

use inception_core::probe::{self, tls};

/// Runs the check; the verdict is what it saw.
pub fn run() -> anyhow::Result<String> {
    let domain = std::env::var("DOMAIN_NAME").unwrap_or_else(|_| "localhost".into());
    let answer = probe::block_on(tls::get(
        "127.0.0.1:443",
        &domain,
        "/healthz",
        Duration::from_secs(3),
    ))??;
    anyhow::ensure!(
        (200..400).contains(&answer.status),
        "/healthz answered {}",
        answer.status
    );
    Ok(format!(
        "{} handshake for {domain}, /healthz answered {}",
        answer.protocol, answer.status
    ))
}
