//! HTTPS probe: a TLS handshake with SNI, then one HTTP/1.1 request.
//!
//! It checks that our own server answers, not who it is: the certificate is not verified
//! (it is usually self-signed), but the handshake and the protocol version are real, and the
//! certificate's expiry is reported.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use super::{http, tcp};

/// What the server answered.
#[derive(Debug, Clone)]
pub struct Answer {
    /// Negotiated protocol, e.g. `TLSv1_3`.
    pub protocol: String,
    /// HTTP status code.
    pub status: u16,
    /// When the certificate the server presented expires (Unix time), if it could be read.
    pub not_after: Option<i64>,
}

/// Connects to `addr`, handshakes with SNI `host`, sends `GET path` with `Host: host`.
pub async fn get(addr: &str, host: &str, path: &str, timeout: Duration) -> anyhow::Result<Answer> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .context("TLS setup")?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
        .with_no_client_auth();
    let name = ServerName::try_from(host.to_owned()).with_context(|| format!("bad name {host}"))?;
    tokio::time::timeout(timeout, async {
        let tcp = tcp::connect(addr, timeout).await?;
        let mut tls = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(name, tcp)
            .await
            .with_context(|| format!("TLS handshake with {addr} failed"))?;
        let protocol = tls
            .get_ref()
            .1
            .protocol_version()
            .map(|v| format!("{v:?}"))
            .unwrap_or_default();
        let not_after = tls
            .get_ref()
            .1
            .peer_certificates()
            .and_then(|chain| chain.first())
            .and_then(|der| x509_parser::parse_x509_certificate(der).ok())
            .map(|(_, cert)| cert.validity().not_after.timestamp());
        let status = http::status_of(&mut tls, host, path).await?;
        Ok(Answer {
            protocol,
            status,
            not_after,
        })
    })
    .await
    .map_err(|_| anyhow::anyhow!("HTTPS request to {addr} timed out after {timeout:?}"))?
}

/// Accepts any certificate but still checks the handshake signatures.
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
