//! The first start: a new system schema, then our accounts and database on a temporary
//! server that listens only on a private socket, then the user's init scripts.
//!
//! The SQL is built by pure functions (tested below); the steps around them only run
//! programs and send statements.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};
use inception_core::config::Secret;
use inception_core::db::Database;
use inception_core::pid1::{Child, Supervisor};
use inception_core::retry::Backoff;
use inception_core::sql::{account, literal};
use inception_core::template::double_quoted;
use inception_core::user::Account;
use mysql_async::prelude::Queryable;
use nix::sys::signal::Signal;

use crate::paths::{EXPORTER_USER, HEALTH_USER, SOCKET, SST_USER, STEP_LOG, TZINFO_SQL};
use crate::settings::Settings;

/// Hosts the health account may connect from (as in the official image).
const HEALTH_HOSTS: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// Statements that create the monitoring's account (bonus: the mysqld exporter), when
/// `MARIADB_EXPORTER_PASSWORD` is set, or bring an existing one to `password` and these
/// privileges: reachable from the network, with what mysqld_exporter documents it needs and
/// no more (no data of any database but performance_schema's), at most 3 connections. Run at
/// the first start and, as `--init-file`, at every start (see `entrypoint.rs`), so that a
/// database made before the monitoring existed gets it too.
/// `SLAVE MONITOR` is what MariaDB 10.5+ asks for SHOW SLAVE STATUS (REPLICATION CLIENT
/// no longer covers it).
pub fn exporter_sql(password: &str) -> Vec<String> {
    let who = account(EXPORTER_USER, "%");
    let identified = format!(
        "IDENTIFIED BY {} WITH MAX_USER_CONNECTIONS 3",
        literal(password)
    );
    vec![
        "SET @@SESSION.SQL_LOG_BIN = 0".to_owned(),
        format!("CREATE USER IF NOT EXISTS {who} {identified}"),
        format!("ALTER USER {who} {identified}"),
        format!("GRANT PROCESS, REPLICATION CLIENT, SLAVE MONITOR ON *.* TO {who}"),
        format!("GRANT SELECT ON performance_schema.* TO {who}"),
    ]
}

/// Statements that configure a fresh server: root, the application's database and user,
/// the health account, the state transfer account of a Galera cluster (`sst_password`);
/// no anonymous users, no test database.
pub fn setup_sql(
    settings: &Settings,
    root_password: &str,
    health_password: &str,
    sst_password: Option<&str>,
    unwanted: &[(String, String)],
) -> Vec<String> {
    let mut sql = vec!["SET @@SESSION.SQL_LOG_BIN = 0".to_owned()];
    for (user, host) in unwanted {
        sql.push(format!("DROP USER IF EXISTS {}", account(user, host)));
    }
    sql.push(format!(
        "ALTER USER 'root'@'localhost' IDENTIFIED BY {}",
        literal(root_password)
    ));
    if let Some(host) = &settings.root_host {
        let root = account("root", host);
        sql.push(format!(
            "CREATE OR REPLACE USER {root} IDENTIFIED BY {}",
            literal(root_password)
        ));
        sql.push(format!("GRANT ALL ON *.* TO {root} WITH GRANT OPTION"));
        sql.push(format!("GRANT PROXY ON ''@'%' TO {root} WITH GRANT OPTION"));
    }
    sql.push("DROP DATABASE IF EXISTS test".to_owned());
    if let Some(db) = &settings.database {
        sql.push(format!("CREATE DATABASE IF NOT EXISTS {}", db.quoted()));
        if let Some(user) = &settings.user {
            let who = account(&user.name, "%");
            sql.push(format!(
                "CREATE OR REPLACE USER {who} IDENTIFIED BY {}",
                literal(user.password.expose())
            ));
            sql.push(format!(
                "GRANT ALL PRIVILEGES ON {}.* TO {who}",
                db.grant_pattern()
            ));
        }
    } else if let Some(user) = &settings.user {
        let who = account(&user.name, "%");
        sql.push(format!(
            "CREATE OR REPLACE USER {who} IDENTIFIED BY {}",
            literal(user.password.expose())
        ));
    }
    for host in HEALTH_HOSTS {
        sql.push(format!(
            "CREATE OR REPLACE USER {} IDENTIFIED BY {}",
            account(HEALTH_USER, host),
            literal(health_password)
        ));
    }
    if let Some(password) = sst_password {
        // What mariabackup needs on a donor (MariaDB's documentation of the SST method).
        let sst = account(SST_USER, "localhost");
        sql.push(format!(
            "CREATE OR REPLACE USER {sst} IDENTIFIED BY {}",
            literal(password)
        ));
        sql.push(format!(
            "GRANT RELOAD, PROCESS, LOCK TABLES, BINLOG MONITOR ON *.* TO {sst}"
        ));
    }
    sql.push("FLUSH PRIVILEGES".to_owned());
    sql
}

/// Accounts `mariadb-install-db` may create that must not exist: anonymous users and
/// root from anywhere but `localhost` (a remote root is created on request only).
pub fn unwanted_accounts(existing: &[(String, String)]) -> Vec<(String, String)> {
    existing
        .iter()
        .filter(|(user, host)| user.is_empty() || (user == "root" && host != "localhost"))
        .cloned()
        .collect()
}

