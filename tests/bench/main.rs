//! `make bench`: stop and start times, HTTPS throughput against a static reference measured
//! in the same run, image and binary sizes, idle memory, a no-op `make`. Prints a Markdown
//! table and writes it to bench/results/latest.md. Timings live here, not in the tests.

use std::fmt::Write as _;
use std::process::Command;
use std::time::{Duration, Instant};

use inception_tests::*;

/// What `make` runs by default: the mandatory services and the bonus ones.
const SERVICES: [&str; 8] = [
    "mariadb",
    "wordpress",
    "nginx",
    "redis",
    "site",
    "adminer",
    "backup",
    "ftp",
];
const RUNS: usize = 5;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

/// Starts what is stopped and waits until the whole stack answers: every service healthy and
/// the front page 200.
fn wait_serving(stack: &Stack) {
    for s in SERVICES {
        stack.wait_healthy(s);
    }
    let web = stack.https();
    assert!(wait_until(Duration::from_secs(60), || web.get("/").status == 200));
}

/// wrk for 10 s, 2 threads, 32 connections: (requests/s, p99 latency, non-2xx/3xx count).
fn wrk(stack: &Stack, path: &str, cookie: Option<&str>) -> (f64, String, u64) {
    let url = format!("https://127.0.0.1:{}{path}", stack.port());
    let host = format!("Host: {}:{}", stack.domain(), stack.port());
    let mut cmd = Command::new("wrk");
    cmd.args([
        "-t2",
        "-c32",
        "-d10s",
        "--latency",
        "--timeout",
        "10s",
        "-H",
        &host,
    ]);
    if let Some(c) = cookie {
        cmd.args(["-H", &format!("Cookie: {c}")]);
    }
    let out = stdout(&run(cmd.arg(&url)));
    let rate = out
        .lines()
        .find(|l| l.starts_with("Requests/sec:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0.0);
    let p99 = out
        .lines()
        .find(|l| l.trim_start().starts_with("99%"))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("?")
        .to_owned();
    let errors = out
        .lines()
        .find(|l| l.contains("Non-2xx or 3xx responses:"))
        .and_then(|l| l.split(':').nth(1))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    (rate, p99, errors)
}

fn mib(bytes: &str) -> String {
    let b: f64 = bytes.trim().parse().unwrap_or(0.0);
    format!("{:.1} MB", b / 1e6)
}

#[test]
fn bench() {
    let mut report = String::from("# Inception benchmark\n\n");
    let mut stack = Stack::new("bench");
    // A fixed name: `make` below adds it to /etc/hosts once.
    stack.set("DOMAIN_NAME", "inception-bench.42.fr");
    stack.set("COMPOSE_PROFILES", "bonus");
    stack.set("WP_REDIS_HOST", "redis:6379");

    // Cold first start: empty data directory to a healthy, serving stack.
    let t = Instant::now();
    stack.compose_ok(&["up", "-d", "--no-build"]);
    wait_serving(&stack);
    let cold = t.elapsed();

    // Warm start: data present, containers stopped.
    let mut warm = Vec::new();
    for _ in 0..3 {
        stack.compose_ok(&["stop"]);
        let t = Instant::now();
        stack.compose_ok(&["start"]);
        wait_serving(&stack);
        warm.push(t.elapsed());
    }
    writeln!(
        report,
        "## Start (until every service is healthy and / answers 200)\n"
    )
    .unwrap();
    writeln!(report, "| start | time | target |\n|---|---|---|").unwrap();
    writeln!(
        report,
        "| cold first start (MariaDB init + WordPress install) | {} | ≤ 5 s |",
        secs(cold)
    )
    .unwrap();
    writeln!(
        report,
        "| warm start (median of 3) | {} | ≤ 1.5 s |\n",
        secs(median(warm))
    )
    .unwrap();

    // docker stop per service, median of 5, and whether it was graceful (exit code 0).
    writeln!(report, "## docker stop (median of {RUNS})\n\n| service | time | graceful | target |\n|---|---|---|---|").unwrap();
    for s in [
        "nginx",
        "wordpress",
        "mariadb",
        "redis",
        "site",
        "adminer",
        "backup",
        "ftp",
    ] {
        let c = stack.container(s);
        let mut times = Vec::new();
        let mut graceful = true;
        for _ in 0..RUNS {
            let t = Instant::now();
            docker_ok(&["stop", "-t", "20", &c]);
            times.push(t.elapsed());
            graceful &= inspect(&c, "{{.State.ExitCode}}") == "0";
            docker_ok(&["start", &c]);
            stack.wait_healthy(s);
        }
        let target = if s == "mariadb" {
            "≤ 1 s (clean InnoDB shutdown ≤ 3 s)"
        } else {
            "≤ 1 s"
        };
        writeln!(
            report,
            "| {s} | {} | {} | {target} |",
            secs(median(times)),
            if graceful { "yes" } else { "NO" }
        )
        .unwrap();
    }
    wait_serving(&stack);

    // Throughput: the front page's bytes as a static file are the ceiling on this machine.
    let front = stack.https().get("/").body;
    let static_path = stack.data().join("wordpress/bench-static.html");
    std::fs::write(&static_path, &front).unwrap();
    let admin = stack.https();
    assert!(admin.login("webmaster", &stack.secret("wp_admin_password")));
    let session = admin.cookie_header();
    let runs = [
        (
            "same bytes as a static file (reference)",
            "/bench-static.html",
            None,
        ),
        ("anonymous front page (micro-cached)", "/", None),
        (
            "anonymous front page, cache bypassed",
            "/",
            Some("wordpress_no_cache=1"),
        ),
        (
            "logged-in admin page (/wp-admin/), redis object cache",
            "/wp-admin/",
            Some(session.as_str()),
        ),
    ];
    writeln!(report, "\n## HTTPS throughput (wrk -t2 -c32 -d10s)\n\n| what | req/s | p99 | errors | vs static |\n|---|---|---|---|---|").unwrap();
    let mut reference = 0.0;
    for (what, path, cookie) in runs {
        let (rate, p99, errors) = wrk(&stack, path, cookie);
        if reference == 0.0 {
            reference = rate;
        }
        writeln!(
            report,
            "| {what} | {rate:.0} | {p99} | {errors} | {:.1} % |",
            100.0 * rate / reference
        )
        .unwrap();
    }
    // The same page with redis stopped: the object cache lives only for the request.
    stack.compose_ok(&["stop", "redis"]);
    let (rate, p99, errors) = wrk(&stack, "/wp-admin/", Some(&session));
    writeln!(
        report,
        "| logged-in admin page (/wp-admin/), no object cache (redis stopped) | {rate:.0} | {p99} | {errors} | {:.1} % |",
        100.0 * rate / reference
    )
    .unwrap();
    stack.compose_ok(&["start", "redis"]);
    stack.wait_healthy("redis");
    let _ = std::fs::remove_file(&static_path);

    // Sizes and memory.
    writeln!(report, "\n## Sizes and idle memory\n\n| image | size | entrypoint | idle memory |\n|---|---|---|---|").unwrap();
    std::thread::sleep(Duration::from_secs(5));
    let mut total = 0.0;
    for s in SERVICES {
        let size = inspect(&format!("{s}:inception"), "{{.Size}}");
        if ["mariadb", "wordpress", "nginx"].contains(&s) {
            total += size.parse::<f64>().unwrap_or(0.0);
        }
        let bin = stdout(&docker(&[
            "run",
            "--rm",
            "--entrypoint",
            "stat",
            &format!("{s}:inception"),
            "-c",
            "%s",
            &format!("/usr/local/bin/inception-{s}"),
        ]));
        let mem = docker_ok(&[
            "stats",
            "--no-stream",
            "--format",
            "{{.MemUsage}}",
            &stack.container(s),
        ]);
        writeln!(
            report,
            "| {s}:inception | {} | {} | {} |",
            mib(&size),
            mib(&bin),
            mem.split('/').next().unwrap_or("").trim()
        )
        .unwrap();
    }
    writeln!(
        report,
        "| the three mandatory together | {:.1} MB (target ≤ 700 MB) | ≤ 4 MB each | |",
        total / 1e6
    )
    .unwrap();
    writeln!(
        report,
        "| debian:bookworm (base) | {} (target ≤ 120 MB) | | |",
        mib(&inspect("debian:bookworm", "{{.Size}}"))
    )
    .unwrap();

    // A no-op `make` on this (running, built) stack.
    let t = Instant::now();
    let o = run(Command::new("make")
        .args(["--no-print-directory", "all"])
        .arg(format!("PROJECT={}", stack.project))
        .arg(format!("DATA_DIR={}", stack.env["DATA_DIR"]))
        .arg(format!("SECRETS_DIR={}", stack.env["SECRETS_DIR"]))
        .arg(format!("HTTPS_PORT={}", stack.port()))
        .arg(format!("DOMAIN_NAME={}", stack.domain()))
        .envs(&stack.env)
        .current_dir(repo()));
    let noop = t.elapsed();
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    writeln!(
        report,
        "\nNo-op `make` (everything built and running): {} (target ≤ 30 s)",
        secs(noop)
    )
    .unwrap();

    println!("\n{report}");
    let dir = repo().join("bench/results");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("latest.md"), &report).unwrap();
}
