//! `inception-adminer`: PID 1 of the adminer container (bonus): Debian's Adminer on php-fpm,
//! reached through the main nginx under `/adminer/`. Nothing to prepare: it runs php-fpm;
//! `health` sends a FastCGI request to php-fpm's ping path (the probe wordpress uses).

use std::process::ExitCode;

use inception_core::cli::{self, Service};
use inception_core::probe::fastcgi;

fn main() -> ExitCode {
    let php_fpm = |a: &str| a.starts_with("php-fpm");
    let (command, health) = (&["php-fpm8.2", "-F"], fastcgi::local_pool_health);
    cli::run(&Service::new("inception-adminer", php_fpm, command, health))
}
