//! The state this member publishes: a thread answering on [`STATE_PORT`] with this
//! member's [`Report`], and the phase file its health check reads.

use std::io::Write;
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use inception_core::fs;

use super::report::{Report, STATE_PORT};
use crate::paths::PHASE_FILE;

/// The state this member publishes, shared with the thread that answers on [`STATE_PORT`].
#[derive(Clone)]
pub struct Published(Arc<Mutex<Report>>);

impl Published {
    /// Starts answering on [`STATE_PORT`] with `report`, and records the phase for the
    /// health check.
    pub fn start(report: Report) -> anyhow::Result<Published> {
        let listener = TcpListener::bind(("0.0.0.0", STATE_PORT))
            .with_context(|| format!("cannot listen on port {STATE_PORT}"))?;
        let published = Published(Arc::new(Mutex::new(Report::Starting)));
        published.set(report)?;
        let shared = published.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let line = shared.get().line();
                let mut stream = stream;
                let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
                let _ = stream.write_all(line.as_bytes());
            }
        });
        Ok(published)
    }

    fn get(&self) -> Report {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Changes what this member says.
    pub fn set(&self, report: Report) -> anyhow::Result<()> {
        let mut current = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if *current != report {
            fs::write_atomic(Path::new(PHASE_FILE), report.line().as_bytes(), 0o644)?;
            *current = report;
        }
        Ok(())
    }
}

/// What the health check reads of the entrypoint's phase; None before it wrote any.
pub fn phase() -> Option<Report> {
    Report::parse(&std::fs::read_to_string(PHASE_FILE).ok()?)
}

/// How long the entrypoint has been in its phase (the file is written when it changes).
pub fn phase_age() -> Option<Duration> {
    std::fs::metadata(PHASE_FILE)
        .ok()?
        .modified()
        .ok()?
        .elapsed()
        .ok()
}
