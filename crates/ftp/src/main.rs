//! `inception-ftp`: PID 1 of the ftp container (bonus): vsftpd serving the WordPress files
//! over explicit FTPS only, to one local user chrooted to them.
//!
//! Start-up: validate the settings; create the FTP user (uid 33, so that what it uploads
//! belongs to WordPress) and set its password from the secret; make a self-signed
//! certificate; render vsftpd.conf; run vsftpd as the only child of this PID 1 (see
//! `serve`). `health` reads the 220 banner. The settings: `settings.rs`.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, ExitCode};
use std::time::Duration;

use anyhow::Context;
use inception_core::cert::{self, Pair};
use inception_core::cli::{self, Service};
use inception_core::config::Config;
use inception_core::probe::tcp;
use inception_core::rt;
use inception_core::template::Template;
use inception_core::user::Account;
use inception_core::{exit, fs, pid1};

mod settings;

use settings::Settings;

const TEMPLATE: &str = "/etc/inception/vsftpd.conf.tmpl";
const RUNDIR: &str = "/run/vsftpd";
const SERVICE: &[&str] = &["vsftpd", "/run/vsftpd/vsftpd.conf"];

fn serve(argv: Vec<String>) -> anyhow::Result<u8> {
    let sup = pid1::install()?;
    let Settings {
        user,
        password,
        domain,
        pasv: (pasv_min, pasv_max),
        pasv_address,
    } = Settings::read(&Config::from_env())?;

    std::fs::create_dir_all(RUNDIR).with_context(|| format!("cannot create {RUNDIR}"))?;
    // The account: uid and gid 33 (www-data), home and chroot in the WordPress files.
    if Account::lookup(&user).is_err() {
        sup.run(Command::new("useradd").args([
            "--non-unique",
            "--uid",
            "33",
            "--gid",
            "33",
            "--home-dir",
            "/var/www/html",
            "--no-create-home",
            "--shell",
            "/bin/bash",
            &user,
        ]))
        .context("cannot create the FTP user")?;
    }
    let input = Path::new(RUNDIR).join("chpasswd");
    fs::write_atomic(
        &input,
        format!("{user}:{}\n", password.expose()).as_bytes(),
        0o600,
    )?;
    let stdin = std::fs::File::open(&input)?;
    let result = sup.run(Command::new("chpasswd").stdin(stdin));
    let _ = std::fs::remove_file(&input);
    result.context("cannot set the FTP user's password")?;
    fs::write_atomic(
        &Path::new(RUNDIR).join("users"),
        format!("{user}\n").as_bytes(),
        0o644,
    )?;

    let tls = Pair {
        cert: Path::new(RUNDIR).join("ftp.crt"),
        key: Path::new(RUNDIR).join("ftp.key"),
    };
    cert::ensure_pair(&tls, &domain)?;
    let tmpl = Template::load(TEMPLATE)?;
    let values = HashMap::from([
        ("PASV_MIN", pasv_min.to_string()),
        ("PASV_MAX", pasv_max.to_string()),
        (
            "PASV_ADDRESS",
            pasv_address
                .map(|a| format!("pasv_address={a}"))
                .unwrap_or_default(),
        ),
        ("CERT", tls.cert.display().to_string()),
        ("KEY", tls.key.display().to_string()),
    ]);
    let conf = tmpl.render(&values)?;
    fs::write_atomic(
        &Path::new(RUNDIR).join("vsftpd.conf"),
        conf.as_bytes(),
        0o600,
    )?;
    tracing::info!(%user, pasv = %format!("{pasv_min}-{pasv_max}"), "FTPS ready");
    // As every service, vsftpd runs as our child (it could not be PID 1 anyway: sessions
    // leave orphans it does not expect, and its listener crashes on them).
    let code = pid1::run_service(&argv, None)?;
    // vsftpd does not catch SIGTERM, its stop signal: ended by the stop we forwarded, it
    // stopped as asked (as `tini -e 143` would report it).
    Ok(if pid1::is_requested_stop(code) {
        exit::OK
    } else {
        code
    })
}

fn health() -> anyhow::Result<String> {
    let banner = rt::run(tcp::banner("127.0.0.1:21", Duration::from_secs(3)))?;
    anyhow::ensure!(banner.starts_with("220"), "unexpected banner {banner:?}");
    Ok(format!("vsftpd greets with {banner:?}"))
}

fn main() -> ExitCode {
    let vsftpd = |a: &str| a == "vsftpd";
    cli::run(&Service::new("inception-ftp", vsftpd, SERVICE, health).serve(serve))
}
