//! `make bench`: stop and start times, HTTPS throughput against a static reference measured
//! in the same run, image and binary sizes, idle memory, a no-op `make`. Prints a Markdown
//! table and writes it to bench/results/latest.md. Timings live here, not in the tests.

use std::fmt::Write as _;
use std::process::Command;
use std::time::{Duration, Instant};

use inception_tests::*;

mod wordpress;

const RUNS: usize = 5;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

/// Waits until the whole stack answers: every service healthy (one `docker inspect` for
/// all, every 20 ms) and the front page 200.
fn wait_serving(stack: &Stack) {
    let services = stack.services(true);
    let containers: Vec<String> = services.iter().map(|s| stack.container(s)).collect();
    let mut args = vec!["inspect", "-f", "{{.State.Health.Status}}"];
    args.extend(containers.iter().map(String::as_str));
    let deadline = Instant::now() + Duration::from_secs(120);
    while !stdout(&docker(&args)).lines().all(|l| l == "healthy") {
        assert!(
            Instant::now() < deadline,
            "not healthy\n{}",
            stack.all_logs()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let web = stack.https();
    assert!(wait_until(Duration::from_secs(60), || web.get("/").status == 200));
}

/// Start times of a stack, medians of 3.
struct Starts {
    /// Empty data directory (containers removed and data deleted between runs) to a
    /// healthy, serving stack.
    cold: Duration,
    /// Data present, containers stopped, to a healthy, serving stack.
    warm: Duration,
    /// Of the warm start, until `compose start` returns.
    compose: Duration,
    /// Docker's own share: the same containers started by `docker start`, all at once,
    /// nothing awaited.
    docker: Duration,
}

fn start_times(stack: &Stack) -> Starts {
    let mut cold = Vec::new();
    for run in 0..3 {
        if run > 0 {
            stack.compose_ok(&["down"]);
            for d in ["mariadb", "wordpress"] {
                let dir = stack.data().join(d);
                std::fs::remove_dir_all(&dir).unwrap();
                std::fs::create_dir(&dir).unwrap();
            }
        }
        let t = Instant::now();
        stack.compose_ok(&["up", "-d", "--no-build"]);
        wait_serving(stack);
        cold.push(t.elapsed());
    }
    let services = stack.services(true);
    let (mut warm, mut compose, mut docker) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..3 {
        stack.compose_ok(&["stop"]);
        let t = Instant::now();
        stack.compose_ok(&["start"]);
        compose.push(t.elapsed());
        wait_serving(stack);
        warm.push(t.elapsed());
    }
    for _ in 0..3 {
        stack.compose_ok(&["stop"]);
        let t = Instant::now();
        std::thread::scope(|scope| {
            for s in &services {
                let c = stack.container(s);
                scope.spawn(move || docker_ok(&["start", &c]));
            }
        });
        docker.push(t.elapsed());
        wait_serving(stack);
    }
    Starts {
        cold: median(cold),
        warm: median(warm),
        compose: median(compose),
        docker: median(docker),
    }
}

/// One client, one request after another: the median server time of 30 requests for
/// `path` and the database queries one of them makes (MariaDB's `Questions` counter around it).
fn page_profile(stack: &Stack, path: &str, cookie: &str) -> (Duration, u64) {
    let web = stack.https();
    let header = format!("Cookie: {cookie}");
    let get = || web.request(path, &["-H", &header]);
    get();
    let questions = || -> u64 {
        stack
            .sql("SHOW GLOBAL STATUS LIKE 'Questions'")
            .split_whitespace()
            .nth(1)
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    // The second SHOW STATUS counts itself. The fewest of 3: a WP-Cron run that a page
    // starts in the background adds its own queries to one sample.
    let queries = (0..3)
        .map(|_| {
            let before = questions();
            get();
            questions().saturating_sub(before + 1)
        })
        .min()
        .unwrap();
    // From the request sent (TLS set up) to the first byte of the answer, as curl sees it.
    let times = (0..30)
        .map(|_| {
            let r = web.request(
                path,
                &[
                    "-H",
                    &header,
                    "-o",
                    "/dev/null",
                    "-w",
                    "%{time_appconnect} %{time_starttransfer}",
                ],
            );
            assert_eq!(r.status, 200, "{path}");
            let t: Vec<f64> = r
                .body
                .split_whitespace()
                .filter_map(|n| n.parse().ok())
                .collect();
            Duration::from_secs_f64((t[1] - t[0]).max(0.0))
        })
        .collect();
    (median(times), queries)
}

/// Busy CPU of the whole machine over `window`, in % of one core (from /proc/stat).
fn machine_cpu(window: Duration) -> f64 {
    let busy = || {
        let stat = std::fs::read_to_string("/proc/stat").unwrap();
        let f: Vec<f64> = stat
            .lines()
            .next()
            .unwrap()
            .split_whitespace()
            .skip(1)
            .map(|n| n.parse().unwrap())
            .collect();
        // user nice system (idle) (iowait) irq softirq steal
        f[0] + f[1] + f[2] + f[5] + f[6] + f[7]
    };
    let a = busy();
    std::thread::sleep(window);
    // USER_HZ is 100 on Linux.
    (busy() - a) / window.as_secs_f64()
}

/// Light load (four clients, one request after another, past the page cache) while
/// `action` disturbs WordPress, until 100 more requests are done. Failures are what the
/// clients saw; nginx's error log tells what it retried on the other WordPress container.
struct Disturbed {
    requests: usize,
    ok: usize,
    /// Requests nginx sent to the other container after a refusal or a reset.
    retried: usize,
    /// nginx's words for the failures clients saw.
    causes: Vec<String>,
    took: Duration,
}

fn under_load(stack: &Stack, action: impl FnOnce()) -> Disturbed {
    let since = stdout(&run(Command::new("date").arg("+%s.%N")))
        .trim()
        .to_owned();
    let load = Load::start(stack, 4);
    wait_until(Duration::from_secs(30), || load.count() >= 10);
    let t = Instant::now();
    action();
    let took = t.elapsed();
    let statuses = load.stop_after(100);
    let upstream_errors = stack.nginx_errors(Some(&since));
    let ok = statuses.iter().filter(|s| **s == 200).count();
    // "... [error] 7#7: *432 recv() failed (104: ...) while ..., client: ..."
    let mut causes: Vec<String> = upstream_errors
        .iter()
        .filter_map(|l| {
            l.split_once(" *")?
                .1
                .split_once(' ')?
                .1
                .split(", client")
                .next()
        })
        .map(str::to_owned)
        .collect();
    causes.sort();
    causes.dedup();
    Disturbed {
        requests: statuses.len(),
        ok,
        retried: upstream_errors.len(),
        causes: if ok == statuses.len() {
            Vec::new()
        } else {
            causes
        },
        took,
    }
}

/// wrk for 10 s, 2 threads, 32 connections: (requests/s, p99 latency, requests answered
/// with neither 2xx nor 3xx, or not answered: socket errors and timeouts).
/// A 3 s run before it is not counted: php-fpm starts its workers, OPcache and the JIT
/// compile the page's code, the object cache fills.
fn wrk(stack: &Stack, path: &str, cookie: Option<&str>) -> (f64, String, u64) {
    let url = format!("https://127.0.0.1:{}{path}", stack.port());
    let host = format!("Host: {}:{}", stack.domain(), stack.port());
    wrk_at(&url, &host, cookie)
}

/// [`wrk`] on `url`, with the `Host:` header `host`.
fn wrk_at(url: &str, host: &str, cookie: Option<&str>) -> (f64, String, u64) {
    let cookie = cookie.map(|c| format!("Cookie: {c}"));
    let run_for = |duration: &str| {
        let mut cmd = Command::new("wrk");
        cmd.args(["-t2", "-c32", duration, "--latency", "--timeout", "10s"])
            .args(["-H", host]);
        if let Some(c) = &cookie {
            cmd.args(["-H", c]);
        }
        stdout(&run(cmd.arg(url)))
    };
    run_for("-d3s");
    let out = run_for("-d10s");
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
    let non_2xx: u64 = out
        .lines()
        .find(|l| l.contains("Non-2xx or 3xx responses:"))
        .and_then(|l| l.split(':').nth(1))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    // "Socket errors: connect 0, read 0, write 0, timeout 12": requests without an answer.
    let socket: u64 = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("Socket errors:"))
        .map(|l| {
            l.split(',')
                .filter_map(|f| f.split_whitespace().nth(1)?.parse::<u64>().ok())
                .sum()
        })
        .unwrap_or(0);
    (rate, p99, non_2xx + socket)
}

fn mib(bytes: &str) -> String {
    let b: f64 = bytes.trim().parse().unwrap_or(0.0);
    format!("{:.1} MB", b / 1e6)
}

#[test]
fn bench() {
    // BENCH=swarm: only the Swarm stack's rows (bench/results/swarm.md); BENCH=wordpress:
    // only the two WordPress versions' (bench/results/wordpress.md); BENCH=sizes: only the
    // images' sizes and the idle memory (bench/results/sizes.md).
    type Rows = fn(&mut String);
    let only: Option<(&str, Rows)> = match std::env::var("BENCH").as_deref() {
        Ok("swarm") => Some(("swarm", swarm_rows)),
        Ok("wordpress") => Some(("wordpress", wordpress::versions_rows)),
        Ok("sizes") => Some(("sizes", sizes_only)),
        _ => None,
    };
    if let Some((name, rows)) = only {
        let mut report = format!("# Inception benchmark: {name}\n");
        rows(&mut report);
        println!("\n{report}");
        let dir = repo().join("bench/results");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.md")), &report).unwrap();
        return;
    }
    let mut report = String::from("# Inception benchmark\n\n");
    let (mut stack, single) = start_rows(&mut report);
    stop_rows(&mut report, &stack);
    throughput_rows(&mut report, &mut stack);
    wordpress::versions_rows(&mut report);
    disturbed_rows(&mut report, &stack, &single);
    idle_cpu_row(&mut report, &stack);
    size_rows(&mut report, &stack);
    noop_make_row(&mut report, &stack);
    build_rows(&mut report);
    vm_rows(&mut report);
    drop(stack);
    swarm_rows(&mut report);

    println!("\n{report}");
    let dir = repo().join("bench/results");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("latest.md"), &report).unwrap();
}

/// Cold and warm starts of the mandatory stack, then of the whole one, which it returns
/// running; and one WordPress container redeployed under load (returned for its table).
fn start_rows(report: &mut String) -> (Stack, Disturbed) {
    writeln!(
        report,
        "## Start (until every service is healthy and / answers 200; median of 3)\n\n\
         The warm start's share that is `compose start` returning, and, for reference, \
         docker's own: the same containers started by `docker start` all at once, nothing \
         awaited.\n\n\
         | stack | cold first start (MariaDB init + WordPress install) | warm start (data present) | of which `compose start` | docker starting the containers |\n\
         |---|---|---|---|---|\n| target | ≤ 5 s | ≤ 1.5 s | | |"
    )
    .unwrap();
    // The mandatory services alone (what the reference stack runs), then all of them.
    let mut mandatory = Stack::new("bench-mandatory");
    mandatory.set("DOMAIN_NAME", "inception-bench.42.fr");
    let starts = start_times(&mandatory);
    writeln!(
        report,
        "| {} | {} | {} | {} | {} |",
        mandatory.services(true).join(", "),
        secs(starts.cold),
        secs(starts.warm),
        secs(starts.compose),
        secs(starts.docker)
    )
    .unwrap();
    // One WordPress container (WP_REPLICAS=1, what `make` runs) replaced under load: the
    // requests that arrive meanwhile are not all answered.
    let single = under_load(&mandatory, || {
        let o = mandatory.make("redeploy");
        assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    });
    drop(mandatory);

    let mut stack = Stack::new("bench");
    // A fixed name: `make` below adds it to /etc/hosts once.
    stack.set("DOMAIN_NAME", "inception-bench.42.fr");
    stack.set_profiles(&["bonus"]);
    let starts = start_times(&stack);
    writeln!(
        report,
        "| all {} containers | {} | {} | {} | {} |\n",
        stack.services(true).len(),
        secs(starts.cold),
        secs(starts.warm),
        secs(starts.compose),
        secs(starts.docker)
    )
    .unwrap();

    (stack, single)
}

/// `docker stop` of each service, median of [`RUNS`], and whether it was graceful.
fn stop_rows(report: &mut String, stack: &Stack) {
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
    wait_serving(stack);
}

/// Requests per second: a static file (the ceiling), anonymous and logged-in pages with and
/// without the object cache.
fn throughput_rows(report: &mut String, stack: &mut Stack) {
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
    ];
    let logged_in = [
        // The posts list: the dashboard would measure its calls to api.wordpress.org.
        (
            "logged-in admin page (/wp-admin/edit.php)",
            "/wp-admin/edit.php",
        ),
        ("logged-in front page", "/"),
    ];
    writeln!(report, "\n## HTTPS throughput (wrk -t2 -c32 -d10s)\n\n| what | req/s | p99 | errors | vs static |\n|---|---|---|---|---|").unwrap();
    let mut reference = 0.0;
    for (what, path, cookie) in runs {
        let (rate, p99, errors) = wrk(stack, path, cookie);
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
    // Each logged-in page under wrk, then one request at a time; `cache` names the setup.
    let logged_in_rows =
        |stack: &Stack, report: &mut String, cache: &str| -> Vec<(Duration, u64)> {
            logged_in
                .iter()
                .map(|(what, path)| {
                    let (rate, p99, errors) = wrk(stack, path, Some(&session));
                    writeln!(
                        report,
                        "| {what}, {cache} | {rate:.0} | {p99} | {errors} | {:.1} % |",
                        100.0 * rate / reference
                    )
                    .unwrap();
                    page_profile(stack, path, &session)
                })
                .collect()
        };
    let with = logged_in_rows(stack, report, "redis object cache");
    // The same pages without the object cache, in the same run: both WordPress containers
    // recreated with WP_REDIS_HOST empty (the entrypoint removes the drop-in).
    let wordpress = ["up", "-d", "--no-build", "wordpress", "wordpress-replica"];
    stack.set("WP_REDIS_HOST", redis_host(false));
    stack.compose_ok(&wordpress);
    wait_serving(stack);
    let without = logged_in_rows(stack, report, "no object cache");
    writeln!(
        report,
        "\nLogged-in pages one at a time (median of 30) and database queries per page:\n\n\
         | page | redis object cache | no object cache | speed-up |\n|---|---|---|---|"
    )
    .unwrap();
    for (((what, _), (t_with, q_with)), (t_without, q_without)) in
        logged_in.iter().zip(&with).zip(&without)
    {
        writeln!(
            report,
            "| {what} | {:.1} ms, {q_with} queries | {:.1} ms, {q_without} queries | {:.2}× |",
            t_with.as_secs_f64() * 1e3,
            t_without.as_secs_f64() * 1e3,
            t_without.as_secs_f64() / t_with.as_secs_f64()
        )
        .unwrap();
    }
    stack.set("WP_REDIS_HOST", redis_host(true));
    stack.compose_ok(&wordpress);
    wait_serving(stack);
    let _ = std::fs::remove_file(&static_path);
}

/// Requests lost while WordPress is restarted or redeployed under light load.
fn disturbed_rows(report: &mut String, stack: &Stack, single: &Disturbed) {
    // wordpress restarted under light load.
    let wordpress = stack.container("wordpress");
    let restart = under_load(stack, || {
        docker_ok(&["restart", "-t", "20", &wordpress]);
        stack.wait_healthy("wordpress");
    });
    let redeploy = under_load(stack, || {
        let o = stack.make("redeploy");
        assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    });
    writeln!(
        report,
        "\n## WordPress disturbed under light load (4 clients, uncached page)\n\n\
         With two WordPress containers (WP_REPLICAS=2, `make bonus`), nginx retries a refused \
         or reset request on the other; with one (`make`), nothing can answer while it \
         restarts.\n\n\
         | event | requests | answered 200 | failed (target 0) | retried by nginx | event took |\n\
         |---|---|---|---|---|---|"
    )
    .unwrap();
    for (event, d) in [
        ("`docker restart wordpress`, until healthy", &restart),
        ("`make redeploy` (both replaced, one at a time)", &redeploy),
        (
            "`make redeploy`, one WordPress container (WP_REPLICAS=1)",
            single,
        ),
    ] {
        writeln!(
            report,
            "| {event} | {} | {} | {} | {} | {} |",
            d.requests,
            d.ok,
            d.requests - d.ok,
            d.retried,
            secs(d.took)
        )
        .unwrap();
        for cause in &d.causes {
            writeln!(report, "\nnginx on a failed request: `{cause}`").unwrap();
        }
    }
}

/// Idle CPU of the machine (the engine's health probes included), then with the stack stopped.
fn idle_cpu_row(report: &mut String, stack: &Stack) {
    std::thread::sleep(Duration::from_secs(5));
    let cpu_up = machine_cpu(Duration::from_secs(10));
    stack.compose_ok(&["stop"]);
    std::thread::sleep(Duration::from_secs(3));
    let cpu_down = machine_cpu(Duration::from_secs(10));
    stack.compose_ok(&["start"]);
    wait_serving(stack);
    writeln!(
        report,
        "\nIdle CPU of the machine, in % of one core: {cpu_up:.1} % with all {} containers \
         up and idle (health probes included), {cpu_down:.1} % with the stack stopped.",
        stack.services(true).len()
    )
    .unwrap();
}

/// `BENCH=sizes`: the image, entrypoint and idle memory sizes alone, on a stack with the
/// bonus services (a minute, not the whole bench).
fn sizes_only(report: &mut String) {
    let stack = Stack::bonus("bench-sizes");
    size_rows(report, &stack);
}

/// Image, entrypoint and idle memory sizes.
fn size_rows(report: &mut String, stack: &Stack) {
    writeln!(report, "\n## Sizes and idle memory\n\n| image | size | entrypoint | idle memory |\n|---|---|---|---|").unwrap();
    std::thread::sleep(Duration::from_secs(5));
    let mut total = 0.0;
    for s in all_services() {
        let size = inspect(image(s), "{{.Size}}");
        if MANDATORY.contains(s) {
            total += size.parse::<f64>().unwrap_or(0.0);
        }
        // The image's entrypoint: inception-<service>, or the one the exporters share.
        let entrypoint = inspect(image(s), "{{index .Config.Entrypoint 0}}");
        let bin = stdout(&docker(&[
            "run",
            "--rm",
            "--entrypoint",
            "stat",
            image(s),
            "-c",
            "%s",
            &format!("/usr/local/bin/{}", entrypoint.trim()),
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
            "| {} | {} | {} | {} |",
            image(s),
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
}

/// A no-op `make bonus` on the running, built stack.
fn noop_make_row(report: &mut String, stack: &Stack) {
    let t = Instant::now();
    let o = stack.make("bonus");
    let noop = t.elapsed();
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    writeln!(
        report,
        "\nNo-op `make bonus` (everything built and running): {} (target ≤ 30 s)",
        secs(noop)
    )
    .unwrap();
}

/// The VM's disks (`make vm`) and boot times (`make vm-test`): read from what they recorded
/// under vm/, with the date they were measured (booting it here would take minutes).
fn vm_rows(report: &mut String) {
    let dir = repo().join("vm");
    let read = |name: &str| -> Option<serde_json::Value> {
        serde_json::from_str(&std::fs::read_to_string(dir.join(name)).ok()?).ok()
    };
    writeln!(report, "\n## The VM (`make vm`, `make vm-test`)\n").unwrap();
    let Some(build) = read("build.json") else {
        writeln!(
            report,
            "Not built on this machine: run `make vm` (and `make vm-test`)."
        )
        .unwrap();
        return;
    };
    let size = |f: &str| {
        std::fs::metadata(dir.join(f))
            .map(|m| format!("{:.0} MiB", m.len() as f64 / 1048576.0))
            .unwrap_or_else(|_| "missing".into())
    };
    writeln!(
        report,
        "| what | value |\n|---|---|\n\
         | qcow2 (compressed, images preloaded) | {} (target < 2 GB) |\n\
         | VDI (VirtualBox) | {} |\n\
         | saved images in it | {:.0} MiB |\n\
         | build time (debootstrap to both disks) | {} s, {} |",
        size("inception.qcow2"),
        size("inception.vdi"),
        build["images_bytes"].as_f64().unwrap_or(0.0) / 1048576.0,
        build["built_s"],
        build["when"].as_str().unwrap_or("?"),
    )
    .unwrap();
    match read("boot.json") {
        Some(boot) => writeln!(
            report,
            "| first boot to site (images loaded, stack installed) | {} s ({}), {} |\n\
             | reboot to site (restart policies) | {} s |",
            boot["first_boot_to_site_s"],
            boot["accel"].as_str().unwrap_or("?"),
            boot["when"].as_str().unwrap_or("?"),
            boot["reboot_to_site_s"],
        )
        .unwrap(),
        None => writeln!(report, "| boot times | not measured: run `make vm-test` |").unwrap(),
    }
}

/// A build from nothing: the compile stage's two cargo runs timed in the compile stage's own
/// image (the newest, labelled by `make build`) from an empty target directory, and the
/// evaluation's wipe then `make`, as recorded by `make test-defense`.
fn build_rows(report: &mut String) {
    writeln!(
        report,
        "\n## A build from nothing (2 cores)\n\n| what | time | target |\n|---|---|---|"
    )
    .unwrap();
    let images = docker_ok(&[
        "images",
        "-q",
        "--filter",
        "label=org.inception.stage=compile",
    ]);
    if let Some(compile) = images.lines().next() {
        let c = Container::run(
            &unique("compile"),
            &["--entrypoint", "sleep", compile, "infinity"],
        );
        // cargo-build deps replaces the crates' sources with placeholders: keep a copy.
        let sh = |script: &str| {
            let t = Instant::now();
            let o = c.exec(&["sh", "-c", script]);
            assert!(o.status.success(), "{script}: {}", stderr(&o));
            t.elapsed()
        };
        sh("cp -r crates /tmp/crates && rm -rf target");
        let deps = sh("cargo-build deps >/dev/null 2>&1");
        let all = sh("cp -r /tmp/crates/. crates/ && cargo-build all >/dev/null 2>&1");
        writeln!(
            report,
            "| compile stage: dependencies (`cargo-build deps`) | {} | |\n\
             | compile stage: the workspace (`cargo-build all`) | {} | |\n\
             | compile stage in all | {} | ≤ 300 s |",
            secs(deps),
            secs(all),
            secs(deps + all)
        )
        .unwrap();
    }
    let recorded = std::fs::read_to_string(repo().join("bench/results/defense.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok());
    match recorded {
        Some(d) => writeln!(
            report,
            "| the evaluation's wipe, then `make` (engine installed, no image) | {} s, {} | ≤ 420 s |",
            d["make_after_wipe_s"],
            d["when"].as_str().unwrap_or("?")
        )
        .unwrap(),
        None => writeln!(
            report,
            "| the evaluation's wipe, then `make` | not measured: run `make test-defense` | ≤ 420 s |"
        )
        .unwrap(),
    }
}

/// The Swarm stack on three docker-in-docker nodes of this machine (the harness's cluster):
/// the uncached front page with 1, 2 and 3 php-fpm replicas, the requests lost when a
/// php-fpm task dies, and a write's latency through Galera against a single server.
fn swarm_rows(report: &mut String) {
    use inception_tests::cluster::*;
    let started = Instant::now();
    let n = deploy();
    let deployed = started.elapsed();
    // One uncached front page alone, through node 1 (PHP reads WordPress's files through
    // GlusterFS's FUSE client).
    let alone = {
        let web = n.https(1);
        web.request("/", &["-H", "Cookie: wordpress_no_cache=1"]);
        let t = Instant::now();
        let r = web.request("/", &["-H", "Cookie: wordpress_no_cache=1"]);
        assert_eq!(r.status, 200);
        t.elapsed()
    };
    writeln!(
        report,
        "\n## The Swarm stack (`make swarm-test`'s three docker-in-docker nodes, one machine)\n\n\
         Nodes up, images loaded, stack deployed and healthy: {}\n\n\
         One uncached front page alone, through node 1: {}\n\n\
         | php-fpm replicas | front page, no cache: req/s | p99 | errors |\n|---|---|---|---|",
        secs(deployed),
        secs(alone)
    )
    .unwrap();
    let url = format!("https://{}/", n.ip(1));
    let host = format!("Host: {DOMAIN}");
    let wordpress = format!("{STACK}_wordpress");
    for replicas in 1..=3 {
        n.docker_ok(
            1,
            &[
                "service",
                "scale",
                "--detach",
                &format!("{wordpress}={replicas}"),
            ],
        );
        let want = format!("{replicas}/{replicas}");
        assert!(
            wait_until(Duration::from_secs(600), || n
                .docker_ok(
                    1,
                    &[
                        "service",
                        "ls",
                        "--filter",
                        &format!("name={wordpress}"),
                        "--format",
                        "{{.Replicas}}"
                    ]
                )
                .starts_with(&want)),
            "{wordpress} not at {want}"
        );
        // nginx looks php-fpm up again every 2 s.
        std::thread::sleep(Duration::from_secs(3));
        let (rate, p99, errors) = wrk_at(&url, &host, Some("wordpress_no_cache=1"));
        writeln!(report, "| {replicas} | {rate:.0} | {p99} | {errors} |").unwrap();
    }
    writeln!(
        report,
        "\nEvery replica shares this machine's 2 cores (and the three nodes' Galera, nginx and \
         GlusterFS run beside them): more replicas cannot add CPU here. On machines of their \
         own, each replica brings its machine's cores, up to what the one writing member \
         and the shared files allow."
    )
    .unwrap();

    // A php-fpm task killed under load (nginx on node 1, requests one after another).
    let web = n.https(1);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let load = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut failures = Vec::new();
            let mut total = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let at = Instant::now();
                let r = web.request("/", &["-H", "Cookie: wordpress_no_cache=1"]);
                total += 1;
                if r.status != 200 {
                    failures.push(at);
                }
            }
            (total, failures)
        })
    };
    std::thread::sleep(Duration::from_secs(3));
    let victim = (1..=3)
        .find_map(|i| n.task(i, "wordpress").map(|t| (i, t)))
        .expect("no php-fpm task");
    n.docker_ok(victim.0, &["kill", &victim.1]);
    std::thread::sleep(Duration::from_secs(20));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (total, failures) = load.join().unwrap();
    let window = match (failures.first(), failures.last()) {
        (Some(a), Some(b)) => b.duration_since(*a),
        _ => Duration::ZERO,
    };
    writeln!(
        report,
        "\nA php-fpm task killed (SIGKILL) under sequential requests: {} of {total} failed, \
         error window {}.",
        failures.len(),
        secs(window)
    )
    .unwrap();

    // A write's latency: 200 single-row INSERTs, each its own transaction, through dbproxy
    // to the Galera writer (replicated to the two others before it commits), then on a
    // single server of the same image in node 1.
    // The time is taken by the server, in one session: no client start in it.
    let inserts: String = (0..200)
        .map(|i| format!("INSERT INTO wordpress.bench (v) VALUES ({i});"))
        .collect();
    let sql = format!(
        "CREATE TABLE IF NOT EXISTS wordpress.bench (id INT AUTO_INCREMENT PRIMARY KEY, v INT); \
         SET @t = NOW(6); {inserts} SELECT TIMESTAMPDIFF(MICROSECOND, @t, NOW(6)) / 200;"
    );
    let password = secret(&n, "db_password");
    let network = format!("{STACK}_inception");
    // WordPress's account, from a client container on the stack's network.
    let timed = |host: &str| {
        let pwd = format!("MYSQL_PWD={password}");
        let out = n.docker_ok(
            1,
            &[
                "run",
                "--rm",
                "--network",
                &network,
                "-e",
                &pwd,
                "--entrypoint",
                "mariadb",
                image("mariadb"),
                "-h",
                host,
                "-uwordpress",
                "-N",
                "-B",
                "-e",
                &sql,
            ],
        );
        let micros: f64 = out.trim().parse().unwrap_or_else(|_| panic!("{out}"));
        Duration::from_secs_f64(micros / 1e6)
    };
    let galera = timed("dbproxy");
    let env: Vec<String> = [
        format!("MARIADB_ROOT_PASSWORD={password}"),
        "MARIADB_DATABASE=wordpress".into(),
        "MARIADB_USER=wordpress".into(),
        format!("MARIADB_PASSWORD={password}"),
        "MARIADB_INITDB_SKIP_TZINFO=1".into(),
    ]
    .into_iter()
    .flat_map(|e| ["-e".to_owned(), e])
    .collect();
    let mut args = vec!["run", "-d", "--name", "bench-single", "--network", &network];
    args.extend(env.iter().map(String::as_str));
    args.push(image("mariadb"));
    n.docker_ok(1, &args);
    assert!(wait_until(Duration::from_secs(120), || n
        .docker(1, &["exec", "bench-single", "inception-mariadb", "health"])
        .status
        .success()));
    let single = timed("bench-single");
    let _ = n.docker(1, &["rm", "-f", "-v", "bench-single"]);
    writeln!(
        report,
        "\nA write (one-row INSERT, autocommit), mean of 200: {:.2} ms through dbproxy to the \
         Galera cluster, {:.2} ms on a single server of the same image (node 1).",
        galera.as_secs_f64() * 1e3,
        single.as_secs_f64() * 1e3
    )
    .unwrap();
}
