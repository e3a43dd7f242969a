//! The administrator deletes a user (after a confirmation saying what goes and what stays)
//! and is offered the next free extension for a new one.

use crate::common;

use axum::http::{Method, StatusCode};
use common::*;

#[tokio::test]
async fn delete_confirmation_says_what_happens_to_greetings_wakeups_and_faxes() {
    let (app, admin) = TestApp::with_admin().await;
    let page = app.get("/admin/users/202/delete", &admin).await;
    assert_eq!(page.status, StatusCode::OK);
    for word in ["greetings", "wakeup calls", "faxes"] {
        assert!(page.body.contains(word), "{word}: {}", page.body);
    }
    assert!(app.backend.lock().accounts.contains_key("202"));
}

#[tokio::test]
async fn confirmed_delete_removes_the_user_and_their_wakeups() {
    let (app, admin) = TestApp::with_admin().await;
    let answer = app.post_form("/admin/users/202/delete", &admin, &[]).await;
    assert_eq!(answer.header("location"), "/admin/users?done=deleted");
    let data = app.backend.lock();
    assert!(!data.accounts.contains_key("202"));
    assert!(!data.wakeups.values().any(|w| w.owner == "202"));
}

#[tokio::test]
async fn administrator_may_not_delete_their_own_account() {
    let (app, admin) = TestApp::with_admin().await;
    let answer = app
        .json(
            Method::DELETE,
            "/api/v1/admin/users/900",
            &admin,
            serde_json::json!({}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(app.backend.lock().accounts.contains_key("900"));
}

#[tokio::test]
async fn api_delete_of_an_unknown_user_is_404() {
    let (app, admin) = TestApp::with_admin().await;
    let answer = app.delete("/api/v1/admin/users/299", &admin).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn user_who_is_not_an_administrator_cannot_delete_users() {
    let (app, alice) = TestApp::with_alice().await;
    let answer = app.delete("/api/v1/admin/users/202", &alice).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(app.backend.lock().accounts.contains_key("202"));
}

#[tokio::test]
async fn delete_without_the_csrf_token_is_refused() {
    let (app, admin) = TestApp::with_admin().await;
    let answer = app
        .send(form_request("/admin/users/202/delete", Some(&admin), &[]))
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(app.backend.lock().accounts.contains_key("202"));
}

#[tokio::test]
async fn new_user_form_suggests_the_next_free_extension() {
    let (app, admin) = TestApp::with_admin().await;
    let page = app.get("/admin/users/new", &admin).await;
    // The highest extension in use is 900.
    assert!(
        page.body.contains(
            "id=\"extension\" name=\"extension\" inputmode=\"numeric\" required value=\"901\""
        ),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn api_suggests_the_next_free_extension() {
    let (app, admin) = TestApp::with_admin().await;
    let answer = app.get("/api/v1/admin/next-extension", &admin).await;
    assert_eq!(answer.json()["extension"], "901");
}
