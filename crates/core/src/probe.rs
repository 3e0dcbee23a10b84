//! Checks of a service by its own protocol, used by the `health` subcommands and by
//! entrypoints waiting for their dependencies. Each returns a one-line description of what
//! it saw, or an error saying what failed; [`crate::health`] turns that into a verdict.

pub mod fastcgi;
pub mod http;
pub mod redis;
pub mod tcp;
#[cfg(feature = "tls")]
pub mod tls;
