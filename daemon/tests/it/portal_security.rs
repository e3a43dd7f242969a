//! The portal's defences as `ringside serve` runs them, over plain HTTP: whom a user's wakeup
//! calls may ring, which prompts they may name, how large a follow-me may be, what a failed
//! fax offers for download, that a password change logs out the user's other sessions, and
//! that silent or half-sent connections are closed.

use std::time::Duration;

use ringside::store::Store;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::portal_serve::{ApiSession, add_user, config, free_addr, start, start_with};

/// A guard against a test hanging when the behaviour is missing; never a speed target.
const GUARD: Duration = Duration::from_secs(10);

fn wakeup(members: &[&str]) -> Value {
    json!({
        "name": "Early",
        "prompt": "this-is-yr-wakeup-call",
        "schedule": {"kind": "weekly", "days": ["Mon"], "time": "06:30:00"},
        "time_zone": "Europe/Berlin",
        "members": members,
        "enabled": true,
    })
}

impl ApiSession {
    async fn send_json(&self, method: reqwest::Method, path: &str, body: &Value) -> (u16, Value) {
        let response = self
            .request(method, path)
            .json(body)
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn create_wakeup(&self, body: &Value) -> (u16, Value) {
        self.send_json(reqwest::Method::POST, "/api/v1/wakeups", body)
            .await
    }
}

async fn two_users(store: &Store) {
    add_user(store, "201", "alice-secret").await;
    add_user(store, "202", "bob-secret").await;
}

fn field_message<'a>(body: &'a Value, field: &str) -> &'a str {
    body["fields"]
        .as_array()
        .and_then(|f| f.iter().find(|e| e["field"] == field))
        .and_then(|e| e["message"].as_str())
        .unwrap_or_else(|| panic!("no message on {field}: {body}"))
}

// --- 2: whom a wakeup may call -----------------------------------------------------------

#[tokio::test]
async fn wakeup_without_members_calls_the_users_own_extension() {
    let dir = tempfile::tempdir().expect("tempdir");
    let daemon = start(dir.path(), two_users).await;
    let alice = ApiSession::log_in(&daemon.base, "201", "alice-secret").await;
    let (status, body) = alice.create_wakeup(&wakeup(&[])).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["members"], json!(["201"]));
    daemon.stop().await;
}

#[tokio::test]
async fn wakeup_for_another_extension_is_refused_without_the_grant() {
    let dir = tempfile::tempdir().expect("tempdir");
    let daemon = start(dir.path(), two_users).await;
    let alice = ApiSession::log_in(&daemon.base, "201", "alice-secret").await;
    let (status, body) = alice.create_wakeup(&wakeup(&["202"])).await;
    assert_eq!(status, 422, "{body}");
    assert!(field_message(&body, "members").contains("not an extension you may call"));
    let (_, list) = alice.get_json("/api/v1/wakeups").await;
    assert_eq!(list, json!([]));
    daemon.stop().await;
}

#[tokio::test]
async fn with_the_grant_other_extensions_may_be_called_but_unknown_ones_read_like_not_yours() {
    let dir = tempfile::tempdir().expect("tempdir");
    let daemon = start(dir.path(), async |store: &Store| {
        two_users(store).await;
        add_user(store, "203", "carol-secret").await;
        store.set_wake_others("201", true).await.expect("grant");
    })
    .await;
    let desk = ApiSession::log_in(&daemon.base, "201", "alice-secret").await;
    let (status, body) = desk.create_wakeup(&wakeup(&["202", "203"])).await;
    assert_eq!(status, 201, "{body}");
    let (status, unknown) = desk.create_wakeup(&wakeup(&["299"])).await;
    assert_eq!(status, 422, "{unknown}");
    let carol = ApiSession::log_in(&daemon.base, "203", "carol-secret").await;
    let (_, not_yours) = carol.create_wakeup(&wakeup(&["298"])).await;
    assert_eq!(
        field_message(&unknown, "members").replace("299", "N"),
        field_message(&not_yours, "members").replace("298", "N")
    );
    daemon.stop().await;
}

#[tokio::test]
async fn the_same_extension_twice_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let daemon = start(dir.path(), two_users).await;
    let alice = ApiSession::log_in(&daemon.base, "201", "alice-secret").await;
    let (status, body) = alice.create_wakeup(&wakeup(&["201", "201"])).await;
    assert_eq!(status, 422, "{body}");
    assert!(field_message(&body, "members").contains("twice"));
    daemon.stop().await;
}

#[tokio::test]
async fn wakeups_past_the_per_user_cap_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cfg = config(dir.path(), free_addr());
    cfg.portal.wakeups_per_user = 2;
    let daemon = start_with(cfg, two_users).await;
    let alice = ApiSession::log_in(&daemon.base, "201", "alice-secret").await;
    for _ in 0..2 {
        assert_eq!(alice.create_wakeup(&wakeup(&[])).await.0, 201);
    }
    let (status, body) = alice.create_wakeup(&wakeup(&[])).await;
    assert_eq!(status, 422, "{body}");
    let (_, list) = alice.get_json("/api/v1/wakeups").await;
    assert_eq!(list.as_array().map(Vec::len), Some(2));
    daemon.stop().await;
}

// --- 3 and 14: prompts and names ---------------------------------------------------------

