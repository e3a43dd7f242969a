//! Router-level test harness: a portal router over the in-memory fake backend, logged-in
//! clients and request builders.
#![allow(dead_code)]

pub mod fake_backend;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use axum::response::Response;
use http_body_util::BodyExt;
use ringside_portal::{PortalSettings, router};
use tower::ServiceExt;

pub use fake_backend::FakeBackend;

pub struct TestApp {
    pub router: Router,
    pub backend: Arc<FakeBackend>,
}

/// A logged-in browser or API client.
#[derive(Debug, Clone)]
pub struct Client {
    pub cookie: String,
    pub csrf: String,
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("response is JSON")
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect()
    }
}

pub async fn answer(response: Response) -> Answer {
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

pub const CLIENT_IP: [u8; 4] = [192, 0, 2, 10];

impl TestApp {
    pub fn new() -> TestApp {
        TestApp::with_settings(PortalSettings::default())
    }

    pub fn with_settings(settings: PortalSettings) -> TestApp {
        let backend = Arc::new(FakeBackend::seeded());
        TestApp {
            router: router(backend.clone(), settings),
            backend,
        }
    }

    /// A second router over the same backend, as after a daemon restart.
    pub fn restarted(&self) -> TestApp {
        TestApp {
            router: router(self.backend.clone(), PortalSettings::default()),
            backend: self.backend.clone(),
        }
    }

    pub async fn send(&self, mut request: Request<Body>) -> Answer {
        if request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .is_none()
        {
            request
                .extensions_mut()
                .insert(ConnectInfo(SocketAddr::from((CLIENT_IP, 40000))));
        }
        answer(
            self.router
                .clone()
                .oneshot(request)
                .await
                .expect("router never fails"),
        )
        .await
    }

    pub async fn api_login(&self, extension: &str, password: &str) -> Answer {
        let body = serde_json::json!({ "extension": extension, "password": password });
        self.send(
            Request::post("/api/v1/session")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string()))
                .expect("request"),
        )
        .await
    }

    /// Logs in through the JSON API and returns the client's cookie and CSRF token.
    pub async fn login(&self, extension: &str, password: &str) -> Client {
        let answer = self.api_login(extension, password).await;
        assert_eq!(
            answer.status,
            StatusCode::OK,
            "login of {extension}: {}",
            answer.body
        );
        let cookie = session_cookie(&answer).expect("session cookie");
        let csrf = answer.json()["csrf_token"]
            .as_str()
            .expect("csrf token")
            .to_owned();
        Client { cookie, csrf }
    }

    pub async fn alice(&self) -> Client {
        self.login("201", "alice-pw").await
    }

    pub async fn admin(&self) -> Client {
        self.login("900", "root-pw").await
    }

    pub async fn get(&self, path: &str, client: &Client) -> Answer {
        self.send(get(path, client)).await
    }

    /// A url-encoded form post with the client's CSRF token added.
    pub async fn post_form(&self, path: &str, client: &Client, fields: &[(&str, &str)]) -> Answer {
        let mut all = vec![("csrf_token", client.csrf.as_str())];
        all.extend_from_slice(fields);
        self.send(form_request(path, Some(client), &all)).await
    }

    /// A JSON request with the CSRF header.
    pub async fn json(
        &self,
        method: Method,
        path: &str,
        client: &Client,
        body: serde_json::Value,
    ) -> Answer {
        let body = body.to_string();
        self.upload(method, path, client, "application/json", body)
            .await
    }

    pub async fn delete(&self, path: &str, client: &Client) -> Answer {
        self.send(
            Request::delete(path)
                .header(header::COOKIE, &client.cookie)
                .header("x-csrf-token", &client.csrf)
                .body(Body::empty())
                .expect("request"),
        )
        .await
    }

    /// A raw-body upload with the CSRF header.
    pub async fn upload(
        &self,
        method: Method,
        path: &str,
        client: &Client,
        content_type: &str,
        body: impl Into<Vec<u8>>,
    ) -> Answer {
        self.send(
            Request::builder()
                .method(method)
                .uri(path)
                .header(header::COOKIE, &client.cookie)
                .header("x-csrf-token", &client.csrf)
                .header(header::CONTENT_TYPE, content_type)
                .body(Body::from(body.into()))
                .expect("request"),
        )
        .await
    }

    /// A multipart form post; parts are sent in the order given.
    pub async fn post_multipart(&self, path: &str, client: &Client, parts: &[Part<'_>]) -> Answer {
        self.send(multipart_request(path, client, parts)).await
    }

    /// Whether the backend holds greeting `slot` of `extension`.
    pub fn has_greeting(
        &self,
        extension: &str,
        slot: ringside_portal::model::GreetingSlot,
    ) -> bool {
        self.backend
            .lock()
            .greetings
            .contains_key(&(extension.to_owned(), slot))
    }

    /// Uploads `bytes` as greeting `slot` through the greetings form, with the client's token.
    pub async fn upload_greeting(
        &self,
        client: &Client,
        slot: &str,
        file_name: &str,
        content_type: &str,
        bytes: &[u8],
    ) -> Answer {
        let path = format!("/greetings/{slot}");
        self.post_audio(&path, client, &[], (file_name, content_type, bytes))
            .await
    }

    /// Posts an audio upload form (file part `audio`, after the client's token and `fields`).
    pub async fn post_audio(
        &self,
        path: &str,
        client: &Client,
        fields: &[(&str, &str)],
        (file_name, content_type, bytes): (&str, &str, &[u8]),
    ) -> Answer {
        let mut parts = vec![Part::Text("csrf_token", &client.csrf)];
        parts.extend(fields.iter().map(|(k, v)| Part::Text(k, v)));
        parts.push(Part::File {
            name: "audio",
            file_name,
            content_type,
            bytes,
        });
        self.post_multipart(path, client, &parts).await
    }

    /// Saves user `extension` through the administrator's user form: `name`, an address,
    /// portal on, write access to every menu, and `extra` fields (checkboxes and the like).
    pub async fn admin_saves_user(
        &self,
        admin: &Client,
        extension: &str,
        name: &str,
        extra: &[(&str, &str)],
    ) -> Answer {
        let email = format!("{}@example.org", name.to_lowercase());
        let mut fields = vec![
            ("name", name),
            ("email", email.as_str()),
            ("portal_enabled", "on"),
        ];
        fields.extend_from_slice(extra);
        let fields = user_form(&fields);
        self.post_form(&format!("/admin/users/{extension}"), admin, &fields)
            .await
    }
}

