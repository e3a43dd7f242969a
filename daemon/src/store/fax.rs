//! Fax jobs: the queue of outgoing faxes and the record of received ones.
//!
//! Outgoing jobs are worked by fax workers in one or several daemons. A worker takes a job
//! with a claim (a lease: owner + expiry) set in one atomic statement, so two daemons never
//! send one job twice; every later write is guarded by that lease. This module is storage
//! only: which state follows which is decided in `flows::fax::machine`.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use super::lease::{Lease, LeasedTable, Pick};
use super::{Store, StoreError, from_millis, to_millis};

/// Where a fax job is in its life. `Sent`, `Received`, `Failed` and `Cancelled` are final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Queued,
    Converting,
    Dialing,
    Sending,
    Sent,
    Received,
    Failed,
    Cancelled,
}

impl JobState {
    pub const ALL: [JobState; 8] = [
        JobState::Queued,
        JobState::Converting,
        JobState::Dialing,
        JobState::Sending,
        JobState::Sent,
        JobState::Received,
        JobState::Failed,
        JobState::Cancelled,
    ];

    /// The word shown to users and stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Converting => "converting",
            JobState::Dialing => "dialing",
            JobState::Sending => "sending",
            JobState::Sent => "sent",
            JobState::Received => "received",
            JobState::Failed => "failed",
            JobState::Cancelled => "cancelled",
        }
    }

    pub fn parse(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == word)
    }

    pub fn is_final(self) -> bool {
        matches!(
            self,
            JobState::Sent | JobState::Received | JobState::Failed | JobState::Cancelled
        )
    }

    /// States a worker holds a job in while it works on it (a crash leaves them behind).
    pub fn is_active(self) -> bool {
        matches!(
            self,
            JobState::Converting | JobState::Dialing | JobState::Sending
        )
    }
}

impl std::fmt::Display for JobState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Sent,
    Received,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Sent => "sent",
            Direction::Received => "received",
        }
    }

    pub fn parse(word: &str) -> Option<Self> {
        match word {
            "sent" => Some(Direction::Sent),
            "received" => Some(Direction::Received),
            _ => None,
        }
    }
}

impl std::fmt::Display for Direction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One fax, sent or received, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FaxJob {
    pub id: i64,
    /// The extension the fax belongs to (sender, or recipient of a received fax).
    pub owner: String,
    pub direction: Direction,
    /// Destination number of a sent fax; empty for a received one.
    pub number: String,
    pub state: JobState,
    /// The document as the user gave it (sent faxes).
    pub document_path: Option<String>,
    /// The fax TIFF: converted from the document, or as received.
    pub tiff_path: Option<String>,
    /// PDF copy of a received fax.
    pub pdf_path: Option<String>,
    /// The name the document had when the user gave it; empty when unknown.
    pub file_name: String,
    pub pages_total: u32,
    pub pages_sent: u32,
    /// Calls made so far.
    pub attempts: u32,
    pub max_attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    /// Asterisk's `FAXSTATUS` of the last call (`SUCCESS` / `FAILED`).
    pub fax_status: Option<String>,
    /// Asterisk's `FAXERROR` of the last call.
    pub fax_error: Option<String>,
    /// Asterisk's `FAXSTATUSSTRING` of the last call.
    pub fax_status_string: Option<String>,
    pub remote_station_id: Option<String>,
    /// Caller id of a received fax.
    pub caller_id: Option<String>,
    /// Why the job failed or was retried, in words.
    pub error: Option<String>,
    /// The ARI channel of the call in progress.
    pub channel_id: Option<String>,
    pub cancel_requested: bool,
    pub lease_owner: Option<String>,
    pub lease_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

#[cfg(test)]
impl FaxJob {
    /// A sent fax of 1001's to 5551234 in `state`, never tried, held by nobody: what unit tests
    /// change a field or two of.
    pub(crate) fn example(state: JobState) -> FaxJob {
        FaxJob {
            id: 7,
            owner: "1001".into(),
            direction: Direction::Sent,
            number: "5551234".into(),
            state,
            document_path: Some("/d/doc.pdf".into()),
            tiff_path: None,
            pdf_path: None,
            file_name: String::new(),
            pages_total: 0,
            pages_sent: 0,
            attempts: 0,
            max_attempts: 4,
            next_attempt_at: DateTime::UNIX_EPOCH,
            fax_status: None,
            fax_error: None,
            fax_status_string: None,
            remote_station_id: None,
            caller_id: None,
            error: None,
            channel_id: None,
            cancel_requested: false,
            lease_owner: None,
            lease_until: None,
            created_at: DateTime::UNIX_EPOCH,
            updated_at: DateTime::UNIX_EPOCH,
            finished_at: None,
        }
    }
}

/// A fax to queue for sending.
#[derive(Debug, Clone)]
pub struct NewSendJob {
    pub owner: String,
    pub number: String,
    pub document_path: String,
    /// Converted TIFF when it already exists (the caller converted up front).
    pub tiff_path: Option<String>,
    pub pages_total: u32,
    pub max_attempts: u32,
    /// The name the document had when the user gave it.
    pub file_name: String,
}

/// A fax Asterisk received, to record.
#[derive(Debug, Clone)]
pub struct NewReceivedFax {
    pub owner: String,
    pub caller_id: String,
    pub state: JobState,
    pub tiff_path: Option<String>,
    pub pdf_path: Option<String>,
    pub pages: u32,
    pub fax_status: String,
    pub fax_error: String,
    pub fax_status_string: String,
    pub remote_station_id: String,
    pub error: Option<String>,
}

/// What asking to cancel a job did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelOutcome {
    /// The job was waiting; it is now cancelled.
    Cancelled,
    /// A worker holds the job (converting, dialing or sending); it will hang up and cancel.
    Requested(JobState),
    /// The job had already ended in this state; nothing was changed.
    AlreadyFinal(JobState),
}

