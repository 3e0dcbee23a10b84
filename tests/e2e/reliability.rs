//! Faults, stops, load, bad input and secrets.

use std::time::{Duration, Instant};

use inception_mariadb::events;
use inception_tests::*;

/// Host PID of a container's PID 1.
fn host_pid(container: &str) -> i32 {
    inspect(container, "{{.State.Pid}}").parse().unwrap()
}

#[test]
fn kill_9_of_each_main_process_restarts_it_healthy_and_keeps_data() {
    let stack = Stack::new("kill9");
    stack.up(&[]);
    stack.comment("Written before the crashes");
    for s in MANDATORY {
        let c = stack.container(s);
        let before = restart_count(&c);
        let t = Instant::now();
        kill_9(host_pid(&c));
        assert!(
            wait_until(Duration::from_secs(60), || restart_count(&c) > before),
            "{s} was not restarted\n{}",
            stack.all_logs()
        );
        stack.wait_healthy(s);
        eprintln!("{s}: healthy again {:?} after kill -9", t.elapsed());
    }
    for s in MANDATORY {
        stack.wait_healthy(s);
    }
    assert!(
        stack.comment_shows("Written before the crashes"),
        "{}",
        stack.all_logs()
    );
    // InnoDB recovered what it had to, and the bootstrap did not run again.
    assert_eq!(
        logs(&stack.container("mariadb"))
            .matches(events::FIRST_START_COMPLETE)
            .count(),
        1
    );
}

/// SIGKILL from the host (`kill -9`), as a crash would.
fn kill_9(pid: i32) {
    let o = run(std::process::Command::new("kill").args(["-9", &pid.to_string()]));
    assert!(o.status.success(), "kill -9 {pid}: {}", stderr(&o));
}

#[test]
fn every_docker_stop_is_graceful_and_mariadb_shuts_down_cleanly() {
    let stack = Stack::new("stops");
    stack.up(&[]);
    // The order compose uses: the entry first, the database last.
    for s in ["nginx", "wordpress", "mariadb"] {
        let c = stack.container(s);
        let t = Instant::now();
        docker_ok(&["stop", "-t", "20", &c]);
        let took = t.elapsed();
        eprintln!("{s}: docker stop took {took:?}");
        assert!(took < Duration::from_secs(5), "{s}: stop took {took:?}");
        assert_eq!(
            inspect(&c, "{{.State.ExitCode}}"),
            "0",
            "{s} did not exit cleanly\n{}",
            logs(&c)
        );
    }
    assert!(logs(&stack.container("mariadb")).contains("mariadbd: Shutdown complete"));
    let before = logs(&stack.container("mariadb")).len();
    stack.up(&[]);
    let after = logs(&stack.container("mariadb"))[before..].to_lowercase();
    assert!(!after.contains("crash recovery"), "{after}");
    assert_eq!(stack.https().get("/").status, 200);
}

#[test]
fn restarting_mariadb_under_wordpress_recovers_without_intervention() {
    let stack = Stack::new("dbrestart");
    stack.up(&[]);
    stack.compose_ok(&["restart", "mariadb"]);
    stack.wait_healthy("mariadb");
    let web = stack.https();
    assert!(
        wait_until(Duration::from_secs(20), || web.get("/").status == 200),
        "{}",
        stack.all_logs()
    );
    for s in ["wordpress", "nginx"] {
        assert_eq!(restart_count(&stack.container(s)), 0, "{s} restarted");
    }
}

#[test]
fn a_stop_while_wordpress_waits_for_its_database_ends_it_at_once() {
    let stack = Stack::new("wp-term");
    stack.compose_ok(&["up", "-d", "--no-build", "--no-deps", "wordpress"]);
    let c = stack.container("wordpress");
    wait_log(&c, "waiting for the database", Duration::from_secs(20));
    let t = Instant::now();
    docker_ok(&["stop", "-t", "10", &c]);
    assert!(
        t.elapsed() < Duration::from_secs(3),
        "stop took {:?}",
        t.elapsed()
    );
    // docker stop sends the image's STOPSIGNAL, SIGQUIT (3): 128 + 3.
    assert_eq!(inspect(&c, "{{.State.ExitCode}}"), "131");
}

