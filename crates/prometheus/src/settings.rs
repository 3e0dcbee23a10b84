//! Prometheus's settings, checked before anything runs: each bad value is refused with an
//! error naming its variable.

use inception_core::config::{Config, ConfigError, Site, Source};

/// Where nginx publishes Prometheus, and so where Prometheus serves everything.
pub const ROUTE_PREFIX: &str = "/prometheus/";

/// What Prometheus runs with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The site's public address (`--web.external-url` is it plus [`ROUTE_PREFIX`]).
    pub site: Site,
    /// `PROMETHEUS_RETENTION_TIME` (default 15d): how long series are kept.
    pub retention_time: String,
    /// `PROMETHEUS_RETENTION_SIZE` (default 1GB): the most the series may take on disk.
    pub retention_size: String,
    /// `PROMETHEUS_SCRAPE_INTERVAL` (default 10s): how often each target is read.
    pub scrape_interval: String,
    /// `PROMETHEUS_MYSQLD_EXPORTERS` (default `mysqld-exporter:9104`, compose's one): the
    /// MariaDB exporters, `host:port` separated by commas; the Swarm stack has one per
    /// Galera member (srcs/swarm/overrides.yml).
    pub mysqld_exporters: Vec<String>,
}

impl Settings {
    /// Reads and checks the settings.
    pub fn read<S: Source>(cfg: &Config<S>) -> Result<Settings, ConfigError> {
        let site = Site::read(cfg)?;
        let checked = |var: &str, default: &str, check: fn(&str) -> Result<(), String>| {
            let value = cfg.or(&[var], default)?;
            check(&value).map_err(|reason| ConfigError::invalid(var, reason))?;
            Ok::<_, ConfigError>(value)
        };
        Ok(Settings {
            site,
            retention_time: checked("PROMETHEUS_RETENTION_TIME", "15d", check_duration)?,
            retention_size: checked("PROMETHEUS_RETENTION_SIZE", "1GB", check_size)?,
            scrape_interval: checked("PROMETHEUS_SCRAPE_INTERVAL", "10s", check_duration)?,
            mysqld_exporters: checked(
                "PROMETHEUS_MYSQLD_EXPORTERS",
                "mysqld-exporter:9104",
                check_targets,
            )?
            .split(',')
            .map(str::to_owned)
            .collect(),
        })
    }

    /// The address users reach Prometheus at, through nginx.
    pub fn external_url(&self) -> String {
        format!("{}{ROUTE_PREFIX}", self.site.url())
    }

    /// Prometheus's flags: its configuration, its storage and how much it keeps, its address.
    pub fn flags(&self, config: &str, data: &str) -> Vec<String> {
        vec![
            format!("--config.file={config}"),
            format!("--storage.tsdb.path={data}"),
            format!("--storage.tsdb.retention.time={}", self.retention_time),
            format!("--storage.tsdb.retention.size={}", self.retention_size),
            // Links and redirects under /prometheus/; the routes follow the URL's path.
            format!("--web.external-url={}", self.external_url()),
            "--web.listen-address=:9090".into(),
        ]
    }
}

/// A Prometheus duration (`15d`, `1h30m`, `500ms`): units y, w, d, h, m, s, ms in that order,
/// each once, not all zero.
pub fn check_duration(value: &str) -> Result<(), String> {
    const UNITS: [&str; 7] = ["y", "w", "d", "h", "m", "s", "ms"];
    let bad = || format!("{value:?} is not a duration such as 15d, 12h or 30s");
    let mut rest = value;
    let mut next_unit = 0;
    let mut total = 0u64;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let number: u64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let letters = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let unit = &rest[..letters];
        let at = UNITS[next_unit..]
            .iter()
            .position(|u| *u == unit)
            .ok_or_else(bad)?;
        next_unit += at + 1;
        total = total.saturating_add(number);
        rest = &rest[letters..];
    }
    if value.is_empty() || total == 0 {
        return Err(bad());
    }
    Ok(())
}

