//! Shared runtime of the Inception entrypoints.
//!
//! Every service binary is a thin layer over this crate: it reads its configuration with
//! [`config`], becomes a well-behaved PID 1 with [`pid1`], checks its dependencies and itself
//! with [`probe`], renders its files with [`template`] and [`fs`], then runs the real service
//! as its child with [`pid1::run_service`] and stays PID 1 until it ends. Exit codes live in
//! [`exit`].
//!
//! Features: `mysql` (the MariaDB client, [`db`]) and `tls` (the
//! HTTPS probe and certificates); services that need neither do not link their crates.

#[cfg(feature = "tls")]
pub mod cert;
pub mod cli;
pub mod config;
#[cfg(feature = "mysql")]
pub mod db;
pub mod exit;
pub mod fs;
pub mod health;
pub mod log;
pub mod pid1;
pub mod probe;
pub mod random;
pub mod retry;
pub mod rt;
pub mod sql;
pub mod status;
pub mod template;
pub mod user;
