//! `ringside serve` under a service manager: readiness sent over `NOTIFY_SOCKET` once the
//! portal answers, `SIGHUP` reporting what a restart would change, JSON log lines, and the
//! Grafana dashboard querying only metrics the daemon exposes.

use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::ops_metrics::{Served, get, get_when_up, scrape};

fn hangup(pid: u32) {
    let status = Command::new("kill")
        .arg("-HUP")
        .arg(pid.to_string())
        .status()
        .expect("kill runs");
    assert!(status.success());
}

/// `serve` started with a configuration file of its own (one fax setting) and answering; the
/// file's path, to change it.
async fn serving_with_config(dir: &Path) -> (Served, PathBuf) {
    let config = dir.join("ringside.toml");
    std::fs::write(&config, "[fax]\nretries = 3\n").expect("config");
    let served = Served::start(
        dir,
        "http://127.0.0.1:9/ari",
        &[("RINGSIDE_CONFIG", config.to_str().expect("utf-8 path"))],
    );
    scrape(served.metrics).await;
    (served, config)
}

#[tokio::test(flavor = "multi_thread")]
async fn ready_is_notified_once_the_portal_answers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let socket_path = dir.path().join("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).expect("bind notify socket");
    socket
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    let served = Served::start(
        dir.path(),
        "http://127.0.0.1:9/ari",
        &[("NOTIFY_SOCKET", socket_path.to_str().expect("utf-8 path"))],
    );
    let mut buf = [0u8; 512];
    let n = socket.recv(&mut buf).expect("a notification arrives");
    // Asked at once: the portal must already be serving when readiness is announced.
    let portal = std::net::TcpStream::connect(served.portal);
    let message = String::from_utf8_lossy(&buf[..n]).into_owned();
    assert!(message.lines().any(|l| l == "READY=1"), "{message:?}");
    assert!(portal.is_ok(), "portal not listening when READY=1 was sent");
    let (status, _) = get(served.portal, "/healthz")
        .await
        .expect("portal answers");
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn sighup_names_the_changed_sections_and_asks_for_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (served, config) = serving_with_config(dir.path()).await;
    std::fs::write(&config, "[fax]\nretries = 5\n").expect("config changed");
    hangup(served.pid());
    let line = served.wait_for_line(&["SIGHUP", "restart"]);
    assert!(line.contains("fax"), "{line}");
}

#[tokio::test(flavor = "multi_thread")]
async fn sighup_with_an_unchanged_config_says_nothing_to_reload() {
    let dir = tempfile::tempdir().expect("tempdir");
    let served = Served::start(dir.path(), "http://127.0.0.1:9/ari", &[]);
    scrape(served.metrics).await;
    hangup(served.pid());
    served.wait_for_line(&["SIGHUP", "unchanged"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn sighup_with_a_broken_config_keeps_running_and_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (served, config) = serving_with_config(dir.path()).await;
    std::fs::write(&config, "[fax\n").expect("config broken");
    hangup(served.pid());
    served.wait_for_line(&["SIGHUP", "not valid"]);
    let (status, _) = get_when_up(served.portal, "/healthz").await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn json_log_format_writes_one_json_object_per_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let served = Served::start(
        dir.path(),
        "http://127.0.0.1:9/ari",
        &[("RINGSIDE_LOG_FORMAT", "json")],
    );
    scrape(served.metrics).await;
    let line = served.wait_for_line(&["wakeup scheduler started"]);
    let mut lines = vec![line];
    lines.extend(served.log_lines());
    for line in &lines {
        let value: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(value["level"].is_string(), "{line}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn grafana_dashboard_queries_only_metrics_the_daemon_exposes() {
    let dashboard: serde_json::Value =
        serde_json::from_str(include_str!("../../../ops/grafana/ringside.json"))
            .expect("dashboard is JSON");
    let mut exprs = Vec::new();
    collect_exprs(&dashboard, &mut exprs);
    let mut used: Vec<String> = exprs.iter().flat_map(|e| metric_names(e)).collect();
    used.sort();
    used.dedup();
    assert!(used.len() >= 10, "dashboard queries too little: {used:?}");

    let dir = tempfile::tempdir().expect("tempdir");
    let served = Served::start(dir.path(), "http://127.0.0.1:9/ari", &[]);
    let exposition = scrape(served.metrics).await;
    let exposed: Vec<&str> = exposition
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split(['{', ' ']).next())
        .collect();
    let missing: Vec<&String> = used
        .iter()
        .filter(|name| !exposed.contains(&name.as_str()))
        .collect();
    assert!(missing.is_empty(), "not exposed: {missing:?}\n{exposition}");
}

fn collect_exprs(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("expr" | "query", serde_json::Value::String(s)) => out.push(s.clone()),
                    _ => collect_exprs(v, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_exprs(v, out)),
        _ => {}
    }
}

/// Every `ringside_…` identifier in a PromQL expression.
fn metric_names(expr: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = expr;
    while let Some(at) = rest.find("ringside_") {
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        names.push(tail[..end].to_owned());
        rest = &tail[end..];
    }
    names
}
