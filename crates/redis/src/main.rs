//! `inception-redis`: PID 1 of the redis container (bonus): WordPress's object cache.
//!
//! Renders redis.conf (password from `REDIS_PASSWORD`/`_FILE`, memory limit, no persistence)
//! into a runtime directory, then runs redis-server as the redis user. `health` sends AUTH
//! and PING.

use std::collections::HashMap;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use inception_core::cli::{self, Service};
use inception_core::config::{Config, ConfigError, Secret};
use inception_core::probe::redis;
use inception_core::rt;
use inception_core::template::{Template, double_quoted};
use inception_core::user::Account;
use inception_core::{fs, pid1};

const TEMPLATE: &str = "/etc/inception/redis.conf.tmpl";
const RENDERED: &str = "/run/redis/redis.conf";
const SERVICE: &[&str] = &["redis-server", RENDERED];

/// A memory size redis accepts: digits with an optional kb/mb/gb unit.
fn check_memory(value: &str) -> Result<(), String> {
    let digits = value.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = &value[digits.len()..];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err("must be a number with an optional kb, mb or gb unit".into());
    }
    match unit.to_ascii_lowercase().as_str() {
        "" | "kb" | "mb" | "gb" => Ok(()),
        _ => Err(format!("unknown unit {unit:?}")),
    }
}

fn serve(argv: Vec<String>) -> anyhow::Result<u8> {
    let cfg = Config::from_env();
    let password = cfg.secret(&["REDIS_PASSWORD"])?;
    let memory = cfg.or(&["REDIS_MAXMEMORY"], "64mb")?;
    check_memory(&memory).map_err(|reason| ConfigError::invalid("REDIS_MAXMEMORY", reason))?;
    let redis_user = Account::lookup("redis")?;

    let tmpl = Template::load(TEMPLATE)?;
    let values = HashMap::from([
        ("PASSWORD", double_quoted(password.expose())),
        ("MAXMEMORY", memory),
    ]);
    let conf = tmpl.render(&values)?;
    let path = Path::new(RENDERED);
    std::fs::create_dir_all(path.parent().unwrap_or(Path::new("/")))?;
    fs::write_atomic(path, conf.as_bytes(), 0o600)?;
    fs::chown(path, redis_user.uid, redis_user.gid)?;
    pid1::run_service(&argv, Some(&redis_user))
}

fn health() -> anyhow::Result<String> {
    let password = Config::from_env().optional_secret(&["REDIS_PASSWORD"])?;
    rt::run(redis::ping(
        "127.0.0.1:6379",
        password.as_ref().map(Secret::expose),
        Duration::from_secs(3),
    ))
}

fn main() -> ExitCode {
    let redis_server = |a: &str| a == "redis-server";
    cli::run(&Service::new("inception-redis", redis_server, SERVICE, health).serve(serve))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_values() {
        assert!(check_memory("64mb").is_ok());
        assert!(check_memory("1048576").is_ok());
        assert!(check_memory("lots").is_err());
        assert!(check_memory("64tb").is_err());
    }
}
