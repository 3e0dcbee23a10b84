//! WordPress's files in the volume: copied from the image on first start, never over what
//! is already there.
//!
//! The copy goes to a staging directory inside the volume, then each top-level entry is
//! renamed into place (atomic), `wp-includes` last: its `version.php` therefore means "the
//! copy is complete". An interrupted copy leaves the staging directory, which the next start
//! removes before copying again. An entry the user already has is kept, never replaced.

use std::path::Path;
use std::process::Command;

use anyhow::Context;
use inception_core::fs;
use inception_core::log::events;
use inception_core::pid1::Supervisor;

/// The volume: what php-fpm (and nginx, read-only) serve.
pub const WEBROOT: &str = "/var/www/html";
/// WordPress as shipped in the image (from Debian's package, symlinks resolved).
pub const SOURCE: &str = "/usr/src/wordpress";
/// Where the copy is staged, inside the volume so that renames are atomic.
const STAGING: &str = ".inception-staging";
/// Present once the copy is complete.
const COMPLETE: &str = "wp-includes/version.php";

/// Copies WordPress into `webroot` unless it is there. Returns whether it copied.
pub fn ensure(sup: &Supervisor, source: &Path, webroot: &Path) -> anyhow::Result<bool> {
    let staging = webroot.join(STAGING);
    if staging.exists() {
        tracing::warn!("removing an interrupted copy of WordPress");
        std::fs::remove_dir_all(&staging)
            .with_context(|| format!("cannot remove {}", staging.display()))?;
    }
    if webroot.join(COMPLETE).exists() {
        return Ok(false);
    }
    tracing::info!(from = %source.display(), to = %webroot.display(), "{}", events::COPYING_WORDPRESS);
    // cp -a keeps the image's ownership (www-data) and modes.
    let mut from = source.as_os_str().to_owned();
    from.push("/.");
    sup.run(Command::new("cp").arg("-a").arg(&from).arg(&staging))
        .context("cannot copy WordPress into the volume")?;

    let mut entries: Vec<_> = std::fs::read_dir(&staging)?
        .map(|e| e.map(|e| e.file_name()))
        .collect::<Result<_, _>>()?;
    // wp-includes last: it holds the completion mark.
    entries.sort_by_key(|name| (name == "wp-includes", name.clone()));
    for name in entries {
        let target = webroot.join(&name);
        if target.symlink_metadata().is_ok() {
            tracing::info!(path = %target.display(), "kept what is already there");
            continue;
        }
        fs::rename(&staging.join(&name), &target)?;
    }
    std::fs::remove_dir_all(&staging)
        .with_context(|| format!("cannot remove {}", staging.display()))?;
    Ok(true)
}
