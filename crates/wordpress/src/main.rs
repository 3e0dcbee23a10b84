//! `inception-wordpress`: PID 1 of the wordpress container.
//!
//! `entrypoint.rs` is the start-up sequence; `settings.rs` what it reads; `files.rs`,
//! `wpconfig.rs` and `install.rs` its steps. `health` pings php-fpm's pool over FastCGI.

mod entrypoint;
mod files;
mod install;
mod settings;
mod upgrade;
mod wpconfig;

use std::process::ExitCode;

use inception_core::cli::{self, Service};
use inception_core::probe::fastcgi;

fn main() -> ExitCode {
    cli::run(&Service {
        name: "inception-wordpress",
        is_program: |a| a.starts_with("php-fpm"),
        // php-fpm in the foreground.
        command: &["php-fpm8.2", "-F"],
        health: fastcgi::local_pool_health,
        serve: Some(entrypoint::run),
    })
}
