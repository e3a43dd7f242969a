//! Call history: CDRs stored once each, the calls they make up, who each call belongs to,
//! and how far a CDR file has been read.
//!
//! Every batch of records is one transaction: the records new to the store are inserted
//! (a record already there by its key is counted as a duplicate), then each call they touch
//! is summarized again from all of its records (`cdr::grouping`) and its parties rewritten.
//! A record first stored without a linkedid that arrives again with one is moved to its
//! call. Not here: where records come from, or what a user may see.

use std::collections::{BTreeSet, HashSet};

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use super::params::{list, value_rows};
use super::{Dialect, Store, StoreError, from_millis, to_millis};
use crate::cdr::grouping::summarize;
use crate::cdr::{Cdr, Direction, Disposition, Status};
/// Replay rights are the portal's concept; the store keeps them per user.
pub use ringside_portal::model::ReplayRight;

/// Which way a record reached the store (kept for the operator).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Ami,
    Csv,
}

impl Via {
    fn as_str(self) -> &'static str {
        match self {
            Via::Ami => "ami",
            Via::Csv => "csv",
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InsertReport {
    pub inserted: usize,
    pub duplicates: usize,
}

/// One call in a history list, as one party (or, in the admin view, nobody in particular)
/// sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRow {
    pub call_id: String,
    pub started: DateTime<Utc>,
    pub ended: DateTime<Utc>,
    pub caller: String,
    pub caller_name: String,
    pub callee: String,
    pub status: Status,
    /// The party's view; `None` in the view over all calls.
    pub direction: Option<Direction>,
    /// The party the row was found for; empty in the view over all calls.
    pub extension: String,
    pub internal: bool,
    pub answered_by: String,
    pub talk_secs: i64,
    pub duration_secs: i64,
    pub recording: Option<String>,
    pub cdr_count: i64,
}

/// What a history list asks for. Instants are already in UTC; `before` continues a list
/// after its last row (newest first), for exports that stream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallQuery {
    /// One party's calls, or every call when `None`.
    pub extension: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub status: Option<Status>,
    pub direction: Option<Direction>,
    pub number: Option<String>,
    pub before: Option<(DateTime<Utc>, String)>,
    pub limit: u32,
    pub offset: u32,
}

impl CallQuery {
    /// The calls `filter` picks out, its dates read in `zone`: those of `extension`, or every
    /// call when `None`.
    pub fn filtered(
        extension: Option<String>,
        filter: crate::cdr::filter::CallFilter,
        zone: &crate::schedule::Zone,
    ) -> CallQuery {
        let (from, to) = filter.instants(zone);
        CallQuery {
            extension,
            from,
            to,
            status: filter.status,
            direction: filter.direction,
            number: filter.number,
            ..CallQuery::default()
        }
    }
}

/// How far a CDR file was read, and which file that was, so that a file rotated away or
/// truncated since is noticed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CdrCursor {
    /// Bytes read (complete lines only).
    pub position: u64,
    /// `None` for a cursor stored before files were told apart.
    pub file: Option<FileId>,
    /// A digest of the file's first line; `None` while it had none complete.
    pub head: Option<String>,
}

/// A file's identity on its filesystem: it survives a rename, not a copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileId {
    pub device: u64,
    pub inode: u64,
}

/// The most rows one query returns.
pub const MAX_PAGE: u32 = 5_000;

fn status_key(s: &str) -> Result<Status, StoreError> {
    Status::parse(s).map_err(|_| StoreError::Corrupt(format!("call status {s:?}")))
}

fn direction_key(s: &str) -> Result<Direction, StoreError> {
    Direction::parse(s).map_err(|_| StoreError::Corrupt(format!("call direction {s:?}")))
}

