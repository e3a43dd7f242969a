//! Portal sessions in the store, on SQLite and (when configured) PostgreSQL.

use crate::common;

use chrono::{Duration, TimeZone, Utc};
use common::{TestDb, for_each_db};
use ringside::store::{NewUser, PortalSession, Store, StoreError};

fn t0() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0)
        .single()
        .expect("valid instant")
}

async fn with_user(store: &Store, ext: &str) {
    store
        .create_user(&NewUser::new(ext, "Session User"))
        .await
        .expect("create user");
}

/// A session for `ext` created at [`t0`] that lives `ttl`.
async fn session_at_t0(store: &Store, ext: &str, ttl: Duration) -> PortalSession {
    store.create_session(ext, ttl, t0()).await.expect("session")
}

/// The session with `id` as the store sees it at `at`.
async fn found(store: &Store, id: &str, at: chrono::DateTime<Utc>) -> Option<PortalSession> {
    store.session(id, at).await.expect("get")
}

#[tokio::test]
async fn new_session_has_random_256_bit_id_and_csrf_token() {
    for_each_db(|store| async move {
        with_user(&store, "1001").await;
        let a = session_at_t0(&store, "1001", Duration::hours(1)).await;
        let b = session_at_t0(&store, "1001", Duration::hours(1)).await;
        assert_eq!(a.id.len(), 64);
        assert_eq!(a.csrf_token.len(), 64);
        assert_ne!(a.id, b.id);
        assert_ne!(a.id, a.csrf_token);
        assert_eq!(a.expires_at, t0() + Duration::hours(1));
    })
    .await;
}

#[tokio::test]
async fn session_is_found_before_expiry_and_not_after() {
    for_each_db(|store| async move {
        with_user(&store, "1001").await;
        let s = session_at_t0(&store, "1001", Duration::minutes(30)).await;
        assert_eq!(
            found(&store, &s.id, t0() + Duration::minutes(29)).await,
            Some(s.clone())
        );
        assert_eq!(
            found(&store, &s.id, t0() + Duration::minutes(30)).await,
            None
        );
    })
    .await;
}

#[tokio::test]
async fn unknown_session_id_is_none() {
    for_each_db(|store| async move {
        assert_eq!(found(&store, "nope", t0()).await, None);
    })
    .await;
}

#[tokio::test]
async fn session_for_unknown_user_is_refused() {
    for_each_db(|store| async move {
        let err = store
            .create_session("1999", Duration::hours(1), t0())
            .await
            .expect_err("no such user");
        assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
    })
    .await;
}

#[tokio::test]
async fn touch_extends_a_live_session() {
    for_each_db(|store| async move {
        with_user(&store, "1001").await;
        let s = session_at_t0(&store, "1001", Duration::minutes(30)).await;
        let later = t0() + Duration::minutes(20);
        assert!(
            store
                .touch_session(&s.id, Duration::minutes(30), later)
                .await
                .expect("touch")
        );
        let touched = found(&store, &s.id, t0() + Duration::minutes(45))
            .await
            .expect("still valid");
        assert_eq!(touched.expires_at, later + Duration::minutes(30));
    })
    .await;
}

#[tokio::test]
async fn touch_does_not_revive_an_expired_session() {
    for_each_db(|store| async move {
        with_user(&store, "1001").await;
        let s = session_at_t0(&store, "1001", Duration::minutes(30)).await;
        let late = t0() + Duration::minutes(31);
        assert!(
            !store
                .touch_session(&s.id, Duration::minutes(30), late)
                .await
                .expect("touch")
        );
        assert_eq!(found(&store, &s.id, late).await, None);
    })
    .await;
}

#[tokio::test]
async fn deleted_session_is_gone() {
    for_each_db(|store| async move {
        with_user(&store, "1001").await;
        let s = session_at_t0(&store, "1001", Duration::hours(1)).await;
        assert!(store.delete_session(&s.id).await.expect("delete"));
        assert_eq!(found(&store, &s.id, t0()).await, None);
        assert!(!store.delete_session(&s.id).await.expect("delete again"));
    })
    .await;
}

#[tokio::test]
async fn deleting_a_users_sessions_leaves_other_users_logged_in() {
    for_each_db(|store| async move {
        with_user(&store, "1001").await;
        with_user(&store, "1002").await;
        let ttl = Duration::hours(1);
        store.create_session("1001", ttl, t0()).await.expect("a1");
        store.create_session("1001", ttl, t0()).await.expect("a2");
        let bob = store.create_session("1002", ttl, t0()).await.expect("b");
        assert_eq!(store.delete_user_sessions("1001").await.expect("delete"), 2);
        assert!(found(&store, &bob.id, t0()).await.is_some());
    })
    .await;
}

#[tokio::test]
async fn disabling_a_user_ends_their_sessions() {
    for_each_db(|store| async move {
        with_user(&store, "1001").await;
        let s = session_at_t0(&store, "1001", Duration::hours(1)).await;
        store
            .set_user_enabled("1001", false)
            .await
            .expect("disable");
        assert_eq!(found(&store, &s.id, t0()).await, None);
    })
    .await;
}

#[tokio::test]
async fn expired_sessions_are_swept() {
    for_each_db(|store| async move {
        with_user(&store, "1001").await;
        let short = store
            .create_session("1001", Duration::minutes(5), t0())
            .await
            .expect("short");
        let long = store
            .create_session("1001", Duration::hours(5), t0())
            .await
            .expect("long");
        let swept = store
            .delete_expired_sessions(t0() + Duration::hours(1))
            .await
            .expect("sweep");
        assert_eq!(swept, 1);
        assert!(!store.delete_session(&short.id).await.expect("gone"));
        assert!(store.delete_session(&long.id).await.expect("kept"));
    })
    .await;
}

#[tokio::test]
async fn session_survives_reopening_the_database() {
    let db = TestDb::sqlite().await;
    with_user(&db.store, "1001").await;
    let s = session_at_t0(&db.store, "1001", Duration::hours(1)).await;
    db.store.pool().close().await;
    let reopened = Store::connect(&db.url).await.expect("reopen");
    assert_eq!(reopened.session(&s.id, t0()).await.expect("get"), Some(s));
    reopened.pool().close().await;
    db.cleanup().await;
}

#[tokio::test]
async fn stored_row_does_not_contain_the_session_id() {
    for_each_db(|store| async move {
        with_user(&store, "1001").await;
        let s = session_at_t0(&store, "1001", Duration::hours(1)).await;
        let stored: Vec<String> = sqlx::query_scalar("SELECT id FROM portal_sessions")
            .fetch_all(store.pool())
            .await
            .expect("ids");
        assert_eq!(stored.len(), 1);
        assert_ne!(stored[0], s.id);
        assert!(found(&store, &stored[0], t0()).await.is_none());
    })
    .await;
}
