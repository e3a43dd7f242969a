//! Login, logout, sessions, cookies and login rate limiting.

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::*;
use ringside_portal::PortalSettings;

#[tokio::test]
async fn api_login_sets_an_http_only_lax_session_cookie_without_secure_by_default() {
    let app = TestApp::new();
    let answer = app.api_login("201", "alice-pw").await;
    assert_eq!(answer.status, StatusCode::OK);
    let cookie = answer
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("ringside_session="))
        .expect("cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "{cookie}");
    assert_eq!(answer.json()["user"]["extension"], "201");
}

#[tokio::test]
async fn session_cookie_is_secure_when_configured() {
    let app = TestApp::with_settings(PortalSettings {
        secure_cookies: true,
        ..PortalSettings::default()
    });
    let answer = app.api_login("201", "alice-pw").await;
    let cookie = answer
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("ringside_session="))
        .expect("cookie");
    assert!(cookie.contains("; Secure"), "{cookie}");
}

#[tokio::test]
async fn wrong_password_and_unknown_extension_get_the_same_401() {
    let app = TestApp::new();
    let wrong = app.api_login("201", "nope").await;
    let unknown = app.api_login("777", "nope").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.json()["message"], unknown.json()["message"]);
    assert!(session_cookie(&wrong).is_none());
}

#[tokio::test]
async fn disabled_user_cannot_log_in() {
    let app = TestApp::new();
    assert_eq!(
        app.api_login("205", "eve-pw").await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn user_without_portal_access_cannot_log_in() {
    let app = TestApp::new();
    assert_eq!(
        app.api_login("206", "fred-pw").await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn login_cycles_the_session_id_and_deletes_the_old_session() {
    let (app, first) = TestApp::with_alice().await;
    let answer = app
        .send(
            Request::post("/api/v1/session")
                .header(header::COOKIE, &first.cookie)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(r#"{"extension":"201","password":"alice-pw"}"#))
                .expect("request"),
        )
        .await;
    let second = session_cookie(&answer).expect("new cookie");
    assert_ne!(second, first.cookie);
    assert_eq!(
        app.get("/api/v1/session", &first).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn sessions_survive_a_restart_because_the_backend_stores_them() {
    let (app, alice) = TestApp::with_alice().await;
    let after_restart = app.restarted();
    let answer = after_restart.get("/api/v1/session", &alice).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.json()["csrf_token"], alice.csrf);
}

#[tokio::test]
async fn expired_session_is_refused_and_deleted() {
    let (app, alice) = TestApp::with_alice().await;
    for s in app.backend.lock().sessions.values_mut() {
        s.expires_at = fake_backend::t0();
    }
    assert_eq!(
        app.get("/api/v1/session", &alice).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert!(app.backend.lock().sessions.is_empty());
}

#[tokio::test]
async fn disabling_a_user_ends_their_open_session() {
    let (app, alice) = TestApp::with_alice().await;
    app.edit_user("201", |u| u.disabled = true);
    assert_eq!(
        app.get("/api/v1/followme", &alice).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn api_logout_deletes_the_session_and_clears_the_cookie() {
    let (app, alice) = TestApp::with_alice().await;
    let answer = app.delete("/api/v1/session", &alice).await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT);
    assert!(
        answer
            .set_cookies()
            .iter()
            .any(|c| c.starts_with("ringside_session=;") && c.contains("Max-Age=0"))
    );
    assert_eq!(
        app.get("/api/v1/session", &alice).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn page_logout_deletes_the_session_and_redirects_to_login() {
    let (app, alice) = TestApp::with_alice().await;
    let answer = app.post_form("/logout", &alice, &[]).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(answer.header("location"), "/login");
    assert!(app.backend.lock().sessions.is_empty());
}

#[tokio::test]
async fn pages_redirect_to_login_without_a_session() {
    let app = TestApp::new();
    let answer = app.get_anonymous("/followme").await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(answer.header("location"), "/login");
}

#[tokio::test]
async fn api_answers_401_json_without_a_session() {
    let app = TestApp::new();
    let answer = app.get_anonymous("/api/v1/followme").await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.json()["error"], "unauthenticated");
}

/// Fetches the login page and returns the double-submit cookie and the form's token.
async fn login_page(app: &TestApp) -> (String, String) {
    let page = app.get_anonymous("/login").await;
    assert_eq!(page.status, StatusCode::OK);
    let cookie = page
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("ringside_login_csrf="))
        .expect("login cookie");
    let cookie = cookie.split(';').next().expect("pair").to_owned();
    let token = cookie.split_once('=').expect("value").1.to_owned();
    assert!(page.body.contains(&format!("value=\"{token}\"")));
    (cookie, token)
}

fn page_login_request(cookie: &str, token: &str, ext: &str, password: &str) -> Request<Body> {
    let body = format!("csrf_token={token}&extension={ext}&password={password}");
    Request::post("/login")
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .expect("request")
}

#[tokio::test]
async fn login_form_logs_in_and_redirects_home() {
    let app = TestApp::new();
    let (cookie, token) = login_page(&app).await;
    let answer = app
        .send(page_login_request(&cookie, &token, "201", "alice-pw"))
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert!(session_cookie(&answer).is_some());
}

#[tokio::test]
async fn login_form_without_the_double_submit_cookie_is_refused() {
    let app = TestApp::new();
    let (_, token) = login_page(&app).await;
    let answer = app
        .send(page_login_request("other=1", &token, "201", "alice-pw"))
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(session_cookie(&answer).is_none());
}

#[tokio::test]
async fn login_form_shows_a_generic_error_for_a_wrong_password() {
    let app = TestApp::new();
    let (cookie, token) = login_page(&app).await;
    let answer = app
        .send(page_login_request(&cookie, &token, "201", "bad"))
        .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert!(answer.body.contains("extension or password is wrong"));
}

#[tokio::test]
async fn login_is_rate_limited_per_extension_even_with_the_right_password() {
    let app = TestApp::with_settings(PortalSettings {
        login_failures_per_user: 3,
        ..PortalSettings::default()
    });
    for _ in 0..3 {
        assert_eq!(
            app.api_login("201", "bad").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let blocked = app.api_login("201", "alice-pw").await;
    assert_eq!(blocked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        blocked
            .header("retry-after")
            .parse::<u64>()
            .expect("seconds")
            > 0
    );
    assert_eq!(app.api_login("202", "bob-pw").await.status, StatusCode::OK);
}

#[tokio::test]
async fn login_is_rate_limited_per_client_address_across_extensions() {
    let app = TestApp::with_settings(PortalSettings {
        login_failures_per_ip: 4,
        ..PortalSettings::default()
    });
    for ext in ["301", "302", "303", "304"] {
        assert_eq!(
            app.api_login(ext, "guess").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        app.api_login("202", "bob-pw").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn login_form_answers_429_when_rate_limited() {
    let app = TestApp::with_settings(PortalSettings {
        login_failures_per_user: 1,
        ..PortalSettings::default()
    });
    let (cookie, token) = login_page(&app).await;
    app.send(page_login_request(&cookie, &token, "201", "bad"))
        .await;
    let answer = app
        .send(page_login_request(&cookie, &token, "201", "alice-pw"))
        .await;
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(answer.body.contains("too many failed logins"));
}

#[tokio::test]
async fn home_redirects_to_the_first_menu_the_user_may_open() {
    let app = TestApp::new();
    app.backend.set_access(
        "201",
        ringside_portal::model::Menu::Profile,
        ringside_portal::model::Access::No,
    );
    let alice = app.alice().await;
    let answer = app.get("/", &alice).await;
    assert_eq!(answer.header("location"), "/followme");
}
