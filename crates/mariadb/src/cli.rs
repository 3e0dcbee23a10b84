//! Command line, compatible with the official MariaDB image:
//!
//! - `health`: check the running server (exit 0/1 with a one-line reason);
//! - no argument, `mariadbd`/`mysqld` [ARGS], or arguments starting with `-`: prepare the
//!   data directory if needed, then exec `mariadbd ARGS` as the `mysql` user;
//! - anything else: exec it as given (`docker run mariadb:inception echo hi`).

use inception_core::pid1;

use crate::{entrypoint, health};

/// What to do, decided from the arguments.
#[derive(Debug, PartialEq, Eq)]
pub enum Action {
    /// Check the server.
    Health,
    /// Bootstrap if needed, then run the server with these extra arguments.
    Server(Vec<String>),
    /// Run another command instead of the server.
    Other(Vec<String>),
}

/// Decides what the arguments ask for.
pub fn parse(args: Vec<String>) -> Action {
    match args.first().map(String::as_str) {
        Some("health") => Action::Health,
        None => Action::Server(Vec::new()),
        Some("mariadbd" | "mysqld") => Action::Server(args[1..].to_vec()),
        Some(a) if a.starts_with('-') => Action::Server(args),
        Some(_) => Action::Other(args),
    }
}

/// Runs the action; returns the exit code (on success paths that do not exec).
pub fn run(args: Vec<String>) -> anyhow::Result<u8> {
    match parse(args) {
        Action::Health => health::run(),
        Action::Server(extra) => entrypoint::run(extra),
        Action::Other(argv) => Err(pid1::exec(&argv).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn arguments_follow_the_official_image() {
        assert_eq!(parse(v(&[])), Action::Server(v(&[])));
        assert_eq!(
            parse(v(&["mariadbd", "--port=3307"])),
            Action::Server(v(&["--port=3307"]))
        );
        assert_eq!(
            parse(v(&["--skip-log-bin"])),
            Action::Server(v(&["--skip-log-bin"]))
        );
        assert_eq!(parse(v(&["echo", "hi"])), Action::Other(v(&["echo", "hi"])));
        assert_eq!(parse(v(&["health"])), Action::Health);
    }
}
