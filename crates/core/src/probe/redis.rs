//! Redis probe: AUTH (when a password is given), then PING, in RESP.

use std::time::Duration;

use anyhow::{Context, bail};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use super::tcp;

/// A RESP command from its arguments (bulk strings, so any byte is safe).
pub fn command(args: &[&str]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Sends one command (after AUTH when `password` is given) and returns the first line of
/// the reply, e.g. `+PONG` or `+OK`.
pub async fn call(
    addr: &str,
    password: Option<&str>,
    args: &[&str],
    timeout: Duration,
) -> anyhow::Result<String> {
    tokio::time::timeout(timeout, async {
        let stream = tcp::connect(addr, timeout).await?;
        let mut stream = BufReader::new(stream);
        let mut line = String::new();
        if let Some(pw) = password {
            stream.get_mut().write_all(&command(&["AUTH", pw])).await?;
            stream.read_line(&mut line).await?;
            if line.trim_end() != "+OK" {
                bail!("AUTH refused: {}", line.trim_end());
            }
            line.clear();
        }
        stream.get_mut().write_all(&command(args)).await?;
        stream.read_line(&mut line).await.context("no answer")?;
        Ok(line.trim_end().to_owned())
    })
    .await
    .map_err(|_| anyhow::anyhow!("redis at {addr} did not answer within {timeout:?}"))?
}

/// Authenticates if `password` is given and expects `+PONG` to a PING.
pub async fn ping(addr: &str, password: Option<&str>, timeout: Duration) -> anyhow::Result<String> {
    match call(addr, password, &["PING"], timeout).await?.as_str() {
        "+PONG" => Ok(format!("redis at {addr} answered PONG")),
        other => bail!("redis at {addr} answered {other:?} to PING"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_bulk_strings() {
        assert_eq!(
            command(&["AUTH", "p w"]),
            b"*2\r\n$4\r\nAUTH\r\n$3\r\np w\r\n"
        );
    }
}
