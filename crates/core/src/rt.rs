//! The one way our synchronous binaries run async code (probes, database clients): a
//! single-threaded tokio runtime, built once for a check or for a long-lived handle such as
//! [`crate::db::Blocking`], on which fallible futures run to their result.

use std::future::Future;

/// A single-threaded runtime with timers and I/O.
pub struct Runtime(tokio::runtime::Runtime);

impl Runtime {
    /// Builds the runtime.
    pub fn new() -> anyhow::Result<Runtime> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| anyhow::anyhow!("cannot start the async runtime: {e}"))?;
        Ok(Runtime(runtime))
    }

    /// Runs `future` to completion and returns its result: the runtime's failure and the
    /// future's are one error.
    pub fn run<T, E>(&self, future: impl Future<Output = Result<T, E>>) -> anyhow::Result<T>
    where
        E: Into<anyhow::Error>,
    {
        self.0.block_on(future).map_err(Into::into)
    }
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Runtime")
    }
}

/// Runs one fallible `future` on a runtime of its own: a binary's single check or request.
pub fn run<T, E>(future: impl Future<Output = Result<T, E>>) -> anyhow::Result<T>
where
    E: Into<anyhow::Error>,
{
    Runtime::new()?.run(future)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_future_runs_to_its_result_with_timers() {
        let rt = Runtime::new().unwrap();
        let slept = rt.run(async {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
            Ok::<_, std::io::Error>(7)
        });
        assert_eq!(slept.unwrap(), 7);
        let err = run(async { Err::<(), _>(anyhow::anyhow!("no answer")) }).unwrap_err();
        assert_eq!(err.to_string(), "no answer");
    }
}
