//! Wakeup calls: pages and JSON API.

use crate::common;

use axum::http::{Method, StatusCode};
use common::*;
use ringside_portal::model::WakeupSchedule;
use serde_json::json;

#[tokio::test]
async fn list_shows_own_wakeups_only() {
    let app = TestApp::new();
    let alice = app.alice().await;
    let page = app.get("/wakeups", &alice).await;
    assert!(page.body.contains("id=\"wakeup-1\""));
    assert!(!page.body.contains("id=\"wakeup-2\""));
    assert!(page.body.contains("every Mon at 06:30"));
}

#[tokio::test]
async fn create_form_adds_a_weekly_wakeup() {
    let app = TestApp::new();
    let alice = app.alice().await;
    assert_eq!(app.get("/wakeups/new", &alice).await.status, StatusCode::OK);
    let form = [
        ("name", "Work"),
        ("schedule", "weekly"),
        ("days", "mon"),
        ("days", "fri"),
        ("time", "06:45"),
        ("time_zone", "Europe/Berlin"),
        ("prompt", "wakeup-call"),
        ("members", "201, 0202"),
        ("enabled", "on"),
    ];
    let answer = app.post_form("/wakeups", &alice, &form).await;
    assert_eq!(answer.header("location"), "/wakeups?done=created");
    let data = app.backend.lock();
    let created = data
        .wakeups
        .values()
        .find(|w| w.spec.name == "Work")
        .expect("created");
    assert_eq!(created.owner, "201");
    assert_eq!(created.spec.members, vec!["201", "0202"]);
    assert!(
        matches!(&created.spec.schedule, WakeupSchedule::Weekly { days, .. } if days.len() == 2)
    );
}

/// Posts Alice's form for a one-off wakeup, asserts the portal refuses it with 422 and returns
/// the page it shows instead.
async fn refused_one_off(name: &str, date: &str, time: &str) -> String {
    let app = TestApp::new();
    let alice = app.alice().await;
    let form = [
        ("name", name),
        ("schedule", "once"),
        ("date", date),
        ("time", time),
    ];
    let answer = app.post_form("/wakeups", &alice, &form).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    answer.body
}

#[tokio::test]
async fn create_form_shows_field_errors() {
    let page = refused_one_off("X", "tomorrow", "25:99").await;
    assert!(page.contains("id=\"date-error\""));
    assert!(page.contains("id=\"time-error\""));
}

#[tokio::test]
async fn create_form_shows_backend_validation_errors() {
    let page = refused_one_off("", "2026-12-24", "07:00").await;
    assert!(page.contains("id=\"name-error\">give the wakeup call a name"));
}

#[tokio::test]
async fn edit_page_shows_the_form_and_the_history() {
    let app = TestApp::new();
    let alice = app.alice().await;
    let page = app.get("/wakeups/1", &alice).await;
    assert!(page.body.contains("action=\"/wakeups/1\""));
    assert!(
        page.body
            .contains("id=\"day-mon\" name=\"days\" value=\"mon\" checked")
    );
    assert!(page.body.contains("attempt-of-201"));
}

#[tokio::test]
async fn edit_form_updates_the_wakeup() {
    let app = TestApp::new();
    let alice = app.alice().await;
    let form = [
        ("name", "Flight"),
        ("schedule", "once"),
        ("date", "2026-12-24"),
        ("time", "04:10"),
        ("time_zone", "Europe/Berlin"),
        ("members", "201"),
    ];
    let answer = app.post_form("/wakeups/1", &alice, &form).await;
    assert_eq!(answer.header("location"), "/wakeups?done=saved");
    let w = app.backend.lock().wakeups[&1].clone();
    assert_eq!(w.spec.name, "Flight");
    assert!(!w.spec.enabled);
}

#[tokio::test]
async fn enable_toggle_and_delete_forms_act_on_own_wakeup() {
    let app = TestApp::new();
    let alice = app.alice().await;
    let off = app
        .post_form("/wakeups/1/enabled", &alice, &[("enabled", "0")])
        .await;
    assert_eq!(off.header("location"), "/wakeups?done=disabled");
    assert!(!app.backend.lock().wakeups[&1].spec.enabled);
    app.post_form("/wakeups/1/enabled", &alice, &[("enabled", "1")])
        .await;
    assert!(app.backend.lock().wakeups[&1].spec.enabled);
    let del = app.post_form("/wakeups/1/delete", &alice, &[]).await;
    assert_eq!(del.header("location"), "/wakeups?done=deleted");
    assert!(!app.backend.lock().wakeups.contains_key(&1));
}

