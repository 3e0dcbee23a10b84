//! Exit statuses, defined once (the table is in [`crate::exit`], which re-exports them).
//!
//! A leaf module: [`crate::pid1`] reports its children's statuses with it, and
//! [`crate::exit`] maps errors, those of `pid1` included, to these codes.

/// Success.
pub const OK: u8 = 0;
/// A failure at run time, or an unhealthy service.
pub const FAILURE: u8 = 1;
/// Bad command line.
pub const USAGE: u8 = 2;
/// Bad configuration (sysexits' `EX_CONFIG`): distinct so that callers can tell it apart.
pub const CONFIG: u8 = 78;
/// The command exists but could not be executed.
pub const CANNOT_EXECUTE: u8 = 126;
/// The command was not found.
pub const NOT_FOUND: u8 = 127;

/// Exit status of a process killed by `signal` (128 + N, as shells report it).
pub fn signaled(signal: i32) -> u8 {
    (128 + signal).clamp(0, 255) as u8
}

/// A command-line mistake; maps to [`USAGE`].
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);
