//! The cluster as this member sees it (`GALERA_*`), and what it makes of it: the options
//! `mariadbd` runs with, and the account a member's own checks connect as.

use std::net::IpAddr;

use inception_core::config::{Config, ConfigError, Secret, Source};
use inception_core::db::Database;
use inception_core::template::double_quoted;

use super::position::Position;
use crate::paths::{SOCKET, SST_USER};

/// Galera's library.
const PROVIDER: &str = "/usr/lib/galera/libgalera_smm.so";

/// The cluster, as this member sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Galera {
    /// Every member's host name, in order (the first one creates the database).
    pub members: Vec<String>,
    /// This member's name: one of `members`.
    pub node: String,
    /// Galera's cluster name (members of another name are refused).
    pub cluster: String,
    /// The password of [`SST_USER`].
    pub sst_password: Secret,
}

impl Galera {
    /// Reads `GALERA_MEMBERS` (comma-separated host names), `GALERA_NODE_NAME`,
    /// `GALERA_CLUSTER_NAME` (default `inception`) and `GALERA_SST_PASSWORD` (or `_FILE`).
    /// None when `GALERA_MEMBERS` is not set: a single server.
    pub fn read<S: Source>(cfg: &Config<S>) -> Result<Option<Galera>, ConfigError> {
        let Some(list) = cfg.optional(&["GALERA_MEMBERS"])? else {
            return Ok(None);
        };
        let members: Vec<String> = list
            .split(',')
            .map(|m| m.trim().to_owned())
            .filter(|m| !m.is_empty())
            .collect();
        if members.is_empty() {
            return Err(ConfigError::invalid("GALERA_MEMBERS", "no member named"));
        }
        if let Some(bad) = members.iter().find(|m| !is_host_name(m)) {
            return Err(ConfigError::invalid(
                "GALERA_MEMBERS",
                format!("{bad:?} is not a host name"),
            ));
        }
        let node = cfg.required(&["GALERA_NODE_NAME"])?;
        if !members.contains(&node) {
            return Err(ConfigError::invalid(
                "GALERA_NODE_NAME",
                format!(
                    "{node:?} is not one of GALERA_MEMBERS ({})",
                    members.join(",")
                ),
            ));
        }
        let cluster = cfg.or(&["GALERA_CLUSTER_NAME"], "inception")?;
        if !cluster
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(ConfigError::invalid(
                "GALERA_CLUSTER_NAME",
                "use letters, digits, - and _",
            ));
        }
        let sst_password = cfg.secret(&["GALERA_SST_PASSWORD"])?;
        Ok(Some(Galera {
            members,
            node,
            cluster,
            sst_password,
        }))
    }

    /// The other members.
    pub(super) fn peers(&self) -> impl Iterator<Item = &String> {
        self.members.iter().filter(|m| **m != self.node)
    }

    /// Where this member is in `members`.
    pub(super) fn index(&self, name: &str) -> usize {
        self.members
            .iter()
            .position(|m| m == name)
            .unwrap_or(usize::MAX)
    }

    /// The options file for `mariadbd`: Galera on, this member's names and addresses, the
    /// settings Galera requires (row-based replication, interleaved auto-increment locks).
    /// `peers`: the addresses to contact (empty when bootstrapping); `address`: this
    /// member's address on the members' network, if known; `position`: where its data
    /// stands, so that a member that crashed receives only what it misses (IST).
    pub fn options(
        &self,
        peers: &[IpAddr],
        address: Option<IpAddr>,
        position: Option<&Position>,
    ) -> String {
        let peers: Vec<String> = peers.iter().map(IpAddr::to_string).collect();
        let mut cnf = format!(
            "[mariadbd]\n\
             wsrep_on=ON\n\
             wsrep_provider={PROVIDER}\n\
             wsrep_cluster_name={}\n\
             wsrep_cluster_address=gcomm://{}\n\
             wsrep_node_name={}\n\
             wsrep_sst_method=mariabackup\n\
             wsrep_sst_auth={}\n\
             # The entrypoint decides who bootstraps (galera/decide.rs); Galera's own recovery of\n\
             # the last primary component would race with it. The write-set cache starts\n\
             # empty: after a crash of every member, galera-4 26.4.23 (bookworm) served\n\
             # incremental transfers from its recovered cache that stopped short (\"IST\n\
             # didn't contain all write sets\", fixed in 26.4.27); a member that missed\n\
             # writes then receives a full copy (mariabackup) instead.\n\
             wsrep_provider_options=\"pc.recovery=FALSE;gcache.recover=no\"\n\
             binlog_format=ROW\n\
             innodb_autoinc_lock_mode=2\n\
             default_storage_engine=InnoDB\n",
            self.cluster,
            peers.join(","),
            self.node,
            double_quoted(&format!("{SST_USER}:{}", self.sst_password.expose())),
        );
        if let Some(address) = address {
            cnf.push_str(&format!("wsrep_node_address={address}\n"));
        }
        if let Some(position) = position.filter(|p| p.is_some() && p.seqno >= 0) {
            cnf.push_str(&format!("wsrep_start_position={position}\n"));
        }
        cnf
    }

    /// The SST account's connection on the server's socket (the health check's, too).
    pub fn local_account(&self) -> Database {
        Database {
            address: SOCKET.into(),
            user: SST_USER.into(),
            password: self.sst_password.clone(),
            database: None,
        }
    }
}

/// Letters, digits, `-` and `.`, as in a DNS name.
fn is_host_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pairs: &[(&str, &str)]) -> Result<Option<Galera>, ConfigError> {
        Galera::read(&Config::from_pairs(pairs))
    }

    #[test]
    fn settings_name_what_is_wrong() {
        assert_eq!(read(&[]).unwrap(), None);
        let members = ("GALERA_MEMBERS", "db1, db2,db3");
        let err = read(&[members]).unwrap_err().to_string();
        assert!(err.starts_with("GALERA_NODE_NAME is required"), "{err}");
        let err = read(&[members, ("GALERA_NODE_NAME", "db4")])
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("GALERA_NODE_NAME is invalid"), "{err}");
        let err = read(&[members, ("GALERA_NODE_NAME", "db2")])
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("GALERA_SST_PASSWORD is required"), "{err}");
        let err = read(&[("GALERA_MEMBERS", "db1,d b2")])
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("GALERA_MEMBERS is invalid"), "{err}");
        let g = read(&[
            members,
            ("GALERA_NODE_NAME", "db2"),
            ("GALERA_SST_PASSWORD", "s\"x"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(g.members, ["db1", "db2", "db3"]);
        assert_eq!(g.cluster, "inception");
        assert_eq!(g.peers().collect::<Vec<_>>(), ["db1", "db3"]);
        let cnf = g.options(
            &["10.0.0.3".parse().unwrap()],
            None,
            Some(&Position {
                uuid: "u".into(),
                seqno: 7,
                safe_to_bootstrap: false,
            }),
        );
        assert!(cnf.contains("wsrep_cluster_address=gcomm://10.0.0.3\n"));
        assert!(
            cnf.contains(r#"wsrep_sst_auth="mariabackup:s\"x""#),
            "{cnf}"
        );
    }
}
