//! The image's WordPress beside the stable release's (Debian trixie's 6.8), on two stacks of
//! the same images but for wordpress, both as `make` runs them (one php-fpm container, no
//! object cache): the uncached pages' throughput, then where each page's time goes, sampled
//! by Excimer (Debian's `php-excimer`) in a throwaway image on top of each wordpress image.

use std::collections::HashMap;
use std::fmt::Write as _;

use inception_tests::*;

use crate::{wait_serving, wrk};

/// The pages no cache answers: what, path, and whether they are asked logged in (the
/// anonymous one carries the cookie that makes nginx's micro-cache step aside).
const PAGES: [(&str, &str, bool); 3] = [
    ("anonymous front page, cache bypassed", "/", false),
    ("logged-in front page", "/", true),
    (
        "logged-in admin page (/wp-admin/edit.php)",
        "/wp-admin/edit.php",
        true,
    ),
];
const BYPASS: &str = "wordpress_no_cache=1";
/// Requests sampled per page, after WARM unsampled ones (OPcache's JIT compiles the hot
/// code over the first tens of requests of each worker).
const SAMPLED: usize = 50;
const WARM: usize = 100;
/// Frames that only pass calls on (hooks, included templates, closures): left out of the
/// functions whose time grew most, which would otherwise all be dispatchers.
fn dispatcher(frame: &str) -> bool {
    frame.starts_with('/')
        || frame.starts_with("WP_Hook::")
        || frame.contains("{closure")
        || [
            "do_action",
            "apply_filters",
            "call_user_func",
            "call_user_func_array",
        ]
        .contains(&frame)
}

/// Where the time goes: a name and the functions whose time (their callees' included) it
/// counts; a sample counts once per row even when several of them are on its stack.
const WHERE: &[(&str, &[&str])] = &[
    (
        "waiting for MariaDB (`wpdb::_do_query`)",
        &["wpdb::_do_query"],
    ),
    (
        "connecting to MariaDB (`wpdb::db_connect`)",
        &["wpdb::db_connect"],
    ),
    (
        "theme.json read and merged (`WP_Theme_JSON_Resolver`)",
        &[
            "WP_Theme_JSON_Resolver::get_merged_data",
            "WP_Theme_JSON_Resolver::get_style_variations",
        ],
    ),
    (
        "block templates resolved (`get_block_templates`)",
        &["get_block_templates", "resolve_block_template"],
    ),
    ("blocks rendered (`do_blocks`)", &["do_blocks"]),
    (
        "block patterns registered (`_register_theme_block_patterns`)",
        &[
            "_register_theme_block_patterns",
            "_load_remote_block_patterns",
        ],
    ),
    (
        "style variations' font faces (`wp_print_font_faces_from_style_variations`)",
        &["wp_print_font_faces_from_style_variations"],
    ),
    (
        "theme's post templates scanned (`WP_Theme::get_post_templates`)",
        &["WP_Theme::get_post_templates"],
    ),
];

/// The profiler, started by php-fpm before each script (auto_prepend_file) for requests that
/// carry the header X-Inception-Profile; each request appends its stacks, collapsed
/// ("frame;frame;... count", 1 ms of wall time per sample), to /tmp/profile.folded, and a
/// line "#cpu <µs>": the CPU time php-fpm's worker spent on it (getrusage).
const PREPEND: &str = r##"<?php
if (isset($_SERVER['HTTP_X_INCEPTION_PROFILE'])) {
    $inception_cpu = function () {
        $u = getrusage();
        return $u['ru_utime.tv_sec'] * 1e6 + $u['ru_utime.tv_usec']
            + $u['ru_stime.tv_sec'] * 1e6 + $u['ru_stime.tv_usec'];
    };
    $inception_start = $inception_cpu();
    $inception_profiler = new ExcimerProfiler();
    $inception_profiler->setPeriod(0.001);
    $inception_profiler->setEventType(EXCIMER_REAL);
    $inception_profiler->start();
    // Registered from the first shutdown function, so that it runs after WordPress's own.
    $inception_end = function () use ($inception_profiler, $inception_cpu, $inception_start) {
        $inception_profiler->stop();
        $cpu = sprintf("#cpu %d\n", $inception_cpu() - $inception_start);
        file_put_contents('/tmp/profile.folded',
            $inception_profiler->getLog()->formatCollapsed() . $cpu, FILE_APPEND | LOCK_EX);
    };
    register_shutdown_function(function () use ($inception_end) {
        register_shutdown_function($inception_end);
    });
}
"##;

/// One side of the comparison: a stack, its administrator's session, its WordPress version.
struct Side {
    stack: Stack,
    session: String,
    version: String,
    /// The wordpress image it runs.
    image: String,
}

impl Side {
    fn start(name: &str, image: Option<&str>) -> Side {
        let mut stack = Stack::new(name);
        stack.use_image("wordpress", image);
        stack.up(&MANDATORY);
        wait_serving(&stack);
        let admin = stack.https();
        assert!(admin.login("webmaster", &stack.secret("wp_admin_password")));
        let session = admin.cookie_header();
        let version = stack.wordpress_version("/var/www/html").0;
        let image = image
            .unwrap_or(inception_tests::image("wordpress"))
            .to_owned();
        Side {
            stack,
            session,
            version,
            image,
        }
    }

