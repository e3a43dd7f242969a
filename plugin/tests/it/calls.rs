//! The call-history menu and API on the fake backend: own calls only, filters that do not
//! parse answered 400, exports of the filtered set for users with write access, recordings
//! by replay right, a missing recording said plainly, and the administrators' view.

use crate::common;

use axum::http::StatusCode;
use common::fake_backend::RECORDING;
use common::*;
use ringside_portal::model::{Access, Menu, ReplayRight};
use serde_json::json;

fn ids(answer: &Answer) -> Vec<String> {
    answer.json()["calls"]
        .as_array()
        .expect("calls")
        .iter()
        .map(|c| c["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Alice asks for `path` and is told her request is bad (400).
async fn alice_gets_a_bad_request(path: &str) -> Answer {
    let (app, alice) = TestApp::with_alice().await;
    let answer = app.get(path, &alice).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    answer
}

#[tokio::test]
async fn the_api_lists_only_the_users_own_calls_newest_first() {
    let (app, alice) = TestApp::with_alice().await;
    let answer = app.get("/api/v1/calls", &alice).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(ids(&answer), vec!["3.1", "1.1"]);
}

#[tokio::test]
async fn a_user_cannot_widen_their_view_with_the_extension_filter() {
    let (app, alice) = TestApp::with_alice().await;
    let answer = app.get("/api/v1/calls?extension=202", &alice).await;
    assert_eq!(ids(&answer), vec!["3.1", "1.1"]);
}

#[tokio::test]
async fn the_status_filter_keeps_only_matching_calls() {
    let app = TestApp::new();
    let bob = app.login("202", "bob-pw").await;
    let answer = app.get("/api/v1/calls?status=missed", &bob).await;
    assert_eq!(ids(&answer), vec!["2.1"]);
}

#[tokio::test]
async fn a_date_that_does_not_parse_is_a_400_naming_it() {
    let answer = alice_gets_a_bad_request("/api/v1/calls?since=yesterday").await;
    assert!(
        answer
            .body
            .contains("since \\\"yesterday\\\" is not a date like 2026-12-05"),
        "{}",
        answer.body
    );
}

#[tokio::test]
async fn an_unknown_status_is_a_400() {
    alice_gets_a_bad_request("/api/v1/calls?status=lost").await;
}

#[tokio::test]
async fn an_unknown_direction_on_the_page_is_a_400() {
    let answer = alice_gets_a_bad_request("/calls?direction=sideways").await;
    assert!(
        answer
            .body
            .contains("is not one of incoming, outgoing, internal"),
        "{}",
        answer.body
    );
}

#[tokio::test]
async fn a_page_number_that_is_not_a_number_is_a_400() {
    alice_gets_a_bad_request("/api/v1/calls?page=two").await;
}

#[tokio::test]
async fn the_page_shows_the_users_calls_in_a_table() {
    let (app, alice) = TestApp::with_alice().await;
    let page = app.get("/calls", &alice).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("id=\"calls\""), "{}", page.body);
    assert!(page.body.contains("href=\"/calls/1.1\""));
    assert!(!page.body.contains("href=\"/calls/2.1\""));
}

#[tokio::test]
async fn another_users_call_answers_404() {
    let (app, alice) = TestApp::with_alice().await;
    assert_eq!(
        app.get("/api/v1/calls/2.1", &alice).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/calls/2.1", &alice).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/calls/2.1/recording", &alice).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn an_own_recorded_call_shows_a_player_and_a_download() {
    let (app, alice) = TestApp::with_alice().await;
    let page = app.get("/calls/1.1", &alice).await;
    assert!(
        page.body.contains("<audio id=\"recording\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("id=\"recording-download\""));
    let audio = app.get("/calls/1.1/recording", &alice).await;
    assert_eq!(audio.status, StatusCode::OK);
    assert_eq!(audio.body.as_bytes(), RECORDING);
}

#[tokio::test]
async fn the_download_is_an_attachment() {
    let (app, alice) = TestApp::with_alice().await;
    let audio = app.get("/calls/1.1/recording?download=1", &alice).await;
    assert!(
        audio
            .header("content-disposition")
            .starts_with("attachment;"),
        "{}",
        audio.header("content-disposition")
    );
}

#[tokio::test]
async fn a_missing_recording_says_so_and_is_never_a_500() {
    let app = TestApp::new();
    let bob = app.login("202", "bob-pw").await;
    let page = app.get("/calls/2.1", &bob).await;
    assert!(
        page.body.contains("id=\"recording-missing\""),
        "{}",
        page.body
    );
    let audio = app.get("/api/v1/calls/2.1/recording", &bob).await;
    assert_eq!(audio.status, StatusCode::GONE);
    assert!(audio.body.contains("missing"), "{}", audio.body);
}

#[tokio::test]
async fn without_the_replay_right_there_is_no_player_and_no_recording() {
    let app = TestApp::new();
    app.backend
        .lock()
        .replay
        .insert("201".into(), ReplayRight::None);
    let alice = app.alice().await;
    let page = app.get("/calls/1.1", &alice).await;
    assert!(page.body.contains("id=\"recording-none\""), "{}", page.body);
    assert!(!page.body.contains("<audio"));
    assert_eq!(
        app.get("/calls/1.1/recording", &alice).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_call_id_with_path_characters_is_not_found() {
    let (app, alice) = TestApp::with_alice().await;
    for id in ["..%2F..%2Fetc%2Fpasswd", "1.1%2F..", "%2Fetc%2Fpasswd"] {
        let answer = app.get(&format!("/calls/{id}/recording"), &alice).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{id}");
    }
}

#[tokio::test]
async fn export_csv_holds_the_filtered_calls() {
    let (app, alice) = TestApp::with_alice().await;
    let answer = app
        .post_form(
            "/calls/export",
            &alice,
            &[("format", "csv"), ("status", "busy")],
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(answer.header("content-type").starts_with("text/csv"));
    assert!(
        answer
            .header("content-disposition")
            .starts_with("attachment;")
    );
    assert_eq!(answer.body.lines().count(), 2, "{}", answer.body);
    assert!(answer.body.contains(",busy,201,202,3.1"), "{}", answer.body);
}

#[tokio::test]
async fn export_xlsx_has_the_spreadsheet_type() {
    let (app, alice) = TestApp::with_alice().await;
    let answer = app
        .post_json("/api/v1/calls/export?format=xlsx", &alice, json!(null))
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.header("content-type"),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
}

#[tokio::test]
async fn an_unknown_export_format_is_a_400() {
    let (app, alice) = TestApp::with_alice().await;
    let answer = app
        .post_form("/calls/export", &alice, &[("format", "pdf")])
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn read_access_may_list_but_not_export() {
    let app = TestApp::new();
    app.backend.set_access("201", Menu::Calls, Access::Read);
    let alice = app.alice().await;
    assert_eq!(
        app.get("/api/v1/calls", &alice).await.status,
        StatusCode::OK
    );
    let answer = app
        .post_form("/calls/export", &alice, &[("format", "csv")])
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_admin_view_lists_every_call() {
    let (app, root) = TestApp::with_admin().await;
    let answer = app.get("/api/v1/admin/calls", &root).await;
    assert_eq!(ids(&answer), vec!["3.1", "2.1", "1.1"]);
}

#[tokio::test]
async fn the_admin_view_filters_by_extension() {
    let (app, root) = TestApp::with_admin().await;
    let answer = app.get("/api/v1/admin/calls?extension=202", &root).await;
    assert_eq!(ids(&answer), vec!["3.1", "2.1"]);
    assert_eq!(answer.json()["calls"][1]["direction"], "incoming");
}

#[tokio::test]
async fn the_admin_view_is_for_administrators_only() {
    let (app, alice) = TestApp::with_alice().await;
    assert_eq!(
        app.get("/api/v1/admin/calls", &alice).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get("/admin/calls", &alice).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn the_admin_sets_a_users_replay_right() {
    let (app, root) = TestApp::with_admin().await;
    let answer = app
        .put_json(
            "/api/v1/admin/users/201/replay",
            &root,
            json!({"right": "all"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        app.backend.lock().replay.get("201"),
        Some(&ReplayRight::All)
    );
}

#[tokio::test]
async fn an_unknown_replay_right_is_a_400() {
    let (app, root) = TestApp::with_admin().await;
    let answer = app
        .put_json(
            "/api/v1/admin/users/201/replay",
            &root,
            json!({"right": "some"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_admin_replay_form_saves_and_says_so() {
    let (app, root) = TestApp::with_admin().await;
    let answer = app
        .post_form(
            "/admin/calls/replay",
            &root,
            &[("extension", "202"), ("right", "none")],
        )
        .await;
    assert_eq!(answer.header("location"), "/admin/calls?done=replay");
    assert_eq!(
        app.backend.lock().replay.get("202"),
        Some(&ReplayRight::None)
    );
}
