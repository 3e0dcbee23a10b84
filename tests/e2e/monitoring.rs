//! The monitoring (bonus): Prometheus at /prometheus/ behind its own basic auth, Debian's
//! exporters, the alert rules (promtool) and what is reachable from the host.

use std::time::{Duration, Instant};

use inception_tests::*;
use serde_json::Value;

/// The monitoring's containers (docker-compose.yml).
const MONITORING: [&str; 6] = [
    "prometheus",
    "nginx-exporter",
    "mysqld-exporter",
    "redis-exporter",
    "node-exporter",
    "blackbox-exporter",
];

/// The scrape targets of prometheus.yml.tmpl: (job, instance). The targets found by DNS
/// (php-fpm's two containers, the node and nginx exporters) are named by their addresses; the
/// certificate's by the site's URL.
const TARGETS: [(&str, &str); 8] = [
    ("prometheus", "localhost:9090"),
    ("nginx", ""),
    ("mariadb", "mysqld-exporter:9104"),
    ("redis", "redis-exporter:9121"),
    ("php-fpm", ""),
    ("php-fpm", ""),
    ("data-dir", ""),
    ("certificate", ""),
];

/// Prometheus's API through nginx, with the generated credentials: the JSON answer's `data`.
/// `params`: curl's (`-G --data-urlencode query=...`).
fn api_with(stack: &Stack, path: &str, params: &[&str]) -> Value {
    let auth = format!("prometheus:{}", stack.secret("prometheus_password"));
    let mut args = vec!["-u", auth.as_str()];
    args.extend_from_slice(params);
    let r = stack
        .https()
        .request(&format!("/prometheus/api/v1/{path}"), &args);
    assert_eq!(r.status, 200, "{path}: {}", r.body);
    let v: Value = serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert_eq!(v["status"], "success", "{path}: {v}");
    v["data"].clone()
}

/// [`api_with`] without parameters.
fn api(stack: &Stack, path: &str) -> Value {
    api_with(stack, path, &[])
}

/// The value of every series an instant query returns, by its `job` label.
fn query(stack: &Stack, promql: &str) -> Vec<(String, f64)> {
    let q = format!("query={promql}");
    api_with(stack, "query", &["-G", "--data-urlencode", &q])["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["metric"]["job"].as_str().unwrap_or("").to_owned(),
                s["value"][1].as_str().unwrap().parse().unwrap(),
            )
        })
        .collect()
}

/// Every target's (job, instance, health); the certificate's instance is the site's URL.
fn targets(stack: &Stack) -> Vec<(String, String, String)> {
    api(stack, "targets?state=active")["activeTargets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let s = |v: &Value| v.as_str().unwrap_or("").to_owned();
            (
                s(&t["labels"]["job"]),
                s(&t["labels"]["instance"]),
                s(&t["health"]),
            )
        })
        .collect()
}

/// What each exporter says of its service: 1 while it reaches it.
const GAUGES: [&str; 5] = [
    "nginx_up",
    "mysql_up",
    "redis_up",
    "probe_success",
    "phpfpm_up",
];

