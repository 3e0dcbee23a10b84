//! Docker and the host, by their command-line clients: running a command and reading its
//! output, `docker` and `docker inspect`, bounded waits on a container's state, free ports,
//! unique names, and the guards (a temporary directory, a network, a container) that remove
//! what a test made in `Drop`, even when it panics.

use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

static SEQ: AtomicU32 = AtomicU32::new(0);

/// A number not handed out before in this test run.
pub(crate) fn sequence() -> u32 {
    SEQ.fetch_add(1, Ordering::SeqCst)
}

/// A name unique to this test run: `it<pid><n>-<what>`.
pub fn unique(what: &str) -> String {
    format!("it{}{}-{what}", std::process::id(), sequence())
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

/// The stdout of `o`, which must have succeeded: else a panic naming `what`, with both
/// outputs.
pub fn success(o: &Output, what: impl Display) -> String {
    assert!(
        o.status.success(),
        "{what} failed: {}{}",
        stdout(o),
        stderr(o)
    );
    stdout(o)
}

/// Asserts that a command exited with `code`, saying `says` on stderr.
pub fn assert_exit(o: &Output, code: i32, says: &str) {
    assert_eq!(o.status.code(), Some(code), "{}", stderr(o));
    assert!(stderr(o).contains(says), "{}", stderr(o));
}

/// Whether a `docker exec` whose command kills the container's main process did its work:
/// it exited 0, or it was itself killed (128 + SIGKILL) because that death ended PID 1 and
/// the kernel then killed everything else in the container. Either way, printing nothing.
pub fn killed_the_main_process(o: &Output) -> bool {
    (o.status.success() || o.status.code() == Some(137))
        && o.stdout.is_empty()
        && o.stderr.is_empty()
}

/// `docker ARGS`.
pub fn docker(args: &[&str]) -> Output {
    run(Command::new("docker").args(args))
}

/// `docker ARGS`, which must succeed; returns stdout.
pub fn docker_ok(args: &[&str]) -> String {
    success(&docker(args), format_args!("docker {args:?}"))
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

/// Waits until the logs of `container` contain `text`; panics with them after `timeout`.
pub fn wait_log(container: &str, text: &str, timeout: Duration) {
    let ok = wait_until(timeout, || logs(container).contains(text));
    assert!(
        ok,
        "{container}: no {text:?} in its logs after {timeout:?}:\n{}",
        logs(container)
    );
}

/// Waits until `docker inspect -f FORMAT` of `container` says `want`; panics otherwise with
/// its logs, saying that it is `still` (not healthy, still running) after `timeout`.
fn wait_inspect(container: &str, format: &str, want: &str, timeout: Duration, still: &str) {
    let ok = wait_until(timeout, || inspect(container, format) == want);
    assert!(
        ok,
        "{container} {still} after {timeout:?}; logs:\n{}",
        logs(container)
    );
}

/// Waits until `container` is healthy; panics with its logs otherwise.
pub fn wait_healthy(container: &str, timeout: Duration) {
    wait_inspect(
        container,
        "{{.State.Health.Status}}",
        "healthy",
        timeout,
        "not healthy",
    );
}

/// How many times the engine has restarted `container` (its restart policy).
pub fn restart_count(container: &str) -> u32 {
    inspect(container, "{{.RestartCount}}").parse().unwrap()
}

/// Waits until `container` has exited; returns its exit code.
pub fn wait_exit(container: &str, timeout: Duration) -> i32 {
    wait_inspect(
        container,
        "{{.State.Running}}",
        "false",
        timeout,
        "still running",
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
    /// `inception-e2e/NAME` under the system's temporary directory, empty.
    pub fn new(name: &str) -> TempDir {
        let path = std::env::temp_dir().join("inception-e2e").join(name);
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    /// Where it is.
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
    /// `docker network create NAME`.
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

    /// Its name.
    pub fn name(&self) -> &str {
        &self.0
    }

    /// Its logs, stdout and stderr together.
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
