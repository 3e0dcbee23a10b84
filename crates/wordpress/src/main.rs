//! The `inception-wordpress` binary: PID 1 of the wordpress container, or `wp` when called
//! by that name (the crate's library does the work).

use std::path::Path;
use std::process::ExitCode;

use inception_core::cli::{self, Service};
use inception_core::probe::fastcgi;
use inception_wordpress::{entrypoint, wp};

fn main() -> ExitCode {
    // Called as `wp` (/usr/local/bin/wp links here): the wp-cli subset.
    let mut args = std::env::args();
    let argv0 = args.next().unwrap_or_default();
    if Path::new(&argv0).file_name() == Some("wp".as_ref()) {
        return wp::main(args);
    }
    let php_fpm = |a: &str| a.starts_with("php-fpm");
    // php-fpm in the foreground; its health is core's FastCGI ping.
    let (command, health) = (&["php-fpm8.2", "-F"], fastcgi::local_pool_health);
    let service = Service::new("inception-wordpress", php_fpm, command, health);
    cli::run(&service.serve(entrypoint::run))
}
