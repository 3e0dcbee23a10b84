//! The site over HTTPS, as a browser and a TLS client see it: curl with a cookie jar, for
//! pages, logins and WordPress's REST API; and `openssl s_client` for the protocol versions.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{run, stdout};

/// What an HTTP request returned.
#[derive(Debug)]
pub struct Reply {
    /// The HTTP status; 0 when nothing answered.
    pub status: u16,
    /// The last response's headers, lowercased.
    pub headers: String,
    /// The body.
    pub body: String,
}

/// curl against the stack, keeping cookies (one session per value).
pub struct Https {
    domain: String,
    address: String,
    port: u16,
    jar: PathBuf,
}

/// A 2×2 PNG: what [`Https::upload_png`] sends, and what must be served back, byte for byte.
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02, 0x08, 0x02, 0x00, 0x00, 0x00, 0xfd, 0xd4, 0x9a,
    0x73, 0x00, 0x00, 0x00, 0x16, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x08, 0x19, 0x18, 0x18, 0xfe, 0x03, 0x00, 0x26, 0xf6, 0x04, 0xfc, 0x3f, 0x38, 0x7c, 0x7b,
    0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

impl Https {
    /// Uploads [`PNG`] to the media library through the REST API (logged in as an author or
    /// more), by way of a file in `dir`; returns the file's URL path.
    pub fn upload_png(&self, dir: &Path) -> String {
        let file = dir.join("upload.png");
        std::fs::write(&file, PNG).unwrap();
        let nonce = self.get("/wp-admin/admin-ajax.php?action=rest-nonce").body;
        let r = self.request(
            "/wp-json/wp/v2/media",
            &[
                "-H",
                &format!("X-WP-Nonce: {}", nonce.trim()),
                "-H",
                "Content-Disposition: attachment; filename=upload.png",
                "-H",
                "Content-Type: image/png",
                "--data-binary",
                &format!("@{}", file.display()),
            ],
        );
        assert_eq!(r.status, 201, "upload refused: {}", r.body);
        let json: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        let url = json["source_url"].as_str().unwrap();
        format!("/{}", url.splitn(4, '/').nth(3).unwrap())
    }

    /// A client of the site on this machine, its cookies in `jar`.
    pub fn new(domain: &str, port: u16, jar: &Path) -> Https {
        Https::at(domain, "127.0.0.1", port, jar)
    }

    /// A client of the site at `address` (another machine's, a node's).
    pub fn at(domain: &str, address: &str, port: u16, jar: &Path) -> Https {
        Https {
            domain: domain.into(),
            address: address.into(),
            port,
            jar: jar.into(),
        }
    }

    /// The site's base URL.
    pub fn base(&self) -> String {
        if self.port == 443 {
            format!("https://{}", self.domain)
        } else {
            format!("https://{}:{}", self.domain, self.port)
        }
    }

