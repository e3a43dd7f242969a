//! `/readyz` answers from the readiness rule itself: 503 once the database stops answering.

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use ringside::ari::connection::ConnectionState;
use ringside::ops::Health;
use ringside::store::Store;
use tower::ServiceExt;

async fn ask(health: Health, path: &str) -> (u16, serde_json::Value) {
    let response = health
        .routes()
        .oneshot(Request::get(path).body(Body::empty()).expect("request"))
        .await
        .expect("answer");
    let status = response.status().as_u16();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    )
}

fn ari(state: ConnectionState) -> tokio::sync::watch::Receiver<ConnectionState> {
    tokio::sync::watch::channel(state).1
}

#[tokio::test]
async fn readyz_is_503_naming_the_database_when_it_does_not_answer() {
    let store = Store::connect("sqlite::memory:").await.expect("store");
    store.pool().close().await;
    let health = Health::new(store, ari(ConnectionState::Stopped));
    let (status, body) = ask(health, "/readyz").await;
    assert_eq!(status, 503);
    assert_eq!(body["ready"], false);
    assert_ne!(body["database"], "ok");
}

#[tokio::test]
async fn readyz_is_200_and_reports_a_connected_ari_link() {
    let store = Store::connect("sqlite::memory:").await.expect("store");
    let state = ConnectionState::Connected {
        since: chrono::Utc::now(),
    };
    let (status, body) = ask(Health::new(store, ari(state)), "/readyz").await;
    assert_eq!(status, 200);
    assert_eq!(body["ari"], "connected");
}
