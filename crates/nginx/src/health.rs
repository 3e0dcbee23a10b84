//! `inception-nginx health`: a TLS handshake with the site's name, then an HTTP request to
//! nginx's own health location, which must answer 2xx or 3xx, with a certificate valid for
//! at least [`MIN_DAYS`] more days.
//!
//! `health --upkeep` (the compose healthcheck) also renews our self-signed certificate while
//! nginx runs ([`renew`]): when it is due ([`cert::RENEW_DAYS`] before it expires), it is
//! made again and nginx reloads on the SIGHUP that PID 1 (inception-nginx) forwards to it,
//! without a restart. A certificate the user provides (`TLS_CERT_PATH`) is never touched.

use std::time::Duration;

use anyhow::Context;
use inception_core::cert;
use inception_core::config::{Config, Site};
use inception_core::probe::tls;
use inception_core::rt;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::entrypoint;

/// Below this many days of validity left, nginx is unhealthy.
pub const MIN_DAYS: i64 = 7;

/// The check: what the handshake and `/healthz` showed.
pub fn check() -> anyhow::Result<String> {
    let domain = Site::read(&Config::from_env())?.domain;
    let answer = rt::run(tls::get(
        "127.0.0.1:443",
        &domain,
        "/healthz",
        Duration::from_secs(3),
    ))?;
    anyhow::ensure!(
        (200..400).contains(&answer.status),
        "/healthz answered {}",
        answer.status
    );
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let days = days_left(answer.not_after, now)?;
    Ok(format!(
        "{} handshake for {domain}, /healthz answered {}, certificate valid {days} more days",
        answer.protocol, answer.status
    ))
}

/// Whole days a certificate expiring at `not_after` has left at `now`; an error below
/// [`MIN_DAYS`] or when the certificate could not be read.
fn days_left(not_after: Option<i64>, now: i64) -> anyhow::Result<i64> {
    let not_after = not_after.context("the served certificate could not be read")?;
    let days = (not_after - now).div_euclid(86_400);
    anyhow::ensure!(
        days >= MIN_DAYS,
        "the certificate expires in {days} days (unhealthy below {MIN_DAYS}); renew it or \
         provide a valid one"
    );
    Ok(days)
}

/// The upkeep: makes our certificate again when it is due, then has nginx reload it.
/// Returns what it renewed and why, if it did.
pub fn renew() -> anyhow::Result<Option<String>> {
    let cfg = Config::from_env();
    if cfg.optional(&["TLS_CERT_PATH"])?.is_some() {
        return Ok(None);
    }
    let domain = Site::read(&cfg)?.domain;
    let pair = entrypoint::own_pair();
    let (Ok(pem), Ok(key)) = (
        std::fs::read(&pair.cert),
        std::fs::read_to_string(&pair.key),
    ) else {
        // Not made yet (nginx is starting): the entrypoint makes it.
        return Ok(None);
    };
    let now = time::OffsetDateTime::now_utc();
    let Some(reason) = cert::renewal_reason(&pem, &key, &domain, now) else {
        return Ok(None);
    };
    cert::ensure_pair(&pair, &domain)?;
    // nginx re-reads its configuration and certificates on SIGHUP, gracefully; PID 1
    // forwards it (as it does `docker kill -s HUP`).
    kill(Pid::from_raw(1), Signal::SIGHUP).context("cannot ask PID 1 to reload nginx")?;
    Ok(Some(format!("certificate renewed: {reason}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_under_seven_days_is_unhealthy() {
        let day = 86_400;
        assert_eq!(days_left(Some(30 * day + 5), 0).unwrap(), 30);
        assert_eq!(days_left(Some(7 * day), 0).unwrap(), 7);
        let err = days_left(Some(7 * day - 1), 0).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("the certificate expires in 6 days"),
            "{err}"
        );
        assert!(days_left(Some(-day), 0).is_err());
        assert!(days_left(None, 0).is_err());
    }
}
