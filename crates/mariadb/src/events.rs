//! The life-cycle messages of the mariadb container that tests and operators look for in its
//! logs: each written once, here, and logged as the event's message.

/// The data directory holds a database; the server starts on it.
pub const DATABASE_PRESENT: &str = "database present, starting it";
/// The first start (initialisation) completed.
pub const FIRST_START_COMPLETE: &str = "first start complete";
/// An interrupted first start was found (its marker); it is redone.
pub const FIRST_START_REDONE: &str = "an earlier first start was interrupted; redoing it";
/// Galera member: it starts a new cluster from its data.
pub const GALERA_BOOTSTRAP: &str = "bootstrapping the cluster from this member";
/// Galera member: it joins the running members.
pub const GALERA_JOIN: &str = "joining the cluster";
/// Galera member: its last stop was a crash; InnoDB tells its position.
pub const GALERA_RECOVERY: &str = "the last stop was not clean: recovering the position";
