//! TLS certificates of the services that terminate TLS (nginx, ftp).
//!
//! A certificate and key given by the user (as secrets) are used as they are. Otherwise a
//! self-signed ECDSA P-256 certificate for the domain is kept in the certs volume and made
//! again when it is missing or unreadable, does not name the domain, expires within 30 days,
//! or does not match its key (a crash between writing the two files).

use std::path::{Path, PathBuf};

use crate::fs;
use anyhow::{Context, bail};
use rcgen::{CertificateParams, DnType, ExtendedKeyUsagePurpose, KeyPair, KeyUsagePurpose};
use time::{Duration, OffsetDateTime};
use x509_parser::extensions::GeneralName;

/// Browsers refuse server certificates valid for longer (CA/Browser Forum baseline).
pub const VALIDITY_DAYS: i64 = 397;
/// Renew when less than this remains.
pub const RENEW_DAYS: i64 = 30;
/// Our certificate's file name in its directory.
pub const CERT_FILE: &str = "inception.crt";
/// Our key's file name in its directory.
pub const KEY_FILE: &str = "inception.key";

/// Certificate and key files of a service that terminates TLS (nginx, ftp).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pair {
    /// PEM certificate (chain).
    pub cert: PathBuf,
    /// PEM private key.
    pub key: PathBuf,
}

impl Pair {
    /// Our pair's files ([`CERT_FILE`], [`KEY_FILE`]) in `dir`.
    pub fn in_dir(dir: &Path) -> Pair {
        Pair {
            cert: dir.join(CERT_FILE),
            key: dir.join(KEY_FILE),
        }
    }
}

/// Why a stored certificate must be made again, if it must.
pub fn renewal_reason(
    cert_pem: &[u8],
    key_pem: &str,
    domain: &str,
    now: OffsetDateTime,
) -> Option<String> {
    let pem = match x509_parser::pem::parse_x509_pem(cert_pem) {
        Ok((_, pem)) => pem,
        Err(e) => return Some(format!("certificate unreadable: {e}")),
    };
    let cert = match pem.parse_x509() {
        Ok(c) => c,
        Err(e) => return Some(format!("certificate unreadable: {e}")),
    };
    let names: Vec<&str> = match cert.subject_alternative_name() {
        Ok(Some(san)) => san
            .value
            .general_names
            .iter()
            .filter_map(|n| match n {
                GeneralName::DNSName(d) => Some(*d),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    if !names.iter().any(|n| n.eq_ignore_ascii_case(domain)) {
        return Some(format!("certificate is for {names:?}, not {domain}"));
    }
    let remaining = cert.validity().not_after.timestamp() - now.unix_timestamp();
    if remaining < RENEW_DAYS * 86_400 {
        return Some(format!(
            "certificate expires in {} days",
            remaining / 86_400
        ));
    }
    match KeyPair::from_pem(key_pem) {
        Ok(key) if key.public_key_raw() == cert.public_key().subject_public_key.data.as_ref() => {
            None
        }
        Ok(_) => Some("certificate does not match its key".into()),
        Err(e) => Some(format!("key unreadable: {e}")),
    }
}

/// A new self-signed certificate for `domain` and its key, both PEM.
pub fn generate(domain: &str, now: OffsetDateTime) -> anyhow::Result<(String, String)> {
    let key =
        KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).context("cannot generate a key")?;
    let mut params = CertificateParams::new(vec![domain.to_owned()]).context("bad domain")?;
    params.distinguished_name.push(DnType::CommonName, domain);
    params
        .distinguished_name
        .push(DnType::OrganizationName, "Inception (self-signed)");
    // A little back-dating absorbs clock skew between machines.
    params.not_before = now - Duration::hours(1);
    params.not_after = now + Duration::days(VALIDITY_DAYS) - Duration::hours(1);
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let cert = params
        .self_signed(&key)
        .context("cannot sign the certificate")?;
    Ok((cert.pem(), key.serialize_pem()))
}

/// Returns the pair to serve: the user's (`provided`), or `own` (made or renewed if needed).
pub fn ensure(own: Pair, domain: &str, provided: Option<Pair>) -> anyhow::Result<Pair> {
    if let Some(pair) = provided {
        for path in [&pair.cert, &pair.key] {
            std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
        }
        tracing::info!(cert = %pair.cert.display(), "using the provided certificate");
        return Ok(pair);
    }
    ensure_pair(&own, domain)?;
    Ok(own)
}

/// Makes `pair` a valid self-signed certificate for `domain` (see [`renewal_reason`]).
pub fn ensure_pair(pair: &Pair, domain: &str) -> anyhow::Result<()> {
    let dir = pair.cert.parent().unwrap_or(Path::new("."));
    let now = OffsetDateTime::now_utc();
    let reason = match (
        std::fs::read(&pair.cert),
        std::fs::read_to_string(&pair.key),
    ) {
        (Ok(cert), Ok(key)) => renewal_reason(&cert, &key, domain, now),
        _ => Some("no certificate yet".into()),
    };
    let Some(reason) = reason else {
        tracing::info!(cert = %pair.cert.display(), "certificate valid for {domain}");
        return Ok(());
    };
    tracing::info!(%reason, "creating a self-signed certificate for {domain}");
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let (cert, key) = generate(domain, now)?;
    fs::write_atomic(&pair.key, key.as_bytes(), 0o600)?;
    fs::write_atomic(&pair.cert, cert.as_bytes(), 0o644)?;
    if let Some(reason) = renewal_reason(cert.as_bytes(), &key, domain, now) {
        bail!("the new certificate is unusable: {reason}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fresh_certificate_needs_no_renewal() {
        let now = OffsetDateTime::now_utc();
        let (cert, key) = generate("me.42.fr", now).unwrap();
        assert_eq!(renewal_reason(cert.as_bytes(), &key, "me.42.fr", now), None);
        assert_eq!(renewal_reason(cert.as_bytes(), &key, "ME.42.FR", now), None);
    }

    #[test]
    fn another_domain_a_near_expiry_or_another_key_means_renewal() {
        let now = OffsetDateTime::now_utc();
        let (cert, key) = generate("me.42.fr", now).unwrap();
        let other = renewal_reason(cert.as_bytes(), &key, "you.42.fr", now).unwrap();
        assert!(other.contains("not you.42.fr"), "{other}");
        let later = now + Duration::days(VALIDITY_DAYS - RENEW_DAYS + 1);
        assert!(
            renewal_reason(cert.as_bytes(), &key, "me.42.fr", later)
                .unwrap()
                .contains("expires")
        );
        let (_, other_key) = generate("me.42.fr", now).unwrap();
        assert_eq!(
            renewal_reason(cert.as_bytes(), &other_key, "me.42.fr", now).as_deref(),
            Some("certificate does not match its key")
        );
        assert!(renewal_reason(b"garbage", &key, "me.42.fr", now).is_some());
    }

    #[test]
    fn validity_is_at_most_397_days() {
        let now = OffsetDateTime::now_utc();
        let (cert, _) = generate("me.42.fr", now).unwrap();
        let (_, pem) = x509_parser::pem::parse_x509_pem(cert.as_bytes()).unwrap();
        let x = pem.parse_x509().unwrap();
        let days =
            (x.validity().not_after.timestamp() - x.validity().not_before.timestamp()) / 86_400;
        assert!(days <= VALIDITY_DAYS, "{days}");
    }
}
