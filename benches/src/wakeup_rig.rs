//! What the wakeup benchmarks run on: stores with many wakeups written in bulk SQL (far
//! faster than the store's one-at-a-time API), and a daemon's wakeup side wired as `serve`
//! wires it. Not a way to create wakeups or run the daemon.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use ringside::ari::{AriClient, connection};
use ringside::flows::dispatch::Engine;
use ringside::flows::wakeup::{
    self, AriWakeupDialer, Scheduler, SchedulerConfig, WakeupFlowConfig,
};
use ringside::schedule::SystemClock;
use ringside::store::Store;
use tokio_util::sync::CancellationToken;

/// One daemon's wakeup side against the (simulated) Asterisk at `base_url`: ARI connection,
/// event engine with the wakeup routes, dialer and scheduler over `store`; connected when it
/// returns, not yet running.
pub async fn wakeup_scheduler(
    base_url: &str,
    store: Store,
    stop: &CancellationToken,
) -> Arc<Scheduler> {
    let client = AriClient::new(base_url, "ringside", "bench", "ringside")
        .expect("client")
        .with_rest_transport(crate::sim_process::rest_transport_from_env());
    let conn = connection::spawn(client.clone(), stop.clone());
    // Built as the daemon builds it: a restarted daemon leaves the calls its predecessor
    // placed in the app for its scheduler to adopt.
    let engine = wakeup::engine_routes(Engine::builder(client.clone())).build();
    let registry = engine.registry();
    tokio::spawn(engine.run(conn.items, stop.clone()));
    let mut state = conn.state.clone();
    state
        .wait_for(|s| s.is_connected())
        .await
        .expect("connected");
    let dialer = AriWakeupDialer::new(
        client,
        Arc::new(move || registry.inbox()),
        WakeupFlowConfig::default(),
    );
    Scheduler::new(
        store,
        Arc::new(SystemClock),
        Arc::new(dialer),
        SchedulerConfig::default(),
    )
}

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
