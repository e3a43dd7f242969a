//! Per-menu access (no / read / write), admin-only routes, and ownership of every object named
//! by an id in a URL.

use crate::common;

use axum::http::{Method, StatusCode};
use common::*;
use ringside_portal::model::{Access, GreetingSlot, Menu};
use serde_json::json;

/// One read route (page and API) and one write per menu.
fn menu_routes(menu: Menu) -> (&'static str, &'static str, &'static str) {
    match menu {
        Menu::Profile => ("/profile", "/api/v1/profile", "/profile/email"),
        Menu::Followme => ("/followme", "/api/v1/followme", "/followme"),
        Menu::Greetings => ("/greetings", "/api/v1/greetings", "/greetings/temp/delete"),
        Menu::Wakeup => ("/wakeups", "/api/v1/wakeups", "/wakeups/1/delete"),
        Menu::Fax => ("/fax", "/api/v1/fax/jobs", "/fax/send"),
        Menu::Voicemail => ("/voicemail", "/api/v1/voicemail", "/voicemail/delete"),
        Menu::CallHandling => ("/call-handling", "/api/v1/call-handling", "/call-handling"),
        Menu::Calls => ("/calls", "/api/v1/calls", "/calls/export"),
    }
}

#[tokio::test]
async fn menus_without_access_answer_403_on_page_and_api() {
    let app = TestApp::new();
    let dave = app.login("204", "dave-pw").await;
    for menu in Menu::ALL {
        let (page, api, _) = menu_routes(menu);
        assert_eq!(
            app.get(page, &dave).await.status,
            StatusCode::FORBIDDEN,
            "{page}"
        );
        let answer = app.get(api, &dave).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{api}");
        assert_eq!(answer.json()["error"], "forbidden");
    }
}

#[tokio::test]
async fn menus_without_access_are_not_in_the_navigation() {
    let app = TestApp::new();
    app.backend.set_access("201", Menu::Fax, Access::No);
    let alice = app.alice().await;
    let page = app.get("/profile", &alice).await;
    assert!(page.body.contains("id=\"nav-followme\""));
    assert!(!page.body.contains("id=\"nav-fax\""));
    assert!(!page.body.contains("href=\"/fax\""));
}

/// Carol (203, read access to every menu) logged in, owning wakeup 1 so the wakeup pages
/// have something of hers to show and to refuse changing.
async fn carol_with_wakeup_1() -> (TestApp, Client) {
    let app = TestApp::new();
    app.backend
        .lock()
        .wakeups
        .get_mut(&1)
        .expect("wakeup")
        .owner = "203".into();
    let carol = app.login("203", "carol-pw").await;
    (app, carol)
}

#[tokio::test]
async fn read_access_shows_every_menu_with_disabled_inputs() {
    let (app, carol) = carol_with_wakeup_1().await;
    for menu in Menu::ALL {
        let (page, _, _) = menu_routes(menu);
        let answer = app.get(page, &carol).await;
        assert_eq!(answer.status, StatusCode::OK, "{page}");
        assert!(answer.body.contains("<fieldset disabled>"), "{page}");
        assert!(answer.body.contains("id=\"read-only\""), "{page}");
    }
}

#[tokio::test]
async fn read_access_rejects_page_writes_with_403() {
    let (app, carol) = carol_with_wakeup_1().await;
    for menu in Menu::ALL {
        let (_, _, write) = menu_routes(menu);
        let answer = app.post_form(write, &carol, &[("email", "x@y.org")]).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{write}");
    }
    assert!(app.backend.lock().wakeups.contains_key(&1));
}

#[tokio::test]
async fn read_access_rejects_api_writes_with_403() {
    let app = TestApp::new();
    let carol = app.login("203", "carol-pw").await;
    let writes = [
        (
            Method::PUT,
            "/api/v1/profile/email",
            json!({"email": "x@y.org"}),
        ),
        (Method::PUT, "/api/v1/followme", json!({})),
        (Method::DELETE, "/api/v1/greetings/temp", json!(null)),
        (Method::POST, "/api/v1/wakeups", json!({})),
        (Method::POST, "/api/v1/fax/jobs?number=1", json!(null)),
    ];
    for (method, path, body) in writes {
        let answer = app.json(method.clone(), path, &carol, body).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{method} {path}");
    }
}

