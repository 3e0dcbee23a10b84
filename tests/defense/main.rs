//! `make test-defense`: the evaluation's defense path, in a throwaway Docker engine so that
//! it never wipes the developer's. A "node" container (tests/defense/Dockerfile: Debian 12
//! from our debian:bookworm, Debian's docker.io, sudo, make) runs dockerd under
//! inception-init as docker-in-docker; a copy of the checkout is in the home of a non-root
//! sudoer of the docker group, who types everything:
//! 0. root's `make` in a checkout of its own (/root/inception), which builds everything, then
//!    its `make fclean FORCE=1`: another user of the machine came first, and left behind
//!    whatever `make` leaves outside the data (no file of it in /tmp);
//! 1. `make`, with the host's current images loaded into the node's engine (no build): the
//!    state the evaluation finds, a site with its data under /home/<login>/data;
//! 2. the evaluation's wipe, exactly as written, then `make` again, timed: debootstrap of
//!    the base through sudo, the compile stage, the images (printed: "make after the wipe",
//!    and written to bench/results/defense.json for `make bench`);
//! 3. the evaluation's checks through the node's published port: three healthy containers,
//!    TLS 1.2 and 1.3 only, the site, the administrator's login, the writer's comment; the
//!    settings and secrets belong to the user;
//! 4. every command of USER_DOC's "Checking it by hand", as written, answers as it says; its
//!    reboot restarts the node, whose engine brings the stack back by itself.
//!
//! `DEFENSE_KEEP=1` keeps the node after the test (to look at it); it is removed otherwise,
//! with its volume and image, even when the test panics. `DEFENSE_WIPE=0` leaves out the
//! wipe and the rebuild (minutes instead of a quarter of an hour: to work on USER_DOC).

mod handcheck;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use inception_tests::*;

/// The evaluator's login on the node: a sudoer in the group docker. It names the domain
/// (`<login>.42.fr`) and the data directory, as on the VM.
const USER: &str = "evaluator";
/// The node's host name (in its hosts file, so that sudo resolves it).
const HOSTNAME: &str = "inception-vm";
/// The wipe of the evaluation sheet, as it is written there.
const WIPE: &str = "docker stop $(docker ps -qa); docker rm $(docker ps -qa); \
    docker rmi -f $(docker images -qa); docker volume rm $(docker volume ls -q); \
    docker network rm $(docker network ls -q) 2>/dev/null";
/// What a `make` may take at most, the one that builds everything included.
const MAKE_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// Where root keeps its own checkout (root's `make` comes first).
const ROOT_CHECKOUT: &str = "/root/inception";

fn checkout() -> String {
    format!("/home/{USER}/inception")
}

fn domain() -> String {
    format!("{USER}.42.fr")
}

/// The node: a docker-in-docker container with its engine's data in a volume of its own and
/// its hosts file from the test's directory (the engine rewrites a container's /etc/hosts at
/// every start; a machine's survives a reboot). Removed with its volume and image in `Drop`.
struct Node {
    name: String,
    image: String,
    volume: String,
    dir: TempDir,
    /// The host's port (on 127.0.0.1) published to the node's 443.
    port: u16,
}

impl Node {
    /// Builds the node's image and starts the node; waits until its engine answers.
    fn start() -> Node {
        let name = unique("defense-node");
        let node = Node {
            image: format!("{name}:test"),
            volume: format!("{name}-docker"),
            dir: TempDir::new(&name),
            port: free_port(),
            name,
        };
        let o = run(Command::new("docker")
            .args(["build", "-q", "-t", &node.image, "--build-arg"])
            .arg(format!("USER_NAME={USER}"))
            .arg(repo().join("tests/defense")));
        assert!(o.status.success(), "the node's image: {}", stderr(&o));
        docker_ok(&["volume", "create", &node.volume]);
        let hosts = node.dir.path().join("hosts");
        std::fs::write(
            &hosts,
            format!(
                "127.0.0.1\tlocalhost\n127.0.1.1\t{HOSTNAME}\n\
                 ::1\tlocalhost ip6-localhost ip6-loopback\n"
            ),
        )
        .unwrap();
        let mut args: Vec<String> = [
            "run",
            "-d",
            "--name",
            &node.name,
            "--hostname",
            HOSTNAME,
            // What a docker-in-docker node needs on these machines (`--privileged` is refused).
            "--cap-add",
            "ALL",
            "--cap-drop",
            "SYS_RESOURCE",
            "--security-opt",
            "seccomp=unconfined",
            "--security-opt",
            "apparmor=unconfined",
            "--device",
            "/dev/fuse",
            "--tmpfs",
            "/run",
            "-v",
            "/sys/fs/cgroup:/sys/fs/cgroup:rw",
        ]
        .map(String::from)
        .to_vec();
        args.extend([
            "-v".into(),
            format!("{}:/var/lib/docker", node.volume),
            "-v".into(),
            format!("{}:/etc/hosts", hosts.display()),
            "-p".into(),
            format!("127.0.0.1:{}:443", node.port),
        ]);
        args.extend(init_args(&node.image));
        args.push("dockerd".into());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        docker_ok(&args);
        node.wait_engine();
        node
    }

