//! Wakeups across a daemon crash (run once: `cargo bench -p ringside-benches --bench wakeup_restart`).
//!
//! 1,000 one-shot wakeups due at one instant on SQLite; a daemon (scheduler, real ARI wakeup
//! dialer, ARI simulator in a child process) is killed 50 ms after the due instant and a new
//! one starts 0.5 s later. Reports how many wakeups were called, how many were called twice
//! (two originates Asterisk accepted for one wakeup), and the lateness, after the due instant,
//! of the calls the restarted daemon placed or adopted.
//!
//! "Killed" is the first daemon's own tokio runtime shut down: every task of it stops at once,
//! its WebSocket and database connections drop, nothing is cleaned up, as under `kill -9`.

use std::collections::BTreeMap;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use ringside::flows::wakeup::{self, SchedulerConfig, TAKEN_OVER};
use ringside::store::Store;
use ringside_benches::wakeup_figures::percentile_ms;
use ringside_benches::wakeup_rig::{seed_wakeups, wakeup_scheduler};
use tokio_util::sync::CancellationToken;

const WAKEUPS: usize = 1_000;
const KILL_AFTER_DUE: StdDuration = StdDuration::from_millis(50);
const RESTART_AFTER_KILL: StdDuration = StdDuration::from_millis(500);

/// One daemon's wakeup side: ARI connection, event engine, dialer, scheduler.
async fn run_daemon(base_url: String, db_url: String, stop: CancellationToken) {
    let store = Store::connect(&db_url).await.expect("store");
    wakeup_scheduler(&base_url, store, &stop)
        .await
        .run(stop)
        .await;
}

async fn scalar(store: &Store, sql: &'static str) -> i64 {
    let row = sqlx::query(sql)
        .fetch_one(store.pool())
        .await
        .expect("count");
    sqlx::Row::try_get(&row, 0).expect("a number")
}

#[derive(serde::Deserialize)]
struct Arrival {
    method: String,
    path: String,
    status: u16,
    arrived_unix_us: i64,
}

async fn restart_run() {
    let sim = ringside_benches::sim_process::SimProcess::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let db_url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let store = Store::connect(&db_url).await.expect("store");
    let due = Utc::now() + Duration::seconds(6);
    let due = DateTime::from_timestamp(due.timestamp(), 0).expect("whole second");
    seed_wakeups(&store, WAKEUPS, 0, |_| due).await;

    // The first daemon, in a runtime of its own that is killed.
    let doomed = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime of the first daemon");
    doomed.spawn(run_daemon(
        sim.base_url(),
        db_url.clone(),
        CancellationToken::new(),
    ));
    let kill_at = due + Duration::from_std(KILL_AFTER_DUE).expect("small");
    let wait = (kill_at - Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(wait).await;
    doomed.shutdown_background();
    let killed = Utc::now();
    let placed_before_kill = scalar(
        &store,
        "SELECT COUNT(*) FROM wakeup_calls WHERE claimed_by IS NOT NULL",
    )
    .await;

    tokio::time::sleep(RESTART_AFTER_KILL).await;
    let restarted = Utc::now();
    let stop = CancellationToken::new();
    let daemon = tokio::spawn(run_daemon(sim.base_url(), db_url.clone(), stop.clone()));
    let finished = async {
        loop {
            tokio::time::sleep(StdDuration::from_millis(250)).await;
            let ended = scalar(
                &store,
                "SELECT COUNT(DISTINCT wakeup_id) FROM wakeup_attempts WHERE outcome IS NOT NULL",
            )
            .await;
            let pending = scalar(&store, "SELECT COUNT(*) FROM wakeup_calls").await;
            if ended as usize >= WAKEUPS && pending == 0 {
                break;
            }
        }
    };
    tokio::time::timeout(StdDuration::from_secs(180), finished)
        .await
        .expect("every wakeup over within 3 minutes of the restart");
    stop.cancel();
    let _ = daemon.await;

    let arrivals: Vec<Arrival> = reqwest::get(format!(
        "http://{}/sim/requests?prefix=/channels/{}",
        sim.addr,
        wakeup::CHANNEL_PREFIX
    ))
    .await
    .expect("request log")
    .json()
    .await
    .expect("request log JSON");
    // Originates are POST /channels/wakeup-{wakeup}-{call}; everything else has a sub-path.
    let mut originates: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for a in &arrivals {
        let Some(id) = a.path.strip_prefix("/channels/") else {
            continue;
        };
        if a.method != "POST" || id.contains('/') || !(200..300).contains(&a.status) {
            continue;
        }
        let wakeup_id = id
            .strip_prefix(wakeup::CHANNEL_PREFIX)
            .and_then(|rest| rest.split('-').next())
            .unwrap_or(id)
            .to_owned();
        originates
            .entry(wakeup_id)
            .or_default()
            .push(a.arrived_unix_us);
    }
    let called = originates.len();
    let twice = originates.values().filter(|v| v.len() > 1).count();
    let before_kill = originates
        .values()
        .filter(|v| v.iter().any(|&t| t < killed.timestamp_micros()))
        .count();
    let mut after: Vec<i64> = originates
        .values()
        .flatten()
        .filter(|&&t| t >= restarted.timestamp_micros())
        .map(|&t| t - due.timestamp_micros())
        .collect();
    after.sort_unstable();

    // Adopted calls: placed by the first daemon, followed to the end by the second; their
    // lateness is when the second one took them over (its attempt's detail says so).
    let taken_over: i64 = {
        let row = sqlx::query("SELECT COUNT(*) FROM wakeup_attempts WHERE detail LIKE ?")
            .bind(format!("{TAKEN_OVER}%"))
            .fetch_one(store.pool())
            .await
            .expect("taken over");
        sqlx::Row::try_get(&row, 0).expect("a number")
    };
    let summary = ringside_benches::wakeup_figures::outcome_summary(&store).await;
    println!(
        "wakeup_restart: {WAKEUPS} wakeups due at once, daemon killed {} ms after, restarted {} ms later: \
         called {called} (target {WAKEUPS}), called twice {twice} (target 0); \
         {before_kill} originated before the kill ({placed_before_kill} claimed then), \
         {taken_over} attempts taken over; \
         originates after the restart: {}, lateness p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms \
         (call lease {} s); outcomes: {}",
        KILL_AFTER_DUE.as_millis(),
        RESTART_AFTER_KILL.as_millis(),
        after.len(),
        percentile_ms(&after, 0.50),
        percentile_ms(&after, 0.99),
        percentile_ms(&after, 1.0),
        SchedulerConfig::default().call_lease.num_seconds(),
        summary
    );
    drop(sim);
}

fn main() {
    if ringside_benches::sim_process::serve_if_child(|sim| {
        sim.phone(
            "1001",
            ringside::ari::simulator::Script::answer_after_ms(200).then_press("2", 100),
        );
        sim.set_default_media_duration(StdDuration::from_millis(300));
    }) {
        return;
    }
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this binary without it.
    if !std::env::args().any(|a| a == "--bench") {
        println!(
            "wakeup restart benchmark: run it with `cargo bench -p ringside-benches --bench wakeup_restart`"
        );
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(restart_run());
}
