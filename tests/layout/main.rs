//! The repository's shape as the project fixes it, read from the files themselves: the
//! compile stage every service Dockerfile shares, what compose builds, and documentation a
//! person can read in a defense (bounded sizes, links that lead somewhere). No Docker needed:
//! `make test-unit` runs it.

use inception_tests::*;

/// Where every service Dockerfile's compile stage is written from (`make dockerfiles`).
const COMPILE_STAGE: &str = "srcs/requirements/compile-stage.Dockerfile";

/// Every image compose builds: the services it runs, then those only the Swarm stack runs.
fn every_image() -> Vec<&'static str> {
    let mut all = all_services().to_vec();
    all.extend_from_slice(compose_facts("swarm"));
    all
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn every_service_dockerfile_holds_the_one_compile_stage() {
    let template = read(COMPILE_STAGE);
    assert!(
        template.starts_with("# ---- Compile stage")
            && template.ends_with("RUN cargo-build all\nLABEL org.inception.stage=compile\n"),
        "{COMPILE_STAGE} is not a compile stage"
    );
    for s in every_image() {
        let dockerfile = read(&format!("srcs/requirements/{s}/Dockerfile"));
        // Character for character: then the layer cache compiles the workspace once per
        // build, whichever image needs it first.
        assert!(
            dockerfile.contains(&format!("\n\n{template}\n")),
            "the compile stage of {s} differs from {COMPILE_STAGE}: run make dockerfiles"
        );
        // Its own binary; the monitoring's exporters (`*-exporter`) share one, which serves
        // whichever exporter its image holds (crates/exporter).
        let binary = if s.ends_with("-exporter") {
            "inception-exporter".to_owned()
        } else {
            format!("inception-{s}")
        };
        assert!(
            dockerfile.contains(&format!("COPY --from=compile /out/{binary} ")),
            "{s} does not copy its binary from the compile stage"
        );
        assert!(
            dockerfile.contains(&format!("\nENTRYPOINT [\"{binary}\"]\n")),
            "{s}'s entrypoint is not {binary}"
        );
        assert!(
            !dockerfile.contains("ARG BUILDER"),
            "{s} uses an outside builder image"
        );
        // The service's command line is its crate's (cli::Service::command), not repeated.
        assert!(
            !dockerfile.lines().any(|l| l.starts_with("CMD ")),
            "{s}'s Dockerfile has a CMD"
        );
    }
    // The packages stage comes before the compile stage (srcs/tools/build-images.sh builds
    // it while the workspace compiles), and the service stage starts from it.
    for s in every_image() {
        let dockerfile = read(&format!("srcs/requirements/{s}/Dockerfile"));
        let packages = dockerfile.find("FROM debian:bookworm AS packages\n");
        let manifests = dockerfile.find("FROM debian:bookworm AS manifests\n");
        assert!(
            matches!((packages, manifests), (Some(p), Some(m)) if p < m),
            "{s}: no packages stage before the compile stage"
        );
        assert!(
            dockerfile.contains("\nFROM packages\n"),
            "{s}: the service stage does not start from the packages stage"
        );
    }
}

#[test]
fn compose_builds_every_image_from_its_own_dockerfile_with_the_root_as_context() {
    let compose = std::fs::read_to_string(repo().join("docker-compose.yml")).unwrap();
    for s in every_image() {
        // The service's block: from `  <s>:` to the next line indented by two spaces.
        let start = compose
            .find(&format!("\n  {s}:\n"))
            .unwrap_or_else(|| panic!("no service {s}"));
        let rest = &compose[start + 1..];
        let end = rest
            .match_indices("\n  ")
            .find(|(i, _)| rest[i + 3..].starts_with(|c: char| c.is_ascii_alphabetic()))
            .map_or(rest.len(), |(i, _)| i);
        let block = &rest[..end];
        let build = format!(
            "    build:\n      context: .\n      dockerfile: srcs/requirements/{s}/Dockerfile\n"
        );
        assert!(block.contains(&build), "{s}: expected\n{build}in\n{block}");
        // The source hash `make build` compares (srcs/tools/source-hash.sh) becomes a label.
        assert!(
            block.contains("      args: *source\n")
                || block.contains("      args: &source ")
                || block.contains("      args: { <<: *source, "),
            "{s} is not built with the INCEPTION_SOURCE argument:\n{block}"
        );
        assert!(
            block.contains(&format!("    image: {s}:${{TAG?set TAG in srcs/.env}}\n")),
            "{s}: image name"
        );
        let dockerfile =
            std::fs::read_to_string(repo().join(format!("srcs/requirements/{s}/Dockerfile")))
                .unwrap();
        assert!(
            dockerfile.ends_with("LABEL org.inception.source=$INCEPTION_SOURCE\n"),
            "{s}'s Dockerfile does not end with the source label"
        );
    }
    assert!(compose.contains("args: &source { INCEPTION_SOURCE: \"${INCEPTION_SOURCE:-}\" }"));
    assert!(!compose.contains("latest"));
}

