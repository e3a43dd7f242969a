//! `ringside serve` with `[metrics] listen` set, as an operator scrapes it: the exposition of
//! the running process, its values changing after real requests and calls, and the health
//! answers on the metrics listener and the portal.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use ringside::ari::simulator::Simulator;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};

use crate::portal_serve::free_addr;

const WAIT: Duration = Duration::from_secs(20);

/// A `ringside serve` process with metrics on, killed when dropped.
pub(crate) struct Served {
    child: Child,
    lines: mpsc::Receiver<String>,
    pub(crate) metrics: SocketAddr,
    pub(crate) portal: SocketAddr,
    pub(crate) agi: SocketAddr,
}

impl Served {
    pub(crate) fn start(data_dir: &std::path::Path, ari_url: &str, extra: &[(&str, &str)]) -> Self {
        let (metrics, portal, agi) = (free_addr(), free_addr(), free_addr());
        let mut command = Command::new(env!("CARGO_BIN_EXE_ringside"));
        command
            .arg("serve")
            .env("RINGSIDE_DATA_DIR", data_dir)
            .env("RINGSIDE_ARI_URL", ari_url)
            .env("RINGSIDE_AGI_LISTEN", agi.to_string())
            .env("RINGSIDE_PORTAL_LISTEN", portal.to_string())
            .env("RINGSIDE_METRICS_LISTEN", metrics.to_string())
            .env("RINGSIDE_VOICEMAIL_SPOOL_DIR", data_dir.join("voicemail"))
            .env("RUST_LOG", "info")
            .stderr(Stdio::piped())
            .stdout(Stdio::null());
        for (key, value) in extra {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("ringside starts");
        let stderr = child.stderr.take().expect("stderr piped");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Self {
            child,
            lines,
            metrics,
            portal,
            agi,
        }
    }

    /// Every log line written so far.
    pub(crate) fn log_lines(&self) -> Vec<String> {
        self.lines.try_iter().collect()
    }

    /// Waits for a log line containing every one of `needles`.
    pub(crate) fn wait_for_line(&self, needles: &[&str]) -> String {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            if let Ok(line) = self.lines.recv_timeout(Duration::from_millis(100)) {
                if needles.iter().all(|n| line.contains(n)) {
                    return line;
                }
            }
        }
        panic!("no log line containing {needles:?}");
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) async fn get(addr: SocketAddr, path: &str) -> Option<(u16, String)> {
    let response = reqwest::get(format!("http://{addr}{path}")).await.ok()?;
    let status = response.status().as_u16();
    Some((status, response.text().await.ok()?))
}

/// `get`, tried again while nothing listens at `addr` yet (the metrics listener may answer
/// before the portal does).
pub(crate) async fn get_when_up(addr: SocketAddr, path: &str) -> (u16, String) {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(answer) = get(addr, path).await {
            return answer;
        }
        assert!(
            Instant::now() < deadline,
            "nothing answered at {addr}{path}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub(crate) async fn scrape(addr: SocketAddr) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some((200, body)) = get(addr, "/metrics").await {
            return body;
        }
        assert!(Instant::now() < deadline, "metrics listener never answered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The value of the series `name` whose labels include every `label="value"` given.
pub(crate) fn value(exposition: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    exposition.lines().find_map(|line| {
        let rest = line.strip_prefix(name)?;
        let (label_part, number) = match rest.strip_prefix('{') {
            Some(rest) => {
                let (labels, number) = rest.split_once("} ")?;
                (labels, number)
            }
            None => ("", rest.strip_prefix(' ')?),
        };
        let all = labels
            .iter()
            .all(|(k, v)| label_part.split(',').any(|l| l == format!("{k}=\"{v}\"")));
        if all {
            number.trim().parse().ok()
        } else {
            None
        }
    })
}

/// Scrapes until `name{labels}` has `want`, or fails with the last exposition.
async fn wait_for_value(addr: SocketAddr, name: &str, labels: &[(&str, &str)], want: f64) {
    let deadline = Instant::now() + WAIT;
    loop {
        let body = scrape(addr).await;
        if value(&body, name, labels) == Some(want) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{name}{labels:?} never became {want}:\n{body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn ari_connected_gauge_is_one_while_the_simulator_is_up() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sim = Simulator::start_default().await.expect("sim");
    let served = Served::start(dir.path(), &sim.base_url(), &[]);
    assert!(sim.wait_connected("ringside", WAIT).await, "serve connects");
    wait_for_value(served.metrics, "ringside_ari_connected", &[], 1.0).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ari_connected_gauge_is_zero_without_asterisk() {
    let dir = tempfile::tempdir().expect("tempdir");
    let served = Served::start(dir.path(), "http://127.0.0.1:9/ari", &[]);
    let body = scrape(served.metrics).await;
    assert_eq!(
        value(&body, "ringside_ari_connected", &[]),
        Some(0.0),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn portal_request_is_counted_under_its_route_template_not_its_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let served = Served::start(dir.path(), "http://127.0.0.1:9/ari", &[]);
    scrape(served.metrics).await;
    let (status, _) = get_when_up(served.portal, "/api/v1/wakeups/987654").await;
    assert_eq!(status, 401);
    let labels = [
        ("route", "/api/v1/wakeups/{id}"),
        ("method", "GET"),
        ("status", "401"),
    ];
    wait_for_value(
        served.metrics,
        "ringside_portal_requests_total",
        &labels,
        1.0,
    )
    .await;
    let body = scrape(served.metrics).await;
    assert!(
        !body.contains("987654"),
        "raw path leaked into labels:\n{body}"
    );
    assert_eq!(
        value(
            &body,
            "ringside_portal_request_seconds_count",
            &[("route", "/api/v1/wakeups/{id}")]
        ),
        Some(1.0),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_portal_paths_share_one_unmatched_label() {
    let dir = tempfile::tempdir().expect("tempdir");
    let served = Served::start(dir.path(), "http://127.0.0.1:9/ari", &[]);
    scrape(served.metrics).await;
    for path in ["/no/such/page-a1", "/no/such/page-b2"] {
        get_when_up(served.portal, path).await;
    }
    wait_for_value(
        served.metrics,
        "ringside_portal_requests_total",
        &[("route", "unmatched"), ("status", "404")],
        2.0,
    )
    .await;
    let body = scrape(served.metrics).await;
    assert!(!body.contains("page-a1"), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn fastagi_session_is_counted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let served = Served::start(dir.path(), "http://127.0.0.1:9/ari", &[]);
    let before = scrape(served.metrics).await;
    assert_eq!(
        value(&before, "ringside_fastagi_sessions_total", &[]),
        Some(0.0)
    );
    let stream = tokio::net::TcpStream::connect(served.agi)
        .await
        .expect("FastAGI listens");
    let (read, mut write) = stream.into_split();
    write
        .write_all(
            b"agi_network: yes\nagi_network_script: greeting\nagi_request: agi://127.0.0.1/greeting\nagi_channel: Local/1001@x-1;2\nagi_arg_1: 1001\nagi_arg_2: busy\n\n",
        )
        .await
        .expect("header sent");
    let mut lines = tokio::io::BufReader::new(read).lines();
    while let Ok(Ok(Some(line))) =
        tokio::time::timeout(Duration::from_secs(5), lines.next_line()).await
    {
        write.write_all(b"200 result=1\n").await.expect("reply");
        if line.contains("RINGSIDE_GREETING_STATUS") {
            break;
        }
    }
    drop(write);
    wait_for_value(served.metrics, "ringside_fastagi_sessions_total", &[], 1.0).await;
    wait_for_value(served.metrics, "ringside_fastagi_sessions_active", &[], 0.0).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn healthz_answers_on_the_metrics_listener_and_the_portal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let served = Served::start(dir.path(), "http://127.0.0.1:9/ari", &[]);
    scrape(served.metrics).await;
    for addr in [served.metrics, served.portal] {
        let (status, body) = get_when_up(addr, "/healthz").await;
        assert_eq!((status, body.trim()), (200, "ok"), "{addr}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn readyz_is_ready_with_the_database_and_reports_ari_without_requiring_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let served = Served::start(dir.path(), "http://127.0.0.1:9/ari", &[]);
    scrape(served.metrics).await;
    for addr in [served.metrics, served.portal] {
        let (status, body) = get_when_up(addr, "/readyz").await;
        assert_eq!(status, 200, "{addr}: {body}");
        let body: serde_json::Value = serde_json::from_str(&body).expect("JSON");
        assert_eq!(body["database"], "ok");
        assert_eq!(body["ready"], true);
        assert_ne!(body["ari"], "connected");
    }
}
