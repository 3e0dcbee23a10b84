//! Start-up of the wordpress container: settings, files, `wp-config.php`, the database,
//! the upgrade of an older site, the site's install, then run php-fpm. Each step is
//! idempotent and crash-safe.

use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use inception_core::config::Config;
use inception_core::retry::Backoff;
use inception_core::user::Account;
use inception_core::{fs, pid1};

use crate::settings::Settings;
use crate::upgrade::{self, Upgrade};
use crate::volume::{SETUP_LOCK, SOURCE, WEBROOT};
use crate::{cron, files, install, mail, wpconfig};

/// Prepares WordPress, then runs `argv` (php-fpm) until it ends.
pub fn run(argv: Vec<String>) -> anyhow::Result<u8> {
    let sup = pid1::install().context("cannot install signal handling")?;
    // Settings first: bad input stops us before anything is touched.
    let settings = Settings::read(&Config::from_env())?;
    let www = Account::lookup("www-data")?;
    // The container's own memory, not the volume: before the setup, so that mail the
    // install or an upgrade sends has its relay.
    mail::configure(settings.mail.as_ref(), &www)?;
    let webroot = Path::new(WEBROOT);
    let started = Instant::now();

    // Where the setup works: the volume php-fpm serves or, in a cluster, the copy every
    // replica shares (then php-fpm runs a private copy, made below).
    let site = settings.shared.as_deref().unwrap_or(webroot);

    // The volume's root belongs to WordPress, whichever container mounted it first (Docker
    // gives a new volume the owner of the first image's mount point).
    fs::chown(site, www.uid, www.gid)?;
    // Replicas share the volume and the database: one sets up at a time, the others then
    // find the work done.
    let lock = fs::Lock::exclusive(&site.join(SETUP_LOCK), || {
        tracing::info!("another replica is setting up; waiting for it")
    })?;
    files::ensure(sup, Path::new(SOURCE), site)?;
    // A volume newer than the image is refused before anything is written to it.
    upgrade::refuse_downgrade(site)?;
    wpconfig::write(site, &settings, &www)?;

    let db = &settings.db;
    let target = db.connection.clone().blocking()?;
    let address = &target.database().address;
    tracing::info!(host = %address, timeout_s = db.wait.as_secs(), "waiting for the database");
    target.wait_ready(Backoff::with_timeout(db.wait))?;
    Upgrade {
        sup,
        target: &target,
        webroot: site,
        settings: &settings,
        www: &www,
        service: &argv,
    }
    .ensure()?;
    install::ensure(sup, &target, site, &settings, &www)?;
    if site != webroot {
        // Under the lock: a replica upgrading the shared copy is not copied half-way.
        files::private_copy(Path::new(SOURCE), site, webroot)?;
        fs::chown(webroot, www.uid, www.gid)?;
    }
    drop(lock);
    if let Some(shared) = &settings.shared {
        cron::start(sup, shared.clone(), webroot.to_path_buf(), www.clone());
    }
    tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, url = %settings.home_url(), "WordPress ready");
    pid1::run_service(&argv, None)
}
