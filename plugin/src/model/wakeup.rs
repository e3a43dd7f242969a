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

/// The prompt a new wakeup plays: Ringside's own, installed into Asterisk's sounds.
pub const DEFAULT_WAKEUP_PROMPT: &str = "ringside/wakeup-call";

/// A prompt a user may pick for a wakeup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptChoice {
    /// What the wakeup stores (`WakeupSpec::prompt`).
    pub name: String,
    /// What the user reads, e.g. "Ringside's default wakeup prompt".
    pub label: String,
    /// For a prompt the user uploaded, its name as they gave it (what deleting it takes);
    /// `None` for the system's prompts.
    #[serde(default)]
    pub own_name: Option<String>,
}

/// Longest name of a user's own prompt.
pub const OWN_PROMPT_NAME_MAX: usize = 40;

fn own_prompt_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_')
}

/// Whether `name` may name a user's own prompt: 1 to [`OWN_PROMPT_NAME_MAX`] letters, digits,
/// `-` and `_`. It becomes part of a file name, so nothing else (no `/`, no `.`) is allowed.
pub fn is_own_prompt_name(name: &str) -> bool {
    (1..=OWN_PROMPT_NAME_MAX).contains(&name.len()) && name.chars().all(own_prompt_char)
}

/// The name of an uploaded prompt: the one the user typed, checked, or, when they typed none,
/// one made from the file's name (directories and extension dropped, other characters turned
/// into `-`). The error is the message for the `name` field.
pub fn own_prompt_name(typed: &str, file_name: &str) -> Result<String, String> {
    let typed = typed.trim();
    if !typed.is_empty() {
        return if is_own_prompt_name(typed) {
            Ok(typed.to_owned())
        } else {
            Err(format!(
                "use 1 to {OWN_PROMPT_NAME_MAX} letters, digits, '-' or '_' for the prompt's name"
            ))
        };
    }
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or_default();
    let stem = base.rsplit_once('.').map_or(base, |(stem, _)| stem);
    let mut derived = String::new();
    for c in stem.chars() {
        let c = if own_prompt_char(c) { c } else { '-' };
        if !(c == '-' && (derived.is_empty() || derived.ends_with('-'))) {
            derived.push(c);
        }
    }
    let derived: String = derived
        .trim_end_matches('-')
        .chars()
        .take(OWN_PROMPT_NAME_MAX)
        .collect();
    let derived = derived.trim_end_matches('-');
    if derived.is_empty() {
        Ok("prompt".to_owned())
    } else {
        Ok(derived.to_owned())
    }
}

#[cfg(test)]
mod own_prompt_name_tests {
    use super::*;

    #[test]
    fn typed_name_is_kept_when_valid() {
        assert_eq!(
            own_prompt_name(" morning_1 ", "x.wav"),
            Ok("morning_1".into())
        );
    }

    #[test]
    fn typed_name_that_could_leave_the_folder_is_refused() {
        assert!(own_prompt_name("../other", "x.wav").is_err());
        assert!(own_prompt_name("a/b", "x.wav").is_err());
        assert!(own_prompt_name("a.wav", "x.wav").is_err());
        assert!(own_prompt_name(&"a".repeat(OWN_PROMPT_NAME_MAX + 1), "x.wav").is_err());
    }

    #[test]
    fn name_is_made_from_the_file_name_when_none_is_typed() {
        assert_eq!(
            own_prompt_name("", "C:\\sounds\\Guten Morgen!.mp3"),
            Ok("Guten-Morgen".into())
        );
        assert_eq!(own_prompt_name("", "../../etc/passwd"), Ok("passwd".into()));
    }

    #[test]
    fn file_name_without_usable_characters_gives_a_plain_name() {
        assert_eq!(own_prompt_name("", "äöü.wav"), Ok("prompt".into()));
        assert_eq!(own_prompt_name("", ""), Ok("prompt".into()));
    }
}
