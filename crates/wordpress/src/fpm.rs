//! php-fpm as the child of PID 1, on a listening socket PID 1 owns.
//!
//! php-fpm's graceful stop (SIGQUIT) lets its workers finish the requests in flight, but
//! keeps its listening socket open while they do: connections arriving meanwhile wait in
//! the socket's backlog and are reset when php-fpm exits, after nginx has sent them their
//! request (lost, where a refusal would have been clean). So this process creates the
//! socket (first thing at start), hands it to php-fpm through `FPM_SOCKETS` (php-fpm's own way of inheriting
//! sockets across reloads), and right after forwarding the stop signal shuts it down:
//! whatever arrives next is refused at once, and the requests in flight still finish.

use std::net::{Shutdown, SocketAddr};
use std::os::fd::AsRawFd;

use anyhow::Context;
use inception_core::{exit, pid1};
use socket2::{Domain, Protocol, Socket, Type};

/// The pool's `listen` (conf/php-fpm.conf), written as php-fpm names it in `FPM_SOCKETS`.
pub const LISTEN: &str = "0.0.0.0:9000";
/// php-fpm's own default backlog.
const BACKLOG: i32 = 511;

/// php-fpm's socket, listening from the start of the container: connections that arrive
/// while WordPress is prepared wait in its backlog instead of being refused.
pub fn listen() -> anyhow::Result<Socket> {
    let addr: SocketAddr = LISTEN.parse()?;
    let socket = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP))
        .context("cannot create php-fpm's socket")?;
    socket.set_reuse_address(true)?;
    socket
        .bind(&addr.into())
        .and_then(|()| socket.listen(BACKLOG))
        .with_context(|| format!("cannot listen on {LISTEN}"))?;
    Ok(socket)
}

/// Runs php-fpm (`argv`) on `socket` as PID 1's child and returns its exit status (0 for
/// a requested stop).
pub fn run(socket: Socket, argv: &[String]) -> anyhow::Result<u8> {
    // php-fpm inherits it across exec.
    socket.set_cloexec(false)?;
    let inherited = format!("{LISTEN}={}", socket.as_raw_fd());
    pid1::after_stop(move || match socket.shutdown(Shutdown::Read) {
        Ok(()) => tracing::info!("stop: no new FastCGI connections, finishing those in flight"),
        Err(e) => tracing::warn!(error = %e, "cannot stop listening"),
    });
    let code = pid1::run_as_init_with(argv, |cmd| {
        cmd.env("FPM_SOCKETS", &inherited);
    })?;
    Ok(if pid1::is_requested_stop(code) {
        exit::OK
    } else {
        code
    })
}
