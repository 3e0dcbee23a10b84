//! The duties of PID 1, done the way tini does them.
//!
//! An entrypoint is PID 1 of its container from start to end. While it prepares the service
//! it starts helper processes (a temporary `mariadbd`, `php` running the WordPress
//! installer); then it starts the service itself with [`run_service`] and stays PID 1 until
//! the service ends, exiting with its status. All along it must
//!
//! - install signal handling before it starts any child, so that no signal is lost;
//! - forward every signal it can catch to its children ([`FORWARDED`]: all but SIGCHLD, the
//!   synchronous ones a fault raises, SIGKILL/SIGSTOP which cannot be caught, and the
//!   terminal and pipe signals tini leaves alone too); a child that is already gone is only
//!   a warning. With [`Forward::Group`] each child leads its own process group and the
//!   signal goes to the whole group, as dumb-init's `--single-child` off (`-g`) does;
//! - reap every zombie, orphans that the kernel re-parents to PID 1 included, in a
//!   `waitpid(-1, WNOHANG)` loop, because several SIGCHLD can coalesce into one;
//! - stop what it is doing when asked to stop: a stop signal that arrives while no child runs
//!   ends the process at once with 128 + N, and one that arrives while a child runs is
//!   forwarded, after which [`Supervisor::run`] reports [`Stopped`] instead of going on;
//! - end with the service's status: its exit code, or 128 + N when signal N killed it.
//!
//! The service is a child, not exec'd in our place, because the kernel shields a PID
//! namespace's init from every signal sent from inside the namespace that init has no
//! handler for, SIGKILL included (pid_namespaces(7), "The namespace init process"): an
//! exec'd `mariadbd` would shrug off `docker exec mariadb pkill -9 mariadbd`. As our child
//! it dies, we exit with 137, and the container's restart policy restarts it, exactly as
//! after a crash. The STOPSIGNAL reaches it through us (forwarded like any signal), and it
//! runs as its own user ([`crate::user::Account`]), while we stay root.
//!
//! The supervisor is process-wide (signals are), created once by [`install`] with its
//! [`Options`]. One thread waits for signals (signal-hook's iterator: its handler marks the
//! signal and wakes the thread through a self-pipe) and reaps in a `waitpid(-1, WNOHANG)`
//! loop; no other global state decides anything.
//! See `signal(7)`, `waitpid(2)` and <https://github.com/krallin/tini>.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::fmt;
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};

use nix::errno::Errno;
use nix::sys::signal::{Signal, kill};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;
use signal_hook::consts::signal::SIGCHLD;
use signal_hook::iterator::Signals;

use crate::status;

/// Signals passed on to children: every catchable, asynchronous one. Left out: SIGCHLD (it
/// drives the reaper); SIGKILL and SIGSTOP (cannot be caught); SIGILL, SIGTRAP, SIGABRT,
/// SIGBUS, SIGFPE, SIGSEGV and SIGSYS (raised by a fault of this process, for this process);
/// SIGTTIN and SIGTTOU (terminal job control, as tini); and SIGPIPE, which a write of this
/// process to a closed pipe raises (Rust ignores it, and a child must not receive it for
/// that). Real-time signals are not forwarded.
pub const FORWARDED: [Signal; 18] = {
    use Signal::*;
    [
        SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGTERM, SIGSTKFLT, SIGCONT, SIGTSTP,
        SIGURG, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGWINCH, SIGIO, SIGPWR,
    ]
};
/// Forwarded signals that also mean "stop": setup does not go on after one of them.
pub const STOPPING: [Signal; 3] = [Signal::SIGTERM, Signal::SIGINT, Signal::SIGQUIT];

/// Where a forwarded signal goes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Forward {
    /// To each running child (tini's default).
    #[default]
    Child,
    /// To each running child's process group: children are started as leaders of their own
    /// group, so that their own children get the signal too (dumb-init's default,
    /// `inception-init -g`). For shell scripts that start programs without `exec`.
    Group,
}

/// How the supervisor behaves, chosen by the program that installs it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Where forwarded signals go.
    pub forward: Forward,
    /// A stop signal arriving while no child runs ends the process with status 0 instead of
    /// 128 + N: for services whose main loop is this process (the backup scheduler), for
    /// which such a stop is their normal end.
    pub stop_is_success: bool,
}

