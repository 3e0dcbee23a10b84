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
    cli::run(&Service {
        name: "inception-nginx",
        is_program: |a| a == "nginx",
        // nginx in the foreground with our configuration.
        command: &["nginx", "-c", conf::RENDERED, "-g", "daemon off;"],
        health: health::run,
        serve: Some(entrypoint::run),
    })
}
