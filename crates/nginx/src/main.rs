//! `inception-nginx`: PID 1 of the nginx container.
//!
//! `entrypoint.rs` is the start-up sequence; `conf.rs` the
//! rendered configuration; `health.rs` the health check.

mod conf;
mod entrypoint;
mod health;

use std::process::ExitCode;

use inception_core::cli::Action;
use inception_core::{exit, log, pid1, probe};

/// The service command (the image's CMD): nginx in the foreground with our config.
pub const SERVICE: &[&str] = &["nginx", "-c", conf::RENDERED, "-g", "daemon off;"];

fn main() -> ExitCode {
    log::init();
    exit::main("inception-nginx", || {
        let args = std::env::args().skip(1).collect();
        match Action::parse(args, |a| a == "nginx", SERVICE) {
            Action::Health(args) => probe::health(&args, health::run),
            Action::Serve(argv) => entrypoint::run(argv),
            Action::Other(argv) => Err(pid1::exec(&argv).into()),
        }
    })
}
