//! The site's installation: this module decides what is missing, WordPress's own PHP API
//! does it.
//!
//! "Installed" has one definition, [`State::read`]: the `siteurl` option is set (what
//! WordPress's `is_blog_installed` looks for) and both accounts exist. The PHP side,
//! `/etc/inception/install.php` (srcs/requirements/wordpress/conf), only carries out the
//! [`Plan`] it is given, run by the PHP CLI as `www-data` under PID 1's supervision.
//!
//! Crash safety: a marker file in the webroot is created before a new install and removed
//! once [`State::read`] finds the site complete. Finding it at start means an install was
//! interrupted: the plan then drops the tables it left (ours, with this prefix) and
//! installs again.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use inception_core::db::Blocking;
use inception_core::pid1::Supervisor;
use inception_core::user::Account;
use inception_core::{fs, sql};
use serde::Serialize;

use crate::events;
use crate::php;
use crate::settings::{self, Settings};
use crate::volume::INSTALLING;

/// The installer script, as installed in the image.
pub const SCRIPT: &str = "/etc/inception/install.php";

fn marker(webroot: &Path) -> fs::Marker {
    fs::Marker::new(webroot.join(INSTALLING))
}

/// How long one state query may take.
const QUERY_TIMEOUT: Duration = Duration::from_secs(5);

/// What the database and the webroot say about the site.
#[derive(Debug, PartialEq)]
pub struct State {
    /// An earlier install stopped half-way (the marker is there).
    pub interrupted: bool,
    /// WordPress's tables hold the site (`siteurl` set).
    pub installed: bool,
    /// The administrator's account exists.
    pub admin: bool,
    /// The second user's account exists.
    pub user: bool,
}

impl State {
    /// Reads the state: two queries, no PHP (a start of an installed site stays ~200 ms
    /// shorter). Logins compare as WordPress compares them, with the column's collation.
    pub fn read(target: &Blocking, webroot: &Path, settings: &Settings) -> anyhow::Result<State> {
        let interrupted = marker(webroot).exists();
        let prefix = &settings.db.table_prefix;
        let (options, users) = (format!("{prefix}options"), format!("{prefix}users"));
        let tables = target.query_one(
            &format!(
                "SELECT COUNT(*) FROM information_schema.tables \
                     WHERE table_schema = DATABASE() AND table_name IN ({}, {})",
                sql::literal(&options),
                sql::literal(&users),
            ),
            QUERY_TIMEOUT,
        )?;
        if tables != "2" {
            return Ok(State {
                interrupted,
                installed: false,
                admin: false,
                user: false,
            });
        }
        let (options, users) = (sql::identifier(&options)?, sql::identifier(&users)?);
        let exists = |login: &str| {
            format!(
                "EXISTS(SELECT 1 FROM {users} WHERE user_login = {})",
                sql::literal(login)
            )
        };
        let flags = target.query_one(
            &format!(
                "SELECT CONCAT(EXISTS(SELECT 1 FROM {options} \
                     WHERE option_name = 'siteurl' AND option_value <> ''), {}, {})",
                exists(&settings.admin.login),
                exists(&settings.user.login),
            ),
            QUERY_TIMEOUT,
        )?;
        let [installed, admin, user] = flags.as_bytes() else {
            anyhow::bail!("unexpected answer {flags:?} to the install state query");
        };
        Ok(State {
            interrupted,
            installed: *installed == b'1',
            admin: *admin == b'1',
            user: *user == b'1',
        })
    }

    /// Whether there is nothing to do.
    pub fn is_complete(&self) -> bool {
        !self.interrupted && self.installed && self.admin && self.user
    }

    /// What install.php must do to complete the site.
    pub fn plan<'a>(&self, settings: &'a Settings) -> Plan<'a> {
        // After an interrupted install, everything is done again from empty tables.
        let redo = self.interrupted;
        let admin = NewUser::new(&settings.admin, "administrator");
        let install = (redo || !self.installed).then(|| Install {
            title: &settings.title,
            admin,
        });
        let mut users = Vec::new();
        // wp_install creates the administrator (or keeps an existing one).
        if install.is_none() && !self.admin {
            users.push(NewUser::new(&settings.admin, "administrator"));
        }
        if redo || !self.user {
            users.push(NewUser::new(&settings.user, &settings.role));
        }
        Plan {
            drop_tables: redo,
            home: settings.home_url(),
            install,
            users,
        }
    }
}

