//! A running member's watcher: while the server is in a primary component and synced, the
//! member says so on its state port.

use std::time::Duration;

use super::cluster::Galera;
use super::report::Report;
use super::server::Published;

/// Watches the local server once it runs, and says `primary` while it is ready for clients:
/// in a primary component and synced (`wsrep_ready`). Members join such a member, and the
/// database proxy sends clients only to one (see `crates/dbproxy`).
pub fn watch(galera: Galera, published: Published) {
    std::thread::spawn(move || {
        // One connection handle, and its runtime, for the member's life.
        let account = match galera.local_account().blocking() {
            Ok(account) => account,
            Err(e) => return tracing::error!("cannot watch the member's state: {e:#}"),
        };
        let mut ready = false;
        let mut unanswered = 0;
        loop {
            let answer = account.query_one(
                "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS \
                 WHERE VARIABLE_NAME = 'WSREP_READY'",
                Duration::from_secs(2),
            );
            match answer {
                Ok(value) => {
                    ready = value == "ON";
                    unanswered = 0;
                }
                // A busy server that answers late is not a member that left the cluster:
                // only a server silent for several seconds stops being ready.
                Err(_) => {
                    unanswered += 1;
                    if unanswered >= 3 {
                        ready = false;
                    }
                }
            }
            let report = if ready {
                Report::Primary
            } else {
                Report::Starting
            };
            if let Err(e) = published.set(report) {
                tracing::warn!("cannot record the member's phase: {e:#}");
            }
            std::thread::sleep(Duration::from_secs(1));
        }
    });
}
