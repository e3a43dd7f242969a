//! Wakeup scheduler under load (run once: `cargo bench -p ringside-benches --bench wakeup_load`).
//!
//! 1. 10,000 wakeups due at the same instant: lateness after the due instant of each call's
//!    start, first with a recording dialer (scheduler and database alone), then through the
//!    real ARI flow against the ARI simulator in a child process (the instant each originate
//!    request arrived there); p50 / p99 / max.
//! 2. 1,000,000 stored wakeups: scheduler start-up time (open the database, first pass, next due
//!    time known) and peak RSS, measured in a fresh child process.
//!
//! SQLite in a temp dir; the real scheduler with the wall clock.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use ringside::flows::wakeup::{
    CallResult, Placed, Scheduler, SchedulerConfig, WakeupCall, WakeupDialer,
};
use ringside::schedule::{Outcome, SystemClock};
use ringside::store::Store;
use ringside_benches::process_stats::peak_rss_kib;
use ringside_benches::wakeup_figures::percentile_ms;
use ringside_benches::wakeup_rig::{seed_wakeups, wakeup_scheduler};
use tokio_util::sync::CancellationToken;

const DUE_AT_ONCE: usize = 10_000;
const STORED: usize = 1_000_000;
const CHILD_VAR: &str = "RINGSIDE_WAKEUP_BENCH_STARTUP_DB";

struct LatenessDialer {
    lateness_us: Mutex<Vec<i64>>,
    done: tokio::sync::Notify,
}

#[async_trait::async_trait]
impl WakeupDialer for LatenessDialer {
    async fn call(&self, call: WakeupCall, placed: Placed) -> Option<CallResult> {
        placed.placed();
        let late = (Utc::now() - call.due_at)
            .num_microseconds()
            .unwrap_or(i64::MAX);
        let mut v = self.lateness_us.lock().expect("lateness lock");
        v.push(late);
        if v.len() == DUE_AT_ONCE {
            self.done.notify_one();
        }
        Some(CallResult::new(Outcome::Acknowledged, "bench"))
    }
}

/// A fresh SQLite store with [`DUE_AT_ONCE`] wakeups all due at one whole second, 8 s from
/// now (time to connect and claim before they fall due).
async fn due_at_once() -> (tempfile::TempDir, Store, DateTime<Utc>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let store = Store::connect(&url).await.expect("store");
    let due = Utc::now() + Duration::seconds(8);
    let due = DateTime::from_timestamp(due.timestamp(), 0).expect("whole second");
    seed_wakeups(&store, DUE_AT_ONCE, 3, |_| due).await;
    (dir, store, due)
}

async fn lateness_run() {
    let (_dir, store, _due) = due_at_once().await;
    let dialer = Arc::new(LatenessDialer {
        lateness_us: Mutex::new(Vec::new()),
        done: tokio::sync::Notify::new(),
    });
    let scheduler = Scheduler::new(
        store.clone(),
        Arc::new(SystemClock),
        dialer.clone(),
        SchedulerConfig::default(),
    );
    let stop = CancellationToken::new();
    let task = tokio::spawn(scheduler.run(stop.clone()));
    tokio::time::timeout(std::time::Duration::from_secs(120), dialer.done.notified())
        .await
        .expect("all calls within 2 minutes");
    stop.cancel();
    let _ = task.await;
    let mut v = dialer.lateness_us.lock().expect("lock").clone();
    v.sort_unstable();
    println!(
        "wakeup_load: {} wakeups due at once: call start lateness p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (target p99 < 1000 ms)",
        v.len(),
        percentile_ms(&v, 0.50),
        percentile_ms(&v, 0.99),
        percentile_ms(&v, 1.0)
    );
}

