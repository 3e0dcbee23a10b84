//! Logging setup: `tracing` to stderr, for people by default and as JSON on request.
//!
//! `LOG_FORMAT=json` switches to one JSON object per line; `LOG_LEVEL` takes a
//! `tracing_subscriber::EnvFilter` directive (default `info`). Secret values are never passed
//! to the logger by the binaries; this module only decides the shape of the output.

use tracing_subscriber::EnvFilter;

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
    let filter = EnvFilter::try_from_env("LOG_LEVEL").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    let result = match format.unwrap_or(Format::Human) {
        Format::Human => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init(),
        Format::Json => builder.json().flatten_event(true).try_init(),
    };
    if result.is_ok() && format.is_none() {
        tracing::warn!(value = %raw, "LOG_FORMAT is not human or json; using human");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(Format::parse(""), Some(Format::Human));
        assert_eq!(Format::parse("JSON"), Some(Format::Json));
        assert_eq!(Format::parse("xml"), None);
    }
}
