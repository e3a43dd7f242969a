//! The manager interface (AMI): Ringside's third link to Asterisk, for what neither ARI nor
//! FastAGI offers: app_voicemail's message actions (move, remove, summary, counts),
//! `cdr_manager`'s `Cdr` events, and res_fax's sessions (the page a fax is on).
//!
//! - [`frame`]: the wire format (pure).
//! - [`events`]: typed events, unknown ones kept raw (pure).
//! - [`client`]: the link: login, ActionID correlation, event lists, keepalive, reconnect.
//! - [`voicemail`]: app_voicemail's actions and what their answers mean.
//! - [`fax`]: res_fax's `FAXSessions` and `FAXSession`.
//! - [`simulator`]: a manager for tests, modelled on sessions recorded from Asterisk 22.
//!
//! Why not the `asterisk-rs-ami` crate (0.8.0, evaluated for this link): its event lists are
//! handled well (the `EventList` marker is compared without case), but its client only
//! exists once the first connection and login succeeded (`build()` fails after a deadline),
//! whereas Ringside must start before Asterisk and keep retrying, including after a refused
//! login that an operator fixes later; it asks for an MD5 challenge before falling back to
//! the plain login Asterisk 22 expects; it needs Rust 1.86 (the workspace promises 1.85);
//! and it has no typed voicemail actions, so the part Ringside needs (interpreting
//! `Success` + `Message move failed`) would be written here anyway. The client here is a
//! few hundred lines over tokio and covers exactly what the recorded sessions show.
//!
//! Not here: what the voicemail inbox does with these actions (see
//! [`crate::voicemail::inbox`]).

pub mod client;
pub mod events;
pub mod fax;
pub mod frame;
pub mod simulator;
pub mod voicemail;

pub use client::{AmiClient, AmiError, LinkState, Reply, Timers};
pub use events::Event;
pub use frame::Message;
pub use voicemail::{MailboxCounts, Outcome};
