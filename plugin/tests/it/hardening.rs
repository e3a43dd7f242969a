//! What an outsider's test of the portal found, each as the behaviour that now holds: bounded
//! password checking, login throttling that cannot be raced or turned against others, CSRF on
//! every state-changing request whatever its body, bounded multipart forms, password changes
//! that count as guesses and end other sessions, and JSON errors throughout the API.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode, header};
use ringside_portal::PortalSettings;
use ringside_portal::model::GreetingSlot;

use crate::common::*;

/// A guard against a test hanging when the behaviour is missing; never a speed target.
const GUARD: Duration = Duration::from_secs(10);

fn from(ip: [u8; 4], mut request: Request<Body>) -> Request<Body> {
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::from((ip, 40000))));
    request
}

fn login_request(extension: &str, password: &str) -> Request<Body> {
    let body = serde_json::json!({ "extension": extension, "password": password });
    Request::post("/api/v1/session")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .expect("request")
}

/// The i-th client address of a documentation network, never the default test client's.
fn address(i: usize) -> [u8; 4] {
    [198, 51, 100, (i % 250) as u8 + 1]
}

/// Sends each request on its own task; answers arrive on the returned channel as they come.
fn send_all(
    app: &Arc<TestApp>,
    requests: Vec<Request<Body>>,
) -> tokio::sync::mpsc::UnboundedReceiver<Answer> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    for request in requests {
        let (app, tx) = (app.clone(), tx.clone());
        tokio::spawn(async move {
            let _ = tx.send(app.send(request).await);
        });
    }
    rx
}

async fn next(rx: &mut tokio::sync::mpsc::UnboundedReceiver<Answer>) -> Answer {
    tokio::time::timeout(GUARD, rx.recv())
        .await
        .expect("an answer comes")
        .expect("sender alive")
}

// --- 1: bounded password checking --------------------------------------------------------

