//! The command line every service binary shares, shaped like the official images':
//!
//! - `health [--pace SECONDS] [--json] [--upkeep]`: check the running service by its own protocol, print one
//!   line, exit 0 or 1 (see [`crate::health::run`]);
//! - no argument, the service's own program, or arguments starting with `-`: prepare the
//!   service, then run it with those arguments (after its command line, [`Service::command`]:
//!   the images have no CMD, so that this is its one definition);
//! - a first argument ending in `.conf`: the program's own configuration file, which takes
//!   the place of the command line's arguments (`docker run redis:inception /my/redis.conf`, as the
//!   official redis image takes it);
//! - anything else: run that command instead (`docker run IMAGE echo hi`).
//!
//! A service command line that only asks for information ([`wants_help`]: `--help`,
//! `--version`, ...) is the program with those arguments alone, run as it is without
//! preparing anything, as the official images do (`docker run mariadb:inception --verbose
//! --help`, `docker run redis:inception --version`). Whatever runs is this
//! process's child, and this process stays PID 1 until it ends ([`pid1::run_service`]).

use std::process::ExitCode;

use crate::{exit, health, log, pid1};

/// A service binary, described once for [`run`].
pub struct Service {
    /// The binary's name, as its errors are prefixed.
    pub name: &'static str,
    /// Whether a first argument is the service's own program (`nginx`, `php-fpm8.2`, ...).
    pub is_program: fn(&str) -> bool,
    /// The service command line: what runs when the container is given no arguments (the
    /// images have no CMD).
    pub command: &'static [&'static str],
    /// The `health` check: what it saw, or why the service is not healthy.
    pub health: fn() -> anyhow::Result<String>,
    /// What `health --upkeep` does before checking (see [`health::run`]); `None` for most.
    pub upkeep: Option<health::Upkeep>,
    /// Prepares the service, then runs the command line it is given (with
    /// [`pid1::run_service`]) and returns its status. `None`: nothing to prepare, the
    /// command is run at once.
    pub serve: Option<fn(Vec<String>) -> anyhow::Result<u8>>,
}

impl Service {
    /// A service named `name` (as its errors are prefixed), its program recognised by
    /// `is_program`, run as `command`, checked by `health`; nothing to prepare before it
    /// runs and no upkeep, unless [`Service::serve`] and [`Service::upkeep`] say otherwise.
    pub const fn new(
        name: &'static str,
        is_program: fn(&str) -> bool,
        command: &'static [&'static str],
        health: fn() -> anyhow::Result<String>,
    ) -> Service {
        Service {
            name,
            is_program,
            command,
            health,
            upkeep: None,
            serve: None,
        }
    }

    /// With `serve` preparing the service and running it.
    pub const fn serve(self, serve: fn(Vec<String>) -> anyhow::Result<u8>) -> Service {
        Service {
            serve: Some(serve),
            ..self
        }
    }

    /// With `upkeep` done by `health --upkeep`.
    pub const fn upkeep(self, upkeep: health::Upkeep) -> Service {
        Service {
            upkeep: Some(upkeep),
            ..self
        }
    }
}

/// The `main` of every service binary: logging, then what the command line asks for
/// (see [`Action`]), with errors reported and mapped to exit codes by [`exit::main`].
pub fn run(service: &Service) -> ExitCode {
    log::init();
    exit::main(service.name, || {
        let args = std::env::args().skip(1).collect();
        match Action::parse(args, service.is_program, service.command) {
            Action::Health(args) => health::run(&args, service.health, service.upkeep),
            Action::Serve(argv) => match service.serve {
                Some(serve) => serve(argv),
                None => pid1::run_service(&argv, None),
            },
            Action::Other(argv) => pid1::run_service(&argv, None),
        }
    })
}

/// What the arguments ask for.
#[derive(Debug, PartialEq, Eq)]
pub enum Action {
    /// Check the service, with the arguments that followed `health`.
    Health(Vec<String>),
    /// Prepare, then run the service: its full command line.
    Serve(Vec<String>),
    /// Run another command without preparing anything.
    Other(Vec<String>),
}

