//! The scheduler's claim queue: due wakeups and the pending calls of a fire (first rings,
//! retries, snoozes), claimed with leases so that several daemons sharing one database fire
//! each wakeup and place each call exactly once, and the attempt records of those calls.
//!
//! Storage only: when a wakeup is due, whether it fires and what follows a call are decided
//! in `schedule::policy`; the loop that drives this queue is `flows::wakeup::scheduler`.
//! Wakeups themselves (create, change, list) are in `store::wakeups`.

use chrono::{DateTime, Utc};
use sqlx::{AssertSqlSafe, Row};

use super::lease::{Lease, LeasedTable, Pick};
use super::wakeups::{WAKEUP_COLUMNS, Wakeup, u32_col, wakeup_from_row};
use super::{Store, StoreError, from_millis, to_millis};
use crate::schedule::policy::{CallProgress, Outcome};

const WAKEUPS: LeasedTable = LeasedTable {
    table: "wakeups",
    holder: "claimed_by",
    until: "claimed_until",
    order_by: "next_fire_at",
    also_set: "",
};

const CALLS: LeasedTable = LeasedTable {
    table: "wakeup_calls",
    holder: "claimed_by",
    until: "claimed_until",
    order_by: "due_at, id",
    // Counted so that a second claim, a takeover from a scheduler that died, is known.
    also_set: ", claims = claims + 1",
};

/// One claim of due work: at most `limit` rows due by `horizon`, leased to `holder` from
/// `now` until `lease_until`.
#[derive(Debug, Clone, Copy)]
pub struct DueClaim<'a> {
    pub holder: &'a str,
    pub now: DateTime<Utc>,
    pub horizon: DateTime<Utc>,
    pub lease_until: DateTime<Utc>,
    pub limit: u32,
}

/// A wakeup claimed because it is due.
#[derive(Debug, Clone, PartialEq)]
pub struct DueWakeup {
    pub wakeup: Wakeup,
    pub fire_at: DateTime<Utc>,
}

/// A call to one member that is due (first ring, retry or snooze), with what is needed to
/// place it.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingCall {
    pub id: i64,
    pub wakeup_id: i64,
    pub member: String,
    pub fire_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub progress: CallProgress,
    pub prompt: String,
    pub ring_secs: u32,
    pub retries: u32,
    pub retry_interval_mins: u32,
    pub snooze_mins: u32,
    /// How many times the call has been claimed; more than once means a scheduler that held
    /// it stopped without finishing it.
    pub claims: u32,
    /// The attempt recorded once Asterisk accepted the call's originate, if it was.
    pub attempt_id: Option<i64>,
}

/// Whether the attempt of a call already has its row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptRecord {
    /// Written by [`Store::begin_attempt`] with this id.
    Started(i64),
    /// Not written yet (the call was never placed, or its start could not be written).
    NotYet { started_at: DateTime<Utc> },
}

/// How one call ended, and what follows it.
#[derive(Debug, Clone, PartialEq)]
pub struct CallEnd {
    /// The claim token the call was taken with.
    pub token: String,
    pub call: PendingCall,
    pub attempt: AttemptRecord,
    pub outcome: Outcome,
    pub detail: String,
    pub ended_at: DateTime<Utc>,
    /// A retry or snooze: when, and with what progress.
    pub follow_up: Option<(DateTime<Utc>, CallProgress)>,
}

/// One write about a call, for [`Store::record_calls`].
#[derive(Debug, Clone, PartialEq)]
pub enum CallRecord {
    Begin {
        call: PendingCall,
        started_at: DateTime<Utc>,
    },
    End(Box<CallEnd>),
}

/// What the scheduler decided for one claimed wakeup.
#[derive(Debug, Clone, PartialEq)]
pub struct FireResolution {
    pub wakeup_id: i64,
    pub fire_at: DateTime<Utc>,
    /// `true`: call the members; `false`: record each member `missed`.
    pub fire: bool,
    pub members: Vec<String>,
    /// The following fire; `None` disables the wakeup (a one-shot that is done).
    pub next_fire_at: Option<DateTime<Utc>>,
}

