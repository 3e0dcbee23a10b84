//! A MariaDB database as the services reach it (an account on a server, over TCP or a Unix
//! socket): connections, queries, the client command line, and waiting until it is ready.
//! The entrypoints, the backups and the health checks use it.

use std::future::Future;
use std::time::Duration;

use anyhow::Context;
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Opts, OptsBuilder};

use crate::config::Secret;
use crate::retry::Backoff;
use crate::rt::Runtime;

/// Where and as whom to connect.
#[derive(Debug, Clone)]
pub struct Database {
    /// `host[:port]` (3306 by default) or a Unix socket path (starts with `/`).
    pub address: String,
    /// Account name.
    pub user: String,
    /// Password.
    pub password: Secret,
    /// Database to select, if any.
    pub database: Option<String>,
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
        .env("MYSQL_PWD", self.password.expose());
        cmd
    }

    fn opts(&self) -> Opts {
        let builder = OptsBuilder::default()
            .user(Some(self.user.clone()))
            .pass(Some(self.password.expose()))
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
        let value: Option<String> = self
            .on_connection("query", timeout, async |conn| conn.query_first(query).await)
            .await?;
        value.with_context(|| format!("query on {} returned no row", self.address))
    }

    /// Connects and runs `query`; returns the first column of every row.
    pub async fn query_column(
        &self,
        query: &str,
        timeout: Duration,
    ) -> anyhow::Result<Vec<String>> {
        self.on_connection("query", timeout, async |conn| conn.query(query).await)
            .await
    }

    /// Connects and runs `statement`, which returns no rows.
    pub async fn execute(&self, statement: &str, timeout: Duration) -> anyhow::Result<()> {
        self.on_connection("statement", timeout, async |conn| {
            conn.query_drop(statement).await
        })
        .await
    }

    /// Connects, does `work` (a `what`: query, statement) within `timeout`, disconnects.
    async fn on_connection<T>(
        &self,
        what: &str,
        timeout: Duration,
        work: impl AsyncFnOnce(&mut Conn) -> mysql_async::Result<T>,
    ) -> anyhow::Result<T> {
        let mut conn = self.connect(timeout).await?;
        let result = tokio::time::timeout(timeout, work(&mut conn))
            .await
            .map_err(|_| anyhow::anyhow!("{what} on {} timed out", self.address))?
            .with_context(|| format!("{what} on {} failed", self.address))?;
        let _ = conn.disconnect().await;
        Ok(result)
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

    /// This database for synchronous code: see [`Blocking`].
    pub fn blocking(self) -> anyhow::Result<Blocking> {
        Ok(Blocking {
            runtime: Runtime::new()?,
            database: self,
        })
    }
}

/// A [`Database`] with the runtime its queries run on, built once for as many queries as
/// the synchronous caller makes (an entrypoint's setup, an upgrade's checks).
#[derive(Debug)]
pub struct Blocking {
    database: Database,
    runtime: Runtime,
}

impl Blocking {
    /// Where and as whom it connects.
    pub fn database(&self) -> &Database {
        &self.database
    }

    /// Runs other async work on the same runtime (work that holds a connection).
    pub fn run<T, E>(&self, future: impl Future<Output = Result<T, E>>) -> anyhow::Result<T>
    where
        E: Into<anyhow::Error>,
    {
        self.runtime.run(future)
    }

    /// [`Database::query_one`].
    pub fn query_one(&self, query: &str, timeout: Duration) -> anyhow::Result<String> {
        self.run(self.database.query_one(query, timeout))
    }

    /// [`Database::query_column`].
    pub fn query_column(&self, query: &str, timeout: Duration) -> anyhow::Result<Vec<String>> {
        self.run(self.database.query_column(query, timeout))
    }

    /// [`Database::execute`].
    pub fn execute(&self, statement: &str, timeout: Duration) -> anyhow::Result<()> {
        self.run(self.database.execute(statement, timeout))
    }

    /// [`Database::wait_ready`].
    pub fn wait_ready(&self, backoff: Backoff) -> anyhow::Result<()> {
        self.run(self.database.wait_ready(backoff))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Database {
        Database {
            address: "mariadb".into(),
            user: "wp".into(),
            password: Secret::new("hunter2"),
            database: Some("wordpress".into()),
        }
    }

    #[test]
    fn the_password_goes_to_the_client_only() {
        let db = db();
        assert!(!format!("{db:?}").contains("hunter2"), "{db:?}");
        let cmd = db.client_command("mariadb");
        let args: Vec<_> = cmd.get_args().map(|a| a.to_string_lossy()).collect();
        assert_eq!(args, ["--host=mariadb", "--port=3306", "--user=wp"]);
        let pwd = cmd
            .get_envs()
            .find(|(k, _)| *k == "MYSQL_PWD")
            .and_then(|(_, v)| v);
        assert_eq!(pwd, Some(std::ffi::OsStr::new("hunter2")));
    }

    #[test]
    fn an_unreachable_server_is_an_error_within_the_timeout() {
        let db = Database {
            address: "127.0.0.1:1".into(),
            ..db()
        }
        .blocking()
        .unwrap();
        let err = db
            .query_one("SELECT 1", Duration::from_secs(2))
            .unwrap_err();
        assert!(
            format!("{err:#}").contains("cannot connect to 127.0.0.1:1 as wp"),
            "{err:#}"
        );
    }
}
