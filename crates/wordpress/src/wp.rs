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

use inception_core::user::Account;
use serde_json::{Value, json};

use crate::php;
use crate::version::{ReadError, Version};
use crate::volume::{WEBROOT, WP_CONFIG};
use format::{Format, Row};

/// The PHP side, as installed in the image.
const SCRIPT: &str = "/etc/inception/wp.php";

/// The commands this `wp` knows, as `wp help` would list them.
const SUPPORTED: &[&str] = &[
    "core is-installed",
    "core version",
    "config path",
    "config get <name>",
    "config list",
    "option get <key>",
    "option update <key> <value>",
    "option list",
    "user list",
    "user get <user>",
    "user create <login> <email>",
    "user update <user>...",
    "user delete <user>...",
    "post list",
    "post get <id>",
    "post create",
    "post update <id>...",
    "post delete <id>...",
    "comment list",
    "comment create",
    "comment delete <id>...",
    "comment approve <id>...",
    "plugin list",
    "plugin activate <plugin>...",
    "plugin deactivate <plugin>...",
    "plugin install <zip file>",
    "theme list",
    "theme activate <theme>",
    "db check",
    "db query <sql>",
    "cache flush",
    "mail test <to>",
    "cron event list",
    "cron event run",
    "rewrite flush",
    "search-replace <old> <new> [<table>...]",
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

const OPTION: Object = Object {
    prefix: "option",
    id: "option_name",
    fields: &["option_name", "option_value"],
};
const CONFIG: Object = Object {
    prefix: "",
    id: "name",
    fields: &["name", "value", "type"],
};
const PLUGIN: Object = Object {
    prefix: "",
    id: "name",
    fields: &["name", "status", "update", "version"],
};
const THEME: Object = PLUGIN;
const CRON_EVENT: Object = Object {
    prefix: "",
    id: "hook",
    fields: &["hook", "next_run_gmt", "next_run_relative", "recurrence"],
};

/// Commands of one word, and commands of three words (by their first two).
const SINGLES: &[&str] = &["search-replace"];
const GROUPS: &[&str] = &["cron event"];

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
            path: PathBuf::from(WEBROOT),
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

    /// The command's name, its first two words (one for `search-replace`, three for
    /// `cron event ...`), and how many words that is.
    fn command(&self) -> (String, usize) {
        let name = |n: usize| {
            let words: Vec<&str> = self.positional.iter().take(n).map(String::as_str).collect();
            words.join(" ")
        };
        if SINGLES.contains(&name(1).as_str()) {
            (name(1), 1)
        } else if GROUPS.contains(&name(2).as_str()) && self.positional.len() > 2 {
            (name(3), 3)
        } else {
            (name(2), 2)
        }
    }

    /// The positional arguments after the command's words.
    fn args(&self, words: usize) -> &[String] {
        self.positional.get(words..).unwrap_or_default()
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
    /// Warnings (`Warning: …` lines).
    pub stderr: String,
    /// The exit status (`core is-installed` answers with it).
    pub status: u8,
}

impl Done {
    fn out(stdout: String) -> Done {
        Done {
            stdout,
            ..Done::default()
        }
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
            let _ = stdout.flush();
            eprint!("{}", done.stderr);
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
        let www = match nix::unistd::geteuid().is_root() {
            true => Some(Account::lookup("www-data").map_err(|e| format!("{e:#}"))?),
            false => None,
        };
        let out = php::with_json(SCRIPT, path, www.as_ref(), &request)
            .map_err(|e| format!("{e:#}"))?
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
    let (command, words) = inv.command();
    let path = inv.path.clone();
    let needs = |n: usize, usage: &str, inv: &Invocation| -> Result<(), Failure> {
        if inv.args(words).len() < n {
            return Err(Failure(format!("Too few arguments. Usage: wp {usage}")));
        }
        Ok(())
    };
    let call = Call {
        command: &command,
        words,
        path: &path,
    };
    match command.as_str() {
        "core version" => Ok(Done::out(format!("{}\n", wordpress_version(&path)?))),
        "config path" => config_path(&path),
        "core is-installed" => {
            wordpress(&path)?;
            let a = php.call(&path, json!({"command": command}))?;
            Ok(Done {
                status: if a["installed"] == Value::Bool(true) {
                    0
                } else {
                    1
                },
                ..Done::default()
            })
        }
        "option get" | "config get" => {
            needs(1, &format!("{command} <name> [--format=<format>]"), inv)?;
            let format = inv.take("format");
            let a = call.request(inv, php)?;
            Ok(Done::out(value(&a, format.as_deref())))
        }
        "option update" => {
            needs(2, "option update <key> <value> [--format=<format>]", inv)?;
            action(inv, &call, php)
        }
        "option list" => list(inv, &call, php, &OPTION),
        "config list" => list(inv, &call, php, &CONFIG),
        "user list" => list(inv, &call, php, &USER),
        "post list" => list(inv, &call, php, &POST),
        "comment list" => list(inv, &call, php, &COMMENT),
        "plugin list" => list(inv, &call, php, &PLUGIN),
        "theme list" => list(inv, &call, php, &THEME),
        "cron event list" => list(inv, &call, php, &CRON_EVENT),
        "user get" => {
            needs(
                1,
                "user get <user> [--field=<field>] [--format=<format>]",
                inv,
            )?;
            get(inv, &call, php, &USER)
        }
        "post get" => {
            needs(
                1,
                "post get <id> [--field=<field>] [--format=<format>]",
                inv,
            )?;
            get(inv, &call, php, &POST)
        }
        "user create" => {
            needs(
                2,
                "user create <user-login> <user-email> [--role=<role>] [--user_pass=<password>] [--porcelain]",
                inv,
            )?;
            action(inv, &call, php)
        }
        "post create" | "comment create" | "cache flush" | "rewrite flush" | "cron event run" => {
            action(inv, &call, php)
        }
        "user update" | "user delete" | "post update" | "post delete" | "comment delete"
        | "comment approve" | "plugin activate" | "plugin deactivate" => {
            let what = if command.starts_with("plugin") {
                "plugin"
            } else if command.starts_with("user") {
                "user"
            } else {
                "id"
            };
            needs(1, &format!("{command} <{what}>..."), inv)?;
            action(inv, &call, php)
        }
        "mail test" => {
            needs(1, "mail test <to-address>", inv)?;
            action(inv, &call, php)
        }
        "theme activate" => {
            needs(1, "theme activate <theme>", inv)?;
            action(inv, &call, php)
        }
        "plugin install" => {
            needs(1, "plugin install <zip file> [--activate] [--force]", inv)?;
            // The zip is named from where wp was called; wp.php runs in the webroot.
            let zip = std::path::absolute(&inv.positional[words])
                .map_err(|e| format!("{}: {e}", inv.positional[words]))?;
            inv.positional[words] = zip.display().to_string();
            action(inv, &call, php)
        }
        "db check" => db_check(inv, &call, php),
        "db query" => {
            needs(1, "db query <sql>", inv)?;
            let a = call.request(inv, php)?;
            let fields = names(&a["fields"]);
            if fields.is_empty() {
                return Ok(Done::default());
            }
            Ok(Done::out(format::render(
                &rows(&a),
                &fields,
                Format::Table,
                "",
                false,
            )))
        }
        "search-replace" => {
            needs(
                2,
                "search-replace <old> <new> [<table>...] [--dry-run] [--skip-columns=<columns>]",
                inv,
            )?;
            let format = Format::parse(&inv.take("format").unwrap_or_else(|| "table".into()))?;
            let a = call.request(inv, php)?;
            let mut done = Done {
                stderr: warnings(&a),
                ..Done::default()
            };
            if format == Format::Count {
                done.stdout = format!("{}\n", format::text(&a["count"]));
                return Ok(done);
            }
            let tty = std::io::stdout().is_terminal();
            done.stdout = format::render(&rows(&a), &names(&a["fields"]), format, "", tty);
            done.stdout.push_str(&success_lines(&a));
            Ok(done)
        }
        _ => Err(Failure(format!(
            "'{command}' is not a supported wp command here. Supported: {}.",
            SUPPORTED.join(", ")
        ))),
    }
}

/// A command on its way to wp.php.
struct Call<'a> {
    command: &'a str,
    words: usize,
    path: &'a Path,
}

impl Call<'_> {
    /// Sends the command with its positional arguments (after the command's words) and its
    /// associative ones to wp.php.
    fn request(&self, inv: &Invocation, php: &mut dyn Backend) -> Result<Value, Failure> {
        wordpress(self.path)?;
        php.call(
            self.path,
            json!({
                "command": self.command,
                "args": inv.args(self.words),
                "assoc": inv.assoc,
            }),
        )
    }
}

