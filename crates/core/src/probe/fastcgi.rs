//! A small FastCGI client: enough to send one request to php-fpm and read its answer.
//!
//! Used by `health` (php-fpm's ping path), by tests, and by any PHP service. One request per
//! connection, as a web server without keep-alive does. Protocol:
//! <https://fastcgi-archives.github.io/FastCGI_Specification.html>.

use std::time::Duration;

use anyhow::{Context, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::tcp;
use crate::config::Site;

const VERSION: u8 = 1;
const BEGIN_REQUEST: u8 = 1;
const END_REQUEST: u8 = 3;
const PARAMS: u8 = 4;
const STDIN: u8 = 5;
const STDOUT: u8 = 6;
const STDERR: u8 = 7;
const RESPONDER: u16 = 1;
const REQUEST_ID: u16 = 1;
const MAX_CONTENT: usize = 65535;

/// What the application answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// HTTP status from the `Status:` header (200 when absent, as CGI says).
    pub status: u16,
    /// Response headers in order.
    pub headers: Vec<(String, String)>,
    /// Response body.
    pub body: Vec<u8>,
    /// What the application wrote to its FastCGI stderr stream.
    pub stderr: Vec<u8>,
}

impl Response {
    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Sends one request with CGI `params` and `body` to `addr` and returns the response.
pub async fn request(
    addr: &str,
    params: &[(&str, &str)],
    body: &[u8],
    timeout: Duration,
) -> anyhow::Result<Response> {
    tokio::time::timeout(timeout, async {
        let mut stream = tcp::connect(addr, timeout).await?;
        stream
            .write_all(&encode_request(params, body))
            .await
            .with_context(|| format!("cannot send FastCGI request to {addr}"))?;
        let mut raw = Vec::new();
        stream
            .read_to_end(&mut raw)
            .await
            .with_context(|| format!("cannot read FastCGI response from {addr}"))?;
        decode_response(&raw)
    })
    .await
    .map_err(|_| anyhow::anyhow!("FastCGI request to {addr} timed out after {timeout:?}"))?
}

/// A GET request for one page, with the parameters nginx passes (our nginx.conf).
#[derive(Debug, Clone, Copy)]
pub struct Get<'a> {
    /// The web root in php-fpm's container; `SCRIPT_FILENAME` is it followed by `script`.
    pub document_root: &'a str,
    /// The script, from the web root (`/index.php`; the pool's `/ping`).
    pub script: &'a str,
    /// The request URI: path and query.
    pub uri: &'a str,
    /// The site as the browser reached it (`Host`, `HTTPS=on`); `None`: a probe of the pool
    /// itself (`localhost`, plain).
    pub site: Option<&'a Site>,
    /// The `Cookie` header (empty: none).
    pub cookie: &'a str,
}

impl Get<'_> {
    /// Sends the request to php-fpm at `addr`.
    pub async fn send(&self, addr: &str, timeout: Duration) -> anyhow::Result<Response> {
        let query = self.uri.split_once('?').map_or("", |(_, q)| q);
        let file = format!("{}{}", self.document_root, self.script);
        let (name, port, host) = match self.site {
            Some(site) => (
                site.domain.as_str(),
                site.https_port.to_string(),
                site.host(),
            ),
            None => ("localhost", "9000".to_owned(), "localhost".to_owned()),
        };
        let mut params = vec![
            ("GATEWAY_INTERFACE", "CGI/1.1"),
            ("REQUEST_METHOD", "GET"),
            ("SCRIPT_FILENAME", &file),
            ("SCRIPT_NAME", self.script),
            ("DOCUMENT_URI", self.script),
            ("DOCUMENT_ROOT", self.document_root),
            ("REQUEST_URI", self.uri),
            ("QUERY_STRING", query),
            ("SERVER_PROTOCOL", "HTTP/1.1"),
            ("SERVER_SOFTWARE", "inception"),
            ("REMOTE_ADDR", "127.0.0.1"),
            ("SERVER_NAME", name),
            ("SERVER_PORT", &port),
            ("HTTP_HOST", &host),
        ];
        if self.site.is_some() {
            params.push(("HTTPS", "on"));
        }
        if !self.cookie.is_empty() {
            params.push(("HTTP_COOKIE", self.cookie));
        }
        request(addr, &params, b"", timeout).await
    }
}

/// Asks php-fpm at `addr` for its ping path; succeeds when it answers 200 with `pong`.
pub async fn ping(addr: &str, path: &str, timeout: Duration) -> anyhow::Result<String> {
    let r = Get {
        document_root: "",
        script: path,
        uri: path,
        site: None,
        cookie: "",
    }
    .send(addr, timeout)
    .await?;
    if r.status == 200 && r.body.trim_ascii() == b"pong" {
        Ok(format!("php-fpm at {addr} answered {path} with pong"))
    } else {
        bail!("php-fpm at {addr} answered {path} with status {}", r.status)
    }
}

/// The `health` check of a php-fpm container: ping the local pool (127.0.0.1:9000,
/// `ping.path = /ping`).
pub fn local_pool_health() -> anyhow::Result<String> {
    crate::rt::run(ping("127.0.0.1:9000", "/ping", Duration::from_secs(3)))
}

