//! Quoting of values and names for MariaDB statements that take no placeholders
//! (`CREATE USER`, `GRANT`, `CREATE DATABASE`).
//!
//! String literals use MariaDB's backslash escapes, valid unless `NO_BACKSLASH_ESCAPES` is in
//! `sql_mode` (it is not in MariaDB's default mode, which the bootstrap uses). See
//! <https://mariadb.com/kb/en/string-literals/> and <https://mariadb.com/kb/en/identifier-names/>.

/// `value` as a single-quoted string literal.
pub fn literal(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        match c {
            '\0' => out.push_str("\\0"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\x1a' => out.push_str("\\Z"),
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// Why a name cannot be an identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentifierError {
    #[error("an identifier must be non-empty and without NUL")]
    EmptyOrNul,
    #[error("an identifier is at most 64 characters")]
    TooLong,
}

/// A name MariaDB accepts as an identifier (database, table): non-empty, without NUL, at
/// most 64 characters. Validated once, when it is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identifier(String);

impl Identifier {
    pub fn new(name: &str) -> Result<Identifier, IdentifierError> {
        if name.is_empty() || name.contains('\0') {
            return Err(IdentifierError::EmptyOrNul);
        }
        if name.chars().count() > 64 {
            return Err(IdentifierError::TooLong);
        }
        Ok(Identifier(name.to_owned()))
    }

    /// The name as it was given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name back-quoted, for a statement.
    pub fn quoted(&self) -> String {
        backquoted(&self.0)
    }

    /// The name as a GRANT's database pattern, back-quoted: `_` and `%` are wildcards
    /// there, so they (and `\`) are escaped to match this database only.
    pub fn grant_pattern(&self) -> String {
        backquoted(
            &self
                .0
                .replace('\\', "\\\\")
                .replace('_', "\\_")
                .replace('%', "\\%"),
        )
    }
}

fn backquoted(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// `name` as a back-quoted identifier (database, table), or why it cannot be one.
pub fn identifier(name: &str) -> Result<String, IdentifierError> {
    Identifier::new(name).map(|name| name.quoted())
}

/// `'user'@'host'` for account statements.
pub fn account(user: &str, host: &str) -> String {
    format!("{}@{}", literal(user), literal(host))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_escape_what_mariadb_interprets() {
        assert_eq!(literal("plain"), "'plain'");
        assert_eq!(literal(r#"a'b"c\d"#), r#"'a\'b\"c\\d'"#);
        assert_eq!(literal("nul\0z\x1a"), "'nul\\0z\\Z'");
        assert_eq!(literal("$% é 😀"), "'$% é 😀'");
    }

    #[test]
    fn a_grant_pattern_matches_its_database_only_whatever_its_length() {
        let db = Identifier::new("my_db%").unwrap();
        assert_eq!(db.grant_pattern(), r"`my\_db\%`");
        // 64 characters, all of them escaped: the pattern is longer than an identifier may
        // be, and still a pattern.
        let long = "_".repeat(64);
        let pattern = Identifier::new(&long).unwrap().grant_pattern();
        assert_eq!(pattern, format!("`{}`", r"\_".repeat(64)));
        assert!(Identifier::new(&"_".repeat(65)).is_err());
    }

    #[test]
    fn identifiers_double_backquotes() {
        assert_eq!(identifier("my db").unwrap(), "`my db`");
        assert_eq!(identifier("a`b").unwrap(), "`a``b`");
        assert!(identifier("").is_err());
        assert!(identifier("a\0").is_err());
        assert!(identifier(&"x".repeat(65)).is_err());
    }

    #[test]
    fn accounts() {
        assert_eq!(account("wp", "%"), "'wp'@'%'");
    }
}
