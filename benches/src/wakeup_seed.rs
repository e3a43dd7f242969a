//! Stores made for the wakeup benchmarks: one user and many wakeups written in bulk SQL, far
//! faster than the store's one-at-a-time API. Not a way to create wakeups in the daemon.

use chrono::{DateTime, Utc};
use ringside::store::Store;

/// Adds user 1001 and `count` one-off wakeups of theirs, the `i`-th due at `due(i)`, each
/// retried `retries` times; in one transaction of 1,000-row inserts.
pub async fn seed_wakeups(
    store: &Store,
    count: usize,
    retries: u32,
    due: impl Fn(usize) -> DateTime<Utc>,
) {
    sqlx::query(
        "INSERT INTO users (extension, display_name, created_at) VALUES ('1001', 'Bench', 0)",
    )
    .execute(store.pool())
    .await
    .expect("user");
    let mut tx = store.pool().begin().await.expect("begin");
    for chunk_start in (0..count).step_by(1000) {
        let mut sql = String::from(
            "INSERT INTO wakeups (owner, name, enabled, prompt, rule, tz, members, ring_secs, retries, \
             retry_interval_mins, snooze_mins, next_fire_at, created_at, updated_at) VALUES ",
        );
        for i in chunk_start..(chunk_start + 1000).min(count) {
            let at = due(i);
            if i > chunk_start {
                sql.push(',');
            }
            sql.push_str(&format!(
                "('1001', 'w{i}', 1, 'beep', 'once {}', 'UTC', '1001', 30, {retries}, 1, 5, {}, 0, 0)",
                at.format("%Y-%m-%d %H:%M"),
                at.timestamp_millis()
            ));
        }
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut *tx)
            .await
            .expect("insert wakeups");
    }
    tx.commit().await.expect("commit");
}
