//! Follow-me under load: 1,000 concurrent calls, 3 legs each, one daemon engine against the
//! ARI simulator running in a separate process (so the daemon's RSS and CPU are its own; the
//! simulator also places the calls, so no load-generator sockets live in the daemon).
//!
//! Each call rings 3001 (answers after `RINGSIDE_BENCH_ANSWER_MS`, default 3000, and hangs up
//! `RINGSIDE_BENCH_TALK_MS` later, default 4000), 3002 (never answers) and 3003 (busy)
//! together. The calls arrive evenly over `RINGSIDE_BENCH_SPREAD_MS` (default 2000; 0 = all at
//! once), so with the defaults every call is up at the same time; the peak is reported.
//! The settings come from a SQLite store as in the daemon, and 1001 has call handling that the
//! planner must weigh on every call: do-not-disturb on but limited to a time rule that never
//! applies (outside a whole-week window), forwards on busy and on no answer (neither taken:
//! 3001 answers).
//! Reported: latency from an ARI event's frame being read to the first REST call it causes
//! leaving (p50/p99 over every such pair), daemon CPU time per call, daemon peak RSS.
//! Run: `cargo bench -p ringside-benches --bench followme`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ringside::ari::AriClient;
use ringside::ari::connection;
use ringside::ari::simulator::Script;
use ringside::flows::dispatch::Engine;
use ringside::flows::followme::{DialTemplates, FollowMeFlow, LatencyRecorder};
use ringside::store::{CallHandling, FollowMeSettings, Forward, NewUser, Store, TimeRule};
use ringside_benches::process_stats::{cpu_time, proc_status_kb};
use tokio_util::sync::CancellationToken;

const CALLS: usize = 1000;

fn env_ms(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    if ringside_benches::sim_process::serve_if_child(|sim| {
        sim.phone(
            "3001",
            Script::answer_after_ms(env_ms("RINGSIDE_BENCH_ANSWER_MS", 3000))
                .then_hang_up(env_ms("RINGSIDE_BENCH_TALK_MS", 4000)),
        );
        sim.phone("3002", Script::never_answer());
        sim.phone("3003", Script::busy());
    }) {
        return;
    }
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this binary without it,
    // and a load test has nothing to check there.
    if !std::env::args().any(|a| a == "--bench") {
        println!(
            "followme load benchmark: run it with `cargo bench -p ringside-benches --bench followme`"
        );
        return;
    }
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(run_daemon());
}

#[derive(Debug, Default, serde::Deserialize)]
struct Counts {
    channels: u64,
    bridged: u64,
}

