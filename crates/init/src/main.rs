//! `inception-init`: the PID 1 runtime of `inception-core` as a standalone tool, like `tini`.
//!
//! ```text
//! inception-init [-g] [--] COMMAND [ARG...]
//! ```
//!
//! It runs COMMAND as its child, forwards every catchable signal to it, reaps every zombie
//! and exits with COMMAND's status (128 + N when killed by signal N), as every service
//! entrypoint does once its service is prepared. With `-g` (`--group`) COMMAND leads its
//! own process group and signals go to the whole group, so that what a shell script
//! started without `exec` gets them too (dumb-init's default).
//! The PID 1 tests use it (tests/e2e/pid1.rs); no image of the stack needs it, since each
//! service's own binary is its PID 1.
//!
//! ```text
//! inception-init swarm-stack < COMPOSE_CONFIG > STACK_FILE
//! ```
//!
//! writes the Swarm stack file from compose's resolved document ([`stack`]; `make swarm`).
//! (`inception-init -- swarm-stack` runs a program of that name.)

mod stack;

use std::process::ExitCode;

use inception_core::{exit, log, pid1};

const USAGE: &str = "usage: inception-init [-g] [--] COMMAND [ARG...] | inception-init swarm-stack";

fn main() -> ExitCode {
    log::init();
    exit::main("inception-init", || {
        let mut args: Vec<String> = std::env::args().skip(1).collect();
        if args.first().map(String::as_str) == Some("swarm-stack") {
            if args.len() > 1 {
                return Err(exit::UsageError(USAGE.into()).into());
            }
            return stack::run();
        }
        let mut options = pid1::Options::default();
        while let Some(flag) = args.first() {
            match flag.as_str() {
                "-g" | "--group" => options.forward = pid1::Forward::Group,
                "--" => {
                    args.remove(0);
                    break;
                }
                _ => break,
            }
            args.remove(0);
        }
        if args.is_empty() || args[0].starts_with('-') && args[0] != "-" {
            return Err(exit::UsageError(USAGE.into()).into());
        }
        pid1::run_as_init(&args, options)
    })
}
