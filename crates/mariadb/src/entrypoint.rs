//! Start-up of the mariadb container: decide what the data directory needs, do the first
//! start when it is due (crash-safe, see `datadir.rs`), then run `mariadbd` as `mysql`.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use inception_core::config::Config;
use inception_core::log::events;
use inception_core::pid1::{self, Supervisor};
use inception_core::sql::Identifier;
use inception_core::user::Account;
use inception_core::{fs, random, rt};

use crate::bootstrap::{self, TempServer};
use crate::datadir::{self, State};
use crate::galera::{self, Galera, Published, Report, Role};
use crate::settings::{RootPassword, Settings};

/// Where the database lives (the volume's mount point).
pub const DATADIR: &str = "/var/lib/mysql";
/// Where the server's socket and pid file live.
const RUNDIR: &str = "/run/mysqld";
/// Scripts run once, on the first start, as in the official image.
const INITDB_DIR: &str = "/docker-entrypoint-initdb.d";
/// Where a generated root password is left for the administrator (mode 600).
const RANDOM_ROOT_PASSWORD_FILE: &str = ".root-password";

/// Prepares the data directory if needed, then runs the server command `argv` (`mariadbd`
/// and its options) until it ends. A member of a Galera cluster first learns whether it
/// bootstraps the cluster or joins it (`galera.rs`).
pub fn run(argv: Vec<String>) -> anyhow::Result<u8> {
    let sup = pid1::install().context("cannot install signal handling")?;
    let datadir = PathBuf::from(DATADIR);
    let mysql = Account::lookup("mysql")?;
    let galera = Galera::read(&Config::from_env())?;
    std::fs::create_dir_all(RUNDIR).with_context(|| format!("cannot create {RUNDIR}"))?;
    fs::chown(Path::new(RUNDIR), mysql.uid, mysql.gid)?;

    let state = datadir::inspect(&datadir)?;
    if let State::Foreign(names) = &state {
        bail!(
            "{DATADIR} holds files that are not a MariaDB database ({}); refusing to touch them: \
             empty the directory or mount another one",
            names.join(", ")
        );
    }
    let Some(galera) = galera else {
        if state == State::Ready {
            tracing::info!(datadir = DATADIR, "{}", events::DATABASE_PRESENT);
        } else {
            initialise(sup, &datadir, &mysql, &state, &argv[1..], None)?;
        }
        let argv = with_exporter_account(argv, &mysql)?;
        return pid1::run_service(&argv, Some(&mysql));
    };

    let position = match state {
        State::Ready => {
            let position = galera::Position::read(&datadir)?;
            if position.seqno >= 0 || !position.is_some() {
                // A database that never was in a cluster still has data to keep.
                galera::Position {
                    seqno: position.seqno.max(0),
                    ..position
                }
            } else {
                tracing::info!("{}", events::GALERA_RECOVERY);
                galera::recover(sup, &galera, &datadir, &mysql)?
            }
        }
        _ => galera::Position::none(),
    };
    let published = Published::start(Report::Waiting(position.clone()))?;
    let (role, address) = galera::decide(&galera, &position)?;
    published.set(Report::Starting)?;
    let mut server = vec![
        argv[0].clone(),
        format!("--defaults-extra-file={}", galera::OPTIONS_FILE),
    ];
    let peers = match role {
        Role::Bootstrap => {
            tracing::info!(%position, "{}", events::GALERA_BOOTSTRAP);
            if state == State::Ready {
                galera::allow_bootstrap(&datadir, &position)?;
            } else {
                initialise(sup, &datadir, &mysql, &state, &argv[1..], Some(&galera))?;
            }
            server.push("--wsrep-new-cluster".into());
            Vec::new()
        }
        Role::Join(peers) => {
            tracing::info!(%position, ?peers, "{}", events::GALERA_JOIN);
            if state == State::Interrupted {
                datadir::wipe_interrupted(&datadir)?;
                datadir::unmark(&datadir)?;
            }
            std::fs::create_dir_all(&datadir)?;
            fs::chown(&datadir, mysql.uid, mysql.gid)?;
            peers
        }
    };
    galera::write_options(&galera.options(&peers, address, Some(&position)), &mysql)?;
    server.extend(argv[1..].iter().cloned());
    galera::watch(galera, published);
    pid1::run_service(&server, Some(&mysql))
}

/// The monitoring's account (bonus), when `MARIADB_EXPORTER_PASSWORD` is set: the server
/// runs its statements at start (`--init-file`, read as mysql from the runtime directory),
/// so that it exists, with the secret's password, on a database made before it was asked
/// for too. Placed before the user's arguments: an `--init-file` of theirs wins.
fn with_exporter_account(argv: Vec<String>, mysql: &Account) -> anyhow::Result<Vec<String>> {
    let Some(password) = Config::from_env().optional(&["MARIADB_EXPORTER_PASSWORD"])? else {
        return Ok(argv);
    };
    if argv.iter().any(|a| a == "--skip-grant-tables") {
        return Ok(argv);
    }
    let file = Path::new(RUNDIR).join("exporter-account.sql");
    let sql = bootstrap::exporter_sql(&password).join(";\n") + ";\n";
    fs::write_atomic(&file, sql.as_bytes(), 0o600)?;
    fs::chown(&file, mysql.uid, mysql.gid)?;
    let mut out = vec![argv[0].clone(), format!("--init-file={}", file.display())];
    out.extend(argv.into_iter().skip(1));
    Ok(out)
}

