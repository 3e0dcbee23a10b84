//! The PID 1 runtime of crates/core, proven as PID 1 of a real container (inception-init,
//! built static on the host and mounted into a base-image container, runs shell scripts
//! that report what they observe).

use std::time::{Duration, Instant};

use inception_tests::*;

/// Whether the container's output has `line` as a whole line (inception-init's own log
/// quotes the command, which contains the words the scripts print).
fn said(c: &Container, line: &str) -> bool {
    c.logs().lines().any(|l| l == line)
}

/// `docker run -d` of inception-init with `args` (its options and the command).
fn init(what: &str, args: &[&str]) -> Container {
    let mut all = init_container_args();
    all.extend(args.iter().map(|s| s.to_string()));
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    Container::run(&unique(what), &all)
}

#[test]
fn sigterm_sent_to_pid1_reaches_the_child() {
    let c = init(
        "pid1-term",
        &[
            "--",
            "sh",
            "-c",
            "trap 'echo child got TERM; exit 7' TERM; echo ready; while :; do sleep 0.1; done",
        ],
    );
    assert!(wait_until(Duration::from_secs(10), || said(&c, "ready")));
    let started = Instant::now();
    // docker stop sends SIGTERM to PID 1 and SIGKILL after 8 s if nothing happens.
    docker_ok(&["stop", "-t", "8", c.name()]);
    let took = started.elapsed();
    assert!(
        said(&c, "child got TERM"),
        "the child never saw SIGTERM:\n{}",
        c.logs()
    );
    assert_eq!(
        inspect(c.name(), "{{.State.ExitCode}}"),
        "7",
        "PID 1 must exit with the child's status"
    );
    assert!(
        took < Duration::from_secs(5),
        "stop took {took:?}: the signal was not forwarded"
    );
}

#[test]
fn orphaned_grandchild_is_reaped() {
    // The subshell exits at once, leaving `sleep` to be re-parented to PID 1; once it ends
    // it must not stay a zombie.
    let c = init(
        "pid1-reap",
        &[
            "--",
            "sh",
            "-c",
            // The orphan's pid, then: wait (bounded) until it is gone from /proc, which
            // only its reaping does; a zombie stays listed.
            "(sleep 0.3 & echo $! >/tmp/orphan); p=$(cat /tmp/orphan); \
             for i in $(seq 100); do [ -e /proc/$p ] || break; sleep 0.05; done; \
             [ -e /proc/$p ] && echo \"orphan $p: $(grep State /proc/$p/status)\"; \
             echo zombies=$(grep -l '^State:.*Z' /proc/[0-9]*/status 2>/dev/null | wc -l)",
        ],
    );
    assert_eq!(wait_exit(c.name(), Duration::from_secs(20)), 0);
    assert!(
        said(&c, "zombies=0"),
        "an orphan was left a zombie:\n{}",
        c.logs()
    );
}

#[test]
fn a_sigkill_from_inside_the_container_ends_the_child_but_never_pid_1() {
    // Why every entrypoint runs its service as a child instead of exec'ing it: the kernel
    // drops a signal sent to the namespace's init from inside the namespace when init has
    // no handler for it, and SIGKILL can have none (pid_namespaces(7)).
    let c = init(
        "pid1-kill",
        &[
            "--",
            "sh",
            "-c",
            "echo $$ >/tmp/child; echo ready; while :; do sleep 0.1; done",
        ],
    );
    assert!(wait_until(Duration::from_secs(10), || said(&c, "ready")));
    let o = c.exec(&["sh", "-c", "kill -9 1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(
        inspect(c.name(), "{{.State.Running}}"),
        "true",
        "PID 1 died"
    );
    let o = c.exec(&["sh", "-c", "kill -9 $(cat /tmp/child)"]);
    assert!(killed_the_main_process(&o), "{:?} {}", o.status, stderr(&o));
    assert_eq!(wait_exit(c.name(), Duration::from_secs(10)), 137);
}

#[test]
fn child_killed_by_a_signal_gives_128_plus_n() {
    let c = init("pid1-status", &["--", "sh", "-c", "kill -KILL $$"]);
    assert_eq!(wait_exit(c.name(), Duration::from_secs(20)), 137);
}

#[test]
fn unknown_command_exits_127_with_one_line() {
    let mut args = vec!["run".to_string(), "--rm".to_string()];
    args.extend(init_container_args());
    args.extend(["--".to_string(), "no-such-command".to_string()]);
    let o = docker(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(o.status.code(), Some(127));
    assert_eq!(
        stderr(&o).trim(),
        "inception-init: error: command not found: no-such-command"
    );
}

/// A shell loop that reports the signals it traps, once it has said `ready`.
const TRAPPING: &str = "for s in WINCH USR1 HUP; do trap \"echo child got $s\" $s; done; \
                        trap 'exit 0' TERM; echo ready; while :; do sleep 0.1; done";

#[test]
fn every_catchable_signal_reaches_the_child_not_only_the_stop_signals() {
    let c = init("pid1-winch", &["--", "sh", "-c", TRAPPING]);
    assert!(wait_until(Duration::from_secs(10), || said(&c, "ready")));
    for sig in ["WINCH", "USR1", "HUP"] {
        docker_ok(&["kill", "-s", sig, c.name()]);
        let seen = format!("child got {sig}");
        assert!(
            wait_until(Duration::from_secs(5), || said(&c, &seen)),
            "SIG{sig} was not forwarded:\n{}",
            c.logs()
        );
    }
    docker_ok(&["stop", "-t", "5", c.name()]);
    assert_eq!(inspect(c.name(), "{{.State.ExitCode}}"), "0");
}

/// A child shell that starts a grandchild without `exec` and waits for it; the grandchild
/// reports SIGTERM. (The child's own trap runs only once the grandchild has ended, so the
/// container lives until the grandchild has answered.)
const GRANDCHILD: &str = "trap 'echo child got TERM' TERM; \
                          sh -c 'trap \"echo grandchild got TERM; exit 0\" TERM; echo ready; \
                          while :; do sleep 0.1; done'";

#[test]
fn with_group_forwarding_a_grandchild_gets_sigterm_too() {
    // -g: the signal goes to the child's whole process group.
    let c = init("pid1-group", &["-g", "--", "sh", "-c", GRANDCHILD]);
    assert!(wait_until(Duration::from_secs(10), || said(&c, "ready")));
    let started = Instant::now();
    docker_ok(&["stop", "-t", "8", c.name()]);
    assert!(
        said(&c, "grandchild got TERM"),
        "the grandchild never saw SIGTERM:\n{}",
        c.logs()
    );
    assert!(started.elapsed() < Duration::from_secs(5));

    // Without it (tini's default) only the child gets it: the grandchild never does.
    let c = init("pid1-nogroup", &["--", "sh", "-c", GRANDCHILD]);
    assert!(wait_until(Duration::from_secs(10), || said(&c, "ready")));
    docker_ok(&["stop", "-t", "2", c.name()]);
    assert!(
        !said(&c, "grandchild got TERM"),
        "without -g the signal went to the group:\n{}",
        c.logs()
    );
}
