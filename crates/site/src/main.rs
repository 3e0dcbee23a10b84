//! `inception-site`: PID 1 of the static site's container (bonus): a page about the project,
//! served by nginx on port 8080 inside the stack network and published through the main
//! nginx under `/site/`. Nothing to prepare: it execs nginx; `health` GETs the page.

use std::process::ExitCode;
use std::time::Duration;

use inception_core::cli::Action;
use inception_core::probe::{self, http};
use inception_core::{exit, log, pid1};

/// The service command (the image's CMD).
const SERVICE: &[&str] = &[
    "nginx",
    "-c",
    "/etc/inception/site.conf",
    "-g",
    "daemon off;",
];

fn main() -> ExitCode {
    log::init();
    exit::main("inception-site", || {
        let args = std::env::args().skip(1).collect();
        match Action::parse(args, |a| a == "nginx", SERVICE) {
            Action::Health(args) => probe::health(&args, health),
            Action::Serve(argv) | Action::Other(argv) => Err(pid1::exec(&argv).into()),
        }
    })
}

/// `health`: nginx serves the site's page.
fn health() -> anyhow::Result<String> {
    let status = probe::block_on(http::get(
        "127.0.0.1:8080",
        "site",
        "/",
        Duration::from_secs(3),
    ))??;
    anyhow::ensure!(status == 200, "/ answered {status}");
    Ok("nginx served the site's page".into())
}
