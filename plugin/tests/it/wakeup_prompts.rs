//! Users' own wakeup prompts: upload and delete on the wakeup calls page and in the JSON API,
//! offered in the wakeup form's picker to their owner only.

use crate::common;

use axum::http::{Method, StatusCode};
use common::*;
use ringside_portal::PortalSettings;

async fn upload_prompt(app: &TestApp, client: &Client, name: &str, bytes: &[u8]) -> Answer {
    app.post_audio(
        "/wakeups/prompts",
        client,
        &[("name", name)],
        ("Good Morning.wav", "audio/wav", bytes),
    )
    .await
}

#[tokio::test]
async fn uploaded_prompt_is_offered_in_the_owners_wakeup_form() {
    let app = TestApp::new();
    let alice = app.alice().await;
    let answer = upload_prompt(&app, &alice, "", WAV).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let list = app.get("/wakeups", &alice).await;
    assert!(
        list.body.contains("id=\"own-prompt-Good-Morning\""),
        "{}",
        list.body
    );
    let form = app.get("/wakeups/new", &alice).await;
    assert!(
        form.body.contains(
            "<option value=\"ringside/users/201/Good-Morning\">Your prompt: Good-Morning</option>"
        ),
        "{}",
        form.body
    );
}

#[tokio::test]
async fn another_users_prompt_is_not_offered() {
    let app = TestApp::new();
    let alice = app.alice().await;
    upload_prompt(&app, &alice, "morning", WAV).await;
    let bob = app.login("202", "bob-pw").await;
    let form = app.get("/wakeups/new", &bob).await;
    assert!(!form.body.contains("ringside/users/201"), "{}", form.body);
    let prompts = app.get("/api/v1/wakeups/prompts", &bob).await;
    assert!(
        !prompts.body.contains("ringside/users/201"),
        "{}",
        prompts.body
    );
}

#[tokio::test]
async fn prompt_with_a_path_for_a_name_is_refused_next_to_the_name() {
    let app = TestApp::new();
    let alice = app.alice().await;
    let answer = upload_prompt(&app, &alice, "../202/morning", WAV).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(answer.body.contains("id=\"name-error\""), "{}", answer.body);
    assert!(app.backend.lock().prompts.is_empty());
}

#[tokio::test]
async fn prompt_that_is_not_audio_is_refused_with_the_reason() {
    let app = TestApp::new();
    let alice = app.alice().await;
    let answer = upload_prompt(&app, &alice, "junk", b"plain text, not audio").await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        answer.body.contains("The prompt was not uploaded"),
        "{}",
        answer.body
    );
    assert!(app.backend.lock().prompts.is_empty());
}

#[tokio::test]
async fn prompt_of_a_type_that_is_not_audio_is_refused_before_reading() {
    let app = TestApp::new();
    let alice = app.alice().await;
    let answer = app
        .upload(
            Method::POST,
            "/api/v1/wakeups/prompts?name=doc",
            &alice,
            "application/pdf",
            PDF.to_vec(),
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(app.backend.lock().prompts.is_empty());
}

#[tokio::test]
async fn prompt_over_the_upload_cap_answers_413_and_keeps_nothing() {
    let app = TestApp::with_settings(PortalSettings {
        greeting_max_bytes: 1000,
        ..PortalSettings::default()
    });
    let alice = app.alice().await;
    let big = [WAV, &[0u8; 2000]].concat();
    let answer = upload_prompt(&app, &alice, "big", &big).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(app.backend.lock().prompts.is_empty());
}

#[tokio::test]
async fn api_upload_answers_the_choice_to_pick() {
    let app = TestApp::new();
    let alice = app.alice().await;
    let answer = app
        .upload(
            Method::POST,
            "/api/v1/wakeups/prompts?file_name=hotel.wav",
            &alice,
            "audio/wav",
            WAV.to_vec(),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    assert_eq!(answer.json()["name"], "ringside/users/201/hotel");
    assert_eq!(answer.json()["own_name"], "hotel");
}

#[tokio::test]
async fn deleting_another_users_prompt_answers_404_and_keeps_it() {
    let app = TestApp::new();
    let alice = app.alice().await;
    upload_prompt(&app, &alice, "morning", WAV).await;
    let bob = app.login("202", "bob-pw").await;
    let api = app.delete("/api/v1/wakeups/prompts/morning", &bob).await;
    assert_eq!(api.status, StatusCode::NOT_FOUND);
    let page = app
        .post_form("/wakeups/prompts/morning/delete", &bob, &[])
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert_eq!(app.backend.lock().prompts.len(), 1);
}

#[tokio::test]
async fn owner_deletes_their_prompt() {
    let app = TestApp::new();
    let alice = app.alice().await;
    upload_prompt(&app, &alice, "morning", WAV).await;
    let answer = app
        .post_form("/wakeups/prompts/morning/delete", &alice, &[])
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert!(app.backend.lock().prompts.is_empty());
}

#[tokio::test]
async fn wakeup_with_another_users_prompt_is_refused_on_the_prompt_field() {
    let app = TestApp::new();
    let alice = app.alice().await;
    upload_prompt(&app, &alice, "morning", WAV).await;
    let bob = app.login("202", "bob-pw").await;
    let form = [
        ("name", "Work"),
        ("schedule", "weekly"),
        ("days", "mon"),
        ("time", "06:45"),
        ("time_zone", "Europe/Berlin"),
        ("prompt", "ringside/users/201/morning"),
    ];
    let answer = app.post_form("/wakeups", &bob, &form).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        answer.body.contains("id=\"prompt-error\""),
        "{}",
        answer.body
    );
}
