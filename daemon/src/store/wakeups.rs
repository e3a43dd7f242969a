//! Wakeups in the database: the wakeups users own (validated when saved) and the history of
//! their attempts.
//!
//! The claim queue the scheduler works (due wakeups, pending calls, attempt records) is in
//! `store::wakeup_claims`; the decisions (when, whether, what next) live in `schedule`.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use super::{Store, StoreError, from_millis, to_millis};
use crate::schedule::policy::Outcome;
use crate::schedule::prompt::{PromptCatalog, PromptError};
use crate::schedule::rule::{Rule, RuleError};
use crate::schedule::zone::Zone;

pub const MAX_RETRIES: i64 = 10;
pub const RING_SECS: std::ops::RangeInclusive<u32> = 5..=300;
pub const SNOOZE_MINS: std::ops::RangeInclusive<u32> = 1..=60;
pub const RETRY_INTERVAL_MINS: std::ops::RangeInclusive<u32> = 1..=120;
const MAX_NAME_CHARS: usize = 100;
const MAX_MEMBERS: usize = 50;

/// What a user asks for: everything about a wakeup except what the daemon keeps.
#[derive(Debug, Clone, PartialEq)]
pub struct WakeupSpec {
    pub owner: String,
    pub name: String,
    pub enabled: bool,
    /// A sound name or an absolute path without extension (see `schedule::prompt`).
    pub prompt: String,
    pub rule: Rule,
    pub tz: Zone,
    /// Extensions called when it fires.
    pub members: Vec<String>,
    pub ring_secs: u32,
    /// Extra attempts after a busy / unanswered / failed call, 0–10 (signed so that a negative
    /// request is reported, not wrapped).
    pub retries: i64,
    pub retry_interval_mins: u32,
    pub snooze_mins: u32,
}

/// A stored wakeup.
#[derive(Debug, Clone, PartialEq)]
pub struct Wakeup {
    pub id: i64,
    pub spec: WakeupSpec,
    /// The next instant it fires; `None` when disabled or a one-shot that is done.
    pub next_fire_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One call to one member and how it ended (`outcome` is `None` while the call is on).
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    pub id: i64,
    pub wakeup_id: i64,
    pub member: String,
    /// The wakeup's due instant this attempt belongs to.
    pub fire_at: DateTime<Utc>,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub outcome: Option<Outcome>,
    pub detail: String,
}