impl Store {
    /// Claims enabled wakeups due by the claim's horizon that nobody holds (or whose
    /// holder's lease ran out), marking them with the claim's holder.
    pub async fn claim_due_wakeups(
        &self,
        claim: DueClaim<'_>,
    ) -> Result<Vec<DueWakeup>, StoreError> {
        let mut tx = self.pool().begin().await?;
        let rows = if self
            .claim_due(
                &mut tx,
                &WAKEUPS,
                "enabled = 1 AND next_fire_at <= $5",
                &claim,
            )
            .await?
        {
            let sql = format!(
                "SELECT {WAKEUP_COLUMNS} FROM wakeups WHERE claimed_by = $1 ORDER BY next_fire_at"
            );
            sqlx::query(AssertSqlSafe(sql))
                .bind(claim.holder)
                .fetch_all(&mut *tx)
                .await?
        } else {
            Vec::new()
        };
        tx.commit().await?;
        rows.iter()
            .map(|row| {
                let wakeup: Wakeup = wakeup_from_row(row)?;
                let fire_at = wakeup.next_fire_at.ok_or_else(|| {
                    StoreError::Corrupt(format!("claimed wakeup {} has no due time", wakeup.id))
                })?;
                Ok(DueWakeup { wakeup, fire_at })
            })
            .collect()
    }

