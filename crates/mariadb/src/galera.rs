//! A Galera cluster member's life cycle, when `GALERA_MEMBERS` is set.
//!
//! Galera itself replicates; what it leaves to whoever starts the servers is deciding which
//! member starts a new cluster (bootstraps) and which ones join: bootstrapping two members
//! splits the cluster in two, bootstrapping the wrong one loses the transactions only the
//! others had. The entrypoint decides it the same way for every start, first or not:
//!
//! 1. It learns its own position: the data directory's `grastate.dat` (cluster id, last
//!    committed transaction, `safe_to_bootstrap`), or, after a crash (`seqno: -1`), what
//!    `mariadbd --wsrep-recover` finds in InnoDB. An empty data directory has no position.
//! 2. It tells its position to the other members, on [`STATE_PORT`] (one line: see
//!    [`Report`]), and asks them for theirs.
//! 3. If one of them runs in a primary component, it joins (the cluster sends what it misses,
//!    by IST, or by SST with mariabackup).
//! 4. Otherwise it waits until every member reports a position. The member with the highest
//!    position, then `safe_to_bootstrap`, then the first in `GALERA_MEMBERS`, bootstraps:
//!    after the very first start (all empty: the first member, which creates the database),
//!    after a clean stop of all (the last one stopped), after a crash of all (the most
//!    advanced). The others join it.
//!
//! So the cluster comes back by itself after any stop of all members, once all of them are
//! up again; positions from two different clusters are refused, not merged.
//!
//! While it waits or syncs, a member reports healthy, with what it waits for: on Docker Swarm
//! a task is in DNS only once healthy, so a member demanding a synced cluster to be healthy
//! would keep its peers from finding it (see `health.rs`).

use std::io::{BufRead, BufReader, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream, ToSocketAddrs, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, bail};
use inception_core::config::{Config, ConfigError, Source};
use inception_core::db::Database;
use inception_core::pid1::Supervisor;
use inception_core::template::double_quoted;
use inception_core::user::Account;
use inception_core::{fs, galera, rt};

use crate::bootstrap::SOCKET;

/// Where members tell each other their state.
pub use inception_core::galera::STATE_PORT;
/// The account state transfers use (created with the database, replicated to every member);
/// the health check of a member uses it too: its password is the same everywhere.
pub const SST_USER: &str = "mariabackup";
/// The options file the entrypoint writes for `mariadbd` (it holds the SST password).
pub const OPTIONS_FILE: &str = "/run/mysqld/galera.cnf";
/// What the entrypoint is doing, for the health check: see [`Phase`].
pub const PHASE_FILE: &str = "/run/mysqld/galera-phase";
/// Galera's saved state in the data directory.
const GRASTATE: &str = "grastate.dat";
const PROVIDER: &str = "/usr/lib/galera/libgalera_smm.so";
/// Galera's id of "no cluster".
const NO_CLUSTER: &str = "00000000-0000-0000-0000-000000000000";

/// The cluster, as this member sees it.
#[derive(Clone, PartialEq, Eq)]
pub struct Galera {
    /// Every member's host name, in order (the first one creates the database).
    pub members: Vec<String>,
    /// This member's name: one of `members`.
    pub node: String,
    /// Galera's cluster name (members of another name are refused).
    pub cluster: String,
    /// The password of [`SST_USER`].
    pub sst_password: String,
}

impl std::fmt::Debug for Galera {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Galera")
            .field("members", &self.members)
            .field("node", &self.node)
            .field("cluster", &self.cluster)
            .finish_non_exhaustive()
    }
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
        let sst_password = cfg.required(&["GALERA_SST_PASSWORD"])?;
        Ok(Some(Galera {
            members,
            node,
            cluster,
            sst_password,
        }))
    }

    /// The other members.
    fn peers(&self) -> impl Iterator<Item = &String> {
        self.members.iter().filter(|m| **m != self.node)
    }

    /// Where this member is in `members`.
    fn index(&self, name: &str) -> usize {
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
             # The entrypoint decides who bootstraps (galera.rs); Galera's own recovery of\n\
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
            double_quoted(&format!("{SST_USER}:{}", self.sst_password)),
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

/// Where a member's data stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// The cluster's id ([`NO_CLUSTER`] for none).
    pub uuid: String,
    /// The last transaction committed here; -1 for none (or unknown).
    pub seqno: i64,
    /// Galera's flag: this member was the last to leave a cleanly stopped cluster.
    pub safe_to_bootstrap: bool,
}

