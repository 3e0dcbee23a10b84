//! nginx's configuration, rendered at every start from the template in the image.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Context;
use inception_core::config::Site;
use inception_core::fs;
use inception_core::template::Template;

use inception_core::cert::Pair;

/// nginx's internal-only listener (plain HTTP, never published): the metrics that the
/// monitoring's exporter and Prometheus read (`stub_status`, php-fpm's status pages), in
/// the file [`METRICS_SERVER`] (`listen 9180;`).
pub const METRICS_PORT: u16 = 9180;
/// The listener's `server`, included when the monitoring is on (`NGINX_METRICS=1`).
pub const METRICS_SERVER: &str = "/etc/inception/nginx-metrics.conf";
/// The same listener on a unix socket: in the Swarm stack, a volume of the node holds it,
/// and that node's nginx exporter reads its own node's nginx there (docs/monitoring.md#swarm).
pub const METRICS_SOCKET: &str = "/run/nginx/metrics/nginx.sock";

/// Makes [`METRICS_SOCKET`]'s directory, and removes the socket an nginx that was killed left
/// there: nginx binds it without removing it first, and would fail ("Address already in
/// use"). One nginx per node uses that volume (the service is global).
pub fn prepare_metrics_socket() -> anyhow::Result<()> {
    let socket = Path::new(METRICS_SOCKET);
    if let Some(dir) = socket.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    match std::fs::remove_file(socket) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("cannot remove the old socket {METRICS_SOCKET}"))
        }
        _ => Ok(()),
    }
}

/// The template, as installed in the image.
pub const TEMPLATE: &str = "/etc/inception/nginx.conf.tmpl";
/// The rendered configuration nginx runs with (a runtime directory: the image stays as built).
/// The image links nginx's default, /etc/nginx/nginx.conf, to it, so that nginx finds it
/// without `-c`, and so do `nginx -t` and `nginx -s reload` typed in the container.
pub const RENDERED: &str = "/run/nginx/nginx.conf";

/// What the template needs.
pub struct Values<'a> {
    /// Where the site is published.
    pub site: &'a Site,
    /// Certificate and key.
    pub tls: &'a Pair,
    /// php-fpm's `host:port`, resolved at request time.
    pub upstream: &'a str,
    /// The DNS server that re-resolves it (Docker's embedded one on a user network).
    pub resolver: &'a str,
    /// Whether WordPress's XML-RPC endpoint is served (`WP_XMLRPC=1`; refused otherwise).
    pub xmlrpc: bool,
    /// Whether the internal metrics listener runs (`NGINX_METRICS`: on with `make bonus`).
    pub metrics: bool,
}

/// Renders `tmpl` with `values`.
pub fn render(tmpl: &Template, v: &Values<'_>) -> anyhow::Result<String> {
    let map = HashMap::from([
        ("DOMAIN", v.site.domain.clone()),
        ("HTTPS_PORT", v.site.https_port.to_string()),
        ("PUBLIC_HOST", v.site.host()),
        ("LOOPBACK_LISTEN", loopback_listen(v.site.https_port)),
        ("CERT", v.tls.cert.display().to_string()),
        ("KEY", v.tls.key.display().to_string()),
        ("UPSTREAM", v.upstream.to_owned()),
        ("RESOLVER", v.resolver.to_owned()),
        ("XMLRPC", xmlrpc_location(v.xmlrpc)),
        ("METRICS_SERVER", metrics_server(v.metrics)),
    ]);
    Ok(tmpl.render(&map)?)
}

/// WordPress requests its own public URL (WP-Cron, Site Health's loopback test); inside the
/// stack's network the domain is an alias of this container, and when the host publishes a
/// port other than 443, nginx listens on that port too so that those URLs work unchanged.
pub fn loopback_listen(port: u16) -> String {
    if port == 443 {
        String::new()
    } else {
        format!("listen {port} ssl http2;")
    }
}

/// Refuses `/xmlrpc.php` unless it is wanted (then the `\.php$` location serves it, with the
/// login rate limit).
pub fn xmlrpc_location(enabled: bool) -> String {
    if enabled {
        String::new()
    } else {
        "location = /xmlrpc.php { return 403; }".into()
    }
}

/// The internal metrics listener, or nothing (nginx then listens on the HTTPS port alone).
pub fn metrics_server(enabled: bool) -> String {
    if enabled {
        format!("include {METRICS_SERVER};")
    } else {
        String::new()
    }
}

/// The first `nameserver` of a resolv.conf, bracketed when IPv6 (nginx's syntax).
pub fn nameserver(resolv_conf: &str) -> Option<String> {
    resolv_conf.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        (words.next() == Some("nameserver"))
            .then(|| words.next())
            .flatten()
            .map(|ip| {
                if ip.contains(':') {
                    format!("[{ip}]")
                } else {
                    ip.to_owned()
                }
            })
    })
}

/// Renders the template into [`RENDERED`].
pub fn write(v: &Values<'_>) -> anyhow::Result<()> {
    let out = render(&Template::load(TEMPLATE)?, v)?;
    let path = Path::new(RENDERED);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    fs::write_atomic(path, out.as_bytes(), 0o644)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TMPL: &str = include_str!("../../../srcs/requirements/nginx/conf/nginx.conf.tmpl");

    #[test]
    fn renders_every_placeholder() {
        let tls = Pair {
            cert: "/c/x.crt".into(),
            key: "/c/x.key".into(),
        };
        let out = render(
            &Template::from_text(TEMPLATE, TMPL),
            &Values {
                site: &Site {
                    domain: "me.42.fr".into(),
                    https_port: 8443,
                },
                tls: &tls,
                upstream: "wordpress:9000",
                resolver: "127.0.0.11",
                xmlrpc: false,
                metrics: true,
            },
        )
        .unwrap();
        assert!(out.contains("server_name me.42.fr;"));
        assert!(out.contains("ssl_protocols TLSv1.2 TLSv1.3;"));
        assert!(out.contains("resolver 127.0.0.11"));
        assert!(out.contains("fastcgi_param HTTP_HOST me.42.fr:8443;"));
        assert!(out.contains("listen 8443 ssl http2;"));
        assert_eq!(loopback_listen(443), "");
        assert!(!out.contains("{{"));
        assert!(out.contains("location = /xmlrpc.php { return 403; }"));
        assert!(out.contains("limit_req zone=login burst=10 nodelay;"));
        assert_eq!(xmlrpc_location(true), "");
        // The internal listener (metrics): its own file, on its own port, without TLS.
        assert!(out.contains("include /etc/inception/nginx-metrics.conf;"));
        assert_eq!(metrics_server(false), "");
        let metrics = include_str!("../../../srcs/requirements/nginx/conf/nginx-metrics.conf");
        assert!(metrics.contains(&format!("listen {METRICS_PORT};")));
        assert!(metrics.contains("stub_status;") && !metrics.contains("ssl"));
    }

    #[test]
    fn nameservers() {
        assert_eq!(
            nameserver("# x\nnameserver 127.0.0.11\noptions ndots:0\n").as_deref(),
            Some("127.0.0.11")
        );
        assert_eq!(nameserver("nameserver ::1\n").as_deref(), Some("[::1]"));
        assert_eq!(nameserver("search x\n"), None);
    }
}
