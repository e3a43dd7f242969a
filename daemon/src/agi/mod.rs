//! FastAGI server: speaks the protocol as Asterisk 22 does and routes sessions by script path.
//!
//! - [`protocol`]: the wire format (request header, replies, argument quoting), pure.
//! - [`session`]: one connection's header and command/reply exchange, with limits.
//! - [`server`]: the TCP listener, session cap, routing to [`AgiHandler`]s, shutdown.
//!
//! The call-flow logic behind each script lives in [`crate::flows`], not here.

pub mod protocol;
pub mod server;
pub mod session;

pub use protocol::{ProtocolError, Reply, Request};
pub use server::{AgiHandler, AgiServer, ServerLimits};
pub use session::{AgiError, AgiSession, AgiStream, SessionLimits};
