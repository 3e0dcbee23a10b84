//! The Swarm stack on three docker-in-docker nodes of this machine (tests/swarm/nodes.sh):
//! made, deployed and looked at, for `make swarm-test` (tests/swarm/main.rs) and the Swarm
//! rows of `make bench` (tests/bench/main.rs). SWARM_KEEP=1 leaves the nodes up afterwards
//! (`tests/swarm/nodes.sh down` removes them).

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::{
    Https, TempDir, image, init_binary, repo, run, stderr, stdout, success, swarm_services, tag,
    unique, wait_until,
};

/// The site's domain name on the nodes.
pub const DOMAIN: &str = "swarm.42.fr";
/// The Swarm stack's name (its services are `<STACK>_<service>`).
pub const STACK: &str = "inception";

/// The nodes, removed at the end unless SWARM_KEEP is set.
pub struct Nodes {
    /// The test's directory: the settings and the secrets swarm.sh generated.
    pub dir: TempDir,
    /// The nodes' addresses, as nodes.sh gives them.
    ips: Vec<String>,
}

impl Nodes {
    /// Makes the three nodes afresh (nodes.sh down, then up).
    pub fn up() -> Nodes {
        let dir = TempDir::new(&unique("swarm"));
        nodes_ok(&["down"]);
        nodes_ok(&["up"]);
        let ips = (1..=3)
            .map(|n: u8| nodes_ok(&["ip", &n.to_string()]).trim().to_owned())
            .collect();
        Nodes { dir, ips }
    }

    /// The address of node `n` (1 to 3).
    pub fn ip(&self, n: u8) -> String {
        self.ips[usize::from(n) - 1].clone()
    }

    /// A client of the site through node `n`.
    pub fn https(&self, n: u8) -> Https {
        Https::at(
            DOMAIN,
            &self.ip(n),
            443,
            &self.dir.0.join(format!("cookies-{}", unique("jar"))),
        )
    }

    /// `docker ARGS` in node `n` (its engine).
    pub fn docker(&self, n: u8, args: &[&str]) -> Output {
        let n = n.to_string();
        let mut all = vec!["exec", n.as_str(), "docker"];
        all.extend_from_slice(args);
        nodes(&all)
    }

    /// `docker ARGS` in node `n`, which must succeed; returns stdout.
    pub fn docker_ok(&self, n: u8, args: &[&str]) -> String {
        let o = self.docker(n, args);
        assert!(
            o.status.success(),
            "node {n}: docker {args:?}: {}",
            stderr(&o)
        );
        stdout(&o)
    }

    /// The container of `service`'s task on node `n`, if one runs there.
    pub fn task(&self, n: u8, service: &str) -> Option<String> {
        let filter = format!("label=com.docker.swarm.service.name={STACK}_{service}");
        let out = stdout(&self.docker(n, &["ps", "-q", "--filter", &filter]));
        out.lines().next().map(str::to_owned)
    }

    /// `query` as MariaDB's root in Galera member `n` (on node `n`).
    pub fn sql(&self, n: u8, query: &str) -> String {
        let member = format!("mariadb-{n}");
        let task = self
            .task(n, &member)
            .unwrap_or_else(|| panic!("no {member} task on node {n}"));
        let password = secret(self, "db_root_password");
        let pwd = format!("MYSQL_PWD={password}");
        self.docker_ok(
            n,
            &[
                "exec", "-e", &pwd, &task, "mariadb", "-uroot", "-N", "-B", "-e", query,
            ],
        )
    }

    /// What member `n`'s health check says ("" when it has no task).
    pub fn member_health(&self, n: u8) -> String {
        let member = format!("mariadb-{n}");
        match self.task(n, &member) {
            Some(task) => stdout(&self.docker(n, &["exec", &task, "inception-mariadb", "health"])),
            None => String::new(),
        }
    }

    /// Waits until each Galera member of `which` is synced in a cluster of `size`.
    pub fn wait_members(&self, which: &[u8], size: u32, timeout: Duration) {
        let want = format!("Synced, cluster of {size}");
        for &n in which {
            let ok = wait_until(timeout, || self.member_health(n).contains(&want));
            assert!(ok, "mariadb-{n} not {want}: {}", self.member_health(n));
        }
    }