#[test]
fn every_target_is_up_and_stopping_redis_fires_target_down_within_a_minute() {
    let stack = Stack::bonus("monitor");
    let web = stack.https();

    // /prometheus/: nothing without the credentials, the UI with them.
    let auth = format!("prometheus:{}", stack.secret("prometheus_password"));
    let refused = web.get("/prometheus/");
    assert_eq!(refused.status, 401);
    // A browser asks for the password.
    assert!(
        refused.headers.contains("www-authenticate: basic"),
        "{}",
        refused.headers
    );
    assert_eq!(
        web.request("/prometheus/", &["-u", "prometheus:wrong"])
            .status,
        401
    );
    assert_eq!(
        web.request("/prometheus/-/ready", &["-u", &auth]).status,
        200
    );
    // The UI's front page, after its redirects (Debian's build serves the classic pages).
    let graph = web.request("/prometheus/", &["-u", &auth, "-L"]);
    assert_eq!(graph.status, 200, "{}", graph.headers);
    assert!(graph.body.contains("Prometheus"), "no UI: {}", graph.body);
    assert_eq!(web.get("/prometheus").status, 301);

    // Every target up, and every exporter reaching its service (bounded: the first probes
    // may have run while WordPress was still installing).
    let gauges = GAUGES;
    let mut seen = Vec::new();
    let mut values = Vec::new();
    let all_up = wait_until(Duration::from_secs(90), || {
        seen = targets(&stack);
        values = gauges.iter().map(|g| (*g, query(&stack, g))).collect();
        seen.len() == TARGETS.len()
            && seen.iter().all(|(_, _, h)| h == "up")
            && values
                .iter()
                .all(|(_, v)| !v.is_empty() && v.iter().all(|(_, x)| *x == 1.0))
    });
    assert!(
        all_up,
        "targets: {seen:?}\ngauges: {values:?}\n{}",
        stack.all_logs()
    );
    for (job, instance) in TARGETS {
        assert!(
            seen.iter()
                .any(|(j, i, _)| j == job && (instance.is_empty() || i == instance)),
            "no target {job} {instance}: {seen:?}"
        );
    }
    // The rules' inputs are there: MariaDB's connections, the disk of DATA_DIR, the
    // certificate's expiry (nginx's own, more than 14 days ahead), php-fpm's queue.
    for series in [
        "mysql_global_variables_max_connections",
        "mysql_global_status_threads_connected",
        "node_filesystem_avail_bytes{mountpoint=\"/data/mariadb\"}",
        "phpfpm_listen_queue",
    ] {
        assert!(!query(&stack, series).is_empty(), "no {series}");
    }
    let days = query(&stack, "(probe_ssl_earliest_cert_expiry - time()) / 86400");
    assert!(days.len() == 1 && days[0].1 > 14.0, "certificate: {days:?}");
    // No alert on the healthy stack, once the start's are resolved (pending ones clear at
    // the next evaluation, every 5 s).
    let mut alerts = Value::Null;
    let quiet = wait_until(Duration::from_secs(30), || {
        alerts = api(&stack, "alerts");
        alerts["alerts"].as_array().unwrap().is_empty()
    });
    assert!(quiet, "alerts on a healthy stack: {alerts}");

    // redis stops: its exporter says so, and TargetDown fires for job redis within 1 min.
    docker_ok(&["stop", &stack.container("redis")]);
    let stopped = Instant::now();
    let fired = wait_until(Duration::from_secs(90), || {
        api(&stack, "alerts")["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| {
                a["labels"]["alertname"] == "TargetDown"
                    && a["labels"]["job"] == "redis"
                    && a["state"] == "firing"
            })
    });
    let took = stopped.elapsed();
    assert!(
        fired,
        "TargetDown did not fire for redis\n{}",
        stack.all_logs()
    );
    eprintln!(
        "monitoring: TargetDown fired for redis {:.1} s after docker stop",
        took.as_secs_f64()
    );
    assert!(
        took <= Duration::from_secs(60),
        "TargetDown fired after {took:?}"
    );
    assert_eq!(query(&stack, "redis_up"), vec![("redis".to_owned(), 0.0)]);

    // From the host: the monitoring publishes no port, and the HTTPS port serves none of
    // nginx's internal metrics.
    for s in MONITORING {
        let ports = inspect(
            &stack.container(s),
            "{{range $p, $b := .NetworkSettings.Ports}}{{if $b}}{{$p}} {{end}}{{end}}",
        );
        assert_eq!(ports.trim(), "", "{s} publishes {ports}");
    }
    for path in [
        "/stub_status",
        "/php-fpm/wordpress",
        "/status?openmetrics",
        "/metrics",
    ] {
        let r = web.get(path);
        assert!(
            !r.body.contains("Active connections") && !r.body.contains("phpfpm_"),
            "{path} serves metrics through the HTTPS port"
        );
    }
    let ss = stdout(&stack.exec("nginx", &["ss", "-tln"]));
    assert!(ss.contains("0.0.0.0:9180 "), "no metrics listener: {ss}");
    // Inside the network, nginx's internal listener does serve them (what Prometheus reads).
    let o = stack.exec("nginx-exporter", &["inception-exporter", "health"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn without_the_bonus_profile_prometheus_is_not_there_and_nginx_serves_as_before() {
    let stack = Stack::new("nomonitor");
    stack.up(&[]);
    let web = stack.https();
    assert_eq!(web.get("/").status, 200);
    // nginx listens on the HTTPS port alone: no internal metrics listener (9180).
    let ss = stdout(&stack.exec("nginx", &["ss", "-tln"]));
    assert!(!ss.contains(":9180 "), "{ss}");
    let r = web.get("/prometheus/");
    assert_eq!(
        (r.status, r.body.as_str()),
        (404, "bonus service not running: make bonus\n")
    );
}

#[test]
fn alert_rules_fire_in_their_tests_and_stay_silent_on_healthy_series() {
    // promtool of the prometheus image, on the rules file the image ships.
    let tests = repo().join("tests/monitoring");
    let o = docker(&[
        "run",
        "--rm",
        "--entrypoint",
        "promtool",
        "-v",
        &format!("{}:/tests:ro", tests.display()),
        image("prometheus"),
        "test",
        "rules",
        "/tests/rules.test.yml",
    ]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("SUCCESS"), "{}", stdout(&o));
    let check = docker(&[
        "run",
        "--rm",
        "--entrypoint",
        "promtool",
        image("prometheus"),
        "check",
        "rules",
        "/etc/prometheus/rules/inception.yml",
    ]);
    assert!(check.status.success(), "{}", stdout(&check));
    assert!(
        stdout(&check).contains("5 rules found"),
        "{}",
        stdout(&check)
    );
}
