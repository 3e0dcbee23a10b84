//! Checks of a service by its own protocol, used by the `health` subcommands and by
//! entrypoints waiting for their dependencies. Each returns a one-line description of what
//! it saw, or an error saying what failed; [`health`] turns that into a verdict.

/// A `health` verdict, as `--json` prints it.
#[derive(Debug, serde::Serialize)]
pub struct Verdict {
    /// Whether the service passed its check.
    pub healthy: bool,
    /// What the check saw, or why it failed (with the causes).
    pub message: String,
    /// How long the check took, in milliseconds (the pace's wait excluded).
    pub elapsed_ms: u64,
}

impl Verdict {
    fn of(check: anyhow::Result<String>, elapsed: std::time::Duration) -> Verdict {
        let (healthy, message) = match check {
            Ok(line) => (true, line),
            Err(e) => (false, format!("{e:#}")),
        };
        Verdict {
            healthy,
            message,
            elapsed_ms: elapsed.as_millis() as u64,
        }
    }

    /// The one-line human form: `healthy: ...` or `unhealthy: <reason>`.
    pub fn line(&self) -> String {
        let state = if self.healthy { "healthy" } else { "unhealthy" };
        format!("{state}: {}", self.message)
    }

    /// The exit code: 0 healthy, 1 not.
    pub fn code(&self) -> u8 {
        if self.healthy {
            crate::exit::OK
        } else {
            crate::exit::FAILURE
        }
    }
}

/// Where a paced `health` remembers that the service has been healthy. /dev/shm is a tmpfs
/// Docker mounts afresh at every container start, writable under a read-only root.
const HEALTHY_MARKER: &str = "/dev/shm/inception-healthy";

/// Runs a `health` subcommand with its arguments: runs `check`, prints the verdict on one
/// line (`--json`: as a JSON object, see [`Verdict`]) and returns the exit code.
///
/// `--pace SECONDS` is for Docker's healthcheck. Docker 20.10 runs the probe at one fixed
/// interval for the container's whole life (`start_interval` came later). A short interval
/// lets dependants start as soon as a service is ready, but every probe is a `docker exec`
/// costing the engine about 50 ms of CPU, forever; a long one delays each step of the start
/// by up to that interval. Paced, a probe checks at once while the service starts or is
/// unhealthy, and once it has been healthy waits SECONDS before checking: the compose file's
/// short interval applies to start-up and failures, and a healthy service costs one probe
/// per SECONDS. A `health` run by hand (no `--pace`) always checks at once.
pub fn health(
    args: &[String],
    check: impl FnOnce() -> anyhow::Result<String>,
) -> anyhow::Result<u8> {
    let HealthArgs { pace, json } = HealthArgs::parse(args)?;
    if let Some(pace) = pace
        && std::path::Path::new(HEALTHY_MARKER).exists()
    {
        std::thread::sleep(pace);
    }
    let started = std::time::Instant::now();
    let verdict = Verdict::of(check(), started.elapsed());
    if json {
        println!("{}", serde_json::to_string(&verdict)?);
    } else {
        println!("{}", verdict.line());
    }
    let code = verdict.code();
    if pace.is_some() {
        // Best effort: without the marker, probes stay at the short interval.
        if code == crate::exit::OK {
            let _ = std::fs::write(HEALTHY_MARKER, b"");
        } else {
            let _ = std::fs::remove_file(HEALTHY_MARKER);
        }
    }
    Ok(code)
}

/// The options of `health`: `[--pace SECONDS] [--json]` (also `--pace=SECONDS`).
#[derive(Debug, PartialEq)]
struct HealthArgs {
    pace: Option<std::time::Duration>,
    json: bool,
}

impl HealthArgs {
    fn parse(args: &[String]) -> anyhow::Result<HealthArgs> {
        let usage = || crate::exit::UsageError("usage: health [--pace SECONDS] [--json]".into());
        let mut out = HealthArgs {
            pace: None,
            json: false,
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let value = match arg.as_str() {
                "--json" => {
                    out.json = true;
                    continue;
                }
                "--pace" => args.next().ok_or_else(usage)?.as_str(),
                a if a.starts_with("--pace=") => &a["--pace=".len()..],
                _ => return Err(usage().into()),
            };
            let secs: f64 = value.parse().map_err(|_| usage())?;
            anyhow::ensure!(secs.is_finite() && (0.0..=3600.0).contains(&secs), usage());
            out.pace = Some(std::time::Duration::from_secs_f64(secs));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    fn parse(a: &[&str]) -> anyhow::Result<HealthArgs> {
        HealthArgs::parse(&args(a))
    }

    #[test]
    fn options_are_parsed_or_refused() {
        let pace = |a: &[&str]| parse(a).unwrap().pace;
        assert_eq!(pace(&[]), None);
        assert_eq!(
            pace(&["--pace", "5"]),
            Some(std::time::Duration::from_secs(5))
        );
        assert_eq!(
            pace(&["--pace=0.5"]),
            Some(std::time::Duration::from_millis(500))
        );
        assert!(!parse(&["--pace", "5"]).unwrap().json);
        assert_eq!(
            parse(&["--json", "--pace", "1"]).unwrap(),
            HealthArgs {
                pace: Some(std::time::Duration::from_secs(1)),
                json: true
            }
        );
        for bad in [
            &["--pace"][..],
            &["--pace", "x"],
            &["--pace", "-1"],
            &["now"],
        ] {
            let err = parse(bad).unwrap_err();
            assert_eq!(crate::exit::code_for(&err), crate::exit::USAGE, "{bad:?}");
        }
    }

    #[test]
    fn verdicts_print_as_a_line_or_json() {
        let ok = Verdict::of(Ok("pong".into()), std::time::Duration::from_millis(3));
        assert_eq!((ok.line(), ok.code()), ("healthy: pong".into(), 0));
        let err = anyhow::anyhow!("refused").context("cannot connect to 127.0.0.1:9000");
        let bad = Verdict::of(Err(err), std::time::Duration::ZERO);
        assert_eq!(
            bad.line(),
            "unhealthy: cannot connect to 127.0.0.1:9000: refused"
        );
        assert_eq!(bad.code(), 1);
        assert_eq!(
            serde_json::to_string(&ok).unwrap(),
            r#"{"healthy":true,"message":"pong","elapsed_ms":3}"#
        );
    }
}

pub use crate::rt::block_on;

pub mod fastcgi;
pub mod http;
#[cfg(feature = "mysql")]
pub mod mysql;
pub mod redis;
pub mod tcp;
#[cfg(feature = "tls")]
pub mod tls;