    fn cookie(&self, logged_in: bool) -> &str {
        if logged_in { &self.session } else { BYPASS }
    }

    /// Requests per second of each page (wrk), every answer asserted 2xx.
    fn rates(&self) -> Vec<f64> {
        PAGES
            .iter()
            .map(|&(_, path, logged_in)| {
                let (rate, _, errors) = wrk(&self.stack, path, Some(self.cookie(logged_in)));
                assert_eq!(errors, 0, "{path}: {errors} answers were not 2xx");
                rate
            })
            .collect()
    }

    /// Runs the profiling image in place of the wordpress image, then samples each page.
    fn profiles(&mut self) -> Vec<Profile> {
        let image = profiling_image(&self.image);
        self.stack.use_image("wordpress", Some(&image));
        self.stack
            .compose_ok(&["up", "-d", "--no-build", "wordpress"]);
        self.stack.wait_healthy("wordpress");
        wait_serving(&self.stack);
        let web = self.stack.https();
        PAGES
            .iter()
            .map(|&(_, path, logged_in)| {
                let cookie = format!("Cookie: {}", self.cookie(logged_in));
                let get = |extra: &[&str]| -> u64 {
                    let mut args = vec!["-H", cookie.as_str(), "-o", "/dev/null"];
                    args.extend_from_slice(extra);
                    args.extend_from_slice(&["-w", "%{size_download}"]);
                    let r = web.request(path, &args);
                    assert_eq!(r.status, 200, "{path}");
                    r.body.trim().parse().unwrap_or(0)
                };
                let mut bytes = 0;
                for _ in 0..WARM {
                    bytes = get(&[]);
                }
                let o = self
                    .stack
                    .exec("wordpress", &["rm", "-f", "/tmp/profile.folded"]);
                assert!(o.status.success(), "{}", stderr(&o));
                for _ in 0..SAMPLED {
                    get(&["-H", "X-Inception-Profile: 1"]);
                }
                let o = self
                    .stack
                    .exec("wordpress", &["cat", "/tmp/profile.folded"]);
                assert!(o.status.success(), "no profile of {path}: {}", stderr(&o));
                Profile::parse(&stdout(&o), SAMPLED, bytes)
            })
            .collect()
    }
}

/// `base` with Debian's php-excimer and [`PREPEND`] (built once per base image).
fn profiling_image(base: &str) -> String {
    let name = format!("{base}-profile");
    let context = TempDir::new(&unique("profile"));
    std::fs::write(context.path().join("profile.php"), PREPEND).unwrap();
    let dockerfile = format!(
        "FROM {base}\n\
         RUN apt-get update && apt-get install -y --no-install-recommends php-excimer \
         && rm -rf /var/lib/apt/lists/*\n\
         COPY profile.php /usr/local/lib/inception-profile.php\n\
         RUN echo 'auto_prepend_file = /usr/local/lib/inception-profile.php' \
         >/etc/php/8.2/fpm/conf.d/99-profile.ini\n"
    );
    std::fs::write(context.path().join("Dockerfile"), dockerfile).unwrap();
    let path = context.path().to_string_lossy().into_owned();
    docker_ok(&["build", "-q", "-t", &name, &path]);
    name
}

/// Sampled stacks of some requests: milliseconds per request, in total and per function
/// (its callees' time included).
struct Profile {
    requests: usize,
    samples: u64,
    /// CPU time of php-fpm's worker, all requests together (µs).
    cpu_us: u64,
    /// The answer's size (bytes).
    bytes: u64,
    /// Each collapsed stack and its samples.
    stacks: Vec<(Vec<String>, u64)>,
}

impl Profile {
    fn parse(folded: &str, requests: usize, bytes: u64) -> Profile {
        let cpu_us = folded
            .lines()
            .filter_map(|l| l.strip_prefix("#cpu ")?.parse::<u64>().ok())
            .sum();
        let stacks: Vec<(Vec<String>, u64)> = folded
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| {
                let (stack, n) = l.rsplit_once(' ')?;
                Some((
                    stack.split(';').map(str::to_owned).collect(),
                    n.parse().ok()?,
                ))
            })
            .collect();
        let samples = stacks.iter().map(|(_, n)| n).sum();
        assert!(samples > 0, "no samples:\n{folded}");
        Profile {
            requests,
            samples,
            cpu_us,
            bytes,
            stacks,
        }
    }

    fn per_request(&self, samples: u64) -> f64 {
        samples as f64 / self.requests as f64
    }

    fn total_ms(&self) -> f64 {
        self.per_request(self.samples)
    }

    fn cpu_ms(&self) -> f64 {
        self.cpu_us as f64 / 1e3 / self.requests as f64
    }

    /// Milliseconds per request with any of `functions` on the stack.
    fn ms_in(&self, functions: &[&str]) -> f64 {
        let samples = self
            .stacks
            .iter()
            .filter(|(frames, _)| frames.iter().any(|f| functions.contains(&f.as_str())))
            .map(|(_, n)| n)
            .sum();
        self.per_request(samples)
    }

    /// Milliseconds per request of every function (each counted once per sample).
    fn inclusive(&self) -> HashMap<&str, f64> {
        let mut out: HashMap<&str, u64> = HashMap::new();
        for (frames, n) in &self.stacks {
            let mut seen: Vec<&str> = frames.iter().map(String::as_str).collect();
            seen.sort_unstable();
            seen.dedup();
            for f in seen {
                *out.entry(f).or_default() += n;
            }
        }
        out.into_iter()
            .map(|(f, n)| (f, self.per_request(n)))
            .collect()
    }
}

