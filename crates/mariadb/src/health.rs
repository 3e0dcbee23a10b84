//! `inception-mariadb health`: a real query through the server, as the least-privileged
//! health account, on the server's own socket. Prints one line; exit 0 when InnoDB answers.
//! A Galera member's check is [`member`].

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use inception_core::config::{Config, Secret};
use inception_core::db::Database;
use inception_core::rt;

use crate::datadir::{HEALTH_CNF, MARKER};
use crate::galera::{self, Galera, Report};
use crate::paths::{DATADIR, SOCKET};

const QUERY: &str = "SELECT CONCAT(SUPPORT, ' ', @@version) FROM information_schema.ENGINES \
                     WHERE ENGINE = 'InnoDB'";

/// Runs the check; the verdict is what it saw.
pub fn run() -> anyhow::Result<String> {
    rt::run(check())
}

async fn check() -> anyhow::Result<String> {
    if let Some(galera) = Galera::read(&Config::from_env())? {
        return member(&galera).await;
    }
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
        password: Secret::new(option("password").unwrap_or_default()),
        database: None,
    };
    let answer = target.query_one(QUERY, Duration::from_secs(3)).await?;
    match answer.split_once(' ') {
        Some(("YES" | "DEFAULT", version)) => Ok(format!("InnoDB ready, MariaDB {version}")),
        _ => anyhow::bail!("InnoDB not available ({answer})"),
    }
}

/// A Galera member: healthy while it waits for the cluster or syncs (so that its peers can
/// find it: see the module `galera`), and in a primary component once it was; unhealthy when it
/// left it or its server stopped answering.
async fn member(galera: &Galera) -> anyhow::Result<String> {
    let phase = match galera::phase() {
        None => bail!("the entrypoint has not started yet"),
        Some(Report::Waiting(position)) => {
            return Ok(format!(
                "Galera member {} waiting for the cluster (position {position})",
                galera.node
            ));
        }
        Some(phase) => phase,
    };
    let status = galera
        .local_account()
        .query_one(WSREP_STATUS, Duration::from_secs(3))
        .await;
    let status = match (status, &phase) {
        (Ok(status), _) => status,
        (Err(_), Report::Starting) => {
            let sst = Path::new(DATADIR).join("sst_in_progress").exists();
            return Ok(format!(
                "Galera member {} starting{}",
                galera.node,
                if sst {
                    " (state transfer in progress)"
                } else {
                    ""
                }
            ));
        }
        (Err(e), _) => return Err(e),
    };
    let value = |name: &str| {
        status
            .split(' ')
            .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
            .unwrap_or("?")
    };
    let (cluster, state, size) = (
        value("WSREP_CLUSTER_STATUS"),
        value("WSREP_LOCAL_STATE_COMMENT"),
        value("WSREP_CLUSTER_SIZE"),
    );
    match (cluster, &phase) {
        ("Primary", _) => Ok(format!(
            "Galera member {} {state}, cluster of {size}",
            galera.node
        )),
        // Joining takes seconds (a state transfer is its own case, above): a member that
        // answers but has not reached the primary component for longer is stuck (Galera
        // leaves a failed incremental transfer so: "node restart required"), and must be
        // restarted, which an unhealthy task on Swarm is.
        (_, Report::Starting) => {
            let since = galera::phase_age().unwrap_or_default();
            if since > JOIN_LIMIT {
                bail!(
                    "Galera member {} has not joined the cluster in {} s ({cluster}, {state}): \
                     it needs a restart",
                    galera.node,
                    since.as_secs()
                );
            }
            Ok(format!(
                "Galera member {} joining ({cluster}, {state})",
                galera.node
            ))
        }
        _ => bail!(
            "Galera member {} left the primary component ({cluster}, {state}, {size} seen)",
            galera.node
        ),
    }
}

/// How long a started member may stay out of the primary component.
const JOIN_LIMIT: Duration = Duration::from_secs(60);

const WSREP_STATUS: &str = "SELECT GROUP_CONCAT(VARIABLE_NAME, '=', VARIABLE_VALUE SEPARATOR ' ') \
     FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME IN \
     ('WSREP_CLUSTER_STATUS', 'WSREP_LOCAL_STATE_COMMENT', 'WSREP_CLUSTER_SIZE')";

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