impl Position {
    /// The position of an empty data directory.
    pub fn none() -> Position {
        Position {
            uuid: NO_CLUSTER.into(),
            seqno: -1,
            safe_to_bootstrap: false,
        }
    }

    /// Reads `grastate.dat` in `datadir`; a missing one is no position.
    pub fn read(datadir: &Path) -> anyhow::Result<Position> {
        let path = datadir.join(GRASTATE);
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Position::parse(&text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Position::none()),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }

    /// `grastate.dat`'s fields (`uuid:`, `seqno:`, `safe_to_bootstrap:`).
    pub fn parse(text: &str) -> Position {
        let mut position = Position::none();
        for line in text.lines() {
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            match key.trim() {
                "uuid" => position.uuid = value.to_owned(),
                "seqno" => position.seqno = value.parse().unwrap_or(-1),
                "safe_to_bootstrap" => position.safe_to_bootstrap = value == "1",
                _ => {}
            }
        }
        position
    }

    /// Whether this member has any data of a cluster.
    pub fn is_some(&self) -> bool {
        self.uuid != NO_CLUSTER
    }
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.uuid, self.seqno)
    }
}

/// What a member says on [`STATE_PORT`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    /// Not started: waiting to know who bootstraps, at this position.
    Waiting(Position),
    /// `mariadbd` started, not yet ready for clients.
    Starting,
    /// In a primary component and synced: others may join, clients may use it.
    Primary,
}

impl Report {
    /// One line: `galera waiting <uuid> <seqno> <safe>`, `galera starting`, `galera primary`.
    pub fn line(&self) -> String {
        match self {
            Report::Waiting(p) => format!(
                "{} waiting {} {} {}\n",
                galera::PREFIX,
                p.uuid,
                p.seqno,
                u8::from(p.safe_to_bootstrap)
            ),
            Report::Starting => format!("{} starting\n", galera::PREFIX),
            Report::Primary => format!("{}\n", galera::READY),
        }
    }

    /// The inverse of [`Report::line`].
    pub fn parse(line: &str) -> Option<Report> {
        if line.trim_end() == galera::READY {
            return Some(Report::Primary);
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            [galera::PREFIX, "starting"] => Some(Report::Starting),
            [galera::PREFIX, "waiting", uuid, seqno, safe] => Some(Report::Waiting(Position {
                uuid: (*uuid).to_owned(),
                seqno: seqno.parse().ok()?,
                safe_to_bootstrap: *safe == "1",
            })),
            _ => None,
        }
    }
}

/// What this member does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// Start a new cluster from this member's data.
    Bootstrap,
    /// Join the members at these addresses.
    Join(Vec<IpAddr>),
}

/// Among members that all wait, the one that bootstraps: the highest position, then
/// `safe_to_bootstrap`, then the first listed. Refuses positions of different clusters.
pub fn choose(positions: &[(usize, Position)]) -> anyhow::Result<usize> {
    let clusters: Vec<&str> = positions
        .iter()
        .filter(|(_, p)| p.is_some())
        .map(|(_, p)| p.uuid.as_str())
        .collect();
    if clusters.windows(2).any(|w| w[0] != w[1]) {
        bail!(
            "the members hold data of different clusters ({}); refusing to choose one: \
             empty the data directory of the members that should join",
            clusters.join(", ")
        );
    }
    positions
        .iter()
        .max_by_key(|(i, p)| (p.seqno, p.safe_to_bootstrap, std::cmp::Reverse(*i)))
        .map(|(i, _)| *i)
        .context("no member")
}

