//! The mariadb image's PID 1, as a library: the binary (`main.rs`) runs [`entrypoint`] and
//! [`health`]; the tests read [`events`]; the database proxy reads what Galera members say
//! ([`galera::report`]).
//!
//! The modules, each one job: [`paths`] (every file and account name, imported by the
//! others, importing nothing), `settings.rs` (the first start's settings), `datadir.rs` (what
//! the data directory holds), `bootstrap.rs` (the temporary server and its SQL),
//! `initdb.rs` (the user's init scripts), `first_start.rs` (the crash-safe first start),
//! [`galera`] (a cluster member's start) and [`entrypoint`] (the start-up, in a few lines).

mod bootstrap;
mod datadir;
pub mod entrypoint;
pub mod events;
mod first_start;
pub mod galera;
pub mod health;
mod initdb;
pub mod paths;
mod settings;
