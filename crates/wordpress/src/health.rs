//! `inception-wordpress health`: a real FastCGI request to php-fpm's ping path.

use std::time::Duration;

use inception_core::exit;
use inception_core::probe::fastcgi;

/// php-fpm's address inside the container.
const FPM: &str = "127.0.0.1:9000";
/// The pool's `ping.path` and `ping.response`.
const PING: &str = "/ping";
const PONG: &[u8] = b"pong";

/// Runs the check and prints its verdict on one line.
pub fn run() -> anyhow::Result<u8> {
    let verdict = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(fastcgi::get(FPM, PING, PING, Duration::from_secs(3)));
    Ok(match verdict {
        Ok(r) if r.status == 200 && r.body.trim_ascii() == PONG => {
            println!("healthy: php-fpm answered {PING} with pong");
            exit::OK
        }
        Ok(r) => {
            println!(
                "unhealthy: php-fpm answered {PING} with status {}",
                r.status
            );
            exit::FAILURE
        }
        Err(e) => {
            println!("unhealthy: {e:#}");
            exit::FAILURE
        }
    })
}
