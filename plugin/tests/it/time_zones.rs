//! Each user's own time zone: set in the profile, by the administrator and by CSV import, and
//! every time the portal shows read on that zone's wall clock with its abbreviation.

use crate::common;

use axum::http::StatusCode;
use chrono::{TimeZone, Utc};
use common::*;
use ringside_portal::model::{WakeupAttempt, WakeupOutcome};
use serde_json::json;

/// Alice (201), whose zone is Berlin, logged in.
async fn alice_in_berlin() -> (TestApp, Client) {
    let app = TestApp::new();
    app.edit_user("201", |u| u.time_zone = "Europe/Berlin".into());
    let alice = app.alice().await;
    (app, alice)
}

/// Wakeup 1 (Alice's) next due at 05:30 UTC on 24 December.
fn wakeup_1_due_on_christmas_eve(app: &TestApp) {
    let at = Utc.with_ymd_and_hms(2026, 12, 24, 5, 30, 0).single();
    app.backend
        .lock()
        .wakeups
        .get_mut(&1)
        .expect("wakeup 1")
        .next_due = at;
}

#[tokio::test]
async fn fax_list_shows_times_in_the_users_zone_with_its_abbreviation() {
    let (app, alice) = alice_in_berlin().await;
    let page = app.get("/fax", &alice).await;
    // Fax job 1 was made at 08:00 UTC on 23 November.
    assert!(page.body.contains("2026-11-23 09:00 CET"), "{}", page.body);
    assert!(!page.body.contains("08:00 UTC"), "{}", page.body);
}

#[tokio::test]
async fn wakeup_next_call_is_shown_in_the_users_zone() {
    let (app, alice) = alice_in_berlin().await;
    wakeup_1_due_on_christmas_eve(&app);
    let page = app.get("/wakeups", &alice).await;
    assert!(page.body.contains("2026-12-24 06:30 CET"), "{}", page.body);
}

#[tokio::test]
async fn wakeup_history_is_shown_in_the_users_zone() {
    let (app, alice) = alice_in_berlin().await;
    app.backend.lock().attempts.insert(
        1,
        vec![WakeupAttempt {
            at: Utc
                .with_ymd_and_hms(2026, 7, 1, 4, 0, 0)
                .single()
                .expect("time"),
            member: "201".into(),
            outcome: WakeupOutcome::Answered,
            detail: String::new(),
        }],
    );
    let page = app.get("/wakeups/1", &alice).await;
    assert!(page.body.contains("2026-07-01 06:00 CEST"), "{}", page.body);
}

#[tokio::test]
async fn call_history_is_shown_in_the_users_zone_unless_the_query_names_one() {
    let (app, alice) = alice_in_berlin().await;
    // Call 1.1 started at 10:00 UTC on 1 December.
    let own = app.get("/calls", &alice).await;
    assert!(own.body.contains("2026-12-01 11:00 CET"), "{}", own.body);
    let london = app.get("/calls?tz=Europe/London", &alice).await;
    assert!(
        london.body.contains("2026-12-01 10:00 GMT"),
        "{}",
        london.body
    );
}

#[tokio::test]
async fn profile_time_zone_form_saves_the_zone_in_its_canonical_spelling() {
    let (app, alice) = TestApp::with_alice().await;
    let answer = app
        .post_form("/profile/time-zone", &alice, &[("time_zone", "asia/tokyo")])
        .await;
    assert_eq!(answer.header("location"), "/profile?done=time_zone");
    assert_eq!(app.user("201").time_zone, "Asia/Tokyo");
}

#[tokio::test]
async fn profile_time_zone_form_shows_an_unknown_zone_next_to_the_field() {
    let (app, alice) = TestApp::with_alice().await;
    let answer = app
        .post_form(
            "/profile/time-zone",
            &alice,
            &[("time_zone", "Mars/Olympus")],
        )
        .await;
    assert_field_error_shown(&answer, "time_zone");
    assert!(
        answer.body.contains("value=\"Mars/Olympus\""),
        "{}",
        answer.body
    );
}

#[tokio::test]
async fn read_only_profile_may_not_change_the_time_zone() {
    let app = TestApp::new();
    let carol = app.login("203", "carol-pw").await;
    let answer = app
        .post_form("/profile/time-zone", &carol, &[("time_zone", "Asia/Tokyo")])
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(app.user("203").time_zone, "UTC");
}

