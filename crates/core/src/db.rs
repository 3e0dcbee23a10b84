//! A MariaDB database as the services reach it (an account on a server, over TCP or a Unix
//! socket): connections, queries, the client command line, and waiting until it is ready.
//! The entrypoints, the backups and the health checks use it.

use std::time::Duration;

use anyhow::Context;
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Opts, OptsBuilder};

use crate::retry::Backoff;

/// Where and as whom to connect.
#[derive(Clone)]
pub struct Database {
    /// `host[:port]` (3306 by default) or a Unix socket path (starts with `/`).
    pub address: String,
    /// Account name.
    pub user: String,
    /// Password (never logged).
    pub password: String,
    /// Database to select, if any.
    pub database: Option<String>,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("address", &self.address)
            .field("user", &self.user)
            .field("database", &self.database)
            .finish_non_exhaustive()
    }
}

impl Database {
    /// Host and port of a TCP address; the port defaults to MariaDB's 3306.
    pub fn host_port(&self) -> (String, u16) {
        match self.address.rsplit_once(':') {
            Some((h, p)) => (h.to_owned(), p.parse().unwrap_or(3306)),
            None => (self.address.clone(), 3306),
        }
    }

    /// A MariaDB client program (`mariadb`, `mariadb-dump`, ...) for this target: host,
    /// port and account as arguments, the password in `MYSQL_PWD` (not in `ps`).
    pub fn client_command(&self, program: &str) -> std::process::Command {
        let (host, port) = self.host_port();
        let mut cmd = std::process::Command::new(program);
        cmd.args([
            format!("--host={host}"),
            format!("--port={port}"),
            format!("--user={}", self.user),
        ])
        .env("MYSQL_PWD", &self.password);
        cmd
    }

    fn opts(&self) -> Opts {
        let builder = OptsBuilder::default()
            .user(Some(self.user.clone()))
            .pass(Some(self.password.clone()))
            .db_name(self.database.clone())
            .prefer_socket(false)
            .wait_timeout(Some(60));
        let builder = if self.address.starts_with('/') {
            builder.socket(Some(self.address.clone()))
        } else {
            let (host, port) = self.host_port();
            builder.ip_or_hostname(host).tcp_port(port)
        };
        builder.into()
    }

    /// Opens a connection, giving up after `timeout`.
    pub async fn connect(&self, timeout: Duration) -> anyhow::Result<Conn> {
        tokio::time::timeout(timeout, Conn::new(self.opts()))
            .await
            .map_err(|_| anyhow::anyhow!("connecting to {} timed out", self.address))?
            .with_context(|| format!("cannot connect to {} as {}", self.address, self.user))
    }

    /// Connects and runs `query`, which must return one row with one column.
    pub async fn query_one(&self, query: &str, timeout: Duration) -> anyhow::Result<String> {
        let mut conn = self.connect(timeout).await?;
        let value: Option<String> = tokio::time::timeout(timeout, conn.query_first(query))
            .await
            .map_err(|_| anyhow::anyhow!("query on {} timed out", self.address))?
            .with_context(|| format!("query on {} failed", self.address))?;
        let _ = conn.disconnect().await;
        value.with_context(|| format!("query on {} returned no row", self.address))
    }

    /// Connects and runs `query`; returns the first column of every row.
    pub async fn query_column(
        &self,
        query: &str,
        timeout: Duration,
    ) -> anyhow::Result<Vec<String>> {
        let mut conn = self.connect(timeout).await?;
        let rows: Vec<String> = tokio::time::timeout(timeout, conn.query(query))
            .await
            .map_err(|_| anyhow::anyhow!("query on {} timed out", self.address))?
            .with_context(|| format!("query on {} failed", self.address))?;
        let _ = conn.disconnect().await;
        Ok(rows)
    }

    /// Connects and runs `statement`, which returns no rows.
    pub async fn execute(&self, statement: &str, timeout: Duration) -> anyhow::Result<()> {
        let mut conn = self.connect(timeout).await?;
        tokio::time::timeout(timeout, conn.query_drop(statement))
            .await
            .map_err(|_| anyhow::anyhow!("statement on {} timed out", self.address))?
            .with_context(|| format!("statement on {} failed", self.address))?;
        let _ = conn.disconnect().await;
        Ok(())
    }

    /// Waits until a connection succeeds, retrying with `backoff`.
    pub async fn wait_ready(&self, backoff: Backoff) -> anyhow::Result<()> {
        let per_attempt = Duration::from_secs(5).min(backoff.timeout);
        backoff
            .retry(|| async {
                let conn = self.connect(per_attempt).await?;
                let _ = conn.disconnect().await;
                Ok::<(), anyhow::Error>(())
            })
            .await
            .with_context(|| {
                format!(
                    "database at {} not ready after {:?}",
                    self.address, backoff.timeout
                )
            })
    }
}
