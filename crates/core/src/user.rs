//! System accounts that services run as.

use std::os::unix::process::CommandExt;
use std::process::Command;

use anyhow::Context;
use nix::unistd::User;

/// A system account, resolved once.
#[derive(Debug, Clone)]
pub struct Account {
    /// Login name.
    pub name: String,
    /// User id.
    pub uid: u32,
    /// Primary group id.
    pub gid: u32,
}

impl Account {
    /// Looks `name` up in the system's user database.
    pub fn lookup(name: &str) -> anyhow::Result<Account> {
        let user = User::from_name(name)
            .with_context(|| format!("cannot look up user {name}"))?
            .with_context(|| format!("no user {name} in this image"))?;
        Ok(Account {
            name: name.to_owned(),
            uid: user.uid.as_raw(),
            gid: user.gid.as_raw(),
        })
    }

    /// Makes `cmd` run as this account (std drops supplementary groups when root sets a uid).
    pub fn apply(&self, cmd: &mut Command) {
        cmd.uid(self.uid).gid(self.gid);
    }
}