    /// Waits (bounded) until the node's engine answers; prints the node's log otherwise.
    fn wait_engine(&self) {
        let ok = wait_until(Duration::from_secs(90), || {
            docker(&["exec", &self.name, "docker", "info"])
                .status
                .success()
        });
        assert!(
            ok,
            "the node's engine does not answer; node's log:\n{}",
            logs(&self.name)
        );
    }

    /// `docker exec` as root in the node, which must succeed; returns stdout.
    fn root(&self, args: &[&str]) -> String {
        let mut all = vec!["exec", self.name.as_str()];
        all.extend_from_slice(args);
        docker_ok(&all)
    }

    /// A command run as `login` (home `home`), in `dir`, in a login's environment, bounded;
    /// stdout and stderr together.
    fn login_command(
        &self,
        login: &str,
        home: &str,
        dir: &str,
        script: &str,
        timeout: Duration,
    ) -> Command {
        let mut cmd = Command::new("docker");
        cmd.args(["exec", "-u", login, "-w", dir])
            .args([
                "-e",
                &format!("USER={login}"),
                "-e",
                &format!("LOGNAME={login}"),
            ])
            .args(["-e", &format!("HOME={home}")])
            .args([&self.name, "timeout", &timeout.as_secs().to_string()])
            .args(["bash", "-c", &format!("exec 2>&1\n{script}")]);
        cmd
    }

    /// A command run as the evaluator, in the checkout (see `login_command`).
    fn user_command(&self, script: &str, timeout: Duration) -> Command {
        self.login_command(USER, &format!("/home/{USER}"), &checkout(), script, timeout)
    }

    /// `script` as the evaluator (bash -c in the checkout); its output (stdout and stderr).
    fn user(&self, script: &str) -> Output {
        run(&mut self.user_command(script, Duration::from_secs(300)))
    }

    /// `script` as the evaluator, its output shown as it comes (`node| ` before each line);
    /// returns whether it succeeded and the output.
    fn user_shown(&self, script: &str, timeout: Duration) -> (bool, String) {
        shown(self.user_command(script, timeout))
    }

    /// `script` as root in root's checkout, shown as it comes (see `user_shown`).
    fn root_shown(&self, script: &str, timeout: Duration) -> (bool, String) {
        shown(self.login_command("root", "/root", ROOT_CHECKOUT, script, timeout))
    }

    /// The entries of the node's /tmp (a machine's /tmp is shared by its users: nothing of
    /// make's may be there).
    fn tmp_entries(&self) -> String {
        self.root(&["find", "/tmp", "-mindepth", "1", "-maxdepth", "1"])
    }
}

/// Runs `cmd`, its output shown as it comes (`node| ` before each line); returns whether it
/// succeeded and the output.
fn shown(mut cmd: Command) -> (bool, String) {
    let mut child = cmd.stdout(Stdio::piped()).spawn().unwrap();
    let mut out = String::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap_or_default();
        println!("node| {line}");
        out.push_str(&line);
        out.push('\n');
    }
    (child.wait().unwrap().success(), out)
}

impl Node {
    /// Copies the checkout (the files git knows, untracked ones included, but not the
    /// ignored ones; and vendor/, which `make vendor` filled) to `dir`, owned by `owner`.
    fn copy_checkout(&self, dir: &str, owner: &str) {
        let o = run(Command::new("git")
            .args([
                "ls-files",
                "-z",
                "--cached",
                "--others",
                "--exclude-standard",
            ])
            .current_dir(repo()));
        assert!(o.status.success(), "git ls-files: {}", stderr(&o));
        let mut list: Vec<u8> = Vec::new();
        for file in o.stdout.split(|&b| b == 0).filter(|f| !f.is_empty()) {
            let name = String::from_utf8_lossy(file);
            // Deleted but not yet committed: not in the checkout any more.
            if !name.starts_with("vendor/") && repo().join(name.as_ref()).exists() {
                list.extend_from_slice(file);
                list.push(0);
            }
        }
        list.extend_from_slice(b"vendor\0");
        self.root(&["install", "-d", "-o", owner, "-g", owner, dir]);
        let mut tar = Command::new("tar");
        tar.args(["-C"])
            .arg(repo())
            .args(["--null", "-T", "-", "-c", "-f", "-"]);
        let mut untar = Command::new("docker");
        untar.args([
            "exec", "-i", "-u", owner, &self.name, "tar", "-x", "-C", dir,
        ]);
        pipe(&mut tar, &mut untar, &list);
    }