#[test]
fn compose_runs_the_subjects_three_services_and_each_has_a_dockerfile() {
    assert_eq!(compose_facts("mandatory"), MANDATORY);
    assert_eq!(&all_services()[..MANDATORY.len()], MANDATORY);
    for s in every_image() {
        assert!(
            repo()
                .join(format!("srcs/requirements/{s}/Dockerfile"))
                .is_file(),
            "{s} has no Dockerfile"
        );
    }
    // Every secret and data directory compose names is one make provides.
    let make = std::fs::read_to_string(repo().join("Makefile")).unwrap();
    assert!(
        make.contains("compose-facts.sh mandatory") && make.contains("compose-facts.sh data-dirs")
    );
    assert_eq!(
        compose_facts("data-dirs"),
        ["mariadb", "wordpress", "backups", "prometheus"]
    );
    assert!(secrets().contains(&"db_password") && secrets().contains(&"wp_admin_password"));
}

/// The settings `srcs/.env.example` gives a value: (key, value).
fn example_defaults() -> Vec<(String, String)> {
    read("srcs/.env.example")
        .lines()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_uppercase()))
        .filter_map(|l| l.split_once('='))
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// Every `${NAME...}` of a compose file: (NAME, what follows it up to the brace).
fn interpolations(text: &str) -> Vec<(String, String)> {
    text.match_indices("${")
        .filter_map(|(i, _)| {
            let rest = &text[i + 2..];
            let end = rest.find('}')?;
            let inner = &rest[..end];
            let name_end = inner
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(inner.len());
            Some((inner[..name_end].to_owned(), inner[name_end..].to_owned()))
        })
        .collect()
}

/// What a compose file may read besides the settings: build and test plumbing, empty when
/// unset (the source hash `make build` passes, the tests' container-name prefix), and what
/// make derives from BONUS: the object cache's address (unset: the bonus's redis) and nginx's
/// metrics listener for the monitoring (unset: on).
const NOT_SETTINGS: [(&str, &str); 4] = [
    ("INCEPTION_SOURCE", ":-"),
    ("CONTAINER_PREFIX", ":-"),
    ("WP_REDIS_HOST", "-redis:6379"),
    ("NGINX_METRICS", "-1"),
];

/// The files that read the settings and must not write their defaults again.
fn settings_readers() -> Vec<String> {
    let mut files = vec!["docker-compose.yml".to_owned(), "Makefile".to_owned()];
    for dir in ["srcs/tools", "srcs/swarm"] {
        for entry in std::fs::read_dir(repo().join(dir)).unwrap() {
            files.push(format!(
                "{dir}/{}",
                entry.unwrap().file_name().to_string_lossy()
            ));
        }
    }
    files.sort();
    files
}