#[tokio::test]
async fn a_prompt_given_as_a_path_is_refused_even_when_the_file_exists() {
    let dir = tempfile::tempdir().expect("tempdir");
    let daemon = start(dir.path(), two_users).await;
    let secret = dir.path().join("someone-elses-message");
    std::fs::write(secret.with_extension("wav"), b"RIFF").expect("write");
    let alice = ApiSession::log_in(&daemon.base, "201", "alice-secret").await;
    let mut spec = wakeup(&[]);
    spec["prompt"] = json!(secret.to_str().expect("utf-8 path"));
    let (status, body) = alice.create_wakeup(&spec).await;
    assert_eq!(status, 422, "{body}");
    field_message(&body, "prompt");
    daemon.stop().await;
}

#[tokio::test]
async fn a_wakeup_name_with_control_characters_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let daemon = start(dir.path(), two_users).await;
    let alice = ApiSession::log_in(&daemon.base, "201", "alice-secret").await;
    for name in ["Early\u{0}", "Early\u{1b}[2J", "Early\r\nSecond line"] {
        let mut spec = wakeup(&[]);
        spec["name"] = json!(name);
        let (status, body) = alice.create_wakeup(&spec).await;
        assert_eq!(status, 422, "{name:?}: {body}");
        field_message(&body, "name");
    }
    daemon.stop().await;
}

// --- 7: follow-me size -------------------------------------------------------------------

fn followme(steps: Vec<(Vec<String>, u32)>) -> Value {
    json!({
        "enabled": true,
        "initial_ring_secs": 10,
        "steps": steps.into_iter().map(|(numbers, ring)| json!({"numbers": numbers, "ring_secs": ring})).collect::<Vec<_>>(),
        "confirm": false,
        "moh": "",
        "caller_id": "caller",
    })
}

#[tokio::test]
async fn followme_past_the_size_limits_is_refused_on_the_fields() {
    let dir = tempfile::tempdir().expect("tempdir");
    let daemon = start(dir.path(), two_users).await;
    let alice = ApiSession::log_in(&daemon.base, "201", "alice-secret").await;
    let wide = (0..11).map(|n| format!("20{n:02}")).collect();
    let (status, body) = alice
        .send_json(
            reqwest::Method::PUT,
            "/api/v1/followme",
            &followme(vec![(wide, 20)]),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    field_message(&body, "steps[0].numbers");
    let long = (0..11).map(|_| (vec!["2002".to_owned()], 300)).collect();
    let (status, body) = alice
        .send_json(reqwest::Method::PUT, "/api/v1/followme", &followme(long))
        .await;
    assert_eq!(status, 422, "{body}");
    field_message(&body, "steps");
    let (_, stored) = alice.get_json("/api/v1/followme").await;
    assert_eq!(stored["steps"], json!([]));
    daemon.stop().await;
}

// --- 9: password change ------------------------------------------------------------------

#[tokio::test]
async fn a_password_change_logs_out_the_users_other_sessions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let daemon = start(dir.path(), two_users).await;
    let here = ApiSession::log_in(&daemon.base, "201", "alice-secret").await;
    let elsewhere = ApiSession::log_in(&daemon.base, "201", "alice-secret").await;
    let change = json!({"old_password": "alice-secret", "new_password": "alice-new-secret"});
    let (status, body) = here
        .send_json(reqwest::Method::PUT, "/api/v1/profile/password", &change)
        .await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(here.get_json("/api/v1/session").await.0, 200);
    assert_eq!(elsewhere.get_json("/api/v1/session").await.0, 401);
    daemon.stop().await;
}

// --- 12: a fax whose document cannot become fax pages ------------------------------------

/// A one-page PDF whose page is 200 inches square: readable, but too large for fax pages.
fn huge_page_pdf() -> Vec<u8> {
    crate::common::fax_fixtures::pdf_of(&[
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 14400 14400] /Contents 4 0 R >>",
        "<< /Length 0 >>\nstream\n\nendstream",
    ])
}

#[tokio::test]
async fn tiff_of_a_fax_whose_pages_cannot_be_made_is_a_clear_409() {
    let dir = tempfile::tempdir().expect("tempdir");
    let daemon = start(dir.path(), two_users).await;
    let alice = ApiSession::log_in(&daemon.base, "201", "alice-secret").await;
    let response = alice
        .request(
            reqwest::Method::POST,
            "/api/v1/fax/jobs?number=0301234&file_name=poster.pdf",
        )
        .header("content-type", "application/pdf")
        .body(huge_page_pdf())
        .send()
        .await
        .expect("POST fax");
    let status = response.status().as_u16();
    let job: Value = response.json().await.expect("json");
    assert_eq!(status, 201, "{job}");
    let (status, body) = alice
        .get_json(&format!("/api/v1/fax/jobs/{}/document/tiff", job["id"]))
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("could not be converted")),
        "{body}"
    );
    daemon.stop().await;
}

// --- 11: connection timeouts -------------------------------------------------------------

#[tokio::test]
async fn a_connection_that_never_finishes_its_headers_is_closed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cfg = config(dir.path(), free_addr());
    cfg.portal.header_read_timeout_secs = 1;
    let daemon = start_with(cfg, two_users).await;
    let addr = daemon.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    stream
        .write_all(b"GET /login HTTP/1.1\r\nHost: portal\r\n")
        .await
        .expect("half a request");
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(GUARD, stream.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "the server kept the half-sent request open");
    daemon.stop().await;
}

#[tokio::test]
async fn a_connection_that_goes_silent_mid_body_is_closed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cfg = config(dir.path(), free_addr());
    cfg.portal.idle_timeout_secs = 1;
    let daemon = start_with(cfg, two_users).await;
    let addr = daemon.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    stream
        .write_all(
            b"POST /api/v1/session HTTP/1.1\r\nHost: portal\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"ext",
        )
        .await
        .expect("half a body");
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(GUARD, stream.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "the server kept the half-sent body open");
    daemon.stop().await;
}