/// A value as `option get` and `config get` print it: arrays and objects as JSON, in the
/// text wp.php wrote (which keeps their keys' order), scalars as text.
fn value(a: &Value, format: Option<&str>) -> String {
    let v = &a["value"];
    let text = |key: &str| match &a[key] {
        Value::String(s) => s.clone(),
        _ => v.to_string(),
    };
    match (format, v) {
        (Some("json"), _) => format!("{}\n", text("json")),
        (_, Value::Array(_) | Value::Object(_)) => format!("{}\n", text("pretty")),
        (_, v) => format!("{}\n", format::text(v)),
    }
}

/// A command that changes something: its lines, `Success:` lines and what follows them
/// (a new user's password), warnings on stderr; `--porcelain`: the new object's id only.
fn action(inv: &mut Invocation, call: &Call, php: &mut dyn Backend) -> Result<Done, Failure> {
    let porcelain = inv.assoc.remove("porcelain") == Some(Value::Bool(true));
    let a = call.request(inv, php)?;
    let mut out = String::new();
    if porcelain {
        out = format!("{}\n", format::text(&a["id"]));
    } else {
        for line in names(&a["lines"]) {
            out.push_str(&format!("{line}\n"));
        }
        out.push_str(&success_lines(&a));
    }
    for line in names(&a["after"]) {
        out.push_str(&format!("{line}\n"));
    }
    Ok(Done {
        stdout: out,
        stderr: warnings(&a),
        status: 0,
    })
}

