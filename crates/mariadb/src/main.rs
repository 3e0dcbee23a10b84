//! `inception-mariadb`: PID 1 of the mariadb container.
//!
//! See `inception_core::cli` for what the arguments mean, `entrypoint.rs` for the start-up sequence and
//! `health.rs` for the health check.

mod bootstrap;
mod datadir;
mod entrypoint;
mod galera;
mod health;
mod settings;

use std::process::ExitCode;

use inception_core::cli::{self, Service};

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
