//! `make swarm-test`: the Swarm stack (docker-compose.yml with srcs/swarm/overrides.yml, deployed
//! by `make swarm`'s script) on three docker-in-docker nodes of this machine (tests/swarm/nodes.sh), then what
//! a cluster is for: every node serves the one site, a node can die and come back, the
//! database cluster survives a stop or a crash of all its members.
//!
//! One test, in steps, because the cluster takes minutes to make; each step prints how long
//! it took. The cluster itself: the harness's `cluster` module (tests/support/cluster.rs).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::Value;

use inception_tests::cluster::*;
use inception_tests::*;

#[test]
fn the_stack_serves_from_every_node_and_outlives_a_node_and_its_database() {
    let started = Instant::now();
    let n = deploy();

    // Every node serves the site.
    for i in 1..=3 {
        let r = n.https(i).get("/");
        assert_eq!(r.status, 200, "node {i}: {}", r.headers);
    }
    monitoring_sees_every_node_member_and_replica(&n);
    // php-fpm runs on two nodes.
    let where_ = n.docker_ok(
        1,
        &[
            "service",
            "ps",
            &format!("{STACK}_wordpress"),
            "--filter",
            "desired-state=running",
            "--format",
            "{{.Node}}",
        ],
    );
    let mut hosts: Vec<&str> = where_.lines().collect();
    hosts.sort_unstable();
    hosts.dedup();
    assert!(hosts.len() >= 2, "php-fpm on {hosts:?}");
    // Each runs its own copy of the code, in memory; uploads go to the shared volume.
    for i in 1..=3 {
        let Some(task) = n.task(i, "wordpress") else {
            continue;
        };
        let mounts = n.docker_ok(i, &["exec", &task, "cat", "/proc/self/mounts"]);
        assert!(
            mounts
                .lines()
                .any(|l| l.starts_with("tmpfs /var/www/html ")),
            "node {i}: /var/www/html is not a tmpfs: {mounts}"
        );
        let uploads = n.docker_ok(
            i,
            &[
                "exec",
                &task,
                "readlink",
                "/var/www/html/wp-content/uploads",
            ],
        );
        assert_eq!(uploads.trim(), "/var/www/shared/wp-content/uploads");
    }

    // A comment written through node 1 is read through node 3.
    let writer = secret(&n, "wp_user_password");
    post_comment(&n.https(1), "writer", &writer, "written through node one");
    let node3 = n.https(3);
    assert!(
        wait_until(Duration::from_secs(30), || node3
            .first_post()
            .contains("written through node one")),
        "node 3 does not show the comment"
    );

    // A file uploaded through node 2 is served by node 1.
    let admin = n.https(2);
    assert!(admin.login("webmaster", &secret(&n, "wp_admin_password")));
    let path = admin.upload_png(&n.dir.0);
    let r = n.https(1).get(&path);
    assert_eq!(r.status, 200, "{path} through node 1");
    // The reply's body is text (invalid UTF-8 replaced): compare the file read the same way.
    assert_eq!(r.body, String::from_utf8_lossy(PNG));

    // A logged-in session is valid whichever node and php-fpm replica answers.
    let cookie = format!("Cookie: {}", admin.cookie_header());
    for round in 0..12 {
        let i = 1 + (round % 3) as u8;
        let r = n.https(i).request("/wp-admin/", &["-H", &cookie]);
        assert_eq!(r.status, 200, "round {round}, node {i}: {}", r.headers);
    }

    // WP-Cron: page views do not start it; once a minute one replica runs the due events,
    // so that none stays overdue.
    let overdue = || {
        let cron = n.sql(
            1,
            "SELECT CONCAT(UNIX_TIMESTAMP(), ' ', option_value) FROM wordpress.wp_options \
             WHERE option_name = 'cron'",
        );
        let (now, events) = cron.trim().split_once(' ').expect("no cron option");
        let now: i64 = now.parse().unwrap();
        // The serialized array's keys: i:TIMESTAMP;a:...
        events
            .split("i:")
            .filter_map(|p| p.split_once(";a:")?.0.parse::<i64>().ok())
            .filter(|&t| t > 1_000_000_000 && t < now - 90)
            .count()
    };
    let ran = || {
        let o = n.docker(
            1,
            &["service", "logs", "--raw", &format!("{STACK}_wordpress")],
        );
        format!("{}{}", stdout(&o), stderr(&o)).contains("WP-Cron: ran the due events")
    };
    assert!(
        wait_until(Duration::from_secs(150), || ran() && overdue() == 0),
        "WP-Cron: ran: {}, events overdue: {}",
        ran(),
        overdue()
    );

    // The bonus services, one replica each, reached through any node; a backup made on
    // one node is on the shared volume, seen from node 1.
    for (i, path) in [(2u8, "/site/"), (3, "/adminer/")] {
        let r = n.https(i).get(path);
        assert_eq!(r.status, 200, "{path} through node {i}");
    }
    let backup_node = n.docker_ok(
        1,
        &[
            "service",
            "ps",
            &format!("{STACK}_backup"),
            "--filter",
            "desired-state=running",
            "--format",
            "{{.Node}}",
        ],
    );
    let b: u8 = backup_node
        .trim()
        .trim_start_matches("node-")
        .parse()
        .unwrap();
    let task = n.task(b, "backup").unwrap();
    let id = n.docker_ok(b, &["exec", &task, "inception-backup", "backup"]);
    let id = id.trim().lines().last().unwrap().to_owned();
    let listed = stdout(&nodes(&["exec", "1", "ls", "/srv/inception/backups"]));
    assert!(listed.contains(&id), "backup {id} not in {listed}");

    // Node 3 dies: the two others go on serving and writing.
    let before = n.assert_members_equal();
    println!(
        "swarm: rows before the node's loss: {}",
        before.replace('\n', " ")
    );
    let watch: Vec<_> = [1u8, 2]
        .iter()
        .map(|&i| {
            let web = n.https(i);
            std::thread::spawn(move || {
                let until = Instant::now() + Duration::from_secs(60);
                let mut failures = Vec::new();
                while Instant::now() < until {
                    let at = Instant::now();
                    let r = web.request("/", &["-H", "Cookie: wordpress_no_cache=1"]);
                    if r.status != 200 {
                        failures.push(at);
                    }
                    std::thread::sleep(Duration::from_millis(200));
                }
                failures
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(2));
    let killed = Instant::now();
    docker_ok(&["kill", "inception-swarm-3"]);
    let failures: Vec<Instant> = watch.into_iter().flat_map(|w| w.join().unwrap()).collect();
    let window = match (failures.iter().min(), failures.iter().max()) {
        (Some(first), Some(last)) => last.duration_since(*first).as_secs_f64(),
        _ => 0.0,
    };
    println!(
        "swarm: node 3 killed: {} failed requests on nodes 1 and 2, error window {window:.1} s",
        failures.len()
    );
    assert!(window < 30.0, "the other nodes failed for {window:.1} s");
    n.wait_members(&[1, 2], 2, Duration::from_secs(60));
    post_comment(&n.https(1), "writer", &writer, "written with two nodes");
    step("node 3 lost, writes go on", killed);

    // It comes back: it rejoins, and the members hold the same rows.
    let t2 = Instant::now();
    nodes_ok(&["start", "3"]);
    n.wait_members(&[3], 3, Duration::from_secs(300));
    n.assert_members_equal();
    step("node 3 back, member 3 synced", t2);

    // Every member stopped cleanly, then started: the cluster comes back by itself.
    let t = Instant::now();
    let members: Vec<String> = (1..=3).map(|i| format!("{STACK}_mariadb-{i}")).collect();
    let scale = |to: u8| {
        let mut args = vec!["service".to_owned(), "scale".into(), "--detach".into()];
        args.extend(members.iter().map(|m| format!("{m}={to}")));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        n.docker_ok(1, &args);
    };
    let rows = n.assert_members_equal();
    scale(0);
    assert!(
        wait_until(Duration::from_secs(60), || (1..=3)
            .all(|i| n.task(i, &format!("mariadb-{i}")).is_none())),
        "the members did not stop"
    );
    scale(1);
    n.wait_members(&[1, 2, 3], 3, Duration::from_secs(300));
    assert_eq!(n.assert_members_equal(), rows);
    step("every member stopped and started: cluster back", t);

    // Every member crashes after a commit: recovered with every committed row.
    post_comment(&n.https(2), "writer", &writer, "written before the crash");
    let rows = n.assert_members_equal();
    let t = Instant::now();
    for i in 1..=3u8 {
        let task = n.task(i, &format!("mariadb-{i}")).unwrap();
        n.docker_ok(i, &["kill", &task]);
    }
    n.wait_members(&[1, 2, 3], 3, Duration::from_secs(300));
    assert_eq!(n.assert_members_equal(), rows);
    step("every member killed: cluster recovered", t);
    let r = n.https(1).first_post();
    assert!(r.contains("written before the crash"));
    step("whole test", started);
}

/// The monitoring on the Swarm stack: Prometheus, through nginx on every node, scrapes a
/// node exporter and an nginx exporter per node, a MariaDB exporter per Galera member (each
/// with the exporter account, which every member has) and every php-fpm replica, all up.
fn monitoring_sees_every_node_member_and_replica(n: &Nodes) {
    let t = Instant::now();
    for i in 1..=3 {
        let accounts = n.sql(
            i,
            "SELECT COUNT(*) FROM mysql.user WHERE user = 'exporter' AND host = '%'",
        );
        assert_eq!(accounts.trim(), "1", "mariadb-{i}: no account exporter@'%'");
    }
    let env = std::fs::read_to_string(n.dir.0.join("env")).unwrap();
    let user = env
        .lines()
        .find_map(|l| l.strip_prefix("PROMETHEUS_USER="))
        .filter(|u| !u.is_empty())
        .unwrap_or("prometheus");
    let auth = format!("{user}:{}", secret(n, "prometheus_password"));
    let api = |node: u8, path: &str| -> Value {
        let r = n
            .https(node)
            .request(&format!("/prometheus/api/v1/{path}"), &["-u", &auth]);
        assert_eq!(
            r.status, 200,
            "node {node}: /prometheus/api/v1/{path}: {}",
            r.body
        );
        serde_json::from_str::<Value>(&r.body).unwrap()["data"].clone()
    };
    // (job, instance, health) of every active target.
    let targets = |node: u8| {
        let active = api(node, "targets?state=active")["activeTargets"].clone();
        let mut seen = Vec::new();
        for t in active.as_array().unwrap() {
            let text = |v: &Value| v.as_str().unwrap_or("").to_owned();
            let (labels, health) = (&t["labels"], text(&t["health"]));
            seen.push((text(&labels["job"]), text(&labels["instance"]), health));
        }
        seen
    };
    let replicas: usize = env
        .lines()
        .find_map(|l| l.strip_prefix("WP_SWARM_REPLICAS="))
        .unwrap()
        .parse()
        .unwrap();
    let want = [
        ("prometheus", 1),
        ("nginx", 3),
        ("redis", 1),
        ("certificate", 1),
        ("data-dir", 3),
        ("mariadb", 3),
        ("php-fpm", replicas),
    ];
    let mut seen = Vec::new();
    let up = wait_until(Duration::from_secs(180), || {
        seen = targets(1);
        let count = per_job(&seen);
        seen.iter().all(|(_, _, h)| h == "up")
            && want.iter().all(|(job, k)| count.get(job) == Some(k))
            && count.len() == want.len()
    });
    assert!(up, "targets: {seen:?}");
    let mut mariadb: Vec<&str> = seen
        .iter()
        .filter(|(j, _, _)| j == "mariadb")
        .map(|(_, i, _)| i.as_str())
        .collect();
    mariadb.sort_unstable();
    assert_eq!(
        mariadb,
        [
            "mysqld-exporter-1:9104",
            "mysqld-exporter-2:9104",
            "mysqld-exporter-3:9104"
        ]
    );
    // Each exporter reaches its member or its node's nginx, and each node exporter its
    // node's disks.
    let values = |node: u8, query: &str| -> Vec<String> {
        let encoded: String = query
            .bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' => char::from(b).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect();
        api(node, &format!("query?query={encoded}"))["result"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["value"][1].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(
        wait_until(Duration::from_secs(60), || values(2, "mysql_up")
            == ["1"; 3]),
        "mysql_up: {:?}",
        values(2, "mysql_up")
    );
    assert_eq!(values(1, "nginx_up"), ["1"; 3], "nginx_up");
    for mountpoint in ["/data/mariadb", "/data/shared"] {
        let query = format!("count(node_filesystem_size_bytes{{mountpoint=\"{mountpoint}\"}})");
        assert_eq!(values(3, &query), ["3"], "{mountpoint} on every node");
    }
    println!("swarm: monitoring targets: {:?}", per_job(&seen));
    step("every monitoring target up", t);
}

/// How many targets each job has.
fn per_job(seen: &[(String, String, String)]) -> BTreeMap<&str, usize> {
    let mut count = BTreeMap::new();
    for (job, _, _) in seen {
        *count.entry(job.as_str()).or_default() += 1;
    }
    count
}
