//! WP-Cron in a cluster (`WP_SHARED_DIR`): once a minute for the whole cluster, whichever
//! replicas are up.
//!
//! Page views do not start it there (`DISABLE_WP_CRON`, in `wp-config.php`): a start from
//! each replica would rely on WordPress's own lock, kept by a cache that can move. Instead
//! every replica's PID 1 tries, once a minute, to take a lock in the shared copy (GlusterFS
//! locks a file for all its clients; a replica that dies releases it), and the one that
//! takes it runs the due events (`php wp-cron.php`) as WordPress's user. WordPress then
//! reschedules them, so a replica that takes the lock later in the same minute finds
//! nothing due.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use inception_core::fs;
use inception_core::pid1::Supervisor;
use inception_core::user::Account;

use crate::php;
use crate::volume::CRON_LOCK;

/// WP-Cron's own granularity: events are scheduled to the second, checked every minute.
const EVERY: Duration = Duration::from_secs(60);

/// Starts the minute loop in a thread of this process (PID 1, beside php-fpm).
pub fn start(sup: &'static Supervisor, shared: PathBuf, webroot: PathBuf, www: Account) {
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(EVERY);
            let held = match fs::Lock::try_exclusive(&shared.join(CRON_LOCK)) {
                Ok(Some(held)) => held,
                // Another replica runs them.
                Ok(None) => continue,
                Err(e) => {
                    tracing::warn!("WP-Cron: {e:#}");
                    continue;
                }
            };
            let started = Instant::now();
            let mut cmd = php::command("wp-cron.php", &webroot, Some(&www));
            match sup.run(&mut cmd) {
                Ok(()) => tracing::info!(
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "WP-Cron: ran the due events"
                ),
                Err(e) => tracing::warn!("WP-Cron: {e:#}"),
            }
            drop(held);
        }
    });
}
