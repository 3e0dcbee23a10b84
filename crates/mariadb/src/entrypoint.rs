//! Start-up of the mariadb container: decide what the data directory needs, do the first
//! start when it is due (crash-safe, see `datadir.rs`), then exec `mariadbd` as `mysql`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use inception_core::config::Config;
use inception_core::pid1::{self, Supervisor};
use inception_core::user::Account;
use inception_core::{fs, random};

use crate::bootstrap::{self, TempServer};
use crate::datadir::{self, State};
use crate::settings::{RootPassword, Settings};

/// Where the database lives (the volume's mount point).
pub const DATADIR: &str = "/var/lib/mysql";
/// Where the server's socket and pid file live.
const RUNDIR: &str = "/run/mysqld";
/// Scripts run once, on the first start, as in the official image.
const INITDB_DIR: &str = "/docker-entrypoint-initdb.d";
/// Where a generated root password is left for the administrator (mode 600).
const RANDOM_ROOT_PASSWORD_FILE: &str = ".root-password";

/// Prepares the data directory if needed, then becomes the server command `argv`
/// (`mariadbd` and its options).
pub fn run(argv: Vec<String>) -> anyhow::Result<u8> {
    let extra = &argv[1..];
    let sup = pid1::install().context("cannot install signal handling")?;
    let datadir = PathBuf::from(DATADIR);
    let mysql = Account::lookup("mysql")?;
    std::fs::create_dir_all(RUNDIR).with_context(|| format!("cannot create {RUNDIR}"))?;
    fs::chown(Path::new(RUNDIR), mysql.uid, mysql.gid)?;

    match datadir::inspect(&datadir)? {
        State::Ready => tracing::info!(datadir = DATADIR, "database present, starting it"),
        State::Foreign(names) => bail!(
            "{DATADIR} holds files that are not a MariaDB database ({}); refusing to touch them: \
             empty the directory or mount another one",
            names.join(", ")
        ),
        state => {
            // Read the settings before touching anything: bad input changes nothing.
            let settings = Settings::read(&Config::from_env())?;
            if state == State::Interrupted {
                tracing::warn!("an earlier first start was interrupted; redoing it");
                datadir::wipe_interrupted(&datadir)?;
            } else {
                datadir::mark(&datadir)?;
            }
            let started = Instant::now();
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?
                .block_on(first_start(sup, &datadir, &mysql, &settings, extra))?;
            datadir::unmark(&datadir)?;
            tracing::info!(
                elapsed_ms = started.elapsed().as_millis() as u64,
                "first start complete"
            );
        }
    }

    Err(pid1::exec_as(&argv, Some(&mysql)).into())
}

/// Initialises the database in `datadir`; every step is redone from scratch if interrupted.
async fn first_start(
    sup: &'static Supervisor,
    datadir: &Path,
    mysql: &Account,
    settings: &Settings,
    extra: &[String],
) -> anyhow::Result<()> {
    fs::chown(datadir, mysql.uid, mysql.gid)?;
    tracing::info!("initialising the system schema");
    bootstrap::install_db(sup, datadir, mysql)?;

    let server = TempServer::start(sup, datadir, mysql, extra).await?;
    let root_password = match &settings.root {
        RootPassword::Given(p) => p.clone(),
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
    let sql = bootstrap::setup_sql(settings, &root_password, &health_password, &unwanted);
    server.execute("", &sql).await?;
    fs::write_atomic(
        &datadir.join(datadir::HEALTH_CNF),
        bootstrap::health_cnf(&health_password).as_bytes(),
        0o600,
    )?;
    tracing::info!(
        database = settings.database.as_deref().unwrap_or("-"),
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
    run_initdb(sup, &server, &root_password, settings.database.as_deref())?;
    server.stop().await
}

/// Runs `/docker-entrypoint-initdb.d/*.sql`, `*.sql.gz` and `*.sh` in name order.
fn run_initdb(
    sup: &Supervisor,
    server: &TempServer,
    root_password: &str,
    database: Option<&str>,
) -> anyhow::Result<()> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(INITDB_DIR) {
        Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(_) => return Ok(()),
    };
    files.sort();
    for file in files {
        let name = file.to_string_lossy().into_owned();
        if name.ends_with(".sh") {
            tracing::info!(script = %name, "running");
            let mut cmd = std::process::Command::new("bash");
            // The mariadb client in the script reaches the temporary server as root.
            cmd.arg(&file).env("MYSQL_PWD", root_password);
            sup.run(&mut cmd)
                .with_context(|| format!("{name} failed"))?;
        } else if name.ends_with(".sql") {
            tracing::info!(script = %name, "running");
            server.source(&file, root_password, database)?;
        } else if name.ends_with(".sql.gz") {
            tracing::info!(script = %name, "running");
            let plain = Path::new(RUNDIR).join("initdb.sql");
            gunzip(&file, &plain)?;
            server.source(&plain, root_password, database)?;
            let _ = std::fs::remove_file(&plain);
        } else {
            tracing::info!(file = %name, "ignoring (not .sh, .sql or .sql.gz)");
        }
    }
    Ok(())
}

fn gunzip(from: &Path, to: &Path) -> anyhow::Result<()> {
    let input =
        std::fs::File::open(from).with_context(|| format!("cannot open {}", from.display()))?;
    let mut output =
        std::fs::File::create(to).with_context(|| format!("cannot create {}", to.display()))?;
    std::io::copy(&mut flate2::read::GzDecoder::new(input), &mut output)
        .with_context(|| format!("cannot decompress {}", from.display()))?;
    Ok(())
}