/// The health check's credentials, in the official image's `.my-healthcheck.cnf` format.
pub fn health_cnf(password: &str) -> String {
    format!(
        "[mariadb-client]\nsocket={SOCKET}\nuser={HEALTH_USER}\npassword={}\nprotocol=socket\n",
        double_quoted(password)
    )
}

/// Runs a noisy program as a step, its output going to the step log (shown on failure).
fn step(sup: &Supervisor, cmd: &mut Command) -> anyhow::Result<()> {
    let log =
        std::fs::File::create(STEP_LOG).with_context(|| format!("cannot create {STEP_LOG}"))?;
    cmd.stdout(log.try_clone()?).stderr(log);
    sup.run(cmd).inspect_err(|_| {
        let out = std::fs::read_to_string(STEP_LOG).unwrap_or_default();
        let tail: Vec<&str> = out.lines().rev().take(15).collect();
        for line in tail.iter().rev() {
            tracing::error!("{line}");
        }
    })
}

/// Creates the system schema in `datadir`, as `mysql`.
pub fn install_db(sup: &Supervisor, datadir: &Path, mysql: &Account) -> anyhow::Result<()> {
    let mut cmd = Command::new("mariadb-install-db");
    cmd.arg(format!("--datadir={}", datadir.display())).args([
        "--rpm",
        "--auth-root-authentication-method=normal",
        "--skip-test-db",
        "--skip-name-resolve",
        "--skip-log-bin",
        "--default-time-zone=SYSTEM",
        "--loose-innodb_buffer_pool_load_at_startup=0",
        "--loose-innodb_buffer_pool_dump_at_shutdown=0",
    ]);
    mysql.apply(&mut cmd);
    step(sup, &mut cmd).context("mariadb-install-db failed")
}

/// A server reachable only through [`SOCKET`], for the first start.
pub struct TempServer {
    child: Child,
    sup: &'static Supervisor,
}

impl TempServer {
    /// Starts it and waits until root can connect (bounded).
    pub async fn start(
        sup: &'static Supervisor,
        datadir: &Path,
        mysql: &Account,
        extra: &[String],
    ) -> anyhow::Result<TempServer> {
        let mut cmd = Command::new("mariadbd");
        cmd.arg(format!("--datadir={}", datadir.display()))
            .args(extra)
            .args([
                "--skip-networking",
                &format!("--socket={SOCKET}"),
                "--skip-log-bin",
                "--loose-innodb_buffer_pool_load_at_startup=0",
                "--loose-innodb_buffer_pool_dump_at_shutdown=0",
            ])
            .stdin(Stdio::null());
        mysql.apply(&mut cmd);
        let child = sup
            .spawn(&mut cmd)
            .context("cannot start the temporary mariadbd")?;
        let server = TempServer { child, sup };
        let root = server.root("");
        Backoff::with_timeout(Duration::from_secs(60))
            .retry(|| async {
                if let Some(status) = sup.try_wait(child) {
                    bail!("the temporary mariadbd {status} before accepting connections");
                }
                let conn = root.connect(Duration::from_secs(2)).await?;
                let _ = conn.disconnect().await;
                Ok(())
            })
            .await
            .context("the temporary server did not start")?;
        Ok(server)
    }

    /// Root's connection target on the private socket.
    pub fn root(&self, password: &str) -> Database {
        Database {
            address: SOCKET.into(),
            user: "root".into(),
            password: Secret::new(password),
            database: None,
        }
    }

    /// Runs `statements` in order on one connection as root.
    pub async fn execute(&self, password: &str, statements: &[String]) -> anyhow::Result<()> {
        let mut conn = self.root(password).connect(Duration::from_secs(10)).await?;
        for (i, statement) in statements.iter().enumerate() {
            // The statement itself may hold a password: report only its number and verb.
            let verb: String = statement
                .split_whitespace()
                .take(2)
                .collect::<Vec<_>>()
                .join(" ");
            conn.query_drop(statement)
                .await
                .with_context(|| format!("setup statement {} ({verb} ...) failed", i + 1))?;
        }
        let _ = conn.disconnect().await;
        Ok(())
    }

    /// Existing accounts, as (user, host).
    pub async fn accounts(&self) -> anyhow::Result<Vec<(String, String)>> {
        let mut conn = self.root("").connect(Duration::from_secs(10)).await?;
        let rows: Vec<(String, String)> = conn
            .query("SELECT User, Host FROM mysql.user")
            .await
            .context("cannot list accounts")?;
        let _ = conn.disconnect().await;
        Ok(rows)
    }

    /// Feeds an SQL file to the `mariadb` client as root (DELIMITER and friends work).
    pub fn source(
        &self,
        file: &Path,
        root_password: &str,
        database: Option<&str>,
    ) -> anyhow::Result<()> {
        let input =
            std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
        let mut cmd = client(root_password);
        if let Some(db) = database {
            cmd.arg(format!("--database={db}"));
        }
        cmd.stdin(input);
        step(self.sup, &mut cmd).with_context(|| format!("{} failed", file.display()))
    }

