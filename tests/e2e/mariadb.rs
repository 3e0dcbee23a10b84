//! The mariadb image on its own, as a drop-in for the official one (docker run, no compose).

use std::path::Path;
use std::time::{Duration, Instant};

use inception_mariadb::events;
use inception_tests::*;

/// A password that needs escaping everywhere.
const HARD_PASSWORD: &str = "p'a\"s\\s $x %y é😀";
const ROOT_PASSWORD: &str = "r00t'\\\"pw";

/// What a test owns: a unique name (its server container's), a temporary directory and a
/// network, removed when the test ends (after its containers, which are declared later).
struct Scene {
    name: String,
    dir: TempDir,
    net: Network,
}

impl Scene {
    fn new(prefix: &str) -> Scene {
        let name = unique(prefix);
        Scene {
            dir: TempDir::new(&name),
            net: Network::new(&name),
            name,
        }
    }

    /// The directory `sub` of the scene's, created.
    fn dir(&self, sub: &str) -> String {
        self.dir.dir(sub)
    }

    /// mariadb with the test settings, its data in `data/`; `extra`: more `docker run` options.
    fn start(&self, extra: &[&str]) -> Container {
        start(&self.name, &self.net, &self.dir("data"), extra)
    }

    /// mariadb as [`Scene::start`] starts it, with `initdb` as its init scripts' directory.
    fn start_with_initdb(&self, initdb: &str) -> Container {
        let mount = format!("{initdb}:/docker-entrypoint-initdb.d:ro");
        self.start(&["-v", &mount])
    }

    /// The mariadb client in a second container, against the scene's server.
    fn client(&self, user: &str, password: Option<&str>, sql: &str) -> std::process::Output {
        client(&self.net, &self.name, user, password, sql)
    }
}

/// Starts mariadb on `net` with its data in `data`; `extra` are more `docker run` options.
fn start(name: &str, net: &Network, data: &str, extra: &[&str]) -> Container {
    let volume = volume(data);
    let root = format!("MARIADB_ROOT_PASSWORD={ROOT_PASSWORD}");
    let user_password = format!("MARIADB_PASSWORD={HARD_PASSWORD}");
    let mut args = vec![
        "--network",
        net.0.as_str(),
        "-v",
        volume.as_str(),
        "-e",
        root.as_str(),
        "-e",
        "MARIADB_DATABASE=my db_1",
        "-e",
        "MARIADB_USER=o'neil",
        "-e",
        user_password.as_str(),
        "-e",
        "MARIADB_INITDB_SKIP_TZINFO=1",
    ];
    args.extend_from_slice(extra);
    args.push(image("mariadb"));
    Container::run(name, &args)
}

/// Runs the mariadb client in a second container on `net` against `host`.
fn client(
    net: &Network,
    host: &str,
    user: &str,
    password: Option<&str>,
    sql: &str,
) -> std::process::Output {
    let mut args = vec!["run", "--rm", "--network", net.0.as_str()];
    let pwd;
    if let Some(p) = password {
        pwd = format!("MYSQL_PWD={p}");
        args.extend_from_slice(&["-e", pwd.as_str()]);
    }
    args.extend_from_slice(&[
        image("mariadb"),
        "mariadb",
        "-h",
        host,
        "-u",
        user,
        "-N",
        "-B",
        "-e",
        sql,
    ]);
    docker(&args)
}

fn root_sql(c: &Container, sql: &str) -> String {
    inception_tests::root_sql(c.name(), ROOT_PASSWORD, sql)
}

/// What the init scripts wrote to the table `runs`, in order, comma-separated.
fn runs(c: &Container) -> String {
    root_sql(
        c,
        "SELECT GROUP_CONCAT(what ORDER BY id) FROM `my db_1`.runs",
    )
    .trim()
    .to_owned()
}

/// The `docker run` volume option's value for a data directory.
fn volume(data: &str) -> String {
    format!("{data}:/var/lib/mysql")
}

/// A data directory of its own for a test that needs no network: its guard and its path.
fn data_dir(prefix: &str) -> (TempDir, String) {
    let dir = TempDir::new(&unique(prefix));
    let data = dir.dir("data");
    (dir, data)
}

/// `docker run --rm` of the image on the data directory `data`: `options` (environment),
/// then the image and `command` (none: the server).
fn run_on(data: &str, options: &[&str], command: &[&str]) -> std::process::Output {
    let volume = volume(data);
    let mut args = vec!["run", "--rm", "-v", volume.as_str()];
    args.extend_from_slice(options);
    args.push(image("mariadb"));
    args.extend_from_slice(command);
    docker(&args)
}