fn cdr_from_row(row: &AnyRow) -> Result<Cdr, StoreError> {
    let disposition: String = row.try_get("disposition")?;
    Ok(Cdr {
        account_code: row.try_get("account_code")?,
        source: row.try_get("source")?,
        destination: row.try_get("destination")?,
        destination_context: row.try_get("destination_context")?,
        caller_id: row.try_get("caller_id")?,
        channel: row.try_get("channel")?,
        destination_channel: row.try_get("destination_channel")?,
        last_application: row.try_get("last_application")?,
        last_data: row.try_get("last_data")?,
        start: from_millis(row.try_get("start_at")?),
        answer: row.try_get::<Option<i64>, _>("answer_at")?.map(from_millis),
        end: from_millis(row.try_get("end_at")?),
        duration_secs: row.try_get("duration_secs")?,
        billable_secs: row.try_get("billable_secs")?,
        disposition: Disposition::parse(&disposition)
            .ok_or_else(|| StoreError::Corrupt(format!("CDR disposition {disposition:?}")))?,
        ama_flags: row.try_get("ama_flags")?,
        unique_id: row.try_get("unique_id")?,
        user_field: row.try_get("user_field")?,
        peer_account: row.try_get("peer_account")?,
        linked_id: row.try_get("linked_id")?,
        sequence: row.try_get("sequence")?,
    })
}

/// A call from a row of `calls` (and `call_parties` when `with_party`), from either driver:
/// the `Any` pool's rows or a native SQLite connection's ([`Store::call_walk`]).
fn call_from_row<R>(row: &R, with_party: bool) -> Result<CallRow, StoreError>
where
    R: Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let status: String = row.try_get("status")?;
    let (direction, extension) = if with_party {
        let d: String = row.try_get("direction")?;
        (Some(direction_key(&d)?), row.try_get("extension")?)
    } else {
        (None, String::new())
    };
    Ok(CallRow {
        call_id: row.try_get("call_id")?,
        started: from_millis(row.try_get("started_at")?),
        ended: from_millis(row.try_get("ended_at")?),
        caller: row.try_get("caller")?,
        caller_name: row.try_get("caller_name")?,
        callee: row.try_get("callee")?,
        status: status_key(&status)?,
        direction,
        extension,
        internal: row.try_get::<i64, _>("internal")? != 0,
        answered_by: row.try_get("answered_by")?,
        talk_secs: row.try_get("talk_secs")?,
        duration_secs: row.try_get("duration_secs")?,
        recording: row.try_get("recording")?,
        cdr_count: row.try_get("cdr_count")?,
    })
}

const CALL_COLUMNS: &str = "c.call_id, c.started_at, c.ended_at, c.caller, c.caller_name, \
     c.callee, c.status, c.internal, c.answered_by, c.talk_secs, c.duration_secs, c.recording, \
     c.cdr_count";

