//! What a `wp` command answers, and the one place where that becomes the text `wp` writes
//! (with `format.rs`, which formats rows and objects as wp-cli does).

use std::io::IsTerminal;

use serde_json::Value;

use super::format::{self, Format, Row};

/// What `wp` writes: its standard output and error, and its exit status.
#[derive(Debug, Default, PartialEq)]
pub struct Done {
    /// Standard output.
    pub stdout: String,
    /// Warnings (`Warning: …` lines), and the error (`Error: …`) if one ended the command.
    pub stderr: String,
    /// The exit status (`core is-installed` answers with it).
    pub status: u8,
}

/// What a command answers, before it is output ([`Answer::output`]).
#[derive(Debug, Default)]
pub struct Answer {
    /// What comes first on standard output.
    pub body: Body,
    /// `Success: …` lines after it.
    pub success: Vec<String>,
    /// Lines after those (a new user's password).
    pub after: Vec<String>,
    /// `Warning: …` lines, on standard error.
    pub warnings: Vec<String>,
    /// The exit status (`core is-installed` answers with it).
    pub status: u8,
    /// What failed, after the output (`db check`'s tables): `Error: …`, exit status 1.
    pub error: Option<String>,
}

/// What a command shows on standard output.
#[derive(Debug, Default)]
pub enum Body {
    /// Nothing.
    #[default]
    Empty,
    /// Lines, as they are.
    Lines(Vec<String>),
    /// A value as `option get` and `config get` print it: arrays and objects as JSON, in
    /// `text` when given (wp.php's, which keeps their keys' order), scalars as text; with
    /// `json`, JSON whatever it is.
    Value {
        value: Value,
        text: Option<String>,
        json: bool,
    },
    /// Rows restricted to `fields`, in `format`; `id` is the field `ids` prints. With
    /// `terminal`, a table on a terminal has borders.
    Rows {
        rows: Vec<Row>,
        fields: Vec<String>,
        format: Format,
        id: &'static str,
        terminal: bool,
    },
    /// One field of each row (`--field`).
    Field {
        rows: Vec<Row>,
        field: String,
        format: Format,
    },
    /// One object, as a table of its fields and values.
    Object {
        row: Row,
        fields: Vec<String>,
        format: Format,
    },
}

impl From<Body> for Answer {
    fn from(body: Body) -> Answer {
        Answer {
            body,
            ..Answer::default()
        }
    }
}

impl Answer {
    /// A failure, as `main` shows it.
    pub fn failed(message: String) -> Answer {
        Answer {
            error: Some(message),
            ..Answer::default()
        }
    }

    /// The answer as text (through `format.rs`): the one place that turns what commands
    /// answer into what `wp` writes.
    pub fn output(self) -> Done {
        let tty = || std::io::stdout().is_terminal();
        let mut stdout = match self.body {
            Body::Empty => String::new(),
            Body::Lines(lines) => lines.iter().map(|l| format!("{l}\n")).collect(),
            Body::Value { value, text, json } => {
                let shown = match (json, &value) {
                    (true, _) | (_, Value::Array(_) | Value::Object(_)) => {
                        text.unwrap_or_else(|| value.to_string())
                    }
                    (_, v) => format::text(v),
                };
                format!("{shown}\n")
            }
            Body::Rows {
                rows,
                fields,
                format,
                id,
                terminal,
            } => format::render(&rows, &fields, format, id, terminal && tty()),
            Body::Field {
                rows,
                field,
                format,
            } => format::render_field(&rows, &field, format),
            Body::Object {
                row,
                fields,
                format,
            } => format::render_object(&row, &fields, format, tty()),
        };
        for line in self.success {
            stdout.push_str(&format!("Success: {line}\n"));
        }
        for line in self.after {
            stdout.push_str(&format!("{line}\n"));
        }
        let mut stderr: String = self
            .warnings
            .iter()
            .map(|w| format!("Warning: {w}\n"))
            .collect();
        let mut status = self.status;
        if let Some(error) = self.error {
            stderr.push_str(&format!("Error: {error}\n"));
            status = 1;
        }
        Done {
            stdout,
            stderr,
            status,
        }
    }
}