#[test]
fn an_interrupted_wordpress_install_is_redone_cleanly() {
    let stack = Stack::new("wp-redo");
    stack.up(&["mariadb", "wordpress"]);
    // What a crash in the middle of the install leaves: the marker and a half-written site.
    stack.compose_ok(&["stop", "wordpress"]);
    std::fs::write(stack.data().join("wordpress/.inception-installing"), "").unwrap();
    stack.sql("DELETE FROM wordpress.wp_options WHERE option_name = 'blogname'; DELETE FROM wordpress.wp_users WHERE user_login = 'writer'");
    stack.compose_ok(&["start", "wordpress"]);
    stack.wait_healthy("wordpress");
    assert!(
        logs(&stack.container("wordpress")).contains(inception_wordpress::events::INSTALL_REDONE)
    );
    assert!(
        !stack
            .data()
            .join("wordpress/.inception-installing")
            .exists()
    );
    assert_eq!(
        stack
            .sql("SELECT option_value FROM wordpress.wp_options WHERE option_name = 'blogname'")
            .trim(),
        "Inception E2E"
    );
    assert_eq!(
        stack.sql("SELECT COUNT(*) FROM wordpress.wp_users").trim(),
        "2"
    );
}

#[test]
fn sixty_seconds_of_load_give_no_5xx_and_no_restart() {
    let stack = Stack::new("load");
    stack.up(&[]);
    let url = format!("https://127.0.0.1:{}/", stack.port());
    let header = format!("Host: {}:{}", stack.domain(), stack.port());
    let o = run(std::process::Command::new("wrk").args([
        "-t2",
        "-c32",
        "-d60s",
        "--timeout",
        "10s",
        "-H",
        &header,
        &url,
    ]));
    let out = stdout(&o);
    eprintln!("{out}");
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        !out.contains("Non-2xx or 3xx responses"),
        "errors under load:\n{out}"
    );
    let requests: u64 = out
        .lines()
        .find(|l| l.contains("requests in"))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(requests > 100, "only {requests} requests served:\n{out}");
    for s in MANDATORY {
        let c = stack.container(s);
        assert_eq!(restart_count(&c), 0, "{s} restarted under load");
        let mem = docker_ok(&["stats", "--no-stream", "--format", "{{.MemUsage}}", &c]);
        eprintln!("{s}: {}", mem.trim());
    }
}

/// Runs an image with `env` and returns (exit code, stderr); `data` is mounted at `mount`.
fn run_bad(image: &str, env: &[(&str, &str)], data: &str, mount: &str) -> (i32, String) {
    let mut args = vec![
        "run".to_string(),
        "--rm".into(),
        "-v".into(),
        format!("{data}:{mount}"),
    ];
    for (k, v) in env {
        args.push("-e".into());
        args.push(format!("{k}={v}"));
    }
    args.push(image.into());
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = docker(&refs);
    (o.status.code().unwrap_or(-1), stderr(&o))
}

const WP_OK: [(&str, &str); 10] = [
    ("WORDPRESS_DB_NAME", "wordpress"),
    ("WORDPRESS_DB_USER", "wordpress"),
    ("WORDPRESS_DB_PASSWORD", "x"),
    ("DOMAIN_NAME", "me.42.fr"),
    ("WP_ADMIN_USER", "webmaster"),
    ("WP_ADMIN_EMAIL", "w@example.com"),
    ("WP_ADMIN_PASSWORD", "x"),
    ("WP_USER", "writer"),
    ("WP_USER_EMAIL", "u@example.com"),
    ("WP_USER_PASSWORD", "x"),
];

/// WP_OK with `changes` applied (an empty value removes the variable).
fn wp_env(changes: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut env: Vec<(&str, &str)> = WP_OK.to_vec();
    for (k, v) in changes {
        env.retain(|(e, _)| e != k);
        if !v.is_empty() {
            env.push((k, v));
        }
    }
    env
}

