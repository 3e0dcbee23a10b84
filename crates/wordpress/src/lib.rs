//! `inception-wordpress`: PID 1 of the wordpress container.
//!
//! `entrypoint.rs` is the start-up sequence; `settings.rs` what it reads; `files.rs`,
//! `wpconfig.rs`, `mail.rs` and `install.rs` its steps. Called as `wp`, it is `wp.rs`, a
//! subset of wp-cli. `health` pings php-fpm's pool over FastCGI. Shared by them: `volume.rs`
//! (the paths in the volume), `version.rs` (WordPress's version), `php.rs` (running
//! WordPress's PHP scripts). `events.rs` holds the messages of its log that the tests look
//! for.

mod cron;
pub mod entrypoint;
pub mod events;
mod files;
mod install;
mod mail;
mod php;
mod settings;
mod upgrade;
mod version;
mod volume;
pub mod wp;
mod wpconfig;
