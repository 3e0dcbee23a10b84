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
use inception_core::pid1::Supervisor;

use crate::events;
use crate::volume::{STAGING, UPLOADS, VERSION_PHP, WP_CONTENT, WP_INCLUDES};

/// Copies WordPress into `webroot` unless it is there. Returns whether it copied.
pub fn ensure(sup: &Supervisor, source: &Path, webroot: &Path) -> anyhow::Result<bool> {
    let staging = webroot.join(STAGING);
    if staging.exists() {
        tracing::warn!("removing an interrupted copy of WordPress");
        std::fs::remove_dir_all(&staging)
            .with_context(|| format!("cannot remove {}", staging.display()))?;
    }
    if webroot.join(VERSION_PHP).exists() {
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
    entries.sort_by_key(|name| (name == WP_INCLUDES, name.clone()));
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

/// In a cluster (`WP_SHARED_DIR`), the code php-fpm runs: a private copy of the shared site
/// in `webroot`, a tmpfs of this replica, made at every start once the setup is done, with
/// `wp-content/uploads` a link to the shared one. PHP opens dozens of files a request (the
/// theme's JSON, block styles, templates): from memory, not through the network file system.
///
/// WordPress's core comes from the image (`source`) when the shared copy has the image's
/// version, as it does after the setup (otherwise, after an upgrade that was rolled back,
/// from the shared copy); everything else from the shared copy: `wp-content`, `wp-config.php`,
/// the salts. Hidden entries (the setup lock, kept versions) stay there.
pub fn private_copy(source: &Path, shared: &Path, webroot: &Path) -> anyhow::Result<()> {
    use nix::sys::statfs::{TMPFS_MAGIC, statfs};
    let kind = statfs(webroot)
        .with_context(|| format!("cannot inspect {}", webroot.display()))?
        .filesystem_type();
    // What is emptied below must be ours: memory given to this container, not a volume.
    anyhow::ensure!(
        kind == TMPFS_MAGIC,
        "WP_SHARED_DIR is set, so {} must be a tmpfs (the replica's own copy of the code); \
         it is not, and nothing in it was touched",
        webroot.display()
    );
    copy_code(source, shared, webroot)
}

/// [`private_copy`]'s work, on any file system: `webroot` emptied, then filled.
fn copy_code(source: &Path, shared: &Path, webroot: &Path) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(webroot)? {
        let path = entry?.path();
        if path.is_dir() && !path.is_symlink() {
            fs::remove_dir_all(&path)?;
        } else {
            fs::remove_file(&path)?;
        }
    }
    let started = std::time::Instant::now();
    let version = |root: &Path| {
        let path = root.join(VERSION_PHP);
        std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))
    };
    let same_core = version(source)? == version(shared)?;
    let core = if same_core { source } else { shared };
    let names = |dir: &Path| -> anyhow::Result<Vec<std::ffi::OsString>> {
        std::fs::read_dir(dir)
            .with_context(|| format!("cannot read {}", dir.display()))?
            .map(|e| Ok(e?.file_name()))
            .collect()
    };
    let core_names = names(source)?;
    for name in names(shared)? {
        if name.as_encoded_bytes().starts_with(b".") {
            continue;
        }
        let from = if name != WP_CONTENT && core_names.contains(&name) {
            core
        } else {
            shared
        };
        fs::copy_over(
            &from.join(&name),
            &webroot.join(&name),
            Some(&shared.join(UPLOADS)),
        )?;
    }
    let uploads = shared.join(UPLOADS);
    if !uploads.exists() {
        std::fs::create_dir(&uploads)
            .with_context(|| format!("cannot create {}", uploads.display()))?;
        let wp_content = std::fs::metadata(shared.join(WP_CONTENT))?;
        use std::os::unix::fs::MetadataExt;
        fs::chown(&uploads, wp_content.uid(), wp_content.gid())?;
    }
    std::os::unix::fs::symlink(&uploads, webroot.join(UPLOADS)).with_context(|| {
        format!(
            "cannot link {} to {}",
            webroot.join(UPLOADS).display(),
            uploads.display()
        )
    })?;
    tracing::info!(
        from = %shared.display(),
        core = %core.display(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "made this replica's copy of the code (uploads stay shared)"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn read(path: &Path) -> String {
        std::fs::read_to_string(path).unwrap()
    }

    /// A fresh directory in the workspace's target directory (on disk: /tmp may be a tmpfs).
    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/unit"))
            .join(format!("{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn the_private_copy_takes_core_from_the_image_and_the_rest_from_the_shared_copy() {
        let dir = scratch("private-copy");
        let (image, shared, own) = (dir.join("image"), dir.join("shared"), dir.join("own"));
        for root in [&image, &shared] {
            write(&root.join(VERSION_PHP), "6.8");
            write(&root.join("index.php"), "core");
            write(&root.join("wp-content/themes/t/style.css"), "image theme");
        }
        write(&shared.join("index.php"), "core, read through the network");
        write(
            &shared.join("wp-content/themes/t/style.css"),
            "the site's theme",
        );
        write(&shared.join("wp-config.php"), "config");
        write(&shared.join("wp-content/uploads/a.png"), "picture");
        write(&shared.join(".inception-setup.lock"), "");
        write(&own.join("stale.php"), "from before");

        copy_code(&image, &shared, &own).unwrap();
        assert_eq!(read(&own.join("index.php")), "core");
        assert_eq!(
            read(&own.join("wp-content/themes/t/style.css")),
            "the site's theme"
        );
        assert_eq!(read(&own.join("wp-config.php")), "config");
        assert_eq!(
            std::fs::read_link(own.join(UPLOADS)).unwrap(),
            shared.join(UPLOADS)
        );
        assert!(!own.join("stale.php").exists());
        assert!(!own.join(".inception-setup.lock").exists());

        // A shared copy of another version (an upgrade rolled back) gives its own core.
        write(&shared.join(VERSION_PHP), "6.1");
        std::fs::remove_dir_all(shared.join(UPLOADS)).unwrap();
        copy_code(&image, &shared, &own).unwrap();
        assert_eq!(
            read(&own.join("index.php")),
            "core, read through the network"
        );
        assert!(
            shared.join(UPLOADS).is_dir(),
            "uploads made in the shared copy"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_private_copy_refuses_a_directory_that_is_not_a_tmpfs() {
        let dir = scratch("private-copy-disk");
        let own = dir.join("own");
        write(&own.join("keep.txt"), "data");
        let e = private_copy(&dir.join("image"), &dir.join("shared"), &own).unwrap_err();
        assert!(format!("{e:#}").contains("must be a tmpfs"), "{e:#}");
        assert_eq!(read(&own.join("keep.txt")), "data");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
