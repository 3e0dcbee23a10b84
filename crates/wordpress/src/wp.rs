//! `wp`: the subset of wp-cli that evaluation scripts type in the wordpress container
//! (`/usr/local/bin/wp` links to this binary; `main` dispatches on the name it is called by).
//!
//! The command line is read here as wp-cli reads it (positional arguments, `--key=value`,
//! `--flag`, `--no-flag`, the globals `--allow-root`, `--path`, `--quiet`), and the output
//! formats are ours (`format.rs`). The work is WordPress's: `/etc/inception/wp.php`
//! (srcs/requirements/wordpress/conf) loads it and answers one JSON request on its standard
//! input with one JSON answer, run by the PHP CLI as `www-data` even when called by root.
//! `core version`, `config path` and `--version` read files and need no PHP.

mod format;

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};

use inception_core::fs;
use inception_core::user::Account;
use serde_json::{Value, json};

use format::{Format, Row};

/// The PHP side, as installed in the image.
const SCRIPT: &str = "/etc/inception/wp.php";

/// The webroot when `--path` is not given.
const DEFAULT_PATH: &str = "/var/www/html";

/// The commands this `wp` knows, as `wp help` would list them.
const SUPPORTED: &[&str] = &[
    "core is-installed",
    "core version",
    "config path",
    "option get <key>",
    "user list",
    "post list",
    "comment create",
    "comment list",
    "comment delete <id>...",
    "db check",
    "--version",
];

/// A list command's objects: the prefix of their field names, their id field and the
/// fields wp-cli shows by default.
struct Object {
    prefix: &'static str,
    id: &'static str,
    fields: &'static [&'static str],
}

const USER: Object = Object {
    prefix: "user",
    id: "ID",
    fields: &[
        "ID",
        "user_login",
        "display_name",
        "user_email",
        "user_registered",
        "roles",
    ],
};
const POST: Object = Object {
    prefix: "post",
    id: "ID",
    fields: &["ID", "post_title", "post_name", "post_date", "post_status"],
};
const COMMENT: Object = Object {
    prefix: "comment",
    id: "comment_ID",
    fields: &[
        "comment_ID",
        "comment_post_ID",
        "comment_date",
        "comment_approved",
        "comment_author",
        "comment_author_email",
    ],
};

/// A command line, read as wp-cli reads it.
#[derive(Debug, PartialEq)]
pub struct Invocation {
    /// The command's words and its positional arguments.
    pub positional: Vec<String>,
    /// `--key=value` (a string), `--flag` (true), `--no-flag` (false), globals aside.
    pub assoc: BTreeMap<String, Value>,
    /// `--path`: WordPress's directory.
    pub path: PathBuf,
    /// `--quiet`: no success messages.
    pub quiet: bool,
    /// `--version`.
    pub version: bool,
}

impl Invocation {
    pub fn parse<I: IntoIterator<Item = String>>(args: I) -> Invocation {
        let mut inv = Invocation {
            positional: Vec::new(),
            assoc: BTreeMap::new(),
            path: PathBuf::from(DEFAULT_PATH),
            quiet: false,
            version: false,
        };
        let mut options = true;
        for arg in args {
            let Some(option) = arg.strip_prefix("--").filter(|_| options) else {
                inv.positional.push(arg);
                continue;
            };
            if option.is_empty() {
                // `--`: what follows is positional.
                options = false;
                continue;
            }
            let (key, value) = match option.split_once('=') {
                Some((k, v)) => (k.to_owned(), Value::String(v.to_owned())),
                None => match option.strip_prefix("no-") {
                    Some(k) => (k.to_owned(), Value::Bool(false)),
                    None => (option.to_owned(), Value::Bool(true)),
                },
            };
            match key.as_str() {
                // We run as www-data whoever calls: wp-cli's guard against root is moot.
                "allow-root" | "color" | "debug" | "no-color" => {}
                "path" => inv.path = PathBuf::from(format::text(&value)),
                "quiet" => inv.quiet = value == Value::Bool(true),
                "version" => inv.version = true,
                _ => {
                    inv.assoc.insert(key, value);
                }
            }
        }
        inv
    }

    /// The command's name: its first two words.
    fn command(&self) -> String {
        let words: Vec<&str> = self.positional.iter().take(2).map(String::as_str).collect();
        words.join(" ")
    }

    /// Removes an associative argument, as text.
    fn take(&mut self, key: &str) -> Option<String> {
        self.assoc.remove(key).map(|v| match v {
            Value::Bool(true) => String::new(),
            v => format::text(&v),
        })
    }
}

