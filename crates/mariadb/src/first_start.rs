//! The first start of a data directory, crash-safe (see `datadir.rs`): the settings read
//! before anything is touched, the marker, the system schema, the accounts and database on
//! a temporary server, the time zones and the init scripts, the marker removed.

use std::path::Path;
use std::time::Instant;

use inception_core::config::{Config, Secret};
use inception_core::pid1::Supervisor;
use inception_core::sql::Identifier;
use inception_core::user::Account;
use inception_core::{fs, random, rt};

use crate::bootstrap::{self, TempServer};
use crate::datadir::{self, State};
use crate::events;
use crate::initdb;
use crate::settings::{RootPassword, Settings};

/// Where a generated root password is left for the administrator (mode 600).
const RANDOM_ROOT_PASSWORD_FILE: &str = ".root-password";

/// Does the first start in `datadir` (in `state`: empty, or interrupted and redone), with
/// the server options `extra` and, for a Galera member, the SST account's password.
pub fn run(
    sup: &'static Supervisor,
    datadir: &Path,
    mysql: &Account,
    state: &State,
    extra: &[String],
    sst_password: Option<&Secret>,
) -> anyhow::Result<()> {
    // Read the settings before touching anything: bad input changes nothing.
    let settings = Settings::read(&Config::from_env())?;
    if *state == State::Interrupted {
        tracing::warn!("{}", events::FIRST_START_REDONE);
        datadir::wipe_interrupted(datadir)?;
    } else {
        datadir::mark(datadir)?;
    }
    let started = Instant::now();
    let sst = sst_password.map(Secret::expose);
    rt::run(create(sup, datadir, mysql, &settings, extra, sst))?;
    datadir::unmark(datadir)?;
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "{}",
        events::FIRST_START_COMPLETE
    );
    Ok(())
}

/// Initialises the database in `datadir`; every step is redone from scratch if interrupted.
async fn create(
    sup: &'static Supervisor,
    datadir: &Path,
    mysql: &Account,
    settings: &Settings,
    extra: &[String],
    sst_password: Option<&str>,
) -> anyhow::Result<()> {
    fs::chown(datadir, mysql.uid, mysql.gid)?;
    tracing::info!("initialising the system schema");
    bootstrap::install_db(sup, datadir, mysql)?;

    let server = TempServer::start(sup, datadir, mysql, extra).await?;
    let root_password = match &settings.root {
        RootPassword::Given(p) => p.expose().to_owned(),
        RootPassword::Empty => String::new(),
        RootPassword::Random => {
            let p = random::password(32)?;
            let file = datadir.join(RANDOM_ROOT_PASSWORD_FILE);
            fs::write_atomic(&file, p.as_bytes(), 0o600)?;
            tracing::info!(file = %file.display(), "generated a random root password");
            p
        }
    };
    let health_password = random::password(32)?;
    let unwanted = bootstrap::unwanted_accounts(&server.accounts().await?);
    let mut sql = bootstrap::setup_sql(
        settings,
        &root_password,
        &health_password,
        sst_password,
        &unwanted,
    );
    // The monitoring's account (bonus), in the same session: root has its password after it.
    if let Some(password) = Config::from_env().optional_secret(&["MARIADB_EXPORTER_PASSWORD"])? {
        sql.extend(bootstrap::exporter_sql(password.expose()));
    }
    server.execute("", &sql).await?;
    fs::write_atomic(
        &datadir.join(datadir::HEALTH_CNF),
        bootstrap::health_cnf(&health_password).as_bytes(),
        0o600,
    )?;
    tracing::info!(
        database = settings.database.as_ref().map_or("-", Identifier::as_str),
        user = settings
            .user
            .as_ref()
            .map(|u| u.name.as_str())
            .unwrap_or("-"),
        "accounts and database created"
    );

    if !settings.skip_tzinfo {
        bootstrap::load_tzinfo(&server, &root_password)?;
    }
    initdb::run(
        sup,
        &server,
        &root_password,
        settings.database.as_ref().map(Identifier::as_str),
    )?;
    server.stop().await
}
