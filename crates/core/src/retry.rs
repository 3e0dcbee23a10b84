//! Bounded waiting with exponential backoff.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

/// How long and how often to retry.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    /// First pause between attempts.
    pub initial: Duration,
    /// Longest pause between attempts.
    pub max: Duration,
    /// Give up after this long.
    pub timeout: Duration,
}

impl Backoff {
    /// A backoff that starts at 25 ms, doubles up to 250 ms, and gives up after `timeout`.
    /// What we wait for is local (a server starting in a container next door) and a failed
    /// attempt costs well under a millisecond: short pauses let the waiter go on within
    /// 250 ms of the server being ready, which matters for a whole stack's start.
    pub fn with_timeout(timeout: Duration) -> Self {
        Backoff {
            initial: Duration::from_millis(25),
            max: Duration::from_millis(250),
            timeout,
        }
    }

    /// Pauses for attempt number `n` (0-based).
    pub fn delay(&self, n: u32) -> Duration {
        self.initial
            .saturating_mul(2u32.saturating_pow(n.min(16)))
            .min(self.max)
    }

    /// Calls `attempt` until it succeeds or the timeout passes, and returns the last error.
    /// Each attempt must bound its own duration (a connect timeout, say).
    pub async fn retry<T, E, F, Fut>(&self, mut attempt: F) -> Result<T, E>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let deadline = Instant::now() + self.timeout;
        let mut n = 0;
        loop {
            match attempt().await {
                Ok(v) => return Ok(v),
                Err(e) => {
                    let pause = self.delay(n);
                    if Instant::now() + pause >= deadline {
                        return Err(e);
                    }
                    tokio::time::sleep(pause).await;
                    n += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_and_cap() {
        let b = Backoff::with_timeout(Duration::from_secs(5));
        assert_eq!(b.delay(0), Duration::from_millis(25));
        assert_eq!(b.delay(1), Duration::from_millis(50));
        assert_eq!(b.delay(10), Duration::from_millis(250));
    }

    #[tokio::test(flavor = "current_thread", start_paused = true)]
    async fn gives_up_after_the_timeout_with_the_last_error() {
        let b = Backoff::with_timeout(Duration::from_secs(3));
        let mut calls = 0;
        let r: Result<(), u32> = b
            .retry(|| {
                calls += 1;
                let c = calls;
                async move { Err(c) }
            })
            .await;
        assert!(r.unwrap_err() > 3);
    }
}
