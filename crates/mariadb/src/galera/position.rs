//! Where a member's data stands: Galera's `grastate.dat` in the data directory, read, and
//! marked as the one to bootstrap from.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use anyhow::Context;
use inception_core::fs;

/// Galera's saved state in the data directory.
const GRASTATE: &str = "grastate.dat";
/// Galera's id of "no cluster".
const NO_CLUSTER: &str = "00000000-0000-0000-0000-000000000000";

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
    fs::chown(&path, meta.uid(), meta.gid())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grastate_is_read() {
        let p = Position::parse(
            "# GALERA saved state\nversion: 2.1\nuuid:    9acf4d34-acdb-11e6-bcc3-d3e36276629f\n\
             seqno:   42\nsafe_to_bootstrap: 1\n",
        );
        assert_eq!(p.uuid, "9acf4d34-acdb-11e6-bcc3-d3e36276629f");
        assert_eq!(p.seqno, 42);
        assert!(p.safe_to_bootstrap);
    }
}