/// The rows: throughput of [`PAGES`] on both versions, then their profiles.
pub fn versions_rows(report: &mut String) {
    let mut old = Side::start("bench-6-8", Some(OlderWordPress::V6_8.image()));
    let mut new = Side::start("bench-wp", None);
    // Twice each, alternating, so that a drift of the machine shows as a spread rather than
    // as a difference; the table gives the mean.
    let (mut new_rates, mut old_rates) = (vec![0.0; PAGES.len()], vec![0.0; PAGES.len()]);
    for _ in 0..2 {
        for (sum, rate) in new_rates.iter_mut().zip(new.rates()) {
            *sum += rate / 2.0;
        }
        for (sum, rate) in old_rates.iter_mut().zip(old.rates()) {
            *sum += rate / 2.0;
        }
    }
    let (o, n) = (old.version.clone(), new.version.clone());
    writeln!(
        report,
        "\n## WordPress {n} (the image's) beside {o} (Debian stable's)\n\n\
         Two stacks of the same images but for wordpress, as `make` runs them (one php-fpm \
         container, no object cache), wrk as above, alternating twice (mean).\n\n\
         | page | WordPress {o} | WordPress {n} | {n} / {o} |\n|---|---|---|---|"
    )
    .unwrap();
    for (((what, _, _), old_rate), new_rate) in PAGES.iter().zip(&old_rates).zip(&new_rates) {
        writeln!(
            report,
            "| {what} | {old_rate:.0} req/s | {new_rate:.0} req/s | {:.2}× |",
            new_rate / old_rate
        )
        .unwrap();
    }

    let (old_profiles, new_profiles) = (old.profiles(), new.profiles());
    writeln!(
        report,
        "\nWhere a page's time goes: wall time in PHP per request, sampled every 1 ms by \
         Excimer over {SAMPLED} requests one at a time (after {WARM} unsampled), \
         callees included; rows overlap (queries run inside blocks)."
    )
    .unwrap();
    for (((what, _, _), op), np) in PAGES.iter().zip(&old_profiles).zip(&new_profiles) {
        writeln!(
            report,
            "\n{what}:\n\n| where | {o} | {n} |\n|---|---|---|\n\
             | the answer (HTML, as wrk gets it: uncompressed) | {} B | {} B |\n\
             | CPU time of php-fpm's worker | {:.1} ms | {:.1} ms |\n\
             | all of the request (wall time) | {:.1} ms | {:.1} ms |",
            op.bytes,
            np.bytes,
            op.cpu_ms(),
            np.cpu_ms(),
            op.total_ms(),
            np.total_ms()
        )
        .unwrap();
        for (name, functions) in WHERE {
            let (a, b) = (op.ms_in(functions), np.ms_in(functions));
            if a >= 0.5 || b >= 0.5 {
                writeln!(report, "| {name} | {a:.1} ms | {b:.1} ms |").unwrap();
            }
        }
        // Where the new version spends more: the functions whose time grew most, leaving
        // out those that hold most of the request (the request's own frames).
        let (oi, ni) = (op.inclusive(), np.inclusive());
        let mut grown: Vec<(&str, f64, f64)> = ni
            .iter()
            .filter(|&(&f, &t)| t < 0.6 * np.total_ms() && !dispatcher(f))
            .map(|(&f, &t)| (f, oi.get(f).copied().unwrap_or(0.0), t))
            .filter(|&(_, before, now)| now - before >= 1.0)
            .collect();
        grown.sort_by(|a, b| (b.2 - b.1).total_cmp(&(a.2 - a.1)));
        // A chain of calls grows by the same time at every level: one row per chain.
        let mut shown: Vec<(f64, f64)> = Vec::new();
        let grown = grown.into_iter().filter(|&(_, before, now)| {
            let same = |&(b, n): &(f64, f64)| (b - before).abs() < 0.5 && (n - now).abs() < 0.5;
            let new = !shown.iter().any(same);
            shown.push((before, now));
            new
        });
        for (f, before, now) in grown.take(5) {
            writeln!(
                report,
                "| grew most: `{f}` | {before:.1} ms | {now:.1} ms |"
            )
            .unwrap();
        }
    }
}
