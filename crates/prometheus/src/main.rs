//! `inception-prometheus`: PID 1 of the prometheus container (bonus monitoring).
//!
//! `settings.rs` reads and checks the settings (retention, scrape interval, the site's
//! address); `web.rs` who may read Prometheus (basic auth, in its web configuration);
//! `conf.rs` renders prometheus.yml into a runtime directory. The alert rules are a
//! file of the image (srcs/requirements/prometheus/conf/rules.yml), the very file
//! `promtool test rules` checks (tests/monitoring/rules.test.yml). Then Prometheus runs as the
//! `prometheus` user, in the foreground, under `/prometheus/` (nginx publishes it there).
//! `health` GETs its readiness endpoint, with the credentials.

mod conf;
mod settings;
mod web;

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use inception_core::cli::{self, Service};
use inception_core::config::Config;
use inception_core::probe::http;
use inception_core::user::Account;
use inception_core::{fs, pid1, rt};

use settings::Settings;

/// Where the time series live (the volume).
const DATA: &str = "/prometheus";

/// Prepares, then runs Prometheus: the program, our flags, then the container's arguments.
fn serve(argv: Vec<String>) -> anyhow::Result<u8> {
    let cfg = Config::from_env();
    let settings = Settings::read(&cfg)?;
    let access = web::Access::read(&cfg)?;
    let user = Account::lookup("prometheus")?;
    let config = conf::write(&settings, &access.user)?;
    access.write(&user)?;
    // A new volume's directory belongs to whoever made it (make, as root or the user).
    let data = Path::new(DATA);
    std::fs::create_dir_all(data)?;
    fs::chown(data, user.uid, user.gid)?;
    let mut command = vec![argv[0].clone()];
    command.extend(settings.flags(&config, DATA));
    command.push(format!("--web.config.file={}", web::CONFIG));
    command.extend(argv.into_iter().skip(1));
    pid1::run_service(&command, Some(&user))
}

/// `health`: Prometheus says it is ready (its configuration loaded, its storage open), to
/// the credentials it asks for.
fn health() -> anyhow::Result<String> {
    let access = web::Access::read(&Config::from_env())?;
    let path = format!("{}-/ready", settings::ROUTE_PREFIX);
    let status = rt::run(http::get_with(
        "127.0.0.1:9090",
        "localhost",
        &path,
        Some(access.basic()),
        Duration::from_secs(5),
    ))?;
    anyhow::ensure!(status == 200, "{path} answered {status}");
    Ok("prometheus is ready".into())
}

fn main() -> ExitCode {
    // Its flags come from the settings (`Settings::flags`).
    let prometheus = |a: &str| a == "prometheus";
    cli::run(
        &Service::new("inception-prometheus", prometheus, &["prometheus"], health).serve(serve),
    )
}
