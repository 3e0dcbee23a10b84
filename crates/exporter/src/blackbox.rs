//! The blackbox exporter: Prometheus asks it to fetch the site over HTTPS (module
//! `https_cert` of its configuration, shipped in the image), and reads the certificate's
//! expiry (`probe_ssl_earliest_cert_expiry`) from the answer.

use inception_core::config::Config;
use inception_core::user::Account;

use crate::Exporter;

pub const EXPORTER: Exporter = Exporter::new(&["prometheus-blackbox-exporter"], 9115, prepare);

/// Its configuration, as the image installs it.
const CONFIG: &str = "/etc/inception/blackbox.yml";

fn prepare(_: &Config, _: &Account) -> anyhow::Result<Vec<String>> {
    Ok(vec![format!("--config.file={CONFIG}")])
}