impl Store {
    /// Stores a batch of records in one transaction; records already stored are skipped.
    pub async fn insert_cdrs(&self, cdrs: &[Cdr], via: Via) -> Result<InsertReport, StoreError> {
        let mut report = InsertReport::default();
        if cdrs.is_empty() {
            return Ok(report);
        }
        // A batch may carry one record twice (both sources): the first is inserted, the
        // others are duplicates, handled after it.
        let mut keys = HashSet::new();
        let mut fresh: Vec<(&Cdr, String)> = Vec::with_capacity(cdrs.len());
        let mut repeats = Vec::new();
        for cdr in cdrs {
            let key = cdr.dedup_key();
            if keys.insert(key.clone()) {
                fresh.push((cdr, key));
            } else {
                repeats.push((cdr, key));
            }
        }
        let mut tx = self.pool().begin().await?;
        let mut touched = BTreeSet::new();
        let mut duplicates = repeats;
        for chunk in fresh.chunks(CDRS_PER_STATEMENT) {
            let inserted = insert_new_cdrs(&mut tx, self.dialect(), chunk, via).await?;
            for (cdr, key) in chunk {
                if inserted.contains(key) {
                    report.inserted += 1;
                    touched.insert(cdr.call_id().to_owned());
                } else {
                    duplicates.push((cdr, key.clone()));
                }
            }
        }
        for (cdr, key) in duplicates {
            report.duplicates += 1;
            if let Some(linked) = &cdr.linked_id {
                // Stored before without its linkedid: it now joins its call.
                let moved = sqlx::query(
                    "UPDATE cdrs SET linked_id = $1, call_id = $1, sequence = $2 \
                     WHERE cdr_key = $3 AND linked_id IS NULL",
                )
                .bind(linked)
                .bind(cdr.sequence)
                .bind(key)
                .execute(&mut *tx)
                .await?;
                if moved.rows_affected() > 0 {
                    touched.insert(cdr.unique_id.clone());
                    touched.insert(linked.clone());
                }
            }
        }
        if !touched.is_empty() {
            let users: HashSet<String> = sqlx::query("SELECT extension FROM users")
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| r.try_get::<String, _>("extension"))
                .collect::<Result<_, _>>()?;
            let touched: Vec<String> = touched.into_iter().collect();
            for ids in touched.chunks(CALLS_PER_STATEMENT) {
                summarize_calls(&mut tx, self.dialect(), ids, &users).await?;
            }
        }
        tx.commit().await?;
        Ok(report)
    }

    /// A page of calls, newest first, and whether more follow.
    pub async fn calls_page(&self, q: &CallQuery) -> Result<(Vec<CallRow>, bool), StoreError> {
        let page = PageQuery::new(q);
        let rows = page
            .bound(sqlx::query(AssertSqlSafe(page.sql.clone())))
            .fetch_all(self.pool())
            .await?;
        page.rows(&rows)
    }

    /// One call and its records in the order they happened; `None` when unknown.
    pub async fn call_detail(
        &self,
        call_id: &str,
    ) -> Result<Option<(CallRow, Vec<Cdr>)>, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {CALL_COLUMNS} FROM calls c WHERE c.call_id = $1"
        )))
        .bind(call_id)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let call = call_from_row(&row, false)?;
        let mut cdrs = sqlx::query("SELECT * FROM cdrs WHERE call_id = $1")
            .bind(call_id)
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(cdr_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        crate::cdr::grouping::order(&mut cdrs);
        Ok(Some((call, cdrs)))
    }

    /// Whether `extension` is a party of the call.
    pub async fn call_has_party(&self, call_id: &str, extension: &str) -> Result<bool, StoreError> {
        let row =
            sqlx::query("SELECT 1 AS one FROM call_parties WHERE call_id = $1 AND extension = $2")
                .bind(call_id)
                .bind(extension)
                .fetch_optional(self.pool())
                .await?;
        Ok(row.is_some())
    }

    /// Deletes calls that started before `before`, with their records; returns how many.
    pub async fn prune_calls(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let cutoff = to_millis(before);
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "DELETE FROM cdrs WHERE call_id IN (SELECT call_id FROM calls WHERE started_at < $1)",
        )
        .bind(cutoff)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM call_parties WHERE started_at < $1")
            .bind(cutoff)
            .execute(&mut *tx)
            .await?;
        let done = sqlx::query("DELETE FROM calls WHERE started_at < $1")
            .bind(cutoff)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    /// How far the CDR file `source` has been read, and which file that was (position 0
    /// and nothing known if never).
    pub async fn cdr_cursor(&self, source: &str) -> Result<CdrCursor, StoreError> {
        let row = sqlx::query(
            "SELECT position, device, inode, head_digest FROM cdr_cursors WHERE source = $1",
        )
        .bind(source)
        .fetch_optional(self.pool())
        .await?;
        let Some(r) = row else {
            return Ok(CdrCursor::default());
        };
        let p: i64 = r.try_get("position")?;
        let device: Option<i64> = r.try_get("device")?;
        let inode: Option<i64> = r.try_get("inode")?;
        Ok(CdrCursor {
            position: u64::try_from(p)
                .map_err(|_| StoreError::Corrupt(format!("CDR cursor {p}")))?,
            // Stored bit for bit in a signed column: only ever compared for equality.
            file: device.zip(inode).map(|(device, inode)| FileId {
                device: device as u64,
                inode: inode as u64,
            }),
            head: r.try_get("head_digest")?,
        })
    }

    pub async fn set_cdr_cursor(&self, source: &str, cursor: &CdrCursor) -> Result<(), StoreError> {
        let position = i64::try_from(cursor.position)
            .map_err(|_| StoreError::Corrupt(format!("CDR cursor {}", cursor.position)))?;
        sqlx::query(
            "INSERT INTO cdr_cursors (source, position, updated_at, device, inode, head_digest) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (source) DO UPDATE SET position = excluded.position, \
             updated_at = excluded.updated_at, device = excluded.device, \
             inode = excluded.inode, head_digest = excluded.head_digest",
        )
        .bind(source)
        .bind(position)
        .bind(to_millis(Utc::now()))
        .bind(cursor.file.map(|f| f.device as i64))
        .bind(cursor.file.map(|f| f.inode as i64))
        .bind(cursor.head.clone())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// How many CDR records are stored (for operators and tests).
    pub async fn cdr_count(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM cdrs")
            .fetch_one(self.pool())
            .await?;
        Ok(row.try_get("n")?)
    }
}

