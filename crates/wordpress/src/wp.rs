//! `wp`: the subset of wp-cli that evaluation scripts type in the wordpress container
//! (`/usr/local/bin/wp` links to this binary; `main` dispatches on the name it is called by).
//!
//! The command line is read here as wp-cli reads it (positional arguments, `--key=value`,
//! `--flag`, `--no-flag`, the globals `--allow-root`, `--path`, `--quiet`); one table,
//! [`COMMANDS`], says which commands there are, what arguments they need and what does
//! them. Commands answer values (`answer.rs`), written in wp-cli's output formats, which are
//! ours (`format.rs`). The work is WordPress's: `/etc/inception/wp.php`
//! (srcs/requirements/wordpress/conf) loads it and answers one JSON request on its standard
//! input with one JSON answer, run by the PHP CLI as `www-data` even when called by root.
//! `core version`, `config path` and `--version` read files and need no PHP.

mod answer;
mod format;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};

use inception_core::user::Account;
use serde_json::{Value, json};

use crate::php;
use crate::version::{ReadError, Version};
use crate::volume::{WEBROOT, WP_CONFIG};
use Handler::{Action, Get, List, Run};
pub use answer::Done;
use answer::{Answer, Body};
use format::{Format, Row};

/// The PHP side, as installed in the image.
const SCRIPT: &str = "/etc/inception/wp.php";

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

/// One command of this `wp`. [`COMMANDS`] drives `wp help`, the check of the positional
/// arguments and the dispatch.
struct Command {
    /// Its words, as typed (`cron event list`).
    name: &'static str,
    /// Its arguments, as `wp help` lists them.
    usage: &'static str,
    /// How many positional arguments it needs at least.
    arity: usize,
    /// wp-cli's synopsis (after the name), which "Too few arguments" shows: `usage` unless
    /// given.
    synopsis: &'static str,
    /// What it does.
    handler: Handler,
}

