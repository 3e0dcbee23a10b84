//! What the repository says about the stack, each fact from one place: the services and
//! secrets docker-compose.yml declares (read by srcs/tools/compose-facts.sh, as the Makefile
//! reads them), the subject's mandatory three, and the settings the bonus services come with.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::{run, stderr, stdout};

/// The repository's root (where docker-compose.yml is).
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The services `make` runs: the subject's three (the layout test checks that compose agrees).
pub const MANDATORY: [&str; 3] = ["mariadb", "wordpress", "nginx"];

/// What docker-compose.yml says about the stack (`srcs/tools/compose-facts.sh WHAT`, which
/// the Makefile and the scripts read too): one name per line, read once per run.
pub fn compose_facts(what: &str) -> &'static [&'static str] {
    static FACTS: OnceLock<std::sync::Mutex<HashMap<String, &'static [&'static str]>>> =
        OnceLock::new();
    let mut facts = FACTS.get_or_init(Default::default).lock().unwrap();
    facts.entry(what.to_owned()).or_insert_with(|| {
        let o = run(Command::new(repo().join("srcs/tools/compose-facts.sh")).arg(what));
        assert!(
            o.status.success(),
            "compose-facts.sh {what}: {}",
            stderr(&o)
        );
        let names: Vec<&'static str> = stdout(&o)
            .lines()
            .map(|l| &*Box::leak(l.to_owned().into_boxed_str()))
            .collect();
        assert!(!names.is_empty(), "compose-facts.sh {what}: nothing");
        names.leak()
    })
}

/// Every service, the mandatory ones first: what `make bonus` runs, one Dockerfile each
/// (`srcs/requirements/<service>/Dockerfile`).
pub fn all_services() -> &'static [&'static str] {
    compose_facts("services")
}

/// The secrets the stack reads.
pub fn secrets() -> &'static [&'static str] {
    compose_facts("secrets")
}

/// Every image the Swarm stack runs: the services, then those only the Swarm stack has.
pub fn swarm_services() -> Vec<&'static str> {
    [all_services(), compose_facts("swarm")].concat()
}

/// `WP_REDIS_HOST`, the object cache WordPress is given: redis's with the bonus services
/// (compose's default, what `make bonus` sets), none without them (what `make` sets).
pub fn redis_host(bonus: bool) -> &'static str {
    if bonus { "redis:6379" } else { "" }
}

/// `names` in the order [`Stack::services`](crate::Stack::services) lists a project's.
pub fn sorted<'a>(names: &[&'a str]) -> Vec<&'a str> {
    let mut names = names.to_vec();
    names.sort_unstable();
    names
}
