//! The WordPress volume: where it is mounted, what fills it, and every path in it that this
//! container creates, writes or relies on. Paths are relative to the site's root: the volume
//! or, in a cluster, the shared copy (`WP_SHARED_DIR`). Our own files are hidden (a leading
//! dot): nginx serves no dot file.
//!
//! A leaf: it names paths and imports nothing from the crate, so every module can use it.

/// The volume: what php-fpm (and nginx, read-only) serve.
pub const WEBROOT: &str = "/var/www/html";
/// WordPress as shipped in the image (from Debian's package, symlinks resolved): what the
/// volume is filled from, and upgraded from.
pub const SOURCE: &str = "/usr/src/wordpress";

/// WordPress's version (`$wp_version`, `$wp_db_version`). The first copy renames it into
/// place last (with [`WP_INCLUDES`]), an upgrade writes it last: its presence means the core
/// is complete.
pub const VERSION_PHP: &str = "wp-includes/version.php";
/// The directory of [`VERSION_PHP`].
pub const WP_INCLUDES: &str = "wp-includes";
/// The site's own (themes, plugins, uploads): never replaced by an upgrade.
pub const WP_CONTENT: &str = "wp-content";
/// Uploads: the one part of a cluster's private copies that stays shared.
pub const UPLOADS: &str = "wp-content/uploads";
/// Where our must-use plugins are installed.
pub const MU_PLUGINS: &str = "wp-content/mu-plugins";
/// Where our object-cache drop-in is installed (when Redis is configured).
pub const OBJECT_CACHE: &str = "wp-content/object-cache.php";
/// WordPress's configuration, rendered at every start.
pub const WP_CONFIG: &str = "wp-config.php";
/// The keys and salts, generated once and kept.
pub const SALTS: &str = "wp-salts.php";
/// WordPress's maintenance mode: while it exists (and is recent), pages answer 503.
pub const MAINTENANCE: &str = ".maintenance";

/// Held during the setup: replicas set up one at a time.
pub const SETUP_LOCK: &str = ".inception-setup.lock";
/// Where the first copy is staged, inside the volume so that renames are atomic.
pub const STAGING: &str = ".inception-staging";
/// Present while an install is in progress.
pub const INSTALLING: &str = ".inception-installing";
/// Where replaced versions are kept.
pub const UPGRADES: &str = ".inception-upgrades";
/// The upgrade in progress.
pub const UPGRADE_JOURNAL: &str = ".inception-upgrade.json";
/// In the shared copy of a cluster: held by the replica running WP-Cron this minute.
pub const CRON_LOCK: &str = ".inception-cron.lock";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_php_is_in_wp_includes_and_uploads_in_wp_content() {
        assert_eq!(
            std::path::Path::new(VERSION_PHP).parent(),
            Some(WP_INCLUDES.as_ref())
        );
        for path in [UPLOADS, MU_PLUGINS, OBJECT_CACHE] {
            assert!(path.starts_with(&format!("{WP_CONTENT}/")), "{path}");
        }
    }
}