    /// Loads host images into the node's engine (`docker save | docker load`).
    fn load(&self, images: &[&str]) {
        let mut save = Command::new("docker");
        save.arg("save").args(images);
        let mut load = Command::new("docker");
        load.args(["exec", "-i", &self.name, "docker", "load", "-q"]);
        pipe(&mut save, &mut load, &[]);
    }

    /// `docker ps -a` in the node: name and status of each container, sorted by name.
    fn containers(&self) -> Vec<(String, String)> {
        let mut list: Vec<(String, String)> = self
            .root(&["docker", "ps", "-a", "--format", "{{.Names}}\t{{.Status}}"])
            .lines()
            .filter_map(|l| l.split_once('\t'))
            .map(|(n, s)| (n.to_owned(), s.to_owned()))
            .collect();
        list.sort();
        list
    }

    /// The last lines of the log of every container of the node's engine.
    fn stack_logs(&self) -> String {
        let mut out = String::new();
        for (name, status) in self.containers() {
            let o = docker(&["exec", &self.name, "docker", "logs", "--tail", "40", &name]);
            out.push_str(&format!(
                "----- {name} ({status}) -----\n{}{}\n",
                stdout(&o),
                stderr(&o)
            ));
        }
        out
    }

    /// Waits (bounded) until the node runs exactly `names`, all healthy; prints their logs
    /// otherwise.
    fn wait_stack(&self, names: &[&str], timeout: Duration) {
        let mut last = Vec::new();
        let ok = wait_until(timeout, || {
            last = self.containers();
            last.iter()
                .map(|(n, _)| n.as_str())
                .eq(names.iter().copied())
                && last.iter().all(|(_, s)| s.contains("(healthy)"))
        });
        assert!(
            ok,
            "the node does not run exactly {names:?}, healthy, after {timeout:?}: {last:?}\n{}",
            self.stack_logs()
        );
    }

    /// The evaluation's reboot: the node stops (its engine stops the containers, as a
    /// machine's shutdown does) and starts again.
    fn reboot(&self) {
        docker_ok(&["restart", "-t", "60", &self.name]);
        self.wait_engine();
    }

    /// A setting of the evaluator's srcs/.env.
    fn setting(&self, key: &str) -> String {
        let env = self.root(&["cat", &format!("{}/srcs/.env", checkout())]);
        env.lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .unwrap_or_else(|| panic!("no {key} in the node's srcs/.env"))
            .trim()
            .to_owned()
    }

    /// A secret of the evaluator's checkout.
    fn secret(&self, name: &str) -> String {
        self.root(&["cat", &format!("{}/secrets/{name}.txt", checkout())])
    }

    fn https(&self, jar: &str) -> Https {
        Https::new(&domain(), self.port, &self.dir.path().join(jar))
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if std::env::var("DEFENSE_KEEP").as_deref() == Ok("1") {
            eprintln!(
                "defense: kept the node {} (volume {}, image {}, published on 127.0.0.1:{})",
                self.name, self.volume, self.image, self.port
            );
            return;
        }
        // A clean stop first: the node's engine stops its containers and removes their
        // cgroups (shared with the host's through /sys/fs/cgroup).
        let _ = docker(&["stop", "-t", "60", &self.name]);
        let _ = docker(&["rm", "-f", "-v", &self.name]);
        let _ = docker(&["volume", "rm", &self.volume]);
        let _ = docker(&["rmi", &self.image]);
    }
}

/// `from | to`, with `input` written to `from`'s stdin; both must succeed.
fn pipe(from: &mut Command, to: &mut Command, input: &[u8]) {
    let mut first = from
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {from:?}: {e}"));
    let second = to
        .stdin(first.stdout.take().unwrap())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {to:?}: {e}"));
    let mut stdin = first.stdin.take().unwrap();
    stdin.write_all(input).unwrap();
    drop(stdin);
    let b = second.wait_with_output().unwrap();
    let a = first.wait_with_output().unwrap();
    assert!(a.status.success(), "{from:?}: {}", stderr(&a));
    assert!(b.status.success(), "{to:?}: {}{}", stdout(&b), stderr(&b));
}