#[test]
fn bad_input_exits_non_zero_with_one_line_naming_the_variable_and_touches_no_data() {
    let name = unique("bad-input");
    let dir = TempDir::new(&name);
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            wp_env(&[("WORDPRESS_DB_PASSWORD", "")]),
            "WORDPRESS_DB_PASSWORD is required",
        ),
        (
            wp_env(&[
                ("WP_ADMIN_PASSWORD", ""),
                ("WP_ADMIN_PASSWORD_FILE", "/run/secrets/missing"),
            ]),
            "cannot read WP_ADMIN_PASSWORD_FILE (/run/secrets/missing)",
        ),
        (
            wp_env(&[("WP_USER_PASSWORD_FILE", "/etc/hostname")]),
            "both WP_USER_PASSWORD and WP_USER_PASSWORD_FILE are set",
        ),
        (
            wp_env(&[("WP_ADMIN_USER", "Administrator")]),
            "WP_ADMIN_USER is invalid",
        ),
        (
            wp_env(&[("DOMAIN_NAME", "not a domain")]),
            "DOMAIN_NAME is invalid",
        ),
        (wp_env(&[("HTTPS_PORT", "99999")]), "HTTPS_PORT is invalid"),
        (
            wp_env(&[("WP_USER_EMAIL", "")]),
            "WP_USER_EMAIL is required",
        ),
    ];
    for (env, expected) in cases {
        let data = dir.dir(&unique("wp"));
        let (code, err) = run_bad(image("wordpress"), &env, &data, "/var/www/html");
        assert_eq!(code, 78, "{expected}: {err}");
        assert_eq!(err.lines().count(), 1, "one line expected: {err}");
        assert!(err.contains(expected), "expected {expected:?} in {err:?}");
        assert_eq!(
            std::fs::read_dir(&data).unwrap().count(),
            0,
            "{expected}: data touched"
        );
    }
    // nginx: a bad domain or port.
    let certs = dir.dir("certs");
    let (code, err) = run_bad(
        image("nginx"),
        &[("DOMAIN_NAME", "bad_domain!")],
        &certs,
        "/etc/nginx/certs",
    );
    assert_eq!((code, err.lines().count()), (78, 1), "{err}");
    assert!(err.contains("DOMAIN_NAME is invalid"), "{err}");
    let (code, err) = run_bad(
        image("nginx"),
        &[("DOMAIN_NAME", "me.42.fr"), ("HTTPS_PORT", "http")],
        &certs,
        "/etc/nginx/certs",
    );
    assert_eq!(code, 78);
    assert!(err.contains("HTTPS_PORT is invalid"), "{err}");
    assert_eq!(std::fs::read_dir(&certs).unwrap().count(), 0);
    // mariadb: an empty root password secret.
    let empty = dir.path().join("empty-secret");
    std::fs::write(&empty, "\n").unwrap();
    let data = dir.dir("db");
    let o = docker(&[
        "run",
        "--rm",
        "-v",
        &format!("{data}:/var/lib/mysql"),
        "-v",
        &format!("{}:/run/secrets/root:ro", empty.display()),
        "-e",
        "MARIADB_ROOT_PASSWORD_FILE=/run/secrets/root",
        image("mariadb"),
    ]);
    assert_exit(&o, 78, "MARIADB_ROOT_PASSWORD");
    assert_eq!(std::fs::read_dir(&data).unwrap().count(), 0);
}