/// What [`Store::delete_finished_fax_job`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum DeleteOutcome {
    /// The record is gone; here is what it held.
    Deleted(FaxJob),
    /// Still waiting or in a call: cancel it first.
    Active(FaxJob),
}

const COLUMNS: &str = "id, owner, direction, number, state, document_path, tiff_path, pdf_path, \
     pages_total, pages_sent, attempts, max_attempts, next_attempt_at, fax_status, fax_error, \
     fax_status_string, remote_station_id, caller_id, error, channel_id, cancel_requested, \
     lease_owner, lease_until, created_at, updated_at, finished_at, file_name";

const JOBS: LeasedTable = LeasedTable {
    table: "fax_jobs",
    holder: "lease_owner",
    until: "lease_until",
    order_by: "next_attempt_at, id",
    also_set: ", updated_at = $3",
};

/// Marks SQL assembled here as safe: its only variable parts are this module's constants
/// (column list, claim conditions, lock clause); every value is a bind parameter.
fn audited(sql: String) -> AssertSqlSafe<String> {
    AssertSqlSafe(sql)
}

fn count(row: &AnyRow, col: &str) -> Result<u32, StoreError> {
    let v: i64 = row.try_get(col)?;
    u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("fax job {col} = {v}")))
}

fn job_from_row(row: &AnyRow) -> Result<FaxJob, StoreError> {
    let direction: String = row.try_get("direction")?;
    let state: String = row.try_get("state")?;
    Ok(FaxJob {
        id: row.try_get("id")?,
        owner: row.try_get("owner")?,
        direction: Direction::parse(&direction)
            .ok_or_else(|| StoreError::Corrupt(format!("fax job direction {direction:?}")))?,
        number: row.try_get("number")?,
        state: JobState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("fax job state {state:?}")))?,
        document_path: row.try_get("document_path")?,
        tiff_path: row.try_get("tiff_path")?,
        pdf_path: row.try_get("pdf_path")?,
        file_name: row.try_get("file_name")?,
        pages_total: count(row, "pages_total")?,
        pages_sent: count(row, "pages_sent")?,
        attempts: count(row, "attempts")?,
        max_attempts: count(row, "max_attempts")?,
        next_attempt_at: from_millis(row.try_get("next_attempt_at")?),
        fax_status: row.try_get("fax_status")?,
        fax_error: row.try_get("fax_error")?,
        fax_status_string: row.try_get("fax_status_string")?,
        remote_station_id: row.try_get("remote_station_id")?,
        caller_id: row.try_get("caller_id")?,
        error: row.try_get("error")?,
        channel_id: row.try_get("channel_id")?,
        cancel_requested: row.try_get::<i64, _>("cancel_requested")? != 0,
        lease_owner: row.try_get("lease_owner")?,
        lease_until: row
            .try_get::<Option<i64>, _>("lease_until")?
            .map(from_millis),
        created_at: from_millis(row.try_get("created_at")?),
        updated_at: from_millis(row.try_get("updated_at")?),
        finished_at: row
            .try_get::<Option<i64>, _>("finished_at")?
            .map(from_millis),
    })
}

