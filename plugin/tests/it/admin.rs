//! Admin pages and API: users list, create, edit, disable, access levels, import, password
//! reset, defaults for new users, system status.

use crate::common;

use axum::http::{Method, StatusCode};
use common::*;
use ringside_portal::PortalSettings;
use ringside_portal::model::{Access, Menu, MenuAccess};
use serde_json::json;

#[tokio::test]
async fn users_list_searches_and_pages() {
    let app = TestApp::with_settings(PortalSettings {
        users_per_page: 3,
        ..PortalSettings::default()
    });
    let admin = app.admin().await;
    let first = app.get("/admin/users", &admin).await;
    assert!(first.body.contains("id=\"user-201\"") && !first.body.contains("id=\"user-204\""));
    assert!(first.body.contains("Page 1 of 3 (7 users)"));
    assert!(first.body.contains("id=\"next-page\""));
    let second = app.get("/admin/users?page=2", &admin).await;
    assert!(second.body.contains("id=\"user-204\"") && second.body.contains("id=\"prev-page\""));
    let search = app.get("/admin/users?q=carol", &admin).await;
    assert!(search.body.contains("id=\"user-203\"") && !search.body.contains("id=\"user-201\""));
}

#[tokio::test]
async fn create_user_form_generates_a_password_and_shows_it_once() {
    let app = TestApp::new();
    let admin = app.admin().await;
    assert_eq!(
        app.get("/admin/users/new", &admin).await.status,
        StatusCode::OK
    );
    let answer = app
        .post_form(
            "/admin/users",
            &admin,
            &[
                ("extension", "0210"),
                ("name", "Zed"),
                ("email", ""),
                ("password", ""),
                ("portal_enabled", "on"),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(
        answer
            .body
            .contains("Generated password (shown once): generated-secret")
    );
    assert!(app.backend.lock().accounts.contains_key("0210"));
}

#[tokio::test]
async fn create_user_with_a_taken_extension_says_so_next_to_the_field() {
    let app = TestApp::new();
    let admin = app.admin().await;
    let answer = app
        .post_form(
            "/admin/users",
            &admin,
            &[("extension", "201"), ("name", "Again"), ("password", "x")],
        )
        .await;
    assert_eq!(answer.status, StatusCode::CONFLICT);
    assert!(
        answer
            .body
            .contains("id=\"extension-error\">extension 201 already exists")
    );
}

fn user_form<'a>(
    access: &'a [(&'a str, &'a str)],
    flags: &'a [(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![("name", "Alice A."), ("email", "alice@example.org")];
    form.extend_from_slice(flags);
    form.extend_from_slice(access);
    form
}

/// Write access to every menu, as the form's fields.
fn all_write() -> [(&'static str, &'static str); 8] {
    ACCESS_FIELDS.map(|name| (name, "write"))
}

#[tokio::test]
async fn admin_sets_followme_read_only_and_the_user_can_no_longer_save() {
    let app = TestApp::new();
    let admin = app.admin().await;
    let alice = app.alice().await;
    let mut access = all_write();
    access[1] = ("access_followme", "read");
    let form = user_form(&access, &[("portal_enabled", "on")]);
    let answer = app.post_form("/admin/users/201", &admin, &form).await;
    assert_eq!(answer.header("location"), "/admin/users/201?done=saved");
    let page = app.get("/followme", &alice).await;
    assert!(page.body.contains("<fieldset disabled>"));
    assert_eq!(
        app.post_form("/followme", &alice, &[("initial_ring_secs", "5")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn edit_user_page_shows_access_levels_as_radios() {
    let app = TestApp::new();
    app.backend.set_access("201", Menu::Fax, Access::No);
    let admin = app.admin().await;
    let page = app.get("/admin/users/201", &admin).await;
    assert!(
        page.body
            .contains("id=\"access-fax-no\" name=\"access_fax\" value=\"no\" checked")
    );
    assert!(
        page.body.contains(
            "id=\"access-profile-write\" name=\"access_profile\" value=\"write\" checked"
        )
    );
}

#[tokio::test]
async fn admin_disables_a_user_and_their_session_stops_working() {
    let app = TestApp::new();
    let admin = app.admin().await;
    let alice = app.alice().await;
    let access = all_write();
    let form = user_form(&access, &[("portal_enabled", "on"), ("disabled", "on")]);
    app.post_form("/admin/users/201", &admin, &form).await;
    assert!(app.backend.lock().accounts["201"].user.disabled);
    assert_eq!(
        app.get("/api/v1/followme", &alice).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn edit_with_an_unknown_access_level_is_refused_per_field() {
    let app = TestApp::new();
    let admin = app.admin().await;
    let mut access = all_write();
    access[4] = ("access_fax", "admin");
    let answer = app
        .post_form("/admin/users/201", &admin, &user_form(&access, &[]))
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(answer.body.contains("id=\"access_fax-error\""));
}

#[tokio::test]
async fn admin_cannot_disable_themselves() {
    let app = TestApp::new();
    let admin = app.admin().await;
    let access = all_write();
    let form = user_form(
        &access,
        &[
            ("portal_enabled", "on"),
            ("is_admin", "on"),
            ("disabled", "on"),
        ],
    );
    let answer = app.post_form("/admin/users/900", &admin, &form).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!app.backend.lock().accounts["900"].user.disabled);
}

#[tokio::test]
async fn editing_an_unknown_user_answers_404() {
    let app = TestApp::new();
    let admin = app.admin().await;
    assert_eq!(
        app.get("/admin/users/999", &admin).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.post_form("/admin/users/999", &admin, &user_form(&all_write(), &[]))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn reset_password_form_generates_or_sets_a_password() {
    let app = TestApp::new();
    let admin = app.admin().await;
    let generated = app
        .post_form("/admin/users/202/password", &admin, &[("new_password", "")])
        .await;
    assert!(
        generated
            .body
            .contains("New password (shown once): generated-secret")
    );
    let set = app
        .post_form(
            "/admin/users/202/password",
            &admin,
            &[("new_password", "chosen-pw-1")],
        )
        .await;
    assert!(set.body.contains("Password reset."));
    assert!(!set.body.contains("chosen-pw-1"));
    assert_eq!(app.backend.lock().accounts["202"].password, "chosen-pw-1");
}

#[tokio::test]
async fn csv_import_reports_accepted_and_rejected_rows() {
    let app = TestApp::new();
    let admin = app.admin().await;
    let csv = b"extension,name,email,password\n301,New One,n@x.org,generate\n201,Dup,,secret\n30x,Bad,,secret\n302,Two,,pw-302\n";
    let file = Part::File {
        name: "csv",
        file_name: "users.csv",
        content_type: "text/csv",
        bytes: csv,
    };
    let answer = app
        .post_multipart(
            "/admin/import",
            &admin,
            &[Part::Text("csrf_token", &admin.csrf), file],
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(answer.body.contains("2 rows imported, 2 rejected."));
    assert!(
        answer
            .body
            .contains("<td>3</td><td>201</td><td>extension already exists</td>")
    );
    assert!(
        answer
            .body
            .contains("<td>4</td><td>30x</td><td>the extension must be digits only</td>")
    );
    let data = app.backend.lock();
    let imported: Vec<_> = data.imported.iter().map(|r| r.extension.as_str()).collect();
    assert_eq!(imported, vec!["301", "302"]);
}

#[tokio::test]
async fn csv_import_api_takes_a_text_csv_body() {
    let app = TestApp::new();
    let admin = app.admin().await;
    let answer = app
        .upload(
            Method::POST,
            "/api/v1/admin/import",
            &admin,
            "text/csv",
            b"\xEF\xBB\xBF303,Three,,generate\n303x".to_vec(),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    let report = answer.json();
    assert_eq!(
        report["accepted"][0]["generated_password"],
        "generated-secret"
    );
    assert_eq!(report["rejected"][0]["line"], 2);
}

#[tokio::test]
async fn csv_import_of_non_utf8_text_is_a_clear_400() {
    let app = TestApp::new();
    let admin = app.admin().await;
    let answer = app
        .upload(
            Method::POST,
            "/api/v1/admin/import",
            &admin,
            "text/csv",
            vec![0xff, 0xfe, 0x00],
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(
        answer.json()["message"]
            .as_str()
            .expect("text")
            .contains("not UTF-8")
    );
}

#[tokio::test]
async fn defaults_for_new_users_apply_to_users_created_afterwards() {
    let app = TestApp::new();
    let admin = app.admin().await;
    let form = [
        ("access_profile", "write"),
        ("access_followme", "read"),
        ("access_greetings", "write"),
        ("access_wakeup", "no"),
        ("access_fax", "no"),
        ("access_voicemail", "read"),
        ("access_call_handling", "write"),
        ("access_calls", "read"),
    ];
    assert_eq!(
        app.post_form("/admin/defaults", &admin, &form)
            .await
            .header("location"),
        "/admin/defaults?done=saved"
    );
    app.post_form(
        "/admin/users",
        &admin,
        &[
            ("extension", "310"),
            ("name", "New"),
            ("password", "pw-310-x"),
        ],
    )
    .await;
    let access = app.backend.lock().accounts["310"].user.access;
    assert_eq!((access.followme, access.wakeup), (Access::Read, Access::No));
    assert!(
        app.get("/admin/defaults", &admin)
            .await
            .body
            .contains("id=\"access-wakeup-no\" name=\"access_wakeup\" value=\"no\" checked")
    );
}

#[tokio::test]
async fn status_page_shows_links_queues_and_version() {
    let app = TestApp::new();
    let admin = app.admin().await;
    let page = app.get("/admin/status", &admin).await;
    assert!(page.body.contains("id=\"status-ari\"><span class=\"badge badge-on\">connected</span> since 2026-11-23 08:00 UTC"));
    assert!(page.body.contains("not listening"));
    assert!(page.body.contains("id=\"status-fax-queue\">3<"));
    assert!(page.body.contains("0.1.0-test"));
}

#[tokio::test]
async fn admin_api_manages_users_defaults_and_status() {
    let app = TestApp::new();
    let admin = app.admin().await;
    let page = app
        .get("/api/v1/admin/users?q=bob&per_page=500", &admin)
        .await
        .json();
    assert_eq!(page["total"], 1);
    let new = json!({"extension": "320", "name": "Api", "email": "", "password": {"kind": "generate"}, "is_admin": false, "portal_enabled": true});
    let created = app
        .json(Method::POST, "/api/v1/admin/users", &admin, new)
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(created.json()["generated_password"], "generated-secret");
    let update = json!({"name": "Api 2", "email": "", "is_admin": false, "portal_enabled": false, "disabled": false,
        "access": serde_json::to_value(MenuAccess::all(Access::Read)).expect("json")});
    let updated = app
        .json(Method::PUT, "/api/v1/admin/users/320", &admin, update)
        .await;
    assert_eq!(updated.json()["portal_enabled"], false);
    assert_eq!(
        app.get("/api/v1/admin/users/320", &admin).await.json()["name"],
        "Api 2"
    );
    let reset = app
        .json(
            Method::POST,
            "/api/v1/admin/users/320/password",
            &admin,
            json!({"password": null}),
        )
        .await;
    assert_eq!(reset.json()["password"], "generated-secret");
    let defaults = serde_json::to_value(MenuAccess::all(Access::No)).expect("json");
    assert_eq!(
        app.json(
            Method::PUT,
            "/api/v1/admin/access-defaults",
            &admin,
            defaults.clone()
        )
        .await
        .status,
        StatusCode::OK
    );
    assert_eq!(
        app.get("/api/v1/admin/access-defaults", &admin)
            .await
            .json(),
        defaults
    );
    assert_eq!(
        app.get("/api/v1/admin/status", &admin).await.json()["queued_fax_jobs"],
        3
    );
    assert_eq!(
        app.get("/api/v1/admin/users/999", &admin).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn openapi_document_is_served_and_describes_the_api() {
    let app = TestApp::new();
    let answer = app
        .send(
            axum::http::Request::get("/api/v1/openapi.json")
                .body(axum::body::Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    let doc = answer.json();
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/api/v1/followme"]["put"].is_object());
}
