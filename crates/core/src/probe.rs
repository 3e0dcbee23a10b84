//! Checks of a service by its own protocol, used by the `health` subcommands and by
//! entrypoints waiting for their dependencies. Each returns a one-line description of what
//! it saw, or an error saying what failed; [`report`] turns that into a `health` verdict.

/// Prints a `health` verdict on one line and returns its exit code: `healthy: ...` and 0,
/// or `unhealthy: <reason with its causes>` and 1.
pub fn report(verdict: anyhow::Result<String>) -> u8 {
    match verdict {
        Ok(line) => {
            println!("healthy: {line}");
            crate::exit::OK
        }
        Err(e) => {
            println!("unhealthy: {e:#}");
            crate::exit::FAILURE
        }
    }
}

/// Where a paced `health` remembers that the service has been healthy. /dev/shm is a tmpfs
/// Docker mounts afresh at every container start, writable under a read-only root.
const HEALTHY_MARKER: &str = "/dev/shm/inception-healthy";

/// Runs a `health` subcommand with its arguments; `check` prints its verdict and returns
/// the exit code.
///
/// `--pace SECONDS` is for Docker's healthcheck. Docker 20.10 runs the probe at one fixed
/// interval for the container's whole life (`start_interval` came later). A short interval
/// lets dependants start as soon as a service is ready, but every probe is a `docker exec`
/// costing the engine about 50 ms of CPU, forever; a long one delays each step of the start
/// by up to that interval. Paced, a probe checks at once while the service starts or is
/// unhealthy, and once it has been healthy waits SECONDS before checking: the compose file's
/// short interval applies to start-up and failures, and a healthy service costs one probe
/// per SECONDS. A `health` run by hand (no `--pace`) always checks at once.
pub fn health(args: &[String], check: impl FnOnce() -> anyhow::Result<u8>) -> anyhow::Result<u8> {
    let pace = parse_pace(args)?;
    if let Some(pace) = pace
        && std::path::Path::new(HEALTHY_MARKER).exists()
    {
        std::thread::sleep(pace);
    }
    let code = check()?;
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

/// `[]` or `["--pace", SECONDS]` (also `--pace=SECONDS`).
fn parse_pace(args: &[String]) -> anyhow::Result<Option<std::time::Duration>> {
    let usage = || crate::exit::UsageError("usage: health [--pace SECONDS]".into());
    let value = match args {
        [] => return Ok(None),
        [flag, value] if flag == "--pace" => value.as_str(),
        [flag] if flag.starts_with("--pace=") => &flag["--pace=".len()..],
        _ => return Err(usage().into()),
    };
    let secs: f64 = value.parse().map_err(|_| usage())?;
    anyhow::ensure!(secs.is_finite() && (0.0..=3600.0).contains(&secs), usage());
    Ok(Some(std::time::Duration::from_secs_f64(secs)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn pace_is_parsed_or_refused() {
        assert_eq!(parse_pace(&[]).unwrap(), None);
        assert_eq!(
            parse_pace(&args(&["--pace", "5"])).unwrap(),
            Some(std::time::Duration::from_secs(5))
        );
        assert_eq!(
            parse_pace(&args(&["--pace=0.5"])).unwrap(),
            Some(std::time::Duration::from_millis(500))
        );
        for bad in [
            &["--pace"][..],
            &["--pace", "x"],
            &["--pace", "-1"],
            &["now"],
        ] {
            let err = parse_pace(&args(bad)).unwrap_err();
            assert_eq!(crate::exit::code_for(&err), crate::exit::USAGE, "{bad:?}");
        }
    }
}

/// Runs an async probe to completion on a small runtime (the `health` subcommands are
/// synchronous binaries).
pub fn block_on<F: std::future::Future>(probe: F) -> std::io::Result<F::Output> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(probe))
}

pub mod fastcgi;
pub mod http;
pub mod mysql;
pub mod redis;
pub mod tcp;
pub mod tls;