impl Store {
    /// Queues a fax for sending; it is due at once.
    pub async fn insert_send_job(
        &self,
        new: &NewSendJob,
        now: DateTime<Utc>,
    ) -> Result<FaxJob, StoreError> {
        let row = sqlx::query(audited(format!(
            "INSERT INTO fax_jobs (owner, direction, number, state, document_path, tiff_path, \
             pages_total, max_attempts, next_attempt_at, created_at, updated_at, file_name) \
             VALUES ($1, 'sent', $2, 'queued', $3, $4, $5, $6, $7, $7, $7, $8) RETURNING {COLUMNS}"
        )))
        .bind(&new.owner)
        .bind(&new.number)
        .bind(&new.document_path)
        .bind(new.tiff_path.as_deref())
        .bind(i64::from(new.pages_total))
        .bind(i64::from(new.max_attempts.max(1)))
        .bind(to_millis(now))
        .bind(&new.file_name)
        .fetch_one(self.pool())
        .await?;
        job_from_row(&row)
    }

    /// Records a fax Asterisk received (successful, partial or failed).
    pub async fn insert_received_fax(
        &self,
        new: &NewReceivedFax,
        now: DateTime<Utc>,
    ) -> Result<FaxJob, StoreError> {
        let row = sqlx::query(audited(format!(
            "INSERT INTO fax_jobs (owner, direction, state, tiff_path, pdf_path, pages_total, \
             pages_sent, attempts, max_attempts, fax_status, fax_error, fax_status_string, \
             remote_station_id, caller_id, error, created_at, updated_at, finished_at) \
             VALUES ($1, 'received', $2, $3, $4, $5, $5, 1, 1, $6, $7, $8, $9, $10, $11, $12, $12, $12) \
             RETURNING {COLUMNS}"
        )))
        .bind(&new.owner)
        .bind(new.state.as_str())
        .bind(new.tiff_path.as_deref())
        .bind(new.pdf_path.as_deref())
        .bind(i64::from(new.pages))
        .bind(&new.fax_status)
        .bind(&new.fax_error)
        .bind(&new.fax_status_string)
        .bind(&new.remote_station_id)
        .bind(&new.caller_id)
        .bind(new.error.as_deref())
        .bind(to_millis(now))
        .fetch_one(self.pool())
        .await?;
        job_from_row(&row)
    }

