//! A throwaway copy of the whole stack, run by docker compose as `make` runs it: its own
//! project, container names, data directory, secrets and ports, removed in `Drop`; and what a
//! test does with it (start services, read their logs, run SQL, `make` a target on it).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use crate::{
    Https, TempDir, compose_facts, docker, docker_ok, free_port, free_range, inspect, logs,
    post_comment, redis_host, repo, root_sql, run, sequence, stderr, stdout, unique, wait_until,
};

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

/// A throwaway copy of the whole stack: its own compose project, container names, data
/// directory, secrets and HTTPS port. `down -v` and the data are removed in `Drop`.
pub struct Stack {
    /// The compose project's name (also its containers' prefix).
    pub project: String,
    /// Its data directory, secrets and override files.
    pub dir: TempDir,
    /// The settings compose and `make` see (srcs/.env's, as the environment).
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
            let file = Path::new(&secrets).join(format!("{name}.txt"));
            std::fs::write(&file, value).unwrap();
            private_to_a_user(&file, 0o600);
        }
        private_to_a_user(Path::new(&secrets), 0o700);
        // A passive range for the bonus ftp service, distinct per stack of this run.
        let n = sequence();
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
            // The bonus ftp service publishes ports: unique ones per stack.
            ("FTP_PORT", &free_port().to_string()),
            ("FTP_PASV_MIN", &pasv.to_string()),
            ("FTP_PASV_MAX", &(pasv + 4).to_string()),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let mut stack = Stack {
            project,
            dir,
            env,
            compose: compose_command(),
            images: HashMap::new(),
        };
        // The mandatory services only, unless a test asks for more.
        stack.set_profiles(&[]);
        stack
    }

    /// Changes a setting (takes effect at the next `up`).
    pub fn set(&mut self, key: &str, value: &str) {
        self.env.insert(key.into(), value.into());
    }

    /// Runs the services of compose's `profiles` too at the next `up` ("bonus": the bonus
    /// services, "replica": the second WordPress container), with the settings `make` gives
    /// them: WordPress's object cache in redis with the bonus services ([`redis_host`]).
    pub fn set_profiles(&mut self, profiles: &[&str]) {
        self.set("COMPOSE_PROFILES", &profiles.join(","));
        self.set("WP_REDIS_HOST", redis_host(profiles.contains(&"bonus")));
        // nginx's internal metrics listener, for the monitoring (the Makefile's NGINX_METRICS).
        self.set(
            "NGINX_METRICS",
            if profiles.contains(&"bonus") {
                "1"
            } else {
                "0"
            },
        );
    }

    /// Whether the stack runs compose's `profile` (see [`Stack::set_profiles`]).
    pub fn runs_profile(&self, profile: &str) -> bool {
        self.env["COMPOSE_PROFILES"]
            .split(',')
            .any(|p| p == profile)
    }

    /// The site's domain name.
    pub fn domain(&self) -> &str {
        &self.env["DOMAIN_NAME"]
    }

    /// The HTTPS port published on the host.
    pub fn port(&self) -> u16 {
        self.env["HTTPS_PORT"].parse().unwrap()
    }

    /// The data directory (`DATA_DIR`: the volumes' directories).
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

    /// A stack with the bonus services (`make bonus`'s), started and healthy.
    pub fn bonus(what: &str) -> Stack {
        let mut stack = Stack::new(what);
        stack.set_profiles(&["bonus"]);
        stack.up(&[]);
        stack
    }

    /// `docker compose --env-file srcs/.env.example -p PROJECT ARGS...`, this stack's settings
    /// in the environment (which wins over the example's).
    pub fn compose(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(&self.compose[0]);
        cmd.args(&self.compose[1..])
            .args(["--env-file", "srcs/.env.example"])
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

    /// nginx's `[error]` lines (since `since`, a time `docker logs --since` takes, when
    /// given): why it failed or retried a request on an upstream, e.g. "*432 recv() failed
    /// (104: Connection reset by peer) while reading response header from upstream, ...".
    pub fn nginx_errors(&self, since: Option<&str>) -> Vec<String> {
        let nginx = self.container("nginx");
        let mut args = vec!["logs"];
        if let Some(since) = since {
            args.extend(["--since", since]);
        }
        args.push(&nginx);
        stderr(&docker(&args))
            .lines()
            .filter(|l| l.contains("[error]"))
            .map(str::to_owned)
            .collect()
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
            &self.dir.0.join(format!("cookies-{}", sequence())),
        )
    }

    /// `make TARGET` for this stack (its project, data, secrets, port and domain; BONUS=1
    /// when it runs the bonus profile, WP_REPLICAS=2 when it runs the replica).
    pub fn make(&self, target: &str) -> Output {
        let replicas = if self.runs_profile("replica") { 2 } else { 1 };
        run(self
            .make_command(target)
            .arg(format!("BONUS={}", u8::from(self.runs_profile("bonus"))))
            .arg(format!("WP_REPLICAS={replicas}")))
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

impl Drop for Stack {
    fn drop(&mut self) {
        let _ = self.compose(&["down", "-v", "--remove-orphans", "-t", "10"]);
    }
}

/// The uid `make` gives the secrets when a user (not root) runs it: configure.sh makes them
/// that user's, mode 600. A container's root reads them only with DAC_OVERRIDE; the tests'
/// stacks run so, as the evaluator's does.
const SECRETS_OWNER: u32 = 1000;

/// `path` owned by [`SECRETS_OWNER`], with `mode`.
fn private_to_a_user(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    std::os::unix::fs::chown(path, Some(SECRETS_OWNER), Some(SECRETS_OWNER)).unwrap();
}
