//! Upgrades an existing site to the image's WordPress, keeping what it replaces.
//!
//! A volume keeps the WordPress it was first given; the image is how a newer one arrives. At
//! start, when the volume's core (its `wp-includes/version.php`) or the database's
//! `db_version` is older than the image's, the site is upgraded as WordPress's own updater
//! does it, with a way back:
//!
//! 1. **Set aside**: the core files (everything but `wp-content/` and `wp-config.php`) are
//!    copied, and the database dumped consistently, to [`UPGRADES`]`/wordpress-OLD/` in the
//!    volume. Nothing else changes before that copy is complete.
//! 2. **Replace**: under WordPress's maintenance mode, the image's core files are copied
//!    over the old ones (`wp-includes/version.php` last; files the site added stay), new
//!    bundled themes and plugins are added, and what WordPress's `$_old_files` lists is
//!    deleted. Then `wp_upgrade()` brings the database up to date (`upgrade.php`).
//! 3. **Check**: php-fpm renders the front page and the dashboard over FastCGI; both must
//!    answer 200.
//!
//! Any failure puts the set-aside files and the dump back, and the old version starts. A
//! journal ([`UPGRADE_JOURNAL`]) records the step reached, so that a start after a kill finishes the
//! replacement or the rollback it interrupted; a kill while setting aside starts over.
//! A volume or database newer than the image is refused before anything is touched.

use std::cmp::Ordering;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use inception_core::db::Blocking;
use inception_core::pid1::Supervisor;
use inception_core::probe::fastcgi;
use inception_core::user::Account;
use inception_core::{fs, sql};
use serde::{Deserialize, Serialize};

use crate::events;
use crate::php;
use crate::settings::Settings;
use crate::version::{Version, compare};
use crate::volume::{
    MAINTENANCE, SOURCE, UPGRADE_JOURNAL, UPGRADES, VERSION_PHP, WP_CONFIG, WP_CONTENT,
};

/// The database step, as installed in the image.
pub const SCRIPT: &str = "/etc/inception/upgrade.php";
/// What is never set aside nor replaced: the site's own.
const SITE_OWN: [&str; 2] = [WP_CONTENT, WP_CONFIG];
/// The check's php-fpm: its configuration file (on the container's tmpfs) and its pool.
const CHECK_CONFIG: &str = "/run/php/inception-upgrade-check.conf";
const CHECK_POOL_ADDRESS: &str = "127.0.0.1:9009";
const CHECK_POOL: &str = "\
[global]
pid = /run/php/inception-upgrade-check.pid
error_log = /proc/self/fd/2
[upgrade-check]
user = www-data
group = www-data
listen = 127.0.0.1:9009
pm = static
pm.max_children = 1
ping.path = /ping
catch_workers_output = yes
decorate_workers_output = no
security.limit_extensions = .php
";
const QUERY_TIMEOUT: Duration = Duration::from_secs(10);

/// What the versions call for.
#[derive(Debug, PartialEq)]
pub enum Plan {
    /// The site runs the image's version.
    Current,
    /// Upgrade from the volume's version (its database's `db_version`).
    Upgrade(Version),
    /// No site in the database yet: the files are simply replaced.
    Refresh,
    /// The volume or the database is newer than the image.
    Downgrade(String),
}

/// Decides from the volume's files, the database's `db_version` (`None` when the site is
/// not installed) and the image's version.
pub fn plan(files: &Version, db: Option<u64>, image: &Version) -> Plan {
    if compare(&files.wordpress, &image.wordpress) == Ordering::Greater {
        return Plan::Downgrade(format!(
            "the volume holds WordPress {}, newer than this image's {}",
            files.wordpress, image.wordpress
        ));
    }
    if let Some(db) = db.filter(|&db| db > image.db) {
        return Plan::Downgrade(format!(
            "the database is at version {db} (WordPress {} or later), newer than this \
             image's WordPress {} (database version {})",
            files.wordpress, image.wordpress, image.db
        ));
    }
    let older = compare(&files.wordpress, &image.wordpress) == Ordering::Less;
    match db {
        None if older => Plan::Refresh,
        Some(db) if older || db < image.db => Plan::Upgrade(Version {
            wordpress: files.wordpress.clone(),
            db,
        }),
        _ => Plan::Current,
    }
}

/// How far an upgrade went: in the volume, written before each step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Step {
    /// Copying the old version aside: nothing else has changed.
    SetAside,
    /// Replacing the files and upgrading the database.
    Replace,
    /// Putting the old version back.
    Rollback,
}