pub fn session_cookie(answer: &Answer) -> Option<String> {
    answer
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("ringside_session=") && !c.starts_with("ringside_session=;"))
        .and_then(|c| c.split(';').next().map(str::to_owned))
}

pub fn get(path: &str, client: &Client) -> Request<Body> {
    Request::get(path)
        .header(header::COOKIE, &client.cookie)
        .body(Body::empty())
        .expect("request")
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub fn form_request(path: &str, client: Option<&Client>, fields: &[(&str, &str)]) -> Request<Body> {
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
        .collect();
    let mut builder =
        Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(client) = client {
        builder = builder.header(header::COOKIE, &client.cookie);
    }
    builder.body(Body::from(body.join("&"))).expect("request")
}

pub enum Part<'a> {
    Text(&'a str, &'a str),
    File {
        name: &'a str,
        file_name: &'a str,
        content_type: &'a str,
        bytes: &'a [u8],
    },
}

pub const BOUNDARY: &str = "----ringside-test-boundary";

pub fn multipart_body(parts: &[Part<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match part {
            Part::Text(name, value) => {
                body.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                        .as_bytes(),
                );
            }
            Part::File {
                name,
                file_name,
                content_type,
                bytes,
            } => {
                body.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: {content_type}\r\n\r\n").as_bytes(),
                );
                body.extend_from_slice(bytes);
                body.extend_from_slice(b"\r\n");
            }
        }
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

