//! Command line: `health`, or the server (`mariadbd`/`mysqld`, or options for it), or any
//! other command to run instead (see `inception_core::cli`).

use inception_core::cli::Action;
use inception_core::{pid1, probe};

use crate::{entrypoint, health};

/// Runs what the arguments ask for; returns the exit code when it does not exec.
pub fn run(args: Vec<String>) -> anyhow::Result<u8> {
    match Action::parse(args, |a| a == "mariadbd" || a == "mysqld", &["mariadbd"]) {
        Action::Health(args) => probe::health(&args, health::run),
        Action::Serve(argv) => entrypoint::run(argv),
        Action::Other(argv) => Err(pid1::exec(&argv).into()),
    }
}
