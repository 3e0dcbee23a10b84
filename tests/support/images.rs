//! The images under test and what runs in them: the tag `make build` gave them, the image
//! of a service, an older WordPress's image built beside it, the base image, and
//! `inception-init` built on the host to run as PID 1 of a container of any image.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::{repo, run, stderr, stdout};

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
