//! `inception-mariadb`: PID 1 of the mariadb container.
//!
//! See `inception_core::cli` for what the arguments mean, `entrypoint.rs` for the start-up sequence and
//! `health.rs` for the health check.

use std::process::ExitCode;

use inception_core::cli::{self, Service};
use inception_mariadb::{entrypoint, health};

fn main() -> ExitCode {
    cli::run(&Service {
        name: "inception-mariadb",
        is_program: |a| a == "mariadbd" || a == "mysqld",
        command: &["mariadbd"],
        health: health::run,
        upkeep: None,
        serve: Some(entrypoint::run),
    })
}