/// Asserts that nothing was written to the data directory `data`.
fn assert_untouched(data: &str) {
    assert_eq!(
        std::fs::read_dir(data).unwrap().count(),
        0,
        "the data directory was touched"
    );
}

#[test]
fn fresh_init_then_restart_keeps_data_and_runs_initdb_once() {
    let scene = Scene::new("mdb-init");
    let initdb = scene.dir("initdb");
    std::fs::write(
        Path::new(&initdb).join("01-table.sql"),
        "CREATE TABLE runs (id INT AUTO_INCREMENT PRIMARY KEY, what VARCHAR(20));\nINSERT INTO runs (what) VALUES ('sql');\n",
    )
    .unwrap();
    std::fs::write(
        Path::new(&initdb).join("02-script.sh"),
        "mariadb -uroot --database='my db_1' -e \"INSERT INTO runs (what) VALUES ('sh')\"\n",
    )
    .unwrap();
    let c = scene.start_with_initdb(&initdb);
    wait_healthy_via_exec(&c);
    assert_eq!(runs(&c), "sql,sh");

    docker_ok(&["restart", c.name()]);
    wait_healthy_via_exec(&c);
    assert_eq!(
        root_sql(&c, "SELECT COUNT(*) FROM `my db_1`.runs").trim(),
        "2",
        "initdb.d ran again"
    );
    let logs = c.logs();
    assert_eq!(
        logs.matches(events::FIRST_START_COMPLETE).count(),
        1,
        "initialised twice:\n{logs}"
    );
    assert!(logs.contains(events::DATABASE_PRESENT));
}

#[test]
fn root_logs_in_from_another_container_by_default_as_in_the_official_image() {
    let scene = Scene::new("mdb-roothost");
    let volume = volume(&scene.dir("data"));
    let root = format!("MARIADB_ROOT_PASSWORD={ROOT_PASSWORD}");
    // Only the root password, as the official image's simplest `docker run`.
    let c = Container::run(
        &scene.name,
        &[
            "--network",
            &scene.net.0,
            "-v",
            &volume,
            "-e",
            &root,
            "-e",
            "MARIADB_INITDB_SKIP_TZINFO=1",
            image("mariadb"),
        ],
    );
    wait_healthy_via_exec(&c);
    let o = scene.client("root", Some(ROOT_PASSWORD), "SELECT CURRENT_USER()");
    assert!(o.status.success(), "root from the network: {}", stderr(&o));
    assert_eq!(stdout(&o).trim(), "root@%");
    let o = scene.client("root", Some("wrong"), "SELECT 1");
    assert!(!o.status.success(), "root with a wrong password accepted");
}

