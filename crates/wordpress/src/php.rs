//! WordPress's PHP scripts as this container runs them: the PHP CLI in the site's
//! directory, as WordPress's user, with a clean environment (the container's holds the
//! secrets' file names, never needed by WordPress) and, for our scripts, one request as
//! JSON on its standard input (passwords included, so not in its environment or
//! arguments).

use std::path::Path;
use std::process::Command;

use inception_core::fs;
use inception_core::user::Account;
use serde::Serialize;

/// The PHP CLI running `script` in `dir`, as `user` when given.
pub fn command(script: &str, dir: &Path, user: Option<&Account>) -> Command {
    let mut cmd = Command::new("php");
    cmd.args([
        "-d",
        "display_errors=stderr",
        "-d",
        "memory_limit=256M",
        "-f",
        script,
    ])
    .current_dir(dir)
    .env_clear()
    .env(
        "PATH",
        "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    );
    if let Some(user) = user {
        user.apply(&mut cmd);
    }
    cmd
}

/// [`command`], with `input` as JSON on its standard input.
pub fn with_json<T: Serialize>(
    script: &str,
    dir: &Path,
    user: Option<&Account>,
    input: &T,
) -> anyhow::Result<Command> {
    let mut cmd = command(script, dir, user);
    cmd.stdin(fs::stdin_with(&serde_json::to_vec(input)?)?);
    Ok(cmd)
}
