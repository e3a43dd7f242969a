//! Cancelling, sending again and deleting faxes from the pages and the API, with the portal's
//! rules: write access, CSRF, and another user's fax answering 404.

use crate::common;

use axum::http::StatusCode;
use common::*;
use ringside_portal::model::FaxState;

fn set_state(app: &TestApp, id: i64, state: FaxState) {
    app.backend
        .lock()
        .fax_jobs
        .get_mut(&id)
        .expect("fax job")
        .state = state;
}

#[tokio::test]
async fn queued_fax_offers_cancel_and_the_form_cancels_it() {
    let app = TestApp::new();
    set_state(&app, 1, FaxState::Queued);
    let alice = app.alice().await;
    let page = app.get("/fax", &alice).await;
    assert!(page.body.contains("id=\"cancel-1\""), "{}", page.body);
    let answer = app.post_form("/fax/jobs/1/cancel", &alice, &[]).await;
    assert_eq!(answer.header("location"), "/fax?done=cancelled");
    assert_eq!(app.backend.lock().fax_jobs[&1].state, FaxState::Failed);
}

#[tokio::test]
async fn cancelling_a_finished_fax_is_a_conflict() {
    let app = TestApp::new();
    set_state(&app, 1, FaxState::Sent);
    let alice = app.alice().await;
    let answer = app
        .post_json("/api/v1/fax/jobs/1/cancel", &alice, serde_json::json!({}))
        .await;
    assert_eq!(answer.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn cancelling_another_users_fax_is_not_found() {
    let app = TestApp::new();
    set_state(&app, 2, FaxState::Queued);
    let alice = app.alice().await;
    let answer = app.post_form("/fax/jobs/2/cancel", &alice, &[]).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(app.backend.lock().fax_jobs[&2].state, FaxState::Queued);
}

#[tokio::test]
async fn failed_fax_is_sent_again_as_a_new_job() {
    let app = TestApp::new();
    set_state(&app, 1, FaxState::Failed);
    let alice = app.alice().await;
    let answer = app
        .post_json("/api/v1/fax/jobs/1/resend", &alice, serde_json::json!({}))
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    let job = answer.json();
    assert_ne!(job["id"], 1);
    assert_eq!(job["state"], "queued");
    assert_eq!(job["file_name"], "letter.pdf");
}

#[tokio::test]
async fn fax_that_did_not_fail_is_not_sent_again() {
    let app = TestApp::new();
    set_state(&app, 1, FaxState::Sent);
    let alice = app.alice().await;
    let answer = app.post_form("/fax/jobs/1/resend", &alice, &[]).await;
    assert_eq!(answer.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn sent_fax_is_deleted_from_the_list() {
    let app = TestApp::new();
    set_state(&app, 1, FaxState::Sent);
    let alice = app.alice().await;
    let answer = app.post_form("/fax/jobs/1/delete", &alice, &[]).await;
    assert_eq!(answer.header("location"), "/fax?done=deleted");
    assert!(!app.backend.lock().fax_jobs.contains_key(&1));
}

#[tokio::test]
async fn fax_still_being_sent_is_not_deleted() {
    let (app, alice) = TestApp::with_alice().await;
    let answer = app.delete("/api/v1/fax/jobs/1", &alice).await;
    assert_eq!(answer.status, StatusCode::CONFLICT);
    assert!(app.backend.lock().fax_jobs.contains_key(&1));
}

#[tokio::test]
async fn received_fax_is_deleted_from_the_inbox() {
    let (app, alice) = TestApp::with_alice().await;
    let answer = app.post_form("/fax/inbox/1/delete", &alice, &[]).await;
    assert_eq!(answer.header("location"), "/fax?done=deleted");
    assert!(!app.backend.lock().received.contains_key(&1));
}

#[tokio::test]
async fn deleting_another_users_received_fax_is_not_found() {
    let (app, alice) = TestApp::with_alice().await;
    let answer = app.delete("/api/v1/fax/inbox/2", &alice).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert!(app.backend.lock().received.contains_key(&2));
}

#[tokio::test]
async fn read_only_fax_access_may_not_delete() {
    let app = TestApp::new();
    let carol = app.login("203", "carol-pw").await;
    let answer = app.post_form("/fax/inbox/1/delete", &carol, &[]).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(app.backend.lock().received.contains_key(&1));
}

#[tokio::test]
async fn fax_delete_without_the_csrf_token_is_refused() {
    let (app, alice) = TestApp::with_alice().await;
    let answer = app
        .send(form_request("/fax/inbox/1/delete", Some(&alice), &[]))
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(app.backend.lock().received.contains_key(&1));
}
