//! `inception-exporter`: PID 1 of the monitoring's exporter containers (bonus). One binary
//! for five images: each image holds one of Debian's Prometheus exporters, and this binary
//! serves whichever it finds ([`Exporter::in_image`]). What differs between them is small
//! and lives in one module each (its flags, and the file it needs written from a secret);
//! the rest is shared: the exporter runs as the `prometheus` user, a child of this PID 1,
//! and `health` GETs its `/metrics`.

mod blackbox;
mod mysqld;
mod nginx;
mod node;
mod redis;

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use inception_core::cli::{self, Service};
use inception_core::config::Config;
use inception_core::probe::http;
use inception_core::user::Account;
use inception_core::{fs, pid1, rt};

/// Where the files an exporter needs are written at start (a tmpfs).
pub const RUNDIR: &str = "/run/exporter";

/// One of Debian's exporters: its program, the port it serves `/metrics` on, and how to
/// prepare it.
#[derive(Debug)]
pub struct Exporter {
    /// The program, as Debian installs it in /usr/bin.
    pub program: &'static str,
    /// The service command line: the program alone (flags come from `prepare`).
    pub command: &'static [&'static str; 1],
    /// Its own default port (where `health` asks).
    pub port: u16,
    /// The flags to run it with, from the settings; may write files into [`RUNDIR`]
    /// (given the account the exporter runs as, that must be able to read them).
    pub prepare: fn(&Config, &Account) -> anyhow::Result<Vec<String>>,
}

/// Every exporter this binary knows, one per image.
pub const EXPORTERS: [Exporter; 5] = [
    nginx::EXPORTER,
    mysqld::EXPORTER,
    redis::EXPORTER,
    node::EXPORTER,
    blackbox::EXPORTER,
];

impl Exporter {
    /// The exporter `program` (its service command line: the program alone), serving on
    /// `port`, run with the flags `prepare` gives.
    pub const fn new(
        command: &'static [&'static str; 1],
        port: u16,
        prepare: fn(&Config, &Account) -> anyhow::Result<Vec<String>>,
    ) -> Exporter {
        Exporter {
            program: command[0],
            command,
            port,
            prepare,
        }
    }

    /// The exporter this image holds: the one whose program is in /usr/bin.
    pub fn in_image() -> anyhow::Result<&'static Exporter> {
        Exporter::among(|program| Path::new("/usr/bin").join(program).is_file())
    }

    /// The one exporter for which `installed` is true; none or several is an error.
    fn among(installed: impl Fn(&str) -> bool) -> anyhow::Result<&'static Exporter> {
        let found: Vec<&Exporter> = EXPORTERS.iter().filter(|e| installed(e.program)).collect();
        match found[..] {
            [one] => Ok(one),
            [] => anyhow::bail!(
                "no exporter in this image (looked for /usr/bin/{})",
                EXPORTERS.map(|e| e.program).join(", /usr/bin/")
            ),
            _ => anyhow::bail!(
                "several exporters in this image ({}): one image serves one",
                found
                    .iter()
                    .map(|e| e.program)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// Prepares the exporter, then runs it as `prometheus`: its program, our flags, then the
/// arguments the container was given.
fn serve(argv: Vec<String>) -> anyhow::Result<u8> {
    let exporter = Exporter::in_image()?;
    let user = Account::lookup("prometheus")?;
    std::fs::create_dir_all(RUNDIR).with_context(|| format!("cannot create {RUNDIR}"))?;
    let flags = (exporter.prepare)(&Config::from_env(), &user)?;
    let mut command = vec![argv[0].clone()];
    command.extend(flags);
    command.extend(argv.into_iter().skip(1));
    pid1::run_service(&command, Some(&user))
}

/// Writes `contents` into [`RUNDIR`] as `name`, readable by `user` only (a secret).
pub fn write_private(name: &str, contents: &str, user: &Account) -> anyhow::Result<String> {
    let path = Path::new(RUNDIR).join(name);
    fs::write_atomic(&path, contents.as_bytes(), 0o600)?;
    fs::chown(&path, user.uid, user.gid)?;
    Ok(path.display().to_string())
}

/// `health`: the exporter answers `/metrics` with 200.
fn health() -> anyhow::Result<String> {
    let exporter = Exporter::in_image()?;
    let addr = format!("127.0.0.1:{}", exporter.port);
    let status = rt::run(http::get(
        &addr,
        "localhost",
        "/metrics",
        Duration::from_secs(5),
    ))?;
    anyhow::ensure!(
        status == 200,
        "{} /metrics answered {status}",
        exporter.program
    );
    Ok(format!(
        "{} serves /metrics on {}",
        exporter.program, exporter.port
    ))
}

fn main() -> ExitCode {
    // In an image without an exporter, `serve` says so (the command is not run).
    let command = Exporter::in_image().map_or(&[][..], |e| &e.command[..]);
    let is_exporter = |a: &str| EXPORTERS.iter().any(|e| e.program == a);
    cli::run(&Service::new("inception-exporter", is_exporter, command, health).serve(serve))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_image_serves_exactly_one_exporter() {
        let e = Exporter::among(|p| p == "prometheus-redis-exporter").unwrap();
        assert_eq!(e.port, 9121);
        let none = Exporter::among(|_| false).unwrap_err().to_string();
        assert!(
            none.contains("/usr/bin/prometheus-nginx-exporter"),
            "{none}"
        );
        let two = Exporter::among(|p| p.contains("node") || p.contains("nginx"));
        assert!(two.unwrap_err().to_string().contains("several exporters"));
    }

    #[test]
    fn ports_are_distinct() {
        let mut ports: Vec<u16> = EXPORTERS.iter().map(|e| e.port).collect();
        ports.sort();
        ports.dedup();
        assert_eq!(ports.len(), EXPORTERS.len());
    }
}