#[derive(Debug, Serialize, Deserialize)]
struct Journal {
    from: Version,
    to: Version,
    step: Step,
    /// Bundled themes and plugins the upgrade added to wp-content (removed by a rollback).
    #[serde(default)]
    added: Vec<String>,
    /// Why the upgrade is being rolled back.
    #[serde(default)]
    failure: Option<String>,
}

/// Refuses to start on a volume whose files are newer than the image's, before anything is
/// written to it (the database's version is checked by [`ensure`]).
pub fn refuse_downgrade(webroot: &Path) -> anyhow::Result<()> {
    if webroot.join(UPGRADE_JOURNAL).exists() {
        return Ok(());
    }
    let (files, image) = (Version::read(webroot)?, Version::read(Path::new(SOURCE))?);
    if let Plan::Downgrade(why) = plan(&files, None, &image) {
        bail!("{}", downgrade_message(&why));
    }
    Ok(())
}

fn downgrade_message(why: &str) -> String {
    format!(
        "{why}: this image cannot run it, and nothing was changed. Start the newer image \
         again (git checkout the newer version, then make), or restore an older site \
         (docs/upgrades.md)"
    )
}

/// What an upgrade works with.
pub struct Upgrade<'a> {
    pub sup: &'a Supervisor,
    pub target: &'a Blocking,
    pub webroot: &'a Path,
    pub settings: &'a Settings,
    pub www: &'a Account,
    /// The service's command: its program (php-fpm) runs the check.
    pub service: &'a [String],
}