/// The first start, crash-safe (see `datadir.rs`): settings read before anything is
/// touched, the marker, the database, the marker removed.
fn initialise(
    sup: &'static Supervisor,
    datadir: &Path,
    mysql: &Account,
    state: &State,
    extra: &[String],
    galera: Option<&Galera>,
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
    let sst = galera.map(|g| g.sst_password.as_str());
    rt::block_on(first_start(sup, datadir, mysql, &settings, extra, sst))??;
    datadir::unmark(datadir)?;
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "{}",
        events::FIRST_START_COMPLETE
    );
    Ok(())
}

/// Initialises the database in `datadir`; every step is redone from scratch if interrupted.
async fn first_start(
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
    let mut sql = bootstrap::setup_sql(
        settings,
        &root_password,
        &health_password,
        sst_password,
        &unwanted,
    );
    // The monitoring's account (bonus), in the same session: root has its password after it.
    if let Some(password) = Config::from_env().optional(&["MARIADB_EXPORTER_PASSWORD"])? {
        sql.extend(bootstrap::exporter_sql(&password));
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
    run_initdb(
        sup,
        &server,
        &root_password,
        settings.database.as_ref().map(Identifier::as_str),
    )?;
    server.stop().await
}

/// Runs `/docker-entrypoint-initdb.d/*` in name order, as the official image does: `*.sh`
/// run when executable and read by bash otherwise (the official image sources them), with
/// its helper functions (see [`SH_PRELUDE`]); `*.sql`, `*.sql.gz`, `*.sql.xz` and
/// `*.sql.zst` are fed to the `mariadb` client; anything else is skipped with a note.
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
        match InitFile::of(&name) {
            Some(InitFile::Shell) => {
                let executable = std::fs::metadata(&file)
                    .map(|m| m.permissions().mode() & 0o111 != 0)
                    .unwrap_or(false);
                tracing::info!(script = %name, executable, "running");
                let mut cmd = if executable {
                    std::process::Command::new(&file)
                } else {
                    let mut cmd = std::process::Command::new("bash");
                    cmd.args(["-c", SH_PRELUDE, "bash"]).arg(&file);
                    cmd
                };
                // The mariadb client in the script reaches the temporary server as root.
                cmd.env("MYSQL_PWD", root_password)
                    .env("MYSQL_UNIX_PORT", bootstrap::SOCKET)
                    .env("MARIADB_DATABASE", database.unwrap_or_default());
                sup.run(&mut cmd)
                    .with_context(|| format!("{name} failed"))?;
            }
            Some(InitFile::Sql(compression)) => {
                tracing::info!(script = %name, "running");
                if compression == Compression::None {
                    server.source(&file, root_password, database)?;
                } else {
                    let plain = Path::new(RUNDIR).join("initdb.sql");
                    decompress(&file, compression, &plain)?;
                    let sourced = server.source(&plain, root_password, database);
                    let _ = std::fs::remove_file(&plain);
                    sourced?;
                }
            }
            None => {
                tracing::info!(file = %name, "ignoring (not .sh, .sql, .sql.gz, .sql.xz or .sql.zst)")
            }
        }
    }
    Ok(())
}

/// What bash reads before a non-executable init script: the official image's helpers that
/// such scripts call (`docker_process_sql` feeds SQL to the server as root, in
/// `MARIADB_DATABASE` when there is one; `mysql_note`/`mysql_warn`/`mysql_error` log).
const SH_PRELUDE: &str = r#"
docker_process_sql() {
	mariadb --protocol=socket --user=root \
		${MARIADB_DATABASE:+--database="$MARIADB_DATABASE"} "$@"
}
mysql_log() { local type="$1"; shift; printf '%s [%s] [Entrypoint]: %s\n' "$(date --rfc-3339=seconds)" "$type" "$*"; }
mysql_note() { mysql_log Note "$@"; }
mysql_warn() { mysql_log Warn "$@" >&2; }
mysql_error() { mysql_log ERROR "$@" >&2; exit 1; }
set -e
. "$1"
"#;

