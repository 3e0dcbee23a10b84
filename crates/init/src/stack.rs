//! `inception-init swarm-stack`: the Swarm stack file, made from what compose resolves.
//!
//! `srcs/tools/swarm.sh` runs `docker-compose -f docker-compose.yml -f
//! srcs/swarm/overrides.yml config` (every setting and the two files merged into one plain
//! YAML document) and pipes it through this filter to `docker stack deploy -c -`. Compose's
//! output is not a file `docker stack deploy` takes (docker 20.10's CLI refuses
//! `profiles:` and the mapping form of `depends_on` that `config` writes), and some of what
//! it takes Swarm ignores or treats otherwise. So, from compose's document:
//!
//! - the services of the profile [`PROFILE`] are kept (the overrides file gives it to
//!   every service the stack runs), the others dropped;
//! - each loses what Swarm has no use for ([`NOT_FOR_SWARM`]): `build`, `profiles`,
//!   `container_name`, `restart` (its `deploy.restart_policy` instead), `security_opt` and
//!   `depends_on` (Swarm has no start order);
//! - `tmpfs:` becomes `type: tmpfs` volumes (Swarm drops `tmpfs:` without a word), unless
//!   a volume already mounts that path;
//! - every published port is published in `mode: host` on the node that runs the task: the
//!   nodes' kernels may lack IPVS, so the routing mesh is not used (docs/swarm.md);
//! - only the volumes and secrets the kept services use stay, and a secret whose file is
//!   empty (an optional password not given, as `smtp_password`) is left out with its uses:
//!   Swarm refuses an empty secret;
//! - `version: "3.9"` (stack deploy reads the file by it), and no `name:` (compose v2's).

use std::collections::BTreeSet;
use std::io::Read;

use anyhow::{Context, bail};
use serde_norway::{Mapping, Value};

/// The compose profile of the services the Swarm stack runs.
pub const PROFILE: &str = "swarm";

/// Service keys compose writes that the stack file leaves out.
pub const NOT_FOR_SWARM: [&str; 6] = [
    "build",
    "profiles",
    "container_name",
    "restart",
    "security_opt",
    "depends_on",
];

/// The compose file format the stack file declares.
const VERSION: &str = "3.9";

/// Reads compose's resolved document on stdin and writes the stack file on stdout; what it
/// leaves out that a reader could miss (empty secrets) is said on stderr.
pub fn run() -> anyhow::Result<u8> {
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .context("cannot read compose's document on stdin")?;
    let compose: Value = serde_norway::from_str(&input)
        .context("stdin is not a YAML document (docker-compose ... config)")?;
    let (stack, dropped) = stack_file(compose, |path| {
        std::fs::metadata(path).is_ok_and(|m| m.len() == 0)
    })?;
    for secret in dropped {
        eprintln!(
            "inception-init: secret {secret} left out: its file is empty, and Swarm refuses an empty secret"
        );
    }
    let text = serde_norway::to_string(&stack)?;
    print!("{text}");
    if !text.ends_with('\n') {
        println!();
    }
    Ok(0)
}

/// The stack file for `compose`, compose's resolved document, and the secrets left out
/// because `empty(file)` says their file is empty.
pub fn stack_file(
    compose: Value,
    empty: impl Fn(&str) -> bool,
) -> anyhow::Result<(Value, Vec<String>)> {
    let Value::Mapping(mut top) = compose else {
        bail!("compose's document is not a mapping");
    };
    let Some(Value::Mapping(services)) = top.remove("services") else {
        bail!("compose's document has no services");
    };
    let mut kept = Mapping::new();
    for (name, service) in services {
        let name_str = name.as_str().unwrap_or_default().to_owned();
        let Value::Mapping(service) = service else {
            bail!("service {name_str} is not a mapping");
        };
        if in_profile(&service) {
            let service = for_swarm(service).with_context(|| format!("service {name_str}"))?;
            kept.insert(name, Value::Mapping(service));
        }
    }
    if kept.is_empty() {
        bail!("no service has the profile {PROFILE}");
    }

    let mut dropped = Vec::new();
    if let Some(Value::Mapping(secrets)) = top.get_mut("secrets") {
        secrets.retain(|name, secret| {
            let file = secret
                .get("file")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let keep = file.is_empty() || !empty(file);
            if !keep {
                dropped.push(name.as_str().unwrap_or_default().to_owned());
            }
            keep
        });
    }
    for service in kept.values_mut() {
        if let Some(Value::Sequence(uses)) = service.get_mut("secrets") {
            uses.retain(|s| !dropped.iter().any(|d| secret_name(s) == Some(d.as_str())));
        }
    }
    let volumes: BTreeSet<String> = kept.values().flat_map(named_volumes).collect();
    let secrets: BTreeSet<String> = kept
        .values()
        .filter_map(|s| s.get("secrets").and_then(Value::as_sequence))
        .flatten()
        .filter_map(secret_name)
        .map(str::to_owned)
        .collect();
    keep_only(&mut top, "volumes", &volumes);
    keep_only(&mut top, "secrets", &secrets);

    top.remove("name");
    top.remove("version");
    let mut stack = Mapping::new();
    stack.insert("version".into(), VERSION.into());
    stack.insert("services".into(), Value::Mapping(kept));
    stack.extend(top);
    Ok((Value::Mapping(stack), dropped))
}