#[test]
fn no_secret_value_is_in_images_containers_or_their_filesystems() {
    let mut stack = Stack::new("secrets");
    // A relay with an account, so that its password is read and written (to memory) too;
    // nothing needs to answer there.
    stack.set("SMTP_HOST", "relay.invalid");
    stack.set("SMTP_USER", "relay-account");
    stack.up(&[]);
    let secrets: Vec<String> = secrets().iter().map(|s| stack.secret(s)).collect();
    let mut haystacks = Vec::new();
    for s in MANDATORY {
        let c = stack.container(s);
        let image = image(s).to_owned();
        haystacks.push((
            format!("docker history {image}"),
            docker_ok(&["history", "--no-trunc", &image]).into_bytes(),
        ));
        haystacks.push((
            format!("docker inspect {image}"),
            docker_ok(&["image", "inspect", &image]).into_bytes(),
        ));
        haystacks.push((
            format!("docker inspect {c}"),
            docker_ok(&["inspect", &c]).into_bytes(),
        ));
        let export = run(std::process::Command::new("docker").args(["export", &c]));
        assert!(export.status.success());
        haystacks.push((format!("docker export {c}"), export.stdout));
    }
    // The data directory (the volumes: database files, WordPress's files with wp-config.php),
    // after a second start, so that start-time rewrites are included.
    stack.compose_ok(&["restart", "wordpress"]);
    stack.wait_healthy("wordpress");
    // Every container's log, both starts included.
    for s in MANDATORY {
        let c = stack.container(s);
        haystacks.push((format!("docker logs {c}"), logs(&c).into_bytes()));
    }
    let mut files = vec![stack.data()];
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else if path.is_file() {
            haystacks.push((path.display().to_string(), std::fs::read(&path).unwrap()));
        }
    }
    assert!(
        haystacks
            .iter()
            .any(|(what, _)| what.ends_with("wordpress/wp-config.php")),
        "the scan did not see wp-config.php"
    );
    for (what, bytes) in &haystacks {
        for secret in &secrets {
            let found = bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
            assert!(!found, "a secret value appears in {what}");
        }
    }
    // The checks can see secrets: the mounted file does hold one, and so does the in-memory
    // file WordPress reads its passwords from.
    let mounted = stdout(&stack.exec("wordpress", &["cat", "/run/secrets/db_password"]));
    assert!(secrets.contains(&mounted));
    let in_memory = stdout(&stack.exec("wordpress", &["cat", "/run/php/wp-secrets.php"]));
    assert!(in_memory.contains(&php_escaped(&mounted)), "{in_memory}");
    let relay = stack.secret("smtp_password");
    let msmtprc = stdout(&stack.exec("wordpress", &["cat", "/run/php/msmtprc"]));
    assert!(
        msmtprc.contains(&format!("password \"{relay}\"\n")),
        "{msmtprc}"
    );
}

/// A value as it appears inside a single-quoted PHP string.
fn php_escaped(value: &str) -> String {
    value.replace('\\', "\\\\").replace('\'', "\\'")
}

#[test]
fn env_and_secrets_are_git_ignored_and_secret_files_are_private() {
    for path in ["srcs/.env", ".env", "secrets/db_password.txt", "vendor/x"] {
        let o = run(std::process::Command::new("git")
            .args(["check-ignore", "-q", path])
            .current_dir(repo()));
        assert!(
            o.status.success(),
            "{path} is not ignored by git: {}",
            stderr(&o)
        );
    }
    let dir = TempDir::new(&unique("configure"));
    let env = dir.path().join("env");
    let secrets = dir.path().join("secrets");
    let o = run(
        std::process::Command::new(repo().join("srcs/tools/configure.sh"))
            .args([&env, &secrets])
            .env("LOGIN", "someone"),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let first = std::fs::read_to_string(secrets.join("db_password.txt")).unwrap();
    assert_eq!(first.len(), 32);
    for name in inception_tests::secrets() {
        let mode = std::fs::metadata(secrets.join(format!("{name}.txt"))).unwrap();
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777,
            0o600
        );
    }
    // A second run keeps what exists.
    run(std::process::Command::new(repo().join("srcs/tools/configure.sh")).args([&env, &secrets]));
    assert_eq!(
        std::fs::read_to_string(secrets.join("db_password.txt")).unwrap(),
        first
    );
    assert!(
        std::fs::read_to_string(&env)
            .unwrap()
            .contains("DOMAIN_NAME=someone.42.fr")
    );
}

#[test]
fn hardening_is_in_place() {
    let stack = Stack::new("hardening");
    stack.up(&[]);
    for s in MANDATORY {
        let c = stack.container(s);
        assert_eq!(inspect(&c, "{{.HostConfig.ReadonlyRootfs}}"), "true", "{s}");
        assert_eq!(inspect(&c, "{{.HostConfig.CapDrop}}"), "[ALL]", "{s}");
        assert!(
            inspect(&c, "{{.HostConfig.SecurityOpt}}").contains("no-new-privileges:true"),
            "{s}"
        );
    }
    // Workers are not root: www-data is uid 33, mysql 999 (fixed in the images).
    let ps = |s: &str| docker_ok(&["top", &stack.container(s), "-eo", "pid,uid,args"]);
    let runs_as = |s: &str, uid: &str, what: &str| {
        ps(s)
            .lines()
            .any(|l| l.split_whitespace().nth(1) == Some(uid) && l.contains(what))
    };
    assert!(
        runs_as("wordpress", "33", "php-fpm: pool"),
        "{}",
        ps("wordpress")
    );
    assert!(runs_as("nginx", "33", "nginx: worker"), "{}", ps("nginx"));
    assert!(runs_as("mariadb", "999", "mariadbd"), "{}", ps("mariadb"));
    // No remote root, and DISALLOW_FILE_EDIT.
    assert_eq!(
        stack
            .sql("SELECT COUNT(*) FROM mysql.user WHERE User = 'root' AND Host <> 'localhost'")
            .trim(),
        "0"
    );
    let config = std::fs::read_to_string(stack.data().join("wordpress/wp-config.php")).unwrap();
    assert!(config.contains("define('DISALLOW_FILE_EDIT', true);"));
}