/// A list of strings in an answer.
fn names(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().map(format::text).collect())
        .unwrap_or_default()
}

fn warnings(a: &Value) -> String {
    names(&a["warnings"])
        .iter()
        .map(|w| format!("Warning: {w}\n"))
        .collect()
}

fn success_lines(a: &Value) -> String {
    names(&a["success"])
        .iter()
        .map(|l| format!("Success: {l}\n"))
        .collect()
}

fn rows(a: &Value) -> Vec<Row> {
    a["rows"]
        .as_array()
        .map(|r| r.iter().filter_map(|r| r.as_object().cloned()).collect())
        .unwrap_or_default()
}

/// The output options of list and get commands (`--format`, `--field`, `--fields`), taken
/// out of the arguments before these go to wp.php.
struct Output {
    format: Format,
    field: Option<String>,
    fields: Option<String>,
}

impl Output {
    fn take(inv: &mut Invocation) -> Result<Output, Failure> {
        Ok(Output {
            format: Format::parse(&inv.take("format").unwrap_or_else(|| "table".into()))?,
            field: inv.take("field"),
            fields: inv.take("fields"),
        })
    }

    /// `--field`'s name, resolved against the rows.
    fn field(&self, rows: &[Row], object: &Object) -> Result<Option<String>, Failure> {
        Ok(match &self.field {
            Some(f) => Some(format::resolve(rows, object.prefix, f)?),
            None => None,
        })
    }

    /// The fields `--fields` asks for, or `default`.
    fn fields(
        &self,
        rows: &[Row],
        object: &Object,
        default: Vec<String>,
    ) -> Result<Vec<String>, Failure> {
        Ok(match &self.fields {
            Some(f) => f
                .split(',')
                .map(|f| format::resolve(rows, object.prefix, f.trim()))
                .collect::<Result<_, _>>()?,
            None => default,
        })
    }
}

/// `wp <object> list`: the rows wp.php finds with the filters given, formatted here.
fn list(
    inv: &mut Invocation,
    call: &Call,
    php: &mut dyn Backend,
    object: &Object,
) -> Result<Done, Failure> {
    let out = Output::take(inv)?;
    let a = call.request(inv, php)?;
    let rows = rows(&a);
    if let Some(field) = out.field(&rows, object)? {
        return Ok(Done::out(format::render_field(&rows, &field, out.format)));
    }
    let default = object.fields.iter().map(|f| f.to_string()).collect();
    let fields = out.fields(&rows, object, default)?;
    let tty = std::io::stdout().is_terminal();
    Ok(Done::out(format::render(
        &rows, &fields, out.format, object.id, tty,
    )))
}

