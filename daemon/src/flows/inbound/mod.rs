//! The inbound call to a user: what Ringside does with it, decided once by one pure planner.
//!
//! - [`plan`]: the precedence (do-not-disturb > forward always > follow-me > own device, then
//!   forward busy / no answer or voicemail), forward chains, loops and time rules, as a pure
//!   function from settings to a [`plan::Route`] tree.
//!
//! Not here: ringing the legs of a stage (`followme::machine`) and running the call over ARI
//! (`followme::run`), which walks the tree this module plans.

pub mod plan;

pub use plan::{ChainStop, MAX_HOPS, Ring, Ringing, Route, RouteError, UserSettings};
