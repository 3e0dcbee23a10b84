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

/// Connects to `addr` and returns the first line the server sends (a greeting banner).
pub async fn banner(addr: &str, timeout: Duration) -> anyhow::Result<String> {
    use tokio::io::AsyncBufReadExt;
    tokio::time::timeout(timeout, async {
        let stream = connect(addr, timeout).await?;
        let mut line = String::new();
        tokio::io::BufReader::new(stream)
            .read_line(&mut line)
            .await
            .with_context(|| format!("no banner from {addr}"))?;
        Ok(line.trim_end().to_owned())
    })
    .await
    .map_err(|_| anyhow::anyhow!("no banner from {addr} within {timeout:?}"))?
}
