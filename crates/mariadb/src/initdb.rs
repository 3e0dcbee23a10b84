//! The user's init scripts (`/docker-entrypoint-initdb.d`), run once at the first start on
//! the temporary server, as the official image runs them.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::Context;
use inception_core::pid1::Supervisor;

use crate::bootstrap::TempServer;
use crate::paths::{INITDB_DIR, INITDB_SQL, SOCKET};

/// Runs `/docker-entrypoint-initdb.d/*` in name order, as the official image does: `*.sh`
/// run when executable and read by bash otherwise (the official image sources them), with
/// its helper functions (see [`SH_PRELUDE`]); `*.sql`, `*.sql.gz`, `*.sql.xz` and
/// `*.sql.zst` are fed to the `mariadb` client; anything else is skipped with a note.
pub fn run(
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
                    .env("MYSQL_UNIX_PORT", SOCKET)
                    .env("MARIADB_DATABASE", database.unwrap_or_default());
                sup.run(&mut cmd)
                    .with_context(|| format!("{name} failed"))?;
            }
            Some(InitFile::Sql(compression)) => {
                tracing::info!(script = %name, "running");
                if compression == Compression::None {
                    server.source(&file, root_password, database)?;
                } else {
                    let plain = Path::new(INITDB_SQL);
                    decompress(&file, compression, plain)?;
                    let sourced = server.source(plain, root_password, database);
                    let _ = std::fs::remove_file(plain);
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
        let sql = |c| Some(InitFile::Sql(c));
        for (name, kind) in [
            ("/d/01-a.sh", Some(InitFile::Shell)),
            ("/d/a.sql", sql(Compression::None)),
            ("/d/a.sql.gz", sql(Compression::Gzip)),
            ("/d/a.sql.xz", sql(Compression::Xz)),
            ("/d/a.sql.zst", sql(Compression::Zstd)),
            ("/d/a.sql.bz2", None),
            ("/d/README", None),
            ("/d/my.sqlite", None),
        ] {
            assert_eq!(InitFile::of(name), kind, "{name}");
        }
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
