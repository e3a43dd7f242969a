//! The service manager's readiness protocol: one datagram (`READY=1`, `RELOADING=1`, …) to
//! the Unix socket named by `NOTIFY_SOCKET`, as systemd's `Type=notify` expects.
//!
//! Not here: watchdog pings or anything else of libsystemd; without `NOTIFY_SOCKET` (not run
//! by systemd) every call does nothing.

use std::io;
use std::os::unix::net::UnixDatagram;

/// Sends `state` to the service manager. `Ok(false)` when none asked for it.
pub fn notify(state: &str) -> io::Result<bool> {
    let Some(path) = std::env::var_os("NOTIFY_SOCKET").filter(|p| !p.is_empty()) else {
        return Ok(false);
    };
    let socket = UnixDatagram::unbound()?;
    let bytes = path.as_encoded_bytes();
    if let Some(name) = bytes.strip_prefix(b"@") {
        // An abstract socket (systemd's default for user services on some systems).
        #[cfg(target_os = "linux")]
        {
            use std::os::linux::net::SocketAddrExt;
            let addr = std::os::unix::net::SocketAddr::from_abstract_name(name)?;
            socket.send_to_addr(state.as_bytes(), &addr)?;
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = name;
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "abstract notify sockets exist only on Linux",
            ));
        }
    } else {
        socket.send_to(state.as_bytes(), &path)?;
    }
    Ok(true)
}

/// Tells the service manager the daemon is serving; a failure is logged, never fatal.
pub fn ready() {
    match notify("READY=1\nSTATUS=serving") {
        Ok(true) => tracing::info!("told the service manager the daemon is ready"),
        Ok(false) => {}
        Err(err) => tracing::warn!(%err, "cannot tell the service manager the daemon is ready"),
    }
}