#[tokio::test]
async fn api_creates_reads_updates_toggles_and_deletes() {
    let app = TestApp::new();
    let alice = app.alice().await;
    let spec = json!({"name": "Gym", "prompt": "wakeup-call", "schedule": {"kind": "once", "date": "2026-12-01", "time": "06:00:00"},
        "time_zone": "UTC", "members": ["201"], "enabled": true});
    let created = app
        .json(Method::POST, "/api/v1/wakeups", &alice, spec.clone())
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let id = created.json()["id"].as_i64().expect("id");
    assert_eq!(created.json()["owner"], "201");
    let path = format!("/api/v1/wakeups/{id}");
    assert_eq!(app.get(&path, &alice).await.json()["name"], "Gym");
    let mut changed = spec;
    changed["name"] = json!("Gym later");
    assert_eq!(
        app.json(Method::PUT, &path, &alice, changed).await.json()["name"],
        "Gym later"
    );
    let off = app
        .json(
            Method::PUT,
            &format!("{path}/enabled"),
            &alice,
            json!({"enabled": false}),
        )
        .await;
    assert_eq!(off.json()["enabled"], false);
    assert_eq!(
        app.get("/api/v1/wakeups", &alice)
            .await
            .json()
            .as_array()
            .expect("list")
            .len(),
        2
    );
    assert_eq!(
        app.delete(&path, &alice).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(app.get(&path, &alice).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn api_lists_attempt_history() {
    let app = TestApp::new();
    let alice = app.alice().await;
    let history = app.get("/api/v1/wakeups/1/attempts", &alice).await.json();
    assert_eq!(history[0]["outcome"], "no_answer");
    assert_eq!(history[0]["member"], "201");
}

/// The wakeup form for a Monday 06:30 Berlin wakeup of 201 named "Gentle", plus `extra`.
fn gentle_weekly_form<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("name", "Gentle"),
        ("prompt", "wakeup-call"),
        ("schedule", "weekly"),
        ("days", "mon"),
        ("time", "06:30"),
        ("time_zone", "Europe/Berlin"),
        ("members", "201"),
    ];
    form.extend_from_slice(extra);
    form
}

#[tokio::test]
async fn wakeup_form_saves_the_call_settings() {
    let app = TestApp::new();
    let alice = app.alice().await;
    let answer = app
        .post_form(
            "/wakeups",
            &alice,
            &gentle_weekly_form(&[
                ("enabled", "on"),
                ("ring_secs", "45"),
                ("retries", "5"),
                ("retry_interval_mins", "10"),
                ("snooze_mins", "9"),
            ]),
        )
        .await;
    assert_eq!(answer.header("location"), "/wakeups?done=created");
    let data = app.backend.lock();
    let created = data
        .wakeups
        .values()
        .find(|w| w.spec.name == "Gentle")
        .expect("created");
    assert_eq!(created.spec.calls.ring_secs, Some(45));
    assert_eq!(created.spec.calls.retries, Some(5));
    assert_eq!(created.spec.calls.retry_interval_mins, Some(10));
    assert_eq!(created.spec.calls.snooze_mins, Some(9));
}

#[tokio::test]
async fn wakeup_form_shows_a_snooze_that_is_not_a_number_next_to_its_field() {
    let app = TestApp::new();
    let alice = app.alice().await;
    let answer = app
        .post_form(
            "/wakeups",
            &alice,
            &gentle_weekly_form(&[("snooze_mins", "soon")]),
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        answer.body.contains("id=\"snooze_mins-error\""),
        "{}",
        answer.body
    );
}

#[tokio::test]
async fn api_refuses_too_many_retries_naming_the_field() {
    let app = TestApp::new();
    let alice = app.alice().await;
    let answer = app
        .json(
            Method::POST,
            "/api/v1/wakeups",
            &alice,
            serde_json::json!({
                "name": "Early", "prompt": "wakeup-call",
                "schedule": {"kind": "once", "date": "2026-12-24", "time": "06:30:00"},
                "time_zone": "Europe/Berlin", "members": ["201"], "enabled": true,
                "retries": 99
            }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.json()["fields"][0]["field"], "retries");
}

fn front_desk(app: &TestApp) {
    app.backend
        .lock()
        .accounts
        .get_mut("201")
        .expect("alice")
        .user
        .wakeup_others = true;
}

#[tokio::test]
async fn front_desk_picks_members_from_the_users_instead_of_typing_them() {
    let app = TestApp::new();
    front_desk(&app);
    let alice = app.alice().await;
    let page = app.get("/wakeups/new", &alice).await;
    assert!(page.body.contains("id=\"member-picker\""), "{}", page.body);
    assert!(page.body.contains("id=\"member-202\""), "{}", page.body);
}

#[tokio::test]
async fn user_without_the_grant_gets_no_member_picker() {
    let app = TestApp::new();
    let alice = app.alice().await;
    let page = app.get("/wakeups/new", &alice).await;
    assert!(!page.body.contains("id=\"member-picker\""), "{}", page.body);
}

#[tokio::test]
async fn picked_and_typed_members_are_saved_together() {
    let app = TestApp::new();
    front_desk(&app);
    let alice = app.alice().await;
    let answer = app
        .post_form(
            "/wakeups",
            &alice,
            &[
                ("name", "Rooms"),
                ("prompt", "wakeup-call"),
                ("schedule", "weekly"),
                ("days", "mon"),
                ("time", "06:30"),
                ("time_zone", "Europe/Berlin"),
                ("members", "202"),
                ("members", "203"),
                ("members", "0301, 0302"),
                ("enabled", "on"),
            ],
        )
        .await;
    assert_eq!(answer.header("location"), "/wakeups?done=created");
    let data = app.backend.lock();
    let created = data
        .wakeups
        .values()
        .find(|w| w.spec.name == "Rooms")
        .expect("created");
    assert_eq!(created.spec.members, vec!["202", "203", "0301", "0302"]);
}

#[tokio::test]
async fn front_desk_sees_the_outcomes_of_its_wakeups_in_its_zone() {
    use chrono::TimeZone;
    let app = TestApp::new();
    front_desk(&app);
    {
        let mut data = app.backend.lock();
        data.accounts.get_mut("201").expect("alice").user.time_zone = "Europe/Berlin".into();
        data.attempts.insert(
            1,
            vec![ringside_portal::model::WakeupAttempt {
                at: chrono::Utc
                    .with_ymd_and_hms(2026, 12, 24, 5, 30, 0)
                    .single()
                    .expect("time"),
                member: "0301".into(),
                outcome: ringside_portal::model::WakeupOutcome::NoAnswer,
                detail: String::new(),
            }],
        );
    }
    let alice = app.alice().await;
    assert!(
        app.get("/wakeups", &alice)
            .await
            .body
            .contains("href=\"/wakeups/outcomes\"")
    );
    let page = app.get("/wakeups/outcomes", &alice).await;
    assert!(page.body.contains("id=\"outcomes-1\""), "{}", page.body);
    assert!(page.body.contains("2026-12-24 06:30 CET"), "{}", page.body);
    assert!(page.body.contains("no answer"), "{}", page.body);
    // Wakeup 2 is Bob's.
    assert!(!page.body.contains("id=\"outcomes-2\""), "{}", page.body);
}

#[tokio::test]
async fn prompt_is_picked_from_the_default_and_the_system_sounds() {
    let app = TestApp::new();
    let alice = app.alice().await;
    let page = app.get("/wakeups/new", &alice).await;
    assert!(
        page.body.contains("<select id=\"prompt\" name=\"prompt\">"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("<option value=\"ringside/wakeup-call\" selected>Ringside&#39;s default wakeup prompt</option>"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("System sound: good-morning"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn a_wakeups_own_prompt_stays_selectable_when_it_is_not_in_the_list() {
    let app = TestApp::new();
    let alice = app.alice().await;
    // Wakeup 1's prompt is `wakeup-call`, which the list does not offer.
    let page = app.get("/wakeups/1", &alice).await;
    assert!(
        page.body
            .contains("<option value=\"wakeup-call\" selected>wakeup-call</option>"),
        "{}",
        page.body
    );
}