/// How a child ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// It exited with this code.
    Code(i32),
    /// It was killed by this signal.
    Signal(i32),
}

impl ExitStatus {
    /// True for exit code 0.
    pub fn success(self) -> bool {
        self == ExitStatus::Code(0)
    }

    /// The status a shell would report: the code, or 128 + N when killed by signal N.
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Code(c) => c.clamp(0, 255) as u8,
            ExitStatus::Signal(s) => status::signaled(s),
        }
    }
}

impl fmt::Display for ExitStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ExitStatus::Code(c) => write!(f, "exited with status {c}"),
            ExitStatus::Signal(s) => match Signal::try_from(s) {
                Ok(sig) => write!(f, "was killed by {sig}"),
                Err(_) => write!(f, "was killed by signal {s}"),
            },
        }
    }
}

/// A setup step was cut short because the container is being stopped.
#[derive(Debug, thiserror::Error)]
#[error("stopped by {0}")]
pub struct Stopped(pub Signal);

/// A step's command failed.
#[derive(Debug, thiserror::Error)]
#[error("{program} {status}")]
pub struct StepFailed {
    /// The program that ran.
    pub program: String,
    /// How it ended.
    pub status: ExitStatus,
}

/// The service (or a command given instead of it) could not be started.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// No such program on `PATH`.
    #[error("command not found: {0}")]
    NotFound(String),
    /// The program exists but `execve` refused it.
    #[error("cannot execute {program}: {errno}")]
    CannotExecute { program: String, errno: Errno },
}

impl ExecError {
    /// tini's codes: 127 for not found, 126 for not executable.
    pub fn exit_code(&self) -> u8 {
        match self {
            ExecError::NotFound(_) => status::NOT_FOUND,
            ExecError::CannotExecute { .. } => status::CANNOT_EXECUTE,
        }
    }
}

/// A child started through the supervisor. Its status is collected by the reaper, so it is
/// waited for with [`Supervisor::wait`], never with `std::process::Child::wait`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Child {
    pid: Pid,
}

impl Child {
    /// Its process id.
    pub fn pid(self) -> i32 {
        self.pid.as_raw()
    }
}

#[derive(Default)]
struct State {
    /// Children we started: `None` while running, then how they ended (until waited for).
    children: HashMap<Pid, Option<ExitStatus>>,
    /// The first stop signal received, if any.
    stop: Option<Signal>,
}

/// Forwards signals to the children it started and reaps every child of the process.
pub struct Supervisor {
    state: Mutex<State>,
    changed: Condvar,
    options: Options,
}

static SUPERVISOR: OnceLock<Supervisor> = OnceLock::new();

/// [`install_with`] the default [`Options`].
pub fn install() -> std::io::Result<&'static Supervisor> {
    install_with(Options::default())
}

/// Installs signal handling and the reaper and returns the supervisor. Once per process:
/// a later call returns the same supervisor if it asks for the same options, and an error if
/// it asks for others (they cannot change once signals are handled).
pub fn install_with(options: Options) -> std::io::Result<&'static Supervisor> {
    let mut result = Ok(());
    let sup = SUPERVISOR.get_or_init(|| {
        let sup = Supervisor {
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
            options,
        };
        let wanted = FORWARDED.iter().map(|s| *s as i32).chain([SIGCHLD]);
        match Signals::new(wanted) {
            Ok(mut signals) => {
                let spawned = std::thread::Builder::new()
                    .name("pid1-signals".into())
                    .spawn(move || {
                        for sig in signals.forever() {
                            // Installed above before this thread exists; always set here.
                            if let Some(sup) = SUPERVISOR.get() {
                                sup.on_signal(sig);
                            }
                        }
                    });
                if let Err(e) = spawned {
                    result = Err(e);
                }
            }
            Err(e) => result = Err(e),
        }
        sup
    });
    if sup.options != options {
        return Err(std::io::Error::other(format!(
            "PID 1 is already installed with {:?}, not {options:?}",
            sup.options
        )));
    }
    result.map(|()| sup)
}

/// The stop signal received so far, if any (`None` before [`install`]).
pub fn stop_requested() -> Option<Signal> {
    SUPERVISOR.get().and_then(|s| s.lock().stop)
}

