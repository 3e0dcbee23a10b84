//! Plain HTTP/1.1 probe (services inside the stack network), sharing the request and
//! status-line handling with the HTTPS probe.

use std::time::Duration;

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::tcp;

/// A user and password for HTTP basic authentication (RFC 7617).
#[derive(Clone, Copy)]
pub struct Basic<'a> {
    pub user: &'a str,
    pub password: &'a str,
}

impl Basic<'_> {
    /// The `Authorization` header's value.
    pub fn header(&self) -> String {
        let pair = format!("{}:{}", self.user, self.password);
        format!("Basic {}", STANDARD.encode(pair))
    }
}

/// Sends `GET path` with `Host: host` on `stream` and returns the response's status code.
pub async fn status_of<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    host: &str,
    path: &str,
) -> anyhow::Result<u16> {
    status_with(stream, host, path, None).await
}

/// [`status_of`], with credentials when some are given.
pub async fn status_with<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    host: &str,
    path: &str,
    basic: Option<Basic<'_>>,
) -> anyhow::Result<u16> {
    let authorization = basic
        .map(|b| format!("Authorization: {}\r\n", b.header()))
        .unwrap_or_default();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\n{authorization}User-Agent: inception-health\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await?;
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(2).any(|w| w == b"\r\n") {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    parse_status(&head).context("no HTTP status line in the response")
}

/// The status code of an HTTP status line (`HTTP/1.1 200 OK`).
pub fn parse_status(head: &[u8]) -> Option<u16> {
    let line = String::from_utf8_lossy(head);
    let mut words = line.split_whitespace();
    words.next().filter(|v| v.starts_with("HTTP/"))?;
    words.next()?.parse().ok()
}

/// GETs `path` from `addr` over plain TCP; returns the status code.
pub async fn get(addr: &str, host: &str, path: &str, timeout: Duration) -> anyhow::Result<u16> {
    get_with(addr, host, path, None, timeout).await
}

/// [`get`], with credentials when some are given.
pub async fn get_with(
    addr: &str,
    host: &str,
    path: &str,
    basic: Option<Basic<'_>>,
    timeout: Duration,
) -> anyhow::Result<u16> {
    tokio::time::timeout(timeout, async {
        let mut stream = tcp::connect(addr, timeout).await?;
        status_with(&mut stream, host, path, basic).await
    })
    .await
    .map_err(|_| anyhow::anyhow!("HTTP request to {addr} timed out after {timeout:?}"))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines() {
        assert_eq!(parse_status(b"HTTP/1.1 204 No Content\r\n"), Some(204));
        assert_eq!(parse_status(b"garbage 200\r\n"), None);
        assert_eq!(parse_status(b""), None);
    }

    #[test]
    fn basic_credentials() {
        // RFC 7617's example.
        let basic = Basic {
            user: "Aladdin",
            password: "open sesame",
        };
        assert_eq!(basic.header(), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
    }
}
