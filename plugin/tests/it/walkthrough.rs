//! The first-login walk-through: where `/` leads while it is on, each step saving through the
//! normal rules and leading on, a way back, skipping, and its end for good.

use crate::common;

use axum::http::StatusCode;
use common::*;

/// Alice, logged in, with the walk-through still to come.
async fn newcomer(app: &TestApp) -> Client {
    walkthrough_for(app, "201", true);
    app.alice().await
}

fn walkthrough_for(app: &TestApp, extension: &str, on: bool) {
    app.backend
        .lock()
        .accounts
        .get_mut(extension)
        .expect("seeded user")
        .user
        .walkthrough = on;
}

fn walkthrough_of(app: &TestApp, extension: &str) -> bool {
    app.backend.lock().accounts[extension].user.walkthrough
}

/// The step was shown again with `status` and the message next to `field`.
fn refused_on_step(answer: &Answer, status: StatusCode, step: &str, field: &str) {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert!(answer.body.contains(step), "{}", answer.body);
    let message = format!("id=\"{field}-error\"");
    assert!(answer.body.contains(&message), "{}", answer.body);
}

async fn post_password(app: &TestApp, alice: &Client, old: &str) -> Answer {
    let fields = [("old_password", old), ("new_password", "brand-new-pw-1")];
    app.post_form("/welcome/password", alice, &fields).await
}

#[tokio::test]
async fn home_leads_a_newcomer_to_the_first_step() {
    let app = TestApp::new();
    let alice = newcomer(&app).await;
    assert_eq!(app.get("/", &alice).await.header("location"), "/welcome");
    assert_eq!(
        app.get("/welcome", &alice).await.header("location"),
        "/welcome/password"
    );
}

#[tokio::test]
async fn home_leads_past_the_walkthrough_once_it_is_off() {
    let app = TestApp::new();
    let alice = app.alice().await;
    assert_eq!(app.get("/", &alice).await.header("location"), "/profile");
}

#[tokio::test]
async fn step_shows_where_the_user_is_with_a_way_back() {
    let app = TestApp::new();
    let alice = newcomer(&app).await;
    let page = app.get("/welcome/time-zone", &alice).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Step 2 of 4: Your time zone"),
        "{}",
        page.body
    );
    assert!(page.body.contains("aria-current=\"step\""), "{}", page.body);
    assert!(
        page.body
            .contains("id=\"walkthrough-back\" href=\"/welcome/password\""),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(
            "id=\"walkthrough-skip\" class=\"btn btn-secondary\" href=\"/welcome/greeting\""
        ),
        "{}",
        page.body
    );
    // The navigation stays: every normal page is one click away.
    assert!(page.body.contains("id=\"nav-followme\""), "{}", page.body);
}

#[tokio::test]
async fn password_step_with_a_wrong_current_password_stays_on_the_step() {
    let app = TestApp::new();
    let alice = newcomer(&app).await;
    let answer = post_password(&app, &alice, "wrong").await;
    refused_on_step(
        &answer,
        StatusCode::FORBIDDEN,
        "Step 1 of 4",
        "old_password",
    );
}

#[tokio::test]
async fn password_step_changes_the_password_and_leads_to_the_time_zone() {
    let app = TestApp::new();
    let alice = newcomer(&app).await;
    let answer = post_password(&app, &alice, "alice-pw").await;
    assert_eq!(answer.header("location"), "/welcome/time-zone");
    assert_eq!(
        app.backend.lock().accounts["201"].password,
        "brand-new-pw-1"
    );
}

#[tokio::test]
async fn unknown_time_zone_is_refused_next_to_the_field_on_the_step() {
    let app = TestApp::new();
    let alice = newcomer(&app).await;
    let answer = app
        .post_form(
            "/welcome/time-zone",
            &alice,
            &[("time_zone", "Mars/Olympus")],
        )
        .await;
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    refused_on_step(&answer, status, "Step 2 of 4", "time_zone");
}

#[tokio::test]
async fn time_zone_step_saves_the_zone_and_leads_to_the_greeting() {
    let app = TestApp::new();
    let alice = newcomer(&app).await;
    let answer = app
        .post_form(
            "/welcome/time-zone",
            &alice,
            &[("time_zone", "Europe/Berlin")],
        )
        .await;
    assert_eq!(answer.header("location"), "/welcome/greeting");
    assert_eq!(
        app.backend.lock().accounts["201"].user.time_zone,
        "Europe/Berlin"
    );
}

#[tokio::test]
async fn greeting_step_uploads_the_general_greeting() {
    let app = TestApp::new();
    let alice = newcomer(&app).await;
    let answer = app
        .post_audio(
            "/welcome/greeting",
            &alice,
            &[],
            ("hello.wav", "audio/wav", WAV),
        )
        .await;
    assert_eq!(answer.header("location"), "/welcome/followme");
    assert!(app.has_greeting("201", ringside_portal::model::GreetingSlot::Greet));
}

#[tokio::test]
async fn saving_the_last_step_ends_the_walkthrough() {
    let app = TestApp::new();
    let alice = newcomer(&app).await;
    let answer = app
        .post_form(
            "/welcome/followme",
            &alice,
            &[
                ("enabled", "on"),
                ("initial_ring_secs", "10"),
                ("step_numbers", "2002"),
                ("step_ring_secs", "20"),
                ("caller_id", "caller"),
            ],
        )
        .await;
    assert_eq!(answer.header("location"), "/welcome/done");
    assert!(!walkthrough_of(&app, "201"));
    assert!(app.backend.lock().followme["201"].enabled);
}

#[tokio::test]
async fn skipping_the_rest_ends_the_walkthrough_for_good() {
    let app = TestApp::new();
    let alice = newcomer(&app).await;
    let answer = app.post_form("/welcome/finish", &alice, &[]).await;
    assert_eq!(answer.header("location"), "/welcome/done");
    assert!(!walkthrough_of(&app, "201"));
    assert_eq!(app.get("/", &alice).await.header("location"), "/profile");
}

#[tokio::test]
async fn steps_without_write_access_are_left_out() {
    let app = TestApp::new();
    walkthrough_for(&app, "203", true);
    let carol = app.login("203", "carol-pw").await;
    let page = app.get("/welcome/password", &carol).await;
    assert!(page.body.contains("Step 1 of 1"), "{}", page.body);
    assert_eq!(
        app.get("/welcome/time-zone", &carol).await.status,
        StatusCode::NOT_FOUND
    );
    let refused = app
        .post_form(
            "/welcome/time-zone",
            &carol,
            &[("time_zone", "Europe/Berlin")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn admin_turns_the_walkthrough_on_from_the_user_page() {
    let app = TestApp::new();
    let admin = app.admin().await;
    let page = app.get("/admin/users/201", &admin).await;
    assert!(page.body.contains("id=\"walkthrough\""), "{}", page.body);
    let answer = app
        .admin_saves_user(&admin, "201", "Alice", &[("walkthrough", "on")])
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert!(walkthrough_of(&app, "201"));
}
