//! Exit codes of every Inception binary, defined once.
//!
//! They follow tini's conventions so that `docker ps` and `docker inspect` read the same way
//! for our entrypoints as for the services they start:
//!
//! | code    | meaning                                                        |
//! |---------|----------------------------------------------------------------|
//! | 0       | success (for `health`: the service is healthy)                 |
//! | 1       | failure at run time (for `health`: the service is not healthy) |
//! | 2       | usage error: unknown subcommand or argument                    |
//! | 78      | configuration error: a variable or secret is missing or wrong  |
//! | 126     | the command to run exists but cannot be executed               |
//! | 127     | the command to run was not found                               |
//! | 128 + N | stopped by signal N (143 for SIGTERM)                          |

use std::process::ExitCode;

use crate::config::ConfigError;
use crate::pid1;
pub use crate::status::*;

/// Exit code for an error that ended a binary.
///
/// A stop requested by a signal wins over whatever error the interrupted step reported
/// (a server killed under a query fails the query; what matters is that we were stopped).
pub fn code_for(err: &anyhow::Error) -> u8 {
    if let Some(sig) = pid1::stop_requested() {
        return signaled(sig as i32);
    }
    for cause in err.chain() {
        if cause.is::<ConfigError>() {
            return CONFIG;
        }
        if let Some(e) = cause.downcast_ref::<pid1::ExecError>() {
            return e.exit_code();
        }
        if cause.is::<UsageError>() {
            return USAGE;
        }
    }
    FAILURE
}

/// The `main` of every binary: run, report an error on one line with its causes, and exit
/// with the code that error maps to.
pub fn main(name: &str, run: impl FnOnce() -> anyhow::Result<u8>) -> ExitCode {
    match run() {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            let code = code_for(&err);
            if code < 128 {
                // `{:#}` prints the whole chain: "cannot read X: permission denied".
                eprintln!("{name}: error: {err:#}");
            } else {
                eprintln!("{name}: stopped by signal {}", code - 128);
            }
            ExitCode::from(code)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signal_codes_follow_the_shell_convention() {
        assert_eq!(signaled(15), 143);
        assert_eq!(signaled(9), 137);
    }

    #[test]
    fn config_errors_are_distinct_from_runtime_failures() {
        let err = anyhow::Error::new(ConfigError::Missing { var: "X".into() })
            .context("reading configuration");
        assert_eq!(code_for(&err), CONFIG);
        assert_eq!(code_for(&anyhow::anyhow!("boom")), FAILURE);
        assert_eq!(code_for(&UsageError("bad".into()).into()), USAGE);
    }
}
