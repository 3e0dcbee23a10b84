//! Taking, listing, pruning and restoring backups.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use std::time::Duration;

use inception_core::config;
use inception_core::pid1::Supervisor;
use inception_core::probe::redis;
use inception_core::rt;
use time::OffsetDateTime;

use crate::settings::Settings;

const DUMP: &str = "database.sql";
const ARCHIVE: &str = "files.tar.gz";
/// What a backup holds, written last (before the rename that completes it).
const MANIFEST: &str = "manifest.json";
const PARTIAL: &str = ".partial-";

/// A backup's `manifest.json`, and a line of `list --json`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Manifest {
    /// The backup's id (its directory's name).
    pub id: String,
    /// When it was taken (RFC 3339, UTC).
    pub created: String,
    /// The database it holds.
    pub database: String,
    /// Size of the database dump, in bytes.
    pub dump_bytes: u64,
    /// Size of the files archive, in bytes.
    pub archive_bytes: u64,
}

impl Manifest {
    /// The manifest of the complete backup in `dir/id`: read from its file, or, for a
    /// backup without one, made from what is there.
    fn read(dir: &Path, id: &str) -> anyhow::Result<Manifest> {
        let path = dir.join(id).join(MANIFEST);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .with_context(|| format!("{} is not a backup manifest", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Manifest {
                id: id.to_owned(),
                created: String::new(),
                database: String::new(),
                dump_bytes: size(&dir.join(id).join(DUMP)),
                archive_bytes: size(&dir.join(id).join(ARCHIVE)),
            }),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }

    /// Dump and archive together, in bytes.
    pub fn bytes(&self) -> u64 {
        self.dump_bytes + self.archive_bytes
    }
}

fn size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// A backup id is a UTC timestamp: sortable, and safe as a directory name.
pub fn valid_id(id: &str) -> bool {
    id.len() == 16
        && id.bytes().enumerate().all(|(i, b)| match i {
            8 => b == b'T',
            15 => b == b'Z',
            _ => b.is_ascii_digit(),
        })
}

/// Takes a backup now; returns its id.
pub fn take(sup: &Supervisor, s: &Settings) -> anyhow::Result<String> {
    let t = OffsetDateTime::now_utc();
    let id = format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    let partial = s.dir.join(format!("{PARTIAL}{id}"));
    let done = s.dir.join(&id);
    if done.exists() {
        bail!("backup {id} already exists; try again in a second");
    }
    std::fs::create_dir_all(&partial)
        .with_context(|| format!("cannot create {}", partial.display()))?;
    tracing::info!(%id, "backing up the database");
    let mut dump = s.db.client_command("mariadb-dump");
    dump.args([
        "--single-transaction",
        "--routines",
        "--triggers",
        "--add-drop-table",
    ])
    .arg(format!("--result-file={}", partial.join(DUMP).display()))
    .arg(&s.db_name);
    sup.run(&mut dump).context("mariadb-dump failed")?;
    tracing::info!(%id, "archiving the files");
    let mut tar = Command::new("tar");
    tar.arg("-czf")
        .arg(partial.join(ARCHIVE))
        .arg("-C")
        .arg(&s.files)
        .arg(".");
    sup.run(&mut tar).context("tar failed")?;
    let manifest = Manifest {
        id: id.clone(),
        created: t
            .replace_nanosecond(0)?
            .format(&time::format_description::well_known::Rfc3339)?,
        database: s.db_name.clone(),
        dump_bytes: size(&partial.join(DUMP)),
        archive_bytes: size(&partial.join(ARCHIVE)),
    };
    inception_core::fs::write_atomic(
        &partial.join(MANIFEST),
        serde_json::to_string_pretty(&manifest)?.as_bytes(),
        0o644,
    )?;
    inception_core::fs::sync_filesystem(&partial)?;
    inception_core::fs::rename(&partial, &done)?;
    tracing::info!(%id, "backup complete");
    Ok(id)
}

/// Complete backups, oldest first.
pub fn list(dir: &Path) -> anyhow::Result<Vec<Manifest>> {
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e).with_context(|| format!("cannot list {}", dir.display())),
    };
    for entry in entries {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if valid_id(&name) {
            out.push(Manifest::read(dir, &name)?);
        }
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

/// Puts backup `id` back: the database as it was, and the files it holds (files added
/// since are kept). A missing or unknown id changes nothing.
pub fn restore(sup: &Supervisor, s: &Settings, id: &str) -> anyhow::Result<()> {
    let dir: PathBuf = s.dir.join(id);
    if !valid_id(id) || !dir.join(DUMP).is_file() || !dir.join(ARCHIVE).is_file() {
        bail!(
            "no backup {id:?} in {} (see `inception-backup list`)",
            s.dir.display()
        );
    }
    tracing::info!(%id, "restoring the database");
    let mut db = s.db.client_command("mariadb");
    db.arg(&s.db_name)
        .stdin(std::fs::File::open(dir.join(DUMP))?);
    sup.run(&mut db).context("restoring the database failed")?;
    tracing::info!(%id, "restoring the files");
    let mut tar = Command::new("tar");
    tar.arg("-xzpf")
        .arg(dir.join(ARCHIVE))
        .arg("-C")
        .arg(&s.files);
    sup.run(&mut tar).context("restoring the files failed")?;
    if let Some(config::Redis {
        address: addr,
        password,
    }) = &s.redis
    {
        let flushed = rt::run(redis::call(
            addr,
            Some(password.expose()),
            &["FLUSHDB"],
            Duration::from_secs(5),
        ));
        match flushed {
            Ok(reply) if reply == "+OK" => tracing::info!("object cache flushed"),
            // The cache may be down; WordPress then starts from an empty one anyway.
            Ok(reply) => tracing::warn!(%reply, "object cache not flushed"),
            Err(e) => tracing::warn!("object cache not flushed: {e:#}"),
        }
    }
    Ok(())
}

/// Removes leftovers of interrupted backups, and all but the newest `keep` backups.
fn prune(s: &Settings) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(&s.dir)? {
        let path = entry?.path();
        if path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with(PARTIAL))
        {
            std::fs::remove_dir_all(&path)?;
        }
    }
    let all = list(&s.dir)?;
    for old in all.iter().take(all.len().saturating_sub(s.keep)) {
        tracing::info!(id = %old.id, "removing (retention)");
        std::fs::remove_dir_all(s.dir.join(&old.id))?;
    }
    Ok(())
}