    pub async fn fax_job(&self, id: i64) -> Result<Option<FaxJob>, StoreError> {
        let row = sqlx::query(audited(format!(
            "SELECT {COLUMNS} FROM fax_jobs WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(job_from_row).transpose()
    }

    /// Every fax of an extension, sent and received, newest first.
    pub async fn fax_jobs_of(&self, owner: &str) -> Result<Vec<FaxJob>, StoreError> {
        let rows = sqlx::query(audited(format!(
            "SELECT {COLUMNS} FROM fax_jobs WHERE owner = $1 ORDER BY created_at DESC, id DESC"
        )))
        .bind(owner)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(job_from_row).collect()
    }

    /// Takes the next due queued job for `worker` until `lease_until`, or `None`.
    pub async fn claim_due_fax_job(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Option<FaxJob>, StoreError> {
        self.claim_fax_job(
            "state = 'queued' AND direction = 'sent' AND next_attempt_at <= $3",
            worker,
            now,
            lease_until,
        )
        .await
    }

    /// Takes a job a worker left in an active state (converting, dialing, sending) whose lease
    /// ran out (its daemon died or restarted), so it can be requeued or failed.
    pub async fn claim_abandoned_fax_job(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Option<FaxJob>, StoreError> {
        self.claim_fax_job(
            "state IN ('converting', 'dialing', 'sending') AND direction = 'sent'",
            worker,
            now,
            lease_until,
        )
        .await
    }

    async fn claim_fax_job(
        &self,
        ready: &str,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Option<FaxJob>, StoreError> {
        let lease = Lease {
            holder: worker,
            now,
            until: lease_until,
        };
        let rows = JOBS
            .claim(
                self.pool(),
                self.dialect(),
                Pick {
                    ready,
                    values: &[],
                    limit: 1,
                    returning: COLUMNS,
                },
                lease,
            )
            .await?;
        rows.first().map(job_from_row).transpose()
    }

    /// Extends `worker`'s lease on a job; `false` when the worker no longer holds it.
    pub async fn renew_fax_lease(
        &self,
        id: i64,
        worker: &str,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let renewed = JOBS
            .renew(self.pool(), &[worker], Some(id), lease_until)
            .await?;
        Ok(renewed == 1)
    }

    /// Writes a leased job's progress. When the job is final or back in the queue the lease
    /// is released. Fails with `NotFound` when `worker` does not hold the lease any more, so
    /// a worker that lost its job cannot overwrite another's progress.
    pub async fn save_fax_job(
        &self,
        job: &FaxJob,
        worker: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let now = to_millis(now);
        let release = job.state.is_final() || job.state == JobState::Queued;
        let done = sqlx::query(
            "UPDATE fax_jobs SET state = $1, tiff_path = $2, pages_total = $3, pages_sent = $4, \
             attempts = $5, next_attempt_at = $6, fax_status = $7, fax_error = $8, \
             fax_status_string = $9, remote_station_id = $10, error = $11, channel_id = $12, \
             updated_at = $13, finished_at = $14, \
             lease_owner = CASE WHEN $15 = 1 THEN NULL ELSE lease_owner END, \
             lease_until = CASE WHEN $15 = 1 THEN NULL ELSE lease_until END \
             WHERE id = $16 AND lease_owner = $17",
        )
        .bind(job.state.as_str())
        .bind(job.tiff_path.as_deref())
        .bind(i64::from(job.pages_total))
        .bind(i64::from(job.pages_sent))
        .bind(i64::from(job.attempts))
        .bind(to_millis(job.next_attempt_at))
        .bind(job.fax_status.as_deref())
        .bind(job.fax_error.as_deref())
        .bind(job.fax_status_string.as_deref())
        .bind(job.remote_station_id.as_deref())
        .bind(job.error.as_deref())
        .bind(job.channel_id.as_deref())
        .bind(now)
        .bind(job.state.is_final().then_some(now))
        .bind(i64::from(release))
        .bind(job.id)
        .bind(worker)
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 1 {
            Ok(())
        } else {
            Err(StoreError::NotFound {
                what: "fax job lease",
                key: format!("{} held by {worker}", job.id),
            })
        }
    }

    /// Cancels a waiting job at once, or asks the worker holding it to hang up and cancel.
    /// A finished job is left as it is.
    pub async fn cancel_fax_job(
        &self,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<CancelOutcome, StoreError> {
        let cancelled = sqlx::query(
            "UPDATE fax_jobs SET state = 'cancelled', error = 'cancelled by the user', \
             updated_at = $1, finished_at = $1, lease_owner = NULL, lease_until = NULL \
             WHERE id = $2 AND state = 'queued' AND lease_owner IS NULL",
        )
        .bind(to_millis(now))
        .bind(id)
        .execute(self.pool())
        .await?;
        if cancelled.rows_affected() == 1 {
            return Ok(CancelOutcome::Cancelled);
        }
        let requested = sqlx::query(audited(format!(
            "UPDATE fax_jobs SET cancel_requested = 1, updated_at = $1 \
             WHERE id = $2 AND state IN ('queued', 'converting', 'dialing', 'sending') \
             RETURNING {COLUMNS}"
        )))
        .bind(to_millis(now))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        if let Some(row) = requested {
            return Ok(CancelOutcome::Requested(job_from_row(&row)?.state));
        }
        match self.fax_job(id).await? {
            Some(job) => Ok(CancelOutcome::AlreadyFinal(job.state)),
            None => Err(StoreError::NotFound {
                what: "fax job",
                key: id.to_string(),
            }),
        }
    }

    /// Deletes a finished job's record (sent, failed, cancelled or received) and returns it, so
    /// that its files can be removed; a job still waiting or in a call is left as it is.
    pub async fn delete_finished_fax_job(&self, id: i64) -> Result<DeleteOutcome, StoreError> {
        let Some(job) = self.fax_job(id).await? else {
            return Err(StoreError::NotFound {
                what: "fax job",
                key: id.to_string(),
            });
        };
        // The state is checked again in the statement: a job a worker took meanwhile stays.
        let deleted = sqlx::query(
            "DELETE FROM fax_jobs WHERE id = $1 \
             AND state NOT IN ('queued', 'converting', 'dialing', 'sending')",
        )
        .bind(id)
        .execute(self.pool())
        .await?;
        if deleted.rows_affected() == 1 {
            Ok(DeleteOutcome::Deleted(job))
        } else {
            Ok(DeleteOutcome::Active(
                self.fax_job(id).await?.unwrap_or(job),
            ))
        }
    }

    /// Whether someone asked to cancel the job.
    pub async fn fax_cancel_requested(&self, id: i64) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT cancel_requested FROM fax_jobs WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        match row {
            Some(row) => Ok(row.try_get::<i64, _>("cancel_requested")? != 0),
            None => Ok(false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An instant given in Unix milliseconds, as these tests count.
    fn at(ms: i64) -> DateTime<Utc> {
        from_millis(ms)
    }

    async fn store() -> Store {
        Store::connect("sqlite::memory:")
            .await
            .expect("in-memory sqlite")
    }

    /// A send job to 555, queued at 0 and claimed by `worker` with a lease until 100.
    async fn claimed_job(store: &Store, worker: &str) -> FaxJob {
        store
            .insert_send_job(&send_job("555"), at(0))
            .await
            .expect("insert");
        store
            .claim_due_fax_job(worker, at(0), at(100))
            .await
            .expect("claim")
            .expect("due")
    }

    fn send_job(number: &str) -> NewSendJob {
        NewSendJob {
            owner: "1001".into(),
            number: number.into(),
            document_path: "/data/doc.pdf".into(),
            tiff_path: None,
            pages_total: 0,
            max_attempts: 4,
            file_name: String::new(),
        }
    }

    #[test]
    fn state_words_round_trip() {
        for s in JobState::ALL {
            assert_eq!(JobState::parse(s.as_str()), Some(s));
        }
        assert_eq!(JobState::parse("done"), None);
    }

    #[tokio::test]
    async fn queued_job_is_stored_queued_with_its_number() {
        let store = store().await;
        let job = store
            .insert_send_job(&send_job("0049301234"), at(1_000))
            .await
            .expect("insert");
        let loaded = store.fax_job(job.id).await.expect("load").expect("exists");
        assert_eq!(loaded.state, JobState::Queued);
        assert_eq!(loaded.direction, Direction::Sent);
        assert_eq!(loaded.number, "0049301234");
        assert_eq!(loaded.max_attempts, 4);
        assert_eq!(loaded.next_attempt_at, at(1_000));
    }

    #[tokio::test]
    async fn a_claimed_job_cannot_be_claimed_again_until_its_lease_ends() {
        let store = store().await;
        let job = store
            .insert_send_job(&send_job("555"), at(0))
            .await
            .expect("insert");
        let first = store
            .claim_due_fax_job("a", at(10), at(100))
            .await
            .expect("claim");
        assert_eq!(first.map(|j| j.id), Some(job.id));
        assert_eq!(
            store
                .claim_due_fax_job("b", at(50), at(150))
                .await
                .expect("claim"),
            None
        );
        let after_expiry = store
            .claim_due_fax_job("b", at(101), at(200))
            .await
            .expect("claim");
        assert_eq!(after_expiry.and_then(|j| j.lease_owner), Some("b".into()));
    }

    #[tokio::test]
    async fn a_job_due_later_is_not_claimed_now() {
        let store = store().await;
        let job = store
            .insert_send_job(&send_job("555"), at(0))
            .await
            .expect("insert");
        let mut claimed = store
            .claim_due_fax_job("a", at(0), at(100))
            .await
            .expect("claim")
            .expect("due");
        claimed.next_attempt_at = at(500);
        store
            .save_fax_job(&claimed, "a", at(1))
            .await
            .expect("save");
        assert_eq!(
            store
                .claim_due_fax_job("a", at(499), at(600))
                .await
                .expect("claim"),
            None
        );
        let due = store
            .claim_due_fax_job("a", at(500), at(600))
            .await
            .expect("claim");
        assert_eq!(due.map(|j| j.id), Some(job.id));
    }

    #[tokio::test]
    async fn a_worker_without_the_lease_cannot_save() {
        let store = store().await;
        let mut job = claimed_job(&store, "a").await;
        job.state = JobState::Dialing;
        let err = store
            .save_fax_job(&job, "b", at(1))
            .await
            .expect_err("not b's");
        assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
    }

    #[tokio::test]
    async fn saving_a_final_state_releases_the_lease_and_stamps_finish() {
        let store = store().await;
        let mut job = claimed_job(&store, "a").await;
        job.state = JobState::Sent;
        store.save_fax_job(&job, "a", at(42)).await.expect("save");
        let loaded = store.fax_job(job.id).await.expect("load").expect("exists");
        assert_eq!(loaded.lease_owner, None);
        assert_eq!(loaded.finished_at, Some(at(42)));
    }

    #[tokio::test]
    async fn an_active_job_with_an_expired_lease_is_claimable_as_abandoned() {
        let store = store().await;
        let mut job = claimed_job(&store, "dead").await;
        job.state = JobState::Sending;
        store.save_fax_job(&job, "dead", at(1)).await.expect("save");
        assert_eq!(
            store
                .claim_abandoned_fax_job("new", at(50), at(200))
                .await
                .expect("claim"),
            None,
            "lease still running"
        );
        let abandoned = store
            .claim_abandoned_fax_job("new", at(101), at(200))
            .await
            .expect("claim")
            .expect("abandoned");
        assert_eq!(abandoned.state, JobState::Sending);
        assert_eq!(abandoned.lease_owner.as_deref(), Some("new"));
    }

    #[tokio::test]
    async fn cancelling_a_waiting_job_cancels_it_at_once() {
        let store = store().await;
        let job = store
            .insert_send_job(&send_job("555"), at(0))
            .await
            .expect("insert");
        assert_eq!(
            store.cancel_fax_job(job.id, at(5)).await.expect("cancel"),
            CancelOutcome::Cancelled
        );
        let loaded = store.fax_job(job.id).await.expect("load").expect("exists");
        assert_eq!(loaded.state, JobState::Cancelled);
        assert_eq!(
            store
                .claim_due_fax_job("a", at(10), at(20))
                .await
                .expect("claim"),
            None
        );
    }

    #[tokio::test]
    async fn cancelling_a_dialing_job_asks_its_worker() {
        let store = store().await;
        let mut job = claimed_job(&store, "a").await;
        job.state = JobState::Dialing;
        store.save_fax_job(&job, "a", at(1)).await.expect("save");
        assert_eq!(
            store.cancel_fax_job(job.id, at(2)).await.expect("cancel"),
            CancelOutcome::Requested(JobState::Dialing)
        );
        assert!(store.fax_cancel_requested(job.id).await.expect("flag"));
    }

    #[tokio::test]
    async fn cancelling_a_sent_job_changes_nothing_and_reports_its_state() {
        let store = store().await;
        let mut job = claimed_job(&store, "a").await;
        job.state = JobState::Sent;
        store.save_fax_job(&job, "a", at(1)).await.expect("save");
        assert_eq!(
            store.cancel_fax_job(job.id, at(2)).await.expect("cancel"),
            CancelOutcome::AlreadyFinal(JobState::Sent)
        );
    }

    #[tokio::test]
    async fn cancelling_an_unknown_job_says_not_found() {
        let store = store().await;
        let err = store.cancel_fax_job(77, at(2)).await.expect_err("missing");
        assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
    }

    #[tokio::test]
    async fn received_fax_is_listed_with_its_caller_and_error() {
        let store = store().await;
        store
            .insert_received_fax(
                &NewReceivedFax {
                    owner: "1001".into(),
                    caller_id: "5551234".into(),
                    state: JobState::Failed,
                    tiff_path: Some("/data/in.tif".into()),
                    pdf_path: None,
                    pages: 1,
                    fax_status: "FAILED".into(),
                    fax_error: "HANGUP".into(),
                    fax_status_string: "The call dropped prematurely".into(),
                    remote_station_id: "REMOTE".into(),
                    error: Some("reception ended early".into()),
                },
                at(9),
            )
            .await
            .expect("insert");
        let list = store.fax_jobs_of("1001").await.expect("list");
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].direction, Direction::Received);
        assert_eq!(list[0].caller_id.as_deref(), Some("5551234"));
        assert_eq!(list[0].fax_error.as_deref(), Some("HANGUP"));
        assert_eq!(list[0].pages_sent, 1);
    }
}