#[tokio::test]
async fn read_access_still_allows_reading_the_api() {
    let app = TestApp::new();
    let carol = app.login("203", "carol-pw").await;
    assert_eq!(
        app.get("/api/v1/followme", &carol).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn changing_access_takes_effect_on_the_open_session() {
    let (app, alice) = TestApp::with_alice().await;
    app.backend.set_access("201", Menu::Followme, Access::Read);
    let answer = app
        .post_form("/followme", &alice, &[("initial_ring_secs", "5")])
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
}

const ADMIN_PAGES: [&str; 6] = [
    "/admin/users",
    "/admin/users/new",
    "/admin/users/201",
    "/admin/import",
    "/admin/defaults",
    "/admin/status",
];

#[tokio::test]
async fn admin_pages_answer_403_to_users() {
    let (app, alice) = TestApp::with_alice().await;
    for path in ADMIN_PAGES {
        assert_eq!(
            app.get(path, &alice).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    let post = app
        .post_form("/admin/users/201", &alice, &[("name", "Alice")])
        .await;
    assert_eq!(post.status, StatusCode::FORBIDDEN);
    let reset = app
        .post_form(
            "/admin/users/202/password",
            &alice,
            &[("new_password", "taken-over")],
        )
        .await;
    assert_eq!(reset.status, StatusCode::FORBIDDEN);
    assert_eq!(app.backend.lock().accounts["202"].password, "bob-pw");
}

#[tokio::test]
async fn admin_api_answers_403_to_users() {
    let (app, alice) = TestApp::with_alice().await;
    for path in [
        "/api/v1/admin/users",
        "/api/v1/admin/users/202",
        "/api/v1/admin/access-defaults",
        "/api/v1/admin/status",
    ] {
        assert_eq!(
            app.get(path, &alice).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    let writes = [
        (Method::POST, "/api/v1/admin/users"),
        (Method::PUT, "/api/v1/admin/users/201"),
        (Method::POST, "/api/v1/admin/users/202/password"),
        (Method::POST, "/api/v1/admin/import"),
        (Method::PUT, "/api/v1/admin/access-defaults"),
    ];
    for (method, path) in writes {
        let answer = app.json(method.clone(), path, &alice, json!({})).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{method} {path}");
    }
}

#[tokio::test]
async fn admin_pages_are_not_in_a_users_navigation() {
    let (app, alice) = TestApp::with_alice().await;
    assert!(
        !app.get("/profile", &alice)
            .await
            .body
            .contains("/admin/users")
    );
    let admin = app.admin().await;
    assert!(
        app.get("/profile", &admin)
            .await
            .body
            .contains("id=\"nav-admin\"")
    );
}

/// Bob owns wakeup 2, fax job 2 and received fax 2; Alice asks for them.
#[tokio::test]
async fn reading_another_users_objects_answers_404_on_every_page_and_api_route() {
    let (app, alice) = TestApp::with_alice().await;
    let paths = [
        "/wakeups/2",
        "/fax/jobs/2",
        "/fax/sent/2/pdf",
        "/fax/sent/2/tiff",
        "/fax/inbox/2/pdf",
        "/fax/inbox/2/tiff",
        "/api/v1/wakeups/2",
        "/api/v1/wakeups/2/attempts",
        "/api/v1/fax/jobs/2",
        "/api/v1/fax/jobs/2/events",
        "/api/v1/fax/jobs/2/document/pdf",
        "/api/v1/fax/inbox/2",
        "/api/v1/fax/inbox/2/document/tiff",
    ];
    for path in paths {
        let answer = app.get(path, &alice).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            !answer.body.contains("202") && !answer.body.contains("from-202"),
            "{path} leaks: {}",
            answer.body
        );
    }
}

#[tokio::test]
async fn own_objects_are_readable_on_the_same_routes() {
    let (app, alice) = TestApp::with_alice().await;
    for path in [
        "/wakeups/1",
        "/fax/jobs/1",
        "/fax/sent/1/pdf",
        "/fax/inbox/1/tiff",
        "/api/v1/wakeups/1/attempts",
        "/api/v1/fax/inbox/1",
    ] {
        assert_eq!(app.get(path, &alice).await.status, StatusCode::OK, "{path}");
    }
}

#[tokio::test]
async fn changing_another_users_wakeup_through_pages_answers_404_and_changes_nothing() {
    let (app, alice) = TestApp::with_alice().await;
    let before = app.backend.lock().wakeups[&2].clone();
    let edit = [
        ("name", "Hijacked"),
        ("schedule", "weekly"),
        ("days", "mon"),
        ("time", "03:00"),
        ("members", "201"),
    ];
    assert_eq!(
        app.post_form("/wakeups/2", &alice, &edit).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.post_form("/wakeups/2/enabled", &alice, &[("enabled", "0")])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.post_form("/wakeups/2/delete", &alice, &[]).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.backend.lock().wakeups[&2], before);
}

#[tokio::test]
async fn changing_another_users_wakeup_through_the_api_answers_404_and_changes_nothing() {
    let (app, alice) = TestApp::with_alice().await;
    let before = app.backend.lock().wakeups[&2].clone();
    let spec = serde_json::to_value(&fake_backend::wakeup(2, "201").spec).expect("json");
    assert_eq!(
        app.put_json("/api/v1/wakeups/2", &alice, spec).await.status,
        StatusCode::NOT_FOUND
    );
    let off = json!({"enabled": false});
    assert_eq!(
        app.put_json("/api/v1/wakeups/2/enabled", &alice, off)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.delete("/api/v1/wakeups/2", &alice).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.backend.lock().wakeups[&2], before);
}

#[tokio::test]
async fn greetings_are_always_the_session_users_own() {
    let (app, alice) = TestApp::with_alice().await;
    // Bob has a busy greeting; Alice's busy slot is empty, so her requests find nothing.
    assert_eq!(
        app.get("/greetings/busy/audio", &alice).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/api/v1/greetings/busy/audio", &alice).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.delete("/api/v1/greetings/busy", &alice).await.status,
        StatusCode::NOT_FOUND
    );
    assert!(app.has_greeting("202", GreetingSlot::Busy));
}

#[tokio::test]
async fn ids_that_are_not_numbers_answer_404() {
    let (app, alice) = TestApp::with_alice().await;
    for path in [
        "/wakeups/abc",
        "/api/v1/wakeups/1;DROP",
        "/api/v1/fax/jobs/-x",
        "/fax/sent/1/exe",
        "/api/v1/greetings/nope/audio",
    ] {
        assert_eq!(
            app.get(path, &alice).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
}

#[tokio::test]
async fn unknown_routes_answer_404_in_the_format_of_their_area() {
    let (app, alice) = TestApp::with_alice().await;
    assert_eq!(
        app.get("/api/v1/nothing", &alice).await.json()["error"],
        "not_found"
    );
    let page = app.get("/nothing", &alice).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.body.contains("<!doctype html>"));
}

/// Every operation in the OpenAPI document (ids filled in) refuses a request without a session,
/// except the document itself and the login.
#[tokio::test]
async fn every_documented_api_operation_needs_a_session() {
    let app = TestApp::new();
    let doc = app.get_anonymous("/api/v1/openapi.json").await.json();
    let paths = doc["paths"].as_object().expect("paths");
    let mut checked = 0;
    for (path, ops) in paths {
        let concrete = path
            .replace("{id}", "1")
            .replace("{slot}", "temp")
            .replace("{format}", "pdf")
            .replace("{ext}", "201");
        for method in ops.as_object().expect("operations").keys() {
            let public =
                path == "/api/v1/openapi.json" || (path == "/api/v1/session" && method == "post");
            if public {
                continue;
            }
            let request = axum::http::Request::builder()
                .method(method.to_uppercase().as_str())
                .uri(&concrete)
                .header("content-type", "application/json")
                .body(axum::body::Body::from("{}"))
                .expect("request");
            let answer = app.send(request).await;
            assert_eq!(
                answer.status,
                StatusCode::UNAUTHORIZED,
                "{method} {concrete}"
            );
            checked += 1;
        }
    }
    assert!(checked > 30, "only {checked} operations checked");
}

#[tokio::test]
async fn every_admin_page_renders_for_an_admin() {
    let (app, admin) = TestApp::with_admin().await;
    for path in ADMIN_PAGES {
        let answer = app.get(path, &admin).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}");
        assert!(
            answer.body.contains("aria-current=\"page\""),
            "{path} marks its tab"
        );
    }
}
