//! The mariadb image as a member of a three-member Galera cluster (`GALERA_MEMBERS`): three
//! containers on one network, as the Swarm stack runs them on three machines.

use std::process::Output;
use std::time::{Duration, Instant};

use inception_mariadb::events;
use inception_tests::*;

const ROOT_PASSWORD: &str = "r00t'pw";
const SST_PASSWORD: &str = "s\"st pw";

/// Three members with their data in a temporary directory, on their own network.
struct Cluster {
    members: Vec<Container>,
    net: Network,
    _dir: TempDir,
}

impl Cluster {
    /// Starts the three members at once, as after `docker stack deploy`.
    fn start(prefix: &str) -> Cluster {
        let name = unique(prefix);
        let dir = TempDir::new(&name);
        let net = Network::new(&name);
        let names: Vec<String> = (1..=3).map(|i| format!("{name}-{i}")).collect();
        let members = names
            .iter()
            .map(|member| {
                let volume = format!("{}:/var/lib/mysql", dir.dir(member));
                let env = [
                    format!("MARIADB_ROOT_PASSWORD={ROOT_PASSWORD}"),
                    "MARIADB_DATABASE=wordpress".into(),
                    "MARIADB_INITDB_SKIP_TZINFO=1".into(),
                    format!("GALERA_MEMBERS={}", names.join(",")),
                    format!("GALERA_NODE_NAME={member}"),
                    format!("GALERA_SST_PASSWORD={SST_PASSWORD}"),
                ];
                let mut args = vec!["--network", net.0.as_str(), "-v", volume.as_str()];
                for e in &env {
                    args.extend_from_slice(&["-e", e.as_str()]);
                }
                args.push(image("mariadb"));
                Container::run(member, &args)
            })
            .collect();
        let cluster = Cluster {
            members,
            net,
            _dir: dir,
        };
        cluster.wait_synced(&[0, 1, 2], 3);
        cluster
    }

    fn name(&self, i: usize) -> &str {
        self.members[i].name()
    }

    /// Waits until members `which` each say they are synced in a cluster of `size`.
    fn wait_synced(&self, which: &[usize], size: u32) {
        let want = format!("Synced, cluster of {size}");
        for &i in which {
            let ok = wait_until(Duration::from_secs(120), || {
                stdout(&self.members[i].exec(&["inception-mariadb", "health"])).contains(&want)
            });
            assert!(
                ok,
                "{} not {want}: {}\nlogs:\n{}",
                self.name(i),
                stdout(&self.members[i].exec(&["inception-mariadb", "health"])),
                self.members[i].logs()
            );
        }
    }

    fn sql(&self, i: usize, query: &str) -> String {
        root_sql(self.name(i), ROOT_PASSWORD, query)
    }

    /// Row count and CHECKSUM TABLE of the test table, on member `i`.
    fn table(&self, i: usize) -> String {
        self.sql(
            i,
            "SELECT COUNT(*) FROM wordpress.t; CHECKSUM TABLE wordpress.t",
        )
    }

    /// Every member has the same rows; returns how many.
    fn assert_same_rows(&self) -> u32 {
        let first = self.table(0);
        for i in 1..3 {
            assert_eq!(
                self.table(i),
                first,
                "{} differs from {}",
                self.name(i),
                self.name(0)
            );
        }
        first.lines().next().unwrap().trim().parse().unwrap()
    }

    /// `docker ACTION` on every member at once.
    fn all(&self, action: &str) {
        let mut args = vec![action];
        args.extend(self.members.iter().map(Container::name));
        docker_ok(&args);
    }

    /// The dbproxy image in front of the members, in their order.
    fn proxy(&self) -> Container {
        let servers = format!(
            "DBPROXY_SERVERS={}",
            self.members
                .iter()
                .map(Container::name)
                .collect::<Vec<_>>()
                .join(",")
        );
        let name = format!("{}-proxy", self.name(0));
        let proxy = Container::run(
            &name,
            &["--network", &self.net.0, "-e", &servers, image("dbproxy")],
        );
        wait_healthy_by_hand(&proxy);
        proxy
    }

    /// `query` as root through `proxy`, from a client container: its rows.
    fn through(&self, proxy: &Container, query: &str) -> Output {
        docker(&[
            "run",
            "--rm",
            "--network",
            &self.net.0,
            "-e",
            &format!("MYSQL_PWD={ROOT_PASSWORD}"),
            image("mariadb"),
            "mariadb",
            "-h",
            proxy.name(),
            "-uroot",
            "-N",
            "-B",
            "-e",
            query,
        ])
    }

    /// Which member answers through `proxy`, once it is the expected one.
    fn wait_writer(&self, proxy: &Container, member: usize) {
        let want = self.name(member);
        let ok = wait_until(Duration::from_secs(60), || {
            stdout(&self.through(proxy, "SELECT @@wsrep_node_name")).trim() == want
        });
        assert!(
            ok,
            "the proxy does not send clients to {want}: {}",
            stdout(&proxy.exec(&["inception-dbproxy", "health"]))
        );
    }

    fn log_count(&self, event: &str) -> usize {
        self.members
            .iter()
            .map(|m| m.logs().matches(event).count())
            .sum()
    }
}