enum Arg {
    Int(i64),
    Text(String),
}

/// The statement of one page of calls, its arguments, and how its rows become calls.
pub(super) struct PageQuery {
    pub(super) sql: String,
    args: Vec<Arg>,
    limit: u32,
    party: bool,
}

impl PageQuery {
    pub(super) fn new(q: &CallQuery) -> PageQuery {
        let limit = q.limit.clamp(1, MAX_PAGE);
        let party = q.extension.is_some();
        let mut sql = String::new();
        let mut args: Vec<Arg> = Vec::new();
        let mut n = 0;
        let mut next = |args: &mut Vec<Arg>, a: Arg| {
            args.push(a);
            n += 1;
            format!("${n}")
        };
        let (time_col, id_col) = if party {
            sql.push_str(&format!(
                "SELECT {CALL_COLUMNS}, p.direction, p.extension FROM call_parties p \
                 JOIN calls c ON c.call_id = p.call_id WHERE p.extension = "
            ));
            let ext = next(
                &mut args,
                Arg::Text(q.extension.clone().unwrap_or_default()),
            );
            sql.push_str(&ext);
            ("p.started_at", "p.call_id")
        } else {
            sql.push_str(&format!("SELECT {CALL_COLUMNS} FROM calls c WHERE 1 = 1"));
            ("c.started_at", "c.call_id")
        };
        if let Some(from) = q.from {
            let p = next(&mut args, Arg::Int(to_millis(from)));
            sql.push_str(&format!(" AND {time_col} >= {p}"));
        }
        if let Some(to) = q.to {
            let p = next(&mut args, Arg::Int(to_millis(to)));
            sql.push_str(&format!(" AND {time_col} < {p}"));
        }
        if let Some(status) = q.status {
            let p = next(&mut args, Arg::Text(status.key().into()));
            let col = if party { "p.status" } else { "c.status" };
            sql.push_str(&format!(" AND {col} = {p}"));
        }
        if let Some(direction) = q.direction {
            if party {
                let p = next(&mut args, Arg::Text(direction.key().into()));
                sql.push_str(&format!(" AND p.direction = {p}"));
            } else if direction == Direction::Internal {
                sql.push_str(" AND c.internal = 1");
            } else {
                sql.push_str(" AND c.internal = 0");
            }
        }
        if let Some(number) = &q.number {
            // The filter's characters exclude LIKE's wildcards (`ringside_portal::model::is_number_filter`).
            let p = next(&mut args, Arg::Text(format!("%{}%", number.to_lowercase())));
            sql.push_str(&format!(
                " AND (c.caller LIKE {p} OR c.callee LIKE {p} OR LOWER(c.caller_name) LIKE {p})"
            ));
        }
        if let Some((at, id)) = &q.before {
            let t = next(&mut args, Arg::Int(to_millis(*at)));
            let i = next(&mut args, Arg::Text(id.clone()));
            // The `<=` bound lets the index start at the cursor rather than filter up to it.
            sql.push_str(&format!(
                " AND {time_col} <= {t} AND ({time_col} < {t} OR {id_col} < {i})"
            ));
        }
        sql.push_str(&format!(
            " ORDER BY {time_col} DESC, {id_col} DESC LIMIT {} OFFSET {}",
            limit + 1,
            q.offset
        ));
        PageQuery {
            sql,
            args,
            limit,
            party,
        }
    }

