//! A WordPress release as its `wp-includes/version.php` names it, and how two compare.
//!
//! One reading for the upgrade and for `wp core version`: the first line that starts with
//! the assignment (the names also appear in comments), `$wp_version` a quoted string and
//! `$wp_db_version` a whole number, each ended by `;`.

use std::cmp::Ordering;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::volume::VERSION_PHP;

/// A WordPress release: `$wp_version` and `$wp_db_version` of `wp-includes/version.php`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    /// The release (`6.8.1`, `6.9-RC1`).
    pub wordpress: String,
    /// Its database schema's revision.
    pub db: u64,
}

/// Why [`Version::read`] found no version.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file cannot be read: no WordPress there.
    #[error("cannot read {}", .0.display())]
    Unreadable(PathBuf, #[source] std::io::Error),
    /// The file assigns no version.
    #[error("{} names no version", .0.display())]
    NoVersion(PathBuf),
}

impl Version {
    /// The version of the WordPress in `root`.
    pub fn read(root: &Path) -> Result<Version, ReadError> {
        let path = root.join(VERSION_PHP);
        match std::fs::read_to_string(&path) {
            Ok(text) => Version::parse(&text).ok_or(ReadError::NoVersion(path)),
            Err(e) => Err(ReadError::Unreadable(path, e)),
        }
    }

    /// Reads `$wp_version = '…';` and `$wp_db_version = N;`.
    pub fn parse(text: &str) -> Option<Version> {
        let wordpress = assigned(text, "$wp_version")?;
        let quote = wordpress
            .chars()
            .next()
            .filter(|c| *c == '\'' || *c == '"')?;
        let wordpress = wordpress.strip_prefix(quote)?.strip_suffix(quote)?;
        if wordpress.contains(quote) {
            return None;
        }
        Some(Version {
            wordpress: wordpress.to_owned(),
            db: assigned(text, "$wp_db_version")?.parse().ok()?,
        })
    }
}

/// What the first line starting with `name = ` assigns, without its `;`.
fn assigned<'a>(php: &'a str, name: &str) -> Option<&'a str> {
    php.lines().find_map(|line| {
        let value = line
            .trim_start()
            .strip_prefix(name)?
            .trim_start()
            .strip_prefix('=')?;
        Some(value.trim().strip_suffix(';')?.trim_end())
    })
}

/// Compares two WordPress versions as PHP's `version_compare` does for them: numeric
/// components, a missing one counting as 0 (6.8 = 6.8.0), and a pre-release (6.9-RC1)
/// before its release.
pub fn compare(a: &str, b: &str) -> Ordering {
    let split = |v: &str| {
        let (release, pre) = v.split_once('-').unwrap_or((v, ""));
        let nums: Vec<u64> = release.split('.').map(|n| n.parse().unwrap_or(0)).collect();
        (nums, pre.to_owned())
    };
    let ((mut x, xp), (mut y, yp)) = (split(a), split(b));
    let len = x.len().max(y.len());
    x.resize(len, 0);
    y.resize(len, 0);
    x.cmp(&y)
        .then_with(|| match (xp.is_empty(), yp.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => xp.cmp(&yp),
        })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A version, for the tests.
    pub(crate) fn v(wordpress: &str, db: u64) -> Version {
        Version {
            wordpress: wordpress.into(),
            db,
        }
    }

    #[test]
    fn versions_are_read_from_version_php() {
        let text = "<?php\n/**\n * The WordPress version string.\n */\n$wp_version = '6.8.12';\n\n\
                    /** Holds the WordPress DB revision */\n$wp_db_version = 60421;\n\
                    $tinymce_version = '49110-20250317';\n";
        assert_eq!(Version::parse(text), Some(v("6.8.12", 60421)));
        assert_eq!(Version::parse("<?php\n$wp_version = '6.1';\n"), None);
    }

    #[test]
    fn the_assignment_is_read_not_the_comments() {
        let text = "<?php\n/**\n * @global string $wp_version\n */\n$wp_version = \"6.9\";\n\
                    $wp_db_version = 58975;\n";
        assert_eq!(Version::parse(text), Some(v("6.9", 58975)));
        for bad in [
            "$wp_version = 6.9;",
            "$wp_version = '6.9",
            "$wp_version = '6.9\";",
        ] {
            assert_eq!(
                Version::parse(&format!("{bad}\n$wp_db_version = 1;\n")),
                None,
                "{bad}"
            );
        }
    }

    #[test]
    fn a_missing_file_and_a_file_without_a_version_say_which() {
        let dir = std::env::temp_dir().join(format!("inception-version-{}", std::process::id()));
        let e = Version::read(&dir).unwrap_err();
        assert!(matches!(e, ReadError::Unreadable(..)), "{e}");
        assert!(e.to_string().starts_with("cannot read "), "{e}");
        std::fs::create_dir_all(dir.join("wp-includes")).unwrap();
        std::fs::write(dir.join(VERSION_PHP), "<?php\n").unwrap();
        let e = Version::read(&dir).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("{} names no version", dir.join(VERSION_PHP).display())
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn versions_compare_as_php_compares_them() {
        use Ordering::*;
        assert_eq!(compare("6.1.9", "6.8.12"), Less);
        assert_eq!(compare("6.8.12", "6.8.9"), Greater);
        assert_eq!(compare("6.8", "6.8.0"), Equal);
        assert_eq!(compare("6.9-RC1", "6.9"), Less);
        assert_eq!(compare("10.0", "9.9.9"), Greater);
    }
}
