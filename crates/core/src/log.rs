//! Logging setup: `tracing` to stderr, for people by default and as JSON on request.
//!
//! `LOG_FORMAT=json` switches to one JSON object per line; `LOG_LEVEL` takes a level, or
//! comma-separated `target=level` pairs with an optional default level
//! (`tracing_subscriber::filter::Targets`, e.g. `inception_core=debug,info`; default `info`).
//! Secret values are never passed to the logger by the binaries; this module only decides
//! the shape of the output.

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Output shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Compact lines for a terminal or `docker logs`.
    Human,
    /// One JSON object per line, for log collectors.
    Json,
}

impl Format {
    /// Parses `LOG_FORMAT`'s value (`human`, `json`; empty means human).
    pub fn parse(value: &str) -> Option<Format> {
        match value.trim().to_ascii_lowercase().as_str() {
            "" | "human" | "text" => Some(Format::Human),
            "json" => Some(Format::Json),
            _ => None,
        }
    }
}

/// Installs the global subscriber from `LOG_FORMAT` and `LOG_LEVEL`. An unknown format falls
/// back to human output with a warning rather than keeping a service from starting.
pub fn init() {
    let raw = std::env::var("LOG_FORMAT").unwrap_or_default();
    let format = Format::parse(&raw);
    let filter = levels(&std::env::var("LOG_LEVEL").unwrap_or_default());
    let builder = tracing_subscriber::fmt()
        .with_max_level(LevelFilter::TRACE)
        .with_writer(std::io::stderr)
        .with_target(false);
    let result = match format.unwrap_or(Format::Human) {
        Format::Human => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .finish()
            .with(filter)
            .try_init(),
        Format::Json => builder
            .json()
            .flatten_event(true)
            .finish()
            .with(filter)
            .try_init(),
    };
    if result.is_ok() && format.is_none() {
        tracing::warn!(value = %raw, "LOG_FORMAT is not human or json; using human");
    }
}

/// `LOG_LEVEL`'s value as a filter; without a default level (empty, only targets, or
/// unreadable), everything else logs at `info`.
fn levels(value: &str) -> Targets {
    let value = value.trim();
    let targets = match value {
        "" => Targets::new(),
        _ => value.parse::<Targets>().unwrap_or_default(),
    };
    match targets.default_level() {
        Some(_) => targets,
        None => targets.with_default(LevelFilter::INFO),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_default_to_info_and_take_targets() {
        assert_eq!(levels("").default_level(), Some(LevelFilter::INFO));
        assert_eq!(
            levels("no such level!").default_level(),
            Some(LevelFilter::INFO)
        );
        assert_eq!(levels("debug").default_level(), Some(LevelFilter::DEBUG));
        let t = levels("inception_core=trace,warn");
        assert_eq!(t.default_level(), Some(LevelFilter::WARN));
        assert!(t.would_enable("inception_core::pid1", &tracing::Level::TRACE));
    }

    #[test]
    fn formats() {
        assert_eq!(Format::parse(""), Some(Format::Human));
        assert_eq!(Format::parse("JSON"), Some(Format::Json));
        assert_eq!(Format::parse("xml"), None);
    }
}
