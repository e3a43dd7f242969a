//! Call handling settings per extension (do-not-disturb, call forwarding, ring time, time
//! rules) and their table. What the settings mean for a call is decided elsewhere
//! (`flows::inbound`); the rules checked before saving are in `call_handling_rules.rs`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Store, StoreError};
use crate::schedule::{WeeklyWindow, Zone};

/// Ring time of the own device when the user has not chosen one (the dialplan's old fixed
/// `Dial(...,20)`).
pub const DEFAULT_RING_SECS: u32 = 20;

/// Limits a setting to a weekly window: it applies inside it, or (`outside`) outside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRule {
    pub window: WeeklyWindow,
    pub outside: bool,
}

impl TimeRule {
    /// Whether the setting it limits applies at `at` on `zone`'s wall clock.
    pub fn applies(&self, zone: &Zone, at: DateTime<Utc>) -> bool {
        self.window.contains(zone, at) != self.outside
    }
}

impl std::fmt::Display for TimeRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let side = if self.outside { "outside" } else { "inside" };
        write!(f, "{side} {}", self.window)
    }
}

/// One kind of call forwarding. Turning it off keeps the number, so a feature code or a
/// checkbox can turn it on again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Forward {
    pub enabled: bool,
    /// An extension of this PBX or an external number; empty when never set.
    pub number: String,
    pub rule: Option<TimeRule>,
}

impl Forward {
    pub fn to(number: &str) -> Self {
        Self {
            enabled: true,
            number: number.to_owned(),
            rule: None,
        }
    }

    /// Whether it forwards a call at `at`.
    pub fn active(&self, zone: &Zone, at: DateTime<Utc>) -> bool {
        self.enabled && !self.number.is_empty() && self.rule.is_none_or(|r| r.applies(zone, at))
    }
}

/// The three kinds of forwarding, for code that treats them alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ForwardKind {
    Always,
    Busy,
    NoAnswer,
}

impl ForwardKind {
    pub const ALL: [ForwardKind; 3] = [
        ForwardKind::Always,
        ForwardKind::Busy,
        ForwardKind::NoAnswer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ForwardKind::Always => "always",
            ForwardKind::Busy => "busy",
            ForwardKind::NoAnswer => "no_answer",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallHandling {
    pub extension: String,
    pub dnd: bool,
    /// Caller numbers that ring through while do-not-disturb is on.
    pub dnd_allow: Vec<String>,
    pub dnd_rule: Option<TimeRule>,
    pub forward_always: Forward,
    pub forward_busy: Forward,
    pub forward_no_answer: Forward,
    /// Seconds the own device rings before "not answered"; `None`: [`DEFAULT_RING_SECS`].
    pub ring_secs: Option<u32>,
    /// IANA zone the time rules are read in.
    pub time_zone: String,
}

impl CallHandling {
    /// Nothing set: the state of a user who never touched call handling.
    pub fn new(extension: &str) -> Self {
        Self {
            extension: extension.to_owned(),
            dnd: false,
            dnd_allow: Vec::new(),
            dnd_rule: None,
            forward_always: Forward::default(),
            forward_busy: Forward::default(),
            forward_no_answer: Forward::default(),
            ring_secs: None,
            time_zone: "UTC".to_owned(),
        }
    }

    pub fn forward(&self, kind: ForwardKind) -> &Forward {
        match kind {
            ForwardKind::Always => &self.forward_always,
            ForwardKind::Busy => &self.forward_busy,
            ForwardKind::NoAnswer => &self.forward_no_answer,
        }
    }

    pub fn forward_mut(&mut self, kind: ForwardKind) -> &mut Forward {
        match kind {
            ForwardKind::Always => &mut self.forward_always,
            ForwardKind::Busy => &mut self.forward_busy,
            ForwardKind::NoAnswer => &mut self.forward_no_answer,
        }
    }

    /// Whether any rule is set at all (a user without one keeps the dialplan's handling).
    pub fn has_rules(&self) -> bool {
        self.dnd
            || self.ring_secs.is_some()
            || ForwardKind::ALL
                .iter()
                .any(|k| self.forward(*k).enabled && !self.forward(*k).number.is_empty())
    }
}

fn rule_from(
    extension: &str,
    field: &str,
    schedule: Option<String>,
    outside: i64,
) -> Result<Option<TimeRule>, StoreError> {
    match schedule.filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(text) => {
            let window = text.parse::<WeeklyWindow>().map_err(|e| {
                StoreError::Corrupt(format!("{field} schedule of {extension}: {e}"))
            })?;
            Ok(Some(TimeRule {
                window,
                outside: outside != 0,
            }))
        }
    }
}

fn forward_from(row: &AnyRow, extension: &str, prefix: &str) -> Result<Forward, StoreError> {
    Ok(Forward {
        enabled: row.try_get::<i64, _>(format!("{prefix}_on").as_str())? != 0,
        number: row.try_get(format!("{prefix}_number").as_str())?,
        rule: rule_from(
            extension,
            prefix,
            row.try_get(format!("{prefix}_schedule").as_str())?,
            row.try_get(format!("{prefix}_outside").as_str())?,
        )?,
    })
}

// A constant column list; every value goes through a bind parameter.
const COLUMNS: &str = "extension, dnd, dnd_allow, dnd_schedule, dnd_outside, \
     fwd_always_on, fwd_always_number, fwd_always_schedule, fwd_always_outside, \
     fwd_busy_on, fwd_busy_number, fwd_busy_schedule, fwd_busy_outside, \
     fwd_no_answer_on, fwd_no_answer_number, fwd_no_answer_schedule, fwd_no_answer_outside, \
     ring_secs, time_zone";

fn from_row(row: &AnyRow) -> Result<CallHandling, StoreError> {
    let extension: String = row.try_get("extension")?;
    let extension = extension.as_str();
    let allow: String = row.try_get("dnd_allow")?;
    let dnd_allow: Vec<String> = serde_json::from_str(&allow)
        .map_err(|e| StoreError::Corrupt(format!("dnd allow-list of {extension}: {e}")))?;
    let ring_secs: Option<i64> = row.try_get("ring_secs")?;
    Ok(CallHandling {
        extension: extension.to_owned(),
        dnd: row.try_get::<i64, _>("dnd")? != 0,
        dnd_allow,
        dnd_rule: rule_from(
            extension,
            "dnd",
            row.try_get("dnd_schedule")?,
            row.try_get("dnd_outside")?,
        )?,
        forward_always: forward_from(row, extension, "fwd_always")?,
        forward_busy: forward_from(row, extension, "fwd_busy")?,
        forward_no_answer: forward_from(row, extension, "fwd_no_answer")?,
        ring_secs: ring_secs.map(|s| u32::try_from(s).unwrap_or(DEFAULT_RING_SECS)),
        time_zone: row.try_get("time_zone")?,
    })
}

fn schedule_text(rule: &Option<TimeRule>) -> (Option<String>, i64) {
    match rule {
        Some(r) => (Some(r.window.to_string()), i64::from(r.outside)),
        None => (None, 0),
    }
}

impl Store {
    /// The extension's call handling, or `None` when it never had any.
    pub async fn call_handling(&self, extension: &str) -> Result<Option<CallHandling>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM call_handling WHERE extension = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(extension)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// Every user's call handling, by extension.
    pub async fn all_call_handling(&self) -> Result<Vec<CallHandling>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM call_handling ORDER BY extension");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(from_row).collect()
    }