impl Upgrade<'_> {
    /// Finishes or undoes an interrupted upgrade, then upgrades the site if the image is
    /// newer. Fails only when the site cannot run at all (a downgrade, a failed rollback).
    pub fn ensure(&self) -> anyhow::Result<()> {
        if let Some(journal) = self.journal()? {
            self.resume(journal)?;
        }
        let image = Version::read(Path::new(SOURCE))?;
        let files = Version::read(self.webroot)?;
        let db = self.db_version()?;
        match plan(&files, db, &image) {
            Plan::Current => Ok(()),
            Plan::Downgrade(why) => bail!("{}", downgrade_message(&why)),
            Plan::Refresh => {
                tracing::info!(from = %files.wordpress, to = %image.wordpress, "no site installed yet: replacing WordPress's files");
                self.replace_files(&mut Vec::new())
            }
            Plan::Upgrade(from) => self.upgrade(Journal {
                from,
                to: image,
                step: Step::SetAside,
                added: Vec::new(),
                failure: None,
            }),
        }
    }

    fn resume(&self, mut journal: Journal) -> anyhow::Result<()> {
        let image = Version::read(Path::new(SOURCE))?;
        match journal.step {
            Step::SetAside => {
                tracing::warn!(from = %journal.from.wordpress, "an upgrade was interrupted while setting the old version aside; starting it over");
                let partial = self.kept(&journal.from).with_extension("partial");
                fs::remove_dir_all(&partial)?;
                fs::remove_file(&self.webroot.join(UPGRADE_JOURNAL))
            }
            Step::Replace if journal.to == image => {
                tracing::warn!(from = %journal.from.wordpress, to = %journal.to.wordpress, "finishing an interrupted upgrade");
                self.finish(journal)
            }
            Step::Replace => {
                journal.failure = Some(format!(
                    "interrupted, and this image carries WordPress {}",
                    image.wordpress
                ));
                self.rollback(journal)
            }
            Step::Rollback => {
                tracing::warn!(to = %journal.from.wordpress, "finishing an interrupted rollback");
                self.rollback(journal)
            }
        }
    }

    fn upgrade(&self, mut journal: Journal) -> anyhow::Result<()> {
        let (from, to) = (&journal.from.wordpress, &journal.to.wordpress);
        tracing::info!(%from, to = %to, db_from = journal.from.db, db_to = journal.to.db, "{}", events::UPGRADING_WORDPRESS);
        self.write_journal(&journal)?;
        self.set_aside(&journal.from)?;
        journal.step = Step::Replace;
        self.write_journal(&journal)?;
        self.finish(journal)
    }

    /// The replacement, the database upgrade and the check; a rollback if one fails.
    fn finish(&self, mut journal: Journal) -> anyhow::Result<()> {
        let started = Instant::now();
        match self.replace(&mut journal) {
            Ok(()) => {
                fs::remove_file(&self.webroot.join(UPGRADE_JOURNAL))?;
                tracing::info!(
                    from = %journal.from.wordpress,
                    to = %journal.to.wordpress,
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    kept = %self.kept(&journal.from).display(),
                    "WordPress upgraded; the old version is kept (docs/upgrades.md)"
                );
                Ok(())
            }
            Err(e) => {
                journal.failure = Some(format!("{e:#}"));
                self.rollback(journal)
            }
        }
    }

    fn replace(&self, journal: &mut Journal) -> anyhow::Result<()> {
        let maintenance = self.webroot.join(MAINTENANCE);
        // What WordPress's updater writes: other containers serving this volume answer 503
        // for the moment the files are mixed.
        std::fs::write(&maintenance, "<?php $upgrading = time();\n")
            .with_context(|| format!("cannot create {}", maintenance.display()))?;
        self.replace_files(&mut journal.added)?;
        self.write_journal(journal)?;
        tracing::info!(to = %journal.to.wordpress, "upgrading the database");
        let input = serde_json::json!({ "home": self.settings.home_url() });
        let out = self
            .sup
            .output(&mut php::with_json(
                SCRIPT,
                self.webroot,
                Some(self.www),
                &input,
            )?)
            .context("the database upgrade failed")?;
        let answer: serde_json::Value = serde_json::from_slice(&out)
            .with_context(|| format!("{SCRIPT} answered {}", String::from_utf8_lossy(&out)))?;
        fs::remove_file(&maintenance)?;
        let cookie = answer["cookie"].as_str().unwrap_or_default();
        self.check(cookie)
            .context("the upgraded site does not render")
    }

    /// Copies the image's core over the volume's: `wp-includes/version.php` last, then the
    /// bundled themes and plugins the volume lacks (recorded in `added`), then deletes what
    /// WordPress's `$_old_files` lists.
    fn replace_files(&self, added: &mut Vec<String>) -> anyhow::Result<()> {
        let source = Path::new(SOURCE);
        let version = source.join(VERSION_PHP);
        for name in entries(source)? {
            if !SITE_OWN.contains(&name.as_str()) {
                fs::copy_over(
                    &source.join(&name),
                    &self.webroot.join(&name),
                    Some(&version),
                )?;
            }
        }
        fs::copy_over(&version, &self.webroot.join(VERSION_PHP), None)?;
        for kind in ["themes", "plugins"] {
            let dir = Path::new(WP_CONTENT).join(kind);
            for name in entries(&source.join(&dir))? {
                let path = dir.join(&name);
                if self.webroot.join(&path).symlink_metadata().is_err() {
                    added.push(path.to_string_lossy().into_owned());
                    fs::copy_over(&source.join(&path), &self.webroot.join(&path), None)?;
                }
            }
        }
        for old in self.old_files()? {
            let path = self.webroot.join(&old);
            // A name the new version ships again is not old.
            if source.join(&old).symlink_metadata().is_err() && path.symlink_metadata().is_ok() {
                tracing::debug!(path = %old, "removing a file WordPress no longer has");
                remove_any(&path)?;
            }
        }
        Ok(())
    }

    /// WordPress's list of files its earlier versions had (wp-admin/includes/update-core.php).
    fn old_files(&self) -> anyhow::Result<Vec<String>> {
        let code = format!(
            "require '{SOURCE}/wp-admin/includes/update-core.php'; \
             echo json_encode(array_values($_old_files));"
        );
        let out = self
            .sup
            .output(Command::new("php").args(["-r", &code]))
            .context("cannot read WordPress's list of old files")?;
        let files: Vec<String> =
            serde_json::from_slice(&out).context("WordPress's list of old files is not a list")?;
        // Paths inside the core only: never wp-content, never out of the volume.
        Ok(files
            .into_iter()
            .filter(|f| {
                let p = Path::new(f);
                !f.starts_with(WP_CONTENT)
                    && p.components()
                        .all(|c| matches!(c, std::path::Component::Normal(_)))
            })
            .collect())
    }

    /// Copies the old core and dumps the database to the kept version's directory.
    fn set_aside(&self, from: &Version) -> anyhow::Result<()> {
        let kept = self.kept(from);
        let partial = kept.with_extension("partial");
        fs::remove_dir_all(&partial)?;
        let files = partial.join("files");
        // Root's only: the dump holds the users' password hashes, and the volume is shared
        // over FTP.
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&files)
            .with_context(|| format!("cannot create {}", files.display()))?;
        tracing::info!(path = %kept.display(), "setting the old version aside: core files and database");
        for name in entries(self.webroot)? {
            if !SITE_OWN.contains(&name.as_str()) && !name.starts_with('.') {
                fs::copy_over(&self.webroot.join(&name), &files.join(&name), None)?;
            }
        }
        self.dump(&partial.join("database.sql"))?;
        fs::remove_dir_all(&kept)?;
        fs::sync_filesystem(&partial)?;
        fs::rename(&partial, &kept)
    }

    /// Puts the kept version back: files, database, then starts over without the journal.
    fn rollback(&self, mut journal: Journal) -> anyhow::Result<()> {
        let why = journal.failure.clone().unwrap_or_default();
        journal.step = Step::Rollback;
        self.write_journal(&journal)?;
        let kept = self.kept(&journal.from);
        let (files, dump) = (kept.join("files"), kept.join("database.sql"));
        if !files.is_dir() || !dump.is_file() {
            bail!(
                "cannot roll back ({why}): {} lacks the old files or the dump; the site's files \
                 and database were left as they are",
                kept.display()
            );
        }
        let maintenance = self.webroot.join(MAINTENANCE);
        std::fs::write(&maintenance, "<?php $upgrading = time();\n")
            .with_context(|| format!("cannot create {}", maintenance.display()))?;
        for name in entries(Path::new(SOURCE))? {
            if !SITE_OWN.contains(&name.as_str()) {
                remove_any(&self.webroot.join(name))?;
            }
        }
        for path in &journal.added {
            remove_any(&self.webroot.join(path))?;
        }
        for name in entries(&files)? {
            fs::copy_over(&files.join(&name), &self.webroot.join(&name), None)?;
        }
        self.restore(&dump)
            .context("cannot put the database back")?;
        fs::remove_file(&maintenance)?;
        fs::remove_file(&self.webroot.join(UPGRADE_JOURNAL))?;
        tracing::error!(
            from = %journal.from.wordpress,
            to = %journal.to.wordpress,
            "the upgrade to WordPress {} failed ({why}); WordPress {} and its database are back \
             as they were, nothing was lost. The upgrade is tried again at the next start \
             (docker compose restart wordpress)",
            journal.to.wordpress,
            journal.from.wordpress,
        );
        Ok(())
    }

    /// Starts php-fpm with a pool of its own (on a port nothing else uses: neither nginx
    /// nor the healthcheck reach it), asks it for the front page and the dashboard, and
    /// stops it.
    fn check(&self, cookie: &str) -> anyhow::Result<()> {
        let program = self.service.first().context("no service command")?;
        let config = Path::new(CHECK_CONFIG);
        fs::write_atomic(config, CHECK_POOL.as_bytes(), 0o644)?;
        let child = self
            .sup
            .spawn(Command::new(program).args(["-F", "-y"]).arg(config))
            .with_context(|| format!("cannot start {program}"))?;
        let result = self.target.run(async {
            inception_core::retry::Backoff::with_timeout(Duration::from_secs(15))
                .retry(|| fastcgi::ping(CHECK_POOL_ADDRESS, "/ping", Duration::from_secs(2)))
                .await?;
            for (script, uri) in [("index.php", "/"), ("wp-admin/index.php", "/wp-admin/")] {
                self.render(script, uri, cookie).await?;
            }
            anyhow::Ok(())
        });
        self.sup.signal(child, nix::sys::signal::Signal::SIGQUIT)?;
        self.sup.wait(child);
        fs::remove_file(config)?;
        result
    }

    /// One page over FastCGI, as nginx asks for it: it must answer 200.
    async fn render(&self, script: &str, uri: &str, cookie: &str) -> anyhow::Result<()> {
        let r = fastcgi::Get {
            document_root: &self.webroot.to_string_lossy(),
            script: &format!("/{script}"),
            uri,
            site: Some(&self.settings.site),
            cookie,
        }
        .send(CHECK_POOL_ADDRESS, Duration::from_secs(30))
        .await?;
        if r.status != 200 {
            bail!(
                "{uri} answered {}{}",
                r.status,
                r.header("Location")
                    .map(|l| format!(" (to {l})"))
                    .unwrap_or_default()
            );
        }
        tracing::info!(%uri, bytes = r.body.len(), "renders");
        Ok(())
    }

    /// `mariadb-dump --single-transaction` of the site's tables (this prefix).
    fn dump(&self, to: &Path) -> anyhow::Result<()> {
        let tables = self.tables()?;
        let mut cmd = self.target.database().client_command("mariadb-dump");
        cmd.args([
            "--single-transaction",
            "--skip-lock-tables",
            "--add-drop-table",
        ])
        .arg(format!("--result-file={}", to.display()))
        .arg(self.settings.db.name())
        .args(&tables);
        self.sup.run(&mut cmd).context("mariadb-dump failed")
    }

    /// Drops the site's tables, then loads the dump.
    fn restore(&self, from: &Path) -> anyhow::Result<()> {
        let tables = self.tables()?;
        if !tables.is_empty() {
            let list = tables
                .iter()
                .map(|t| sql::identifier(t))
                .collect::<Result<Vec<_>, _>>()?
                .join(", ");
            self.target
                .execute(&format!("DROP TABLE IF EXISTS {list}"), QUERY_TIMEOUT)?;
        }
        let dump =
            std::fs::File::open(from).with_context(|| format!("cannot open {}", from.display()))?;
        let mut cmd = self.target.database().client_command("mariadb");
        cmd.arg(self.settings.db.name()).stdin(dump);
        self.sup.run(&mut cmd).context("loading the dump failed")
    }

    /// The database's tables with the site's prefix.
    fn tables(&self) -> anyhow::Result<Vec<String>> {
        let prefix = &self.settings.db.table_prefix;
        self.target.query_column(
            &format!(
                "SELECT table_name FROM information_schema.tables \
                 WHERE table_schema = DATABASE() AND LEFT(table_name, {}) = {} \
                 ORDER BY table_name",
                prefix.chars().count(),
                sql::literal(prefix)
            ),
            QUERY_TIMEOUT,
        )
    }

    /// The database's `db_version`; `None` when the site is not installed.
    fn db_version(&self) -> anyhow::Result<Option<u64>> {
        let options = format!("{}options", self.settings.db.table_prefix);
        let exists = self.target.query_one(
            &format!(
                "SELECT COUNT(*) FROM information_schema.tables \
                 WHERE table_schema = DATABASE() AND table_name = {}",
                sql::literal(&options)
            ),
            QUERY_TIMEOUT,
        )?;
        if exists != "1" {
            return Ok(None);
        }
        let version = self.target.query_column(
            &format!(
                "SELECT option_value FROM {} WHERE option_name = 'db_version'",
                sql::identifier(&options)?
            ),
            QUERY_TIMEOUT,
        )?;
        Ok(version.first().and_then(|v| v.trim().parse().ok()))
    }

    fn kept(&self, version: &Version) -> PathBuf {
        self.webroot
            .join(UPGRADES)
            .join(format!("wordpress-{}", version.wordpress))
    }

    fn journal(&self) -> anyhow::Result<Option<Journal>> {
        let path = self.webroot.join(UPGRADE_JOURNAL);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .with_context(|| format!("{} is not an upgrade journal", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }

    fn write_journal(&self, journal: &Journal) -> anyhow::Result<()> {
        fs::write_atomic(
            &self.webroot.join(UPGRADE_JOURNAL),
            &serde_json::to_vec_pretty(journal)?,
            0o600,
        )
    }
}

/// The names in `dir`, sorted.
fn entries(dir: &Path) -> anyhow::Result<Vec<String>> {
    let mut names = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("cannot read {}", dir.display()))?;
    names.sort();
    Ok(names)
}

