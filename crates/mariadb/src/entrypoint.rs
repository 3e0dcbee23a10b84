//! Start-up of the mariadb container: decide what the data directory needs, do the first
//! start when it is due (`first_start.rs`), or, for a Galera member, learn its part in the
//! cluster first (`galera`), then run `mariadbd` as `mysql`.

use std::path::Path;

use anyhow::{Context, bail};
use inception_core::config::Config;
use inception_core::fs;
use inception_core::pid1;
use inception_core::user::Account;

use crate::bootstrap;
use crate::datadir::{self, State};
use crate::events;
use crate::first_start;
use crate::galera::{self, Galera};
use crate::paths::{DATADIR, EXPORTER_INIT_FILE, RUNDIR};

/// Prepares the data directory if needed, then runs the server command `argv` (`mariadbd`
/// and its options) until it ends.
pub fn run(argv: Vec<String>) -> anyhow::Result<u8> {
    let sup = pid1::install().context("cannot install signal handling")?;
    let datadir = Path::new(DATADIR);
    let mysql = Account::lookup("mysql")?;
    let galera = Galera::read(&Config::from_env())?;
    std::fs::create_dir_all(RUNDIR).with_context(|| format!("cannot create {RUNDIR}"))?;
    fs::chown(Path::new(RUNDIR), mysql.uid, mysql.gid)?;

    let state = datadir::inspect(datadir)?;
    if let State::Foreign(names) = &state {
        bail!(
            "{DATADIR} holds files that are not a MariaDB database ({}); refusing to touch them: \
             empty the directory or mount another one",
            names.join(", ")
        );
    }
    let server = match galera {
        Some(galera) => galera::prepare(sup, galera, datadir, &state, &mysql, &argv)?,
        None if state == State::Ready => {
            tracing::info!(datadir = DATADIR, "{}", events::DATABASE_PRESENT);
            with_exporter_account(argv, &mysql)?
        }
        None => {
            first_start::run(sup, datadir, &mysql, &state, &argv[1..], None)?;
            with_exporter_account(argv, &mysql)?
        }
    };
    pid1::run_service(&server, Some(&mysql))
}

/// The monitoring's account (bonus), when `MARIADB_EXPORTER_PASSWORD` is set: the server
/// runs its statements at start (`--init-file`, read as mysql from the runtime directory),
/// so that it exists, with the secret's password, on a database made before it was asked
/// for too. Placed before the user's arguments: an `--init-file` of theirs wins. Not for a
/// Galera member (its first start makes the account, which the cluster replicates).
fn with_exporter_account(argv: Vec<String>, mysql: &Account) -> anyhow::Result<Vec<String>> {
    let Some(password) = Config::from_env().optional_secret(&["MARIADB_EXPORTER_PASSWORD"])? else {
        return Ok(argv);
    };
    if argv.iter().any(|a| a == "--skip-grant-tables") {
        return Ok(argv);
    }
    let sql = bootstrap::exporter_sql(password.expose()).join(";\n") + ";\n";
    let file = Path::new(EXPORTER_INIT_FILE);
    fs::write_atomic(file, sql.as_bytes(), 0o600)?;
    fs::chown(file, mysql.uid, mysql.gid)?;
    let mut out = vec![argv[0].clone(), format!("--init-file={EXPORTER_INIT_FILE}")];
    out.extend(argv.into_iter().skip(1));
    Ok(out)
}