/// What went wrong: printed as `Error: …` on stderr, exit status 1.
#[derive(Debug, PartialEq)]
pub struct Failure(pub String);

impl<T: Into<String>> From<T> for Failure {
    fn from(s: T) -> Failure {
        Failure(s.into())
    }
}

/// What a command prints on success.
#[derive(Debug, Default, PartialEq)]
pub struct Done {
    pub stdout: String,
    /// The exit status (`core is-installed` answers with it).
    pub status: u8,
}

impl Done {
    fn out(stdout: String) -> Done {
        Done { stdout, status: 0 }
    }
}

/// `wp ARGS...`.
pub fn main<I: IntoIterator<Item = String>>(args: I) -> ExitCode {
    let mut inv = Invocation::parse(args);
    let quiet = inv.quiet;
    let result = run(&mut inv, &mut Php);
    let mut stdout = std::io::stdout().lock();
    match result {
        Ok(done) => {
            let text: String = if quiet {
                done.stdout
                    .lines()
                    .filter(|l| !l.starts_with("Success: "))
                    .map(|l| format!("{l}\n"))
                    .collect()
            } else {
                done.stdout
            };
            let _ = stdout.write_all(text.as_bytes());
            ExitCode::from(done.status)
        }
        Err(Failure(message)) => {
            let _ = stdout.flush();
            eprintln!("Error: {message}");
            ExitCode::from(1)
        }
    }
}

/// Where requests go: WordPress through wp.php, or a stand-in in the tests.
pub trait Backend {
    fn call(&mut self, path: &Path, request: Value) -> Result<Value, Failure>;
}

/// wp.php run by the PHP CLI as www-data.
struct Php;

impl Backend for Php {
    fn call(&mut self, path: &Path, request: Value) -> Result<Value, Failure> {
        let mut cmd = crate::install::php_command(SCRIPT, path);
        if nix::unistd::geteuid().is_root() {
            Account::lookup("www-data")
                .map_err(|e| format!("{e:#}"))?
                .apply(&mut cmd);
        }
        let input = fs::stdin_with(request.to_string().as_bytes()).map_err(|e| format!("{e:#}"))?;
        let out = cmd
            .stdin(input)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| format!("cannot run php: {e}"))?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let answer = stdout.lines().find_map(|l| {
            serde_json::from_str::<Value>(l)
                .ok()
                .filter(Value::is_object)
        });
        match answer {
            Some(a) => match a.get("error") {
                Some(e) => Err(Failure(format::text(e))),
                None => Ok(a),
            },
            None => {
                let stderr = String::from_utf8_lossy(&out.stderr);
                let last = stderr.lines().rev().find(|l| !l.trim().is_empty());
                Err(Failure(format!(
                    "WordPress gave no answer ({}){}",
                    out.status,
                    last.map(|l| format!(": {}", l.trim())).unwrap_or_default()
                )))
            }
        }
    }
}

/// Runs a command line.
pub fn run(inv: &mut Invocation, php: &mut dyn Backend) -> Result<Done, Failure> {
    if inv.positional.is_empty() {
        if inv.version {
            return version(&inv.path);
        }
        return Ok(Done::out(help()));
    }
    let command = inv.command();
    let path = inv.path.clone();
    let needs = |n: usize, usage: &str, inv: &Invocation| -> Result<(), Failure> {
        if inv.positional.len() < 2 + n {
            return Err(Failure(format!("Too few arguments. Usage: wp {usage}")));
        }
        Ok(())
    };
    match command.as_str() {
        "core version" => Ok(Done::out(format!("{}\n", wordpress_version(&path)?))),
        "config path" => config_path(&path),
        "core is-installed" => {
            wordpress(&path)?;
            let a = php.call(&path, json!({"command": command}))?;
            Ok(Done {
                stdout: String::new(),
                status: if a["installed"] == Value::Bool(true) {
                    0
                } else {
                    1
                },
            })
        }
        "option get" => {
            needs(1, "option get <key> [--format=<format>]", inv)?;
            let format = inv.take("format");
            let a = request(inv, &path, php, &command)?;
            let value = &a["value"];
            Ok(Done::out(match (format.as_deref(), value) {
                (Some("json"), v) => format!("{v}\n"),
                (_, Value::Array(_) | Value::Object(_)) => {
                    format!(
                        "{}\n",
                        serde_json::to_string_pretty(value).unwrap_or_default()
                    )
                }
                (_, v) => format!("{}\n", format::text(v)),
            }))
        }
        "user list" => list(inv, &path, php, &command, &USER),
        "post list" => list(inv, &path, php, &command, &POST),
        "comment list" => list(inv, &path, php, &command, &COMMENT),
        "comment create" => {
            let porcelain = inv.assoc.remove("porcelain") == Some(Value::Bool(true));
            let a = request(inv, &path, php, &command)?;
            Ok(Done::out(if porcelain {
                format!("{}\n", format::text(&a["id"]))
            } else {
                success_lines(&a)
            }))
        }
        "comment delete" => {
            needs(1, "comment delete <id>... [--force]", inv)?;
            let a = request(inv, &path, php, &command)?;
            Ok(Done::out(success_lines(&a)))
        }
        "db check" => db_check(inv, &path, php, &command),
        _ => Err(Failure(format!(
            "'{command}' is not a supported wp command here. Supported: {}.",
            SUPPORTED.join(", ")
        ))),
    }
}

