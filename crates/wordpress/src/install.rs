//! The site's installation: WordPress's own PHP API, run by the PHP CLI as `www-data`.
//!
//! The PHP side is `/etc/inception/install.php` (srcs/requirements/wordpress/conf); this
//! side passes it the settings through the environment and supervises it as PID 1.

use std::path::Path;
use std::process::Command;

use anyhow::Context;
use inception_core::pid1::Supervisor;
use inception_core::probe::mysql::Target;
use inception_core::user::Account;
use inception_core::{fs, sql};

use crate::settings::Settings;

/// The installer script, as installed in the image.
pub const SCRIPT: &str = "/etc/inception/install.php";

/// Present in the webroot while an install is in progress (see install.php).
const MARKER: &str = ".inception-installing";

/// Whether the installer would find nothing to do: no install in progress, the site
/// installed (its `siteurl` option set, what WordPress's `is_blog_installed` looks for) and
/// both accounts present. Saves starting PHP on every start after the first (~200 ms).
/// Any doubt (no tables yet, a failed query) answers no: the installer then decides.
pub async fn is_complete(target: &Target, webroot: &Path, settings: &Settings) -> bool {
    if webroot.join(MARKER).exists() {
        return false;
    }
    let prefix = &settings.db.table_prefix;
    let (Ok(options), Ok(users)) = (
        sql::identifier(&format!("{prefix}options")),
        sql::identifier(&format!("{prefix}users")),
    ) else {
        return false;
    };
    let query = format!(
        "SELECT (SELECT COUNT(*) FROM {options} WHERE option_name = 'siteurl') \
         + (SELECT COUNT(DISTINCT user_login) FROM {users} WHERE user_login IN ({}, {}))",
        sql::literal(&settings.admin.login),
        sql::literal(&settings.user.login),
    );
    let found = target
        .query_one(&query, std::time::Duration::from_secs(5))
        .await;
    matches!(found.as_deref(), Ok("3"))
}

/// What install.php reads on its standard input: one JSON object (passwords included, so
/// not in its environment or arguments).
fn input(webroot: &Path, settings: &Settings) -> anyhow::Result<Vec<u8>> {
    let input = serde_json::json!({
        "INSTALL_MARKER": webroot.join(MARKER),
        "WP_HOME": settings.home_url(),
        "WP_TITLE": settings.title,
        "WP_ADMIN_USER": settings.admin.login,
        "WP_ADMIN_EMAIL": settings.admin.email,
        "WP_ADMIN_PASSWORD": settings.admin.password,
        "WP_USER": settings.user.login,
        "WP_USER_EMAIL": settings.user.email,
        "WP_USER_PASSWORD": settings.user.password,
        "WP_USER_ROLE": settings.role,
    });
    Ok(serde_json::to_vec(&input)?)
}

/// Installs the site and creates its users if needed.
pub fn run(
    sup: &Supervisor,
    webroot: &Path,
    settings: &Settings,
    www: &Account,
) -> anyhow::Result<()> {
    let mut cmd = Command::new("php");
    cmd.args([
        "-d",
        "display_errors=stderr",
        "-d",
        "memory_limit=256M",
        "-f",
        SCRIPT,
    ])
    .current_dir(webroot)
    .env_clear()
    .env(
        "PATH",
        "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    )
    .stdin(fs::stdin_with(&input(webroot, settings)?)?);
    www.apply(&mut cmd);
    sup.run(&mut cmd).context("installing WordPress failed")
}
