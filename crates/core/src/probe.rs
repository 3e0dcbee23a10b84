//! Checks of a service by its own protocol, used by the `health` subcommands and by
//! entrypoints waiting for their dependencies. Each returns a one-line description of what
//! it saw, or an error saying what failed.

pub mod fastcgi;
pub mod mysql;
pub mod tcp;
pub mod tls;
