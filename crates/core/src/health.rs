//! The `health` subcommand every service binary has: runs the service's check, prints the
//! verdict on one line (or as JSON) and exits 0 (healthy) or 1. Compose's healthchecks and
//! `docker exec … health` both run it; see [`run`] for its options.

use std::time::{Duration, Instant};

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
    fn of(check: anyhow::Result<String>, elapsed: Duration) -> Verdict {
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

/// What a service's periodic upkeep did: `None` when nothing was due, otherwise what it
/// changed (nginx: "certificate renewed: ..."). The service may take a moment to apply it.
pub type Upkeep = fn() -> anyhow::Result<Option<String>>;

/// How long a check is retried after an upkeep changed something (nginx's workers reloading).
const SETTLE: Duration = Duration::from_secs(2);

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
///
/// `--upkeep` runs the service's `upkeep` first (only the compose healthcheck asks for it:
/// it runs every few seconds anyway, so PID 1 needs no timer of its own). A `health` without
/// it only looks.
pub fn run(
    args: &[String],
    check: impl Fn() -> anyhow::Result<String>,
    upkeep: Option<Upkeep>,
) -> anyhow::Result<u8> {
    let HealthArgs {
        pace,
        json,
        upkeep: wants_upkeep,
    } = HealthArgs::parse(args)?;
    let upkeep = match (wants_upkeep, upkeep) {
        (false, _) => None,
        (true, Some(upkeep)) => Some(upkeep),
        (true, None) => {
            return Err(crate::exit::UsageError(
                "health --upkeep: this service has no upkeep".into(),
            )
            .into());
        }
    };
    if let Some(pace) = pace
        && std::path::Path::new(HEALTHY_MARKER).exists()
    {
        std::thread::sleep(pace);
    }
    let started = Instant::now();
    let verdict = match upkeep.map(|upkeep| upkeep()).transpose() {
        Err(e) => Err(e.context("upkeep failed")),
        Ok(Some(Some(done))) => {
            // The service applies the change (a reload): until it has, the check may still
            // see the old state.
            let mut verdict = check();
            while verdict.is_err() && started.elapsed() < SETTLE {
                std::thread::sleep(Duration::from_millis(100));
                verdict = check();
            }
            verdict.map(|line| format!("{line} ({done})"))
        }
        Ok(_) => check(),
    };
    let verdict = Verdict::of(verdict, started.elapsed());
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

/// The options of `health`: `[--pace SECONDS] [--json] [--upkeep]` (also `--pace=SECONDS`).
#[derive(Debug, PartialEq)]
struct HealthArgs {
    pace: Option<Duration>,
    json: bool,
    upkeep: bool,
}

impl HealthArgs {
    fn parse(args: &[String]) -> anyhow::Result<HealthArgs> {
        let usage =
            || crate::exit::UsageError("usage: health [--pace SECONDS] [--json] [--upkeep]".into());
        let mut out = HealthArgs {
            pace: None,
            json: false,
            upkeep: false,
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let value = match arg.as_str() {
                "--json" => {
                    out.json = true;
                    continue;
                }
                "--upkeep" => {
                    out.upkeep = true;
                    continue;
                }
                "--pace" => args.next().ok_or_else(usage)?.as_str(),
                a if a.starts_with("--pace=") => &a["--pace=".len()..],
                _ => return Err(usage().into()),
            };
            let secs: f64 = value.parse().map_err(|_| usage())?;
            anyhow::ensure!(secs.is_finite() && (0.0..=3600.0).contains(&secs), usage());
            out.pace = Some(Duration::from_secs_f64(secs));
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
        assert_eq!(pace(&["--pace", "5"]), Some(Duration::from_secs(5)));
        assert_eq!(pace(&["--pace=0.5"]), Some(Duration::from_millis(500)));
        assert!(!parse(&["--pace", "5"]).unwrap().json);
        assert!(parse(&["--upkeep", "--pace", "5"]).unwrap().upkeep);
        assert!(!parse(&["--pace", "5"]).unwrap().upkeep);
        assert_eq!(
            parse(&["--json", "--pace", "1"]).unwrap(),
            HealthArgs {
                pace: Some(Duration::from_secs(1)),
                json: true,
                upkeep: false
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

    fn no_upkeep_due() -> anyhow::Result<Option<String>> {
        Ok(None)
    }

    fn upkeep_that_must_not_run() -> anyhow::Result<Option<String>> {
        panic!("upkeep ran without --upkeep")
    }

    fn renewing_upkeep() -> anyhow::Result<Option<String>> {
        Ok(Some("renewed".into()))
    }

    #[test]
    fn upkeep_runs_only_when_asked_and_the_check_then_gets_time_to_settle() {
        let healthy = || Ok("ok".to_string());
        assert_eq!(
            run(&[], healthy, Some(upkeep_that_must_not_run)).unwrap(),
            0
        );
        assert_eq!(
            run(&args(&["--upkeep"]), healthy, Some(no_upkeep_due)).unwrap(),
            0
        );
        // Without an upkeep, --upkeep is a usage error.
        let err = run(&args(&["--upkeep"]), healthy, None).unwrap_err();
        assert_eq!(crate::exit::code_for(&err), crate::exit::USAGE);
        // After a change, a failing check is retried (the service reloading).
        let calls = std::cell::Cell::new(0);
        let settling = || {
            calls.set(calls.get() + 1);
            if calls.get() < 3 {
                anyhow::bail!("old certificate")
            }
            Ok("new certificate".to_string())
        };
        assert_eq!(
            run(&args(&["--upkeep"]), settling, Some(renewing_upkeep)).unwrap(),
            0
        );
        assert_eq!(calls.get(), 3);
        // Without a change, one failure is the verdict.
        calls.set(0);
        assert_eq!(
            run(&args(&["--upkeep"]), settling, Some(no_upkeep_due)).unwrap(),
            1
        );
        assert_eq!(calls.get(), 1);
    }

    #[test]
    fn verdicts_print_as_a_line_or_json() {
        let ok = Verdict::of(Ok("pong".into()), Duration::from_millis(3));
        assert_eq!((ok.line(), ok.code()), ("healthy: pong".into(), 0));
        let err = anyhow::anyhow!("refused").context("cannot connect to 127.0.0.1:9000");
        let bad = Verdict::of(Err(err), Duration::ZERO);
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
