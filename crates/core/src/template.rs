//! Minimal templating for configuration files: `{{NAME}}` placeholders.
//!
//! Rendering fails on a placeholder without a value, so a typo in a template is caught at
//! start rather than shipped into a config file. Values are inserted as they are: callers
//! quote them for the target language first.

use std::collections::HashMap;

/// Replaces every `{{NAME}}` (optionally `{{ NAME }}`) in `template` with `values[NAME]`.
pub fn render(template: &str, values: &HashMap<&str, String>) -> Result<String, String> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| format!("unclosed placeholder near {:?}", &rest[start..]))?;
        let name = after[..end].trim();
        let value = values
            .get(name)
            .ok_or_else(|| format!("no value for placeholder {name}"))?;
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
    fn renders_and_refuses_unknown_names() {
        let values = HashMap::from([("DOMAIN", "x.42.fr".to_string())]);
        assert_eq!(
            render("server_name {{DOMAIN}}; # {{ DOMAIN }}", &values).unwrap(),
            "server_name x.42.fr; # x.42.fr"
        );
        assert_eq!(
            render("{{NOPE}}", &values).unwrap_err(),
            "no value for placeholder NOPE"
        );
        assert!(render("{{DOMAIN", &values).is_err());
        assert_eq!(
            render("no placeholders", &values).unwrap(),
            "no placeholders"
        );
    }
}
