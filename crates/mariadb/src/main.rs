//! `inception-mariadb`: PID 1 of the mariadb container.
//!
//! See `cli.rs` for what the arguments mean, `entrypoint.rs` for the start-up sequence and
//! `health.rs` for the health check.

mod bootstrap;
mod cli;
mod datadir;
mod entrypoint;
mod health;
mod settings;

use std::process::ExitCode;

use inception_core::{exit, log};

fn main() -> ExitCode {
    log::init();
    exit::main("inception-mariadb", || {
        cli::run(std::env::args().skip(1).collect())
    })
}
