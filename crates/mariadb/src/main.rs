//! `inception-mariadb`: PID 1 of the mariadb container.
//!
//! See `inception_core::cli` for what the arguments mean, `entrypoint.rs` for the start-up sequence and
//! `health.rs` for the health check.

use std::process::ExitCode;

use inception_core::cli::{self, Service};
use inception_mariadb::{entrypoint, health};

fn main() -> ExitCode {
    let mariadbd = |a: &str| a == "mariadbd" || a == "mysqld";
    let service = Service::new("inception-mariadb", mariadbd, &["mariadbd"], health::run);
    cli::run(&service.serve(entrypoint::run))
}
