//! `inception-nginx`: PID 1 of the nginx container.
//!
//! `entrypoint.rs` is the start-up sequence; `conf.rs` the
//! rendered configuration; `htpasswd.rs` the password file of `/prometheus/`; `health.rs`
//! the health check.

mod conf;
mod entrypoint;
mod health;
mod htpasswd;

use std::process::ExitCode;

use inception_core::cli::{self, Service};

fn main() -> ExitCode {
    cli::run(&Service {
        name: "inception-nginx",
        is_program: |a| a == "nginx",
        // nginx in the foreground, with its default configuration: /etc/nginx/nginx.conf,
        // a link to the one we render (conf::RENDERED), made in the image.
        command: &["nginx", "-g", "daemon off;"],
        health: health::check,
        upkeep: Some(health::renew),
        serve: Some(entrypoint::run),
    })
}
