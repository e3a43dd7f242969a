//! Changing one's own password needs no access to the profile menu.

use crate::common;

use axum::http::StatusCode;
use common::*;
use serde_json::json;

#[tokio::test]
async fn user_without_profile_access_changes_the_password_on_the_password_page() {
    let app = TestApp::new();
    let dave = app.login("204", "dave-pw").await;
    assert_eq!(app.get("/password", &dave).await.status, StatusCode::OK);
    let answer = app
        .post_form(
            "/profile/password",
            &dave,
            &[("old_password", "dave-pw"), ("new_password", "dave-new-pw")],
        )
        .await;
    assert_eq!(answer.header("location"), "/password?done=password");
    assert_eq!(app.backend.lock().accounts["204"].password, "dave-new-pw");
}

#[tokio::test]
async fn read_only_profile_user_may_change_the_password_through_the_api() {
    let app = TestApp::new();
    let carol = app.login("203", "carol-pw").await;
    let answer = app
        .put_json(
            "/api/v1/profile/password",
            &carol,
            json!({"old_password": "carol-pw", "new_password": "carol-new-pw"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT, "{}", answer.body);
    assert_eq!(app.backend.lock().accounts["203"].password, "carol-new-pw");
}

#[tokio::test]
async fn read_only_profile_page_keeps_the_password_form_enabled() {
    let app = TestApp::new();
    let carol = app.login("203", "carol-pw").await;
    let page = app.get("/profile", &carol).await;
    let form_start = page
        .body
        .find("id=\"password-form\"")
        .expect("password form");
    let fieldset = &page.body[form_start..];
    let fieldset = &fieldset[..fieldset.find("</fieldset>").expect("fieldset")];
    assert!(!fieldset.contains("disabled"), "{fieldset}");
}

#[tokio::test]
async fn user_without_profile_access_finds_the_password_page_in_the_navigation() {
    let app = TestApp::new();
    let dave = app.login("204", "dave-pw").await;
    let page = app.get("/password", &dave).await;
    assert!(page.body.contains("id=\"nav-password\" href=\"/password\""));
}

#[tokio::test]
async fn password_change_without_profile_access_still_needs_the_csrf_token() {
    let app = TestApp::new();
    let dave = app.login("204", "dave-pw").await;
    let answer = app
        .send(form_request(
            "/profile/password",
            Some(&dave),
            &[("old_password", "dave-pw"), ("new_password", "dave-new-pw")],
        ))
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(app.backend.lock().accounts["204"].password, "dave-pw");
}

fn must_change(app: &TestApp, ext: &str) {
    app.edit_user(ext, |u| u.must_change_password = true);
}

#[tokio::test]
async fn administrator_makes_a_user_change_the_password_at_the_next_login() {
    let (app, admin) = TestApp::with_admin().await;
    let answer = app
        .admin_saves_user(&admin, "202", "Bob", &[("must_change_password", "on")])
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert!(app.user("202").must_change_password);
}

#[tokio::test]
async fn user_who_must_change_the_password_is_sent_to_the_password_page() {
    let app = TestApp::new();
    must_change(&app, "201");
    let alice = app.alice().await;
    let answer = app.get("/followme", &alice).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(answer.header("location"), "/password");
    assert_eq!(app.get("/password", &alice).await.status, StatusCode::OK);
}

#[tokio::test]
async fn api_refuses_other_requests_until_the_password_is_changed() {
    let app = TestApp::new();
    must_change(&app, "201");
    let alice = app.alice().await;
    let answer = app.get("/api/v1/followme", &alice).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(answer.body.contains("new password"), "{}", answer.body);
}

#[tokio::test]
async fn changing_the_password_lifts_the_demand() {
    let app = TestApp::new();
    must_change(&app, "201");
    let alice = app.alice().await;
    let answer = app
        .put_json(
            "/api/v1/profile/password",
            &alice,
            json!({"old_password": "alice-pw", "new_password": "alice-new-pw"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT, "{}", answer.body);
    assert_eq!(
        app.get("/api/v1/followme", &alice).await.status,
        StatusCode::OK
    );
}