/// The state this member publishes, shared with the thread that answers on [`STATE_PORT`].
#[derive(Clone)]
pub struct Published(Arc<Mutex<Report>>);

impl Published {
    /// Starts answering on [`STATE_PORT`] with `report`, and records the phase for the
    /// health check.
    pub fn start(report: Report) -> anyhow::Result<Published> {
        let listener = TcpListener::bind(("0.0.0.0", STATE_PORT))
            .with_context(|| format!("cannot listen on port {STATE_PORT}"))?;
        let published = Published(Arc::new(Mutex::new(Report::Starting)));
        published.set(report)?;
        let shared = published.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let line = shared.get().line();
                let mut stream = stream;
                let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
                let _ = stream.write_all(line.as_bytes());
            }
        });
        Ok(published)
    }

    fn get(&self) -> Report {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Changes what this member says.
    pub fn set(&self, report: Report) -> anyhow::Result<()> {
        let mut current = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if *current != report {
            fs::write_atomic(Path::new(PHASE_FILE), report.line().as_bytes(), 0o644)?;
            *current = report;
        }
        Ok(())
    }
}

/// What the health check reads of the entrypoint's phase; None before it wrote any.
pub fn phase() -> Option<Report> {
    Report::parse(&std::fs::read_to_string(PHASE_FILE).ok()?)
}

/// How long the entrypoint has been in its phase (the file is written when it changes).
pub fn phase_age() -> Option<Duration> {
    std::fs::metadata(PHASE_FILE)
        .ok()?
        .modified()
        .ok()?
        .elapsed()
        .ok()
}

/// A peer's answer and where it answered from.
struct Peer {
    index: usize,
    address: IpAddr,
    report: Report,
}

/// Asks every peer for its state; a peer that cannot be resolved or reached is left out.
fn ask_peers(galera: &Galera) -> Vec<Peer> {
    let mut peers = Vec::new();
    for name in galera.peers() {
        let Ok(addresses) = (name.as_str(), STATE_PORT).to_socket_addrs() else {
            continue;
        };
        for address in addresses {
            if let Some(report) = ask(address) {
                peers.push(Peer {
                    index: galera.index(name),
                    address: address.ip(),
                    report,
                });
                break;
            }
        }
    }
    peers
}

fn ask(address: SocketAddr) -> Option<Report> {
    let stream = TcpStream::connect_timeout(&address, Duration::from_secs(1)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).ok()?;
    Report::parse(&line)
}

/// This host's address on the way to `peer` (the members' network, where a task also has
/// other interfaces): the source address the kernel would pick.
fn address_towards(peer: IpAddr) -> Option<IpAddr> {
    let socket = UdpSocket::bind(("0.0.0.0", 0)).ok()?;
    socket.connect((peer, STATE_PORT)).ok()?;
    Some(socket.local_addr().ok()?.ip())
}

