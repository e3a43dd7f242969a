//! Follow-me settings of one extension.

use serde::{Deserialize, Serialize};

/// Follow-me settings as the user edits them. The backend validates them and answers
/// [`BackendError::Validation`](crate::BackendError::Validation) with one message per field.
///
/// Field names used in validation errors: `initial_ring_secs`, `moh`, `caller_id`,
/// `steps[N].numbers`, `steps[N].ring_secs` (N counted from 0).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowMe {
    pub enabled: bool,
    /// Seconds the user's own devices ring first; 0 skips them.
    pub initial_ring_secs: u32,
    /// Rung in order; the numbers of one step ring together.
    pub steps: Vec<FollowMeStep>,
    /// The callee must press 1 to accept, so a mobile voicemail never takes the call.
    pub confirm: bool,
    /// Music-on-hold class the caller hears instead of ringing; empty means ringing.
    pub moh: String,
    pub caller_id: CallerIdChoice,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowMeStep {
    /// Numbers as dialled, kept as strings (a leading 0 matters).
    pub numbers: Vec<String>,
    pub ring_secs: u32,
}

/// Which caller ID the external legs show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallerIdChoice {
    /// The original caller's number.
    Caller,
    /// The user's own extension / DID.
    Extension,
}

impl CallerIdChoice {
    pub fn key(self) -> &'static str {
        match self {
            CallerIdChoice::Caller => "caller",
            CallerIdChoice::Extension => "extension",
        }
    }
}