    /// Applies the scheduler's decisions for wakeups claimed with `token`, in one transaction:
    /// fired ones get a pending call per member (already claimed by `token` until
    /// `lease_until`), missed ones a `missed` attempt per member; each gets its next fire (or
    /// is disabled) and is released. Returns the calls to place now.
    pub async fn resolve_fires(
        &self,
        token: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        resolutions: &[FireResolution],
    ) -> Result<Vec<PendingCall>, StoreError> {
        let mut tx = self.pool().begin().await?;
        for r in resolutions {
            let updated = sqlx::query(
                "UPDATE wakeups SET next_fire_at = $1, enabled = $2, claimed_by = NULL, claimed_until = NULL \
                 WHERE id = $3 AND claimed_by = $4",
            )
            .bind(r.next_fire_at.map(to_millis))
            .bind(i64::from(r.next_fire_at.is_some()))
            .bind(r.wakeup_id)
            .bind(token)
            .execute(&mut *tx)
            .await?;
            if updated.rows_affected() == 0 {
                // Changed or taken over since the claim: not ours to fire any more.
                continue;
            }
            for member in &r.members {
                if r.fire {
                    sqlx::query(
                        "INSERT INTO wakeup_calls (wakeup_id, member, fire_at, due_at, retries_used, snoozes, \
                         claimed_by, claimed_until, claims) VALUES ($1, $2, $3, $3, 0, 0, $4, $5, 1)",
                    )
                    .bind(r.wakeup_id)
                    .bind(member)
                    .bind(to_millis(r.fire_at))
                    .bind(token)
                    .bind(to_millis(lease_until))
                    .execute(&mut *tx)
                    .await?;
                } else {
                    sqlx::query(
                        "INSERT INTO wakeup_attempts (wakeup_id, member, fire_at, started_at, ended_at, outcome, detail) \
                         VALUES ($1, $2, $3, $4, $4, 'missed', 'due while no scheduler was running')",
                    )
                    .bind(r.wakeup_id)
                    .bind(member)
                    .bind(to_millis(r.fire_at))
                    .bind(to_millis(now))
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        let calls = fetch_claimed_calls(&mut tx, token).await?;
        tx.commit().await?;
        Ok(calls)
    }

    /// Claims pending calls due by the claim's horizon that nobody holds (or whose holder's
    /// lease ran out), like [`Store::claim_due_wakeups`].
    pub async fn claim_due_calls(
        &self,
        claim: DueClaim<'_>,
    ) -> Result<Vec<PendingCall>, StoreError> {
        let mut tx = self.pool().begin().await?;
        let calls = if self
            .claim_due(&mut tx, &CALLS, "due_at <= $5", &claim)
            .await?
        {
            fetch_claimed_calls(&mut tx, claim.holder).await?
        } else {
            Vec::new()
        };
        tx.commit().await?;
        Ok(calls)
    }

    /// Claims `table`'s rows that are `ready` (SQL whose `$5` is the horizon); whether any were.
    async fn claim_due(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        table: &LeasedTable,
        ready: &str,
        claim: &DueClaim<'_>,
    ) -> Result<bool, StoreError> {
        let pick = Pick {
            ready,
            values: &[to_millis(claim.horizon)],
            limit: claim.limit,
            returning: "id",
        };
        let lease = Lease {
            holder: claim.holder,
            now: claim.now,
            until: claim.lease_until,
        };
        Ok(!table
            .claim(&mut **tx, self.dialect(), pick, lease)
            .await?
            .is_empty())
    }

    /// Extends the leases of every call held under one of `tokens` to `until` (the heartbeat
    /// of a scheduler whose calls are still ringing or playing); returns how many.
    pub async fn renew_call_claims(
        &self,
        tokens: &[&str],
        until: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        CALLS.renew(self.pool(), tokens, None, until).await
    }

    /// Hands back every call held under one of `tokens` (a scheduler stopping), so another
    /// scheduler takes them over at once instead of when their leases end.
    pub async fn release_call_claims(&self, tokens: &[&str]) -> Result<u64, StoreError> {
        CALLS.release(self.pool(), tokens, None).await
    }

    /// Hands back one call held under `token`.
    pub async fn hand_back_call(&self, id: i64, token: &str) -> Result<bool, StoreError> {
        Ok(CALLS.release(self.pool(), &[token], Some(id)).await? == 1)
    }

    /// Records that a call to a member starts; returns the attempt id.
    pub async fn begin_attempt(
        &self,
        call: &PendingCall,
        started_at: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let ids = self
            .record_calls(&[CallRecord::Begin {
                call: call.clone(),
                started_at,
            }])
            .await?;
        ids.first()
            .copied()
            .flatten()
            .ok_or_else(|| StoreError::Corrupt("attempt insert returned no id".into()))
    }

    /// Records how a call ended and replaces the pending call by its follow-up (a retry or a
    /// snooze), if any, in one transaction.
    pub async fn finish_call(&self, end: CallEnd) -> Result<(), StoreError> {
        self.record_calls(&[CallRecord::End(Box::new(end))]).await?;
        Ok(())
    }

    /// Writes call starts and ends in one transaction (one commit for many calls when
    /// thousands fire at once). Returns the attempt id of each `Begin`, `None` for each `End`.
    pub async fn record_calls(
        &self,
        records: &[CallRecord],
    ) -> Result<Vec<Option<i64>>, StoreError> {
        let mut tx = self.pool().begin().await?;
        let mut ids = Vec::with_capacity(records.len());
        for record in records {
            ids.push(match record {
                CallRecord::Begin { call, started_at } => {
                    Some(begin_in(&mut tx, call, *started_at).await?)
                }
                CallRecord::End(end) => {
                    finish_in(&mut tx, end).await?;
                    None
                }
            });
        }
        tx.commit().await?;
        Ok(ids)
    }

    /// The earliest instant something may become claimable: an enabled wakeup's next fire or
    /// a pending call's due time, or the end of a lease holding either.
    ///
    /// Unclaimed rows are read in index order (first row only), claimed ones through the claim
    /// index (few rows; `claimed_by > ''` is the form both planners serve from it), so this
    /// stays cheap with a million stored wakeups.
    pub async fn next_wakeup_event(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        const QUERIES: [&str; 4] = [
            // `COALESCE` keeps the planner off the claim index, which matches nearly every row.
            "SELECT next_fire_at AS t FROM wakeups WHERE enabled = 1 AND COALESCE(claimed_by, '') = '' \
             AND next_fire_at IS NOT NULL ORDER BY next_fire_at LIMIT 1",
            "SELECT MIN(CASE WHEN claimed_until > next_fire_at THEN claimed_until ELSE next_fire_at END) AS t \
             FROM wakeups WHERE claimed_by > ''",
            "SELECT due_at AS t FROM wakeup_calls WHERE COALESCE(claimed_by, '') = '' ORDER BY due_at LIMIT 1",
            "SELECT MIN(CASE WHEN claimed_until > due_at THEN claimed_until ELSE due_at END) AS t \
             FROM wakeup_calls WHERE claimed_by > ''",
        ];
        let mut earliest: Option<i64> = None;
        for sql in QUERIES {
            let row = sqlx::query(sql).fetch_optional(self.pool()).await?;
            if let Some(t) = row
                .map(|r| r.try_get::<Option<i64>, _>("t"))
                .transpose()?
                .flatten()
            {
                earliest = Some(earliest.map_or(t, |e| e.min(t)));
            }
        }
        Ok(earliest.map(from_millis))
    }
}

async fn begin_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    call: &PendingCall,
    started_at: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "INSERT INTO wakeup_attempts (wakeup_id, member, fire_at, started_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(call.wakeup_id)
    .bind(&call.member)
    .bind(to_millis(call.fire_at))
    .bind(to_millis(started_at))
    .fetch_one(&mut **tx)
    .await?;
    let id: i64 = row.try_get("id")?;
    // Noted on the pending call: a scheduler taking the call over then knows it was placed.
    sqlx::query("UPDATE wakeup_calls SET attempt_id = $1 WHERE id = $2")
        .bind(id)
        .bind(call.id)
        .execute(&mut **tx)
        .await?;
    Ok(id)
}

async fn finish_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    end: &CallEnd,
) -> Result<(), StoreError> {
    let call = &end.call;
    match end.attempt {
        AttemptRecord::Started(id) => {
            sqlx::query(
                "UPDATE wakeup_attempts SET ended_at = $1, outcome = $2, detail = $3 WHERE id = $4",
            )
            .bind(to_millis(end.ended_at))
            .bind(end.outcome.as_str())
            .bind(&end.detail)
            .bind(id)
            .execute(&mut **tx)
            .await?;
        }
        AttemptRecord::NotYet { started_at } => {
            sqlx::query(
                "INSERT INTO wakeup_attempts (wakeup_id, member, fire_at, started_at, ended_at, outcome, detail) \
                 SELECT $1, $2, $3, $4, $7, $5, $6 WHERE EXISTS (SELECT 1 FROM wakeups WHERE id = $1)",
            )
            .bind(call.wakeup_id)
            .bind(&call.member)
            .bind(to_millis(call.fire_at))
            .bind(to_millis(started_at))
            .bind(end.outcome.as_str())
            .bind(&end.detail)
            .bind(to_millis(end.ended_at))
            .execute(&mut **tx)
            .await?;
        }
    }
    let removed = sqlx::query("DELETE FROM wakeup_calls WHERE id = $1 AND claimed_by = $2")
        .bind(call.id)
        .bind(&end.token)
        .execute(&mut **tx)
        .await?;
    // A call no longer there (wakeup deleted, disabled or changed meanwhile) gets no follow-up.
    if let (Some((due_at, progress)), 1) = (end.follow_up, removed.rows_affected()) {
        sqlx::query(
            "INSERT INTO wakeup_calls (wakeup_id, member, fire_at, due_at, retries_used, snoozes) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(call.wakeup_id)
        .bind(&call.member)
        .bind(to_millis(call.fire_at))
        .bind(to_millis(due_at))
        .bind(i64::from(progress.retries_used))
        .bind(i64::from(progress.snoozes))
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

async fn fetch_claimed_calls(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    token: &str,
) -> Result<Vec<PendingCall>, StoreError> {
    let rows = sqlx::query(
        "SELECT c.id, c.wakeup_id, c.member, c.fire_at, c.due_at, c.retries_used, c.snoozes, \
         c.claims, c.attempt_id, w.prompt, w.ring_secs, w.retries, w.retry_interval_mins, w.snooze_mins \
         FROM wakeup_calls c JOIN wakeups w ON w.id = c.wakeup_id WHERE c.claimed_by = $1 ORDER BY c.due_at, c.id",
    )
    .bind(token)
    .fetch_all(&mut **tx)
    .await?;
    rows.iter()
        .map(|row| {
            let retries: i64 = row.try_get("retries")?;
            Ok(PendingCall {
                id: row.try_get("id")?,
                wakeup_id: row.try_get("wakeup_id")?,
                member: row.try_get("member")?,
                fire_at: from_millis(row.try_get("fire_at")?),
                due_at: from_millis(row.try_get("due_at")?),
                progress: CallProgress {
                    retries_used: u32_col(row, "retries_used")?,
                    snoozes: u32_col(row, "snoozes")?,
                },
                prompt: row.try_get("prompt")?,
                ring_secs: u32_col(row, "ring_secs")?,
                retries: u32::try_from(retries).unwrap_or(0),
                retry_interval_mins: u32_col(row, "retry_interval_mins")?,
                snooze_mins: u32_col(row, "snooze_mins")?,
                claims: u32_col(row, "claims")?,
                attempt_id: row.try_get("attempt_id")?,
            })
        })
        .collect()
}