async fn lateness_simulator_run() {
    let sim = ringside_benches::sim_process::SimProcess::start().await;
    let stop = CancellationToken::new();
    let (_dir, store, due) = due_at_once().await;
    let scheduler = wakeup_scheduler(&sim.base_url(), store.clone(), &stop).await;
    tokio::spawn(scheduler.run(stop.clone()));
    let finished = async {
        loop {
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            let row =
                sqlx::query("SELECT COUNT(*) AS n FROM wakeup_attempts WHERE outcome IS NOT NULL")
                    .fetch_one(store.pool())
                    .await
                    .expect("count");
            let n: i64 = sqlx::Row::try_get(&row, "n").expect("n");
            if n as usize >= DUE_AT_ONCE {
                break;
            }
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(180), finished)
        .await
        .expect("all calls over within 3 minutes");
    stop.cancel();
    #[derive(serde::Deserialize)]
    struct Arrival {
        method: String,
        path: String,
        over_websocket: bool,
        arrived_unix_us: i64,
    }
    let arrivals: Vec<Arrival> = reqwest::get(format!(
        "http://{}/sim/requests?prefix=/channels/wakeup-",
        sim.addr
    ))
    .await
    .expect("request log")
    .json()
    .await
    .expect("request log JSON");
    let over_ws = arrivals.iter().filter(|a| a.over_websocket).count();
    // The originates: POST /channels/{id} (plays are POST /channels/{id}/play).
    let mut v: Vec<i64> = arrivals
        .iter()
        .filter(|a| a.method == "POST" && !a.path.contains("/play"))
        .map(|a| a.arrived_unix_us - due.timestamp_micros())
        .collect();
    v.sort_unstable();
    let summary = ringside_benches::wakeup_figures::outcome_summary(&store).await;
    println!(
        "wakeup_load: {} wakeups due at once through ARI (simulator in its own process, {} of {} wakeup requests over the WebSocket): originate arrival lateness p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; outcomes: {} (target p99 < 1000 ms)",
        v.len(),
        over_ws,
        arrivals.len(),
        percentile_ms(&v, 0.50),
        percentile_ms(&v, 0.99),
        percentile_ms(&v, 1.0),
        summary
    );
    drop(sim);
}

struct NoCalls;

#[async_trait::async_trait]
impl WakeupDialer for NoCalls {
    async fn call(&self, _call: WakeupCall, _placed: Placed) -> Option<CallResult> {
        Some(CallResult::new(Outcome::Failed, "bench: no calls expected"))
    }
}

/// In the child: open the database, run the first pass, learn the next due time.
async fn startup_child(url: &str, t0: Instant) {
    let store = Store::connect(url).await.expect("store");
    let opened = t0.elapsed();
    let scheduler = Scheduler::new(
        store.clone(),
        Arc::new(SystemClock),
        Arc::new(NoCalls),
        SchedulerConfig::default(),
    );
    let tick = scheduler.tick().await.expect("first pass");
    let ticked = t0.elapsed();
    let next = store.next_wakeup_event().await.expect("next due");
    let elapsed = t0.elapsed();
    eprintln!(
        "wakeup_load: start-up breakdown: database open {:.0} ms, first pass {:.0} ms, next due {:.0} ms",
        opened.as_secs_f64() * 1000.0,
        (ticked - opened).as_secs_f64() * 1000.0,
        (elapsed - ticked).as_secs_f64() * 1000.0
    );
    assert_eq!(tick.dispatched, 0, "nothing is due at start-up");
    println!(
        "wakeup_load: {STORED} stored wakeups: scheduler start-up {:.0} ms (next due {}), peak RSS {:.1} MB (targets < 2000 ms, < 100 MB)",
        elapsed.as_secs_f64() * 1000.0,
        next.map(|t| t.to_rfc3339()).unwrap_or_default(),
        peak_rss_kib() as f64 / 1024.0
    );
}

async fn startup_run() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("million.db").display());
    {
        let store = Store::connect(&url).await.expect("store");
        let base = Utc::now() + Duration::hours(1);
        let seeded = Instant::now();
        seed_wakeups(&store, STORED, 3, |i| {
            base + Duration::seconds((i as i64 * 604_800) / STORED as i64)
        })
        .await;
        eprintln!(
            "wakeup_load: seeded {STORED} wakeups in {:.1} s",
            seeded.elapsed().as_secs_f64()
        );
        store.pool().close().await;
    }
    let exe = std::env::current_exe().expect("own path");
    let out = std::process::Command::new(exe)
        .env(CHILD_VAR, &url)
        .output()
        .expect("start-up child");
    print!("{}", String::from_utf8_lossy(&out.stdout));
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
}

fn main() {
    let t0 = Instant::now();
    if ringside_benches::sim_process::serve_if_child(|sim| {
        sim.phone(
            "1001",
            ringside::ari::simulator::Script::answer_after_ms(200).then_press("2", 100),
        );
        sim.set_default_media_duration(std::time::Duration::from_millis(300));
    }) {
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    if let Ok(url) = std::env::var(CHILD_VAR) {
        runtime.block_on(startup_child(&url, t0));
        return;
    }
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this binary without it,
    // and a load run has nothing to check there.
    if !std::env::args().any(|a| a == "--bench") {
        println!(
            "wakeup load benchmark: run it with `cargo bench -p ringside-benches --bench wakeup_load`"
        );
        return;
    }
    let only = std::env::var("RINGSIDE_WAKEUP_BENCH_ONLY").unwrap_or_default();
    if only.is_empty() || only == "dialer" {
        runtime.block_on(lateness_run());
    }
    if only.is_empty() || only == "ari" {
        runtime.block_on(lateness_simulator_run());
    }
    if only.is_empty() || only == "startup" {
        runtime.block_on(startup_run());
    }
}
