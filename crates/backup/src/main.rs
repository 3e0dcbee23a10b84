//! `inception-backup`: the backup service (bonus).
//!
//! ```text
//! inception-backup                    run the schedule (the container's PID 1)
//! inception-backup backup             take a backup now; prints its id
//! inception-backup list [--json]      the backups, oldest first (--json: a JSON array)
//! inception-backup restore ID         put the database and the files of backup ID back
//! inception-backup health [--pace S]  the database answers and the backup directory is writable
//! ```
//!
//! A backup is a directory `BACKUP_DIR/<UTC timestamp>` holding `database.sql` (a consistent
//! `mariadb-dump --single-transaction` of WordPress's database), `files.tar.gz` (the
//! WordPress files) and `manifest.json` (what it holds, see `backup::Manifest`). It is written under a temporary name and renamed when complete, so an
//! interrupted backup never looks like one. The schedule keeps the newest `BACKUP_KEEP`.

mod backup;
mod settings;

use std::process::ExitCode;
use std::time::Duration;

use inception_core::config::Config;
use inception_core::db::Database;
use inception_core::{exit, log, pid1, rt};

use crate::settings::Settings;

const USAGE: &str = "usage: inception-backup [backup | list [--json] | restore ID | health [--pace SECONDS] [--json]]";

fn main() -> ExitCode {
    log::init();
    exit::main("inception-backup", || {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let cfg = Config::from_env();
        // Listing reads only the backups' directory: it needs no database account.
        if let ["list", rest @ ..] = args.as_slice() {
            let backups = backup::list(&Settings::dir(&cfg)?)?;
            return match rest {
                [] => {
                    for b in backups {
                        println!("{}\t{:.1} MB", b.id, b.bytes() as f64 / 1e6);
                    }
                    Ok(exit::OK)
                }
                ["--json"] => {
                    println!("{}", serde_json::to_string(&backups)?);
                    Ok(exit::OK)
                }
                _ => Err(exit::UsageError(USAGE.into()).into()),
            };
        }
        let settings = Settings::read(&cfg)?;
        match args.as_slice() {
            // The scheduler is this process: a stop between backups is its normal end.
            [] => backup::schedule(
                pid1::install_with(pid1::Options {
                    stop_is_success: true,
                    ..Default::default()
                })?,
                &settings,
            ),
            ["backup"] => {
                let id = backup::take(pid1::install()?, &settings)?;
                println!("{id}");
                Ok(exit::OK)
            }
            ["restore", id] => {
                backup::restore(pid1::install()?, &settings, id)?;
                println!("restored {id}");
                Ok(exit::OK)
            }
            ["health", rest @ ..] => {
                let rest: Vec<String> = rest.iter().map(|s| s.to_string()).collect();
                inception_core::health::run(&rest, || health(&settings), None)
            }
            _ => Err(exit::UsageError(USAGE.into()).into()),
        }
    })
}

fn health(settings: &Settings) -> anyhow::Result<String> {
    let db = Database {
        database: Some(settings.db_name.clone()),
        ..settings.db.clone()
    };
    rt::run(db.query_one("SELECT 'ok'", Duration::from_secs(3)))?;
    let probe_file = settings.dir.join(".health");
    std::fs::write(&probe_file, b"ok")
        .map_err(|e| anyhow::anyhow!("{} is not writable: {e}", settings.dir.display()))?;
    let _ = std::fs::remove_file(probe_file);
    let count = backup::list(&settings.dir)?.len();
    Ok(format!(
        "database reachable, {count} backups in {}",
        settings.dir.display()
    ))
}