#[tokio::test]
async fn api_sets_the_own_time_zone_and_shows_it_in_the_profile() {
    let (app, alice) = TestApp::with_alice().await;
    let answer = app
        .put_json(
            "/api/v1/profile/time-zone",
            &alice,
            json!({"time_zone": "Europe/Berlin"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT);
    let profile = app.get("/api/v1/profile", &alice).await.json();
    assert_eq!(profile["time_zone"], "Europe/Berlin");
}

#[tokio::test]
async fn api_refuses_an_unknown_time_zone_naming_the_field() {
    let (app, alice) = TestApp::with_alice().await;
    let answer = app
        .put_json(
            "/api/v1/profile/time-zone",
            &alice,
            json!({"time_zone": "Mars/Olympus"}),
        )
        .await;
    assert_field_error(&answer, "time_zone");
}

#[tokio::test]
async fn new_wakeup_form_starts_in_the_users_zone() {
    let (app, alice) = alice_in_berlin().await;
    let page = app.get("/wakeups/new", &alice).await;
    assert!(
        page.body
            .contains("name=\"time_zone\" value=\"Europe/Berlin\""),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn api_wakeup_without_a_zone_is_created_in_the_users_zone() {
    let (app, alice) = alice_in_berlin().await;
    let answer = app
        .post_json(
            "/api/v1/wakeups",
            &alice,
            json!({
                "name": "Early",
                "prompt": "wakeup-call",
                "schedule": {"kind": "once", "date": "2026-12-24", "time": "06:30:00"},
                "members": ["201"],
                "enabled": true
            }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    assert_eq!(answer.json()["time_zone"], "Europe/Berlin");
}

#[tokio::test]
async fn administrator_sets_a_users_time_zone() {
    let (app, admin) = TestApp::with_admin().await;
    let answer = app
        .put_json(
            "/api/v1/admin/users/202",
            &admin,
            json!({
                "name": "Bob", "email": "bob@example.org", "is_admin": false,
                "portal_enabled": true, "disabled": false,
                "access": {"profile": "write", "followme": "write", "greetings": "write",
                    "wakeup": "write", "fax": "write", "voicemail": "write",
                    "call_handling": "write", "calls": "write"},
                "time_zone": "America/New_York"
            }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.json()["time_zone"], "America/New_York");
}

#[tokio::test]
async fn new_user_with_an_unknown_time_zone_is_shown_the_error_on_the_field() {
    let (app, admin) = TestApp::with_admin().await;
    let answer = app
        .post_form(
            "/admin/users",
            &admin,
            &[
                ("extension", "310"),
                ("name", "Zed"),
                ("portal_enabled", "on"),
                ("time_zone", "Mars/Olympus"),
            ],
        )
        .await;
    assert_field_error_shown(&answer, "time_zone");
    assert!(!app.backend.lock().accounts.contains_key("310"));
}

#[tokio::test]
async fn csv_import_takes_an_optional_time_zone_column() {
    let (app, admin) = TestApp::with_admin().await;
    let answer = app
        .import_users(
            &admin,
            "text/csv",
            b"311,Tokyo,,generate,Asia/Tokyo\n312,Plain,,generate\n",
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let data = app.backend.lock();
    assert_eq!(data.accounts["311"].user.time_zone, "Asia/Tokyo");
    assert_eq!(data.accounts["312"].user.time_zone, "UTC");
}

#[tokio::test]
async fn api_gives_the_next_wakeup_with_the_offset_of_the_users_zone() {
    let (app, alice) = alice_in_berlin().await;
    wakeup_1_due_on_christmas_eve(&app);
    let wakeups = app.get("/api/v1/wakeups", &alice).await.json();
    assert_eq!(wakeups[0]["next_due"], "2026-12-24T06:30:00+01:00");
}

#[tokio::test]
async fn api_gives_fax_times_with_the_offset_of_the_users_zone() {
    let (app, alice) = alice_in_berlin().await;
    let jobs = app.get("/api/v1/fax/jobs", &alice).await.json();
    assert_eq!(jobs[0]["created_at"], "2026-11-23T09:00:00+01:00");
}
