//! Follow-me under load: 1,000 concurrent calls, 3 legs each, one daemon engine against the
//! ARI simulator running in a separate process (so the daemon's RSS and CPU are its own).
//!
//! Each call rings 3001 (answers after 500 ms, hangs up 500 ms later), 3002 (never answers)
//! and 3003 (busy) together. Reported: latency from an ARI event's frame being read to the
//! first REST call it causes leaving (p50/p99 over every such pair), daemon CPU time per call,
//! daemon peak RSS. Run: `cargo bench -p ringside-benches --bench followme`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ringside::ari::AriClient;
use ringside::ari::connection;
use ringside::ari::simulator::{Script, SimConfig, Simulator};
use ringside::engine::Engine;
use ringside::flows::followme::{DialTemplates, FollowMeFlow, LatencyRecorder, StaticSource};
use ringside::store::{CallerIdMode, FollowMeSettings, FollowMeStep};
use tokio_util::sync::CancellationToken;

const CALLS: usize = 1000;
const ROLE_VAR: &str = "RINGSIDE_BENCH_ROLE";
const ADDR_VAR: &str = "RINGSIDE_BENCH_SIM_ADDR";

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this binary without it,
    // and a load test has nothing to check there.
    if std::env::var(ROLE_VAR).is_err() && !std::env::args().any(|a| a == "--bench") {
        println!(
            "followme load benchmark: run it with `cargo bench -p ringside-benches --bench followme`"
        );
        return;
    }
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    if std::env::var(ROLE_VAR).as_deref() == Ok("simulator") {
        runtime.block_on(run_simulator());
    } else {
        runtime.block_on(run_daemon());
    }
}

async fn run_simulator() {
    let addr = std::env::var(ADDR_VAR).expect("address given");
    let sim = Simulator::start(SimConfig {
        listen: addr.parse().expect("socket address"),
        ..SimConfig::default()
    })
    .await
    .expect("simulator listens");
    sim.set_record_event_bodies(false);
    sim.phone("3001", Script::answer_after_ms(500).then_hang_up(500));
    sim.phone("3002", Script::never_answer());
    sim.phone("3003", Script::busy());
    // Runs until the parent closes our stdin (or dies), so no simulator outlives a run.
    let mut stdin = tokio::io::stdin();
    let mut sink = Vec::new();
    let _ = tokio::io::AsyncReadExt::read_to_end(&mut stdin, &mut sink).await;
}

fn proc_status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// User + system CPU time of this process.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0)
        + f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0);
    // Linux reports in clock ticks of 1/100 s (USER_HZ).
    Duration::from_millis(ticks * 10)
}

fn percentile(sorted: &[u32], p: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn run_daemon() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let addr = format!("127.0.0.1:{port}");
    let mut child = std::process::Command::new(std::env::current_exe().expect("own path"))
        .env(ROLE_VAR, "simulator")
        .env(ADDR_VAR, &addr)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("simulator process");
    let base = format!("http://{addr}/ari");
    let client = AriClient::new(&base, "bench", "bench", "ringside").expect("client");
    let mut ready = false;
    for _ in 0..200 {
        if client.ping().await.is_ok() {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(ready, "simulator process answers");

    let latency = LatencyRecorder::default();
    let flow = Arc::new(FollowMeFlow {
        source: Arc::new(StaticSource {
            settings: vec![FollowMeSettings {
                extension: "1001".into(),
                enabled: true,
                initial_ring_secs: 0,
                steps: vec![FollowMeStep {
                    numbers: vec!["3001".into(), "3002".into(), "3003".into()],
                    ring_secs: 20,
                }],
                confirm: false,
                moh: false,
                caller_id: CallerIdMode::Caller,
            }],
            extensions: ["3001", "3002", "3003"]
                .map(String::from)
                .into_iter()
                .collect(),
        }),
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

    let http = reqwest::Client::new();
    let cpu_before = cpu_time();
    let started = Instant::now();
    let placing = (0..CALLS).map(|i| {
        let http = http.clone();
        let url = format!("http://{addr}/sim/calls?args=followme,1001&caller=55500{i:04}");
        async move { http.post(url).send().await.map(|r| r.status().is_success()) }
    });
    let placed = futures_util::future::join_all(placing).await;
    assert!(
        placed.iter().all(|r| matches!(r, Ok(true))),
        "all calls placed"
    );
    let placed_in = started.elapsed();

    // Done when every channel is gone (callers are hung up after the callee hangs up).
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let left = client.channels().await.unwrap_or_default();
        if left.is_empty() {
            break;
        }
        if Instant::now() >= deadline {
            let sample = &left[0];
            println!(
                "  NOT FINISHED: {} channels still up after 30 s, e.g. {} {} state={} dialplan={}/{}/{}",
                left.len(),
                sample.id,
                sample.name,
                sample.state,
                sample.dialplan.context,
                sample.dialplan.exten,
                sample.dialplan.priority
            );
            break;
        }
    }
    let wall = started.elapsed();
    let cpu = cpu_time().saturating_sub(cpu_before);
    let mut samples = latency.take();
    samples.sort_unstable();
    stop.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(5), engine_task).await;
    let _ = child.kill();
    let _ = child.wait();

    println!(
        "follow-me load: {CALLS} concurrent calls, 3 legs each (simulator in its own process)"
    );
    println!(
        "  calls placed in            {:>8.1} ms",
        placed_in.as_secs_f64() * 1e3
    );
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
        "  daemon peak RSS            {:>8.1} MB",
        proc_status_kb("VmHWM:") as f64 / 1024.0
    );
}
