//! Scripted behaviour of the simulator's endpoints ("phones") and dialplan contexts.
//!
//! A [`Script`] says what a dialled endpoint does: answer after a delay, busy, congestion,
//! never answer, not exist, or be unreachable; and after answering, press DTMF or hang up.
//! A [`ContextHook`] says what a channel originated into a dialplan context does once
//! answered (set variables, send a UserEvent, hang up), so flows that use the dialplan (fax)
//! can be tested. Pure data; the simulator's state machine interprets it.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// What the endpoint does when dialled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reaction {
    /// Rings, then answers after the delay.
    AnswerAfter(Duration),
    /// Busy at once (`Dial` BUSY); the channel stays until hung up or the dial timeout.
    Busy,
    /// Congestion at once (`Dial` CONGESTION); stays like busy.
    Congestion,
    /// Rings until the dial timeout (cause 19) or forever.
    NeverAnswer,
    /// A `Local/` target whose extension does not exist: no `Dial` event, the channel leaves
    /// at once with cause 16.
    Missing,
    /// Cannot be allocated at all (e.g. an unregistered PJSIP endpoint): `create`/originate
    /// answers 500 `Allocation failed`.
    Unreachable,
    /// Ends the call at once with this cause, as the dialplan's `Hangup(20)` does: `Dial`
    /// CHANUNAVAIL, then the channel leaves with the cause (20 "subscriber absent", ...).
    HangupCause(i64),
}

/// One endpoint's behaviour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    pub reaction: Reaction,
    /// After answering: wait, then press these digits (one `ChannelDtmfReceived` each).
    pub dtmf: Option<(Duration, String)>,
    /// After answering: wait, then hang up (cause 16).
    pub hangup_after: Option<Duration>,
}

impl Script {
    fn of(reaction: Reaction) -> Self {
        Self {
            reaction,
            dtmf: None,
            hangup_after: None,
        }
    }
    pub fn answer_after(delay: Duration) -> Self {
        Self::of(Reaction::AnswerAfter(delay))
    }
    pub fn answer_after_ms(ms: u64) -> Self {
        Self::answer_after(Duration::from_millis(ms))
    }
    pub fn busy() -> Self {
        Self::of(Reaction::Busy)
    }
    pub fn congestion() -> Self {
        Self::of(Reaction::Congestion)
    }
    pub fn never_answer() -> Self {
        Self::of(Reaction::NeverAnswer)
    }
    pub fn missing() -> Self {
        Self::of(Reaction::Missing)
    }
    pub fn unreachable() -> Self {
        Self::of(Reaction::Unreachable)
    }
    /// Dialled, it hangs up at once with `cause` (e.g. 20, "subscriber absent").
    pub fn hangs_up_with(cause: i64) -> Self {
        Self::of(Reaction::HangupCause(cause))
    }
    /// After answering, waits `after_ms` and presses `digits`.
    pub fn then_press(mut self, digits: &str, after_ms: u64) -> Self {
        self.dtmf = Some((Duration::from_millis(after_ms), digits.to_owned()));
        self
    }
    /// After answering, waits `after_ms` and hangs up.
    pub fn then_hang_up(mut self, after_ms: u64) -> Self {
        self.hangup_after = Some(Duration::from_millis(after_ms));
        self
    }
}

/// A channel that was originated into a dialplan context and has been answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextCall {
    pub channel_id: String,
    pub endpoint: String,
    pub context: String,
    pub extension: String,
    pub priority: i64,
    /// Variables from the originate request body.
    pub variables: BTreeMap<String, String>,
}

/// What the dialplan does with a [`ContextCall`], in order.
#[derive(Debug, Clone, PartialEq)]
pub enum ContextAction {
    Wait(Duration),
    /// `Set(NAME=value)`: a `ChannelVarset` event to subscribed apps.
    SetVar {
        name: String,
        value: String,
    },
    /// `UserEvent(name,key: value,...)`: a `ChannelUserevent` event to subscribed apps.
    UserEvent {
        name: String,
        fields: serde_json::Map<String, serde_json::Value>,
    },
    /// `Hangup(cause)`.
    Hangup {
        cause: i64,
    },
}

/// Decides what a context does with a call; registered per context name.
pub type ContextHook = Arc<dyn Fn(&ContextCall) -> Vec<ContextAction> + Send + Sync>;
