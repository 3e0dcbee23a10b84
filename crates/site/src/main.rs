//! `inception-site`: PID 1 of the static site's container (bonus): a page about the project,
//! served by nginx on port 8080 inside the stack network and published through the main
//! nginx under `/site/`. Nothing to prepare: it runs nginx; `health` GETs the page.

use std::process::ExitCode;
use std::time::Duration;

use inception_core::cli::{self, Service};
use inception_core::probe::http;
use inception_core::rt;

fn main() -> ExitCode {
    let nginx = |a: &str| a == "nginx";
    // Its configuration is nginx's default one, /etc/nginx/nginx.conf (site.conf).
    let command = &["nginx", "-g", "daemon off;"];
    cli::run(&Service::new("inception-site", nginx, command, health))
}

/// `health`: nginx serves the site's page.
fn health() -> anyhow::Result<String> {
    let status = rt::run(http::get(
        "127.0.0.1:8080",
        "site",
        "/",
        Duration::from_secs(3),
    ))?;
    anyhow::ensure!(status == 200, "/ answered {status}");
    Ok("nginx served the site's page".into())
}
