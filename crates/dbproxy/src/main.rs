//! `inception-dbproxy`: PID 1 of the dbproxy container: HAProxy in front of the members of
//! a Galera cluster, for the Swarm stack.
//!
//! Galera replicates writes to every member, but does not support what needs one lock
//! manager (`GET_LOCK`, `LOCK TABLES`), and concurrent writes of one row on two members end
//! in a deadlock error for one of them. So WordPress writes through one member at a time:
//! the first of `DBPROXY_SERVERS` that is ready, then the next ones in order. A member is
//! ready when its state port says so (in a primary component and synced: see
//! `inception_mariadb::galera::report`), which a plain TCP or MySQL check cannot tell. When the first
//! member comes back, the sessions on the others are closed, so that one writer remains.
//!
//! The servers' names are resolved at run time, through Docker's DNS: a member replaced
//! on another node keeps its name and gets a new address.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use inception_core::cli::{self, Service};
use inception_core::config::{Config, ConfigError, Source};
use inception_core::user::Account;
use inception_core::{fs, pid1};
use inception_mariadb::galera::report::{READY, STATE_PORT};

const RUNDIR: &str = "/run/haproxy";
const CONFIG: &str = "/run/haproxy/haproxy.cfg";
/// HAProxy's administration socket: the health check reads the servers' states there.
const STATS_SOCKET: &str = "/run/haproxy/admin.sock";
const SERVICE: &[&str] = &["haproxy", "-W", "-db", "-f", CONFIG];

/// One database server.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Server {
    host: String,
    port: u16,
}

/// What the proxy serves.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Settings {
    /// In order of preference.
    servers: Vec<Server>,
    /// Where clients connect.
    port: u16,
}

impl Settings {
    /// `DBPROXY_SERVERS` (`host[:port],...`, port 3306 by default) and `DBPROXY_PORT`
    /// (3306).
    fn read<S: Source>(cfg: &Config<S>) -> Result<Settings, ConfigError> {
        let list = cfg.required(&["DBPROXY_SERVERS"])?;
        let invalid = |reason: String| ConfigError::invalid("DBPROXY_SERVERS", reason);
        let mut servers = Vec::new();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (host, port) = match item.rsplit_once(':') {
                Some((host, port)) => (
                    host,
                    port.parse()
                        .map_err(|_| invalid(format!("{item:?}: bad port")))?,
                ),
                None => (item, 3306),
            };
            if host.is_empty()
                || !host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
            {
                return Err(invalid(format!("{host:?} is not a host name")));
            }
            servers.push(Server {
                host: host.to_owned(),
                port,
            });
        }
        if servers.is_empty() {
            return Err(invalid("no server named".into()));
        }
        Ok(Settings {
            servers,
            port: cfg.parse_or(&["DBPROXY_PORT"], 3306)?,
        })
    }

    /// HAProxy's configuration.
    fn haproxy_cfg(&self) -> String {
        let mut cfg = format!(
            "global\n\
             \x20   maxconn 1000\n\
             \x20   stats socket {STATS_SOCKET} mode 600 level operator\n\
             \n\
             defaults\n\
             \x20   mode tcp\n\
             \x20   timeout connect 2s\n\
             \x20   timeout client 10m\n\
             \x20   timeout server 10m\n\
             \x20   timeout check 2s\n\
             \n\
             # Docker's DNS; a name that does not resolve yet (a member not started) is\n\
             # retried, and does not keep the proxy from starting.\n\
             resolvers docker\n\
             \x20   nameserver dns 127.0.0.11:53\n\
             \x20   hold valid 5s\n\
             \x20   hold nx 2s\n\
             \x20   hold obsolete 5s\n\
             \n\
             listen mariadb\n\
             \x20   bind :{port}\n\
             \x20   # Ready: the member's state port answers \"{ready}\".\n\
             \x20   option tcp-check\n\
             \x20   tcp-check connect port {state}\n\
             \x20   tcp-check expect string primary\n\
             \x20   default-server inter 1s fall 2 rise 2 resolvers docker init-addr none \
             on-marked-down shutdown-sessions\n",
            port = self.port,
            ready = READY,
            state = STATE_PORT,
        );
        for (i, s) in self.servers.iter().enumerate() {
            let role = if i == 0 {
                " on-marked-up shutdown-backup-sessions"
            } else {
                " backup"
            };
            cfg.push_str(&format!(
                "    server {} {}:{} check{role}\n",
                s.host, s.host, s.port
            ));
        }
        cfg
    }
}

