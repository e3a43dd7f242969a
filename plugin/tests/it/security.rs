//! CSRF on every state-changing request, security headers, upload caps and content types.

use crate::common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::*;
use ringside_portal::PortalSettings;
use ringside_portal::model::GreetingSlot;

#[tokio::test]
async fn form_post_without_csrf_token_is_refused() {
    let (app, alice) = TestApp::with_alice().await;
    let answer = app
        .send(form_request(
            "/profile/email",
            Some(&alice),
            &[("email", "x@y.org")],
        ))
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(app.user("201").email, "alice@example.org");
}

#[tokio::test]
async fn form_post_with_another_sessions_token_is_refused() {
    let (app, alice) = TestApp::with_alice().await;
    let bob = app.login("202", "bob-pw").await;
    let forged = Client {
        cookie: alice.cookie.clone(),
        csrf: bob.csrf,
    };
    let answer = app
        .post_form("/profile/email", &forged, &[("email", "x@y.org")])
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn form_post_with_the_token_in_the_header_is_accepted() {
    let (app, alice) = TestApp::with_alice().await;
    let mut request = form_request("/profile/email", Some(&alice), &[("email", "new@y.org")]);
    request
        .headers_mut()
        .insert("x-csrf-token", alice.csrf.parse().expect("header"));
    assert_eq!(app.send(request).await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn json_write_without_csrf_header_is_refused() {
    let (app, alice) = TestApp::with_alice().await;
    let answer = app
        .send(
            Request::put("/api/v1/profile/email")
                .header(header::COOKIE, &alice.cookie)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(r#"{"email":"x@y.org"}"#))
                .expect("request"),
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(answer.json()["error"], "csrf");
}

#[tokio::test]
async fn api_delete_without_csrf_header_is_refused() {
    let (app, alice) = TestApp::with_alice().await;
    let answer = app
        .send(
            Request::delete("/api/v1/wakeups/1")
                .header(header::COOKIE, &alice.cookie)
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(app.backend.lock().wakeups.contains_key(&1));
}

#[tokio::test]
async fn multipart_upload_must_start_with_the_csrf_token() {
    let (app, alice) = TestApp::with_alice().await;
    let file = Part::file("audio", "g.wav", "audio/wav", WAV);
    let answer = app
        .post_multipart(
            "/greetings/temp",
            &alice,
            &[file, Part::Text("csrf_token", &alice.csrf)],
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(!app.has_greeting("201", GreetingSlot::Temp));
}

#[tokio::test]
async fn multipart_upload_with_a_wrong_token_is_refused() {
    let (app, alice) = TestApp::with_alice().await;
    let file = Part::file("audio", "g.wav", "audio/wav", WAV);
    let answer = app
        .post_multipart(
            "/greetings/temp",
            &alice,
            &[Part::Text("csrf_token", "00"), file],
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = TestApp::new();
    for path in ["/login", "/api/v1/openapi.json", "/nowhere"] {
        let answer = app.get_anonymous(path).await;
        let csp = answer.header("content-security-policy");
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"));
        assert_eq!(answer.header("x-content-type-options"), "nosniff");
        assert_eq!(answer.header("x-frame-options"), "DENY");
        assert_eq!(answer.header("referrer-policy"), "same-origin");
    }
}

#[tokio::test]
async fn pages_contain_no_inline_script_or_style() {
    let (app, alice) = TestApp::with_alice().await;
    for path in [
        "/profile",
        "/followme",
        "/greetings",
        "/wakeups",
        "/wakeups/new",
        "/fax",
        "/fax/jobs/1",
    ] {
        let answer = app.get(path, &alice).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}");
        assert!(
            !answer.body.contains("<script>") && !answer.body.contains("style="),
            "{path}"
        );
        assert!(!answer.body.contains(" onclick="), "{path}");
    }
}

#[tokio::test]
async fn assets_are_served_from_the_binary() {
    let app = TestApp::new();
    let css = app.get_anonymous("/assets/portal.css").await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.header("content-type").starts_with("text/css"));
    let js = app.get_anonymous("/assets/portal.js").await;
    assert!(js.header("content-type").starts_with("text/javascript"));
    assert!(js.body.contains("EventSource"));
}

/// The API routes the upload tests send raw bodies to.
const FAX_API: &str = "/api/v1/fax/jobs?number=0301";
const FOLLOWME_API: &str = "/api/v1/followme";
const TEMP_GREETING_API: &str = "/api/v1/greetings/temp";

fn small_caps() -> PortalSettings {
    PortalSettings {
        greeting_max_bytes: 1000,
        fax_max_bytes: 1000,
        csv_max_bytes: 100,
        ..PortalSettings::default()
    }
}

#[tokio::test]
async fn greeting_upload_form_over_the_cap_answers_413_and_keeps_the_old_greeting() {
    let app = TestApp::with_settings(small_caps());
    app.backend.lock().greetings.insert(
        ("201".into(), GreetingSlot::Temp),
        bytes::Bytes::from_static(b"RIFF-old"),
    );
    let alice = app.alice().await;
    let big = [WAV, &[0u8; 2000]].concat();
    let answer = app
        .upload_greeting(&alice, "temp", "g.wav", "audio/wav", &big)
        .await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        app.backend.lock().greetings[&("201".into(), GreetingSlot::Temp)],
        &b"RIFF-old"[..]
    );
}

#[tokio::test]
async fn streamed_upload_without_content_length_is_cut_off_at_the_cap() {
    let app = TestApp::with_settings(small_caps());
    let alice = app.alice().await;
    let chunks: Vec<Result<bytes::Bytes, std::io::Error>> = (0..10)
        .map(|_| Ok(bytes::Bytes::from(vec![b'R'; 500])))
        .collect();
    let body = Body::from_stream(futures_util::stream::iter(chunks));
    let request = Request::put(TEMP_GREETING_API)
        .header(header::COOKIE, &alice.cookie)
        .header("x-csrf-token", &alice.csrf)
        .header(header::CONTENT_TYPE, "audio/wav")
        .body(body)
        .expect("request");
    let answer = app.send(request).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(answer.json()["error"], "payload_too_large");
}

#[tokio::test]
async fn api_fax_over_the_cap_answers_413_and_queues_nothing() {
    let app = TestApp::with_settings(small_caps());
    let alice = app.alice().await;
    let before = app.backend.lock().fax_jobs.len();
    let big = [PDF, &[b' '; 2000]].concat();
    let answer = app
        .upload(Method::POST, FAX_API, &alice, "application/pdf", big)
        .await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(app.backend.lock().fax_jobs.len(), before);
}

#[tokio::test]
async fn csv_import_over_the_cap_answers_413() {
    let app = TestApp::with_settings(small_caps());
    let admin = app.admin().await;
    let csv = "301,Someone,,generate\n".repeat(20).into_bytes();
    let answer = app.import_users(&admin, "text/csv", csv).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn oversized_json_body_answers_413() {
    let app = TestApp::with_settings(PortalSettings {
        form_max_bytes: 200,
        ..PortalSettings::default()
    });
    let alice = app.alice().await;
    let body = serde_json::json!({ "email": "a".repeat(500) });
    let answer = app.put_json("/api/v1/profile/email", &alice, body).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn greeting_upload_of_a_non_audio_type_answers_415() {
    let (app, alice) = TestApp::with_alice().await;
    let answer = app
        .upload_greeting(&alice, "temp", "x.exe", "application/octet-stream", WAV)
        .await;
    assert_eq!(answer.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(answer.body.contains("audio"));
}

#[tokio::test]
async fn api_greeting_upload_as_text_answers_415() {
    let (app, alice) = TestApp::with_alice().await;
    let answer = app
        .upload(Method::PUT, TEMP_GREETING_API, &alice, "text/plain", WAV)
        .await;
    assert_eq!(answer.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn fax_document_of_the_wrong_type_answers_415() {
    let (app, alice) = TestApp::with_alice().await;
    let file = Part::file("document", "x.png", "image/png", PDF);
    let answer = app
        .post_multipart(
            "/fax/send",
            &alice,
            &[
                Part::Text("csrf_token", &alice.csrf),
                Part::Text("number", "0301"),
                file,
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let api = app
        .upload(Method::POST, FAX_API, &alice, "image/png", PDF)
        .await;
    assert_eq!(api.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn json_api_refuses_a_body_that_is_not_declared_json() {
    let (app, alice) = TestApp::with_alice().await;
    let answer = app
        .upload(Method::PUT, FOLLOWME_API, &alice, "text/plain", b"{}")
        .await;
    assert_eq!(answer.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(answer.json()["error"], "unsupported_media_type");
}

#[tokio::test]
async fn upload_form_sent_url_encoded_answers_415() {
    let (app, alice) = TestApp::with_alice().await;
    let answer = app
        .post_form("/greetings/temp", &alice, &[("audio", "RIFF")])
        .await;
    assert_eq!(answer.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn csv_import_as_json_answers_415() {
    let (app, admin) = TestApp::with_admin().await;
    let answer = app.import_users(&admin, "application/json", b"[]").await;
    assert_eq!(answer.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn malformed_json_answers_400_with_a_json_error() {
    let (app, alice) = TestApp::with_alice().await;
    let answer = app
        .upload(
            Method::PUT,
            FOLLOWME_API,
            &alice,
            "application/json",
            b"{not json",
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.json()["error"], "bad_request");
}

#[tokio::test]
async fn user_text_is_escaped_in_pages() {
    let app = TestApp::new();
    app.edit_user("201", |u| u.name = "<script>x</script>".into());
    let alice = app.alice().await;
    let page = app.get("/profile", &alice).await;
    assert!(!page.body.contains("<script>x"));
    assert!(page.body.contains("&lt;script&gt;x"));
}