pub fn multipart_request(path: &str, client: &Client, parts: &[Part<'_>]) -> Request<Body> {
    Request::post(path)
        .header(header::COOKIE, &client.cookie)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Body::from(multipart_body(parts)))
        .expect("request")
}

pub const WAV: &[u8] = b"RIFF\x24\x00\x00\x00WAVEfmt ";
pub const PDF: &[u8] = b"%PDF-1.4\n%test\n";

impl TestApp {
    /// A fresh app with Alice (201, write access to every menu) logged in.
    pub async fn with_alice() -> (TestApp, Client) {
        let app = TestApp::new();
        let alice = app.alice().await;
        (app, alice)
    }

    /// A fresh app with the administrator (900) logged in.
    pub async fn with_admin() -> (TestApp, Client) {
        let app = TestApp::new();
        let admin = app.admin().await;
        (app, admin)
    }

    /// A GET with no session cookie, as from a browser that never logged in.
    pub async fn get_anonymous(&self, path: &str) -> Answer {
        self.send(Request::get(path).body(Body::empty()).expect("request"))
            .await
    }

    /// Changes a seeded user in the backend directly, as an edit made outside the portal.
    pub fn edit_user(&self, extension: &str, edit: impl FnOnce(&mut ringside_portal::model::User)) {
        let mut data = self.backend.lock();
        let account = data.accounts.get_mut(extension).expect("seeded user");
        edit(&mut account.user);
    }

    /// A seeded user as the backend holds it now.
    pub fn user(&self, extension: &str) -> ringside_portal::model::User {
        self.backend.lock().accounts[extension].user.clone()
    }

    pub async fn put_json(&self, path: &str, client: &Client, body: serde_json::Value) -> Answer {
        self.json(Method::PUT, path, client, body).await
    }

    pub async fn post_json(&self, path: &str, client: &Client, body: serde_json::Value) -> Answer {
        self.json(Method::POST, path, client, body).await
    }
}

/// Asserts a 422 whose first field error names `field`, as the JSON API reports them.
pub fn assert_field_error(answer: &Answer, field: &str) {
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.body
    );
    assert_eq!(
        answer.json()["fields"][0]["field"],
        field,
        "{}",
        answer.body
    );
}

/// The access fields of the administrator's user form, one a menu.
pub const ACCESS_FIELDS: [&str; 8] = [
    "access_profile",
    "access_followme",
    "access_greetings",
    "access_wakeup",
    "access_fax",
    "access_voicemail",
    "access_call_handling",
    "access_calls",
];

/// The administrator's user form: `fields` first, then write access to every menu.
pub fn user_form<'a>(fields: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut all = fields.to_vec();
    all.extend(ACCESS_FIELDS.map(|name| (name, "write")));
    all
}

impl<'a> Part<'a> {
    pub fn file(
        name: &'a str,
        file_name: &'a str,
        content_type: &'a str,
        bytes: &'a [u8],
    ) -> Part<'a> {
        Part::File {
            name,
            file_name,
            content_type,
            bytes,
        }
    }
}

/// Asserts a form page sent back with 422 and the message placed at `field`'s input.
pub fn assert_field_error_shown(answer: &Answer, field: &str) {
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.body
    );
    let id = format!("id=\"{field}-error\"");
    assert!(answer.body.contains(&id), "{}", answer.body);
}

impl TestApp {
    /// A users import through the administrators' API, the body sent as `content_type`.
    pub async fn import_users(
        &self,
        admin: &Client,
        content_type: &str,
        body: impl Into<Vec<u8>>,
    ) -> Answer {
        let path = "/api/v1/admin/import";
        self.upload(Method::POST, path, admin, content_type, body)
            .await
    }
}