    /// Stops the server cleanly and waits for it.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.sup
            .signal(self.child, Signal::SIGTERM)
            .context("cannot stop the temporary mariadbd (is CAP_KILL granted?)")?;
        let status = self.sup.wait_async(self.child).await;
        if !status.success() {
            bail!("the temporary mariadbd {status} on shutdown");
        }
        Ok(())
    }
}

/// A `mariadb` client command connected as root to the temporary server. The password goes
/// through the environment, which only root and the child itself can read.
pub fn client(root_password: &str) -> Command {
    let mut cmd = Command::new("mariadb");
    cmd.args([
        "--protocol=socket",
        &format!("--socket={SOCKET}"),
        "--user=root",
    ])
    .env("MYSQL_PWD", root_password);
    cmd
}

/// Loads the time zone tables from the system's zoneinfo, if there is one.
pub fn load_tzinfo(server: &TempServer, root_password: &str) -> anyhow::Result<()> {
    let zoneinfo = Path::new("/usr/share/zoneinfo");
    if !zoneinfo.is_dir() {
        tracing::info!("no /usr/share/zoneinfo: time zone tables not loaded");
        return Ok(());
    }
    let sql = Path::new(TZINFO_SQL);
    let out =
        std::fs::File::create(sql).with_context(|| format!("cannot create {}", sql.display()))?;
    let mut cmd = Command::new("mariadb-tzinfo-to-sql");
    cmd.arg(zoneinfo).stdout(out).stderr(Stdio::null());
    server
        .sup
        .run(&mut cmd)
        .context("mariadb-tzinfo-to-sql failed")?;
    server.source(sql, root_password, Some("mysql"))?;
    let _ = std::fs::remove_file(sql);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::{RootPassword, User};

    fn settings() -> Settings {
        Settings {
            root: RootPassword::Given("r".into()),
            root_host: None,
            database: Some(inception_core::sql::Identifier::new("my_db").unwrap()),
            user: Some(User {
                name: "o'neil".into(),
                password: "p\\'\"$% é".into(),
            }),
            skip_tzinfo: true,
        }
    }

    #[test]
    fn setup_creates_database_user_and_health_account_with_escaping() {
        let sql = setup_sql(&settings(), "r'", "h", None, &[]).join(";\n");
        assert!(
            sql.contains("ALTER USER 'root'@'localhost' IDENTIFIED BY 'r\\''"),
            "{sql}"
        );
        assert!(sql.contains("CREATE DATABASE IF NOT EXISTS `my_db`"));
        assert!(
            sql.contains("CREATE OR REPLACE USER 'o\\'neil'@'%' IDENTIFIED BY 'p\\\\\\'\\\"$% é'"),
            "{sql}"
        );
        assert!(
            sql.contains("GRANT ALL PRIVILEGES ON `my\\_db`.* TO 'o\\'neil'@'%'"),
            "{sql}"
        );
        assert!(sql.contains("'healthcheck'@'::1'"));
        assert!(sql.contains("DROP DATABASE IF EXISTS test"));
        assert!(!sql.contains("'root'@'%'"), "no remote root unless asked");
    }

    #[test]
    fn remote_root_only_when_asked() {
        let mut s = settings();
        s.root_host = Some("%".into());
        let sql = setup_sql(&s, "r", "h", None, &[]).join("\n");
        assert!(sql.contains("CREATE OR REPLACE USER 'root'@'%' IDENTIFIED BY 'r'"));
        assert!(sql.contains("GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION"));
    }

    #[test]
    fn anonymous_and_remote_root_accounts_are_dropped() {
        let existing = vec![
            ("root".to_string(), "localhost".to_string()),
            ("root".to_string(), "abc123".to_string()),
            ("".to_string(), "localhost".to_string()),
            ("mariadb.sys".to_string(), "localhost".to_string()),
        ];
        assert_eq!(
            unwanted_accounts(&existing),
            vec![
                ("root".to_string(), "abc123".to_string()),
                ("".to_string(), "localhost".to_string())
            ]
        );
    }

    #[test]
    fn option_file_values_are_quoted() {
        assert_eq!(double_quoted(r#"a"b\c#"#), r#""a\"b\\c#""#);
        assert!(health_cnf("x").contains("user=healthcheck\npassword=\"x\"\n"));
    }

    #[test]
    fn the_exporter_account_is_least_privileged_and_escaped() {
        let sql = exporter_sql("p'w\\");
        assert!(
            sql[1]
                .starts_with("CREATE USER IF NOT EXISTS 'exporter'@'%' IDENTIFIED BY 'p\\'w\\\\'"),
            "{}",
            sql[1]
        );
        assert!(sql[2].starts_with("ALTER USER 'exporter'@'%'"));
        assert!(
            sql.iter()
                .all(|s| !s.contains("ALL") && !s.contains("SELECT ON *.*"))
        );
        assert!(sql[4].ends_with("ON performance_schema.* TO 'exporter'@'%'"));
    }
}