#[test]
fn testssl_finds_nothing_high_but_the_self_signed_certificate() {
    let stack = Stack::new("testssl");
    stack.up(&[]);
    let json = stack.dir.path().join("testssl.json");
    let url = format!("https://{}:{}", stack.domain(), stack.port());
    let o = run(std::process::Command::new("testssl")
        .args([
            "--quiet",
            "--color",
            "0",
            "--warnings",
            "off",
            "--ip",
            "127.0.0.1",
            "--jsonfile",
        ])
        .arg(&json)
        .arg(&url));
    // testssl's exit code does not reflect its findings: read their severities.
    let text =
        std::fs::read_to_string(&json).unwrap_or_else(|_| panic!("no report: {}", stdout(&o)));
    let findings = findings_at_least_high(&text);
    assert!(
        findings.iter().any(|(id, _)| id == "cert_chain_of_trust"),
        "the scan did not run: {text}"
    );
    let inherent = ["cert_chain_of_trust", "cert_revocation"];
    let others: Vec<_> = findings
        .iter()
        .filter(|(id, _)| !inherent.contains(&id.as_str()))
        .collect();
    assert!(others.is_empty(), "HIGH or CRITICAL findings: {others:?}");
}

/// One entry of a testssl JSON report (`--jsonfile`: a flat array of these).
#[derive(serde::Deserialize)]
struct Finding {
    id: String,
    severity: String,
    #[serde(default)]
    finding: String,
}

/// (id, finding) of every HIGH or CRITICAL entry of a testssl JSON report.
fn findings_at_least_high(json: &str) -> Vec<(String, String)> {
    let report: Vec<Finding> =
        serde_json::from_str(json).unwrap_or_else(|e| panic!("not a testssl report ({e}): {json}"));
    report
        .into_iter()
        .filter(|f| f.severity == "HIGH" || f.severity == "CRITICAL")
        .map(|f| (f.id, f.finding))
        .collect()
}

/// Whether the certificate nginx serves on `port` is valid for at least `days` more days.
fn served_certificate_lasts(port: u16, domain: &str, days: u32) -> bool {
    let o = run(std::process::Command::new("sh").args([
        "-c",
        "openssl s_client -connect 127.0.0.1:$1 -servername $2 </dev/null 2>/dev/null \
         | openssl x509 -noout -checkend $3",
        "sh",
        &port.to_string(),
        domain,
        &(days * 86_400).to_string(),
    ]));
    o.status.success()
}