impl Action {
    /// Decides from `args` (without the binary's name). `is_program` recognises the
    /// service's own program; `default` is the service command line.
    pub fn parse(args: Vec<String>, is_program: impl Fn(&str) -> bool, default: &[&str]) -> Action {
        let default: Vec<String> = default.iter().map(|s| s.to_string()).collect();
        // The program alone, then the arguments.
        let program: Vec<String> = default.iter().take(1).chain(&args).cloned().collect();
        match args.first().map(String::as_str) {
            Some("health") => Action::Health(args[1..].to_vec()),
            None => Action::Serve(default),
            Some(a) if a.starts_with('-') => {
                if wants_help(&program) {
                    return Action::Other(program);
                }
                let mut argv = default;
                argv.extend(args);
                Action::Serve(argv)
            }
            Some(a) if a.ends_with(".conf") => Action::serve(program),
            Some(a) if is_program(a) => Action::serve(args),
            Some(_) => Action::Other(args),
        }
    }

    /// Serve `argv`, unless it only asks for information.
    fn serve(argv: Vec<String>) -> Action {
        if wants_help(&argv) {
            Action::Other(argv)
        } else {
            Action::Serve(argv)
        }
    }
}

/// Whether a service command line asks for help or a version rather than for the service
/// (the official MariaDB image's `_mysql_want_help` list).
pub fn wants_help(argv: &[String]) -> bool {
    argv.iter().skip(1).any(|a| {
        matches!(
            a.as_str(),
            "-?" | "--help" | "--print-defaults" | "-V" | "--version"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    fn parse(args: &[&str]) -> Action {
        Action::parse(v(args), |a| a == "mariadbd" || a == "mysqld", &["mariadbd"])
    }

    #[test]
    fn arguments_follow_the_official_images() {
        assert_eq!(parse(&[]), Action::Serve(v(&["mariadbd"])));
        assert_eq!(
            parse(&["mariadbd", "--port=3307"]),
            Action::Serve(v(&["mariadbd", "--port=3307"]))
        );
        assert_eq!(
            parse(&["--skip-log-bin"]),
            Action::Serve(v(&["mariadbd", "--skip-log-bin"]))
        );
        assert_eq!(parse(&["echo", "hi"]), Action::Other(v(&["echo", "hi"])));
        assert_eq!(
            parse(&["--verbose", "--help"]),
            Action::Other(v(&["mariadbd", "--verbose", "--help"]))
        );
        assert_eq!(
            parse(&["mysqld", "-V"]),
            Action::Other(v(&["mysqld", "-V"]))
        );
        assert_eq!(parse(&["health"]), Action::Health(vec![]));
    }

    #[test]
    fn help_runs_the_program_alone_and_a_conf_file_replaces_the_cmd_arguments() {
        let redis = |args: &[&str]| {
            Action::parse(
                v(args),
                |a| a == "redis-server",
                &["redis-server", "/run/redis/redis.conf"],
            )
        };
        assert_eq!(
            redis(&["--version"]),
            Action::Other(v(&["redis-server", "--version"]))
        );
        assert_eq!(
            redis(&["--appendonly", "yes"]),
            Action::Serve(v(&[
                "redis-server",
                "/run/redis/redis.conf",
                "--appendonly",
                "yes"
            ]))
        );
        assert_eq!(
            redis(&["../test.conf", "--appendonly", "yes"]),
            Action::Serve(v(&["redis-server", "../test.conf", "--appendonly", "yes"]))
        );
        assert_eq!(
            redis(&["redis-server", "/etc/redis/redis.conf"]),
            Action::Serve(v(&["redis-server", "/etc/redis/redis.conf"]))
        );
        assert_eq!(
            redis(&["redis-cli", "--version"]),
            Action::Other(v(&["redis-cli", "--version"]))
        );
        assert_eq!(
            parse(&["health", "--pace", "5"]),
            Action::Health(v(&["--pace", "5"]))
        );
    }
}
