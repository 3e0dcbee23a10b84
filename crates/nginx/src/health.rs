//! `inception-nginx health`: a TLS handshake with the site's name, then an HTTP request to
//! nginx's own health location, which must answer 2xx or 3xx, with a certificate valid for
//! at least [`MIN_DAYS`] more days.
//!
//! The probe is also what renews our self-signed certificate while nginx runs: it runs every
//! few seconds anyway, so PID 1 needs no timer of its own. When the stored certificate is
//! due ([`cert::RENEW_DAYS`] before it expires), it is made again and nginx reloads on the
//! SIGHUP that PID 1 (inception-nginx) forwards to it, without a restart. A certificate the
//! user provides (`TLS_CERT_PATH`) is never touched.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use inception_core::cert::{self, Pair};
use inception_core::config::Config;
use inception_core::probe::{self, tls};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::entrypoint::CERT_DIR;

/// Below this many days of validity left, nginx is unhealthy.
pub const MIN_DAYS: i64 = 7;

/// Runs the check; the verdict is what it saw.
pub fn run() -> anyhow::Result<String> {
    let cfg = Config::from_env();
    let domain = cfg.or(&["DOMAIN_NAME"], "localhost")?.to_ascii_lowercase();
    let renewed = if cfg.optional(&["TLS_CERT_PATH"])?.is_none() {
        renew_if_due(&domain)?
    } else {
        None
    };
    let check = || -> anyhow::Result<(tls::Answer, i64)> {
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
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let days = days_left(answer.not_after, now)?;
        Ok((answer, days))
    };
    let mut verdict = check();
    if renewed.is_some() {
        // Until nginx's new workers have replaced the old ones, a connection may still get
        // the old certificate: give the reload a moment.
        for _ in 0..20 {
            if verdict.is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
            verdict = check();
        }
    }
    let (answer, days) = verdict?;
    let renewed = renewed
        .map(|reason| format!(" (renewed: {reason})"))
        .unwrap_or_default();
    Ok(format!(
        "{} handshake for {domain}, /healthz answered {}, certificate valid {days} more days{renewed}",
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

/// Makes our certificate again when it is due, then has nginx reload it. Returns why it
/// renewed, if it did.
fn renew_if_due(domain: &str) -> anyhow::Result<Option<String>> {
    let pair = Pair {
        cert: Path::new(CERT_DIR).join(cert::CERT_FILE),
        key: Path::new(CERT_DIR).join(cert::KEY_FILE),
    };
    let (Ok(pem), Ok(key)) = (
        std::fs::read(&pair.cert),
        std::fs::read_to_string(&pair.key),
    ) else {
        // Not made yet (nginx is starting): the entrypoint makes it.
        return Ok(None);
    };
    let now = time::OffsetDateTime::now_utc();
    let Some(reason) = cert::renewal_reason(&pem, &key, domain, now) else {
        return Ok(None);
    };
    cert::ensure_pair(&pair, domain)?;
    // nginx re-reads its configuration and certificates on SIGHUP, gracefully; PID 1
    // forwards it (as it does `docker kill -s HUP`).
    kill(Pid::from_raw(1), Signal::SIGHUP).context("cannot ask PID 1 to reload nginx")?;
    Ok(Some(reason))
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