#[test]
fn every_default_is_written_once_in_the_env_example() {
    let defaults = example_defaults();
    assert!(
        defaults
            .iter()
            .any(|(k, v)| k == "HTTPS_PORT" && v == "443")
    );
    let example = read("srcs/.env.example");
    let keys: Vec<&str> = example
        .lines()
        .filter_map(|l| l.split_once('=').map(|(k, _)| k))
        .filter(|k| k.starts_with(|c: char| c.is_ascii_uppercase()))
        .collect();
    let mut problems = Vec::new();
    for file in settings_readers() {
        let text = read(&file);
        if file.ends_with(".yml") {
            for (name, rest) in interpolations(&text) {
                let allowed = NOT_SETTINGS.iter().any(|(n, r)| *n == name && *r == rest);
                let setting = keys.contains(&name.as_str());
                // A setting is required (`?` or `:?`, with a message), never defaulted.
                if !allowed
                    && !(setting
                        && (rest.is_empty()
                            || rest.starts_with(['?', ':']) && !rest.starts_with(":-")))
                {
                    problems.push(format!("{file}: ${{{name}{rest}}}"));
                }
            }
        }
        for (key, value) in &defaults {
            for default in [
                format!("${{{key}:-"),
                format!("${{{key}-"),
                format!("\n{key} ?="),
                format!("\n{key} :="),
                format!("\n{key} ="),
            ] {
                if text.contains(&default) {
                    problems.push(format!(
                        "{file}: {} (the example has {key}={value})",
                        default.trim()
                    ));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "defaults written outside srcs/.env.example:\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn the_swarm_overrides_hold_only_what_differs_from_compose() {
    let overrides = read("srcs/swarm/overrides.yml");
    // Images, capabilities, tmpfs and health probes are compose's: only a health check's
    // start period may differ.
    for key in [
        "image:",
        "cap_add:",
        "cap_drop:",
        "tmpfs: [",
        "test:",
        "read_only: true\n",
    ] {
        assert!(
            !overrides.contains(key),
            "srcs/swarm/overrides.yml restates {key:?} (docker-compose.yml has it)"
        );
    }
    // Every service of the stack comes from compose's list, or is one of several made of
    // one (`mariadb-1`, `mysqld-exporter-2`: a Galera member and its exporter).
    let compose = read("docker-compose.yml");
    let mut section = "";
    for line in overrides.lines() {
        if !line.starts_with([' ', '#']) && !line.is_empty() {
            section = line;
        }
        let Some(name) = line.strip_prefix("  ").and_then(|l| l.strip_suffix(':')) else {
            continue;
        };
        if section != "services:" || name.starts_with([' ', '#']) {
            continue;
        }
        let name = match name.rsplit_once('-') {
            Some((base, n)) if n.parse::<u8>().is_ok() => base,
            _ => name,
        };
        assert!(
            compose.contains(&format!("\n  {name}:\n")),
            "srcs/swarm/overrides.yml: {name} is not a service of docker-compose.yml"
        );
    }
}

/// The three documents the subject asks for, and how big each may grow (bytes): beyond that,
/// a topic moves to `docs/<topic>.md` and the document links to it.
const MAIN_DOCS: [(&str, usize); 3] = [
    ("README.md", 8192),
    ("USER_DOC.md", 10240),
    ("DEV_DOC.md", 15360),
];

/// The documents under `docs/`, relative to the repository root, sorted.
fn topic_docs() -> Vec<String> {
    let mut docs: Vec<String> = std::fs::read_dir(repo().join("docs"))
        .expect("docs/")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".md"))
        .map(|name| format!("docs/{name}"))
        .collect();
    docs.sort();
    docs
}

/// The text GitHub renders as prose: fenced code blocks and HTML comments blanked, inline
/// code spans replaced by `CODE`, line breaks kept so that line numbers still match the file.
fn prose(doc: &str) -> String {
    let mut text = String::new();
    let mut fenced = false;
    for line in doc.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if !fenced {
            text.push_str(line);
        }
        text.push('\n');
    }
    // Code spans: a run of N backticks up to the next run of exactly N (CommonMark); they
    // may cross a line break within a paragraph. A run left open is literal text.
    let chars: Vec<char> = text.chars().collect();
    let run = |i: usize| chars[i..].iter().take_while(|&&c| c == '`').count();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '`' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let n = run(i);
        let mut j = i + n;
        let close = loop {
            match chars[j..].iter().position(|&c| c == '`') {
                None => break None,
                Some(k) if run(j + k) == n => break Some(j + k),
                Some(k) => j += k + run(j + k),
            }
        };
        match close {
            Some(end) => {
                out.push_str("CODE");
                out.extend(chars[i..end].iter().filter(|&&c| c == '\n'));
                i = end + n;
            }
            None => {
                out.extend(&chars[i..i + n]);
                i += n;
            }
        }
    }
    // HTML comments (`<!-- … -->`), which GitHub does not show.
    let mut text = String::new();
    let mut rest = out.as_str();
    while let Some(start) = rest.find("<!--") {
        text.push_str(&rest[..start]);
        let end = rest[start..]
            .find("-->")
            .map_or(rest.len(), |e| start + e + 3);
        text.extend(rest[start..end].chars().filter(|&c| c == '\n'));
        rest = &rest[end..];
    }
    text.push_str(rest);
    text
}