/// Sends the command with its arguments (the words after the command's two) to wp.php.
fn request(
    inv: &Invocation,
    path: &Path,
    php: &mut dyn Backend,
    command: &str,
) -> Result<Value, Failure> {
    wordpress(path)?;
    php.call(
        path,
        json!({
            "command": command,
            "args": inv.positional[2..],
            "assoc": inv.assoc,
        }),
    )
}

fn success_lines(a: &Value) -> String {
    let lines = a["success"].as_array().cloned().unwrap_or_default();
    lines
        .iter()
        .map(|l| format!("Success: {}\n", format::text(l)))
        .collect()
}

/// `wp <object> list`: the rows wp.php finds with the filters given, formatted here.
fn list(
    inv: &mut Invocation,
    path: &Path,
    php: &mut dyn Backend,
    command: &str,
    object: &Object,
) -> Result<Done, Failure> {
    let format = Format::parse(&inv.take("format").unwrap_or_else(|| "table".into()))?;
    let field = inv.take("field");
    let fields = inv.take("fields");
    let a = request(inv, path, php, command)?;
    let rows: Vec<Row> = a["rows"]
        .as_array()
        .map(|r| r.iter().filter_map(|r| r.as_object().cloned()).collect())
        .unwrap_or_default();
    if let Some(field) = field {
        let field = format::resolve(&rows, object.prefix, &field)?;
        return Ok(Done::out(format::render_field(&rows, &field, format)));
    }
    let fields: Vec<String> = match fields {
        Some(f) => f
            .split(',')
            .map(|f| format::resolve(&rows, object.prefix, f.trim()))
            .collect::<Result<_, _>>()?,
        None => object.fields.iter().map(|f| f.to_string()).collect(),
    };
    let tty = std::io::stdout().is_terminal();
    Ok(Done::out(format::render(
        &rows, &fields, format, object.id, tty,
    )))
}

/// `wp db check`: one `db.table  OK` line per table, as mysqlcheck prints them.
fn db_check(
    inv: &Invocation,
    path: &Path,
    php: &mut dyn Backend,
    command: &str,
) -> Result<Done, Failure> {
    let a = request(inv, path, php, command)?;
    let mut out = String::new();
    let mut bad = Vec::new();
    for check in a["checks"].as_array().into_iter().flatten() {
        let table = format::text(&check["table"]);
        let kind = format::text(&check["type"]);
        let text = format::text(&check["text"]);
        if kind == "status" {
            out.push_str(&format!("{table:<50} {text}\n"));
        } else {
            out.push_str(&format!("{table}\n{kind:<9}: {text}\n"));
        }
        if kind == "error" || (kind == "status" && text != "OK") {
            bad.push(table);
        }
    }
    if !bad.is_empty() {
        print!("{out}");
        return Err(Failure(format!(
            "Database check failed: {}.",
            bad.join(", ")
        )));
    }
    out.push_str("Success: Database checked.\n");
    Ok(Done::out(out))
}

/// wp-cli's check that `path` holds WordPress.
fn wordpress(path: &Path) -> Result<(), Failure> {
    if path.join("wp-load.php").is_file() {
        Ok(())
    } else {
        Err(Failure(
            "This does not seem to be a WordPress installation.".into(),
        ))
    }
}

