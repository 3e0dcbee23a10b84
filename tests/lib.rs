//! The end-to-end harness: guards that own a throwaway compose project or container (their
//! own names, data directory and secrets) and remove it in `Drop`, even when a test panics;
//! bounded waits that print the containers' logs when they fail; and small clients (curl,
//! openssl, the mariadb client inside a container) to look at the real services.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// The tag of the images under test (`make build TAG=...`; compose's `${TAG:-inception}`).
pub fn tag() -> &'static str {
    static TAG: OnceLock<String> = OnceLock::new();
    TAG.get_or_init(|| std::env::var("TAG").unwrap_or_else(|_| "inception".into()))
}

/// The image of a service under test, built by `make build` before the suite runs.
pub fn image(service: &str) -> &'static str {
    static NAMES: OnceLock<std::sync::Mutex<HashMap<String, &'static str>>> = OnceLock::new();
    let mut names = NAMES.get_or_init(Default::default).lock().unwrap();
    names
        .entry(service.to_owned())
        .or_insert_with(|| Box::leak(format!("{service}:{}", tag()).into_boxed_str()))
}
/// An older WordPress than the image's, as one of Debian's suites ships it: what the upgrade
/// tests and the bench start from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OlderWordPress {
    /// 6.1, Debian bookworm's (`WORDPRESS_SUITE=bookworm`).
    V6_1,
    /// 6.8, Debian trixie's, the stable release's (`WORDPRESS_SUITE=trixie`).
    V6_8,
}

impl OlderWordPress {
    /// The Debian suite that ships it.
    pub fn suite(self) -> &'static str {
        match self {
            Self::V6_1 => "bookworm",
            Self::V6_8 => "trixie",
        }
    }

    /// Its major version, as `$wp_version` starts.
    pub fn major(self) -> &'static str {
        match self {
            Self::V6_1 => "6.1",
            Self::V6_8 => "6.8",
        }
    }

    /// The wordpress image with this WordPress: built once per run from the same Dockerfile
    /// (`--build-arg WORDPRESS_SUITE`); the layer cache makes it quick after `make build`.
    pub fn image(self) -> &'static str {
        static IMAGES: OnceLock<std::sync::Mutex<HashMap<OlderWordPress, &'static str>>> =
            OnceLock::new();
        let mut images = IMAGES.get_or_init(Default::default).lock().unwrap();
        images.entry(self).or_insert_with(|| {
            let name = format!("wordpress:{}-{}", tag(), self.major());
            let o = run(Command::new("docker")
                .args(["build", "-q", "--build-arg"])
                .arg(format!("WORDPRESS_SUITE={}", self.suite()))
                .args([
                    "-t",
                    &name,
                    "-f",
                    "srcs/requirements/wordpress/Dockerfile",
                    ".",
                ])
                .current_dir(repo()));
            assert!(o.status.success(), "cannot build {name}: {}", stderr(&o));
            Box::leak(name.into_boxed_str())
        })
    }
}

/// The image every service image starts from.
pub const BASE: &str = "debian:bookworm";
/// The services `make` runs: the subject's three (the layout test checks that compose agrees).
pub const MANDATORY: [&str; 3] = ["mariadb", "wordpress", "nginx"];

/// What docker-compose.yml says about the stack (`srcs/tools/compose-facts.sh WHAT`, which
/// the Makefile and the scripts read too): one name per line, read once per run.
pub fn compose_facts(what: &str) -> &'static [&'static str] {
    static FACTS: OnceLock<std::sync::Mutex<HashMap<String, &'static [&'static str]>>> =
        OnceLock::new();
    let mut facts = FACTS.get_or_init(Default::default).lock().unwrap();
    facts.entry(what.to_owned()).or_insert_with(|| {
        let o = run(Command::new(repo().join("srcs/tools/compose-facts.sh")).arg(what));
        assert!(
            o.status.success(),
            "compose-facts.sh {what}: {}",
            stderr(&o)
        );
        let names: Vec<&'static str> = stdout(&o)
            .lines()
            .map(|l| &*Box::leak(l.to_owned().into_boxed_str()))
            .collect();
        assert!(!names.is_empty(), "compose-facts.sh {what}: nothing");
        names.leak()
    })
}