/// The service: a backup every interval, then pruning. A stop signal ends it at once (an
/// interrupted backup stays partial and is removed by the next pruning).
pub fn schedule(sup: &'static Supervisor, s: &Settings) -> anyhow::Result<u8> {
    std::fs::create_dir_all(&s.dir)
        .with_context(|| format!("cannot create {}", s.dir.display()))?;
    prune(s)?;
    tracing::info!(every_h = s.interval.as_secs() / 3600, keep = s.keep, dir = %s.dir.display(), "scheduling backups");
    loop {
        std::thread::sleep(s.interval);
        match take(sup, s) {
            Ok(_) => prune(s)?,
            Err(e) => tracing::error!("scheduled backup failed: {e:#}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_utc_timestamps() {
        assert!(valid_id("20261128T154800Z"));
        assert!(!valid_id("../etc"));
        assert!(!valid_id("20261128T154800"));
        assert!(!valid_id(".partial-20261128T154800Z"));
    }

    #[test]
    fn manifests_round_trip_and_old_backups_without_one_are_listed() {
        let dir = std::env::temp_dir().join(format!("inception-backup-{}", std::process::id()));
        let with = dir.join("20261128T154800Z");
        let without = dir.join("20261127T154800Z");
        std::fs::create_dir_all(&with).unwrap();
        std::fs::create_dir_all(&without).unwrap();
        std::fs::create_dir_all(dir.join(".partial-20261129T000000Z")).unwrap();
        std::fs::write(without.join(DUMP), b"12345").unwrap();
        let m = Manifest {
            id: "20261128T154800Z".into(),
            created: "2026-11-28T15:48:00Z".into(),
            database: "wordpress".into(),
            dump_bytes: 10,
            archive_bytes: 20,
        };
        std::fs::write(with.join(MANIFEST), serde_json::to_vec(&m).unwrap()).unwrap();
        let all = list(&dir).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(all.len(), 2, "{all:?}");
        assert_eq!(
            (all[0].id.as_str(), all[0].bytes()),
            ("20261127T154800Z", 5)
        );
        assert_eq!(all[1], m);
    }
}
