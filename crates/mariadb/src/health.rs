//! `inception-mariadb health`: a real query through the server, as the least-privileged
//! health account, on the server's own socket. Prints one line; exit 0 when InnoDB answers.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use inception_core::db::Database;
use inception_core::rt;

use crate::bootstrap::SOCKET;
use crate::datadir::{HEALTH_CNF, MARKER};
use crate::entrypoint::DATADIR;

const QUERY: &str = "SELECT CONCAT(SUPPORT, ' ', @@version) FROM information_schema.ENGINES \
                     WHERE ENGINE = 'InnoDB'";

/// Runs the check; the verdict is what it saw.
pub fn run() -> anyhow::Result<String> {
    rt::block_on(check())?
}

async fn check() -> anyhow::Result<String> {
    // The temporary server of the first start answers too, but is not the service yet.
    if Path::new(DATADIR).join(MARKER).exists() {
        anyhow::bail!("first start in progress");
    }
    let path = Path::new(DATADIR).join(HEALTH_CNF);
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read health credentials {}", path.display()))?;
    let option = |key: &str| option_value(&text, key);
    let target = Database {
        address: option("socket").unwrap_or_else(|| SOCKET.into()),
        user: option("user").context("no user in the health credentials")?,
        password: option("password").unwrap_or_default(),
        database: None,
    };
    let answer = target.query_one(QUERY, Duration::from_secs(3)).await?;
    match answer.split_once(' ') {
        Some(("YES" | "DEFAULT", version)) => Ok(format!("InnoDB ready, MariaDB {version}")),
        _ => anyhow::bail!("InnoDB not available ({answer})"),
    }
}

/// The value of `key` in an option file, unquoted.
fn option_value(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let (k, v) = line.split_once('=')?;
        if k.trim() != key {
            return None;
        }
        let v = v.trim();
        Some(
            match v.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
                Some(inner) => {
                    let mut out = String::new();
                    let mut chars = inner.chars();
                    while let Some(c) = chars.next() {
                        out.push(if c == '\\' {
                            chars.next().unwrap_or('\\')
                        } else {
                            c
                        });
                    }
                    out
                }
                None => v.to_owned(),
            },
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bootstrap::health_cnf;

    #[test]
    fn reads_back_what_the_bootstrap_writes() {
        let cnf = health_cnf(r#"p"w\d"#);
        assert_eq!(option_value(&cnf, "password").as_deref(), Some(r#"p"w\d"#));
        assert_eq!(option_value(&cnf, "user").as_deref(), Some("healthcheck"));
        assert_eq!(option_value("port=3306\n", "port").as_deref(), Some("3306"));
    }
}
