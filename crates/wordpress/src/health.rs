//! `inception-wordpress health`: a real FastCGI request to php-fpm's ping path.

use std::time::Duration;

use inception_core::probe::{self, fastcgi};

/// Runs the check and prints its verdict on one line.
pub fn run() -> anyhow::Result<u8> {
    let verdict = probe::block_on(fastcgi::ping(
        "127.0.0.1:9000",
        "/ping",
        Duration::from_secs(3),
    ))?;
    Ok(probe::report(verdict))
}
