//! What state the data directory is in, decided before anything touches it.
//!
//! Crash safety rests on one marker file: it is created in an empty directory before the
//! first start writes anything, and removed only after the database is complete and the
//! temporary server has shut down cleanly. So:
//!
//! - marker present: an earlier first start was interrupted; everything here is ours and
//!   is removed before the first start is redone;
//! - no marker and a `mysql` system schema: a complete database, never re-initialised
//!   (whoever created it: this image or the official one);
//! - no marker, no `mysql` schema, other files: not ours; refused, nothing deleted.

use std::path::{Path, PathBuf};

use anyhow::Context;
use inception_core::fs;

/// The marker of a first start in progress.
pub const MARKER: &str = ".inception-initializing";
/// Health check credentials, in the official image's format and place.
pub const HEALTH_CNF: &str = ".my-healthcheck.cnf";

/// Entries a fresh volume or filesystem may hold that do not make it non-empty.
const IGNORED: &[&str] = &["lost+found"];

/// State of a data directory.
#[derive(Debug, PartialEq, Eq)]
pub enum State {
    /// Nothing there: initialise.
    Empty,
    /// Our first start was interrupted: wipe and initialise again.
    Interrupted,
    /// A complete database: start it.
    Ready,
    /// Files we did not create and that are not a database: refuse.
    Foreign(Vec<String>),
}

/// Looks at `dir` (which may not exist yet).
pub fn inspect(dir: &Path) -> anyhow::Result<State> {
    let entries = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect::<Result<Vec<_>, _>>()
            .with_context(|| format!("cannot list {}", dir.display()))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e).with_context(|| format!("cannot list {}", dir.display())),
    };
    Ok(classify(&entries, dir.join("mysql").is_dir()))
}

/// The decision, on a directory listing.
pub fn classify(entries: &[String], has_system_schema: bool) -> State {
    if entries.iter().any(|e| e == MARKER) {
        State::Interrupted
    } else if has_system_schema {
        State::Ready
    } else {
        let mut others: Vec<String> = entries
            .iter()
            .filter(|e| !IGNORED.contains(&e.as_str()))
            .cloned()
            .collect();
        if others.is_empty() {
            State::Empty
        } else {
            others.sort();
            State::Foreign(others)
        }
    }
}

/// Marks `dir` as being initialised (creating it if needed), durably.
pub fn mark(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    fs::Marker::new(dir.join(MARKER)).create("first start in progress; removed when complete\n")
}

/// Removes everything an interrupted first start left, except the marker.
pub fn wipe_interrupted(dir: &Path) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let entry = entry?;
        let name = entry.file_name();
        if name == MARKER || IGNORED.iter().any(|i| name == *i) {
            continue;
        }
        let path: PathBuf = entry.path();
        let result = if entry.file_type()?.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        result.with_context(|| format!("cannot remove {}", path.display()))?;
    }
    Ok(())
}

/// Declares the first start complete.
pub fn unmark(dir: &Path) -> anyhow::Result<()> {
    fs::Marker::new(dir.join(MARKER)).remove()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_marker_wins_over_everything() {
        assert_eq!(
            classify(&v(&[MARKER, "mysql", "ibdata1"]), true),
            State::Interrupted
        );
    }

    #[test]
    fn a_system_schema_is_a_complete_database() {
        assert_eq!(classify(&v(&["mysql", "ibdata1"]), true), State::Ready);
    }

    #[test]
    fn empty_and_foreign_directories() {
        assert_eq!(classify(&v(&[]), false), State::Empty);
        assert_eq!(classify(&v(&["lost+found"]), false), State::Empty);
        assert_eq!(
            classify(&v(&["notes.txt", "lost+found"]), false),
            State::Foreign(v(&["notes.txt"]))
        );
    }

    #[test]
    fn wipe_keeps_only_the_marker() {
        let dir = std::env::temp_dir().join(format!("inception-datadir-{}", std::process::id()));
        mark(&dir).unwrap();
        std::fs::create_dir_all(dir.join("mysql/sub")).unwrap();
        std::fs::write(dir.join("ibdata1"), b"x").unwrap();
        assert_eq!(inspect(&dir).unwrap(), State::Interrupted);
        wipe_interrupted(&dir).unwrap();
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        unmark(&dir).unwrap();
        assert_eq!(inspect(&dir).unwrap(), State::Empty);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
