//! Call handling of one extension: do-not-disturb, call forwarding, ring time, time rules.

use serde::{Deserialize, Serialize};

/// Call handling as the user edits it. The backend validates it and answers
/// [`BackendError::Validation`](crate::BackendError::Validation) with one message per field.
///
/// Field names used in validation errors: `dnd_allow`, `dnd_schedule`, `forward_always`,
/// `forward_busy`, `forward_no_answer` (and `<forward>.schedule`), `ring_secs`, `time_zone`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallHandlingSettings {
    /// Do-not-disturb: callers go to voicemail (busy), except the allowed ones.
    pub dnd: bool,
    /// Caller numbers that ring through while do-not-disturb is on.
    #[serde(default)]
    pub dnd_allow: Vec<String>,
    /// Limits do-not-disturb to a weekly window, e.g. `mon-fri,08:00-18:00`; `None`: always.
    #[serde(default)]
    pub dnd_schedule: Option<TimeRuleSetting>,
    pub forward_always: ForwardSetting,
    pub forward_busy: ForwardSetting,
    /// Used when the call is not answered in the ring time or the phone is not reachable.
    pub forward_no_answer: ForwardSetting,
    /// Seconds the user's own phone rings before "not answered"; `None`: the default (20).
    #[serde(default)]
    pub ring_secs: Option<u32>,
    /// IANA time zone the schedules are read in.
    pub time_zone: String,
}

/// One kind of call forwarding; off keeps the number.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForwardSetting {
    pub enabled: bool,
    /// An extension or an external number; empty when never set.
    #[serde(default)]
    pub number: String,
    #[serde(default)]
    pub schedule: Option<TimeRuleSetting>,
}

/// A weekly window and which side of it the setting applies on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeRuleSetting {
    /// Days and a time range, e.g. `mon-fri,08:00-18:00`.
    pub window: String,
    /// The setting applies outside the window instead of inside it.
    #[serde(default)]
    pub outside: bool,
}

/// What the first page shows at a glance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallHandlingStatus {
    pub dnd: bool,
    /// The numbers calls go to now, when that forward is on.
    pub forward_always: Option<String>,
    pub forward_busy: Option<String>,
    pub forward_no_answer: Option<String>,
    pub followme: bool,
}

impl CallHandlingSettings {
    /// Nothing set.
    pub fn empty() -> Self {
        Self {
            dnd: false,
            dnd_allow: Vec::new(),
            dnd_schedule: None,
            forward_always: ForwardSetting::default(),
            forward_busy: ForwardSetting::default(),
            forward_no_answer: ForwardSetting::default(),
            ring_secs: None,
            time_zone: "UTC".into(),
        }
    }
}