    /// The secrets' directory (files `<name>.txt`).
    pub fn secrets(&self) -> PathBuf {
        self.dir.0.join("secrets")
    }

    /// `srcs/tools/swarm.sh ACTION` against node 1's engine, with this test's settings.
    pub fn swarm(&self, action: &str) -> Output {
        let env_file = self.dir.0.join("env");
        if !env_file.exists() {
            // As `make` makes srcs/.env: the login swarm names the domain (DOMAIN).
            let o = run(Command::new(repo().join("srcs/tools/configure.sh"))
                .arg(&env_file)
                .env("LOGIN", "swarm"));
            assert!(o.status.success(), "configure.sh: {}", stderr(&o));
        }
        run(Command::new(repo().join("srcs/tools/swarm.sh"))
            .arg(action)
            .env("DOCKER_HOST", format!("tcp://{}:2375", self.ip(1)))
            .env("ENV_FILE", &env_file)
            .env("SECRETS_DIR", self.secrets())
            .env("TAG", tag())
            .env("INIT_BINARY", init_binary())
            .env("STACK", STACK)
            .env("SWARM_WAIT", "900"))
    }

    /// Rows of the tables the checks write, and their checksums, on member `n`.
    pub fn content(&self, n: u8) -> String {
        self.sql(
            n,
            "SELECT COUNT(*) FROM wordpress.wp_comments; SELECT COUNT(*) FROM wordpress.wp_posts; \
             CHECKSUM TABLE wordpress.wp_comments, wordpress.wp_posts",
        )
    }

    /// Asserts that the three members hold the same rows; returns member 1's.
    pub fn assert_members_equal(&self) -> String {
        let first = self.content(1);
        for n in [2, 3] {
            assert_eq!(self.content(n), first, "mariadb-{n} differs from mariadb-1");
        }
        first
    }
}

impl Drop for Nodes {
    fn drop(&mut self) {
        if std::env::var_os("SWARM_KEEP").is_none() {
            let _ = nodes(&["down"]);
        }
    }
}

/// `tests/swarm/nodes.sh ARGS`.
pub fn nodes(args: &[&str]) -> Output {
    run(Command::new(repo().join("tests/swarm/nodes.sh"))
        .args(args)
        .env("INIT_BINARY", init_binary()))
}

/// `tests/swarm/nodes.sh ARGS`, which must succeed; returns stdout.
pub fn nodes_ok(args: &[&str]) -> String {
    success(&nodes(args), format_args!("nodes.sh {args:?}"))
}

/// Prints how long a step took since `started`.
pub fn step(what: &str, started: Instant) {
    println!("swarm: {what}: {:.1} s", started.elapsed().as_secs_f64());
}

/// The value of secret `name`, from the secrets swarm.sh generated.
pub fn secret(nodes: &Nodes, name: &str) -> String {
    std::fs::read_to_string(nodes.secrets().join(format!("{name}.txt"))).unwrap()
}

/// The nodes up, the stack's images in each, the stack deployed and healthy; prints each
/// step's time.
pub fn deploy() -> Nodes {
    let started = Instant::now();
    let n = Nodes::up();
    step("three nodes, swarm and GlusterFS volume up", started);

    let t = Instant::now();
    let images: Vec<&str> = swarm_services().into_iter().map(image).collect();
    let mut args = vec!["load"];
    args.extend(images);
    nodes_ok(&args);
    step("images loaded on every node", t);

    let t = Instant::now();
    let o = n.swarm("deploy");
    assert!(o.status.success(), "deploy: {}{}", stdout(&o), stderr(&o));
    let o = n.swarm("wait");
    assert!(o.status.success(), "wait: {}{}", stdout(&o), stderr(&o));
    step("stack deployed, every service healthy", t);
    n.wait_members(&[1, 2, 3], 3, Duration::from_secs(60));
    n
}
