//! Crash-safe file writes, a lock shared between containers, and input handed to a child
//! without a file.
//!
//! Setup files are written to a temporary sibling, flushed, then renamed into place: a crash
//! at any moment leaves either the old file or the new one, never half of one.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use anyhow::Context;

/// Writes `contents` to `path` atomically with permission bits `mode`.
pub fn write_atomic(path: &Path, contents: &[u8], mode: u32) -> anyhow::Result<()> {
    let dir = parent(path);
    let name = path
        .file_name()
        .with_context(|| format!("{} has no file name", path.display()))?;
    let tmp = dir.join(format!(".{}.tmp", name.to_string_lossy()));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(&tmp)
        .with_context(|| format!("cannot create {}", tmp.display()))?;
    // The mode given to open() is filtered by the umask; set it exactly.
    file.set_permissions(std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("cannot set mode of {}", tmp.display()))?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    rename(&tmp, path)
}

/// Renames `from` to `to` durably: once it returns, a crash keeps the new name (the
/// directories that hold both names are synced).
pub fn rename(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::rename(from, to)
        .with_context(|| format!("cannot rename {} to {}", from.display(), to.display()))?;
    let to_dir = parent(to);
    sync_dir(to_dir)?;
    match parent(from) {
        from_dir if from_dir != to_dir => sync_dir(from_dir),
        _ => Ok(()),
    }
}

/// Writes a directory's entries (a created, renamed or removed name) to disk.
pub fn sync_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("cannot sync {}", dir.display()))
}

/// Writes to disk what the filesystem holding `path` has in memory: what a tree of files (a
/// backup, a version set aside) needs before the rename that declares it complete.
pub fn sync_filesystem(path: &Path) -> anyhow::Result<()> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    nix::unistd::syncfs(&file)
        .with_context(|| format!("cannot sync the filesystem of {}", path.display()))
}

/// The directory that holds `path` (`.` for a bare name).
fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// A file whose presence says that work is under way (a first start, an install): created
/// before the work and removed after it, both durably. Whatever moment a crash strikes, the
/// next start reads the truth: present, the work was interrupted and is redone; absent, it
/// never started or it is complete.
#[derive(Debug, Clone)]
pub struct Marker(std::path::PathBuf);

impl Marker {
    pub fn new(path: impl Into<std::path::PathBuf>) -> Marker {
        Marker(path.into())
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn exists(&self) -> bool {
        self.0.symlink_metadata().is_ok()
    }

    /// Creates the marker, holding `note` (for whoever lists the directory).
    pub fn create(&self, note: &str) -> anyhow::Result<()> {
        write_atomic(&self.0, note.as_bytes(), 0o644)
    }

    /// Removes the marker: the work is complete.
    pub fn remove(&self) -> anyhow::Result<()> {
        remove_file(&self.0)?;
        sync_dir(parent(&self.0))
    }
}

/// Writes `contents` to `path` only when it differs from what is there. Returns whether the
/// file changed.
pub fn write_if_changed(path: &Path, contents: &[u8], mode: u32) -> anyhow::Result<bool> {
    match std::fs::read(path) {
        Ok(old) if old == contents => Ok(false),
        _ => write_atomic(path, contents, mode).map(|()| true),
    }
}

/// Removes the file `path`; one that is not there is not an error.
pub fn remove_file(path: &Path) -> anyhow::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("cannot remove {}", path.display()))
        }
        _ => Ok(()),
    }
}

/// Removes the directory `path` and what it holds; one that is not there is not an error.
pub fn remove_dir_all(path: &Path) -> anyhow::Result<()> {
    match std::fs::remove_dir_all(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("cannot remove {}", path.display()))
        }
        _ => Ok(()),
    }
}

/// Changes the owner of `path` (not following symlinks).
pub fn chown(path: &Path, uid: u32, gid: u32) -> anyhow::Result<()> {
    std::os::unix::fs::lchown(path, Some(uid), Some(gid))
        .with_context(|| format!("cannot chown {} to {uid}:{gid}", path.display()))
}