fn record(out: &mut Vec<u8>, kind: u8, content: &[u8]) {
    let padding = (8 - content.len() % 8) % 8;
    out.extend_from_slice(&[VERSION, kind]);
    out.extend_from_slice(&REQUEST_ID.to_be_bytes());
    out.extend_from_slice(&(content.len() as u16).to_be_bytes());
    out.extend_from_slice(&[padding as u8, 0]);
    out.extend_from_slice(content);
    out.extend(std::iter::repeat_n(0u8, padding));
}

/// A stream (PARAMS, STDIN) in records of at most 65535 bytes, ended by an empty record.
fn stream(out: &mut Vec<u8>, kind: u8, data: &[u8]) {
    for chunk in data.chunks(MAX_CONTENT) {
        record(out, kind, chunk);
    }
    record(out, kind, &[]);
}

fn length(out: &mut Vec<u8>, len: usize) {
    if len < 128 {
        out.push(len as u8);
    } else {
        out.extend_from_slice(&((len as u32) | 0x8000_0000).to_be_bytes());
    }
}

/// Name-value pairs as FastCGI encodes them.
fn encode_params(params: &[(&str, &str)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, value) in params {
        length(&mut out, name.len());
        length(&mut out, value.len());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(value.as_bytes());
    }
    out
}

fn encode_request(params: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut begin = RESPONDER.to_be_bytes().to_vec();
    begin.extend_from_slice(&[0; 6]); // flags 0: close the connection after the request
    record(&mut out, BEGIN_REQUEST, &begin);
    stream(&mut out, PARAMS, &encode_params(params));
    stream(&mut out, STDIN, body);
    out
}

fn decode_response(mut raw: &[u8]) -> anyhow::Result<Response> {
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let mut ended = false;
    while raw.len() >= 8 {
        let kind = raw[1];
        let len = u16::from_be_bytes([raw[4], raw[5]]) as usize;
        let padding = raw[6] as usize;
        let Some(content) = raw.get(8..8 + len) else {
            bail!("truncated FastCGI record");
        };
        match kind {
            STDOUT => stdout.extend_from_slice(content),
            STDERR => stderr.extend_from_slice(content),
            END_REQUEST => {
                ended = true;
                break;
            }
            _ => {}
        }
        raw = raw.get(8 + len + padding..).unwrap_or(&[]);
    }
    if !ended {
        bail!("FastCGI connection closed before the end of the request");
    }
    parse_cgi(&stdout, stderr)
}

/// Splits a CGI response into status, headers and body.
fn parse_cgi(stdout: &[u8], stderr: Vec<u8>) -> anyhow::Result<Response> {
    let (head, body) = match find(stdout, b"\r\n\r\n") {
        Some(i) => (&stdout[..i], &stdout[i + 4..]),
        None => match find(stdout, b"\n\n") {
            Some(i) => (&stdout[..i], &stdout[i + 2..]),
            None => bail!("FastCGI response has no header block"),
        },
    };
    let mut status = 200;
    let mut headers = Vec::new();
    for line in String::from_utf8_lossy(head).lines() {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let (k, v) = (k.trim().to_owned(), v.trim().to_owned());
        if k.eq_ignore_ascii_case("status") {
            status = v
                .split_whitespace()
                .next()
                .and_then(|s| s.parse().ok())
                .with_context(|| format!("bad Status header {v:?}"))?;
        }
        headers.push((k, v));
    }
    Ok(Response {
        status,
        headers,
        body: body.to_vec(),
        stderr,
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_use_short_and_long_lengths() {
        let long = "v".repeat(200);
        let enc = encode_params(&[("A", "b"), ("L", &long)]);
        assert_eq!(&enc[..4], &[1, 1, b'A', b'b']);
        assert_eq!(&enc[4..9], &[1, 0x80, 0, 0, 200]);
    }

    #[test]
    fn records_are_padded_to_eight_bytes() {
        let mut out = Vec::new();
        record(&mut out, STDIN, b"abc");
        assert_eq!(out.len(), 16);
        assert_eq!(&out[..8], &[1, STDIN, 0, 1, 0, 3, 5, 0]);
    }

    #[test]
    fn decodes_a_response_with_status_and_stderr() {
        let mut raw = Vec::new();
        record(
            &mut raw,
            STDOUT,
            b"Status: 302 Found\r\nLocation: /x\r\n\r\nbo",
        );
        record(&mut raw, STDERR, b"warn");
        record(&mut raw, STDOUT, b"dy");
        record(&mut raw, END_REQUEST, &[0; 8]);
        let r = decode_response(&raw).unwrap();
        assert_eq!(r.status, 302);
        assert_eq!(r.header("location"), Some("/x"));
        assert_eq!(r.body, b"body");
        assert_eq!(r.stderr, b"warn");
    }

    #[test]
    fn a_response_without_end_is_an_error() {
        let mut raw = Vec::new();
        record(&mut raw, STDOUT, b"Content-type: text/plain\n\npong");
        assert!(decode_response(&raw).is_err());
        record(&mut raw, END_REQUEST, &[0; 8]);
        let r = decode_response(&raw).unwrap();
        assert_eq!((r.status, r.body.as_slice()), (200, &b"pong"[..]));
    }
}