/// An account install.php creates.
#[derive(Serialize)]
pub struct NewUser<'a> {
    login: &'a str,
    email: &'a str,
    password: &'a str,
    role: &'a str,
}

impl<'a> NewUser<'a> {
    fn new(account: &'a settings::Account, role: &'a str) -> NewUser<'a> {
        NewUser {
            login: &account.login,
            email: &account.email,
            password: account.password.expose(),
            role,
        }
    }
}

/// `wp_install`'s arguments.
#[derive(Serialize)]
pub struct Install<'a> {
    title: &'a str,
    admin: NewUser<'a>,
}

/// What install.php reads on its standard input, as one JSON object ([`php::with_json`]).
#[derive(Serialize)]
pub struct Plan<'a> {
    /// Drop this prefix's tables first.
    drop_tables: bool,
    /// The site's address, for the request WordPress believes it serves.
    home: String,
    /// Run `wp_install` with these.
    install: Option<Install<'a>>,
    /// Accounts to create.
    users: Vec<NewUser<'a>>,
}

/// Completes the site if needed: reads its state, runs install.php with the plan, and
/// checks that the state is then complete.
pub fn ensure(
    sup: &Supervisor,
    target: &Blocking,
    webroot: &Path,
    settings: &Settings,
    www: &Account,
) -> anyhow::Result<()> {
    let read = || State::read(target, webroot, settings);
    let state = read()?;
    if state.is_complete() {
        tracing::info!("site installed, both accounts present");
        return Ok(());
    }
    if state.interrupted {
        tracing::warn!("{}", events::INSTALL_REDONE);
    }
    let plan = state.plan(settings);
    let marker = marker(webroot);
    if plan.install.is_some() {
        marker.create("install in progress; removed when complete\n")?;
    }
    run(sup, webroot, &plan, www)?;
    let after = read()?;
    anyhow::ensure!(
        after.installed && after.admin && after.user,
        "the installer finished, yet the site is incomplete: {after:?}"
    );
    marker.remove()
}

/// Runs install.php with `plan` on its standard input.
fn run(sup: &Supervisor, webroot: &Path, plan: &Plan, www: &Account) -> anyhow::Result<()> {
    let mut cmd = php::with_json(SCRIPT, webroot, Some(www), plan)?;
    sup.run(&mut cmd).context("installing WordPress failed")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(state: State) -> serde_json::Value {
        let settings = crate::settings::tests::env(&[("WP_USER_ROLE", "editor")]).unwrap();
        serde_json::to_value(state.plan(&settings)).unwrap()
    }

    fn state(interrupted: bool, installed: bool, admin: bool, user: bool) -> State {
        State {
            interrupted,
            installed,
            admin,
            user,
        }
    }

    fn logins(plan: &serde_json::Value) -> Vec<&str> {
        let users = plan["users"].as_array().unwrap();
        users.iter().map(|u| u["login"].as_str().unwrap()).collect()
    }

    #[test]
    fn a_complete_site_needs_nothing() {
        assert!(state(false, true, true, true).is_complete());
        assert!(!state(true, true, true, true).is_complete());
        assert!(!state(false, false, true, true).is_complete());
        assert!(!state(false, true, false, true).is_complete());
    }

    #[test]
    fn an_empty_database_gets_the_install_and_the_second_user() {
        let p = plan(state(false, false, false, false));
        assert_eq!(p["drop_tables"], false);
        assert_eq!(p["install"]["admin"]["login"], "webmaster");
        assert_eq!(p["install"]["admin"]["role"], "administrator");
        assert_eq!(logins(&p), ["writer"]);
        assert_eq!(p["users"][0]["role"], "editor");
        assert_eq!(p["users"][0]["password"], "u");
    }

    #[test]
    fn a_deleted_account_is_created_again_without_reinstalling() {
        let p = plan(state(false, true, false, true));
        assert!(p["install"].is_null());
        assert_eq!(logins(&p), ["webmaster"]);
        assert_eq!(p["users"][0]["role"], "administrator");
        let p = plan(state(false, true, true, false));
        assert_eq!(logins(&p), ["writer"]);
    }

    #[test]
    fn an_interrupted_install_is_redone_from_empty_tables() {
        let p = plan(state(true, true, true, true));
        assert_eq!(p["drop_tables"], true);
        assert_eq!(p["install"]["title"], "Inception");
        assert_eq!(logins(&p), ["writer"]);
    }
}
