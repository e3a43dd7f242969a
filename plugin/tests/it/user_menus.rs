//! Profile, follow-me and greetings: pages and JSON API.

use crate::common;

use axum::http::{Method, StatusCode};
use common::*;
use ringside_portal::model::{CallerIdChoice, GreetingSlot};
use serde_json::json;

#[tokio::test]
async fn profile_page_shows_extension_name_and_email() {
    let (app, alice) = TestApp::with_alice().await;
    let page = app.get("/profile", &alice).await;
    assert!(page.body.contains("id=\"profile-extension\">201<"));
    assert!(page.body.contains("value=\"alice@example.org\""));
}

#[tokio::test]
async fn email_form_saves_and_redirects_with_a_notice() {
    let (app, alice) = TestApp::with_alice().await;
    let answer = app
        .post_form("/profile/email", &alice, &[("email", "a@new.org")])
        .await;
    assert_eq!(answer.header("location"), "/profile?done=email");
    assert_eq!(app.user("201").email, "a@new.org");
    assert!(
        app.get("/profile?done=email", &alice)
            .await
            .body
            .contains("Email address saved.")
    );
}

#[tokio::test]
async fn invalid_email_is_shown_next_to_the_field() {
    let (app, alice) = TestApp::with_alice().await;
    let answer = app
        .post_form("/profile/email", &alice, &[("email", "not-an-address")])
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        answer
            .body
            .contains("id=\"email-error\">this is not an email address")
    );
}