fn remove_any(path: &Path) -> anyhow::Result<()> {
    match path.symlink_metadata() {
        Ok(m) if m.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::version::tests::v;

    #[test]
    fn an_older_site_is_upgraded_a_newer_one_refused() {
        let image = v("6.8.12", 60421);
        assert_eq!(
            plan(&v("6.1.9", 53496), Some(53496), &image),
            Plan::Upgrade(v("6.1.9", 53496))
        );
        assert_eq!(plan(&image, Some(60421), &image), Plan::Current);
        // Files current, database behind (restored from an older dump): the database step.
        assert_eq!(
            plan(&image, Some(53496), &image),
            Plan::Upgrade(v("6.8.12", 53496))
        );
        assert_eq!(plan(&v("6.1.9", 53496), None, &image), Plan::Refresh);
        assert!(matches!(
            plan(&v("6.9", 61000), Some(61000), &image),
            Plan::Downgrade(_)
        ));
        assert!(matches!(
            plan(&image, Some(61000), &image),
            Plan::Downgrade(_)
        ));
    }

    #[test]
    fn the_journal_names_its_step_in_words() {
        let j = Journal {
            from: v("6.1.9", 53496),
            to: v("6.8.12", 60421),
            step: Step::SetAside,
            added: vec!["wp-content/themes/twentytwentyfive".into()],
            failure: None,
        };
        let text = serde_json::to_string(&j).unwrap();
        assert!(text.contains(r#""step":"setaside""#), "{text}");
        let back: Journal = serde_json::from_str(&text).unwrap();
        assert_eq!(back.step, Step::SetAside);
        assert_eq!(back.added, j.added);
    }
}