#[test]
fn a_certificate_due_for_renewal_is_renewed_and_reloaded_without_a_restart() {
    let stack = Stack::new("renew");
    stack.up(&[]);
    let nginx = stack.container("nginx");
    let started = inspect(&nginx, "{{.State.StartedAt}}");
    assert!(served_certificate_lasts(stack.port(), stack.domain(), 300));

    // Our certificate as it would be 5 days before it expires, served after a reload.
    let dir = TempDir::new(&unique("renew-cert"));
    let (cert, key) = (dir.path().join("c.pem"), dir.path().join("k.pem"));
    let o = run(std::process::Command::new("openssl")
        .args(["req", "-x509", "-nodes", "-days", "5", "-newkey", "ec"])
        .args(["-pkeyopt", "ec_paramgen_curve:P-256", "-subj"])
        .arg(format!("/CN={}", stack.domain()))
        .arg("-addext")
        .arg(format!("subjectAltName=DNS:{}", stack.domain()))
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert));
    assert!(o.status.success(), "{}", stderr(&o));
    for (file, name) in [(&cert, "inception.crt"), (&key, "inception.key")] {
        let pem = std::fs::read_to_string(file).unwrap();
        let o = stack.exec(
            "nginx",
            &[
                "sh",
                "-c",
                "printf '%s' \"$1\" > /etc/nginx/certs/$2",
                "sh",
                &pem,
                name,
            ],
        );
        assert!(o.status.success(), "{}", stderr(&o));
    }
    docker_ok(&["kill", "-s", "HUP", &nginx]);

    // The compose healthcheck (`health --upkeep`) finds it due (or, if it looked between the
    // two writes, finds the pair mismatched), makes a new one and has nginx reload it: what
    // nginx serves converges to a fresh certificate, which a `health` that only looks reports.
    let mut last = String::new();
    let renewed = wait_until(Duration::from_secs(30), || {
        let o = stack.exec("nginx", &["inception-nginx", "health"]);
        last = stdout(&o);
        o.status.success()
            && last.contains("certificate valid 39")
            && served_certificate_lasts(stack.port(), stack.domain(), 300)
    });
    assert!(
        renewed,
        "the certificate was not renewed: {last}\n{}",
        stack.all_logs()
    );
    assert_eq!(
        inspect(&nginx, "{{.State.StartedAt}}"),
        started,
        "nginx restarted"
    );
    assert_eq!(restart_count(&nginx), 0);
    assert_eq!(stack.https().get("/").status, 200);
}

#[test]
fn with_the_replica_restarting_or_redeploying_wordpress_loses_no_request() {
    let mut stack = Stack::new("redeploy");
    stack.set_profiles(&["replica"]);
    stack.up(&[]);
    assert_eq!(
        stack.services(false),
        sorted(&[&MANDATORY[..], &["wordpress-replica"]].concat())
    );
    // Both containers started at once on a new volume: the setup lock let one copy
    // WordPress in, and the other found it there.
    let copied: Vec<&str> = ["wordpress", "wordpress-replica"]
        .into_iter()
        .filter(|s| {
            logs(&stack.container(s)).contains(inception_wordpress::events::COPYING_WORDPRESS)
        })
        .collect();
    assert_eq!(
        copied.len(),
        1,
        "copied by {copied:?}\n{}",
        stack.all_logs()
    );
    let id = |s: &str| inspect(&stack.container(s), "{{.Id}}");
    let before = (id("wordpress"), id("wordpress-replica"));

    // Clients keep requesting an uncached page while `action` runs: all get an answer.
    let without_loss = |what: &str, action: &dyn Fn()| {
        let load = Load::start(&stack, 3);
        assert!(wait_until(Duration::from_secs(30), || load.count() >= 5));
        action();
        let statuses = load.stop_after(30);
        let failed: Vec<_> = statuses.iter().filter(|s| **s != 200).collect();
        // On failure, nginx's error log says why (and which requests it retried).
        assert!(
            failed.is_empty(),
            "{what}: {failed:?} of {}\n{}",
            statuses.len(),
            stack.nginx_errors(None).join("\n")
        );
    };
    // One container restarts: the other answers meanwhile.
    without_loss("restart", &|| {
        docker_ok(&["restart", &stack.container("wordpress")]);
        stack.wait_healthy("wordpress");
    });
    // Both replaced with new containers, one at a time.
    without_loss("redeploy", &|| {
        let o = stack.make("redeploy");
        assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    });
    let after = (id("wordpress"), id("wordpress-replica"));
    assert!(after.0 != before.0 && after.1 != before.1, "not recreated");
}

#[test]
fn with_one_wordpress_redeploy_replaces_it_and_says_requests_may_fail_meanwhile() {
    let stack = Stack::new("redeploy-one");
    stack.up(&[]);
    assert_eq!(stack.services(false), sorted(&MANDATORY));
    let before = inspect(&stack.container("wordpress"), "{{.Id}}");
    let o = stack.make("redeploy");
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    // It promises no lossless redeploy, and says how to get one.
    assert!(stdout(&o).contains("WP_REPLICAS=2"), "{}", stdout(&o));
    assert_ne!(inspect(&stack.container("wordpress"), "{{.Id}}"), before);
    assert_eq!(stack.services(false), sorted(&MANDATORY));
    assert_eq!(stack.https().get("/").status, 200);
}