/// How a command is carried out.
#[derive(Clone, Copy)]
enum Handler {
    /// `wp <object> list`: [`list`].
    List(&'static Object),
    /// `wp <object> get <id>`: [`get`].
    Get(&'static Object),
    /// A change wp.php makes: [`action`].
    Action,
    /// A command of its own.
    Run(fn(&mut Request) -> Result<Answer, Failure>),
}

/// A row of [`COMMANDS`].
const fn command(
    name: &'static str,
    usage: &'static str,
    arity: usize,
    handler: Handler,
) -> Command {
    Command {
        name,
        usage,
        arity,
        synopsis: usage,
        handler,
    }
}

impl Command {
    /// The command, with wp-cli's synopsis where it says more than `usage`.
    const fn synopsis(self, synopsis: &'static str) -> Command {
        Command { synopsis, ..self }
    }
}

/// The commands this `wp` knows, in the order `wp help` lists them.
const COMMANDS: &[Command] = &[
    command("core is-installed", "", 0, Run(is_installed)),
    command("core version", "", 0, Run(core_version)),
    command("config path", "", 0, Run(config_path)),
    command("config get", "<name>", 1, Run(value_get)).synopsis("<name> [--format=<format>]"),
    command("config list", "", 0, List(&CONFIG)),
    command("option get", "<key>", 1, Run(value_get)).synopsis("<name> [--format=<format>]"),
    command("option update", "<key> <value>", 2, Action)
        .synopsis("<key> <value> [--format=<format>]"),
    command("option list", "", 0, List(&OPTION)),
    command("user list", "", 0, List(&USER)),
    command("user get", "<user>", 1, Get(&USER))
        .synopsis("<user> [--field=<field>] [--format=<format>]"),
    command("user create", "<login> <email>", 2, Action).synopsis(
        "<user-login> <user-email> [--role=<role>] [--user_pass=<password>] [--porcelain]",
    ),
    command("user update", "<user>...", 1, Action),
    command("user delete", "<user>...", 1, Action),
    command("post list", "", 0, List(&POST)),
    command("post get", "<id>", 1, Get(&POST))
        .synopsis("<id> [--field=<field>] [--format=<format>]"),
    command("post create", "", 0, Action),
    command("post update", "<id>...", 1, Action),
    command("post delete", "<id>...", 1, Action),
    command("comment list", "", 0, List(&COMMENT)),
    command("comment create", "", 0, Action),
    command("comment delete", "<id>...", 1, Action),
    command("comment approve", "<id>...", 1, Action),
    command("plugin list", "", 0, List(&PLUGIN)),
    command("plugin activate", "<plugin>...", 1, Action),
    command("plugin deactivate", "<plugin>...", 1, Action),
    command("plugin install", "<zip file>", 1, Run(plugin_install))
        .synopsis("<zip file> [--activate] [--force]"),
    command("theme list", "", 0, List(&THEME)),
    command("theme activate", "<theme>", 1, Action),
    command("db check", "", 0, Run(db_check)),
    command("db query", "<sql>", 1, Run(db_query)),
    command("cache flush", "", 0, Action),
    command("mail test", "<to>", 1, Action).synopsis("<to-address>"),
    command("cron event list", "", 0, List(&CRON_EVENT)),
    command("cron event run", "", 0, Action),
    command("rewrite flush", "", 0, Action),
    command(
        "search-replace",
        "<old> <new> [<table>...]",
        2,
        Run(search_replace),
    )
    .synopsis("<old> <new> [<table>...] [--dry-run] [--skip-columns=<columns>]"),
];

/// `wp --version`, listed after the commands.
const VERSION_OPTION: &str = "--version";

/// The commands as `wp help` lists them.
fn supported() -> Vec<String> {
    let mut lines: Vec<String> = COMMANDS
        .iter()
        .map(|c| match c.usage {
            "" => c.name.to_owned(),
            usage => format!("{} {usage}", c.name),
        })
        .collect();
    lines.push(VERSION_OPTION.to_owned());
    lines
}

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

    /// The command named by the first words, one (`search-replace`), three (`cron event
    /// list`) or two (as typed when no command has that name), and how many words that is.
    fn command(&self) -> (String, usize) {
        let name = |n: usize| {
            let words: Vec<&str> = self.positional.iter().take(n).map(String::as_str).collect();
            words.join(" ")
        };
        let known = |name: &str| COMMANDS.iter().any(|c| c.name == name);
        // `cron event`: a group of three-word commands.
        let group = |name: &str| {
            COMMANDS.iter().any(|c| {
                c.name
                    .rsplit_once(' ')
                    .is_some_and(|(group, _)| group == name && group.contains(' '))
            })
        };
        if known(&name(1)) {
            (name(1), 1)
        } else if self.positional.len() > 2 && group(&name(2)) {
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

/// `wp ARGS...`.
pub fn main<I: IntoIterator<Item = String>>(args: I) -> ExitCode {
    let mut inv = Invocation::parse(args);
    let done =
        run(&mut inv, &mut Php).unwrap_or_else(|Failure(message)| Answer::failed(message).output());
    let text: String = if inv.quiet {
        done.stdout
            .lines()
            .filter(|l| !l.starts_with("Success: "))
            .map(|l| format!("{l}\n"))
            .collect()
    } else {
        done.stdout
    };
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
    eprint!("{}", done.stderr);
    ExitCode::from(done.status)
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

/// Runs a command line: the command named by its first words, once its positional
/// arguments are there.
pub fn run(inv: &mut Invocation, php: &mut dyn Backend) -> Result<Done, Failure> {
    if inv.positional.is_empty() {
        let answer = match inv.version {
            true => version(&inv.path),
            false => help(),
        };
        return Ok(answer.output());
    }
    let (name, words) = inv.command();
    let Some(command) = COMMANDS.iter().find(|c| c.name == name) else {
        return Err(Failure(format!(
            "'{name}' is not a supported wp command here. Supported: {}.",
            supported().join(", ")
        )));
    };
    if inv.args(words).len() < command.arity {
        return Err(Failure(format!(
            "Too few arguments. Usage: wp {name} {}",
            command.synopsis
        )));
    }
    let mut req = Request {
        inv,
        command: command.name,
        words,
        php,
    };
    let answer = match command.handler {
        List(object) => list(&mut req, object),
        Get(object) => get(&mut req, object),
        Action => action(&mut req),
        Run(handler) => handler(&mut req),
    }?;
    Ok(answer.output())
}

/// A command on its way: its command line, its name and how many words that is, and where
/// requests go.
struct Request<'a> {
    inv: &'a mut Invocation,
    command: &'static str,
    words: usize,
    php: &'a mut dyn Backend,
}

impl Request<'_> {
    /// WordPress's directory (`--path`).
    fn path(&self) -> &Path {
        &self.inv.path
    }

    /// Sends the command with its positional arguments (after the command's words) and its
    /// associative ones to wp.php.
    fn send(&mut self) -> Result<Value, Failure> {
        wordpress(&self.inv.path)?;
        self.php.call(
            &self.inv.path,
            json!({
                "command": self.command,
                "args": self.inv.args(self.words),
                "assoc": self.inv.assoc,
            }),
        )
    }
}

/// `wp core is-installed`: the exit status says, nothing is printed.
fn is_installed(req: &mut Request) -> Result<Answer, Failure> {
    wordpress(req.path())?;
    let a = req
        .php
        .call(&req.inv.path, json!({"command": req.command}))?;
    Ok(Answer {
        status: if a["installed"] == Value::Bool(true) {
            0
        } else {
            1
        },
        ..Answer::default()
    })
}

/// `wp core version`: read from the files, without PHP.
fn core_version(req: &mut Request) -> Result<Answer, Failure> {
    Ok(Body::Lines(vec![wordpress_version(req.path())?]).into())
}

/// `wp option get`, `wp config get`: one value.
fn value_get(req: &mut Request) -> Result<Answer, Failure> {
    let json = req.inv.take("format").as_deref() == Some("json");
    let a = req.send()?;
    let text = a[if json { "json" } else { "pretty" }]
        .as_str()
        .map(str::to_owned);
    Ok(Body::Value {
        value: a["value"].clone(),
        text,
        json,
    }
    .into())
}

/// A command that changes something: its lines, `Success:` lines and what follows them
/// (a new user's password), warnings on stderr; `--porcelain`: the new object's id only.
fn action(req: &mut Request) -> Result<Answer, Failure> {
    let porcelain = req.inv.assoc.remove("porcelain") == Some(Value::Bool(true));
    let a = req.send()?;
    let (lines, success) = match porcelain {
        true => (vec![format::text(&a["id"])], Vec::new()),
        false => (names(&a["lines"]), names(&a["success"])),
    };
    Ok(Answer {
        body: Body::Lines(lines),
        success,
        after: names(&a["after"]),
        warnings: names(&a["warnings"]),
        ..Answer::default()
    })
}

/// `wp plugin install <zip>`: an action, the zip's path made absolute.
fn plugin_install(req: &mut Request) -> Result<Answer, Failure> {
    // The zip is named from where wp was called; wp.php runs in the webroot.
    let given = &req.inv.positional[req.words];
    let zip = std::path::absolute(given).map_err(|e| format!("{given}: {e}"))?;
    req.inv.positional[req.words] = zip.display().to_string();
    action(req)
}

/// `wp db query <sql>`: the result's rows, tab-separated with a header; nothing for a
/// statement without a result.
fn db_query(req: &mut Request) -> Result<Answer, Failure> {
    let a = req.send()?;
    let fields = names(&a["fields"]);
    if fields.is_empty() {
        return Ok(Answer::default());
    }
    Ok(Body::Rows {
        rows: rows(&a),
        fields,
        format: Format::Table,
        id: "",
        terminal: false,
    }
    .into())
}

/// `wp search-replace`: the replacements per column, then the total.
fn search_replace(req: &mut Request) -> Result<Answer, Failure> {
    let format = Format::parse(&req.inv.take("format").unwrap_or_else(|| "table".into()))?;
    let a = req.send()?;
    let warnings = names(&a["warnings"]);
    if format == Format::Count {
        return Ok(Answer {
            body: Body::Lines(vec![format::text(&a["count"])]),
            warnings,
            ..Answer::default()
        });
    }
    Ok(Answer {
        body: Body::Rows {
            rows: rows(&a),
            fields: names(&a["fields"]),
            format,
            id: "",
            terminal: true,
        },
        success: names(&a["success"]),
        warnings,
        ..Answer::default()
    })
}

/// A list of strings in an answer.
fn names(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().map(format::text).collect())
        .unwrap_or_default()
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
fn list(req: &mut Request, object: &Object) -> Result<Answer, Failure> {
    let out = Output::take(req.inv)?;
    let a = req.send()?;
    let rows = rows(&a);
    if let Some(field) = out.field(&rows, object)? {
        return Ok(Body::Field {
            rows,
            field,
            format: out.format,
        }
        .into());
    }
    let default = object.fields.iter().map(|f| f.to_string()).collect();
    let fields = out.fields(&rows, object, default)?;
    Ok(Body::Rows {
        rows,
        fields,
        format: out.format,
        id: object.id,
        terminal: true,
    }
    .into())
}

/// `wp <object> get <id>`: one object, as a table of its fields and values (or one value
/// with `--field`, an object with `--format=json`).
fn get(req: &mut Request, object: &Object) -> Result<Answer, Failure> {
    let out = Output::take(req.inv)?;
    let a = req.send()?;
    let row = a["row"].as_object().cloned().unwrap_or_default();
    let rows = vec![row.clone()];
    if let Some(field) = out.field(&rows, object)? {
        return Ok(Body::Value {
            value: row.get(&field).cloned().unwrap_or(Value::Null),
            text: None,
            json: out.format == Format::Json,
        }
        .into());
    }
    // wp.php says the fields' order (a JSON object's keys come here sorted).
    let order = match names(&a["fields"]) {
        f if f.is_empty() => row.keys().cloned().collect(),
        f => f,
    };
    let fields = out.fields(&rows, object, order)?;
    Ok(Body::Object {
        row,
        fields,
        format: out.format,
    }
    .into())
}

/// `wp db check`: one `db.table  OK` line per table, as mysqlcheck prints them.
fn db_check(req: &mut Request) -> Result<Answer, Failure> {
    let a = req.send()?;
    let mut lines = Vec::new();
    let mut bad = Vec::new();
    for check in a["checks"].as_array().into_iter().flatten() {
        let table = format::text(&check["table"]);
        let kind = format::text(&check["type"]);
        let text = format::text(&check["text"]);
        if kind == "status" {
            lines.push(format!("{table:<50} {text}"));
        } else {
            lines.push(table.clone());
            lines.push(format!("{kind:<9}: {text}"));
        }
        if kind == "error" || (kind == "status" && text != "OK") {
            bad.push(table);
        }
    }
    let mut answer = Answer::from(Body::Lines(lines));
    match bad.is_empty() {
        true => answer.success.push("Database checked.".into()),
        false => answer.error = Some(format!("Database check failed: {}.", bad.join(", "))),
    }
    Ok(answer)
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
fn config_path(req: &mut Request) -> Result<Answer, Failure> {
    let path = req.path();
    let candidates = [
        Some(path.join(WP_CONFIG)),
        path.parent().map(|p| p.join(WP_CONFIG)),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|p| p.is_file())
        .map(|p| Body::Lines(vec![p.display().to_string()]).into())
        .ok_or_else(|| Failure("'wp-config.php' not found.".into()))
}

/// `wp --version`.
fn version(path: &Path) -> Answer {
    let wordpress = wordpress_version(path).unwrap_or_else(|_| "not found".into());
    Body::Lines(vec![format!(
        "inception wp {} (a subset of WP-CLI's commands), WordPress {wordpress}",
        env!("CARGO_PKG_VERSION")
    )])
    .into()
}

/// `wp` alone: the commands.
fn help() -> Answer {
    let mut lines = vec![
        "usage: wp <command> [<args>...] [--<field>=<value>...]".to_owned(),
        String::new(),
        "The commands of WP-CLI this container supports:".to_owned(),
    ];
    lines.extend(supported().iter().map(|c| format!("  wp {c}")));
    Body::Lines(lines).into()
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
    fn a_failed_db_check_prints_its_lines_then_the_error() {
        let checks = json!({"checks": [
            {"table": "wordpress.wp_posts", "type": "status", "text": "OK"},
            {"table": "wordpress.wp_users", "type": "error", "text": "Corrupt"},
        ]});
        let done = run_with(&["db", "check"], checks).0.unwrap();
        assert!(
            done.stdout.starts_with("wordpress.wp_posts "),
            "{}",
            done.stdout
        );
        assert!(
            done.stdout
                .ends_with(" OK\nwordpress.wp_users\nerror    : Corrupt\n"),
            "{}",
            done.stdout
        );
        assert_eq!(
            done.stderr,
            "Error: Database check failed: wordpress.wp_users.\n"
        );
        assert_eq!(done.status, 1);
    }

    #[test]
    fn help_lists_the_tables_commands_then_version() {
        let done = run_with(&[], json!({})).0.unwrap();
        assert!(
            done.stdout.starts_with("usage: wp <command>"),
            "{}",
            done.stdout
        );
        for c in COMMANDS {
            assert!(
                done.stdout.contains(&format!("\n  wp {}", c.name)),
                "{}",
                c.name
            );
        }
        assert!(
            done.stdout
                .ends_with("\n  wp search-replace <old> <new> [<table>...]\n  wp --version\n"),
            "{}",
            done.stdout
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