    /// Creates or replaces the extension's call handling. The caller checks it first with
    /// [`super::check_call_handling`]; the user must exist.
    pub async fn set_call_handling(&self, h: &CallHandling) -> Result<(), StoreError> {
        let allow = serde_json::to_string(&h.dnd_allow)
            .map_err(|e| StoreError::Corrupt(format!("dnd allow-list: {e}")))?;
        let (dnd_schedule, dnd_outside) = schedule_text(&h.dnd_rule);
        let mut query = sqlx::query(
            "INSERT INTO call_handling (extension, dnd, dnd_allow, dnd_schedule, dnd_outside, \
             fwd_always_on, fwd_always_number, fwd_always_schedule, fwd_always_outside, \
             fwd_busy_on, fwd_busy_number, fwd_busy_schedule, fwd_busy_outside, \
             fwd_no_answer_on, fwd_no_answer_number, fwd_no_answer_schedule, fwd_no_answer_outside, \
             ring_secs, time_zone) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) \
             ON CONFLICT (extension) DO UPDATE SET dnd = excluded.dnd, dnd_allow = excluded.dnd_allow, \
             dnd_schedule = excluded.dnd_schedule, dnd_outside = excluded.dnd_outside, \
             fwd_always_on = excluded.fwd_always_on, fwd_always_number = excluded.fwd_always_number, \
             fwd_always_schedule = excluded.fwd_always_schedule, fwd_always_outside = excluded.fwd_always_outside, \
             fwd_busy_on = excluded.fwd_busy_on, fwd_busy_number = excluded.fwd_busy_number, \
             fwd_busy_schedule = excluded.fwd_busy_schedule, fwd_busy_outside = excluded.fwd_busy_outside, \
             fwd_no_answer_on = excluded.fwd_no_answer_on, fwd_no_answer_number = excluded.fwd_no_answer_number, \
             fwd_no_answer_schedule = excluded.fwd_no_answer_schedule, fwd_no_answer_outside = excluded.fwd_no_answer_outside, \
             ring_secs = excluded.ring_secs, time_zone = excluded.time_zone",
        )
        .bind(&h.extension)
        .bind(i64::from(h.dnd))
        .bind(allow)
        .bind(dnd_schedule)
        .bind(dnd_outside);
        for forward in [&h.forward_always, &h.forward_busy, &h.forward_no_answer] {
            let (schedule, outside) = schedule_text(&forward.rule);
            query = query
                .bind(i64::from(forward.enabled))
                .bind(&forward.number)
                .bind(schedule)
                .bind(outside);
        }
        let result = query
            .bind(h.ring_secs.map(i64::from))
            .bind(&h.time_zone)
            .execute(self.pool())
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(sqlx::Error::Database(db)) if db.is_foreign_key_violation() => {
                Err(StoreError::NotFound {
                    what: "user",
                    key: h.extension.clone(),
                })
            }
            Err(e) => Err(StoreError::Db(e)),
        }
    }

    /// Reads the user's call handling (empty when none), applies `change`, checks the result
    /// and saves it. Fails when the user does not exist or the result breaks a rule.
    pub async fn update_call_handling(
        &self,
        extension: &str,
        change: impl FnOnce(&mut CallHandling),
    ) -> Result<CallHandling, StoreError> {
        if self.user(extension).await?.is_none() {
            return Err(super::users::not_found(extension));
        }
        let mut h = self.call_handling_or_default(extension).await?;
        change(&mut h);
        super::check_call_handling(&h)?;
        self.set_call_handling(&h).await?;
        Ok(h)
    }

    /// The extension's call handling, or the empty settings when it has none.
    pub async fn call_handling_or_default(
        &self,
        extension: &str,
    ) -> Result<CallHandling, StoreError> {
        Ok(self
            .call_handling(extension)
            .await?
            .unwrap_or_else(|| CallHandling::new(extension)))
    }
}
