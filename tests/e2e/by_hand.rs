//! What an evaluator types by hand works as typed: each service's own configuration check
//! inside its container, `ps`/`pgrep`/`pkill` in every image, a kill of the main process by
//! name that ends in a restart, and `make fclean` leaving nothing of the project behind.

use std::process::Command;
use std::time::{Duration, Instant};

use inception_core::pid1::ExitStatus;
use inception_mariadb::events;
use inception_tests::*;

/// stdout and stderr of a command, for messages.
fn both(o: &std::process::Output) -> String {
    format!("{}{}", stdout(o), stderr(o))
}

#[test]
fn service_checks_typed_in_the_containers_pass_on_the_running_configuration() {
    let stack = Stack::new("typed-checks");
    stack.up(&[]);

    // nginx: -t and -T read the configuration nginx was started with (the one rendered at
    // start, which names the stack's domain), as root on the read-only root filesystem.
    let o = stack.exec("nginx", &["nginx", "-t"]);
    assert!(o.status.success(), "nginx -t: {}", both(&o));
    assert!(
        stderr(&o).contains("configuration file /etc/nginx/nginx.conf test is successful"),
        "{}",
        both(&o)
    );
    let o = stack.exec("nginx", &["nginx", "-T"]);
    assert!(o.status.success(), "nginx -T: {}", both(&o));
    let server_name = format!("server_name {};", stack.domain());
    assert!(stdout(&o).contains(&server_name), "{}", stdout(&o));

    // nginx -s reload: the master re-reads it and replaces its workers, without a restart.
    let nginx = stack.container("nginx");
    let master = stdout(&stack.exec("nginx", &["cat", "/run/nginx/nginx.pid"]))
        .trim()
        .to_owned();
    let workers = || stdout(&stack.exec("nginx", &["pgrep", "-P", &master]));
    let before = workers();
    assert!(!before.trim().is_empty(), "no worker under {master}");
    let o = stack.exec("nginx", &["nginx", "-s", "reload"]);
    assert!(o.status.success(), "nginx -s reload: {}", both(&o));
    let replaced = wait_until(Duration::from_secs(15), || {
        let now = workers();
        !now.trim().is_empty() && now.lines().all(|pid| !before.lines().any(|b| b == pid))
    });
    assert!(replaced, "workers {before:?} still there: {}", workers());
    assert_eq!(
        stdout(&stack.exec("nginx", &["cat", "/run/nginx/nginx.pid"])).trim(),
        master
    );
    assert_eq!(restart_count(&nginx), 0);
    assert_eq!(stack.https().get("/").status, 200);

    // php-fpm's check reads the configuration php-fpm runs with (the default, and our pool).
    let o = stack.exec("wordpress", &["php-fpm8.2", "-t"]);
    assert!(o.status.success(), "php-fpm8.2 -t: {}", both(&o));
    assert!(both(&o).contains("test is successful"), "{}", both(&o));

    // MariaDB 10.11 has no --validate-config (MySQL's): --help --verbose reads every option
    // file and option, prints the values the server would use, and fails on an unknown one.
    let o = stack.exec("mariadb", &["mariadbd", "--help", "--verbose"]);
    assert!(
        o.status.success(),
        "mariadbd --help --verbose: {}",
        stderr(&o)
    );
    assert!(!stderr(&o).contains("[ERROR]"), "{}", stderr(&o));
    assert!(
        stdout(&o)
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["query-cache-size", "33554432"]),
        "our 90-inception.cnf is not in the values"
    );
    let o = stack.exec(
        "mariadb",
        &["mariadbd", "--no-such-option", "--help", "--verbose"],
    );
    assert!(!o.status.success(), "an unknown option passed the check");

    // And the checks do test that file: nginx -t fails once it is broken.
    let o = stack.exec(
        "nginx",
        &[
            "sh",
            "-c",
            "echo 'no_such_directive on;' >> /run/nginx/nginx.conf",
        ],
    );
    assert!(o.status.success(), "{}", both(&o));
    let o = stack.exec("nginx", &["nginx", "-t"]);
    assert!(
        !o.status.success(),
        "nginx -t passed a broken configuration"
    );
    assert!(stderr(&o).contains("no_such_directive"), "{}", both(&o));
}

#[test]
fn ps_pgrep_and_pkill_are_in_every_image() {
    for s in all_services() {
        let o = docker(&[
            "run",
            "--rm",
            "--entrypoint",
            "sh",
            image(s),
            "-c",
            "ps -o comm= -p $$ && pgrep -x sh && command -v pkill",
        ]);
        assert!(o.status.success(), "{s}: {}", both(&o));
        let out = stdout(&o);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 3, "{s}: {out}");
        assert_eq!(lines[0], "sh", "{s}: {out}");
    }
}

