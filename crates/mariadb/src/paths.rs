//! Where the mariadb image keeps things, and the accounts it creates besides the user's:
//! each name written once. This module imports nothing from the crate.

/// Where the database lives (the volume's mount point).
pub const DATADIR: &str = "/var/lib/mysql";

/// The server's runtime directory (socket, pid file, the files below), on tmpfs.
pub const RUNDIR: &str = "/run/mysqld";
/// The server's socket, the default of every client in the image. The temporary server of
/// the first start listens only there (no networking), so the stack cannot reach it.
pub const SOCKET: &str = "/run/mysqld/mysqld.sock";
/// The log of the first start's noisy steps; shown only when a step fails.
pub const STEP_LOG: &str = "/run/mysqld/init.log";
/// The time zone tables as SQL, while the first start loads them.
pub const TZINFO_SQL: &str = "/run/mysqld/tzinfo.sql";
/// A compressed init script, decompressed for the client.
pub const INITDB_SQL: &str = "/run/mysqld/initdb.sql";
/// The options file the entrypoint writes for a Galera member's `mariadbd` (it holds the
/// SST password).
pub const OPTIONS_FILE: &str = "/run/mysqld/galera.cnf";
/// What a Galera member's entrypoint is doing, for its health check.
pub const PHASE_FILE: &str = "/run/mysqld/galera-phase";
/// `mariadbd --wsrep-recover`'s log, where it prints the recovered position.
pub const RECOVER_LOG: &str = "/run/mysqld/wsrep-recover.log";

/// Scripts run once, on the first start, as in the official image.
pub const INITDB_DIR: &str = "/docker-entrypoint-initdb.d";

/// The least-privileged account of the health check.
pub const HEALTH_USER: &str = "healthcheck";
/// The account Galera's state transfers use (created with the database, replicated to
/// every member); a member's health check uses it too: its password is the same everywhere.
pub const SST_USER: &str = "mariabackup";
/// The monitoring's account (bonus: the mysqld exporter; `bootstrap::exporter_sql`).
pub const EXPORTER_USER: &str = "exporter";
/// The statements that make it, which the server runs at every start (`--init-file`).
pub const EXPORTER_INIT_FILE: &str = "/run/mysqld/exporter-account.sql";
