//! `inception-wordpress`: PID 1 of the wordpress container.
//!
//! `entrypoint.rs` is the start-up sequence; `settings.rs` what it reads; `files.rs`,
//! `wpconfig.rs`, `mail.rs` and `install.rs` its steps. Called as `wp`, it is `wp.rs`, a subset of wp-cli. `health` pings php-fpm's pool over FastCGI.

mod cron;
mod entrypoint;
mod files;
mod install;
mod mail;
mod settings;
mod upgrade;
mod wp;
mod wpconfig;

use std::path::Path;
use std::process::ExitCode;

use inception_core::cli::{self, Service};
use inception_core::probe::fastcgi;

fn main() -> ExitCode {
    // Called as `wp` (/usr/local/bin/wp links here): the wp-cli subset.
    let mut args = std::env::args();
    let argv0 = args.next().unwrap_or_default();
    if Path::new(&argv0).file_name() == Some("wp".as_ref()) {
        return wp::main(args);
    }
    cli::run(&Service {
        name: "inception-wordpress",
        is_program: |a| a.starts_with("php-fpm"),
        // php-fpm in the foreground.
        command: &["php-fpm8.2", "-F"],
        health: fastcgi::local_pool_health,
        upkeep: None,
        serve: Some(entrypoint::run),
    })
}