/// `wp <object> get <id>`: one object, as a table of its fields and values (or one value
/// with `--field`, an object with `--format=json`).
fn get(
    inv: &mut Invocation,
    call: &Call,
    php: &mut dyn Backend,
    object: &Object,
) -> Result<Done, Failure> {
    let out = Output::take(inv)?;
    let a = call.request(inv, php)?;
    let row = a["row"].as_object().cloned().unwrap_or_default();
    let rows = vec![row.clone()];
    if let Some(field) = out.field(&rows, object)? {
        let v = json!({"value": row.get(&field).unwrap_or(&Value::Null)});
        return Ok(Done::out(value(
            &v,
            (out.format == Format::Json).then_some("json"),
        )));
    }
    // wp.php says the fields' order (a JSON object's keys come here sorted).
    let order = match names(&a["fields"]) {
        f if f.is_empty() => row.keys().cloned().collect(),
        f => f,
    };
    let fields = out.fields(&rows, object, order)?;
    let tty = std::io::stdout().is_terminal();
    Ok(Done::out(format::render_object(
        &row, &fields, out.format, tty,
    )))
}

/// `wp db check`: one `db.table  OK` line per table, as mysqlcheck prints them.
fn db_check(inv: &Invocation, call: &Call, php: &mut dyn Backend) -> Result<Done, Failure> {
    let a = call.request(inv, php)?;
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

/// `$wp_version` in wp-includes/version.php.
fn wordpress_version(path: &Path) -> Result<String, Failure> {
    match Version::read(path) {
        Ok(version) => Ok(version.wordpress),
        Err(ReadError::Unreadable(..)) => Err(Failure(
            "This does not seem to be a WordPress installation.".into(),
        )),
        Err(ReadError::NoVersion(file)) => {
            Err(Failure(format!("no $wp_version in {}", file.display())))
        }
    }
}

/// `wp config path`: wp-config.php in the webroot, or in its parent (where WordPress
/// also looks).
fn config_path(path: &Path) -> Result<Done, Failure> {
    let candidates = [
        Some(path.join(WP_CONFIG)),
        path.parent().map(|p| p.join(WP_CONFIG)),
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
        let (r, _) = run_with(&["plugin", "update", "akismet"], json!({}));
        let e = r.unwrap_err().0;
        assert!(e.starts_with("'plugin update' is not a supported wp command here. Supported:"));
        assert!(e.contains("comment delete"), "{e}");
        assert!(sent.is_empty());
    }

    #[test]
    fn cron_event_commands_take_three_words() {
        let events = json!({"rows": [{"hook": "wp_version_check", "next_run_gmt": "2026-12-01 10:00:00",
            "next_run_relative": "2 hours", "recurrence": "12 hours", "time": 1}]});
        let (r, sent) = run_with(
            &["cron", "event", "list", "--fields=hook,recurrence"],
            events,
        );
        assert_eq!(
            r.unwrap().stdout,
            "hook\trecurrence\nwp_version_check\t12 hours\n"
        );
        assert_eq!(sent[0]["command"], "cron event list");
        assert_eq!(sent[0]["args"], json!([]));
        let ran = json!({"lines": ["Executed the cron event 'a' in 0.001s."],
            "success": ["Executed a total of 1 cron event."]});
        let (r, sent) = run_with(&["cron", "event", "run", "--due-now"], ran);
        assert_eq!(
            r.unwrap().stdout,
            "Executed the cron event 'a' in 0.001s.\nSuccess: Executed a total of 1 cron event.\n"
        );
        assert_eq!(sent[0]["assoc"], json!({"due-now": true}));
    }

    #[test]
    fn get_prints_fields_in_wordpress_order() {
        let post = json!({"row": {"ID": 5, "post_title": "Hello", "post_status": "publish"},
            "fields": ["ID", "post_title", "post_status"]});
        let (r, sent) = run_with(&["post", "get", "5"], post.clone());
        assert_eq!(
            r.unwrap().stdout,
            "Field\tValue\nID\t5\npost_title\tHello\npost_status\tpublish\n"
        );
        assert_eq!(sent[0]["args"], json!(["5"]));
        let (r, _) = run_with(&["post", "get", "5", "--field=title"], post.clone());
        assert_eq!(r.unwrap().stdout, "Hello\n");
        let (r, _) = run_with(
            &["post", "get", "5", "--format=json", "--fields=ID,title"],
            post,
        );
        assert_eq!(r.unwrap().stdout, "{\"ID\":5,\"post_title\":\"Hello\"}\n");
        let (r, _) = run_with(&["user", "get"], json!({}));
        assert!(r.unwrap_err().0.starts_with("Too few arguments."));
    }

    #[test]
    fn actions_print_lines_success_and_what_follows() {
        let created = json!({"id": 3, "success": ["Created user 3."], "after": ["Password: x"]});
        let (r, sent) = run_with(
            &["user", "create", "bob", "bob@example.com"],
            created.clone(),
        );
        assert_eq!(r.unwrap().stdout, "Success: Created user 3.\nPassword: x\n");
        assert_eq!(sent[0]["args"], json!(["bob", "bob@example.com"]));
        let (r, _) = run_with(
            &[
                "user",
                "create",
                "bob",
                "bob@example.com",
                "--user_pass=y",
                "--porcelain",
            ],
            json!({"id": 3, "success": ["Created user 3."]}),
        );
        assert_eq!(r.unwrap().stdout, "3\n");
        let (r, _) = run_with(
            &["theme", "activate", "twentytwentyfive"],
            json!({"success": [], "warnings": ["The 'Twenty Twenty-Five' theme is already active."]}),
        );
        let done = r.unwrap();
        assert_eq!(done.stdout, "");
        assert_eq!(
            done.stderr,
            "Warning: The 'Twenty Twenty-Five' theme is already active.\n"
        );
        let (r, _) = run_with(&["user", "create", "bob"], json!({}));
        assert!(r.unwrap_err().0.contains("<user-email>"));
    }

    #[test]
    fn db_query_prints_a_header_and_tab_separated_rows() {
        let result = json!({"fields": ["ID", "user_login"], "rows": [{"ID": "1", "user_login": "webmaster"}]});
        let (r, sent) = run_with(
            &["db", "query", "SELECT ID, user_login FROM wp_users"],
            result,
        );
        assert_eq!(r.unwrap().stdout, "ID\tuser_login\n1\twebmaster\n");
        assert_eq!(
            sent[0]["args"],
            json!(["SELECT ID, user_login FROM wp_users"])
        );
        let (r, _) = run_with(
            &[
                "db",
                "query",
                "UPDATE wp_options SET option_value=1 WHERE 0",
            ],
            json!({"fields": [], "rows": []}),
        );
        assert_eq!(r.unwrap().stdout, "");
    }

    #[test]
    fn search_replace_reports_per_column_then_the_total() {
        let report = json!({"fields": ["Table", "Column", "Replacements", "Type"],
            "rows": [{"Table": "wp_options", "Column": "option_value", "Replacements": 2, "Type": "PHP"}],
            "count": 2, "success": ["2 replacements to be made."]});
        let (r, sent) = run_with(&["search-replace", "a", "b", "--dry-run"], report.clone());
        assert_eq!(
            r.unwrap().stdout,
            "Table\tColumn\tReplacements\tType\nwp_options\toption_value\t2\tPHP\nSuccess: 2 replacements to be made.\n"
        );
        assert_eq!(sent[0]["args"], json!(["a", "b"]));
        assert_eq!(sent[0]["assoc"], json!({"dry-run": true}));
        let (r, _) = run_with(&["search-replace", "a", "b", "--format=count"], report);
        assert_eq!(r.unwrap().stdout, "2\n");
        let (r, _) = run_with(&["search-replace", "a"], json!({}));
        assert!(r.unwrap_err().0.starts_with("Too few arguments."));
    }

    #[test]
    fn plugin_install_sends_the_zip_path_absolute() {
        let (r, sent) = run_with(
            &["plugin", "install", "hello.zip", "--activate"],
            json!({"success": ["Installed 1 of 1 plugins."]}),
        );
        assert_eq!(r.unwrap().stdout, "Success: Installed 1 of 1 plugins.\n");
        let zip = sent[0]["args"][0].as_str().unwrap().to_owned();
        assert!(zip.starts_with('/') && zip.ends_with("/hello.zip"), "{zip}");
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
