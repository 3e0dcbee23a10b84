//! Who bootstraps the cluster and who joins (see the module `galera`): this member asks its
//! peers for their reports until one is in a primary component, or every member told its
//! position.

use std::io::{BufRead, BufReader};
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs, UdpSocket};
use std::time::Duration;

use anyhow::{Context, bail};

use super::cluster::Galera;
use super::position::Position;
use super::report::{Report, STATE_PORT};

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

#[cfg(test)]
mod tests {
    use super::*;

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
        let (u7, u8, u9, u9_safe) = (
            at("u", 7, false),
            at("u", 8, false),
            at("u", 9, false),
            at("u", 9, true),
        );
        for (case, positions, chosen) in [
            // Nobody has data; the first member creates the database.
            (
                "first start",
                vec![(1, none.clone()), (0, none.clone()), (2, none.clone())],
                0,
            ),
            (
                "one member with data, the others new",
                vec![(0, none.clone()), (2, at("u", 5, false))],
                2,
            ),
            (
                "after a crash: the highest position",
                vec![(0, u7), (1, u9.clone()), (2, u8)],
                1,
            ),
            (
                "after a clean stop: the last one stopped",
                vec![(0, u9.clone()), (1, u9.clone()), (2, u9_safe)],
                2,
            ),
            (
                "equal and none safe: the first listed",
                vec![(2, u9.clone()), (1, u9)],
                1,
            ),
        ] {
            assert_eq!(choose(&positions).unwrap(), chosen, "{case}");
        }
        let err = choose(&[(0, at("u", 9, false)), (1, at("v", 3, false))]).unwrap_err();
        assert!(err.to_string().contains("different clusters"));
    }
}