/// Whether `code` is the status of a child killed by the stop signal this process received
/// and forwarded: a service that stops by dying of its stop signal stopped as asked.
pub fn is_requested_stop(code: u8) -> bool {
    stop_requested().is_some_and(|sig| code == status::signaled(sig as i32))
}

impl Supervisor {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere must not stop reaping: the state stays usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts `cmd` as a supervised child.
    pub fn spawn(&self, cmd: &mut Command) -> std::io::Result<Child> {
        // Holding the lock across spawn keeps the reaper from collecting the child before
        // it is registered, and a stop signal from slipping in between.
        let mut state = self.lock();
        if let Some(sig) = state.stop {
            return Err(std::io::Error::other(Stopped(sig)));
        }
        if self.options.forward == Forward::Group {
            cmd.process_group(0);
        }
        let child = cmd.spawn()?;
        let pid = Pid::from_raw(child.id() as i32);
        state.children.insert(pid, None);
        Ok(Child { pid })
    }

    /// Waits for `child` to end, blocking the calling thread.
    pub fn wait(&self, child: Child) -> ExitStatus {
        let mut state = self.lock();
        loop {
            if let Some(Some(status)) = state.children.get(&child.pid) {
                let status = *status;
                state.children.remove(&child.pid);
                return status;
            }
            state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// How `child` ended, if it has, without waiting (the status stays for [`Supervisor::wait`]).
    pub fn try_wait(&self, child: Child) -> Option<ExitStatus> {
        self.lock().children.get(&child.pid).copied().flatten()
    }

    /// [`Supervisor::wait`] for async code: waits on a blocking thread.
    pub async fn wait_async(&'static self, child: Child) -> ExitStatus {
        tokio::task::spawn_blocking(move || self.wait(child))
            .await
            .unwrap_or(ExitStatus::Code(status::FAILURE as i32))
    }

    /// Sends `sig` to `child` if it still runs.
    pub fn signal(&self, child: Child, sig: Signal) -> std::io::Result<()> {
        let state = self.lock();
        match state.children.get(&child.pid) {
            Some(None) => match kill(child.pid, sig) {
                Ok(()) | Err(Errno::ESRCH) => Ok(()),
                Err(e) => Err(std::io::Error::from(e)),
            },
            _ => Ok(()),
        }
    }

    /// Runs a setup step to completion: succeeds only when the command exits 0 and no stop
    /// was requested meanwhile.
    pub fn run(&self, cmd: &mut Command) -> anyhow::Result<()> {
        let program = program_name(cmd.get_program());
        let child = self
            .spawn(cmd)
            .map_err(|e| anyhow::anyhow!("cannot start {program}: {e}"))?;
        self.finish(program, child)
    }

    /// [`Supervisor::run`], returning what the step wrote to its standard output. When the
    /// step fails, the error leads with the last line it wrote there.
    pub fn output(&self, cmd: &mut Command) -> anyhow::Result<Vec<u8>> {
        use std::io::Read;
        let program = program_name(cmd.get_program());
        let (read, write) = nix::unistd::pipe()?;
        cmd.stdout(std::process::Stdio::from(write));
        let spawned = self.spawn(cmd);
        // Closes our copy of the pipe's write end: the read below ends with the child.
        cmd.stdout(std::process::Stdio::inherit());
        let child = spawned.map_err(|e| anyhow::anyhow!("cannot start {program}: {e}"))?;
        let mut out = Vec::new();
        let read = std::fs::File::from(read).read_to_end(&mut out);
        if let Err(e) = self.finish(program.clone(), child) {
            // A failed step's last words on its standard output say why.
            let text = String::from_utf8_lossy(&out);
            return Err(match text.lines().rev().find(|l| !l.trim().is_empty()) {
                Some(last) => e.context(last.trim().to_owned()),
                None => e,
            });
        }
        read.map_err(|e| anyhow::anyhow!("cannot read the output of {program}: {e}"))?;
        Ok(out)
    }

    /// Waits for a setup step and says how it ended.
    fn finish(&self, program: String, child: Child) -> anyhow::Result<()> {
        let status = self.wait(child);
        if let Some(sig) = self.lock().stop {
            return Err(Stopped(sig).into());
        }
        if status.success() {
            Ok(())
        } else {
            Err(StepFailed { program, status }.into())
        }
    }

    fn on_signal(&self, sig: i32) {
        if sig == SIGCHLD {
            self.reap();
            return;
        }
        let Ok(signal) = Signal::try_from(sig) else {
            return;
        };
        let mut state = self.lock();
        if STOPPING.contains(&signal) && state.stop.is_none() {
            state.stop = Some(signal);
        }
        let running: Vec<Pid> = state
            .children
            .iter()
            .filter(|(_, st)| st.is_none())
            .map(|(pid, _)| *pid)
            .collect();
        if running.is_empty() {
            if let Some(stop) = state.stop {
                // Nothing to hand the signal to: whatever setup was doing is crash-safe
                // by design, so stopping here is as safe as anywhere.
                tracing::info!(signal = %stop, "stop requested, exiting");
                if self.options.stop_is_success {
                    std::process::exit(status::OK.into());
                }
                std::process::exit(status::signaled(stop as i32).into());
            }
            tracing::debug!(signal = %signal, "no child to forward to");
            return;
        }
        for pid in running {
            // A negative pid names the process group the child leads.
            let target = match self.options.forward {
                Forward::Child => pid,
                Forward::Group => Pid::from_raw(-pid.as_raw()),
            };
            tracing::debug!(signal = %signal, pid = target.as_raw(), "forwarding");
            send(target, signal);
        }
    }

    /// Collects every child that has ended; orphans are reaped and forgotten.
    fn reap(&self) {
        let mut state = self.lock();
        loop {
            let (pid, status) = match waitpid(None, Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::Exited(pid, code)) => (pid, ExitStatus::Code(code)),
                Ok(WaitStatus::Signaled(pid, sig, _)) => (pid, ExitStatus::Signal(sig as i32)),
                Ok(WaitStatus::StillAlive) | Err(Errno::ECHILD) => break,
                Ok(_) | Err(Errno::EINTR) => continue,
                Err(e) => {
                    tracing::warn!(error = %e, "waitpid failed");
                    break;
                }
            };
            match state.children.get_mut(&pid) {
                Some(slot) => *slot = Some(status),
                None => tracing::debug!(pid = pid.as_raw(), %status, "reaped orphan"),
            }
        }
        drop(state);
        self.changed.notify_all();
    }
}

fn send(pid: Pid, sig: Signal) {
    match kill(pid, sig) {
        Ok(()) | Err(Errno::ESRCH) => {}
        Err(e) => tracing::warn!(pid = pid.as_raw(), signal = %sig, error = %e, "cannot forward"),
    }
}

fn program_name(program: &OsStr) -> String {
    program.to_string_lossy().into_owned()
}

/// Runs `argv` as the only child of this process and returns its exit status, while doing
/// PID 1's duties (what `tini -- argv` does): the supervisor is installed with `options`.
/// Orphans left behind are reaped until it ends.
pub fn run_as_init(argv: &[String], options: Options) -> anyhow::Result<u8> {
    install_with(options)?;
    run_service(argv, None)
}

/// Runs the service `argv` (its program searched on `PATH` as a shell would) as a child of
/// this process, as `user` when given, and waits for it while doing PID 1's duties. Returns
/// the status this process then exits with: the service's exit code, or 128 + N when signal
/// N killed it (a `pkill -9`, an OOM kill: the restart policy takes it from there).
///
/// Installs the default supervisor if nothing has yet (see [`install`]). A stop requested
/// before the service could start ends here with [`Stopped`].
pub fn run_service(argv: &[String], user: Option<&crate::user::Account>) -> anyhow::Result<u8> {
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| status::UsageError("no command given".into()))?;
    let sup = match SUPERVISOR.get() {
        Some(sup) => sup,
        None => install()?,
    };
    let path = resolve(program)?;
    let mut cmd = Command::new(path);
    cmd.arg0(program).args(args);
    if let Some(user) = user {
        user.apply(&mut cmd);
    }
    let child = sup.spawn(&mut cmd).map_err(|e| {
        match e
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<Stopped>())
        {
            Some(&Stopped(sig)) => anyhow::Error::new(Stopped(sig)),
            None => exec_error(program, e).into(),
        }
    })?;
    tracing::info!(
        command = %argv.join(" "),
        pid = child.pid(),
        user = user.map(|u| u.name.as_str()),
        "started"
    );
    let status = sup.wait(child);
    if status.success() || is_requested_stop(status.code()) {
        tracing::info!(%program, "{status}");
    } else {
        tracing::warn!(%program, code = status.code(), "{status}");
    }
    Ok(status.code())
}

