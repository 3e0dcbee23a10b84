//! The node exporter, for one thing only: how full the disk of `DATA_DIR` is. Only its
//! filesystem collector runs; compose mounts volumes of `DATA_DIR` read-only under /data, and
//! the container's own mounts (/etc's files, /dev, /proc, tmpfs under /run) are left out.

use inception_core::config::Config;
use inception_core::user::Account;

use crate::Exporter;

pub const EXPORTER: Exporter = Exporter::new(&["prometheus-node-exporter"], 9100, prepare);

/// The container's mounts that are not data (the root filesystem, overlay, is excluded by
/// its type, as by default).
const NOT_DATA: &str = "^/(dev|etc|proc|run|sys|tmp)($|/)";

fn prepare(_: &Config, _: &Account) -> anyhow::Result<Vec<String>> {
    Ok(vec![
        "--collector.disable-defaults".into(),
        "--collector.filesystem".into(),
        format!("--collector.filesystem.mount-points-exclude={NOT_DATA}"),
    ])
}
