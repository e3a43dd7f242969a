//! The call handling menu: page, JSON API, the status panel of the first page, and who may
//! see and change what.

use crate::common;

use axum::http::StatusCode;
use common::*;
use ringside_portal::model::{Access, Menu};
use serde_json::json;

fn settings_json(dnd: bool, busy_number: &str) -> serde_json::Value {
    json!({
        "dnd": dnd,
        "dnd_allow": ["5551234"],
        "dnd_schedule": null,
        "forward_always": {"enabled": false, "number": "", "schedule": null},
        "forward_busy": {"enabled": true, "number": busy_number, "schedule": {"window": "mon-fri,08:00-18:00", "outside": true}},
        "forward_no_answer": {"enabled": false, "number": "", "schedule": null},
        "ring_secs": 25,
        "time_zone": "Europe/Berlin",
    })
}

/// Alice logged in with `access` to the call handling menu.
async fn alice_with(access: Access) -> (TestApp, Client) {
    let app = TestApp::new();
    app.backend.set_access("201", Menu::CallHandling, access);
    let alice = app.alice().await;
    (app, alice)
}

async fn put_settings(app: &TestApp, client: &Client, settings: serde_json::Value) -> Answer {
    app.put_json("/api/v1/call-handling", client, settings)
        .await
}

#[tokio::test]
async fn api_put_then_get_returns_the_saved_settings() {
    let (app, alice) = TestApp::with_alice().await;
    let put = put_settings(&app, &alice, settings_json(true, "0170555")).await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    let got = app.get("/api/v1/call-handling", &alice).await.json();
    assert_eq!(got["dnd"], true);
    assert_eq!(got["forward_busy"]["number"], "0170555");
    assert_eq!(got["forward_busy"]["schedule"]["outside"], true);
    assert_eq!(got["ring_secs"], 25);
}

#[tokio::test]
async fn api_refuses_a_forward_to_oneself_naming_the_field() {
    let (app, alice) = TestApp::with_alice().await;
    let answer = put_settings(&app, &alice, settings_json(false, "201")).await;
    assert_field_error(&answer, "forward_busy");
}

#[tokio::test]
async fn a_user_sees_only_their_own_call_handling() {
    let (app, alice) = TestApp::with_alice().await;
    put_settings(&app, &alice, settings_json(true, "0170555")).await;
    let bob = app.login("202", "bob-pw").await;
    let bobs = app.get("/api/v1/call-handling", &bob).await.json();
    assert_eq!(bobs["dnd"], false);
    assert_eq!(bobs["forward_busy"]["enabled"], false);
}

#[tokio::test]
async fn read_access_can_read_but_not_change_call_handling() {
    let (app, alice) = alice_with(Access::Read).await;
    assert_eq!(
        app.get("/api/v1/call-handling", &alice).await.status,
        StatusCode::OK
    );
    let put = put_settings(&app, &alice, settings_json(true, "0170555")).await;
    assert_eq!(put.status, StatusCode::FORBIDDEN);
    let form = app
        .post_form("/call-handling", &alice, &[("dnd", "on")])
        .await;
    assert_eq!(form.status, StatusCode::FORBIDDEN);
    assert!(!app.backend.lock().call_handling.contains_key("201"));
}

#[tokio::test]
async fn read_access_page_shows_disabled_inputs() {
    let (app, alice) = alice_with(Access::Read).await;
    let page = app.get("/call-handling", &alice).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<fieldset disabled"), "{}", page.body);
}

#[tokio::test]
async fn page_form_saves_dnd_and_a_forward_with_its_schedule() {
    let (app, alice) = TestApp::with_alice().await;
    let answer = app
        .post_form(
            "/call-handling",
            &alice,
            &[
                ("dnd", "on"),
                ("dnd_allow", "5551234, 5550001"),
                ("forward_no_answer_enabled", "on"),
                ("forward_no_answer_number", "0170 555"),
                ("forward_no_answer_schedule", "mon-fri,08:00-18:00"),
                ("forward_no_answer_outside", "on"),
                ("ring_secs", "15"),
                ("time_zone", "Europe/Berlin"),
            ],
        )
        .await;
    assert_eq!(
        answer.header("location"),
        "/call-handling?done=saved",
        "{}",
        answer.body
    );
    let saved = app.backend.lock().call_handling["201"].clone();
    assert!(saved.dnd);
    assert_eq!(saved.dnd_allow, ["5551234", "5550001"]);
    assert_eq!(saved.forward_no_answer.number, "0170555");
    assert!(
        saved
            .forward_no_answer
            .schedule
            .as_ref()
            .is_some_and(|s| s.outside)
    );
    assert_eq!(saved.ring_secs, Some(15));
}

#[tokio::test]
async fn page_form_with_a_bad_allow_entry_shows_the_message_at_the_field() {
    let (app, alice) = TestApp::with_alice().await;
    let answer = app
        .post_form(
            "/call-handling",
            &alice,
            &[("dnd", "on"), ("dnd_allow", "boss"), ("time_zone", "UTC")],
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(answer.body.contains("not a number"), "{}", answer.body);
}

#[tokio::test]
async fn page_form_with_a_ring_time_that_is_not_a_number_is_refused() {
    let (app, alice) = TestApp::with_alice().await;
    let answer = app
        .post_form(
            "/call-handling",
            &alice,
            &[("ring_secs", "soon"), ("time_zone", "UTC")],
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!app.backend.lock().call_handling.contains_key("201"));
}

#[tokio::test]
async fn first_page_shows_dnd_forwards_and_followme_at_a_glance() {
    let (app, alice) = TestApp::with_alice().await;
    put_settings(&app, &alice, settings_json(true, "0170555")).await;
    let page = app.get("/profile", &alice).await;
    assert!(page.body.contains("id=\"call-handling-status\""));
    assert!(
        page.body.contains("<dd id=\"status-dnd\">on</dd>"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("<dd id=\"status-forward-busy\">to 0170555</dd>")
    );
    assert!(
        page.body
            .contains("<dd id=\"status-forward-always\">off</dd>")
    );
    assert!(page.body.contains("<dd id=\"status-followme\">off</dd>"));
}

#[tokio::test]
async fn first_page_has_no_status_panel_without_call_handling_access() {
    let (app, alice) = alice_with(Access::No).await;
    let page = app.get("/profile", &alice).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("id=\"call-handling-status\""));
}

#[tokio::test]
async fn openapi_describes_the_call_handling_api() {
    let (app, alice) = TestApp::with_alice().await;
    let doc = app.get("/api/v1/openapi.json", &alice).await.json();
    assert!(doc["paths"]["/api/v1/call-handling"]["put"].is_object());
    assert!(doc["components"]["schemas"]["CallHandling"].is_object());
}