/// Waits until this member's role is known (see the module's description), while it
/// publishes `position`. Returns the role and this member's address, if learnt.
pub fn decide(galera: &Galera, position: &Position) -> anyhow::Result<(Role, Option<IpAddr>)> {
    let mut last_note = String::new();
    loop {
        if inception_core::pid1::stop_requested().is_some() {
            bail!("stopped while waiting for the cluster");
        }
        let peers = ask_peers(galera);
        let address = peers.first().and_then(|p| address_towards(p.address));
        let primary: Vec<IpAddr> = peers
            .iter()
            .filter(|p| p.report == Report::Primary)
            .map(|p| p.address)
            .collect();
        if !primary.is_empty() {
            return Ok((Role::Join(primary), address));
        }
        let mut positions: Vec<(usize, Position)> = peers
            .iter()
            .filter_map(|p| match &p.report {
                Report::Waiting(pos) => Some((p.index, pos.clone())),
                _ => None,
            })
            .collect();
        let starting: Vec<&str> = peers
            .iter()
            .filter(|p| p.report == Report::Starting)
            .map(|p| galera.members[p.index].as_str())
            .collect();
        let note = if !starting.is_empty() {
            format!("waiting for {} to start", starting.join(", "))
        } else if positions.len() + 1 == galera.members.len() {
            positions.push((galera.index(&galera.node), position.clone()));
            let chosen = choose(&positions)?;
            if chosen == galera.index(&galera.node) {
                return Ok((Role::Bootstrap, address));
            }
            format!(
                "waiting for {} to bootstrap the cluster",
                galera.members[chosen]
            )
        } else {
            let present: Vec<&str> = peers
                .iter()
                .map(|p| galera.members[p.index].as_str())
                .collect();
            format!(
                "no member in a primary component; waiting for every member to tell its \
                 position (answering: {})",
                if present.is_empty() {
                    "none".to_owned()
                } else {
                    present.join(", ")
                }
            )
        };
        if note != last_note {
            tracing::info!(position = %position, "{note}");
            last_note = note;
        }
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// Writes the options file mariadbd reads (`--defaults-extra-file`), the server account's only.
pub fn write_options(text: &str, mysql: &Account) -> anyhow::Result<()> {
    let path = Path::new(OPTIONS_FILE);
    fs::write_atomic(path, text.as_bytes(), 0o600)?;
    fs::chown(path, mysql.uid, mysql.gid)
}

/// The position InnoDB holds, for a data directory that was not shut down cleanly:
/// `mariadbd --wsrep-recover` prints it in its log.
pub fn recover(
    sup: &Supervisor,
    galera: &Galera,
    datadir: &Path,
    mysql: &Account,
) -> anyhow::Result<Position> {
    write_options(&galera.options(&[], None, None), mysql)?;
    let log = PathBuf::from("/run/mysqld/wsrep-recover.log");
    let _ = std::fs::remove_file(&log);
    let mut cmd = Command::new("mariadbd");
    cmd.arg(format!("--defaults-extra-file={OPTIONS_FILE}"))
        .arg(format!("--datadir={}", datadir.display()))
        .arg("--wsrep-recover")
        .arg(format!("--log-error={}", log.display()));
    mysql.apply(&mut cmd);
    sup.run(&mut cmd)
        .context("mariadbd --wsrep-recover failed")?;
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let recovered = text
        .lines()
        .find_map(|l| {
            l.split_once("WSREP: Recovered position: ")
                .map(|(_, p)| p.trim())
        })
        .and_then(|p| p.rsplit_once(':'))
        .and_then(|(uuid, seqno)| {
            Some(Position {
                uuid: uuid.to_owned(),
                seqno: seqno.parse().ok()?,
                safe_to_bootstrap: false,
            })
        });
    recovered.with_context(|| {
        format!(
            "mariadbd --wsrep-recover found no position; its log: {}",
            text.lines().rev().take(5).collect::<Vec<_>>().join(" | ")
        )
    })
}

/// Marks this member's data as the one to bootstrap from (Galera refuses otherwise when
/// the last stop was not clean, which the choice among all members has made safe).
pub fn allow_bootstrap(datadir: &Path, position: &Position) -> anyhow::Result<()> {
    let path = datadir.join(GRASTATE);
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    if text.is_empty() || Position::parse(&text).safe_to_bootstrap {
        return Ok(());
    }
    let mut out = String::new();
    for line in text.lines() {
        match line.split_once(':').map(|(k, _)| k.trim()) {
            Some("safe_to_bootstrap") => out.push_str("safe_to_bootstrap: 1\n"),
            Some("seqno") if position.seqno >= 0 => {
                out.push_str(&format!("seqno:   {}\n", position.seqno))
            }
            _ => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    let meta = std::fs::metadata(&path)?;
    fs::write_atomic(&path, out.as_bytes(), 0o660)?;
    use std::os::unix::fs::MetadataExt;
    fs::chown(&path, meta.uid(), meta.gid())
}

/// Watches the local server once it runs, and says `primary` while it is ready for clients:
/// in a primary component and synced (`wsrep_ready`). Members join such a member, and the
/// database proxy sends clients only to one (see `crates/dbproxy`).
pub fn watch(galera: Galera, published: Published) {
    std::thread::spawn(move || {
        // One runtime for the member's life, polling once a second.
        let watching = rt::block_on(async move {
            let account = galera.local_account();
            let mut ready = false;
            let mut unanswered = 0;
            loop {
                let answer = account
                    .query_one(
                        "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS \
                         WHERE VARIABLE_NAME = 'WSREP_READY'",
                        Duration::from_secs(2),
                    )
                    .await;
                match answer {
                    Ok(value) => {
                        ready = value == "ON";
                        unanswered = 0;
                    }
                    // A busy server that answers late is not a member that left the
                    // cluster: only a server silent for several seconds stops being ready.
                    Err(_) => {
                        unanswered += 1;
                        if unanswered >= 3 {
                            ready = false;
                        }
                    }
                }
                let report = if ready {
                    Report::Primary
                } else {
                    Report::Starting
                };
                if let Err(e) = published.set(report) {
                    tracing::warn!("cannot record the member's phase: {e:#}");
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
        // The loop never ends: only the runtime's creation can fail.
        let Err(e) = watching;
        tracing::error!("cannot watch the member's state: {e}");
    });
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
            Some(&at("u", 7, false)),
        );
        assert!(cnf.contains("wsrep_cluster_address=gcomm://10.0.0.3\n"));
        assert!(
            cnf.contains(r#"wsrep_sst_auth="mariabackup:s\"x""#),
            "{cnf}"
        );
    }

    #[test]
    fn grastate_is_read() {
        let p = Position::parse(
            "# GALERA saved state\nversion: 2.1\nuuid:    9acf4d34-acdb-11e6-bcc3-d3e36276629f\n\
             seqno:   42\nsafe_to_bootstrap: 1\n",
        );
        assert_eq!(p.uuid, "9acf4d34-acdb-11e6-bcc3-d3e36276629f");
        assert_eq!(p.seqno, 42);
        assert!(p.safe_to_bootstrap);
        assert_eq!(
            Report::parse(&Report::Waiting(p.clone()).line()),
            Some(Report::Waiting(p))
        );
        assert_eq!(Report::parse("galera primary\n"), Some(Report::Primary));
        assert_eq!(Report::parse("HTTP/1.1 400"), None);
    }

    fn at(uuid: &str, seqno: i64, safe: bool) -> Position {
        Position {
            uuid: uuid.into(),
            seqno,
            safe_to_bootstrap: safe,
        }
    }

    #[test]
    fn the_most_advanced_member_bootstraps() {
        let none = Position::none();
        // First start: nobody has data; the first member creates the database.
        assert_eq!(
            choose(&[(1, none.clone()), (0, none.clone()), (2, none.clone())]).unwrap(),
            0
        );
        // One member has data, the others are new: it bootstraps.
        assert_eq!(
            choose(&[(0, none.clone()), (2, at("u", 5, false))]).unwrap(),
            2
        );
        // After a crash: the highest position.
        assert_eq!(
            choose(&[
                (0, at("u", 7, false)),
                (1, at("u", 9, false)),
                (2, at("u", 8, false))
            ])
            .unwrap(),
            1
        );
        // After a clean stop: equal positions, the last one stopped.
        assert_eq!(
            choose(&[
                (0, at("u", 9, false)),
                (1, at("u", 9, false)),
                (2, at("u", 9, true))
            ])
            .unwrap(),
            2
        );
        // Equal and none safe: the first listed.
        assert_eq!(
            choose(&[(2, at("u", 9, false)), (1, at("u", 9, false))]).unwrap(),
            1
        );
        let err = choose(&[(0, at("u", 9, false)), (1, at("v", 3, false))]).unwrap_err();
        assert!(err.to_string().contains("different clusters"));
    }
}