fn resolve(program: &str) -> Result<std::path::PathBuf, ExecError> {
    if program.contains('/') {
        // A path is used as given, so that execve reports why it cannot run it.
        return Ok(program.into());
    }
    which::which(program).map_err(|_| ExecError::NotFound(program.to_owned()))
}

fn exec_error(program: &str, err: std::io::Error) -> ExecError {
    match err.kind() {
        std::io::ErrorKind::NotFound => ExecError::NotFound(program.to_owned()),
        _ => ExecError::CannotExecute {
            program: program.to_owned(),
            errno: Errno::from_raw(err.raw_os_error().unwrap_or(0)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exit;

    #[test]
    fn exit_codes_follow_the_shell() {
        assert_eq!(ExitStatus::Code(3).code(), 3);
        assert_eq!(ExitStatus::Signal(15).code(), 143);
        assert!(ExitStatus::Code(0).success());
        assert!(!ExitStatus::Signal(9).success());
        assert_eq!(ExitStatus::Signal(15).to_string(), "was killed by SIGTERM");
    }

    #[test]
    fn run_reports_status_and_reaps() {
        let sup = install().unwrap();
        assert!(sup.run(&mut Command::new("true")).is_ok());
        let err = sup.run(&mut Command::new("false")).unwrap_err();
        assert_eq!(err.to_string(), "false exited with status 1");
        // The grandchild outlives its parent; the supervisor must not mistake it for ours.
        let child = sup
            .spawn(Command::new("sh").args(["-c", "sleep 0.2 & exit 4"]))
            .unwrap();
        assert_eq!(sup.wait(child), ExitStatus::Code(4));
    }

    #[test]
    fn a_second_install_gets_the_same_supervisor_or_an_error_for_other_options() {
        let first = install().unwrap();
        assert!(std::ptr::eq(first, install().unwrap()));
        let other = Options {
            stop_is_success: true,
            ..Default::default()
        };
        let err = install_with(other).map(|_| ()).unwrap_err();
        assert!(err.to_string().contains("already installed"), "{err}");
    }

    #[test]
    fn output_returns_what_the_step_printed() {
        let sup = install().unwrap();
        let out = sup
            .output(Command::new("sh").args(["-c", "echo one; echo two >&2; echo three"]))
            .unwrap();
        assert_eq!(out, b"one\nthree\n");
        let err = sup
            .output(Command::new("sh").args(["-c", "echo partial; exit 2"]))
            .unwrap_err();
        assert_eq!(format!("{err:#}"), "partial: sh exited with status 2");
    }

    #[test]
    fn every_catchable_asynchronous_signal_is_forwarded() {
        use Signal::*;
        for sig in [
            SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT,
        ] {
            assert!(FORWARDED.contains(&sig), "{sig} is not forwarded");
        }
        for sig in [
            SIGCHLD, SIGKILL, SIGSTOP, SIGSEGV, SIGPIPE, SIGTTIN, SIGTTOU,
        ] {
            assert!(!FORWARDED.contains(&sig), "{sig} must not be forwarded");
        }
        // Every one can be registered (signal-hook refuses the uncatchable ones).
        for sig in FORWARDED {
            assert!(
                !signal_hook::consts::FORBIDDEN.contains(&(sig as i32)),
                "{sig}"
            );
        }
    }

    #[test]
    fn run_service_ends_with_the_status_of_its_child() {
        let argv = |script: &str| ["sh", "-c", script].map(String::from);
        assert_eq!(run_service(&argv("exit 3"), None).unwrap(), 3);
        // Killed by SIGKILL (what `pkill -9` does): 128 + 9.
        assert_eq!(run_service(&argv("kill -9 $$"), None).unwrap(), 137);
    }

    #[test]
    fn missing_program_maps_to_127() {
        let err = run_as_init(&["/nonexistent/program".into()], Options::default()).unwrap_err();
        let code = exit::code_for(&err);
        assert_eq!(code, exit::NOT_FOUND, "{err:#}");
    }
}
