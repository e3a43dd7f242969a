//! Voicemail greeting slots and which one a caller hears.

use serde::{Deserialize, Serialize};

/// The four greeting slots of a mailbox, named as app_voicemail names the files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GreetingSlot {
    Temp,
    Busy,
    Unavail,
    Greet,
}

impl GreetingSlot {
    pub const ALL: [GreetingSlot; 4] = [
        GreetingSlot::Temp,
        GreetingSlot::Busy,
        GreetingSlot::Unavail,
        GreetingSlot::Greet,
    ];

    pub fn key(self) -> &'static str {
        match self {
            GreetingSlot::Temp => "temp",
            GreetingSlot::Busy => "busy",
            GreetingSlot::Unavail => "unavail",
            GreetingSlot::Greet => "greet",
        }
    }

    pub fn parse(s: &str) -> Option<GreetingSlot> {
        GreetingSlot::ALL.into_iter().find(|slot| slot.key() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            GreetingSlot::Temp => "Temporary",
            GreetingSlot::Busy => "Busy",
            GreetingSlot::Unavail => "Unavailable",
            GreetingSlot::Greet => "Name / general",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GreetingInfo {
    pub slot: GreetingSlot,
    pub exists: bool,
    /// Length of the recording; `None` when the slot is empty.
    pub duration_ms: Option<u64>,
}

/// Why a call reached voicemail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallReason {
    Busy,
    Unavailable,
    NoAnswer,
}

impl CallReason {
    pub const ALL: [CallReason; 3] = [
        CallReason::Busy,
        CallReason::Unavailable,
        CallReason::NoAnswer,
    ];

    pub fn label(self) -> &'static str {
        match self {
            CallReason::Busy => "When you are busy",
            CallReason::Unavailable => "When your phone is unavailable",
            CallReason::NoAnswer => "When you do not answer",
        }
    }
}

/// The greeting a caller hears right now for one reason; `slot: None` means Asterisk's
/// default system greeting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeardNow {
    pub reason: CallReason,
    pub slot: Option<GreetingSlot>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GreetingsOverview {
    /// One entry per slot, in [`GreetingSlot::ALL`] order.
    pub slots: Vec<GreetingInfo>,
    /// One entry per [`CallReason`].
    pub heard_now: Vec<HeardNow>,
}