#[test]
fn killing_the_main_process_by_name_restarts_the_container_healthy_and_loses_nothing() {
    let stack = Stack::new("pkill");
    stack.up(&[]);
    stack.comment("Written before the kills by name");
    let users = stack.sql("SELECT user_login FROM wordpress.wp_users ORDER BY ID");
    // What evaluation guides type (mariadbd where they write mysqld: MariaDB's name).
    for (s, program) in [
        ("mariadb", "mariadbd"),
        ("wordpress", "php-fpm"),
        ("nginx", "nginx"),
    ] {
        let c = stack.container(s);
        // PID 1 is our entrypoint, the service its child: a SIGKILL from inside the
        // container reaches the child (PID 1 would be shielded from it by the kernel).
        let init = stdout(&stack.exec(s, &["ps", "-o", "comm=", "-p", "1"]));
        assert!(
            init.trim().starts_with("inception-"),
            "{s}: PID 1 is {init}"
        );
        let o = stack.exec(s, &["pgrep", "-P", "1", program]);
        assert!(o.status.success(), "{s}: {program} is not PID 1's child");

        let before = restart_count(&c);
        let t = Instant::now();
        let o = stack.exec(s, &["pkill", "-9", program]);
        assert!(
            killed_the_main_process(&o),
            "{s}: pkill -9 {program}: {:?} {}",
            o.status,
            both(&o)
        );
        assert!(
            wait_until(Duration::from_secs(60), || restart_count(&c) > before),
            "{s} was not restarted after pkill -9 {program}\n{}",
            stack.all_logs()
        );
        stack.wait_healthy(s);
        eprintln!(
            "{s}: healthy again {:?} after pkill -9 {program}",
            t.elapsed()
        );
        // The entrypoint reported how its service ended before exiting with 128 + 9.
        assert!(
            logs(&c).contains(&ExitStatus::Signal(9).to_string()),
            "{s}: {}",
            logs(&c)
        );
    }
    for s in MANDATORY {
        stack.wait_healthy(s);
    }
    assert!(
        stack.comment_shows("Written before the kills by name"),
        "{}",
        stack.all_logs()
    );
    assert_eq!(
        stack.sql("SELECT user_login FROM wordpress.wp_users ORDER BY ID"),
        users
    );
    // InnoDB recovered what it had to, and the first start did not run again.
    assert_eq!(
        logs(&stack.container("mariadb"))
            .matches(events::FIRST_START_COMPLETE)
            .count(),
        1
    );
}

/// Images tagged for one test, removed in `Drop` whatever happened.
struct Images(Vec<String>);

impl Drop for Images {
    fn drop(&mut self) {
        for image in &self.0 {
            let _ = docker(&["image", "rm", image]);
        }
    }
}

/// Whether the engine has `image` (a name or an id).
fn exists(image: &str) -> bool {
    docker(&["image", "inspect", image]).status.success()
}

/// `docker <what> ls` of the project's objects (by compose's label), one per line.
fn listed(what: &str, project: &str) -> String {
    let label = format!("label=com.docker.compose.project={project}");
    let mut args = vec![what, "ls", "-q", "--filter", &label];
    if what == "container" {
        args.push("--all");
    }
    docker_ok(&args)
}

#[test]
fn fclean_leaves_nothing_of_the_project_and_clean_keeps_only_the_data_and_the_base_image() {
    let mut stack = Stack::new("fclean");
    // Its own copies of every image: the tagged service images, the base image and a
    // build-stage cache image under a label of its own. The engine's real base image and
    // cache serve other builds: this test must not remove them (the Makefile's BASE_IMAGE
    // and STAGE_LABEL say which ones fclean removes).
    let tag = stack.project.clone();
    let base = format!("{tag}-base:bookworm");
    let label = format!("org.inception.test-{tag}");
    let mut images = Images(Vec::new());
    for s in all_services() {
        let copy = format!("{s}:{tag}");
        docker_ok(&["tag", image(s), &copy]);
        images.0.push(copy);
    }
    docker_ok(&["tag", BASE, &base]);
    images.0.push(base.clone());
    let o = run(Command::new("sh").args([
        "-c",
        "printf 'FROM %s\\nLABEL %s=compile\\n' \"$1\" \"$2\" | docker build -q -",
        "sh",
        BASE,
        &label,
    ]));
    assert!(o.status.success(), "{}", both(&o));
    let cache = stdout(&o).trim().to_owned();
    images.0.push(cache.clone());

    stack.set("TAG", &tag);
    stack.up(&[]);
    let env_file = stack.dir.path().join("env");
    std::fs::write(&env_file, "").unwrap();
    let make = |target: &str| {
        let o = run(stack
            .make_command(target)
            .arg(format!("TAG={tag}"))
            .arg(format!("BASE_IMAGE={base}"))
            .arg(format!("STAGE_LABEL={label}"))
            .arg(format!("ENV_FILE={}", env_file.display()))
            .arg("FORCE=1"));
        assert!(o.status.success(), "make {target}: {}", both(&o));
        stdout(&o)
    };

    // clean: containers, network, the images and the cache go; the data, the volumes and
    // the base image stay, and it says so.
    let out = make("clean");
    assert!(out.contains(&format!("clean: kept {base}")), "{out}");
    assert_eq!(listed("container", &stack.project), "");
    assert_eq!(listed("network", &stack.project), "");
    for s in all_services() {
        assert!(!exists(&format!("{s}:{tag}")), "{s}:{tag} left by clean");
    }
    assert!(!exists(&cache), "the build cache was left by clean");
    assert!(exists(&base), "clean removed the base image");
    assert_ne!(listed("volume", &stack.project), "");
    assert!(stack.data().join("mariadb").read_dir().unwrap().count() > 0);

    // fclean: nothing of the project stays, the base image included; DATA_DIR is empty.
    let out = make("fclean");
    assert!(out.contains(&format!("fclean: {base} removed")), "{out}");
    assert_eq!(listed("container", &stack.project), "");
    assert_eq!(listed("network", &stack.project), "");
    assert_eq!(listed("volume", &stack.project), "");
    assert!(!exists(&base), "fclean left the base image");
    let left: Vec<_> = std::fs::read_dir(stack.data())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "left in DATA_DIR: {left:?}");
    // What other builds use is still there.
    assert!(exists(BASE) && exists(image("mariadb")));
}