/// `$wp_version` in wp-includes/version.php, as wp-cli reads it.
fn wordpress_version(path: &Path) -> Result<String, Failure> {
    let file = path.join("wp-includes/version.php");
    let text = std::fs::read_to_string(&file)
        .map_err(|_| Failure("This does not seem to be a WordPress installation.".into()))?;
    parse_version(&text).ok_or_else(|| Failure(format!("no $wp_version in {}", file.display())))
}

/// The first assignment `$wp_version = '…';` (the name also appears in comments).
fn parse_version(php: &str) -> Option<String> {
    php.split("$wp_version").skip(1).find_map(|rest| {
        let rest = rest.trim_start().strip_prefix('=')?.trim_start();
        let quote = rest.chars().next().filter(|c| *c == '\'' || *c == '"')?;
        let rest = &rest[1..];
        Some(rest[..rest.find(quote)?].to_owned())
    })
}

/// `wp config path`: wp-config.php in the webroot, or in its parent (where WordPress
/// also looks).
fn config_path(path: &Path) -> Result<Done, Failure> {
    let candidates = [
        Some(path.join("wp-config.php")),
        path.parent().map(|p| p.join("wp-config.php")),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|p| p.is_file())
        .map(|p| Done::out(format!("{}\n", p.display())))
        .ok_or_else(|| Failure("'wp-config.php' not found.".into()))
}

fn version(path: &Path) -> Result<Done, Failure> {
    let wordpress = wordpress_version(path).unwrap_or_else(|_| "not found".into());
    Ok(Done::out(format!(
        "inception wp {} (a subset of WP-CLI's commands), WordPress {wordpress}\n",
        env!("CARGO_PKG_VERSION")
    )))
}

