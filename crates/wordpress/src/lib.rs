//! `inception-wordpress`: PID 1 of the wordpress container.
//!
//! `entrypoint.rs` is the start-up sequence; `settings.rs` what it reads; `files.rs`,
//! `wpconfig.rs`, `mail.rs` and `install.rs` its steps. Called as `wp`, it is `wp.rs`, a
//! subset of wp-cli. `health` pings php-fpm's pool over FastCGI. `events.rs` holds the
//! messages of its log that the tests look for.

mod cron;
pub mod entrypoint;
pub mod events;
mod files;
mod install;
mod mail;
mod settings;
mod upgrade;
pub mod wp;
mod wpconfig;
