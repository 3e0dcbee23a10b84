//! wp-cli's output formats for lists of objects: `table` (tab-separated values with a header
//! row when standard output is not a terminal, an ASCII table with `+---+` borders when it
//! is), `csv`, `json`, `yaml`, `count` and `ids`; `--field` (one value per line) and
//! `--fields` (those columns).

use serde_json::{Map, Value};

/// One object of a list, as the PHP side answers it: field name to value.
pub type Row = Map<String, Value>;

/// An output format (`--format=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Csv,
    Json,
    Yaml,
    Count,
    Ids,
}

impl Format {
    pub fn parse(s: &str) -> Result<Format, String> {
        Ok(match s {
            "table" => Format::Table,
            "csv" => Format::Csv,
            "json" => Format::Json,
            "yaml" => Format::Yaml,
            "count" => Format::Count,
            "ids" => Format::Ids,
            _ => {
                return Err(format!(
                    "Invalid value specified for 'format' (Render output in a particular \
                     format.). Expected one of: table, csv, json, yaml, count, ids. Got: {s}"
                ));
            }
        })
    }
}

/// A value as text, as wp-cli prints it in tables and CSV.
pub fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Bool(b) => if *b { "1" } else { "" }.to_owned(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Array(a) => a.iter().map(text).collect::<Vec<_>>().join(", "),
        Value::Object(_) => v.to_string(),
    }
}

/// Resolves a field name as wp-cli does: the name itself, or with the object's prefix
/// (`login` for `user_login`).
pub fn resolve(rows: &[Row], prefix: &str, field: &str) -> Result<String, String> {
    let has = |f: &str| rows.is_empty() || rows.iter().any(|r| r.contains_key(f));
    if has(field) {
        return Ok(field.to_owned());
    }
    let long = format!("{prefix}_{field}");
    if has(&long) {
        return Ok(long);
    }
    Err(format!("Invalid field: {field}."))
}

/// Renders `rows` restricted to `fields`, in `format`; `id` is the field `ids` prints.
pub fn render(rows: &[Row], fields: &[String], format: Format, id: &str, tty: bool) -> String {
    let cell = |r: &Row, f: &str| text(r.get(f).unwrap_or(&Value::Null));
    match format {
        Format::Count => format!("{}\n", rows.len()),
        Format::Ids => {
            let ids: Vec<String> = rows.iter().map(|r| cell(r, id)).collect();
            if ids.is_empty() {
                String::new()
            } else {
                format!("{}\n", ids.join(" "))
            }
        }
        Format::Json => {
            // Written by hand: serde_json's map sorts its keys, wp-cli keeps the fields' order.
            let objects: Vec<String> = rows
                .iter()
                .map(|r| {
                    let pairs: Vec<String> = fields
                        .iter()
                        .map(|f| {
                            let v = r.get(f).unwrap_or(&Value::Null);
                            format!("{}:{v}", Value::String(f.clone()))
                        })
                        .collect();
                    format!("{{{}}}", pairs.join(","))
                })
                .collect();
            format!("[{}]\n", objects.join(","))
        }
        Format::Yaml => yaml(rows, fields),
        Format::Csv => {
            let mut out = csv_line(fields.iter().map(String::as_str));
            for r in rows {
                let cells: Vec<String> = fields.iter().map(|f| cell(r, f)).collect();
                out.push_str(&csv_line(cells.iter().map(String::as_str)));
            }
            out
        }
        Format::Table if !tty => {
            let mut out = format!("{}\n", fields.join("\t"));
            for r in rows {
                let cells: Vec<String> = fields.iter().map(|f| cell(r, f)).collect();
                out.push_str(&cells.join("\t"));
                out.push('\n');
            }
            out
        }
        Format::Table => {
            let cells: Vec<Vec<String>> = rows
                .iter()
                .map(|r| fields.iter().map(|f| cell(r, f)).collect())
                .collect();
            ascii_table(fields, &cells)
        }
    }
}

