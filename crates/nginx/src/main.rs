//! `inception-nginx`: PID 1 of the nginx container.
//!
//! `entrypoint.rs` is the start-up sequence; `conf.rs` the
//! rendered configuration; `health.rs` the health check.

mod conf;
mod entrypoint;
mod health;

use std::process::ExitCode;

use inception_core::cli::{self, Service};

fn main() -> ExitCode {
    let nginx = |a: &str| a == "nginx";
    // nginx in the foreground, with its default configuration: /etc/nginx/nginx.conf, a link
    // to the one we render (conf::RENDERED), made in the image.
    let command = &["nginx", "-g", "daemon off;"];
    let service = Service::new("inception-nginx", nginx, command, health::check);
    cli::run(&service.upkeep(health::renew).serve(entrypoint::run))
}