#[tokio::test]
async fn password_change_needs_the_old_password() {
    let (app, alice) = TestApp::with_alice().await;
    let answer = app
        .post_form(
            "/profile/password",
            &alice,
            &[("old_password", "wrong"), ("new_password", "new-secret-1")],
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(
        answer
            .body
            .contains("id=\"old_password-error\">the current password is wrong")
    );
    assert_eq!(app.backend.lock().accounts["201"].password, "alice-pw");
}

#[tokio::test]
async fn password_change_with_the_old_password_succeeds() {
    let (app, alice) = TestApp::with_alice().await;
    let answer = app
        .post_form(
            "/profile/password",
            &alice,
            &[
                ("old_password", "alice-pw"),
                ("new_password", "new-secret-1"),
            ],
        )
        .await;
    assert_eq!(answer.header("location"), "/profile?done=password");
    assert_eq!(app.backend.lock().accounts["201"].password, "new-secret-1");
}

#[tokio::test]
async fn api_profile_and_password_change() {
    let (app, alice) = TestApp::with_alice().await;
    assert_eq!(
        app.get("/api/v1/profile", &alice).await.json()["email"],
        "alice@example.org"
    );
    let wrong = json!({"old_password": "x", "new_password": "long-enough"});
    let answer = app
        .put_json("/api/v1/profile/password", &alice, wrong)
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(answer.json()["error"], "wrong_password");
    let ok = json!({"old_password": "alice-pw", "new_password": "long-enough"});
    assert_eq!(
        app.put_json("/api/v1/profile/password", &alice, ok)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let email = json!({"email": "a@b.org"});
    assert_eq!(
        app.put_json("/api/v1/profile/email", &alice, email)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(app.user("201").email, "a@b.org");
}

#[tokio::test]
async fn followme_form_saves_steps_keeping_leading_zeros() {
    let (app, alice) = TestApp::with_alice().await;
    let form = [
        ("enabled", "on"),
        ("initial_ring_secs", "12"),
        ("step_numbers", "0171 555 0123"),
        ("step_ring_secs", "20"),
        ("step_numbers", "0301, 0302"),
        ("step_ring_secs", "30"),
        ("step_numbers", ""),
        ("step_ring_secs", "20"),
        ("confirm", "on"),
        ("moh", "default"),
        ("caller_id", "extension"),
    ];
    let answer = app.post_form("/followme", &alice, &form).await;
    assert_eq!(answer.header("location"), "/followme?done=saved");
    let saved = app.backend.lock().followme["201"].clone();
    assert!(saved.enabled && saved.confirm);
    assert_eq!(saved.steps[0].numbers, vec!["01715550123"]);
    assert_eq!(saved.steps[1].numbers, vec!["0301", "0302"]);
    assert_eq!(saved.caller_id, CallerIdChoice::Extension);
    let page = app.get("/followme", &alice).await;
    assert!(page.body.contains("value=\"0301, 0302\""));
}

#[tokio::test]
async fn followme_backend_validation_error_is_shown_next_to_the_step() {
    let (app, alice) = TestApp::with_alice().await;
    let form = [
        ("initial_ring_secs", "10"),
        ("step_numbers", "0171"),
        ("step_ring_secs", "20"),
        ("step_numbers", "12ab"),
        ("step_ring_secs", "20"),
    ];
    let answer = app.post_form("/followme", &alice, &form).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        answer
            .body
            .contains("id=\"steps-1-numbers-error\">numbers may contain only digits")
    );
    assert!(
        answer.body.contains("value=\"12ab\""),
        "the rejected input is kept"
    );
    assert!(!app.backend.lock().followme.contains_key("201"));
}

#[tokio::test]
async fn followme_unreadable_number_of_seconds_is_shown_next_to_the_field() {
    let (app, alice) = TestApp::with_alice().await;
    let answer = app
        .post_form("/followme", &alice, &[("initial_ring_secs", "soon")])
        .await;
    assert_field_error_shown(&answer, "initial_ring_secs");
}

#[tokio::test]
async fn followme_api_round_trips_and_reports_fields() {
    let (app, alice) = TestApp::with_alice().await;
    let fm = json!({"enabled": true, "initial_ring_secs": 0, "steps": [{"numbers": ["0049301"], "ring_secs": 25}],
        "confirm": true, "moh": "", "caller_id": "caller"});
    let answer = app.put_json("/api/v1/followme", &alice, fm.clone()).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(app.get("/api/v1/followme", &alice).await.json(), fm);
    let bad = json!({"enabled": true, "initial_ring_secs": 0, "steps": [{"numbers": ["x1"], "ring_secs": 25}],
        "confirm": true, "moh": "", "caller_id": "caller"});
    let answer = app.put_json("/api/v1/followme", &alice, bad).await;
    assert_field_error(&answer, "steps[0].numbers");
}

#[tokio::test]
async fn greetings_page_shows_slots_players_and_what_callers_hear() {
    let app = TestApp::new();
    app.backend.lock().greetings.insert(
        ("201".into(), GreetingSlot::Greet),
        bytes::Bytes::from_static(b"RIFF-greet"),
    );
    let alice = app.alice().await;
    let page = app.get("/greetings", &alice).await;
    assert!(page.body.contains("id=\"play-greet\""));
    assert!(page.body.contains("src=\"/greetings/greet/audio\""));
    assert!(!page.body.contains("id=\"play-temp\""));
    assert!(page.body.contains("id=\"heard-busy\">When you are busy: callers hear your <strong>name / general</strong> greeting."));
}

#[tokio::test]
async fn greeting_upload_form_stores_audio_and_redirects() {
    let (app, alice) = TestApp::with_alice().await;
    let answer = app
        .upload_greeting(&alice, "unavail", "hello.wav", "audio/wav", WAV)
        .await;
    assert_eq!(answer.header("location"), "/greetings?done=uploaded");
    assert!(app.has_greeting("201", GreetingSlot::Unavail));
}

#[tokio::test]
async fn greeting_conversion_error_is_shown_in_plain_words() {
    let (app, alice) = TestApp::with_alice().await;
    let answer = app
        .upload_greeting(&alice, "temp", "broken.mp3", "audio/mpeg", b"garbage")
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(answer.body.contains(
        "The temporary greeting was not changed: the file is not audio in a format we can read"
    ));
}

#[tokio::test]
async fn greeting_audio_is_served_as_wav_for_the_browser() {
    let app = TestApp::new();
    app.backend.lock().greetings.insert(
        ("201".into(), GreetingSlot::Temp),
        bytes::Bytes::from_static(b"RIFF-temp"),
    );
    let alice = app.alice().await;
    let answer = app.get("/greetings/temp/audio", &alice).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.header("content-type"), "audio/wav");
    assert_eq!(answer.body, "RIFF-temp");
}

#[tokio::test]
async fn greeting_delete_form_removes_the_slot() {
    let app = TestApp::new();
    app.backend.lock().greetings.insert(
        ("201".into(), GreetingSlot::Temp),
        bytes::Bytes::from_static(b"RIFF"),
    );
    let alice = app.alice().await;
    let answer = app.post_form("/greetings/temp/delete", &alice, &[]).await;
    assert_eq!(answer.header("location"), "/greetings?done=deleted");
    assert!(!app.has_greeting("201", GreetingSlot::Temp));
}

#[tokio::test]
async fn greetings_api_lists_uploads_plays_and_deletes() {
    let (app, alice) = TestApp::with_alice().await;
    let up = app
        .upload(
            Method::PUT,
            "/api/v1/greetings/temp?file_name=t.wav",
            &alice,
            "audio/wav",
            WAV,
        )
        .await;
    assert_eq!(up.status, StatusCode::OK);
    assert_eq!(up.json()["exists"], true);
    let list = app.get("/api/v1/greetings", &alice).await.json();
    assert_eq!(list["slots"][0]["slot"], "temp");
    assert_eq!(list["heard_now"][2]["slot"], "temp");
    assert_eq!(
        app.get("/api/v1/greetings/temp/audio", &alice)
            .await
            .body
            .as_bytes(),
        WAV
    );
    assert_eq!(
        app.delete("/api/v1/greetings/temp", &alice).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.delete("/api/v1/greetings/temp", &alice).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn greetings_api_reports_conversion_errors_as_422() {
    let (app, alice) = TestApp::with_alice().await;
    let answer = app
        .upload(
            Method::PUT,
            "/api/v1/greetings/busy",
            &alice,
            "audio/mpeg",
            b"junk",
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.json()["error"], "rejected");
}

#[tokio::test]
async fn raw_ulaw_upload_sent_as_octet_stream_reaches_the_backend() {
    let (app, alice) = TestApp::with_alice().await;
    let answer = app
        .upload_greeting(
            &alice,
            "greet",
            "prompt.ulaw",
            "application/octet-stream",
            WAV,
        )
        .await;
    assert_eq!(answer.header("location"), "/greetings?done=uploaded");
}

#[tokio::test]
async fn upload_form_with_no_file_chosen_asks_for_one() {
    let (app, alice) = TestApp::with_alice().await;
    let empty = Part::file("audio", "", "application/octet-stream", b"");
    let answer = app
        .post_multipart(
            "/greetings/greet",
            &alice,
            &[Part::Text("csrf_token", &alice.csrf), empty],
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.body.contains("choose an audio file to upload"));
}