/// One object as wp-cli's `get` commands print it: a table (or CSV) of `Field` and `Value`
/// rows; JSON: the object, its fields in order; YAML: a mapping.
pub fn render_object(row: &Row, fields: &[String], format: Format, tty: bool) -> String {
    let value = |f: &str| row.get(f).cloned().unwrap_or(Value::Null);
    match format {
        Format::Json => {
            let pairs: Vec<String> = fields
                .iter()
                .map(|f| format!("{}:{}", Value::String(f.clone()), value(f)))
                .collect();
            format!("{{{}}}\n", pairs.join(","))
        }
        Format::Yaml => {
            let mut out = String::from("---\n");
            for f in fields {
                out.push_str(&format!("{f}: {}\n", yaml_scalar(&value(f))));
            }
            out
        }
        _ => {
            let pairs: Vec<Row> = fields
                .iter()
                .map(|f| {
                    let mut r = Row::new();
                    r.insert("Field".into(), Value::String(f.clone()));
                    r.insert("Value".into(), value(f));
                    r
                })
                .collect();
            let columns = ["Field".to_owned(), "Value".to_owned()];
            render(&pairs, &columns, format, "Field", tty)
        }
    }
}

/// `--field=F`: one value per line (in json, an array of the values).
pub fn render_field(rows: &[Row], field: &str, format: Format) -> String {
    match format {
        Format::Json => {
            let list: Vec<Value> = rows
                .iter()
                .map(|r| r.get(field).cloned().unwrap_or(Value::Null))
                .collect();
            format!("{}\n", Value::Array(list))
        }
        Format::Count => format!("{}\n", rows.len()),
        _ => rows
            .iter()
            .map(|r| format!("{}\n", text(r.get(field).unwrap_or(&Value::Null))))
            .collect(),
    }
}

/// One CSV record as PHP's `fputcsv` writes it (wp-cli's CSV): a field with a comma, a
/// quote, a backslash, white space or a line break is quoted, its quotes doubled.
fn csv_line<'a>(cells: impl Iterator<Item = &'a str>) -> String {
    let quoted: Vec<String> = cells
        .map(|c| {
            if c.contains([',', '"', '\\', ' ', '\t', '\n', '\r']) {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c.to_owned()
            }
        })
        .collect();
    format!("{}\n", quoted.join(","))
}

/// wp-cli's ASCII table.
fn ascii_table(fields: &[String], rows: &[Vec<String>]) -> String {
    let width = |i: usize| {
        rows.iter()
            .map(|r| r[i].chars().count())
            .chain([fields[i].chars().count()])
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..fields.len()).map(width).collect();
    let border: String = widths
        .iter()
        .map(|w| format!("+{}", "-".repeat(w + 2)))
        .collect::<String>()
        + "+\n";
    let line = |cells: &[String]| -> String {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("| {c}{} ", " ".repeat(w - c.chars().count())))
            .collect::<String>()
            + "|\n"
    };
    let mut out = border.clone();
    out.push_str(&line(fields));
    out.push_str(&border);
    for r in rows {
        out.push_str(&line(r));
    }
    out.push_str(&border);
    out
}

/// YAML as wp-cli (Spyc) writes a list of objects.
fn yaml(rows: &[Row], fields: &[String]) -> String {
    let mut out = String::from("---\n");
    for r in rows {
        out.push_str("- \n");
        for f in fields {
            let v = r.get(f).unwrap_or(&Value::Null);
            out.push_str(&format!("  {f}: {}\n", yaml_scalar(v)));
        }
    }
    out
}