    /// `query` with this page's arguments bound, for either driver.
    pub(super) fn bound<'q, DB>(
        &self,
        mut query: sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments>,
    ) -> sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments>
    where
        DB: sqlx::Database,
        i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
        String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    {
        for a in &self.args {
            query = match a {
                Arg::Int(v) => query.bind(*v),
                Arg::Text(v) => query.bind(v.clone()),
            };
        }
        query
    }

    /// The calls of the fetched rows (one more than the page asks tells that more follow),
    /// and whether more follow.
    pub(super) fn rows<R>(&self, rows: &[R]) -> Result<(Vec<CallRow>, bool), StoreError>
    where
        R: Row,
        for<'a> &'a str: sqlx::ColumnIndex<R>,
        for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    {
        let more = rows.len() > self.limit as usize;
        let calls = rows
            .iter()
            .take(self.limit as usize)
            .map(|r| call_from_row(r, self.party))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((calls, more))
    }
}

impl Store {
    /// Who may replay recordings: the user's right (`own` unless an admin changed it).
    pub async fn replay_right(&self, extension: &str) -> Result<ReplayRight, StoreError> {
        let row = sqlx::query("SELECT recording_replay FROM users WHERE extension = $1")
            .bind(extension)
            .fetch_optional(self.pool())
            .await?;
        let Some(row) = row else {
            return Err(StoreError::NotFound {
                what: "user",
                key: extension.to_owned(),
            });
        };
        let v: String = row.try_get("recording_replay")?;
        ReplayRight::parse(&v).ok_or_else(|| StoreError::Corrupt(format!("replay right {v:?}")))
    }

    pub async fn set_replay_right(
        &self,
        extension: &str,
        right: ReplayRight,
    ) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE users SET recording_replay = $1 WHERE extension = $2")
            .bind(right.key())
            .bind(extension)
            .execute(self.pool())
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "user",
                key: extension.to_owned(),
            });
        }
        Ok(())
    }
}

/// Rows per multi-row statement: about 1,000 parameters, beyond which a statement saves
/// nothing more.
/// Records per `INSERT` (25 values each).
const CDRS_PER_STATEMENT: usize = 40;
/// Calls summarized per round of statements (13 values per call row).
const CALLS_PER_STATEMENT: usize = 80;
/// Party rows per `INSERT` (5 values each).
const PARTIES_PER_STATEMENT: usize = 200;

/// Inserts the records whose key is not stored yet; answers the keys it inserted.
async fn insert_new_cdrs(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    dialect: Dialect,
    chunk: &[(&Cdr, String)],
    via: Via,
) -> Result<HashSet<String>, StoreError> {
    let sql = format!(
        "INSERT INTO cdrs (cdr_key, call_id, unique_id, linked_id, sequence, start_at, \
         answer_at, end_at, duration_secs, billable_secs, source, destination, \
         destination_context, caller_id, channel, destination_channel, last_application, \
         last_data, disposition, account_code, ama_flags, user_field, peer_account, \
         recording, received_via) VALUES {} ON CONFLICT (cdr_key) DO NOTHING RETURNING cdr_key",
        value_rows(dialect, chunk.len(), 25)
    );
    let mut query = sqlx::query(AssertSqlSafe(sql));
    for (cdr, key) in chunk {
        query = query
            .bind(key.clone())
            .bind(cdr.call_id().to_owned())
            .bind(cdr.unique_id.clone())
            .bind(cdr.linked_id.clone())
            .bind(cdr.sequence)
            .bind(to_millis(cdr.start))
            .bind(cdr.answer.map(to_millis))
            .bind(to_millis(cdr.end))
            .bind(cdr.duration_secs)
            .bind(cdr.billable_secs)
            .bind(cdr.source.clone())
            .bind(cdr.destination.clone())
            .bind(cdr.destination_context.clone())
            .bind(cdr.caller_id.clone())
            .bind(cdr.channel.clone())
            .bind(cdr.destination_channel.clone())
            .bind(cdr.last_application.clone())
            .bind(cdr.last_data.clone())
            .bind(cdr.disposition.as_str())
            .bind(cdr.account_code.clone())
            .bind(cdr.ama_flags.clone())
            .bind(cdr.user_field.clone())
            .bind(cdr.peer_account.clone())
            .bind(cdr.recording().map(str::to_owned))
            .bind(via.as_str());
    }
    query
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|r| r.try_get::<String, _>("cdr_key").map_err(Into::into))
        .collect()
}

