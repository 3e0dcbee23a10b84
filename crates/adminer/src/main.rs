//! `inception-adminer`: PID 1 of the adminer container (bonus): Debian's Adminer on php-fpm,
//! reached through the main nginx under `/adminer/`. Nothing to prepare: it execs php-fpm;
//! `health` sends a FastCGI request to php-fpm's ping path (the probe wordpress uses).

use std::process::ExitCode;

use inception_core::cli::Action;
use inception_core::probe::{self, fastcgi};
use inception_core::{exit, log, pid1};

/// The service command (the image's CMD).
const SERVICE: &[&str] = &["php-fpm8.2", "-F"];

fn main() -> ExitCode {
    log::init();
    exit::main("inception-adminer", || {
        let args = std::env::args().skip(1).collect();
        match Action::parse(args, |a| a.starts_with("php-fpm"), SERVICE) {
            Action::Health(args) => probe::health(&args, fastcgi::local_pool_health),
            Action::Serve(argv) | Action::Other(argv) => Err(pid1::exec(&argv).into()),
        }
    })
}
