//! Checks of a service by its own protocol, used by the `health` subcommands and by
//! entrypoints waiting for their dependencies. Each returns a one-line description of what
//! it saw, or an error saying what failed; [`report`] turns that into a `health` verdict.

/// Prints a `health` verdict on one line and returns its exit code: `healthy: ...` and 0,
/// or `unhealthy: <reason with its causes>` and 1.
pub fn report(verdict: anyhow::Result<String>) -> u8 {
    match verdict {
        Ok(line) => {
            println!("healthy: {line}");
            crate::exit::OK
        }
        Err(e) => {
            println!("unhealthy: {e:#}");
            crate::exit::FAILURE
        }
    }
}

/// Runs an async probe to completion on a small runtime (the `health` subcommands are
/// synchronous binaries).
pub fn block_on<F: std::future::Future>(probe: F) -> std::io::Result<F::Output> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(probe))
}

pub mod fastcgi;
pub mod http;
pub mod mysql;
pub mod redis;
pub mod tcp;
pub mod tls;
