//! The end-to-end harness: guards that own a throwaway compose project or container (their
//! own names, data directory and secrets) and remove it in `Drop`, even when a test panics;
//! bounded waits that print the containers' logs when they fail; and small clients (curl,
//! openssl, the mariadb client inside a container) to look at the real services.
//!
//! By concern: [`docker`](mod@docker) (commands, waits, ports, the container and network
//! guards), [`images`] (the images under test, `inception-init`), [`facts`] (what
//! docker-compose.yml says: services, secrets, the bonus services' settings), [`stack`] (a
//! compose project), [`load`] (clients on a running stack), [`https`] (curl and openssl
//! against the site), and [`cluster`] (the Swarm stack on docker-in-docker nodes, for the
//! swarm test and the bench). Every item but the cluster's is re-exported here: `use
//! inception_tests::*`.

pub mod cluster;
pub mod docker;
pub mod facts;
pub mod https;
pub mod images;
pub mod load;
pub mod stack;

pub use docker::*;
pub use facts::*;
pub use https::*;
pub use images::*;
pub use load::*;
pub use stack::*;
