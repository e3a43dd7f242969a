//! Call handling in the store, on SQLite and (when configured) PostgreSQL.

use crate::common;

use common::for_each_db;
use ringside::store::{
    CallHandling, CallHandlingProblem, Forward, ForwardKind, NewUser, Store, StoreError, TimeRule,
};

fn full_settings() -> CallHandling {
    let mut h = CallHandling::new("1001");
    h.dnd = true;
    h.dnd_allow = vec!["05551234".into(), "+4930123".into()];
    h.dnd_rule = Some(TimeRule {
        window: "sat,sun,00:00-24:00".parse().expect("window"),
        outside: false,
    });
    h.forward_always = Forward::to("2001");
    h.forward_always.enabled = false;
    h.forward_busy = Forward::to("00491705550000");
    h.forward_no_answer = Forward::to("2002");
    h.forward_no_answer.rule = Some(TimeRule {
        window: "mon-fri,08:00-18:00".parse().expect("window"),
        outside: true,
    });
    h.ring_secs = Some(25);
    h.time_zone = "Europe/Berlin".into();
    h
}

async fn add_user(store: &Store, ext: &str) {
    store
        .create_user(&NewUser::new(ext, format!("User {ext}")))
        .await
        .expect("user");
}

/// Runs `body` on every database with user 1001 in it.
async fn with_user_1001<F, Fut>(body: F)
where
    F: Fn(Store) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for_each_db(|store| {
        let body = &body;
        async move {
            add_user(&store, "1001").await;
            body(store).await;
        }
    })
    .await;
}

async fn dnd_on(store: &Store, ext: &str) {
    store
        .update_call_handling(ext, |h| h.dnd = true)
        .await
        .expect("save");
}

#[tokio::test]
async fn call_handling_round_trips_every_field() {
    with_user_1001(|store| async move {
        store
            .set_call_handling(&full_settings())
            .await
            .expect("save");
        assert_eq!(
            store.call_handling("1001").await.expect("read"),
            Some(full_settings())
        );
    })
    .await;
}

#[tokio::test]
async fn user_without_call_handling_has_none() {
    with_user_1001(|store| async move {
        assert_eq!(store.call_handling("1001").await.expect("read"), None);
    })
    .await;
}

#[tokio::test]
async fn saving_again_replaces_the_settings() {
    with_user_1001(|store| async move {
        store
            .set_call_handling(&full_settings())
            .await
            .expect("save");
        store
            .set_call_handling(&CallHandling::new("1001"))
            .await
            .expect("save again");
        assert_eq!(
            store.call_handling("1001").await.expect("read"),
            Some(CallHandling::new("1001"))
        );
    })
    .await;
}

#[tokio::test]
async fn call_handling_of_a_missing_user_is_not_found() {
    for_each_db(|store| async move {
        let err = store
            .update_call_handling("1999", |h| h.dnd = true)
            .await
            .expect_err("no user");
        assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
    })
    .await;
}

#[tokio::test]
async fn update_refuses_a_forward_to_oneself_and_saves_nothing() {
    with_user_1001(|store| async move {
        let err = store
            .update_call_handling("1001", |h| h.forward_busy = Forward::to("1001"))
            .await
            .expect_err("refused");
        let StoreError::InvalidCallHandling(invalid) = err else {
            panic!("expected invalid settings, got {err}");
        };
        assert_eq!(
            invalid.problems,
            vec![CallHandlingProblem::ForwardToSelf {
                kind: ForwardKind::Busy,
                number: "1001".into()
            }]
        );
        assert_eq!(store.call_handling("1001").await.expect("read"), None);
    })
    .await;
}

#[tokio::test]
async fn deleting_the_user_deletes_the_call_handling() {
    with_user_1001(|store| async move {
        dnd_on(&store, "1001").await;
        store.delete_user("1001").await.expect("delete");
        assert!(store.all_call_handling().await.expect("list").is_empty());
    })
    .await;
}

#[tokio::test]
async fn all_call_handling_lists_every_user_by_extension() {
    for_each_db(|store| async move {
        for ext in ["1002", "1001"] {
            store
                .create_user(&NewUser::new(ext, "User"))
                .await
                .expect("user");
            store
                .update_call_handling(ext, |h| h.dnd = true)
                .await
                .expect("save");
        }
        let exts: Vec<String> = store
            .all_call_handling()
            .await
            .expect("list")
            .into_iter()
            .map(|h| h.extension)
            .collect();
        assert_eq!(exts, ["1001", "1002"]);
    })
    .await;
}

#[tokio::test]
async fn stored_schedule_that_does_not_parse_is_reported_as_corrupt() {
    with_user_1001(|store| async move {
        dnd_on(&store, "1001").await;
        sqlx::query("UPDATE call_handling SET dnd_schedule = 'whenever' WHERE extension = $1")
            .bind("1001")
            .execute(store.pool())
            .await
            .expect("break it");
        let err = store.call_handling("1001").await.expect_err("corrupt");
        assert!(err.to_string().contains("whenever"), "{err}");
    })
    .await;
}
