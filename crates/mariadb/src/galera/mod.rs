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
//!    [`Report`], `report.rs`), and asks them for theirs.
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
//!
//! [`prepare`] does it all and returns the server's command line; the parts, one job each:
//! the member's settings and options (`cluster.rs`), its data's position (`position.rs`),
//! what members say (`report.rs`), the state port's server (`server.rs`), the decision
//! (`decide.rs`), and the watcher of the running server (`watch.rs`).

mod cluster;
mod decide;
mod position;
pub mod report;
mod server;
mod watch;

use std::path::Path;
use std::process::Command;

use anyhow::Context;
use inception_core::fs;
use inception_core::pid1::Supervisor;
use inception_core::user::Account;

pub use cluster::Galera;
pub use position::Position;
pub use report::{Report, STATE_PORT};
pub use server::{phase, phase_age};

use crate::datadir::{self, State};
use crate::events;
use crate::first_start;
use crate::paths::{OPTIONS_FILE, RECOVER_LOG};
use decide::Role;
use server::Published;

/// Makes this member ready to run: learns its data's position (recovered after a crash),
/// publishes it, decides with its peers whether it bootstraps the cluster (doing the first
/// start when its data directory, in `state`, is new) or joins it, and writes the options
/// file. Leaves the state port answering and, once the server runs, its watcher; returns
/// the server's command line: `argv` with the options file and, to bootstrap,
/// `--wsrep-new-cluster`.
pub fn prepare(
    sup: &'static Supervisor,
    galera: Galera,
    datadir: &Path,
    state: &State,
    mysql: &Account,
    argv: &[String],
) -> anyhow::Result<Vec<String>> {
    let position = match state {
        State::Ready => {
            let position = Position::read(datadir)?;
            if position.seqno >= 0 || !position.is_some() {
                // A database that never was in a cluster still has data to keep.
                Position {
                    seqno: position.seqno.max(0),
                    ..position
                }
            } else {
                tracing::info!("{}", events::GALERA_RECOVERY);
                recover(sup, &galera, datadir, mysql)?
            }
        }
        _ => Position::none(),
    };
    let published = Published::start(Report::Waiting(position.clone()))?;
    let (role, address) = decide::decide(&galera, &position)?;
    published.set(Report::Starting)?;
    let mut server = vec![
        argv[0].clone(),
        format!("--defaults-extra-file={OPTIONS_FILE}"),
    ];
    let peers = match role {
        Role::Bootstrap => {
            tracing::info!(%position, "{}", events::GALERA_BOOTSTRAP);
            if *state == State::Ready {
                position::allow_bootstrap(datadir, &position)?;
            } else {
                let sst = Some(&galera.sst_password);
                first_start::run(sup, datadir, mysql, state, &argv[1..], sst)?;
            }
            server.push("--wsrep-new-cluster".into());
            Vec::new()
        }
        Role::Join(peers) => {
            tracing::info!(%position, ?peers, "{}", events::GALERA_JOIN);
            if *state == State::Interrupted {
                datadir::wipe_interrupted(datadir)?;
                datadir::unmark(datadir)?;
            }
            std::fs::create_dir_all(datadir)?;
            fs::chown(datadir, mysql.uid, mysql.gid)?;
            peers
        }
    };
    write_options(&galera.options(&peers, address, Some(&position)), mysql)?;
    server.extend(argv[1..].iter().cloned());
    watch::watch(galera, published);
    Ok(server)
}

/// Writes the options file mariadbd reads (`--defaults-extra-file`), the server account's only.
fn write_options(text: &str, mysql: &Account) -> anyhow::Result<()> {
    let path = Path::new(OPTIONS_FILE);
    fs::write_atomic(path, text.as_bytes(), 0o600)?;
    fs::chown(path, mysql.uid, mysql.gid)
}

/// The position InnoDB holds, for a data directory that was not shut down cleanly:
/// `mariadbd --wsrep-recover` prints it in its log.
fn recover(
    sup: &Supervisor,
    galera: &Galera,
    datadir: &Path,
    mysql: &Account,
) -> anyhow::Result<Position> {
    write_options(&galera.options(&[], None, None), mysql)?;
    let log = Path::new(RECOVER_LOG);
    let _ = std::fs::remove_file(log);
    let mut cmd = Command::new("mariadbd");
    cmd.arg(format!("--defaults-extra-file={OPTIONS_FILE}"))
        .arg(format!("--datadir={}", datadir.display()))
        .arg("--wsrep-recover")
        .arg(format!("--log-error={}", log.display()));
    mysql.apply(&mut cmd);
    sup.run(&mut cmd)
        .context("mariadbd --wsrep-recover failed")?;
    let text = std::fs::read_to_string(log).unwrap_or_default();
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