/// Kinds of files in the init directory.
#[derive(Debug, PartialEq, Eq)]
enum InitFile {
    Shell,
    Sql(Compression),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compression {
    None,
    Gzip,
    Xz,
    Zstd,
}

impl InitFile {
    /// The kind of an init file, by its name's ending.
    fn of(name: &str) -> Option<InitFile> {
        let kind = match name.rsplit_once(".sql") {
            _ if name.ends_with(".sh") => InitFile::Shell,
            Some((_, "")) => InitFile::Sql(Compression::None),
            Some((_, ".gz")) => InitFile::Sql(Compression::Gzip),
            Some((_, ".xz")) => InitFile::Sql(Compression::Xz),
            Some((_, ".zst")) => InitFile::Sql(Compression::Zstd),
            _ => return None,
        };
        Some(kind)
    }
}

/// Writes the decompressed content of `from` to `to`.
fn decompress(from: &Path, compression: Compression, to: &Path) -> anyhow::Result<()> {
    let input =
        std::fs::File::open(from).with_context(|| format!("cannot open {}", from.display()))?;
    let mut input = std::io::BufReader::new(input);
    let mut output =
        std::fs::File::create(to).with_context(|| format!("cannot create {}", to.display()))?;
    let done = match compression {
        Compression::None => std::io::copy(&mut input, &mut output).map(drop),
        Compression::Gzip => {
            std::io::copy(&mut flate2::read::GzDecoder::new(input), &mut output).map(drop)
        }
        Compression::Xz => lzma_rs::xz_decompress(&mut input, &mut output)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e)),
        Compression::Zstd => ruzstd::decoding::StreamingDecoder::new(input)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
            .and_then(|mut zstd| std::io::copy(&mut zstd, &mut output).map(drop)),
    };
    done.with_context(|| format!("cannot decompress {}", from.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_files_are_recognised_by_their_ending() {
        assert_eq!(InitFile::of("/d/01-a.sh"), Some(InitFile::Shell));
        assert_eq!(
            InitFile::of("/d/a.sql"),
            Some(InitFile::Sql(Compression::None))
        );
        assert_eq!(
            InitFile::of("/d/a.sql.gz"),
            Some(InitFile::Sql(Compression::Gzip))
        );
        assert_eq!(
            InitFile::of("/d/a.sql.xz"),
            Some(InitFile::Sql(Compression::Xz))
        );
        assert_eq!(
            InitFile::of("/d/a.sql.zst"),
            Some(InitFile::Sql(Compression::Zstd))
        );
        assert_eq!(InitFile::of("/d/a.sql.bz2"), None);
        assert_eq!(InitFile::of("/d/README"), None);
        assert_eq!(InitFile::of("/d/my.sqlite"), None);
    }

    #[test]
    fn compressed_init_files_decompress() {
        let dir = std::env::temp_dir().join(format!("inception-initdb-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let sql = b"CREATE TABLE t (id INT);\n";
        // `printf 'CREATE TABLE t (id INT);\n' | xz` and `| zstd`, byte for byte.
        let cases: [(&str, Compression, Vec<u8>); 2] = [
            ("a.sql.xz", Compression::Xz, XZ.to_vec()),
            ("a.sql.zst", Compression::Zstd, ZST.to_vec()),
        ];
        for (name, compression, bytes) in cases {
            let from = dir.join(name);
            let to = dir.join(format!("{name}.out"));
            std::fs::write(&from, bytes).unwrap();
            decompress(&from, compression, &to).unwrap();
            assert_eq!(std::fs::read(&to).unwrap(), sql, "{name}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    const XZ: &[u8] = &[
        0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0x00, 0x04, 0xe6, 0xd6, 0xb4, 0x46, 0x02, 0x00, 0x21,
        0x01, 0x16, 0x00, 0x00, 0x00, 0x74, 0x2f, 0xe5, 0xa3, 0x01, 0x00, 0x18, 0x43, 0x52, 0x45,
        0x41, 0x54, 0x45, 0x20, 0x54, 0x41, 0x42, 0x4c, 0x45, 0x20, 0x74, 0x20, 0x28, 0x69, 0x64,
        0x20, 0x49, 0x4e, 0x54, 0x29, 0x3b, 0x0a, 0x00, 0x00, 0x00, 0x00, 0xd1, 0x68, 0xeb, 0xa4,
        0x7b, 0xd1, 0x02, 0x27, 0x00, 0x01, 0x31, 0x19, 0x59, 0x1a, 0xb0, 0x82, 0x1f, 0xb6, 0xf3,
        0x7d, 0x01, 0x00, 0x00, 0x00, 0x00, 0x04, 0x59, 0x5a,
    ];
    const ZST: &[u8] = &[
        0x28, 0xb5, 0x2f, 0xfd, 0x04, 0x58, 0xc9, 0x00, 0x00, 0x43, 0x52, 0x45, 0x41, 0x54, 0x45,
        0x20, 0x54, 0x41, 0x42, 0x4c, 0x45, 0x20, 0x74, 0x20, 0x28, 0x69, 0x64, 0x20, 0x49, 0x4e,
        0x54, 0x29, 0x3b, 0x0a, 0xe1, 0x48, 0x99, 0xfe,
    ];
}