fn percentile(sorted: &[u32], p: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// The bench's users and their settings, in a SQLite store as the daemon keeps them.
async fn settings_store(dir: &std::path::Path) -> Store {
    let url = format!("sqlite://{}?mode=rwc", dir.join("ringside.db").display());
    let store = Store::connect(&url).await.expect("store");
    for ext in ["1001", "3001", "3002", "3003"] {
        store
            .create_user(&NewUser::new(ext, format!("User {ext}")))
            .await
            .expect("user");
    }
    store
        .set_followme(&FollowMeSettings::ringing(
            "1001",
            0,
            &[(&["3001", "3002", "3003"], 20)],
        ))
        .await
        .expect("follow-me");
    store
        .set_call_handling(&CallHandling {
            dnd: true,
            dnd_rule: Some(TimeRule {
                window: "mon-sun,00:00-24:00".parse().expect("window"),
                outside: true,
            }),
            forward_busy: Forward::to("0170555"),
            forward_no_answer: Forward::to("0170666"),
            time_zone: "Europe/Berlin".into(),
            ..CallHandling::new("1001")
        })
        .await
        .expect("call handling");
    store
}

async fn run_daemon() {
    // `RINGSIDE_BENCH_METRICS=1` installs the Prometheus recorder the daemon installs when
    // `[metrics] listen` is set, to measure what the metrics cost.
    let metrics = std::env::var("RINGSIDE_BENCH_METRICS").is_ok_and(|v| v == "1");
    let metrics_handle = metrics.then(|| ringside::ops::install_recorder().expect("recorder"));
    let sim = ringside_benches::sim_process::SimProcess::start().await;
    let addr = sim.addr.clone();
    let base = sim.base_url();
    let transport = ringside_benches::sim_process::rest_transport_from_env();
    let client = AriClient::new(&base, "bench", "bench", "ringside")
        .expect("client")
        .with_rest_transport(transport);

    let db_dir = tempfile::tempdir().expect("tempdir");
    let store = settings_store(db_dir.path()).await;
    let latency = LatencyRecorder::default();
    let flow = Arc::new(FollowMeFlow {
        source: Arc::new(store),
        templates: DialTemplates {
            extension: "PJSIP/{ext}".into(),
            external: "Local/{number}@ringside-outbound".into(),
        },
        second: Duration::from_secs(1),
        moh_class: None,
        latency: Some(latency.clone()),
    });
    let stop = CancellationToken::new();
    let conn = connection::spawn(client.clone(), stop.clone());
    let mut state = conn.state.clone();
    let engine = Engine::builder(client.clone())
        .route("followme", flow)
        .build();
    let engine_task = tokio::spawn(engine.run(conn.items, stop.clone()));
    state
        .wait_for(|s| s.is_connected())
        .await
        .expect("connected");
    tokio::time::sleep(Duration::from_millis(200)).await;
    latency.take();

    // One small connection for the bench's own polling.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .build()
        .expect("http client");
    let spread_ms = env_ms("RINGSIDE_BENCH_SPREAD_MS", 2000);
    let transport = if client.rest_over_ws().is_attached() {
        "websocket"
    } else {
        "http"
    };
    let idle_rss_kb = proc_status_kb("VmRSS:");
    let cpu_before = cpu_time();
    let started = Instant::now();
    let placing = http
        .post(format!(
            "http://{addr}/sim/calls?args=followme,1001&caller=5550000&count={CALLS}&spread_ms={spread_ms}"
        ))
        .send()
        .await
        .expect("simulator places the calls");
    assert!(placing.status().is_success(), "calls placed");

    // Done when every channel is gone (callers are hung up after the callee hangs up).
    let mut peak = Counts::default();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let counts: Counts = match http.get(format!("http://{addr}/sim/counts")).send().await {
            Ok(r) => r.json().await.unwrap_or_default(),
            Err(_) => Counts::default(),
        };
        peak.channels = peak.channels.max(counts.channels);
        peak.bridged = peak.bridged.max(counts.bridged);
        let all_placed = started.elapsed() > Duration::from_millis(spread_ms + 500);
        if all_placed && counts.channels == 0 {
            break;
        }
        if Instant::now() >= deadline {
            println!(
                "  NOT FINISHED: {} channels still up after 60 s",
                counts.channels
            );
            let left = client.channels().await.unwrap_or_default();
            for c in left.iter().take(3) {
                println!(
                    "    {} {} state={} dialplan={}/{}/{}",
                    c.id,
                    c.name,
                    c.state,
                    c.dialplan.context,
                    c.dialplan.exten,
                    c.dialplan.priority
                );
            }
            break;
        }
    }
    let wall = started.elapsed();
    let cpu = cpu_time().saturating_sub(cpu_before);
    let mut samples = latency.take();
    samples.sort_unstable();
    stop.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(5), engine_task).await;
    drop(sim);

    println!(
        "follow-me load: {CALLS} calls, 3 legs each, arriving over {spread_ms} ms (simulator in its own process)"
    );
    println!("  REST transport             {:>8}", transport);
    println!(
        "  metrics recorder           {:>8}",
        if metrics { "on" } else { "off" }
    );
    if let Some(handle) = &metrics_handle {
        // One scrape, as Prometheus would take every 15 s.
        let scrape = Instant::now();
        let text = handle.render();
        println!(
            "  one scrape                 {:>8.3} ms ({} bytes)",
            scrape.elapsed().as_secs_f64() * 1e3,
            text.len()
        );
    }
    println!("  peak channels up           {:>8}", peak.channels);
    println!("  peak calls connected       {:>8}", peak.bridged / 2);
    println!(
        "  all calls finished in      {:>8.1} ms",
        wall.as_secs_f64() * 1e3
    );
    println!("  event -> REST samples      {:>8}", samples.len());
    println!(
        "  latency p50                {:>8.3} ms",
        f64::from(percentile(&samples, 0.50)) / 1e3
    );
    println!(
        "  latency p99                {:>8.3} ms",
        f64::from(percentile(&samples, 0.99)) / 1e3
    );
    println!(
        "  latency max                {:>8.3} ms",
        f64::from(samples.last().copied().unwrap_or(0)) / 1e3
    );
    println!(
        "  daemon CPU per call        {:>8.3} ms",
        cpu.as_secs_f64() * 1e3 / CALLS as f64
    );
    println!(
        "  daemon RSS before calls    {:>8.1} MB",
        idle_rss_kb as f64 / 1024.0
    );
    println!(
        "  daemon peak RSS            {:>8.1} MB",
        proc_status_kb("VmHWM:") as f64 / 1024.0
    );
}