fn yaml_scalar(v: &Value) -> String {
    let s = match v {
        Value::Null => return "null".into(),
        Value::Bool(b) => return b.to_string(),
        Value::Number(n) => return n.to_string(),
        other => text(other),
    };
    let special = s.is_empty()
        || s.starts_with([
            ' ', '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"',
            '%', '@', '`',
        ])
        || s.ends_with(' ')
        || s.contains(": ")
        || s.contains(" #")
        || s.contains('\n')
        || matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "~"
        );
    if special {
        format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rows() -> Vec<Row> {
        let v = json!([
            {"ID": 1, "user_login": "webmaster", "roles": "administrator", "user_email": "w@x.fr"},
            {"ID": 2, "user_login": "writer", "roles": "author", "user_email": "a \"b\", c"}
        ]);
        v.as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_object().unwrap().clone())
            .collect()
    }

    fn fields(f: &[&str]) -> Vec<String> {
        f.iter().map(|s| s.to_string()).collect()
    }

    /// The two users, these fields, in `format` (on a terminal or not).
    fn users(f: &[&str], format: Format, tty: bool) -> String {
        render(&rows(), &fields(f), format, "ID", tty)
    }

    #[test]
    fn table_without_a_terminal_is_tab_separated_with_a_header() {
        let out = users(&["ID", "user_login"], Format::Table, false);
        assert_eq!(out, "ID\tuser_login\n1\twebmaster\n2\twriter\n");
    }

    #[test]
    fn table_on_a_terminal_has_borders() {
        let out = users(&["ID", "user_login"], Format::Table, true);
        assert_eq!(
            out,
            "+----+------------+\n\
             | ID | user_login |\n\
             +----+------------+\n\
             | 1  | webmaster  |\n\
             | 2  | writer     |\n\
             +----+------------+\n"
        );
    }

    #[test]
    fn csv_quotes_as_fputcsv() {
        let out = users(&["ID", "user_email"], Format::Csv, false);
        assert_eq!(out, "ID,user_email\n1,w@x.fr\n2,\"a \"\"b\"\", c\"\n");
    }

    #[test]
    fn json_is_an_array_of_objects_with_the_fields_in_order() {
        let out = users(&["user_login", "ID"], Format::Json, false);
        assert_eq!(
            out,
            "[{\"user_login\":\"webmaster\",\"ID\":1},{\"user_login\":\"writer\",\"ID\":2}]\n"
        );
    }

    #[test]
    fn yaml_as_spyc() {
        let out = users(&["ID", "user_email"], Format::Yaml, false);
        assert_eq!(
            out,
            "---\n- \n  ID: 1\n  user_email: w@x.fr\n- \n  ID: 2\n  user_email: a \"b\", c\n"
        );
        assert_eq!(yaml_scalar(&json!("yes")), "\"yes\"");
        assert_eq!(yaml_scalar(&json!("")), "\"\"");
        assert_eq!(yaml_scalar(&json!("a: b")), "\"a: b\"");
    }

    #[test]
    fn count_and_ids() {
        let f = fields(&["ID"]);
        assert_eq!(render(&rows(), &f, Format::Count, "ID", false), "2\n");
        assert_eq!(render(&rows(), &f, Format::Ids, "ID", false), "1 2\n");
        assert_eq!(render(&[], &f, Format::Ids, "ID", false), "");
        assert_eq!(render(&[], &f, Format::Count, "ID", false), "0\n");
    }

    #[test]
    fn one_field_one_value_per_line() {
        assert_eq!(
            render_field(&rows(), "user_login", Format::Table),
            "webmaster\nwriter\n"
        );
        assert_eq!(render_field(&rows(), "ID", Format::Json), "[1,2]\n");
    }

    #[test]
    fn fields_resolve_with_the_object_prefix() {
        assert_eq!(resolve(&rows(), "user", "login").unwrap(), "user_login");
        assert_eq!(resolve(&rows(), "user", "ID").unwrap(), "ID");
        assert_eq!(
            resolve(&rows(), "user", "user_pass").unwrap_err(),
            "Invalid field: user_pass."
        );
    }

    #[test]
    fn one_object_as_field_value_rows() {
        let row = rows()[0].clone();
        let f = fields(&["user_login", "ID"]);
        assert_eq!(
            render_object(&row, &f, Format::Table, false),
            "Field\tValue\nuser_login\twebmaster\nID\t1\n"
        );
        assert_eq!(
            render_object(&row, &f, Format::Json, false),
            "{\"user_login\":\"webmaster\",\"ID\":1}\n"
        );
        assert_eq!(
            render_object(&row, &f, Format::Yaml, false),
            "---\nuser_login: webmaster\nID: 1\n"
        );
    }

    #[test]
    fn unknown_formats_are_refused() {
        assert_eq!(Format::parse("csv").unwrap(), Format::Csv);
        assert!(Format::parse("xml").unwrap_err().contains("Got: xml"));
    }
}
