//! What a Galera member of the mariadb image tells on its state port (one line per
//! connection), shared by the members themselves (`crates/mariadb/src/galera.rs`) and by the
//! database proxy's health checks (`crates/dbproxy`).

/// The port members answer on.
pub const STATE_PORT: u16 = 4560;
/// The word that starts every answer.
pub const PREFIX: &str = "galera";
/// The answer of a member ready for clients: in a primary component, synced.
pub const READY: &str = "galera primary";
