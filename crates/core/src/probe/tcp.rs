//! TCP connect probe.

use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpStream;

/// Connects to `addr` (`host:port`) within `timeout`.
pub async fn connect(addr: &str, timeout: Duration) -> anyhow::Result<TcpStream> {
    tokio::time::timeout(timeout, TcpStream::connect(addr))
        .await
        .map_err(|_| anyhow::anyhow!("connecting to {addr} timed out after {timeout:?}"))?
        .with_context(|| format!("cannot connect to {addr}"))
}
