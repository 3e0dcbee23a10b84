//! Taking, listing, pruning and restoring backups.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use std::time::Duration;

use inception_core::pid1::Supervisor;
use inception_core::probe::{self, redis};
use time::OffsetDateTime;

use crate::settings::Settings;

const DUMP: &str = "database.sql";
const ARCHIVE: &str = "files.tar.gz";
const PARTIAL: &str = ".partial-";

/// `mariadb`/`mariadb-dump` arguments for the database account (password in MYSQL_PWD).
fn client(program: &str, s: &Settings) -> Command {
    let (host, port) = s.db.host_port();
    let mut cmd = Command::new(program);
    cmd.args([
        format!("--host={host}"),
        format!("--port={port}"),
        format!("--user={}", s.db.user),
    ])
    .env("MYSQL_PWD", &s.db.password);
    cmd
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
    let mut dump = client("mariadb-dump", s);
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
    std::fs::rename(&partial, &done)
        .with_context(|| format!("cannot complete {}", done.display()))?;
    tracing::info!(%id, "backup complete");
    Ok(id)
}

/// Complete backups, oldest first, with their sizes in bytes.
pub fn list(dir: &Path) -> anyhow::Result<Vec<(String, u64)>> {
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e).with_context(|| format!("cannot list {}", dir.display())),
    };
    for entry in entries {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if valid_id(&name) {
            let size = [DUMP, ARCHIVE]
                .iter()
                .filter_map(|f| std::fs::metadata(dir.join(&name).join(f)).ok())
                .map(|m| m.len())
                .sum();
            out.push((name, size));
        }
    }
    out.sort();
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
    let mut db = client("mariadb", s);
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
    if let Some((addr, password)) = &s.redis {
        let flushed = probe::block_on(redis::call(
            addr,
            Some(password),
            &["FLUSHDB"],
            Duration::from_secs(5),
        ))?;
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
    for (id, _) in all.iter().take(all.len().saturating_sub(s.keep)) {
        tracing::info!(%id, "removing (retention)");
        std::fs::remove_dir_all(s.dir.join(id))?;
    }
    Ok(())
}

/// The service: a backup every interval, then pruning. A stop signal ends it at once (an
/// interrupted backup stays partial and is removed by the next pruning).
pub fn schedule(sup: &'static Supervisor, s: &Settings) -> anyhow::Result<u8> {
    std::fs::create_dir_all(&s.dir)
        .with_context(|| format!("cannot create {}", s.dir.display()))?;
    inception_core::pid1::stop_is_success();
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
}
