//! The one way our synchronous binaries run async code (probes, database clients): a
//! single-threaded tokio runtime for the duration of one future.

/// Runs `future` to completion on a new single-threaded runtime (timers and I/O enabled).
pub fn block_on<F: std::future::Future>(future: F) -> std::io::Result<F::Output> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(future))
}