/// Copies the tree `from` over `to`, as `cp -a` does, except `skip` (a path under `from`):
/// directories are created or merged, files replaced, symbolic links copied as links, modes
/// and owners kept; what only `to` has stays.
pub fn copy_over(from: &Path, to: &Path, skip: Option<&Path>) -> anyhow::Result<()> {
    use std::os::unix::fs::MetadataExt;
    if skip == Some(from) {
        return Ok(());
    }
    let meta = from
        .symlink_metadata()
        .with_context(|| format!("cannot read {}", from.display()))?;
    let existing = to.symlink_metadata().ok();
    // A different kind of entry is replaced, never merged.
    if let Some(old) = &existing
        && (old.is_dir() != meta.is_dir() || old.file_type().is_symlink())
    {
        if old.is_dir() {
            std::fs::remove_dir_all(to)
        } else {
            std::fs::remove_file(to)
        }
        .with_context(|| format!("cannot remove {}", to.display()))?;
    }
    if meta.file_type().is_symlink() {
        let target = std::fs::read_link(from)?;
        if to.symlink_metadata().is_ok() {
            std::fs::remove_file(to).with_context(|| format!("cannot remove {}", to.display()))?;
        }
        std::os::unix::fs::symlink(&target, to)
            .with_context(|| format!("cannot create {}", to.display()))?;
    } else if meta.is_dir() {
        if let Err(e) = std::fs::create_dir(to)
            && e.kind() != std::io::ErrorKind::AlreadyExists
        {
            return Err(e).with_context(|| format!("cannot create {}", to.display()));
        }
        for entry in
            std::fs::read_dir(from).with_context(|| format!("cannot read {}", from.display()))?
        {
            let name = entry?.file_name();
            copy_over(&from.join(&name), &to.join(&name), skip)?;
        }
        std::fs::set_permissions(to, meta.permissions())
            .with_context(|| format!("cannot set the mode of {}", to.display()))?;
    } else {
        std::fs::copy(from, to)
            .with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))?;
    }
    chown(to, meta.uid(), meta.gid())
}

/// An exclusive advisory lock (`flock`) on a file, held until dropped or until the process
/// ends, however it ends. Containers that mount the same volume share one kernel, so it
/// serialises them too. The descriptor is close-on-exec: an `exec` releases the lock.
pub struct Lock(#[allow(dead_code)] nix::fcntl::Flock<std::fs::File>);

impl Lock {
    /// Takes the lock on `path` (created if missing, mode 0600), calling `waiting` first if
    /// another process holds it, then waiting for it.
    pub fn exclusive(path: &Path, waiting: impl FnOnce()) -> anyhow::Result<Lock> {
        use nix::fcntl::{Flock, FlockArg};
        let file = match Lock::try_lock(path)? {
            Ok(lock) => return Ok(lock),
            Err(file) => file,
        };
        waiting();
        Flock::lock(file, FlockArg::LockExclusive)
            .map(Lock)
            .map_err(|(_, e)| e)
            .with_context(|| format!("cannot lock {}", path.display()))
    }

    /// Takes the lock on `path` (created if missing, mode 0600) if no other process holds
    /// it: `None` when one does.
    pub fn try_exclusive(path: &Path) -> anyhow::Result<Option<Lock>> {
        Ok(Lock::try_lock(path)?.ok())
    }

    /// The lock, or the file to wait on when another process holds it.
    fn try_lock(path: &Path) -> anyhow::Result<Result<Lock, std::fs::File>> {
        use nix::fcntl::{Flock, FlockArg};
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(lock) => Ok(Ok(Lock(lock))),
            Err((file, nix::errno::Errno::EWOULDBLOCK)) => Ok(Err(file)),
            Err((_, e)) => Err(e).with_context(|| format!("cannot lock {}", path.display())),
        }
    }
}

