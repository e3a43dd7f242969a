//! Follow-me ringing: the caller hears ringing (or music) while the user's own device and
//! then each configured step of numbers ring; the first callee who takes the call (pressing
//! 1 when confirmation is on) is bridged with the caller and every other leg is hung up;
//! nobody -> the caller continues to `ringside-voicemail` with `RINGSIDE_REASON` set.
//!
//! - [`plan`]: settings -> ordered steps of legs (pure).
//! - [`machine`]: the call's decisions as a state machine (pure).
//! - [`run`]: executes one inbound call against ARI: it walks the call plan of
//!   [`crate::flows::inbound`] (do-not-disturb, forwards, follow-me, own device) and rings each
//!   stage with the machine above; follow-me is one stage of that plan.
//! - [`source`]: where settings, call handling and known extensions come from.

pub mod machine;
pub mod plan;
pub mod run;
pub mod source;

pub use machine::{Action, FollowMe, Input, VoicemailReason};
pub use plan::{Caller, DialTemplates, Plan, PlanError, PlannedLeg, PlannedStep};
pub use run::{CONFIRM_PROMPT, FollowMeFlow, LatencyRecorder, VOICEMAIL_CONTEXT};
pub use source::{FollowMeSource, StaticHandlingSource, StaticSource};
