//! Minimal templating for configuration files: `{{NAME}}` placeholders.
//!
//! Rendering fails on a placeholder without a value, so a typo in a template is caught at
//! start rather than shipped into a config file. Values are inserted as they are: callers
//! quote them for the target language first.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Why a template could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// `{{` without its `}}`.
    #[error("unclosed placeholder near {near:?}")]
    Unclosed { near: String },
    /// A placeholder no value was given for.
    #[error("no value for placeholder {name}")]
    Missing { name: String },
    /// The template file could not be read.
    #[error("cannot read {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A template file holds one of the errors above.
    #[error("{}", path.display())]
    File {
        path: PathBuf,
        #[source]
        source: Box<TemplateError>,
    },
}

/// A template and where it comes from (named in its errors).
#[derive(Debug, Clone)]
pub struct Template {
    path: PathBuf,
    text: String,
}

impl Template {
    /// Reads the template file at `path`.
    pub fn load(path: impl AsRef<Path>) -> Result<Template, TemplateError> {
        let path = path.as_ref().to_path_buf();
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Template { path, text }),
            Err(source) => Err(TemplateError::Read { path, source }),
        }
    }

    /// A template whose text is already at hand (embedded, or in a test), named `path`.
    pub fn from_text(path: impl AsRef<Path>, text: impl Into<String>) -> Template {
        Template {
            path: path.as_ref().to_path_buf(),
            text: text.into(),
        }
    }

    /// Renders it with `values` (see [`render`]); errors name the template.
    pub fn render(&self, values: &HashMap<&str, String>) -> Result<String, TemplateError> {
        render(&self.text, values).map_err(|e| TemplateError::File {
            path: self.path.clone(),
            source: Box::new(e),
        })
    }
}

/// `value` for an option file that reads C-like double-quoted strings (MariaDB's `.cnf`,
/// `redis.conf`): in double quotes, with `\` and `"` escaped.
pub fn double_quoted(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Replaces every `{{NAME}}` (optionally `{{ NAME }}`) in `template` with `values[NAME]`.
pub fn render(template: &str, values: &HashMap<&str, String>) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or_else(|| TemplateError::Unclosed {
            near: rest[start..].chars().take(20).collect(),
        })?;
        let name = after[..end].trim();
        let value = values
            .get(name)
            .ok_or_else(|| TemplateError::Missing { name: name.into() })?;
        out.push_str(value);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn option_file_values_are_double_quoted() {
        assert_eq!(double_quoted(r#"a"b\c#"#), r#""a\"b\\c#""#);
        assert_eq!(double_quoted("plain"), "\"plain\"");
    }

    #[test]
    fn renders_and_refuses_unknown_names() {
        let values = HashMap::from([("DOMAIN", "x.42.fr".to_string())]);
        assert_eq!(
            render("server_name {{DOMAIN}}; # {{ DOMAIN }}", &values).unwrap(),
            "server_name x.42.fr; # x.42.fr"
        );
        assert_eq!(
            render("{{NOPE}}", &values).unwrap_err().to_string(),
            "no value for placeholder NOPE"
        );
        assert!(matches!(
            render("{{DOMAIN", &values),
            Err(TemplateError::Unclosed { .. })
        ));
        // A file's errors name it, with the cause after it.
        let err = Template::from_text("/etc/x.tmpl", "{{NOPE}}")
            .render(&values)
            .unwrap_err();
        assert_eq!(
            format!("{:#}", anyhow::Error::new(err)),
            "/etc/x.tmpl: no value for placeholder NOPE"
        );
        assert_eq!(
            render("no placeholders", &values).unwrap(),
            "no placeholders"
        );
    }
}