#[test]
fn help_and_version_arguments_skip_the_setup() {
    let (_dir, data) = data_dir("mdb-help");
    // No root password: a setup would refuse to start; these only print.
    for args in [&["--version"][..], &["mariadbd", "--verbose", "--help"][..]] {
        let o = run_on(&data, &[], args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        assert!(stdout(&o).contains("mariadbd"), "{args:?}: {}", stdout(&o));
    }
    assert_untouched(&data);
}

#[test]
fn init_scripts_run_by_exec_bit_or_bash_and_compressed_sql_loads() {
    use std::os::unix::fs::PermissionsExt;
    let scene = Scene::new("mdb-initkinds");
    let initdb = Path::new(&scene.dir("initdb")).to_path_buf();
    let write = |file: &str, bytes: &[u8], mode: u32| {
        let path = initdb.join(file);
        std::fs::write(&path, bytes).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    write(
        "01-table.sql",
        b"CREATE TABLE runs (id INT AUTO_INCREMENT PRIMARY KEY, what VARCHAR(20));\n",
        0o644,
    );
    // Not executable: read by bash with the official image's helper functions.
    write(
        "02-sourced.sh",
        b"docker_process_sql -e \"INSERT INTO runs (what) VALUES ('sourced')\"\nmysql_note sourced ran\n",
        0o644,
    );
    // Executable: run as it is, by its own interpreter line.
    write(
        "03-run.sh",
        b"#!/bin/sh\nmariadb -uroot --database=\"$MARIADB_DATABASE\" -e \"INSERT INTO runs (what) VALUES ('$(basename $0)')\"\n",
        0o755,
    );
    for (file, tool) in [("04-xz.sql.xz", "xz"), ("05-zst.sql.zst", "zstd")] {
        let what = file.split('-').nth(1).unwrap().split('.').next().unwrap();
        let sql = format!("INSERT INTO runs (what) VALUES ('{what}');\n");
        let o = run(std::process::Command::new("sh").args([
            "-c",
            &format!("printf \"%s\" \"$1\" | {tool} -c"),
            "sh",
            &sql,
        ]));
        assert!(o.status.success(), "{tool}: {}", stderr(&o));
        write(file, &o.stdout, 0o644);
    }
    let c = scene.start_with_initdb(&initdb.display().to_string());
    wait_healthy_via_exec(&c);
    assert_eq!(runs(&c), "sourced,03-run.sh,xz,zst");
    assert!(c.logs().contains("[Note] [Entrypoint]: sourced ran"));
}

/// Waits for `inception-mariadb health` to succeed inside the container.
fn wait_healthy_via_exec(c: &Container) {
    let ok = wait_until(Duration::from_secs(60), || {
        c.exec(&["inception-mariadb", "health"]).status.success()
    });
    assert!(ok, "mariadb never became healthy:\n{}", c.logs());
}

#[test]
fn user_logs_in_over_the_network_and_root_and_anonymous_are_refused() {
    let scene = Scene::new("mdb-login");
    // The stack's setting: root only from inside the container.
    let c = scene.start(&["-e", "MARIADB_ROOT_HOST=localhost"]);
    wait_healthy_via_exec(&c);

    let o = scene.client(
        "o'neil",
        Some(HARD_PASSWORD),
        "SELECT CURRENT_USER(); SHOW DATABASES LIKE 'my db_1'",
    );
    assert!(o.status.success(), "user login failed: {}", stderr(&o));
    assert!(
        stdout(&o).contains("o'neil@%") && stdout(&o).contains("my db_1"),
        "{}",
        stdout(&o)
    );
    // The grant is on that database only: `_` is not a wildcard.
    let o = scene.client("o'neil", Some(HARD_PASSWORD), "CREATE DATABASE `my db11`");
    assert!(!o.status.success(), "the user can create other databases");

    let o = scene.client("root", None, "SELECT 1");
    assert!(
        !o.status.success() && stderr(&o).contains("Access denied"),
        "root without password: {}",
        stderr(&o)
    );
    let o = scene.client("root", Some(ROOT_PASSWORD), "SELECT 1");
    assert!(
        !o.status.success(),
        "root must not be reachable from the network with MARIADB_ROOT_HOST=localhost"
    );
    let o = scene.client("", None, "SELECT 1");
    assert!(!o.status.success(), "anonymous login accepted");
    assert_eq!(
        root_sql(&c, "SELECT COUNT(*) FROM mysql.user WHERE User = ''").trim(),
        "0"
    );
    assert_eq!(root_sql(&c, "SHOW DATABASES LIKE 'test'").trim(), "");
    // Locally, root has its password.
    assert_eq!(root_sql(&c, "SELECT 1").trim(), "1");
}

#[test]
fn sigterm_during_bootstrap_then_restart_gives_a_working_server() {
    let scene = Scene::new("mdb-term");
    let data = scene.dir("data");
    let initdb = scene.dir("initdb");
    // A slow init script keeps the bootstrap (temporary server running) long enough to hit.
    std::fs::write(
        Path::new(&initdb).join("01-slow.sh"),
        "echo slow-script-started; sleep 30\n",
    )
    .unwrap();
    let c = scene.start_with_initdb(&initdb);
    wait_log(c.name(), "slow-script-started", Duration::from_secs(60));

    let t = Instant::now();
    docker_ok(&["kill", "-s", "TERM", c.name()]);
    let code = wait_exit(c.name(), Duration::from_secs(20));
    assert_eq!(
        code,
        143,
        "the bootstrap must stop with 128+SIGTERM:\n{}",
        c.logs()
    );
    assert!(
        t.elapsed() < Duration::from_secs(10),
        "stopping the bootstrap took {:?}",
        t.elapsed()
    );
    assert!(
        Path::new(&data).join(".inception-initializing").exists(),
        "the interruption must be remembered"
    );

    // Same data directory, without the slow script: the next start redoes the first start.
    drop(c);
    let c = scene.start(&[]);
    wait_healthy_via_exec(&c);
    assert!(
        c.logs().contains(events::FIRST_START_REDONE),
        "{}",
        c.logs()
    );
    let o = scene.client("o'neil", Some(HARD_PASSWORD), "SELECT 1");
    assert!(
        o.status.success(),
        "user cannot log in after the redo: {}",
        stderr(&o)
    );
    assert!(!Path::new(&data).join(".inception-initializing").exists());
}

#[test]
fn sigkill_during_bootstrap_then_restart_gives_a_working_server() {
    let scene = Scene::new("mdb-kill");
    let c = scene.start(&[]);
    // Kill as soon as the system schema is being written.
    wait_log(
        c.name(),
        "initialising the system schema",
        Duration::from_secs(30),
    );
    docker_ok(&["kill", "-s", "KILL", c.name()]);
    wait_exit(c.name(), Duration::from_secs(20));
    drop(c);
    let c = scene.start(&[]);
    wait_healthy_via_exec(&c);
    let o = scene.client("o'neil", Some(HARD_PASSWORD), "SELECT 1");
    assert!(
        o.status.success(),
        "user cannot log in after the redo: {}\n{}",
        stderr(&o),
        c.logs()
    );
}

#[test]
fn docker_stop_is_clean_and_the_next_start_has_no_crash_recovery() {
    let scene = Scene::new("mdb-stop");
    let c = scene.start(&[]);
    wait_healthy_via_exec(&c);
    let t = Instant::now();
    docker_ok(&["stop", "-t", "30", c.name()]);
    let took = t.elapsed();
    eprintln!("mariadb docker stop: {took:?}");
    assert!(took < Duration::from_secs(10), "stop took {took:?}");
    assert_eq!(
        inspect(c.name(), "{{.State.ExitCode}}"),
        "0",
        "{}",
        c.logs()
    );
    assert!(c.logs().contains("Shutdown complete"));

    let before = c.logs().len();
    docker_ok(&["start", c.name()]);
    wait_healthy_via_exec(&c);
    let after = &c.logs()[before..];
    assert!(!after.to_lowercase().contains("crash recovery"), "{after}");
    assert!(after.contains(events::DATABASE_PRESENT), "{after}");
    assert!(!after.contains(events::FIRST_START_COMPLETE), "{after}");
}

#[test]
fn missing_root_password_exits_non_zero_naming_the_variable_and_touches_nothing() {
    let (_dir, data) = data_dir("mdb-nopw");
    let o = run_on(&data, &["-e", "MARIADB_DATABASE=x"], &[]);
    assert_eq!(o.status.code(), Some(78), "{}", stderr(&o));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "one line expected:\n{err}");
    assert!(err.contains("MARIADB_ROOT_PASSWORD"), "{err}");
    assert_untouched(&data);
}

#[test]
fn a_directory_that_is_not_ours_is_refused_and_kept() {
    let (_dir, data) = data_dir("mdb-foreign");
    std::fs::write(Path::new(&data).join("precious.txt"), "keep me").unwrap();
    let o = run_on(&data, &["-e", "MARIADB_ROOT_PASSWORD=x"], &[]);
    assert_exit(&o, 1, "refusing to touch them");
    assert_eq!(
        std::fs::read_to_string(Path::new(&data).join("precious.txt")).unwrap(),
        "keep me"
    );
}

#[test]
fn health_is_zero_when_up_and_non_zero_when_the_server_is_stopped() {
    let scene = Scene::new("mdb-health");
    let data = scene.dir("data");
    let c = scene.start(&[]);
    wait_healthy_via_exec(&c);
    let o = c.exec(&["inception-mariadb", "health"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stdout(&o).starts_with("healthy: InnoDB ready"),
        "{}",
        stdout(&o)
    );
    let o = c.exec(&["inception-mariadb", "health", "--json"]);
    assert_eq!(o.status.code(), Some(0));
    let verdict: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(verdict["healthy"], true, "{verdict}");
    docker_ok(&["stop", c.name()]);
    // Same data directory and credentials, no server running.
    let o = run_on(&data, &[], &["inception-mariadb", "health"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).starts_with("unhealthy: "), "{}", stdout(&o));
    assert_eq!(stdout(&o).lines().count(), 1);
    // The same verdict as JSON, for scripts.
    let o = run_on(&data, &[], &["inception-mariadb", "health", "--json"]);
    assert_eq!(o.status.code(), Some(1));
    let verdict: serde_json::Value =
        serde_json::from_str(&stdout(&o)).unwrap_or_else(|e| panic!("{e}: {}", stdout(&o)));
    assert_eq!(verdict["healthy"], false, "{verdict}");
    assert!(!verdict["message"].as_str().unwrap().is_empty());
}

#[test]
fn other_commands_run_instead_of_the_server_in_utc() {
    let o = docker(&["run", "--rm", image("mariadb"), "date", "+%Z"]);
    assert!(o.status.success());
    assert_eq!(stdout(&o).trim(), "UTC");
}