/// The first `make`: the host's images of the mandatory services (current with the
/// checkout: `make test-defense` builds them first) and the base are loaded into the node, so
/// that `make` builds nothing. Returns its output.
fn first_make(node: &Node) -> String {
    let mut images = vec![BASE.to_owned()];
    images.extend(MANDATORY.iter().map(|s| image(s).to_owned()));
    let images: Vec<&str> = images.iter().map(String::as_str).collect();
    node.load(&images);
    // `make` in the node uses the default tag.
    if tag() != "inception" {
        for s in MANDATORY {
            node.root(&["docker", "tag", image(s), &format!("{s}:inception")]);
            node.root(&["docker", "rmi", image(s)]);
        }
    }
    let t = Instant::now();
    let (ok, out) = node.user_shown("make", MAKE_TIMEOUT);
    assert!(ok, "make failed in the node\n{}", node.stack_logs());
    println!(
        "defense: first make (images loaded): {:.0} s",
        t.elapsed().as_secs_f64()
    );
    assert!(
        out.contains("nothing to build"),
        "the first make built images: the host's are not current with the checkout \
         (run `make build` first)"
    );
    out
}

#[test]
fn after_the_evaluations_wipe_make_as_a_sudoer_rebuilds_the_site_and_every_check_passes() {
    let node = Node::start();
    let before_anything = node.tmp_entries();
    root_make_then_fclean(&node);
    node.copy_checkout(&checkout(), USER);

    // The evaluation's starting point: a site with its data.
    first_make(&node);
    node.wait_stack(&sorted(&MANDATORY), Duration::from_secs(60));
    let before = format!("Written before the wipe ({})", unique("c"));
    let writer_password = node.secret("wp_user_password");
    let writer_login = node.setting("WP_USER");
    post_comment(
        &node.https("before"),
        &writer_login,
        &writer_password,
        &before,
    );

    // The wipe, as the evaluation sheet writes it, then make, timed.
    if std::env::var("DEFENSE_WIPE").as_deref() == Ok("0") {
        println!("defense: DEFENSE_WIPE=0: no wipe, the checks run on the first make's stack");
        // WordPress refuses a second comment from the same address within 15 s.
        std::thread::sleep(Duration::from_secs(16));
    } else {
        wipe_then_make(&node);
    }

    // The evaluation's checks, from the host through the node's published port.
    node.wait_stack(&sorted(&MANDATORY), Duration::from_secs(60));
    let (port, domain) = (node.port, domain());
    assert!(tls_handshake(port, &domain, "-tls1_2"), "TLS 1.2 refused");
    assert!(tls_handshake(port, &domain, "-tls1_3"), "TLS 1.3 refused");
    assert!(!tls_handshake(port, &domain, "-tls1_1"), "TLS 1.1 accepted");
    assert!(!tls_handshake(port, &domain, "-tls1"), "TLS 1.0 accepted");
    let front = node.https("front").get("/");
    assert_eq!(front.status, 200, "{}", node.stack_logs());
    assert!(
        front.body.contains("wp-content"),
        "the front page is not WordPress's:\n{}",
        front.body
    );
    let admin = node.https("admin");
    assert!(
        admin.login(
            &node.setting("WP_ADMIN_USER"),
            &node.secret("wp_admin_password")
        ),
        "the administrator cannot log in"
    );
    assert_eq!(admin.get("/wp-admin/").status, 200);
    let writer = node.https("writer");
    let after = format!("Written after the wipe ({})", unique("c"));
    post_comment(&writer, &writer_login, &writer_password, &after);
    let post = writer.first_post();
    assert!(post.contains(&after), "the writer's comment does not show");
    assert!(
        post.contains(&before),
        "the comment written before the wipe is gone"
    );

    // Neither root's make nor the evaluator's left anything in the machine's shared /tmp.
    assert_eq!(
        node.tmp_entries(),
        before_anything,
        "make left files in /tmp (another user's make would meet them)"
    );

    // What make wrote belongs to the user who typed it.
    let owners = node.user("stat -c '%U %n' srcs/.env secrets secrets/*");
    for line in stdout(&owners).lines() {
        assert!(
            line.starts_with(&format!("{USER} ")),
            "not the user's: {line}\n{}",
            stdout(&owners)
        );
    }
    assert!(stdout(&owners).contains("secrets/db_password.txt"));

    // USER_DOC's hand checks, as written.
    let failures = hand_checks(&node);

    // The reboot kept what was written.
    assert!(
        node.https("reboot").first_post().contains(&after),
        "the comment is gone after the reboot"
    );
    assert!(
        failures.is_empty(),
        "{} of USER_DOC's hand checks answered otherwise:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Another user came first: root's `make`, in a checkout of root's, builds every image and
/// starts root's site (root.42.fr, data under /home/root/data); then root's `make fclean
/// FORCE=1` takes it all away but what make leaves outside the data, which the evaluator's
/// makes then meet.
fn root_make_then_fclean(node: &Node) {
    node.copy_checkout(ROOT_CHECKOUT, "root");
    let t = Instant::now();
    let (ok, out) = node.root_shown("make", MAKE_TIMEOUT);
    assert!(ok, "root's make failed in the node\n{}", node.stack_logs());
    println!(
        "defense: root's make (builds everything): {:.0} s",
        t.elapsed().as_secs_f64()
    );
    assert!(
        out.contains("Inception is up: https://root.42.fr"),
        "root's make did not start root's site"
    );
    assert!(
        out.contains("build: images ready"),
        "root's make built nothing: it must write its build logs"
    );
    let (ok, _) = node.root_shown("make fclean FORCE=1", Duration::from_secs(300));
    assert!(ok, "root's make fclean failed");
    assert!(
        node.containers().is_empty(),
        "root's fclean left containers"
    );
}

/// The evaluation's wipe, then `make`, timed (it builds everything: the base, the compile
/// stage, the images).
fn wipe_then_make(node: &Node) {
    let (_, wiped) = node.user_shown(WIPE, Duration::from_secs(300));
    assert!(
        node.containers().is_empty(),
        "containers left after the wipe: {wiped}"
    );
    let images = node.root(&["docker", "images", "-qa"]);
    assert!(
        images.trim().is_empty(),
        "images left after the wipe: {images}"
    );
    let t = Instant::now();
    let (ok, _) = node.user_shown("make", MAKE_TIMEOUT);
    let seconds = t.elapsed().as_secs_f64();
    println!("defense: make after the wipe: {seconds:.0} s");
    assert!(
        ok,
        "make after the wipe failed after {seconds:.0} s\n{}",
        node.stack_logs()
    );
    assert!(
        seconds < 30.0 * 60.0,
        "make after the wipe took {seconds:.0} s"
    );
    // For `make bench`, which reports it.
    let results = repo().join("bench/results");
    std::fs::create_dir_all(&results).unwrap();
    let when = stdout(&run(Command::new("date").args(["-u", "+%F %R UTC"])));
    let json = serde_json::json!({ "make_after_wipe_s": seconds.round(), "when": when.trim() });
    std::fs::write(results.join("defense.json"), json.to_string()).unwrap();
}

/// Runs every step of USER_DOC.md's "Checking it by hand" in the node, as the evaluator in
/// the checkout; returns a report of each answer that differs from the expected one (all of
/// them run: later checks still say something after a failed one).
fn hand_checks(node: &Node) -> Vec<String> {
    let doc = std::fs::read_to_string(repo().join("USER_DOC.md")).unwrap();
    let steps = handcheck::parse(&doc, "Checking it by hand");
    assert!(steps.len() > 10, "too few hand checks: {steps:?}");
    let mut failures = Vec::new();
    for step in steps {
        match step {
            handcheck::Step::Reboot { line } => {
                println!("defense: USER_DOC.md:{line}: reboot (the node restarts)");
                node.reboot();
                let hosts = node.root(&["getent", "hosts", &domain()]);
                assert!(
                    hosts.starts_with("127.0.0.1"),
                    "{} does not resolve after the reboot: {hosts}",
                    domain()
                );
            }
            handcheck::Step::Run {
                command,
                expected,
                line,
            } => {
                let o = node.user(&command);
                let out = stdout(&o);
                let ok = handcheck::matches(&expected, &out, USER);
                println!(
                    "defense: USER_DOC.md:{line}: {} $ {command}",
                    if ok { "ok  " } else { "FAIL" }
                );
                if !ok {
                    failures.push(format!(
                        "USER_DOC.md:{line}: $ {command}\n  expected:\n    {}\n  answer ({}):\n    {}",
                        expected.join("\n    "),
                        o.status,
                        out.trim_end().replace('\n', "\n    ")
                    ));
                }
            }
        }
    }
    failures
}