#[tokio::test]
async fn a_login_beyond_the_password_check_bound_is_answered_503_with_retry_after() {
    let app = Arc::new(TestApp::with_settings(PortalSettings {
        password_checks_at_once: 1,
        password_check_wait: Duration::from_millis(50),
        ..PortalSettings::default()
    }));
    app.backend.hold_checks.store(true, Ordering::SeqCst);
    let mut first = send_all(&app, vec![from(address(1), login_request("201", "guess"))]);
    tokio::time::timeout(GUARD, app.backend.check_started.notified())
        .await
        .expect("first check starts");
    let second = app
        .send(from(address(2), login_request("202", "bob-pw")))
        .await;
    assert_eq!(second.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(second.json()["error"], "busy");
    assert!(
        second
            .header("retry-after")
            .parse::<u64>()
            .expect("seconds")
            > 0
    );
    app.backend.release(1);
    assert_eq!(next(&mut first).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.backend.password_checks.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn no_more_password_checks_run_at_once_than_the_bound() {
    let app = Arc::new(TestApp::with_settings(PortalSettings {
        password_checks_at_once: 2,
        password_check_wait: GUARD,
        ..PortalSettings::default()
    }));
    app.backend.hold_checks.store(true, Ordering::SeqCst);
    let requests = (0..8)
        .map(|i| from(address(i), login_request(&format!("30{i}"), "guess")))
        .collect();
    let mut answers = send_all(&app, requests);
    for _ in 0..2 {
        tokio::time::timeout(GUARD, app.backend.check_started.notified())
            .await
            .expect("a check starts");
    }
    app.backend.release(8);
    for _ in 0..8 {
        assert_eq!(next(&mut answers).await.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(app.backend.password_checks.load(Ordering::SeqCst), 8);
    assert_eq!(app.backend.most_checks_at_once.load(Ordering::SeqCst), 2);
}

// --- 5 and 10: login throttling ----------------------------------------------------------

#[tokio::test]
async fn parallel_guesses_get_no_more_password_checks_than_the_free_attempts() {
    let app = Arc::new(TestApp::new());
    let free = PortalSettings::default().login_failures_per_user as usize;
    app.backend.hold_checks.store(true, Ordering::SeqCst);
    let requests = (0..20).map(|_| login_request("201", "guess")).collect();
    let mut answers = send_all(&app, requests);
    for _ in 0..20 - free {
        assert_eq!(
            next(&mut answers).await.status,
            StatusCode::TOO_MANY_REQUESTS
        );
    }
    app.backend.release(20);
    for _ in 0..free {
        assert_eq!(next(&mut answers).await.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(app.backend.password_checks.load(Ordering::SeqCst), free);
}

#[tokio::test]
async fn guesses_from_a_stranger_elsewhere_do_not_stop_the_user_logging_in() {
    let app = TestApp::new();
    for _ in 0..10 {
        app.send(from(address(7), login_request("201", "guess")))
            .await;
    }
    assert_eq!(
        app.api_login("201", "alice-pw").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_spray_from_the_admins_own_address_does_not_lock_the_admin_out() {
    let app = TestApp::new();
    for i in 0..30 {
        app.api_login(&format!("7{i:03}"), "guess").await;
    }
    assert_eq!(
        app.api_login("202", "bob-pw").await.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the spraying address is slowed for ordinary logins"
    );
    assert_eq!(app.api_login("900", "root-pw").await.status, StatusCode::OK);
}

// --- 8 and 9: password changes -----------------------------------------------------------

async fn change_password(app: &TestApp, client: &Client, old: &str, new: &str) -> Answer {
    app.put_json(
        "/api/v1/profile/password",
        client,
        serde_json::json!({ "old_password": old, "new_password": new }),
    )
    .await
}

#[tokio::test]
async fn wrong_old_passwords_are_throttled_like_failed_logins() {
    let (app, alice) = TestApp::with_alice().await;
    let free = PortalSettings::default().login_failures_per_user;
    for _ in 0..free {
        let answer = change_password(&app, &alice, "guess", "new-password-1").await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN);
    }
    let answer = change_password(&app, &alice, "alice-pw", "new-password-1").await;
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(app.backend.lock().accounts["201"].password, "alice-pw");
}

#[tokio::test]
async fn a_password_change_ends_the_users_other_sessions_but_not_this_one() {
    let (app, here) = TestApp::with_alice().await;
    let elsewhere = app.alice().await;
    let bob = app.login("202", "bob-pw").await;
    let answer = change_password(&app, &here, "alice-pw", "new-password-1").await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/api/v1/session", &here).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.get("/api/v1/session", &elsewhere).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get("/api/v1/session", &bob).await.status,
        StatusCode::OK
    );
}

// --- 4: CSRF whatever the body -----------------------------------------------------------

fn multipart_without_token(path: &str, method: Method, client: &Client) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(path)
        .header(header::COOKIE, &client.cookie)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Body::from(multipart_body(&[Part::Text("x", "y")])))
        .expect("request")
}

#[tokio::test]
async fn multipart_post_without_the_token_does_not_delete_a_wakeup() {
    let (app, alice) = TestApp::with_alice().await;
    let answer = app
        .send(multipart_without_token(
            "/wakeups/1/delete",
            Method::POST,
            &alice,
        ))
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(app.backend.lock().wakeups.contains_key(&1));
}

#[tokio::test]
async fn multipart_post_without_the_token_does_not_delete_a_greeting() {
    let app = TestApp::new();
    let bob = app.login("202", "bob-pw").await;
    let answer = app
        .send(multipart_without_token(
            "/greetings/busy/delete",
            Method::POST,
            &bob,
        ))
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(app.has_greeting("202", GreetingSlot::Busy));
}

#[tokio::test]
async fn multipart_post_without_the_token_does_not_log_out() {
    let (app, alice) = TestApp::with_alice().await;
    let answer = app
        .send(multipart_without_token("/logout", Method::POST, &alice))
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.get("/api/v1/session", &alice).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn api_delete_sent_as_multipart_without_the_header_is_refused() {
    let (app, alice) = TestApp::with_alice().await;
    let answer = app
        .send(multipart_without_token(
            "/api/v1/wakeups/1",
            Method::DELETE,
            &alice,
        ))
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(answer.json()["error"], "csrf");
    assert!(app.backend.lock().wakeups.contains_key(&1));
}

#[tokio::test]
async fn multipart_post_with_the_token_first_is_accepted_by_any_handler() {
    let (app, alice) = TestApp::with_alice().await;
    let answer = app
        .post_multipart(
            "/wakeups/1/delete",
            &alice,
            &[Part::Text("csrf_token", &alice.csrf), Part::Text("x", "y")],
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert!(!app.backend.lock().wakeups.contains_key(&1));
}

#[tokio::test]
async fn upload_with_the_token_first_still_reaches_its_handler_whole() {
    let (app, alice) = TestApp::with_alice().await;
    let mut audio = WAV.to_vec();
    audio.resize(200_000, 7);
    let answer = app
        .upload_greeting(&alice, "temp", "g.wav", "audio/wav", &audio)
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let stored = app.backend.lock().greetings[&("201".into(), GreetingSlot::Temp)].clone();
    assert_eq!(stored.len(), audio.len());
}

// --- 6: bounded multipart text fields ----------------------------------------------------

#[tokio::test]
async fn a_form_with_too_many_text_fields_is_refused_and_stores_nothing() {
    let (app, alice) = TestApp::with_alice().await;
    let names: Vec<String> = (0..100).map(|i| format!("f{i}")).collect();
    let mut parts = vec![Part::Text("csrf_token", &alice.csrf)];
    parts.extend(names.iter().map(|n| Part::Text(n, "v")));
    parts.push(Part::file("audio", "g.wav", "audio/wav", WAV));
    let answer = app.post_multipart("/greetings/temp", &alice, &parts).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.body.contains("too many fields"), "{}", answer.body);
    assert!(!app.has_greeting("201", GreetingSlot::Temp));
}

#[tokio::test]
async fn text_fields_past_their_total_size_are_refused() {
    let (app, alice) = TestApp::with_alice().await;
    let value = "v".repeat(4000);
    let names: Vec<String> = (0..20).map(|i| format!("f{i}")).collect();
    let mut parts = vec![Part::Text("csrf_token", &alice.csrf)];
    parts.extend(names.iter().map(|n| Part::Text(n, &value)));
    let answer = app.post_multipart("/greetings/temp", &alice, &parts).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
}

// --- 14: JSON errors on the API ----------------------------------------------------------

#[tokio::test]
async fn api_query_that_does_not_parse_is_answered_in_the_json_error_format() {
    let (app, root) = TestApp::with_admin().await;
    let answer = app.get("/api/v1/admin/users?page=first", &root).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(
        answer
            .header("content-type")
            .starts_with("application/json")
    );
    assert_eq!(answer.json()["error"], "bad_request");
}

#[tokio::test]
async fn api_method_a_path_does_not_have_is_answered_in_the_json_error_format() {
    let (app, alice) = TestApp::with_alice().await;
    let answer = app
        .json(
            Method::PATCH,
            "/api/v1/followme",
            &alice,
            serde_json::json!({}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(answer.json()["error"], "method_not_allowed");
}

// --- 2: the grant for wakeup calls to other extensions ------------------------------------

#[tokio::test]
async fn admin_grants_wakeup_calls_for_other_extensions_on_the_user_page() {
    let (app, root) = TestApp::with_admin().await;
    let fields = user_form(&[
        ("name", "Alice"),
        ("email", "alice@example.org"),
        ("portal_enabled", "on"),
        ("wakeup_others", "on"),
    ]);
    let answer = app.post_form("/admin/users/201", &root, &fields).await;
    assert!(answer.status.is_success() || answer.status.is_redirection());
    assert!(app.user("201").wakeup_others);
    let page = app.get("/admin/users/201", &root).await;
    assert!(
        page.body
            .contains("id=\"wakeup_others\" name=\"wakeup_others\" checked")
    );
}

#[tokio::test]
async fn api_user_update_without_the_grant_field_keeps_the_grant() {
    let app = TestApp::new();
    app.edit_user("201", |u| u.wakeup_others = true);
    let root = app.admin().await;
    let user = app.get("/api/v1/admin/users/201", &root).await.json();
    let mut update = serde_json::json!({
        "name": "Alice B", "email": user["email"], "is_admin": false,
        "portal_enabled": true, "disabled": false, "access": user["access"],
    });
    let answer = app
        .put_json("/api/v1/admin/users/201", &root, update.take())
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.json()["wakeup_others"], true);
}
