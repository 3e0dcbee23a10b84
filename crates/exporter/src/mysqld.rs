//! MariaDB's exporter, as its own least-privileged account (created by the mariadb
//! entrypoint from the same secret: `crates/mariadb/src/bootstrap.rs`). The credentials go
//! into a MySQL option file in the runtime directory, readable by the exporter only, rather
//! than into its environment or command line.

use inception_core::config::{Config, ConfigError, Source};
use inception_core::user::Account;

use crate::{Exporter, write_private};

pub const EXPORTER: Exporter = Exporter::new(&["prometheus-mysqld-exporter"], 9104, flags);

/// The option file, in [`crate::RUNDIR`].
const MY_CNF: &str = "my.cnf";

fn flags<S: Source>(cfg: &Config<S>, user: &Account) -> anyhow::Result<Vec<String>> {
    let address = cfg.or(&["EXPORTER_DB_HOST"], "mariadb:3306")?;
    let (host, port) = split_address(&address)
        .map_err(|reason| ConfigError::invalid("EXPORTER_DB_HOST", reason))?;
    let name = cfg.or(&["EXPORTER_DB_USER"], "exporter")?;
    let password = cfg.secret(&["EXPORTER_DB_PASSWORD"])?;
    let cnf = my_cnf(host, port, &name, password.expose())?;
    let path = write_private(MY_CNF, &cnf, user)?;
    Ok(vec![format!("--config.my-cnf={path}")])
}

/// `host:port` (port 3306 when omitted).
fn split_address(address: &str) -> Result<(&str, u16), String> {
    let (host, port) = match address.rsplit_once(':') {
        Some((host, port)) => (
            host,
            port.parse::<u16>()
                .map_err(|_| format!("{port:?} is not a port"))?,
        ),
        None => (address, 3306),
    };
    if host.is_empty() || port == 0 {
        return Err("must be host:port".into());
    }
    Ok((host, port))
}

/// The `[client]` section the exporter reads. Its parser (Go's gopkg.in/ini.v1) takes a
/// value between backquotes as it is, so any password works but one with a backquote or a
/// line break, which is refused (naming the variable, never the value).
fn my_cnf(host: &str, port: u16, user: &str, password: &str) -> Result<String, ConfigError> {
    for (var, value) in [
        ("EXPORTER_DB_USER", user),
        ("EXPORTER_DB_PASSWORD", password),
    ] {
        if value.contains(['`', '\n', '\r']) {
            return Err(ConfigError::invalid(
                var,
                "must not hold a backquote or a line break (the exporter's option file cannot hold them)",
            ));
        }
    }
    Ok(format!(
        "[client]\nhost={host}\nport={port}\nuser=`{user}`\npassword=`{password}`\n"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(split_address("mariadb:3306").unwrap(), ("mariadb", 3306));
        assert_eq!(split_address("db").unwrap(), ("db", 3306));
        assert!(split_address("db:x").is_err());
        assert!(split_address(":3306").is_err());
    }

    #[test]
    fn the_option_file_holds_any_password_but_a_backquote() {
        let cnf = my_cnf("mariadb", 3306, "exporter", r#"a'"\$%é #;b"#).unwrap();
        assert_eq!(
            cnf,
            "[client]\nhost=mariadb\nport=3306\nuser=`exporter`\npassword=`a'\"\\$%é #;b`\n"
        );
        let err = my_cnf("m", 1, "exporter", "a`b").unwrap_err().to_string();
        assert!(
            err.contains("EXPORTER_DB_PASSWORD") && !err.contains("a`b"),
            "{err}"
        );
    }
}