/// Every inline link and image target in the prose, with its line: `[text](target)`, the
/// target up to the first space (a title may follow).
fn links(doc: &str) -> Vec<(usize, String)> {
    prose(doc)
        .lines()
        .enumerate()
        .flat_map(|(n, line)| {
            line.match_indices("](")
                .filter_map(|(i, _)| {
                    let rest = &line[i + 2..];
                    let target = rest[..rest.find(')')?].split_whitespace().next()?;
                    Some((n + 1, target.to_owned()))
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Links that lead out of the repository.
fn is_external(target: &str) -> bool {
    ["http://", "https://", "mailto:"]
        .iter()
        .any(|scheme| target.starts_with(scheme))
}

/// The anchor GitHub gives a heading: lower case, punctuation dropped but for hyphens and
/// underscores, each space a hyphen.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|&c| c.is_alphanumeric() || c == '-' || c == '_' || c == ' ')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors of a document's headings (outside code blocks); a repeated heading gets
/// `-1`, `-2`, … as on GitHub.
fn anchors(doc: &str) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    for line in prose(doc).lines() {
        let hashes = line.chars().take_while(|&c| c == '#').count();
        if !(1..=6).contains(&hashes) || !line[hashes..].starts_with(' ') {
            continue;
        }
        let base = slug(&line[hashes..]);
        let repeats = seen
            .iter()
            .filter(|s| {
                **s == base
                    || s.strip_prefix(&format!("{base}-"))
                        .is_some_and(|n| n.parse::<u32>().is_ok())
            })
            .count();
        seen.push(if repeats == 0 {
            base
        } else {
            format!("{base}-{repeats}")
        });
    }
    seen
}

/// Words in angle brackets outside code and comments (`<login>`, `<domain>`): GitHub takes
/// them for HTML tags and shows nothing.
fn hidden_placeholders(doc: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (n, line) in prose(doc).lines().enumerate() {
        for (i, _) in line.match_indices('<') {
            let rest = &line[i + 1..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-' || *c == '/')
                .collect();
            let starts_with_letter = name
                .trim_start_matches('/')
                .starts_with(|c: char| c.is_ascii_alphabetic());
            if starts_with_letter && rest[name.len()..].starts_with('>') {
                found.push((n + 1, format!("<{name}>")));
            }
        }
    }
    found
}

#[test]
fn markdown_is_read_as_github_renders_it() {
    assert_eq!(
        slug("How it is built (`srcs/tools/vm-build.sh` and `vm.sh`)"),
        "how-it-is-built-srcstoolsvm-buildsh-and-vmsh"
    );
    assert_eq!(slug(" The Makefile's variables"), "the-makefiles-variables");
    assert_eq!(slug("1. Base image"), "1-base-image");
    assert_eq!(
        slug("Two WordPress containers, zero lost requests"),
        "two-wordpress-containers-zero-lost-requests"
    );
    assert_eq!(
        anchors("# A\n## Tests\n```sh\n# not a heading\n```\n### Tests\n#hashtag\n## Tests\n"),
        ["a", "tests", "tests-1", "tests-2"]
    );
    let doc = "See [a](a.md#x) and [b](https://b.org).\n`[c](c.md)` ``x ` [d](d.md) ``\n\
               ```\n[e](e.md)\n```\n![f](img/f.png \"title\") [g](#g) `open\nspan` [h](h.md)\n";
    assert_eq!(
        links(doc),
        [
            (1, "a.md#x".to_owned()),
            (1, "https://b.org".to_owned()),
            (6, "img/f.png".to_owned()),
            (6, "#g".to_owned()),
            (7, "h.md".to_owned()),
        ]
    );
    assert!(is_external("https://b.org") && is_external("mailto:x@y") && !is_external("a.md"));
    // A backtick left open is text; the lines stay where they were.
    assert_eq!(prose("a ` b\nc `` d\n"), "a ` b\nc `` d\n");
    assert_eq!(prose("x `y\nz` w\n"), "x CODE\n w\n");
    assert_eq!(
        hidden_placeholders("by <login>.\n`<login>` <!-- <x>\n[y](y.md) --> a <br/> 1 < 2 > 0\n"),
        [(1, "<login>".to_owned()), (3, "<br/>".to_owned())]
    );
    assert!(links("<!-- [y](y.md) -->\n").is_empty());
}

#[test]
fn the_docs_stay_readable_and_every_link_resolves() {
    let mut problems = Vec::new();
    for (doc, bound) in MAIN_DOCS {
        let size = read(doc).len();
        if size > bound {
            problems.push(format!(
                "{doc} is {size} bytes, more than {bound}: move a topic to docs/<topic>.md and link it"
            ));
        }
    }
    let readme = read("README.md");
    let first = readme.lines().next().unwrap_or_default();
    if first.contains("<login>") || !first.starts_with('*') {
        problems.push(format!(
            "README.md's first line must be the italic credit line, with a placeholder that renders: {first:?}"
        ));
    }

    let main: Vec<&str> = MAIN_DOCS.iter().map(|(d, _)| *d).collect();
    let topics = topic_docs();
    let mut linked: Vec<String> = Vec::new();
    for doc in main
        .iter()
        .map(|d| d.to_string())
        .chain(topics.iter().cloned())
    {
        let text = read(&doc);
        let dir = std::path::Path::new(&doc).parent().unwrap().to_path_buf();
        for (line, target) in links(&text) {
            if is_external(&target) {
                continue;
            }
            let (path, fragment) = match target.split_once('#') {
                Some((path, fragment)) => (path, Some(fragment)),
                None => (target.as_str(), None),
            };
            let file = if path.is_empty() {
                std::path::PathBuf::from(&doc)
            } else {
                dir.join(path)
            };
            let Ok(resolved) = repo().join(&file).canonicalize() else {
                problems.push(format!("{doc}:{line}: {target}: no such file"));
                continue;
            };
            let relative = resolved
                .strip_prefix(repo().canonicalize().unwrap())
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default();
            if main.contains(&doc.as_str()) {
                linked.push(relative.clone());
            }
            if let Some(fragment) = fragment {
                let anchors = std::fs::read_to_string(&resolved)
                    .map(|t| anchors(&t))
                    .unwrap_or_default();
                if !anchors.iter().any(|a| a == fragment) {
                    problems.push(format!(
                        "{doc}:{line}: {target}: {relative} has no heading #{fragment} (it has: {})",
                        anchors.join(", ")
                    ));
                }
            }
        }
        for (line, tag) in hidden_placeholders(&text) {
            problems.push(format!(
                "{doc}:{line}: {tag} outside code shows as nothing on GitHub: put it in `code` or write it plainly"
            ));
        }
    }
    for topic in &topics {
        if !linked.contains(topic) {
            problems.push(format!(
                "{topic} is linked from none of {}",
                main.join(", ")
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "the docs:\n  {}",
        problems.join("\n  ")
    );
}

/// The files git tracks (vendor/ aside: other people's crates).
fn tracked_files() -> Vec<String> {
    let o = run(std::process::Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(repo()));
    assert!(o.status.success(), "git ls-files: {}", stderr(&o));
    String::from_utf8_lossy(&o.stdout)
        .split('\0')
        .filter(|f| !f.is_empty() && !f.starts_with("vendor/"))
        .map(str::to_owned)
        .collect()
}

/// Whether `line` names an image with the tag `latest` (a colon, then the word).
fn names_latest_tag(line: &str) -> bool {
    let tag = ["", "latest"].join(":");
    line.match_indices(&tag).any(|(i, _)| {
        let before = line[..i].chars().next_back();
        let after = line[i + tag.len()..].chars().next();
        before.is_some_and(|c| c.is_ascii_alphanumeric() || "_.-}".contains(c))
            && !after.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    })
}

#[test]
fn no_file_of_the_repository_uses_a_latest_tag() {
    // Written in parts, so that this file does not name the tag itself.
    let tag = ["", "latest"].join(":");
    assert!(names_latest_tag(&format!(
        "image=inception-swarm-node{tag}"
    )));
    assert!(names_latest_tag(&format!("FROM debian{tag} AS x")));
    assert!(!names_latest_tag("the latest verdict; latest.md"));
    assert!(!names_latest_tag(&format!("x{tag}ness")));
    let mut hits = Vec::new();
    for file in tracked_files() {
        let Ok(text) = std::fs::read_to_string(repo().join(&file)) else {
            continue;
        };
        for (n, line) in text.lines().enumerate() {
            if names_latest_tag(line) {
                hits.push(format!("{file}:{}: {line}", n + 1));
            }
        }
        // An image named without a tag is `latest` too: every FROM names its tag or a stage.
        if file.ends_with("Dockerfile") {
            for line in text.lines().filter(|l| l.starts_with("FROM ")) {
                let image = line.split_whitespace().nth(1).unwrap_or_default();
                let stage = text.contains(&format!(" AS {image}\n"));
                if !stage && !image.contains(':') {
                    hits.push(format!("{file}: {line} (no tag: latest)"));
                }
            }
        }
    }
    assert!(hits.is_empty(), "latest tags:\n{}", hits.join("\n"));
}