#[test]
fn a_cluster_forms_replicates_and_takes_back_a_lost_member() {
    let c = Cluster::start("galera-loss");
    // The first start: one member created the database, the two others joined it.
    assert_eq!(c.log_count(events::GALERA_BOOTSTRAP), 1);
    assert_eq!(c.log_count(events::GALERA_JOIN), 2);
    c.sql(
        2,
        "CREATE TABLE wordpress.t (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(20)); \
         INSERT INTO wordpress.t (v) VALUES ('a'), ('b')",
    );
    assert_eq!(c.sql(0, "SELECT COUNT(*) FROM wordpress.t").trim(), "2");

    // A member dies: the two others go on as a cluster of two, and take writes.
    docker_ok(&["kill", c.name(1)]);
    c.wait_synced(&[0, 2], 2);
    c.sql(0, "INSERT INTO wordpress.t (v) VALUES ('c')");
    c.sql(2, "INSERT INTO wordpress.t (v) VALUES ('d')");

    // It comes back and receives only what it missed.
    docker_ok(&["start", c.name(1)]);
    c.wait_synced(&[0, 1, 2], 3);
    assert!(
        c.members[1].logs().contains("IST received"),
        "the member did not catch up by IST:\n{}",
        c.members[1].logs()
    );
    assert_eq!(c.assert_same_rows(), 4);
}

#[test]
fn the_cluster_comes_back_after_every_member_stops_or_crashes() {
    let c = Cluster::start("galera-all");
    c.sql(
        0,
        "CREATE TABLE wordpress.t (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(20)); \
         INSERT INTO wordpress.t (v) VALUES ('a'), ('b'), ('c')",
    );

    // A clean stop of all three (each well within its grace period), then a start.
    let started = Instant::now();
    c.all("stop");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "stop needed the SIGKILL"
    );
    for m in &c.members {
        assert_eq!(
            inspect(m.name(), "{{.State.ExitCode}}"),
            "0",
            "{}",
            m.logs()
        );
    }
    c.all("start");
    c.wait_synced(&[0, 1, 2], 3);
    assert_eq!(c.assert_same_rows(), 3);

    // Every member crashes after a commit; the most advanced position is recovered.
    c.sql(1, "INSERT INTO wordpress.t (v) VALUES ('d'), ('e')");
    c.all("kill");
    c.all("start");
    c.wait_synced(&[0, 1, 2], 3);
    assert_eq!(c.log_count(events::GALERA_RECOVERY), 3);
    assert_eq!(c.assert_same_rows(), 5);
    c.sql(2, "INSERT INTO wordpress.t (v) VALUES ('f')");
    assert_eq!(c.sql(0, "SELECT COUNT(*) FROM wordpress.t").trim(), "6");
}

/// The proxy's health check passes (it has no compose healthcheck here).
fn wait_healthy_by_hand(c: &Container) {
    let ok = wait_until(Duration::from_secs(30), || {
        c.exec(&["inception-dbproxy", "health"]).status.success()
    });
    assert!(ok, "{} not healthy:\n{}", c.name(), c.logs());
}

#[test]
fn the_proxy_sends_clients_to_one_ready_member_and_fails_over() {
    let c = Cluster::start("galera-proxy");
    let proxy = c.proxy();
    c.wait_writer(&proxy, 0);
    // The first member takes the writes ("UP", or "UP 1/2" while one check of two that
    // would mark it down has failed: a busy machine).
    let health = stdout(&proxy.exec(&["inception-dbproxy", "health"]));
    let writer = health.split(", ").find(|s| s.ends_with("(writes)"));
    assert!(
        writer.is_some_and(|w| w.contains(&format!("{} UP", c.name(0)))),
        "{health}"
    );
    let o = c.through(
        &proxy,
        "CREATE TABLE wordpress.t (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(20)); \
         INSERT INTO wordpress.t (v) VALUES ('a')",
    );
    assert!(o.status.success(), "{}", stderr(&o));

    // The writer dies: the next member takes the clients, and the writes.
    docker_ok(&["kill", c.name(0)]);
    c.wait_writer(&proxy, 1);
    let o = c.through(&proxy, "INSERT INTO wordpress.t (v) VALUES ('b')");
    assert!(o.status.success(), "{}", stderr(&o));

    // It comes back: once synced, it is the writer again.
    docker_ok(&["start", c.name(0)]);
    c.wait_synced(&[0], 3);
    c.wait_writer(&proxy, 0);
    assert_eq!(
        stdout(&c.through(&proxy, "SELECT COUNT(*) FROM wordpress.t")).trim(),
        "2"
    );
    assert_eq!(c.assert_same_rows(), 2);
}

#[test]
fn a_member_misnamed_is_refused_before_anything_is_written() {
    let name = unique("galera-bad");
    let dir = TempDir::new(&name);
    let volume = format!("{}:/var/lib/mysql", dir.dir("data"));
    let c = Container::run(
        &name,
        &[
            "-v",
            &volume,
            "-e",
            "MARIADB_ROOT_PASSWORD=x",
            "-e",
            "GALERA_MEMBERS=db1,db2,db3",
            "-e",
            "GALERA_NODE_NAME=db4",
            "-e",
            "GALERA_SST_PASSWORD=x",
            image("mariadb"),
        ],
    );
    assert_ne!(wait_exit(c.name(), Duration::from_secs(30)), 0);
    assert!(
        c.logs().contains("GALERA_NODE_NAME is invalid"),
        "{}",
        c.logs()
    );
    assert_eq!(std::fs::read_dir(dir.dir("data")).unwrap().count(), 0);
}
