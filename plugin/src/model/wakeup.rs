//! Wakeup calls and the history of their attempts.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc, Weekday};
use serde::{Deserialize, Serialize};

/// Database id of a wakeup call.
pub type WakeupId = i64;

/// What the user edits. Validation errors use the field names `name`, `prompt`, `schedule`,
/// `date`, `time`, `days`, `time_zone`, `members`, `ring_secs`, `retries`,
/// `retry_interval_mins`, `snooze_mins`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WakeupSpec {
    pub name: String,
    /// A system sound or an uploaded prompt name.
    pub prompt: String,
    pub schedule: WakeupSchedule,
    /// IANA zone name, e.g. `Europe/Berlin`; empty (or left out) when creating: the owner's
    /// own zone.
    #[serde(default)]
    pub time_zone: String,
    /// Extensions called at the due instant.
    pub members: Vec<String>,
    pub enabled: bool,
    #[serde(flatten, default)]
    pub calls: WakeupCalls,
}

/// How each call is made. Left out (`None`): the wakeup's current setting, or the default
/// for a new one; the backend always answers with every value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct WakeupCalls {
    /// Seconds each extension rings.
    #[serde(default)]
    pub ring_secs: Option<u32>,
    /// Extra attempts when busy, unanswered or failed.
    #[serde(default)]
    pub retries: Option<u32>,
    /// Minutes between attempts.
    #[serde(default)]
    pub retry_interval_mins: Option<u32>,
    /// Minutes until a snoozed call comes back.
    #[serde(default)]
    pub snooze_mins: Option<u32>,
}

impl WakeupSpec {
    /// The spec with `zone` where it names none (a new wakeup starts in its owner's zone).
    pub fn in_zone_by_default(mut self, zone: &str) -> WakeupSpec {
        if self.time_zone.trim().is_empty() {
            self.time_zone = zone.to_owned();
        }
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WakeupSchedule {
    Once { date: NaiveDate, time: NaiveTime },
    Weekly { days: Vec<Weekday>, time: NaiveTime },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wakeup {
    pub id: WakeupId,
    /// Extension of the user who owns it; the portal checks it against the session user.
    pub owner: String,
    #[serde(flatten)]
    pub spec: WakeupSpec,
    pub next_due: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WakeupOutcome {
    Answered,
    Snoozed,
    Dismissed,
    NoAnswer,
    Busy,
    Failed,
    Missed,
}

impl WakeupOutcome {
    pub fn label(self) -> &'static str {
        match self {
            WakeupOutcome::Answered => "answered",
            WakeupOutcome::Snoozed => "snoozed",
            WakeupOutcome::Dismissed => "dismissed",
            WakeupOutcome::NoAnswer => "no answer",
            WakeupOutcome::Busy => "busy",
            WakeupOutcome::Failed => "failed",
            WakeupOutcome::Missed => "missed (daemon was down)",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WakeupAttempt {
    pub at: DateTime<Utc>,
    pub member: String,
    pub outcome: WakeupOutcome,
    /// Extra words, e.g. the hangup cause.
    pub detail: String,
}

/// A prompt a user may pick for a wakeup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptChoice {
    /// What the wakeup stores (`WakeupSpec::prompt`).
    pub name: String,
    /// What the user reads, e.g. "Ringside's default wakeup prompt".
    pub label: String,
}