/// Every service, the mandatory ones first: what `make bonus` runs, one Dockerfile each
/// (`srcs/requirements/<service>/Dockerfile`).
pub fn all_services() -> &'static [&'static str] {
    compose_facts("services")
}

/// The repository's root (where docker-compose.yml is).
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// `inception-init` built on this host, static like the images' binaries, in a target
/// directory of its own (the one of the running `cargo test` is locked). Built once per run.
pub fn init_binary() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let host = stdout(&run(Command::new("rustc").arg("-vV")))
            .lines()
            .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
            .expect("rustc -vV names no host");
        let dir = repo().join("target/static");
        let o = run(Command::new("cargo")
            .args(["build", "--quiet", "--locked", "-p", "inception-init"])
            .args(["--target", &host, "--target-dir"])
            .arg(&dir)
            .env("RUSTFLAGS", "-C target-feature=+crt-static")
            .current_dir(repo()));
        assert!(
            o.status.success(),
            "cannot build inception-init: {}",
            stderr(&o)
        );
        dir.join(host).join("debug/inception-init")
    })
}

/// `docker run` arguments that run `inception-init` (see [`init_binary`]) as PID 1 of a
/// container of the base image: options, then the image; the init's arguments follow.
pub fn init_container_args() -> Vec<String> {
    init_args(BASE)
}

/// The same as [`init_container_args`] for a container of `image`.
pub fn init_args(image: &str) -> Vec<String> {
    let mount = format!(
        "{}:/usr/local/bin/inception-init:ro",
        init_binary().display()
    );
    ["-v", &mount, "--entrypoint", "inception-init", image]
        .map(String::from)
        .to_vec()
}

static SEQ: AtomicU32 = AtomicU32::new(0);

/// A name unique to this test run: `it<pid><n>-<what>`.
pub fn unique(what: &str) -> String {
    format!(
        "it{}{}-{what}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::SeqCst)
    )
}

/// `query` run as MariaDB's root in `container` (`docker exec`, the client inside): its rows,
/// tab-separated, without column names. Panics when it fails.
pub fn root_sql(container: &str, root_password: &str, query: &str) -> String {
    let o = run(Command::new("docker")
        .args(["exec", "-e", &format!("MYSQL_PWD={root_password}")])
        .args([container, "mariadb", "-uroot", "-N", "-B", "-e", query]));
    assert!(o.status.success(), "sql {query:?} failed: {}", stderr(&o));
    stdout(&o)
}

/// Runs a command and returns its output (never panics on a non-zero status).
pub fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// Text of stdout.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Text of stderr.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `docker ARGS`.
/// Whether a `docker exec` whose command kills the container's main process did its work:
/// it exited 0, or it was itself killed (128 + SIGKILL) because that death ended PID 1 and
/// the kernel then killed everything else in the container. Either way, printing nothing.
pub fn killed_the_main_process(o: &Output) -> bool {
    (o.status.success() || o.status.code() == Some(137))
        && o.stdout.is_empty()
        && o.stderr.is_empty()
}

pub fn docker(args: &[&str]) -> Output {
    run(Command::new("docker").args(args))
}

/// `docker ARGS`, which must succeed; returns stdout.
pub fn docker_ok(args: &[&str]) -> String {
    let o = docker(args);
    assert!(
        o.status.success(),
        "docker {args:?} failed: {}{}",
        stdout(&o),
        stderr(&o)
    );
    stdout(&o)
}

/// `docker inspect -f FORMAT NAME`, trimmed.
pub fn inspect(name: &str, format: &str) -> String {
    stdout(&docker(&["inspect", "-f", format, name]))
        .trim()
        .to_owned()
}

/// Logs of a container, stdout and stderr together.
pub fn logs(name: &str) -> String {
    let o = docker(&["logs", name]);
    format!("{}{}", stdout(&o), stderr(&o))
}