    /// A request: `extra` are curl options (`-d`, `-H`, ...). Redirects are not followed.
    pub fn request(&self, path: &str, extra: &[&str]) -> Reply {
        let url = format!("{}{path}", self.base());
        let resolve = format!("{}:{}:{}", self.domain, self.port, self.address);
        let jar = self.jar.to_string_lossy().into_owned();
        let o = run(Command::new("curl")
            .args([
                "-sk",
                "--max-time",
                "30",
                "--resolve",
                &resolve,
                "-b",
                &jar,
                "-c",
                &jar,
                "-D",
                "-",
            ])
            .args(extra)
            .arg(&url));
        let text = stdout(&o);
        // -D - prints one header block per response (100 Continue, each redirect followed
        // with -L): the last one belongs to the body.
        let (mut head, mut body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        while body.starts_with("HTTP/") {
            (head, body) = body.split_once("\r\n\r\n").unwrap_or((body, ""));
        }
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        Reply {
            status,
            headers: head.to_lowercase(),
            body: body.to_owned(),
        }
    }

    /// A GET of `path`.
    pub fn get(&self, path: &str) -> Reply {
        self.request(path, &[])
    }

    /// As a logged-in user, POSTs `json` to a REST API route with the session's nonce.
    pub fn rest_post(&self, route: &str, json: &str) -> Reply {
        let nonce = self.get("/wp-admin/admin-ajax.php?action=rest-nonce").body;
        assert_eq!(nonce.trim().len(), 10, "no REST nonce: {nonce}");
        self.request(
            &format!("/wp-json/wp/v2/{route}"),
            &[
                "-H",
                &format!("X-WP-Nonce: {}", nonce.trim()),
                "-H",
                "Content-Type: application/json",
                "-d",
                json,
            ],
        )
    }

    /// As a logged-in administrator, replaces the content of page 2 (WordPress's sample
    /// page) through the REST API.
    pub fn edit_sample_page(&self, content: &str) {
        let edit = self.rest_post("pages/2", &format!("{{\"content\":\"{content}\"}}"));
        assert_eq!(edit.status, 200, "{}", edit.body);
    }

    /// This session's WordPress cookies as a `Cookie:` header value (for other clients).
    pub fn cookie_header(&self) -> String {
        let jar = std::fs::read_to_string(&self.jar).unwrap_or_default();
        let cookies: Vec<String> = jar
            .lines()
            .filter(|l| l.contains("wordpress_"))
            .filter_map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                (f.len() >= 7).then(|| format!("{}={}", f[5], f[6]))
            })
            .collect();
        cookies.join("; ")
    }

    /// The first post's page. When the site's address has no port (it serves on 443 where
    /// it runs: a VM, a docker-in-docker node) and this client reaches it through a forwarded
    /// one, WordPress's redirect from `/?p=1` to the post's permalink names no port: the
    /// redirect's path is followed here, on this client's port.
    pub fn first_post(&self) -> String {
        let r = self.get("/?p=1");
        if !(300..400).contains(&r.status) {
            return r.body;
        }
        let location = r
            .headers
            .lines()
            .find_map(|l| l.strip_prefix("location:"))
            .map(str::trim)
            .unwrap_or_else(|| panic!("a {} without a location", r.status));
        // https://<domain>/<path> -> /<path>
        let path = location
            .splitn(4, '/')
            .nth(3)
            .map_or("/".to_owned(), |p| format!("/{p}"));
        self.get(&path).body
    }

    /// Logs into WordPress; returns whether wp-login.php accepted the credentials.
    pub fn login(&self, user: &str, password: &str) -> bool {
        // WordPress wants its test cookie first.
        self.get("/wp-login.php");
        let r = self.request(
            "/wp-login.php",
            &[
                "--data-urlencode",
                &format!("log={user}"),
                "--data-urlencode",
                &format!("pwd={password}"),
                "--data-urlencode",
                "rememberme=forever",
                "--data-urlencode",
                "testcookie=1",
                "--data-urlencode",
                "wp-submit=Log In",
            ],
        );
        r.status == 302 && r.headers.contains("wordpress_logged_in_")
    }
}

/// A TLS handshake with `openssl s_client` forcing one protocol version; true if it succeeds.
/// Old versions are offered at security level 0 so that a refusal is the server's, not ours.
pub fn tls_handshake(port: u16, domain: &str, version: &str) -> bool {
    let mut cmd = Command::new("openssl");
    cmd.args([
        "s_client",
        "-connect",
        &format!("127.0.0.1:{port}"),
        "-servername",
        domain,
        version,
    ]);
    if version == "-tls1" || version == "-tls1_1" {
        cmd.args(["-cipher", "DEFAULT:@SECLEVEL=0"]);
    }
    let o = run(cmd.stdin(std::process::Stdio::null()));
    let out = stdout(&o);
    o.status.success() && out.contains("Cipher is") && !out.contains("Cipher is (NONE)")
}