/// Whether the service's `profiles` name [`PROFILE`].
fn in_profile(service: &Mapping) -> bool {
    service
        .get("profiles")
        .and_then(Value::as_sequence)
        .is_some_and(|p| p.iter().any(|p| p.as_str() == Some(PROFILE)))
}

/// One service as the stack file holds it.
fn for_swarm(mut service: Mapping) -> anyhow::Result<Mapping> {
    for key in NOT_FOR_SWARM {
        service.remove(key);
    }
    if let Some(tmpfs) = service.remove("tmpfs") {
        let paths: Vec<String> = match tmpfs {
            Value::String(path) => vec![path],
            Value::Sequence(paths) => paths
                .iter()
                .map(|p| p.as_str().map(str::to_owned))
                .collect::<Option<_>>()
                .context("tmpfs: a list of paths expected")?,
            _ => bail!("tmpfs: a list of paths expected"),
        };
        let volumes = service
            .entry("volumes".into())
            .or_insert_with(|| Value::Sequence(Vec::new()));
        let Value::Sequence(volumes) = volumes else {
            bail!("volumes: a list expected");
        };
        let mounted: Vec<String> = volumes.iter().filter_map(volume_target).collect();
        for path in paths.into_iter().filter(|p| !mounted.contains(p)) {
            let mut mount = Mapping::new();
            mount.insert("type".into(), "tmpfs".into());
            mount.insert("target".into(), path.into());
            volumes.push(Value::Mapping(mount));
        }
    }
    if let Some(Value::Sequence(ports)) = service.get_mut("ports") {
        for port in ports {
            let Value::Mapping(port) = port else {
                bail!("ports: compose's long form expected (target, published)");
            };
            // compose v2 writes the published port as a string; the 3.9 format wants a number.
            if let Some(Value::String(published)) = port.get("published") {
                if let Ok(n) = published.parse::<u16>() {
                    port.insert("published".into(), n.into());
                }
            }
            port.insert("mode".into(), "host".into());
        }
    }
    Ok(service)
}

/// The container path a volume entry mounts (`source:target[:mode]` or long form).
fn volume_target(volume: &Value) -> Option<String> {
    match volume {
        Value::String(short) => short.split(':').nth(1).map(str::to_owned),
        Value::Mapping(long) => long.get("target")?.as_str().map(str::to_owned),
        _ => None,
    }
}

/// The named volumes a service mounts.
fn named_volumes(service: &Value) -> Vec<String> {
    let Some(volumes) = service.get("volumes").and_then(Value::as_sequence) else {
        return Vec::new();
    };
    volumes
        .iter()
        .filter_map(|v| match v {
            Value::String(short) => {
                let source = short.split(':').next()?;
                (!source.starts_with(['/', '.', '~'])).then(|| source.to_owned())
            }
            Value::Mapping(long) if long.get("type")?.as_str()? == "volume" => {
                long.get("source")?.as_str().map(str::to_owned)
            }
            _ => None,
        })
        .collect()
}

/// The name a service's `secrets` entry uses (short form, or `source:`).
fn secret_name(secret: &Value) -> Option<&str> {
    match secret {
        Value::String(name) => Some(name),
        Value::Mapping(long) => long.get("source")?.as_str(),
        _ => None,
    }
}