/// Summarizes the calls `ids` again from all of their records and rewrites their parties.
async fn summarize_calls(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    dialect: Dialect,
    ids: &[String],
    users: &HashSet<String>,
) -> Result<(), StoreError> {
    let is_user = |n: &str| users.contains(n);
    let ids_list = list(dialect, ids.len());
    let bind_ids = |sql: String| {
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for id in ids {
            query = query.bind(id.clone());
        }
        query
    };
    let mut records: std::collections::HashMap<String, Vec<Cdr>> = std::collections::HashMap::new();
    for row in bind_ids(format!("SELECT * FROM cdrs WHERE call_id IN ({ids_list})"))
        .fetch_all(&mut **tx)
        .await?
    {
        let cdr = cdr_from_row(&row)?;
        records
            .entry(cdr.call_id().to_owned())
            .or_default()
            .push(cdr);
    }
    bind_ids(format!(
        "DELETE FROM call_parties WHERE call_id IN ({ids_list})"
    ))
    .execute(&mut **tx)
    .await?;
    let mut calls = Vec::with_capacity(ids.len());
    let mut emptied = Vec::new();
    for id in ids {
        match records.get(id).and_then(|rows| summarize(rows, &is_user)) {
            Some(call) => calls.push((id, call)),
            None => emptied.push(id.clone()),
        }
    }
    if !emptied.is_empty() {
        let mut query = sqlx::query(AssertSqlSafe(format!(
            "DELETE FROM calls WHERE call_id IN ({})",
            list(dialect, emptied.len())
        )));
        for id in emptied {
            query = query.bind(id);
        }
        query.execute(&mut **tx).await?;
    }
    if calls.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO calls (call_id, started_at, ended_at, caller, caller_name, \
         callee, status, internal, answered_by, talk_secs, duration_secs, recording, \
         cdr_count) VALUES {} \
         ON CONFLICT (call_id) DO UPDATE SET started_at = excluded.started_at, \
         ended_at = excluded.ended_at, caller = excluded.caller, \
         caller_name = excluded.caller_name, callee = excluded.callee, \
         status = excluded.status, internal = excluded.internal, \
         answered_by = excluded.answered_by, talk_secs = excluded.talk_secs, \
         duration_secs = excluded.duration_secs, recording = excluded.recording, \
         cdr_count = excluded.cdr_count",
        value_rows(dialect, calls.len(), 13)
    );
    let mut query = sqlx::query(AssertSqlSafe(sql));
    for (id, call) in &calls {
        query = query
            .bind((*id).clone())
            .bind(to_millis(call.started))
            .bind(to_millis(call.ended))
            .bind(call.caller.clone())
            .bind(call.caller_name.clone())
            .bind(call.callee.clone())
            .bind(call.status.key())
            .bind(i64::from(call.internal))
            .bind(call.answered_by.clone())
            .bind(call.talk_secs)
            .bind(call.duration_secs)
            .bind(call.recording.clone())
            .bind(call.cdr_count as i64);
    }
    query.execute(&mut **tx).await?;
    let parties: Vec<_> = calls
        .iter()
        .flat_map(|(id, call)| call.parties.iter().map(move |party| (*id, call, party)))
        .collect();
    for chunk in parties.chunks(PARTIES_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO call_parties (call_id, extension, direction, status, started_at) \
             VALUES {}",
            value_rows(dialect, chunk.len(), 5)
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for (id, call, party) in chunk {
            query = query
                .bind((*id).clone())
                .bind(party.extension.clone())
                .bind(party.direction.key())
                .bind(call.status.key())
                .bind(to_millis(call.started));
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}
