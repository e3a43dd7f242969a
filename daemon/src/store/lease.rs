//! The one lease claim shared by every queue several daemons work on together (due wakeups,
//! pending wakeup calls, outgoing fax jobs): a single statement picks rows that are ready and
//! not held by a live lease and marks them with the holder and an expiry; a holder renews its
//! leases while the work lives and hands them back when it stops.
//!
//! PostgreSQL locks the picked rows with `FOR UPDATE SKIP LOCKED`, so concurrent daemons take
//! disjoint sets; SQLite serialises writers, so one `UPDATE … RETURNING` is already atomic.
//! What "ready" means, and what is done with the rows, is the caller's business.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Executor};

use super::{Dialect, StoreError, to_millis};

/// A table worked as a leased queue: which columns hold the lease and how rows are ordered.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LeasedTable {
    pub table: &'static str,
    /// Column naming the holder (`NULL` when free).
    pub holder: &'static str,
    /// Column with the lease's expiry in Unix milliseconds.
    pub until: &'static str,
    /// `ORDER BY` of the pick: the most urgent rows first.
    pub order_by: &'static str,
    /// Further assignments made by a claim; may use `$3` (now).
    pub also_set: &'static str,
}

/// Which rows a claim may take: `ready` (SQL over the table's columns, this crate's constant;
/// it may use `$3`, now, and its own `values` from `$5` on), at most `limit` of them, and the
/// columns to return.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pick<'a> {
    pub ready: &'a str,
    pub values: &'a [i64],
    pub limit: u32,
    pub returning: &'a str,
}

/// Who takes a lease, at which instant, and until when.
#[derive(Debug, Clone, Copy)]
pub struct Lease<'a> {
    pub holder: &'a str,
    pub now: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

impl LeasedTable {
    /// The claim statement. Binds: `$1` holder, `$2` lease end, `$3` now, `$4` limit, then the
    /// values `ready` refers to from `$5` on. `ready` and `returning` are this crate's
    /// constants, never user input.
    fn claim_sql(&self, dialect: Dialect, ready: &str, returning: &str) -> String {
        let lock = match dialect {
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
            Dialect::Sqlite => "",
        };
        let Self {
            table,
            holder,
            until,
            order_by,
            also_set,
        } = self;
        format!(
            "UPDATE {table} SET {holder} = $1, {until} = $2{also_set} WHERE id IN (\
             SELECT id FROM {table} WHERE ({ready}) AND ({until} IS NULL OR {until} < $3) \
             ORDER BY {order_by} LIMIT $4{lock}) RETURNING {returning}"
        )
    }

    /// Claims up to `limit` ready rows that nobody holds, or whose holder's lease ran out
    /// before `lease.now`; returns the claimed rows' `returning` columns.
    pub async fn claim<'e, E>(
        &self,
        executor: E,
        dialect: Dialect,
        pick: Pick<'_>,
        lease: Lease<'_>,
    ) -> Result<Vec<AnyRow>, StoreError>
    where
        E: Executor<'e, Database = sqlx::Any>,
    {
        let sql = self.claim_sql(dialect, pick.ready, pick.returning);
        let mut query = sqlx::query(AssertSqlSafe(sql))
            .bind(lease.holder.to_owned())
            .bind(to_millis(lease.until))
            .bind(to_millis(lease.now))
            .bind(i64::from(pick.limit));
        for v in pick.values {
            query = query.bind(*v);
        }
        Ok(query.fetch_all(executor).await?)
    }

    /// Extends every lease held under one of `holders` (only row `id` when given) to `until`;
    /// returns how many rows were renewed.
    pub async fn renew<'e, E>(
        &self,
        executor: E,
        holders: &[&str],
        id: Option<i64>,
        until: DateTime<Utc>,
    ) -> Result<u64, StoreError>
    where
        E: Executor<'e, Database = sqlx::Any>,
    {
        let set = format!("{} = $1", self.until);
        self.update_held(executor, &set, Some(to_millis(until)), holders, id)
            .await
    }

    /// Hands back every lease held under one of `holders` (only row `id` when given) at
    /// once, so that another daemon (or this one, restarted) can claim the rows without
    /// waiting for the leases to run out; returns how many rows were released.
    pub async fn release<'e, E>(
        &self,
        executor: E,
        holders: &[&str],
        id: Option<i64>,
    ) -> Result<u64, StoreError>
    where
        E: Executor<'e, Database = sqlx::Any>,
    {
        let set = format!("{} = NULL, {} = NULL", self.holder, self.until);
        self.update_held(executor, &set, None, holders, id).await
    }

    /// `UPDATE table SET {set}` on the rows held under one of `holders` (only row `id` when
    /// given); `value`, when given, is bound as `$1` for `set` to use.
    async fn update_held<'e, E>(
        &self,
        executor: E,
        set: &str,
        value: Option<i64>,
        holders: &[&str],
        id: Option<i64>,
    ) -> Result<u64, StoreError>
    where
        E: Executor<'e, Database = sqlx::Any>,
    {
        if holders.is_empty() {
            return Ok(0);
        }
        let mut next = 1 + usize::from(value.is_some());
        // An optional id is spelled into the statement, not bound as NULL: PostgreSQL cannot
        // type a parameter that is only ever compared with NULL.
        let only = match id {
            Some(_) => {
                next += 1;
                format!("id = ${} AND ", next - 1)
            }
            None => String::new(),
        };
        let Self { table, holder, .. } = self;
        let list = super::params::numbered(next, holders.len());
        let sql = format!("UPDATE {table} SET {set} WHERE {only}{holder} IN ({list})");
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for v in value.into_iter().chain(id) {
            query = query.bind(v);
        }
        for h in holders {
            query = query.bind((*h).to_owned());
        }
        Ok(query.execute(executor).await?.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CALLS: LeasedTable = LeasedTable {
        table: "wakeup_calls",
        holder: "claimed_by",
        until: "claimed_until",
        order_by: "due_at",
        also_set: "",
    };

    #[test]
    fn postgres_claims_skip_rows_another_daemon_is_locking() {
        let sql = CALLS.claim_sql(Dialect::Postgres, "due_at <= $5", "id");
        assert!(sql.contains("LIMIT $4 FOR UPDATE SKIP LOCKED)"), "{sql}");
    }

    #[test]
    fn sqlite_claims_are_one_plain_update() {
        let sql = CALLS.claim_sql(Dialect::Sqlite, "due_at <= $5", "id");
        assert!(!sql.contains("FOR UPDATE"), "{sql}");
        assert!(sql.starts_with("UPDATE wakeup_calls SET claimed_by = $1, claimed_until = $2"));
    }

    #[test]
    fn a_claim_passes_over_rows_under_a_live_lease() {
        let sql = CALLS.claim_sql(Dialect::Sqlite, "due_at <= $5", "id");
        assert!(
            sql.contains("(claimed_until IS NULL OR claimed_until < $3)"),
            "{sql}"
        );
    }
}
