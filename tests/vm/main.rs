//! `make vm-test`: the evaluation, against the VM that `make vm` built. A copy-on-write
//! overlay of vm/inception.qcow2 boots with qemu (srcs/tools/vm.sh, on free host ports), its
//! first boot starts the stack by itself, and the checks run from this host through the
//! forwarded HTTPS port: TLS 1.2 and 1.3 only, the front page, the administrator's login, a
//! comment. Then the VM shuts down (ACPI) and boots again, and the comment must still be
//! there. Boot-to-site times go to vm/boot.json for `make bench`.

use inception_tests::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The settings `make vm` copied into the VM (ENV_FILE, default srcs/.env).
fn settings() -> HashMap<String, String> {
    let file = std::env::var("ENV_FILE").unwrap_or_else(|_| "srcs/.env".into());
    let text = std::fs::read_to_string(repo().join(&file))
        .unwrap_or_else(|e| panic!("cannot read {file} (run `make vm` first): {e}"));
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

fn secret(name: &str) -> String {
    let dir = std::env::var("SECRETS_DIR").unwrap_or_else(|_| "secrets".into());
    let path = repo().join(dir).join(format!("{name}.txt"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn vm_dir() -> PathBuf {
    repo().join(std::env::var("VM_DIR").unwrap_or_else(|_| "vm".into()))
}

/// A VM booted from an overlay of the built image; shut down (or killed) in `Drop`.
struct Vm {
    dir: TempDir,
    env: Vec<(String, String)>,
    https_port: u16,
}

impl Vm {
    fn new(settings: &HashMap<String, String>) -> Vm {
        let image = vm_dir().join("inception.qcow2");
        assert!(
            image.is_file(),
            "{} is missing: run `make vm`",
            image.display()
        );
        let dir = TempDir::new(&unique("vm"));
        let overlay = dir.path().join("disk.qcow2");
        let o = run(Command::new("qemu-img")
            .args(["create", "-q", "-f", "qcow2", "-F", "qcow2", "-b"])
            .arg(&image)
            .arg(&overlay));
        assert!(o.status.success(), "qemu-img create: {}", stderr(&o));
        let https_port = free_port();
        let env = [
            ("LOGIN", settings["LOGIN"].clone()),
            ("DOMAIN_NAME", settings["DOMAIN_NAME"].clone()),
            ("VM_IMAGE", overlay.to_string_lossy().into_owned()),
            ("VM_RUN_DIR", dir.dir("run")),
            ("VM_HTTPS_PORT", https_port.to_string()),
            ("VM_SSH_PORT", free_port().to_string()),
        ]
        .map(|(k, v)| (k.to_owned(), v))
        .to_vec();
        Vm {
            dir,
            env,
            https_port,
        }
    }

    /// srcs/tools/vm.sh with this VM's settings; its output goes to ours (progress).
    fn script(&self, args: &[&str]) -> bool {
        Command::new(repo().join("srcs/tools/vm.sh"))
            .args(args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .current_dir(repo())
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    }

    /// Boots and waits until the site answers; returns the seconds that took.
    fn boot(&self) -> f64 {
        let t = Instant::now();
        assert!(self.script(&["run"]), "qemu did not start");
        assert!(
            self.script(&["wait"]),
            "the site did not come up; console:\n{}",
            self.console_tail()
        );
        t.elapsed().as_secs_f64()
    }

    fn ssh(&self, command: &str) -> String {
        let o = run(Command::new(repo().join("srcs/tools/vm.sh"))
            .args(["ssh", command])
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .current_dir(repo()));
        assert!(o.status.success(), "ssh {command}: {}", stderr(&o));
        stdout(&o)
    }

    fn stop(&self) {
        assert!(
            self.script(&["stop"]),
            "the VM did not power off cleanly; console:\n{}",
            self.console_tail()
        );
    }

    fn console_tail(&self) -> String {
        let log =
            std::fs::read_to_string(self.dir.path().join("run/console.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(60)..].join("\n")
    }

    fn pid(&self) -> Option<i32> {
        std::fs::read_to_string(self.dir.path().join("run/qemu.pid"))
            .ok()?
            .trim()
            .parse()
            .ok()
    }
}

impl Drop for Vm {
    fn drop(&mut self) {
        if self.pid().is_some() && !self.script(&["stop"]) {
            if let Some(pid) = self.pid() {
                let _ = Command::new("kill").arg(pid.to_string()).status();
            }
        }
    }
}

fn record(path: &Path, json: serde_json::Value) {
    let _ = std::fs::write(path, serde_json::to_string_pretty(&json).unwrap());
}

#[test]
fn the_vm_serves_the_site_and_keeps_it_across_a_reboot() {
    let settings = settings();
    let domain = settings["DOMAIN_NAME"].clone();
    let vm = Vm::new(&settings);

    let first = vm.boot();
    println!("vm-test: first boot to site: {first:.0} s");
    let web = Https::new(&domain, vm.https_port, &vm.dir.path().join("cookies"));

    // TLS: 1.2 and 1.3 only.
    assert!(
        tls_handshake(vm.https_port, &domain, "-tls1_2"),
        "no TLS 1.2"
    );
    assert!(
        tls_handshake(vm.https_port, &domain, "-tls1_3"),
        "no TLS 1.3"
    );
    assert!(
        !tls_handshake(vm.https_port, &domain, "-tls1_1"),
        "TLS 1.1 accepted"
    );
    assert!(
        !tls_handshake(vm.https_port, &domain, "-tls1"),
        "TLS 1.0 accepted"
    );

    // The installed site, with its title.
    let front = web.get("/");
    assert_eq!(front.status, 200);
    let title = &settings["WP_TITLE"];
    assert!(
        front.body.contains(&format!("<title>{title}")),
        "the front page has no title {title:?}"
    );

    // The administrator logs in and reaches the dashboard.
    let admin = Https::new(&domain, vm.https_port, &vm.dir.path().join("admin"));
    assert!(
        admin.login(&settings["WP_ADMIN_USER"], &secret("wp_admin_password")),
        "the administrator cannot log in"
    );
    assert_eq!(admin.get("/wp-admin/").status, 200);

    // The second user comments; the comment shows on the post.
    let text = format!("Written in the VM before its reboot ({})", unique("c"));
    post_comment(
        &web,
        &settings["WP_USER"],
        &secret("wp_user_password"),
        &text,
    );
    assert!(
        web.first_post().contains(&text),
        "the comment does not show on the post"
    );

    // SSH works and the stack runs as containers of the VM's own Docker engine.
    let boot_id = vm.ssh("cat /proc/sys/kernel/random/boot_id");

    // The evaluation's wipe, then `make`, can be done by the VM's user: they reach the
    // engine, gain root through sudo with their password (debootstrap, the hosts entry), and
    // the checkout holds the vendored crates, so the rebuild needs only Debian's archive.
    // Root (LOGIN=root, as when make runs as root) needs neither group: it owns the engine.
    if vm.ssh("id -u").trim() != "0" {
        let groups = vm.ssh("id -nG");
        for g in ["docker", "sudo"] {
            assert!(
                groups.split_whitespace().any(|x| x == g),
                "not in {g}: {groups}"
            );
        }
    }
    assert!(
        vm.ssh("docker info --format '{{.ServerVersion}}'")
            .trim()
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit()),
        "the VM's user cannot reach the Docker engine"
    );
    let password = secret("vm_password").replace('\'', "'\\''");
    assert_eq!(
        vm.ssh(&format!(
            "printf '%s\\n' '{password}' | sudo -S -p '' id -u"
        ))
        .trim(),
        "0",
        "the VM's user cannot use sudo with the password"
    );
    let sum = |o: &std::process::Output| stdout(o).split_whitespace().next().map(str::to_owned);
    let host = sum(&run(
        Command::new("sha256sum").arg(repo().join("vendor/crates.tar.gz"))
    ));
    assert!(
        host.is_some(),
        "no vendored crates on the host (make vendor)"
    );
    assert_eq!(
        vm.ssh("sha256sum inception/vendor/crates.tar.gz | cut -d' ' -f1")
            .split_whitespace()
            .next()
            .map(str::to_owned),
        host,
        "the VM's checkout lacks the host's vendored crates"
    );
    assert!(
        vm.ssh("command -v debootstrap make docker-compose | wc -l")
            .trim()
            == "3"
    );
    let ps = vm.ssh("docker ps --format '{{.Names}} {{.Status}}'");
    for s in MANDATORY {
        assert!(
            ps.lines()
                .any(|l| l.split_whitespace().next() == Some(s) && l.contains("(healthy)")),
            "{s} is not running healthy in the VM:\n{ps}"
        );
    }

    // The evaluation's reboot: clean shutdown, boot again; the restart policies bring the
    // stack back, and the comment is still there.
    vm.stop();
    let second = vm.boot();
    println!("vm-test: reboot to site: {second:.0} s");
    assert_ne!(
        vm.ssh("cat /proc/sys/kernel/random/boot_id"),
        boot_id,
        "the VM did not reboot"
    );
    let after = Https::new(&domain, vm.https_port, &vm.dir.path().join("after"));
    assert!(
        after.first_post().contains(&text),
        "the comment is gone after the reboot"
    );
    vm.stop();

    record(
        &vm_dir().join("boot.json"),
        serde_json::json!({
            "first_boot_to_site_s": first.round(),
            "reboot_to_site_s": second.round(),
            "accel": std::fs::read_to_string(vm.dir.path().join("run/accel")).unwrap_or_default().trim(),
            "when": stdout(&run(Command::new("date").arg("-u").arg("+%F %R UTC"))).trim(),
        }),
    );
}