/// A child's standard input that reads `bytes`, then end of file: a pipe filled before the
/// child starts. Secrets passed this way are in no file, no argument and no environment
/// (which `/proc/PID/environ` shows to the same user). At most one pipe buffer (64 KiB).
pub fn stdin_with(bytes: &[u8]) -> anyhow::Result<std::process::Stdio> {
    anyhow::ensure!(
        bytes.len() <= 65536,
        "input of {} bytes is over a pipe buffer",
        bytes.len()
    );
    let (read, write) = nix::unistd::pipe().context("cannot create a pipe")?;
    std::fs::File::from(write)
        .write_all(bytes)
        .context("cannot write to a pipe")?;
    Ok(std::process::Stdio::from(read))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_over_merges_trees_and_skips_what_it_is_told() {
        let dir = std::env::temp_dir().join(format!("inception-copy-{}", std::process::id()));
        let (from, to) = (dir.join("from"), dir.join("to"));
        std::fs::create_dir_all(from.join("a/b")).unwrap();
        std::fs::create_dir_all(to.join("a")).unwrap();
        std::fs::write(from.join("a/b/new"), "new").unwrap();
        std::fs::write(from.join("a/file"), "image").unwrap();
        std::fs::write(from.join("a/last"), "image").unwrap();
        std::fs::write(to.join("a/file"), "old").unwrap();
        std::fs::write(to.join("a/last"), "old").unwrap();
        std::fs::write(to.join("a/mine"), "site").unwrap();
        // A file where the source has a directory is replaced.
        std::fs::write(to.join("a/b"), "in the way").unwrap();
        copy_over(&from.join("a"), &to.join("a"), Some(&from.join("a/last"))).unwrap();
        let read = |p: &str| std::fs::read_to_string(to.join(p)).unwrap();
        assert_eq!(read("a/b/new"), "new");
        assert_eq!(read("a/file"), "image");
        assert_eq!(read("a/last"), "old");
        assert_eq!(read("a/mine"), "site");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_marker_is_there_from_create_to_remove() {
        let dir = std::env::temp_dir().join(format!("inception-marker-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let marker = Marker::new(dir.join(".working"));
        assert!(!marker.exists());
        marker.create("in progress\n").unwrap();
        assert!(marker.exists());
        assert_eq!(
            std::fs::read_to_string(marker.path()).unwrap(),
            "in progress\n"
        );
        // Created again (a retried start): still one marker, no temporary file beside it.
        marker.create("in progress\n").unwrap();
        let names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [".working"]);
        marker.remove().unwrap();
        assert!(!marker.exists());
        marker.remove().unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_lock_waits_for_its_holder() {
        let dir = std::env::temp_dir().join(format!("inception-lock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("setup.lock");
        let first = Lock::exclusive(&path, || panic!("nobody holds it yet")).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let waiter = {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut waited = false;
                let _second = Lock::exclusive(&path, || waited = true).unwrap();
                tx.send(waited).unwrap();
            })
        };
        // The second taker cannot finish while the first holds the lock.
        assert!(
            rx.recv_timeout(std::time::Duration::from_millis(200))
                .is_err()
        );
        drop(first);
        assert!(rx.recv_timeout(std::time::Duration::from_secs(5)).unwrap());
        waiter.join().unwrap();
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_lock_can_be_tried_without_waiting() {
        let dir = std::env::temp_dir().join(format!("inception-try-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("cron.lock");
        let first = Lock::try_exclusive(&path)
            .unwrap()
            .expect("nobody holds it yet");
        // flock locks belong to the open file: a second open of it, even in this process,
        // is another taker.
        assert!(Lock::try_exclusive(&path).unwrap().is_none());
        drop(first);
        assert!(Lock::try_exclusive(&path).unwrap().is_some());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn atomic_write_sets_mode_and_replaces() {
        let dir = std::env::temp_dir().join(format!("inception-fs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("f");
        write_atomic(&path, b"one", 0o600).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"one");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert!(!write_if_changed(&path, b"one", 0o600).unwrap());
        assert!(write_if_changed(&path, b"two", 0o640).unwrap());
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