#[derive(Debug, thiserror::Error)]
pub enum WakeupError {
    #[error(transparent)]
    Rule(#[from] RuleError),
    #[error(transparent)]
    Prompt(#[from] PromptError),
    #[error("the wakeup needs a name (at most {MAX_NAME_CHARS} characters)")]
    Name,
    #[error("the wakeup needs at least one member extension to call")]
    NoMembers,
    #[error("too many members ({0}); at most {MAX_MEMBERS}")]
    TooManyMembers(usize),
    #[error("member {0:?} is not an extension on this system")]
    UnknownMember(String),
    #[error("owner {0:?} is not an extension on this system")]
    UnknownOwner(String),
    #[error("retries {0} out of range: 0 to {MAX_RETRIES}")]
    Retries(i64),
    #[error("ring time {0} s out of range: 5 to 300 seconds")]
    RingTime(u32),
    #[error("retry interval {0} min out of range: 1 to 120 minutes")]
    RetryInterval(u32),
    #[error("snooze {0} min out of range: 1 to 60 minutes")]
    Snooze(u32),
    #[error("{rule} in {tz} is in the past; a one-shot wakeup must be in the future")]
    InThePast { rule: String, tz: String },
    #[error("wakeup {0} not found")]
    NotFound(i64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for WakeupError {
    fn from(e: sqlx::Error) -> Self {
        WakeupError::Store(StoreError::Db(e))
    }
}

/// The checks that need no database.
pub fn validate_spec(spec: &WakeupSpec, prompts: &dyn PromptCatalog) -> Result<(), WakeupError> {
    let name = spec.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(WakeupError::Name);
    }
    if let Rule::Weekly { days, .. } = spec.rule {
        if days.is_empty() {
            return Err(RuleError::NoDays.into());
        }
    }
    if spec.members.is_empty() {
        return Err(WakeupError::NoMembers);
    }
    if spec.members.len() > MAX_MEMBERS {
        return Err(WakeupError::TooManyMembers(spec.members.len()));
    }
    if !(0..=MAX_RETRIES).contains(&spec.retries) {
        return Err(WakeupError::Retries(spec.retries));
    }
    if !RING_SECS.contains(&spec.ring_secs) {
        return Err(WakeupError::RingTime(spec.ring_secs));
    }
    if !RETRY_INTERVAL_MINS.contains(&spec.retry_interval_mins) {
        return Err(WakeupError::RetryInterval(spec.retry_interval_mins));
    }
    if !SNOOZE_MINS.contains(&spec.snooze_mins) {
        return Err(WakeupError::Snooze(spec.snooze_mins));
    }
    prompts.check(&spec.prompt)?;
    Ok(())
}

/// The first fire after `now`, or an error for an enabled one-shot in the past.
fn first_fire(spec: &WakeupSpec, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, WakeupError> {
    if !spec.enabled {
        return Ok(None);
    }
    match spec.rule.next_after(&spec.tz, now) {
        Some(t) => Ok(Some(t)),
        None => Err(WakeupError::InThePast {
            rule: spec.rule.to_string(),
            tz: spec.tz.name().to_owned(),
        }),
    }
}

pub(super) const WAKEUP_COLUMNS: &str = "id, owner, name, enabled, prompt, rule, tz, members, ring_secs, retries, \
     retry_interval_mins, snooze_mins, next_fire_at, created_at, updated_at";

pub(super) fn u32_col(row: &AnyRow, col: &str) -> Result<u32, StoreError> {
    let v: i64 = row.try_get(col)?;
    u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("wakeup {col} = {v}")))
}

pub(super) fn wakeup_from_row(row: &AnyRow) -> Result<Wakeup, StoreError> {
    let id: i64 = row.try_get("id")?;
    let rule: String = row.try_get("rule")?;
    let tz: String = row.try_get("tz")?;
    let members: String = row.try_get("members")?;
    let corrupt = |what: &str, e: &dyn std::fmt::Display| {
        StoreError::Corrupt(format!("wakeup {id} {what}: {e}"))
    };
    Ok(Wakeup {
        id,
        spec: WakeupSpec {
            owner: row.try_get("owner")?,
            name: row.try_get("name")?,
            enabled: row.try_get::<i64, _>("enabled")? != 0,
            prompt: row.try_get("prompt")?,
            rule: rule.parse().map_err(|e| corrupt("rule", &e))?,
            tz: tz.parse().map_err(|e| corrupt("time zone", &e))?,
            members: members
                .split(',')
                .filter(|m| !m.is_empty())
                .map(str::to_owned)
                .collect(),
            ring_secs: u32_col(row, "ring_secs")?,
            retries: row.try_get("retries")?,
            retry_interval_mins: u32_col(row, "retry_interval_mins")?,
            snooze_mins: u32_col(row, "snooze_mins")?,
        },
        next_fire_at: row
            .try_get::<Option<i64>, _>("next_fire_at")?
            .map(from_millis),
        created_at: from_millis(row.try_get("created_at")?),
        updated_at: from_millis(row.try_get("updated_at")?),
    })
}

fn attempt_from_row(row: &AnyRow) -> Result<Attempt, StoreError> {
    let outcome: Option<String> = row.try_get("outcome")?;
    Ok(Attempt {
        id: row.try_get("id")?,
        wakeup_id: row.try_get("wakeup_id")?,
        member: row.try_get("member")?,
        fire_at: from_millis(row.try_get("fire_at")?),
        started_at: from_millis(row.try_get("started_at")?),
        ended_at: row.try_get::<Option<i64>, _>("ended_at")?.map(from_millis),
        outcome: outcome
            .map(|o| o.parse::<Outcome>())
            .transpose()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        detail: row.try_get("detail")?,
    })
}

impl Store {
    async fn extension_exists(&self, ext: &str) -> Result<bool, StoreError> {
        Ok(sqlx::query("SELECT 1 FROM users WHERE extension = $1")
            .bind(ext)
            .fetch_optional(self.pool())
            .await?
            .is_some())
    }

    /// Every check of a spec, including that owner and members are extensions.
    pub async fn validate_wakeup(
        &self,
        spec: &WakeupSpec,
        prompts: &dyn PromptCatalog,
    ) -> Result<(), WakeupError> {
        validate_spec(spec, prompts)?;
        if !self.extension_exists(&spec.owner).await? {
            return Err(WakeupError::UnknownOwner(spec.owner.clone()));
        }
        for m in &spec.members {
            // Portal-only admins have a name as login; only numeric logins are phones.
            let numeric = !m.is_empty() && m.chars().all(|c| c.is_ascii_digit());
            if !numeric || !self.extension_exists(m).await? {
                return Err(WakeupError::UnknownMember(m.clone()));
            }
        }
        Ok(())
    }

    /// Validates and saves a new wakeup with its first fire computed from `now`.
    pub async fn create_wakeup(
        &self,
        spec: &WakeupSpec,
        prompts: &dyn PromptCatalog,
        now: DateTime<Utc>,
    ) -> Result<Wakeup, WakeupError> {
        self.validate_wakeup(spec, prompts).await?;
        let next = first_fire(spec, now)?;
        let row = bind_settings(
            sqlx::query(
                "INSERT INTO wakeups (name, enabled, prompt, rule, tz, members, ring_secs, retries, \
                 retry_interval_mins, snooze_mins, next_fire_at, updated_at, created_at, owner) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13) RETURNING id",
            ),
            spec,
            next,
            now,
        )
        .bind(&spec.owner)
        .fetch_one(self.pool())
        .await?;
        let id: i64 = row.try_get("id")?;
        self.wakeup(None, id).await
    }

    /// A wakeup by id; with `owner`, only if that extension owns it (another user's id reads
    /// as not found).
    pub async fn wakeup(&self, owner: Option<&str>, id: i64) -> Result<Wakeup, WakeupError> {
        let sql = format!(
            "SELECT {WAKEUP_COLUMNS} FROM wakeups WHERE id = $1{}",
            owner_filter(owner)
        );
        let row = bind_owner(sqlx::query(AssertSqlSafe(sql)).bind(id), owner)
            .fetch_optional(self.pool())
            .await?;
        match row {
            Some(row) => Ok(wakeup_from_row(&row)?),
            None => Err(WakeupError::NotFound(id)),
        }
    }

    /// The owner's wakeups, oldest first.
    pub async fn list_wakeups(&self, owner: &str) -> Result<Vec<Wakeup>, WakeupError> {
        let sql = format!("SELECT {WAKEUP_COLUMNS} FROM wakeups WHERE owner = $1 ORDER BY id");
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(owner)
            .fetch_all(self.pool())
            .await?;
        Ok(rows.iter().map(wakeup_from_row).collect::<Result<_, _>>()?)
    }

    /// Replaces a wakeup's settings (validated like a new one) and recomputes its next fire.
    /// Calls already pending for an earlier fire are dropped.
    pub async fn update_wakeup(
        &self,
        owner: Option<&str>,
        id: i64,
        spec: &WakeupSpec,
        prompts: &dyn PromptCatalog,
        now: DateTime<Utc>,
    ) -> Result<Wakeup, WakeupError> {
        let current = self.wakeup(owner, id).await?;
        if spec.owner != current.spec.owner {
            return Err(WakeupError::NotFound(id));
        }
        self.validate_wakeup(spec, prompts).await?;
        let next = first_fire(spec, now)?;
        let mut tx = self.pool().begin().await?;
        bind_settings(
            sqlx::query(
                "UPDATE wakeups SET name = $1, enabled = $2, prompt = $3, rule = $4, tz = $5, members = $6, \
                 ring_secs = $7, retries = $8, retry_interval_mins = $9, snooze_mins = $10, \
                 next_fire_at = $11, updated_at = $12, claimed_by = NULL, claimed_until = NULL WHERE id = $13",
            ),
            spec,
            next,
            now,
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        // Also drops a call in progress, so that it gets no retry or snooze under old settings.
        self.finish_change(tx, id, true).await
    }

    /// Turns a wakeup on (next fire computed from `now`; a one-shot in the past is refused) or
    /// off (pending retries and snoozes are dropped).
    pub async fn set_wakeup_enabled(
        &self,
        owner: Option<&str>,
        id: i64,
        enabled: bool,
        now: DateTime<Utc>,
    ) -> Result<Wakeup, WakeupError> {
        let mut current = self.wakeup(owner, id).await?;
        current.spec.enabled = enabled;
        let next = first_fire(&current.spec, now)?;
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "UPDATE wakeups SET enabled = $1, next_fire_at = $2, updated_at = $3 WHERE id = $4",
        )
        .bind(i64::from(enabled))
        .bind(next.map(to_millis))
        .bind(to_millis(now))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        self.finish_change(tx, id, !enabled).await
    }

    /// Commits a change to wakeup `id`, first dropping its pending calls when
    /// `drop_calls`; returns the wakeup as it now is.
    async fn finish_change(
        &self,
        mut tx: sqlx::Transaction<'_, sqlx::Any>,
        id: i64,
        drop_calls: bool,
    ) -> Result<Wakeup, WakeupError> {
        if drop_calls {
            sqlx::query("DELETE FROM wakeup_calls WHERE wakeup_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        self.wakeup(None, id).await
    }

    /// Deletes a wakeup with its pending calls and history.
    pub async fn delete_wakeup(&self, owner: Option<&str>, id: i64) -> Result<(), WakeupError> {
        let sql = format!("DELETE FROM wakeups WHERE id = $1{}", owner_filter(owner));
        let done = bind_owner(sqlx::query(AssertSqlSafe(sql)).bind(id), owner)
            .execute(self.pool())
            .await?;
        if done.rows_affected() == 0 {
            return Err(WakeupError::NotFound(id));
        }
        Ok(())
    }

    /// The wakeup's attempts, newest first, at most `limit`.
    pub async fn wakeup_history(
        &self,
        owner: Option<&str>,
        id: i64,
        limit: u32,
    ) -> Result<Vec<Attempt>, WakeupError> {
        self.wakeup(owner, id).await?;
        let rows = sqlx::query(
            "SELECT id, wakeup_id, member, fire_at, started_at, ended_at, outcome, detail \
             FROM wakeup_attempts WHERE wakeup_id = $1 ORDER BY started_at DESC, id DESC LIMIT $2",
        )
        .bind(id)
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .iter()
            .map(attempt_from_row)
            .collect::<Result<_, _>>()?)
    }
}

fn owner_filter(owner: Option<&str>) -> &'static str {
    if owner.is_some() {
        " AND owner = $2"
    } else {
        ""
    }
}

/// Binds a wakeup's settings as `$1`..`$12`, in the column order of
/// [`Store::create_wakeup`]'s and [`Store::update_wakeup`]'s statements.
fn bind_settings<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    spec: &'q WakeupSpec,
    next: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    q.bind(spec.name.trim())
        .bind(i64::from(spec.enabled))
        .bind(&spec.prompt)
        .bind(spec.rule.to_string())
        .bind(spec.tz.name())
        .bind(spec.members.join(","))
        .bind(i64::from(spec.ring_secs))
        .bind(spec.retries)
        .bind(i64::from(spec.retry_interval_mins))
        .bind(i64::from(spec.snooze_mins))
        .bind(next.map(to_millis))
        .bind(to_millis(now))
}

fn bind_owner<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    owner: Option<&'q str>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    match owner {
        Some(o) => q.bind(o),
        None => q,
    }
}