/// Polls `check` every 200 ms until it returns true or `timeout` passes.
pub fn wait_until(timeout: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if check() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Waits until `container` is healthy; panics with its logs otherwise.
pub fn wait_healthy(container: &str, timeout: Duration) {
    let ok = wait_until(timeout, || {
        inspect(container, "{{.State.Health.Status}}") == "healthy"
    });
    assert!(
        ok,
        "{container} not healthy after {timeout:?}; logs:\n{}",
        logs(container)
    );
}

/// How many times the engine has restarted `container` (its restart policy).
pub fn restart_count(container: &str) -> u32 {
    inspect(container, "{{.RestartCount}}").parse().unwrap()
}

/// Waits until `container` has exited; returns its exit code.
pub fn wait_exit(container: &str, timeout: Duration) -> i32 {
    let ok = wait_until(timeout, || {
        inspect(container, "{{.State.Running}}") == "false"
    });
    assert!(
        ok,
        "{container} still running after {timeout:?}; logs:\n{}",
        logs(container)
    );
    inspect(container, "{{.State.ExitCode}}").parse().unwrap()
}

/// The first of `len` consecutive TCP ports free on the host now, below the kernel's
/// ephemeral range (32768 and up, where the tests' own client connections take theirs),
/// starting from a place that differs per process and per `n`.
pub fn free_range(n: u32, len: u16) -> u16 {
    let slots = (32000 - 20000) / len as u32;
    let first = (std::process::id() * 7 + n * 13) % slots;
    (0..slots)
        .map(|i| 20000 + ((first + i) % slots) as u16 * len)
        .find(|&base| {
            (base..base + len).all(|p| std::net::TcpListener::bind(("0.0.0.0", p)).is_ok())
        })
        .expect("no free port range")
}

/// A free TCP port on the host.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A directory under /tmp owned by a test, removed in `Drop`.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let path = std::env::temp_dir().join("inception-e2e").join(name);
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// `self/rel` as a string, created as a directory.
    pub fn dir(&self, rel: &str) -> String {
        let p = self.0.join(rel);
        std::fs::create_dir_all(&p).unwrap();
        p.to_string_lossy().into_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A user-defined network, removed in `Drop`.
pub struct Network(pub String);

impl Network {
    pub fn new(name: &str) -> Network {
        docker_ok(&["network", "create", name]);
        Network(name.to_owned())
    }
}

impl Drop for Network {
    fn drop(&mut self) {
        let _ = docker(&["network", "rm", &self.0]);
    }
}

/// A container started with `docker run -d`, removed (with its anonymous volumes) in `Drop`.
pub struct Container(pub String);

impl Container {
    /// `docker run -d --name NAME ARGS...` (ARGS: options, image, command).
    pub fn run(name: &str, args: &[&str]) -> Container {
        let _ = docker(&["rm", "-f", "-v", name]);
        let mut all = vec!["run", "-d", "--name", name];
        all.extend_from_slice(args);
        docker_ok(&all);
        Container(name.to_owned())
    }

    pub fn name(&self) -> &str {
        &self.0
    }

    pub fn logs(&self) -> String {
        logs(&self.0)
    }

    /// `docker exec NAME ARGS...`.
    pub fn exec(&self, args: &[&str]) -> Output {
        let mut all = vec!["exec", self.0.as_str()];
        all.extend_from_slice(args);
        docker(&all)
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        let _ = docker(&["rm", "-f", "-v", &self.0]);
    }
}

/// How compose is invoked here: v2 plugin when present, else v1.
fn compose_command() -> Vec<String> {
    let v2 = Command::new("docker")
        .args(["compose", "version"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if v2 {
        vec!["docker".into(), "compose".into()]
    } else {
        vec!["docker-compose".into()]
    }
}

/// The secrets the stack reads.
pub fn secrets() -> &'static [&'static str] {
    compose_facts("secrets")
}

/// A throwaway copy of the whole stack: its own compose project, container names, data
/// directory, secrets and HTTPS port. `down -v` and the data are removed in `Drop`.
pub struct Stack {
    pub project: String,
    pub dir: TempDir,
    pub env: HashMap<String, String>,
    compose: Vec<String>,
    /// Services run from another image than the one under test (see [`Stack::use_image`]).
    images: HashMap<String, String>,
}

impl Stack {
    /// A new stack (nothing started) with default settings and random secrets.
    pub fn new(what: &str) -> Stack {
        let project = unique(what);
        let dir = TempDir::new(&project);
        let data = dir.dir("data");
        for name in compose_facts("data-dirs") {
            dir.dir(&format!("data/{name}"));
        }
        let secrets = dir.dir("secrets");
        for name in compose_facts("secrets") {
            // A password with characters that need escaping in SQL, PHP and option files.
            let value = format!(
                "{}-Q'\"\\$%é {name}",
                inception_core::random::password(12).unwrap()
            );
            std::fs::write(Path::new(&secrets).join(format!("{name}.txt")), value).unwrap();
        }
        // A passive range for the bonus ftp service, distinct per stack of this run.
        let n = SEQ.fetch_add(1, Ordering::SeqCst);
        let pasv = free_range(n, 5);
        let env: HashMap<String, String> = [
            ("DATA_DIR", data.as_str()),
            ("SECRETS_DIR", secrets.as_str()),
            ("DOMAIN_NAME", &format!("{project}.42.fr")),
            ("HTTPS_PORT", &free_port().to_string()),
            ("CONTAINER_PREFIX", &format!("{project}-")),
            ("WP_TITLE", "Inception E2E"),
            ("WP_ADMIN_USER", "webmaster"),
            ("WP_ADMIN_EMAIL", "webmaster@example.com"),
            ("WP_USER", "writer"),
            ("WP_USER_EMAIL", "writer@example.com"),
            ("WP_USER_ROLE", "author"),
            ("MYSQL_DATABASE", "wordpress"),
            ("MYSQL_USER", "wordpress"),
            ("LOG_FORMAT", "human"),
            // The mandatory services only, unless a test asks for the bonus ones ("bonus")
            // or the second WordPress container ("replica").
            ("COMPOSE_PROFILES", ""),
            ("WP_REDIS_HOST", ""),
            // The bonus ftp service publishes ports: unique ones per stack.
            ("FTP_PORT", &free_port().to_string()),
            ("FTP_PASV_MIN", &pasv.to_string()),
            ("FTP_PASV_MAX", &(pasv + 4).to_string()),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        Stack {
            project,
            dir,
            env,
            compose: compose_command(),
            images: HashMap::new(),
        }
    }

    /// Changes a setting (takes effect at the next `up`).
    pub fn set(&mut self, key: &str, value: &str) {
        self.env.insert(key.into(), value.into());
    }

    pub fn domain(&self) -> &str {
        &self.env["DOMAIN_NAME"]
    }

    pub fn port(&self) -> u16 {
        self.env["HTTPS_PORT"].parse().unwrap()
    }

    pub fn data(&self) -> PathBuf {
        PathBuf::from(&self.env["DATA_DIR"])
    }

    /// The value of a secret.
    pub fn secret(&self, name: &str) -> String {
        std::fs::read_to_string(Path::new(&self.env["SECRETS_DIR"]).join(format!("{name}.txt")))
            .unwrap()
    }

    /// Container name of a service.
    pub fn container(&self, service: &str) -> String {
        format!("{}-{service}", self.project)
    }

    /// Runs `service` from `image` at its next `up` (an override file beside the stack's
    /// data); `None` goes back to the image under test.
    pub fn use_image(&mut self, service: &str, image: Option<&str>) {
        match image {
            Some(image) => self.images.insert(service.into(), image.into()),
            None => self.images.remove(service),
        };
        let services: String = self
            .images
            .iter()
            .map(|(s, i)| format!("  {s}:\n    image: {i}\n"))
            .collect();
        std::fs::write(
            self.dir.path().join("images.yml"),
            format!("services:\n{services}"),
        )
        .unwrap();
    }

    /// `docker compose -p PROJECT ARGS...` with this stack's settings.
    pub fn compose(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(&self.compose[0]);
        cmd.args(&self.compose[1..])
            .args(["-p", &self.project, "-f", "docker-compose.yml"]);
        if !self.images.is_empty() {
            cmd.arg("-f").arg(self.dir.path().join("images.yml"));
        }
        cmd.args(args).current_dir(repo()).envs(&self.env);
        run(&mut cmd)
    }

    /// `compose ARGS`, which must succeed.
    pub fn compose_ok(&self, args: &[&str]) -> String {
        let o = self.compose(args);
        assert!(
            o.status.success(),
            "compose {args:?} failed: {}{}\n{}",
            stdout(&o),
            stderr(&o),
            self.all_logs()
        );
        stdout(&o)
    }

    /// Starts `services` (all of the active profile when empty) from the built images and
    /// waits until every container the project then has is healthy.
    pub fn up(&self, services: &[&str]) {
        let mut args = vec!["up", "-d", "--no-build"];
        args.extend_from_slice(services);
        self.compose_ok(&args);
        for s in self.services(false) {
            self.wait_healthy(&s);
        }
    }

    /// The services this project has containers for, sorted: the running ones (restarting
    /// included), or with `stopped` also those that are not.
    pub fn services(&self, stopped: bool) -> Vec<String> {
        let label = format!("label=com.docker.compose.project={}", self.project);
        let format = "{{.Label \"com.docker.compose.service\"}}";
        let mut args = vec!["ps", "--filter", &label, "--format", format];
        if stopped {
            args.push("--all");
        }
        let mut names: Vec<String> = docker_ok(&args).lines().map(str::to_owned).collect();
        names.sort();
        names
    }

    /// Waits until a service is healthy (bounded), printing every log on failure.
    pub fn wait_healthy(&self, service: &str) {
        let c = self.container(service);
        let ok = wait_until(Duration::from_secs(120), || {
            inspect(&c, "{{.State.Health.Status}}") == "healthy"
        });
        assert!(ok, "{service} not healthy after 120 s\n{}", self.all_logs());
    }

    /// Logs of every container of the project.
    pub fn all_logs(&self) -> String {
        let mut out = String::new();
        for s in self.services(true) {
            out.push_str(&format!("----- {s} -----\n{}\n", logs(&self.container(&s))));
        }
        out
    }

    /// `docker exec` in a service's container.
    pub fn exec(&self, service: &str, args: &[&str]) -> Output {
        let c = self.container(service);
        let mut all = vec!["exec", c.as_str()];
        all.extend_from_slice(args);
        docker(&all)
    }

    /// Runs SQL as root in the mariadb container; returns tab-separated rows.
    pub fn sql(&self, query: &str) -> String {
        root_sql(
            &self.container("mariadb"),
            &self.secret("db_root_password"),
            query,
        )
    }

    /// `$wp_version` and `$wp_db_version` of the WordPress in `dir` of the wordpress
    /// container (`/var/www/html`: the site's; `/usr/src/wordpress`: the image's).
    pub fn wordpress_version(&self, dir: &str) -> (String, String) {
        let code = format!(
            "include '{dir}/wp-includes/version.php'; echo \"$wp_version $wp_db_version\";"
        );
        let o = self.exec("wordpress", &["php", "-r", &code]);
        assert!(o.status.success(), "{}", stderr(&o));
        let out = stdout(&o);
        let (v, db) = out.trim().split_once(' ').unwrap();
        (v.to_owned(), db.to_owned())
    }

    /// An HTTPS client for this stack (curl with the domain resolved to 127.0.0.1).
    pub fn https(&self) -> Https {
        Https::new(
            self.domain(),
            self.port(),
            &self
                .dir
                .0
                .join(format!("cookies-{}", SEQ.fetch_add(1, Ordering::SeqCst))),
        )
    }

    /// `make TARGET` for this stack (its project, data, secrets, port and domain; BONUS=1
    /// when it runs the bonus profile, WP_REPLICAS=2 when it runs the replica).
    pub fn make(&self, target: &str) -> Output {
        let on = |profile: &str| {
            self.env["COMPOSE_PROFILES"]
                .split(',')
                .any(|p| p == profile)
        };
        run(self
            .make_command(target)
            .arg(format!("BONUS={}", u8::from(on("bonus"))))
            .arg(format!("WP_REPLICAS={}", if on("replica") { 2 } else { 1 })))
    }

    /// `make TARGET` for this stack's project, data, secrets, port and domain, with nothing
    /// said about the bonus services.
    pub fn make_command(&self, target: &str) -> Command {
        let mut cmd = Command::new("make");
        cmd.args(["--no-print-directory", target])
            .arg(format!("PROJECT={}", self.project))
            .arg(format!("DATA_DIR={}", self.env["DATA_DIR"]))
            .arg(format!("SECRETS_DIR={}", self.env["SECRETS_DIR"]))
            .arg(format!("HTTPS_PORT={}", self.port()))
            .arg(format!("DOMAIN_NAME={}", self.domain()))
            .envs(&self.env)
            .current_dir(repo());
        cmd
    }

    /// Whether the first post shows a comment with `text` (waits up to 30 s).
    pub fn comment_shows(&self, text: &str) -> bool {
        let web = self.https();
        wait_until(Duration::from_secs(30), || {
            web.request("/?p=1", &["-L"]).body.contains(text)
        })
    }

    /// The second user logs in and comments on the first post.
    pub fn comment(&self, text: &str) {
        post_comment(
            &self.https(),
            "writer",
            &self.secret("wp_user_password"),
            text,
        );
    }
}

/// Clients requesting the front page past nginx's page cache, one request after another,
/// until stopped: what a restart or a redeploy of WordPress must not disturb.
pub struct Load {
    stop: Arc<AtomicBool>,
    done: Arc<AtomicU32>,
    clients: Vec<std::thread::JoinHandle<Vec<u16>>>,
}

impl Load {
    /// Starts `clients` clients.
    pub fn start(stack: &Stack, clients: usize) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicU32::new(0));
        let clients = (0..clients)
            .map(|_| {
                let (stop, done, web) = (stop.clone(), done.clone(), stack.https());
                std::thread::spawn(move || {
                    let mut statuses = Vec::new();
                    while !stop.load(Ordering::Relaxed) {
                        let r = web.request("/", &["-H", "Cookie: wordpress_no_cache=1"]);
                        statuses.push(r.status);
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                    statuses
                })
            })
            .collect();
        Load {
            stop,
            done,
            clients,
        }
    }

    /// Requests answered or failed so far.
    pub fn count(&self) -> u32 {
        self.done.load(Ordering::Relaxed)
    }

    /// Waits until `more` further requests are done (bounded by 120 s), then stops the
    /// clients and returns every request's HTTP status (0: no answer).
    pub fn stop_after(self, more: u32) -> Vec<u16> {
        let target = self.count() + more;
        wait_until(Duration::from_secs(120), || self.count() >= target);
        self.stop.store(true, Ordering::Relaxed);
        self.clients
            .into_iter()
            .flat_map(|c| c.join().unwrap())
            .collect()
    }
}

/// `user` logs in with a fresh session and comments on the first post; asserts that
/// WordPress accepted the comment.
pub fn post_comment(web: &Https, user: &str, password: &str, text: &str) {
    assert!(web.login(user, password), "{user} cannot log in");
    let r = web.request(
        "/wp-comments-post.php",
        &[
            "--data-urlencode",
            &format!("comment={text}"),
            "--data-urlencode",
            "comment_post_ID=1",
        ],
    );
    assert_eq!(r.status, 302, "comment refused: {}", r.body);
}

impl Drop for Stack {
    fn drop(&mut self) {
        let _ = self.compose(&["down", "-v", "--remove-orphans", "-t", "10"]);
    }
}

/// What an HTTP request returned.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: String,
    pub body: String,
}

/// curl against the stack, keeping cookies (one session per value).
pub struct Https {
    domain: String,
    address: String,
    port: u16,
    jar: PathBuf,
}

impl Https {
    pub fn new(domain: &str, port: u16, jar: &Path) -> Https {
        Https::at(domain, "127.0.0.1", port, jar)
    }

    /// A client of the site at `address` (another machine's, a node's).
    pub fn at(domain: &str, address: &str, port: u16, jar: &Path) -> Https {
        Https {
            domain: domain.into(),
            address: address.into(),
            port,
            jar: jar.into(),
        }
    }

    /// The site's base URL.
    pub fn base(&self) -> String {
        if self.port == 443 {
            format!("https://{}", self.domain)
        } else {
            format!("https://{}:{}", self.domain, self.port)
        }
    }

    /// A request: `extra` are curl options (`-d`, `-H`, ...). Redirects are not followed.
    pub fn request(&self, path: &str, extra: &[&str]) -> Reply {
        let url = format!("{}{path}", self.base());
        let resolve = format!("{}:{}:{}", self.domain, self.port, self.address);
        let jar = self.jar.to_string_lossy().into_owned();
        let o = run(Command::new("curl")
            .args([
                "-sk",
                "--max-time",
                "30",
                "--resolve",
                &resolve,
                "-b",
                &jar,
                "-c",
                &jar,
                "-D",
                "-",
            ])
            .args(extra)
            .arg(&url));
        let text = stdout(&o);
        // -D - prints one header block per response (100 Continue, each redirect followed
        // with -L): the last one belongs to the body.
        let (mut head, mut body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        while body.starts_with("HTTP/") {
            (head, body) = body.split_once("\r\n\r\n").unwrap_or((body, ""));
        }
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        Reply {
            status,
            headers: head.to_lowercase(),
            body: body.to_owned(),
        }
    }

    pub fn get(&self, path: &str) -> Reply {
        self.request(path, &[])
    }

    /// As a logged-in user, POSTs `json` to a REST API route with the session's nonce.
    pub fn rest_post(&self, route: &str, json: &str) -> Reply {
        let nonce = self.get("/wp-admin/admin-ajax.php?action=rest-nonce").body;
        assert_eq!(nonce.trim().len(), 10, "no REST nonce: {nonce}");
        self.request(
            &format!("/wp-json/wp/v2/{route}"),
            &[
                "-H",
                &format!("X-WP-Nonce: {}", nonce.trim()),
                "-H",
                "Content-Type: application/json",
                "-d",
                json,
            ],
        )
    }

    /// As a logged-in administrator, replaces the content of page 2 (WordPress's sample
    /// page) through the REST API.
    pub fn edit_sample_page(&self, content: &str) {
        let edit = self.rest_post("pages/2", &format!("{{\"content\":\"{content}\"}}"));
        assert_eq!(edit.status, 200, "{}", edit.body);
    }

    /// This session's WordPress cookies as a `Cookie:` header value (for other clients).
    pub fn cookie_header(&self) -> String {
        let jar = std::fs::read_to_string(&self.jar).unwrap_or_default();
        let cookies: Vec<String> = jar
            .lines()
            .filter(|l| l.contains("wordpress_"))
            .filter_map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                (f.len() >= 7).then(|| format!("{}={}", f[5], f[6]))
            })
            .collect();
        cookies.join("; ")
    }

    /// The first post's page. When the site's address has no port (it serves on 443 where
    /// it runs: a VM, a docker-in-docker node) and this client reaches it through a forwarded
    /// one, WordPress's redirect from `/?p=1` to the post's permalink names no port: the
    /// redirect's path is followed here, on this client's port.
    pub fn first_post(&self) -> String {
        let r = self.get("/?p=1");
        if !(300..400).contains(&r.status) {
            return r.body;
        }
        let location = r
            .headers
            .lines()
            .find_map(|l| l.strip_prefix("location:"))
            .map(str::trim)
            .unwrap_or_else(|| panic!("a {} without a location", r.status));
        // https://<domain>/<path> -> /<path>
        let path = location
            .splitn(4, '/')
            .nth(3)
            .map_or("/".to_owned(), |p| format!("/{p}"));
        self.get(&path).body
    }

    /// Logs into WordPress; returns whether wp-login.php accepted the credentials.
    pub fn login(&self, user: &str, password: &str) -> bool {
        // WordPress wants its test cookie first.
        self.get("/wp-login.php");
        let r = self.request(
            "/wp-login.php",
            &[
                "--data-urlencode",
                &format!("log={user}"),
                "--data-urlencode",
                &format!("pwd={password}"),
                "--data-urlencode",
                "rememberme=forever",
                "--data-urlencode",
                "testcookie=1",
                "--data-urlencode",
                "wp-submit=Log In",
            ],
        );
        r.status == 302 && r.headers.contains("wordpress_logged_in_")
    }
}

/// A TLS handshake with `openssl s_client` forcing one protocol version; true if it succeeds.
/// Old versions are offered at security level 0 so that a refusal is the server's, not ours.
pub fn tls_handshake(port: u16, domain: &str, version: &str) -> bool {
    let mut cmd = Command::new("openssl");
    cmd.args([
        "s_client",
        "-connect",
        &format!("127.0.0.1:{port}"),
        "-servername",
        domain,
        version,
    ]);
    if version == "-tls1" || version == "-tls1_1" {
        cmd.args(["-cipher", "DEFAULT:@SECLEVEL=0"]);
    }
    let o = run(cmd.stdin(std::process::Stdio::null()));
    let out = stdout(&o);
    o.status.success() && out.contains("Cipher is") && !out.contains("Cipher is (NONE)")
}
