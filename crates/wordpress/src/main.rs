//! `inception-wordpress`: PID 1 of the wordpress container.
//!
//! `entrypoint.rs` is the start-up sequence; `settings.rs` what it reads; `files.rs`,
//! `wpconfig.rs` and `install.rs` its steps. `health` pings php-fpm's pool over FastCGI.

mod entrypoint;
mod files;
mod install;
mod settings;
mod wpconfig;

use std::process::ExitCode;

use inception_core::cli::Action;
use inception_core::probe::{self, fastcgi};
use inception_core::{exit, log, pid1};

/// The service command (the image's CMD): php-fpm in the foreground.
pub const SERVICE: &[&str] = &["php-fpm8.2", "-F"];

fn main() -> ExitCode {
    log::init();
    exit::main("inception-wordpress", || {
        let args = std::env::args().skip(1).collect();
        match Action::parse(args, |a| a.starts_with("php-fpm"), SERVICE) {
            Action::Health(args) => probe::health(&args, fastcgi::local_pool_health),
            Action::Serve(argv) => entrypoint::run(argv),
            Action::Other(argv) => Err(pid1::exec(&argv).into()),
        }
    })
}