/// A size as Prometheus reads it: digits and a unit among B, KB, MB, GB, TB, PB, EB; not 0.
pub fn check_size(value: &str) -> Result<(), String> {
    let digits = value.bytes().take_while(u8::is_ascii_digit).count();
    let ok = digits > 0
        && value[..digits].bytes().any(|b| b != b'0')
        && ["B", "KB", "MB", "GB", "TB", "PB", "EB"].contains(&&value[digits..]);
    if ok {
        Ok(())
    } else {
        Err(format!("{value:?} is not a size such as 512MB or 1GB"))
    }
}

/// Scrape targets: `host:port`, separated by commas, at least one; a host of letters,
/// digits, dots and dashes (a service name), a port number.
pub fn check_targets(value: &str) -> Result<(), String> {
    let target = |t: &str| {
        t.split_once(':').is_some_and(|(host, port)| {
            !host.is_empty()
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
                && port.parse::<u16>().is_ok_and(|p| p > 0)
        })
    };
    if value.split(',').all(target) {
        Ok(())
    } else {
        Err(format!(
            "{value:?} is not a list of targets such as mysqld-exporter-1:9104,mysqld-exporter-2:9104"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let mut all = vec![("DOMAIN_NAME", "me.42.fr")];
        all.extend_from_slice(pairs);
        Settings::read(&Config::from_pairs(&all))
    }

    #[test]
    fn defaults_keep_15_days_or_1_gb_and_serve_under_the_prefix() {
        let s = read(&[]).unwrap();
        let flags = s.flags("/run/prometheus/prometheus.yml", "/prometheus");
        assert!(flags.contains(&"--storage.tsdb.retention.time=15d".to_owned()));
        assert!(flags.contains(&"--storage.tsdb.retention.size=1GB".to_owned()));
        assert!(flags.contains(&"--web.external-url=https://me.42.fr/prometheus/".to_owned()));
        let s = read(&[("HTTPS_PORT", "8443")]).unwrap();
        assert_eq!(s.external_url(), "https://me.42.fr:8443/prometheus/");
    }

    #[test]
    fn bad_values_are_refused_naming_the_variable() {
        for (var, value) in [
            ("PROMETHEUS_RETENTION_TIME", "15 days"),
            ("PROMETHEUS_RETENTION_TIME", "0d"),
            ("PROMETHEUS_RETENTION_SIZE", "1G"),
            ("PROMETHEUS_RETENTION_SIZE", "0GB"),
            ("PROMETHEUS_SCRAPE_INTERVAL", "s10"),
            ("PROMETHEUS_MYSQLD_EXPORTERS", "mysqld-exporter"),
            ("PROMETHEUS_MYSQLD_EXPORTERS", "a:9104,,b:9104"),
            ("PROMETHEUS_MYSQLD_EXPORTERS", "\"x\":9104"),
        ] {
            let err = read(&[(var, value)]).unwrap_err().to_string();
            assert!(err.starts_with(&format!("{var} is invalid")), "{err}");
        }
    }

    #[test]
    fn durations_and_sizes() {
        for ok in ["15d", "1h30m", "500ms", "2w", "1y2d", "10s"] {
            assert!(check_duration(ok).is_ok(), "{ok}");
        }
        for bad in ["", "d", "15", "1m1h", "1d1d", "1x", "-1d"] {
            assert!(check_duration(bad).is_err(), "{bad}");
        }
        for ok in ["1GB", "512MB", "10B"] {
            assert!(check_size(ok).is_ok(), "{ok}");
        }
        for bad in ["", "GB", "1gb", "1 GB", "0MB"] {
            assert!(check_size(bad).is_err(), "{bad}");
        }
        for ok in [
            "mysqld-exporter:9104",
            "mysqld-exporter-1:9104,mysqld-exporter-2:9104",
        ] {
            assert!(check_targets(ok).is_ok(), "{ok}");
        }
        for bad in ["", "x", "x:", ":9104", "x:0", "x:9104,", "x y:1", "x:9104 "] {
            assert!(check_targets(bad).is_err(), "{bad}");
        }
    }
}