/// Removes from the top-level section `key` the entries not in `used` (and the section when
/// none is left).
fn keep_only(top: &mut Mapping, key: &str, used: &BTreeSet<String>) {
    if let Some(Value::Mapping(section)) = top.get_mut(key) {
        section.retain(|name, _| name.as_str().is_some_and(|n| used.contains(n)));
        if section.is_empty() {
            top.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `docker-compose config` (1.29.2) writes, shortened.
    const COMPOSE: &str = r#"
services:
  mariadb:
    image: mariadb:inception
    volumes: ["mariadb:/var/lib/mysql:rw"]
  mariadb-1:
    build: { context: /src }
    container_name: mariadb
    image: mariadb:inception
    profiles: [swarm]
    restart: unless-stopped
    security_opt: ["no-new-privileges:true"]
    secrets: [db_password, smtp_password]
    tmpfs: [/run/mysqld, /tmp]
    volumes:
    - { type: volume, source: mariadb-1, target: /var/lib/mysql }
    - { type: tmpfs, target: /tmp, tmpfs: { size: 1024 } }
  nginx:
    depends_on: { wordpress: { condition: service_started } }
    image: nginx:inception
    ports: [{ published: "8443", target: 443 }]
    profiles: [bonus, swarm]
    secrets: [{ source: db_password }]
  wordpress-replica:
    image: wordpress:inception
    profiles: [replica, bonus]
name: inception
version: '3.9'
networks: { inception: { driver: overlay } }
secrets:
  db_password: { file: /s/db_password.txt }
  smtp_password: { file: /s/smtp_password.txt }
  ftp_password: { file: /s/ftp_password.txt }
volumes:
  mariadb: { driver_opts: { device: /data/mariadb } }
  mariadb-1: {}
"#;

    fn stack() -> (Value, Vec<String>) {
        let compose = serde_norway::from_str(COMPOSE).unwrap();
        stack_file(compose, |file| file.ends_with("smtp_password.txt")).unwrap()
    }

    #[test]
    fn keeps_the_swarm_profile_only_without_what_swarm_ignores() {
        let (stack, _) = stack();
        assert_eq!(stack["version"], "3.9");
        assert!(stack.get("name").is_none());
        let services: Vec<&str> = stack["services"]
            .as_mapping()
            .unwrap()
            .keys()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(services, ["mariadb-1", "nginx"]);
        for service in services {
            for key in NOT_FOR_SWARM {
                assert!(
                    stack["services"][service].get(key).is_none(),
                    "{service}.{key}"
                );
            }
        }
        assert_eq!(stack["networks"]["inception"]["driver"], "overlay");
    }

    #[test]
    fn tmpfs_becomes_volumes_unless_mounted_already() {
        let (stack, _) = stack();
        let member = &stack["services"]["mariadb-1"];
        assert!(member.get("tmpfs").is_none());
        let targets: Vec<String> = member["volumes"]
            .as_sequence()
            .unwrap()
            .iter()
            .filter_map(volume_target)
            .collect();
        assert_eq!(targets, ["/var/lib/mysql", "/tmp", "/run/mysqld"]);
        assert_eq!(member["volumes"][2]["type"], "tmpfs");
        // The one the overrides sized stays as it is.
        assert_eq!(member["volumes"][1]["tmpfs"]["size"], 1024);
    }

    #[test]
    fn ports_are_published_on_the_node_as_numbers() {
        let (stack, _) = stack();
        let port = &stack["services"]["nginx"]["ports"][0];
        assert_eq!(port["mode"], "host");
        assert_eq!(port["published"], 8443);
        assert_eq!(port["target"], 443);
    }

    #[test]
    fn only_the_used_volumes_and_non_empty_secrets_stay() {
        let (stack, dropped) = stack();
        assert_eq!(dropped, ["smtp_password"]);
        let names = |section: &str| -> Vec<String> {
            stack[section]
                .as_mapping()
                .unwrap()
                .keys()
                .filter_map(|k| k.as_str().map(str::to_owned))
                .collect()
        };
        assert_eq!(names("secrets"), ["db_password"]);
        assert_eq!(names("volumes"), ["mariadb-1"]);
        assert_eq!(
            stack["services"]["mariadb-1"]["secrets"],
            serde_norway::from_str::<Value>("[db_password]").unwrap()
        );
    }

    #[test]
    fn no_service_of_the_profile_is_an_error() {
        let compose = serde_norway::from_str("services: { a: { image: x } }").unwrap();
        let err = stack_file(compose, |_| false).unwrap_err();
        assert_eq!(err.to_string(), "no service has the profile swarm");
    }
}
