//! ARI: typed REST client, typed event stream over WebSocket with reconnect, and an in-process
//! ARI simulator faithful to Asterisk 22 (used by tests, benches and `ringside ari-sim`).

pub mod client;
pub mod connection;
pub mod events;
pub mod model;
pub mod repeat;
pub mod rest_ws;
pub mod simulator;

pub use client::{AriClient, AriError, CreateChannel, DialplanTarget, HangupReason, Originate};
pub use events::Event;