fn help() -> String {
    let mut out = String::from("usage: wp <command> [<args>...] [--<field>=<value>...]\n\n");
    out.push_str("The commands of WP-CLI this container supports:\n");
    for c in SUPPORTED {
        out.push_str(&format!("  wp {c}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Invocation {
        Invocation::parse(args.iter().map(|s| s.to_string()))
    }

    /// Answers with a fixed value and records the requests.
    struct Stub(Value, Vec<Value>);

    impl Backend for Stub {
        fn call(&mut self, _: &Path, request: Value) -> Result<Value, Failure> {
            self.1.push(request);
            match self.0.get("error") {
                Some(e) => Err(Failure(format::text(e))),
                None => Ok(self.0.clone()),
            }
        }
    }

    /// Runs `args` against a stub answering `answer`, with `--path` a directory that
    /// holds a wp-load.php.
    fn run_with(args: &[&str], answer: Value) -> (Result<Done, Failure>, Vec<Value>) {
        // One directory per call: the tests run in parallel.
        static SEQ: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("inception-wp-{}-{n}", std::process::id()));
        std::fs::create_dir_all(dir.join("wp-includes")).unwrap();
        std::fs::write(dir.join("wp-load.php"), "<?php").unwrap();
        std::fs::write(
            dir.join("wp-includes/version.php"),
            "<?php\n/**\n * @global string $wp_version\n */\n$wp_version = '6.8.1';\n$wp_db_version = 58975;\n",
        )
        .unwrap();
        let mut inv = parse(args);
        inv.path = dir;
        let mut stub = Stub(answer, Vec::new());
        let r = run(&mut inv, &mut stub);
        (r, stub.1)
    }

    #[test]
    fn positional_assoc_and_flags_as_wp_cli() {
        let inv = parse(&[
            "comment",
            "delete",
            "12",
            "--force",
            "--no-color",
            "--allow-root",
            "--comment_content=a = b",
            "--no-porcelain",
        ]);
        assert_eq!(inv.positional, ["comment", "delete", "12"]);
        assert_eq!(inv.assoc["force"], Value::Bool(true));
        assert_eq!(inv.assoc["porcelain"], Value::Bool(false));
        assert_eq!(inv.assoc["comment_content"], "a = b");
        assert!(!inv.assoc.contains_key("allow-root"));
        assert_eq!(inv.path, Path::new("/var/www/html"));
    }

    #[test]
    fn globals_are_taken_anywhere() {
        let inv = parse(&["--path=/srv/wp", "option", "--quiet", "get", "siteurl"]);
        assert_eq!(inv.positional, ["option", "get", "siteurl"]);
        assert_eq!(inv.path, Path::new("/srv/wp"));
        assert!(inv.quiet);
        assert!(inv.assoc.is_empty());
        assert!(parse(&["--version"]).version);
        let inv = parse(&["comment", "create", "--", "--not-an-option"]);
        assert_eq!(inv.positional[2], "--not-an-option");
    }

    #[test]
    fn filters_go_to_wordpress_and_output_options_stay_here() {
        let rows = json!({"rows": [
            {"ID": 1, "user_login": "webmaster", "roles": "administrator"},
        ]});
        let (r, sent) = run_with(
            &["user", "list", "--role=administrator", "--field=user_login"],
            rows.clone(),
        );
        assert_eq!(r.unwrap().stdout, "webmaster\n");
        assert_eq!(sent[0]["command"], "user list");
        assert_eq!(sent[0]["assoc"], json!({"role": "administrator"}));
        let (r, _) = run_with(&["user", "list", "--format=count"], rows.clone());
        assert_eq!(r.unwrap().stdout, "1\n");
        let (r, _) = run_with(&["user", "list", "--fields=ID,login,roles"], rows);
        assert_eq!(
            r.unwrap().stdout,
            "ID\tuser_login\troles\n1\twebmaster\tadministrator\n"
        );
    }

    #[test]
    fn comment_ids_and_messages() {
        let rows = json!({"rows": [{"comment_ID": "4"}, {"comment_ID": "7"}]});
        let (r, sent) = run_with(&["comment", "list", "--post_id=1", "--format=ids"], rows);
        assert_eq!(r.unwrap().stdout, "4 7\n");
        assert_eq!(sent[0]["assoc"], json!({"post_id": "1"}));
        let created = json!({"id": 9, "success": ["Created comment 9."]});
        let (r, _) = run_with(
            &["comment", "create", "--comment_post_ID=1"],
            created.clone(),
        );
        assert_eq!(r.unwrap().stdout, "Success: Created comment 9.\n");
        let (r, _) = run_with(&["comment", "create", "--porcelain"], created.clone());
        assert_eq!(r.unwrap().stdout, "9\n");
        let (r, sent) = run_with(&["comment", "create", "--no-porcelain"], created);
        assert_eq!(r.unwrap().stdout, "Success: Created comment 9.\n");
        assert_eq!(sent[0]["assoc"], json!({}));
    }

    #[test]
    fn missing_arguments_and_unknown_commands_fail_before_wordpress() {
        let (r, sent) = run_with(&["option", "get"], json!({}));
        assert!(r.unwrap_err().0.starts_with("Too few arguments."));
        let (r, _) = run_with(&["comment", "delete", "--force"], json!({}));
        assert!(r.unwrap_err().0.contains("comment delete <id>"));
        let (r, _) = run_with(&["plugin", "list"], json!({}));
        let e = r.unwrap_err().0;
        assert!(e.starts_with("'plugin list' is not a supported wp command here. Supported:"));
        assert!(e.contains("comment delete"), "{e}");
        assert!(sent.is_empty());
    }

    #[test]
    fn wordpress_errors_pass_through() {
        let (r, _) = run_with(
            &["comment", "delete", "999", "--force"],
            json!({"error": "Failed deleting comment 999."}),
        );
        assert_eq!(
            r.unwrap_err(),
            Failure("Failed deleting comment 999.".into())
        );
    }

    #[test]
    fn is_installed_answers_with_its_status_only() {
        let (r, _) = run_with(&["core", "is-installed"], json!({"installed": true}));
        assert_eq!(r.unwrap(), Done::default());
        let (r, _) = run_with(&["core", "is-installed"], json!({"installed": false}));
        assert_eq!(r.unwrap().status, 1);
    }

    #[test]
    fn versions_and_paths_without_php() {
        let (r, sent) = run_with(&["core", "version"], json!({}));
        assert_eq!(r.unwrap().stdout, "6.8.1\n");
        let (r, _) = run_with(&["--version"], json!({}));
        assert!(r.unwrap().stdout.ends_with("WordPress 6.8.1\n"));
        assert!(sent.is_empty());
        let (r, _) = run_with(&["config", "path"], json!({}));
        assert_eq!(r.unwrap_err().0, "'wp-config.php' not found.");
        assert_eq!(
            parse_version("$wp_version = \"6.9\";").as_deref(),
            Some("6.9")
        );
    }

    #[test]
    fn db_check_lines_then_success() {
        let checks = json!({"checks": [
            {"table": "wordpress.wp_posts", "type": "status", "text": "OK"},
        ]});
        let (r, _) = run_with(&["db", "check"], checks);
        let out = r.unwrap().stdout;
        assert!(out.starts_with("wordpress.wp_posts "), "{out}");
        assert!(out.ends_with(" OK\nSuccess: Database checked.\n"), "{out}");
    }
}