fn serve(argv: Vec<String>) -> anyhow::Result<u8> {
    let settings = Settings::read(&Config::from_env())?;
    let haproxy = Account::lookup("haproxy")?;
    std::fs::create_dir_all(RUNDIR).with_context(|| format!("cannot create {RUNDIR}"))?;
    fs::chown(Path::new(RUNDIR), haproxy.uid, haproxy.gid)?;
    fs::write_atomic(Path::new(CONFIG), settings.haproxy_cfg().as_bytes(), 0o644)?;
    pid1::run_service(&argv, Some(&haproxy))
}

/// HAProxy answers on its socket; the line says which servers are up and which one
/// takes the writes.
fn health() -> anyhow::Result<String> {
    let mut socket = UnixStream::connect(STATS_SOCKET)
        .with_context(|| format!("HAProxy does not answer on {STATS_SOCKET}"))?;
    socket.set_read_timeout(Some(Duration::from_secs(3)))?;
    socket.write_all(b"show stat\n")?;
    let mut csv = String::new();
    socket.read_to_string(&mut csv)?;
    Ok(summary(&csv))
}

/// `show stat`'s CSV, as one line: each server's name and state, the writer marked.
fn summary(csv: &str) -> String {
    let mut header: Vec<&str> = Vec::new();
    let mut servers = Vec::new();
    for line in csv.lines() {
        if let Some(h) = line.strip_prefix("# ") {
            header = h.split(',').collect();
            continue;
        }
        let fields: Vec<&str> = line.split(',').collect();
        let field = |name: &str| {
            header
                .iter()
                .position(|h| *h == name)
                .and_then(|i| fields.get(i).copied())
                .unwrap_or("")
        };
        let name = field("svname");
        if name.is_empty() || name == "FRONTEND" || name == "BACKEND" {
            continue;
        }
        servers.push((name, field("status")));
    }
    // The servers come in the configuration's order: the first one up takes the writes.
    let writer = servers
        .iter()
        .position(|(_, status)| status.starts_with("UP"));
    let states: Vec<String> = servers
        .iter()
        .enumerate()
        .map(|(i, (name, status))| {
            let role = if Some(i) == writer { " (writes)" } else { "" };
            format!("{name} {status}{role}")
        })
        .collect();
    match writer {
        Some(_) => format!("HAProxy answers: {}", states.join(", ")),
        None if states.is_empty() => "HAProxy answers; no database server configured".into(),
        None => format!(
            "HAProxy answers, no database server up: {}",
            states.join(", ")
        ),
    }
}

fn main() -> ExitCode {
    let haproxy = |a: &str| a == "haproxy";
    cli::run(&Service::new("inception-dbproxy", haproxy, SERVICE, health).serve(serve))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(servers: &str) -> Result<Settings, ConfigError> {
        Settings::read(&Config::from_pairs(&[("DBPROXY_SERVERS", servers)]))
    }

    #[test]
    fn servers_are_read_in_order() {
        let s = read("db-1, db-2:3307,db-3").unwrap();
        assert_eq!(s.port, 3306);
        let names: Vec<String> = s
            .servers
            .iter()
            .map(|s| format!("{}:{}", s.host, s.port))
            .collect();
        assert_eq!(names, ["db-1:3306", "db-2:3307", "db-3:3306"]);
        assert!(
            read("")
                .unwrap_err()
                .to_string()
                .starts_with("DBPROXY_SERVERS is empty")
        );
        for bad in [",", "db 1", "db-1:x", ":3306"] {
            let err = read(bad).unwrap_err().to_string();
            assert!(
                err.starts_with("DBPROXY_SERVERS is invalid"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn the_first_server_writes_and_the_others_stand_by() {
        let cfg = read("db-1,db-2,db-3").unwrap().haproxy_cfg();
        assert!(
            cfg.contains("    server db-1 db-1:3306 check on-marked-up shutdown-backup-sessions\n")
        );
        assert!(cfg.contains("    server db-2 db-2:3306 check backup\n"));
        assert!(cfg.contains("    server db-3 db-3:3306 check backup\n"));
        assert!(cfg.contains(&format!("tcp-check connect port {}\n", STATE_PORT)));
        // The check's expected text is what a ready member says.
        assert!(READY.contains("primary"));
    }

    #[test]
    fn the_health_line_names_each_server() {
        let csv = "# pxname,svname,qcur,status,act,bck\n\
                   mariadb,FRONTEND,,OPEN,,\n\
                   mariadb,db-1,0,DOWN,1,0\n\
                   mariadb,db-2,0,UP,0,1\n\
                   mariadb,BACKEND,0,UP,1,1\n";
        assert_eq!(summary(csv), "HAProxy answers: db-1 DOWN, db-2 UP (writes)");
    }
}
