//! The wakeup library API the portal and the CLI use: validation at creation with clear
//! messages, per-owner access, updates, enable/disable, deletion and history. Runs on SQLite
//! and, when configured, on PostgreSQL.

use crate::common;
use crate::wakeup_support;

use std::sync::{Arc, Mutex};

use ringside::schedule::prompt::SoundDirs;
use ringside::store::Store;
use ringside::store::wakeups::{WakeupError, WakeupSpec};
use wakeup_support::*;

/// Runs `body` on a fresh store per database (SQLite, and PostgreSQL when configured) that
/// has the extensions 1001, 1002 and 2001.
async fn on_each_db<F, Fut>(body: F)
where
    F: Fn(Store) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    common::for_each_db(|store| {
        let run = body(store.clone());
        async move {
            add_users(&store, &["1001", "1002", "2001"]).await;
            run.await;
        }
    })
    .await;
}

const NOW: &str = "2026-11-23T12:00:00Z";

/// A valid weekly wakeup of 1001's, to change one field of.
fn weekly() -> WakeupSpec {
    spec("1001", "weekly mon 06:30", "UTC")
}

/// Checks that `spec` is refused on every database with a message saying `says`.
async fn assert_rejected(spec: WakeupSpec, says: &str) {
    for m in rejected(spec).await {
        assert!(m.contains(says), "{m}");
    }
}

async fn rejected(spec: WakeupSpec) -> Vec<String> {
    let messages = Arc::new(Mutex::new(Vec::new()));
    on_each_db(|store| {
        let spec = spec.clone();
        let messages = messages.clone();
        async move {
            let err = store
                .create_wakeup(&spec, &prompts(), t(NOW))
                .await
                .expect_err("must be rejected");
            let saved = store.list_wakeups(&spec.owner).await.expect("list");
            assert_eq!(saved.len(), 0, "nothing saved");
            messages.lock().expect("messages").push(err.to_string());
        }
    })
    .await;
    let got = messages.lock().expect("messages").clone();
    assert!(!got.is_empty(), "ran on at least one database");
    got
}

#[tokio::test]
async fn created_wakeup_has_its_first_fire_computed() {
    on_each_db(|store| async move {
        let w = store
            .create_wakeup(
                &spec("1001", "once 2026-12-01 06:30", "Europe/Berlin"),
                &prompts(),
                t(NOW),
            )
            .await
            .expect("valid");
        assert_eq!(w.next_fire_at, Some(t("2026-12-01T05:30:00Z")));
        assert_eq!(store.wakeup(Some("1001"), w.id).await.expect("get"), w);
    })
    .await;
}

#[tokio::test]
async fn wakeup_without_members_is_rejected() {
    assert_rejected(
        WakeupSpec {
            members: Vec::new(),
            ..weekly()
        },
        "at least one member",
    )
    .await;
}

#[tokio::test]
async fn member_that_is_not_an_extension_is_rejected_by_name() {
    assert_rejected(
        WakeupSpec {
            members: vec!["2001".into(), "5555".into()],
            ..weekly()
        },
        "\"5555\" is not an extension",
    )
    .await;
}

#[tokio::test]
async fn retries_above_ten_are_rejected() {
    assert_rejected(
        WakeupSpec {
            retries: 11,
            ..weekly()
        },
        "retries 11 out of range",
    )
    .await;
}

#[tokio::test]
async fn negative_retries_are_rejected() {
    assert_rejected(
        WakeupSpec {
            retries: -1,
            ..weekly()
        },
        "retries -1 out of range",
    )
    .await;
}

#[tokio::test]
async fn prompt_that_does_not_exist_is_rejected_by_name() {
    assert_rejected(
        WakeupSpec {
            prompt: "no-such-prompt".into(),
            ..weekly()
        },
        "prompt \"no-such-prompt\" does not exist",
    )
    .await;
}

#[tokio::test]
async fn one_shot_in_the_past_is_rejected() {
    assert_rejected(
        spec("1001", "once 2026-11-01 06:30", "Europe/Berlin"),
        "in the past",
    )
    .await;
}

#[tokio::test]
async fn ring_time_out_of_range_is_rejected() {
    assert_rejected(
        WakeupSpec {
            ring_secs: 0,
            ..weekly()
        },
        "ring time 0 s out of range",
    )
    .await;
}

#[tokio::test]
async fn prompt_uploaded_to_the_prompt_dir_is_accepted() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("flight.wav"), b"RIFF").expect("write");
    let catalog = SoundDirs {
        dirs: vec![dir.path().to_owned()],
    };
    let mut s = spec("1001", "weekly mon 06:30", "UTC");
    s.prompt = "flight".into();
    on_each_db(|store| {
        let s = s.clone();
        let catalog = catalog.clone();
        async move {
            store
                .create_wakeup(&s, &catalog, t(NOW))
                .await
                .expect("prompt exists");
        }
    })
    .await;
}

#[tokio::test]
async fn another_users_wakeup_reads_as_not_found() {
    on_each_db(|store| async move {
        let w = store
            .create_wakeup(&spec("1001", "weekly mon 06:30", "UTC"), &prompts(), t(NOW))
            .await
            .expect("valid");
        assert!(matches!(
            store.wakeup(Some("1002"), w.id).await,
            Err(WakeupError::NotFound(_))
        ));
        assert!(matches!(
            store.delete_wakeup(Some("1002"), w.id).await,
            Err(WakeupError::NotFound(_))
        ));
        assert!(matches!(
            store
                .set_wakeup_enabled(Some("1002"), w.id, false, t(NOW))
                .await,
            Err(WakeupError::NotFound(_))
        ));
        assert!(
            store
                .wakeup(Some("1001"), w.id)
                .await
                .expect("still there")
                .spec
                .enabled
        );
    })
    .await;
}

#[tokio::test]
async fn list_shows_only_the_owners_wakeups() {
    on_each_db(|store| async move {
        for owner in ["1001", "1001", "1002"] {
            store
                .create_wakeup(&spec(owner, "weekly mon 06:30", "UTC"), &prompts(), t(NOW))
                .await
                .expect("valid");
        }
        assert_eq!(store.list_wakeups("1001").await.expect("list").len(), 2);
        assert_eq!(store.list_wakeups("1002").await.expect("list").len(), 1);
    })
    .await;
}

#[tokio::test]
async fn update_recomputes_the_next_fire_for_the_new_time_zone() {
    on_each_db(|store| async move {
        let w = store
            .create_wakeup(
                &spec("1001", "once 2026-12-01 06:30", "Europe/Berlin"),
                &prompts(),
                t(NOW),
            )
            .await
            .expect("valid");
        let moved = spec("1001", "once 2026-12-01 06:30", "America/New_York");
        let w = store
            .update_wakeup(Some("1001"), w.id, &moved, &prompts(), t(NOW))
            .await
            .expect("update");
        assert_eq!(w.next_fire_at, Some(t("2026-12-01T11:30:00Z")));
    })
    .await;
}

#[tokio::test]
async fn disabling_clears_and_enabling_restores_the_next_fire() {
    on_each_db(|store| async move {
        let w = store
            .create_wakeup(&spec("1001", "weekly mon 06:30", "UTC"), &prompts(), t(NOW))
            .await
            .expect("valid");
        let off = store
            .set_wakeup_enabled(Some("1001"), w.id, false, t(NOW))
            .await
            .expect("off");
        assert_eq!((off.spec.enabled, off.next_fire_at), (false, None));
        let on = store
            .set_wakeup_enabled(Some("1001"), w.id, true, t(NOW))
            .await
            .expect("on");
        assert_eq!(
            (on.spec.enabled, on.next_fire_at),
            (true, Some(t("2026-11-30T06:30:00Z")))
        );
    })
    .await;
}

#[tokio::test]
async fn deleted_wakeup_is_gone() {
    on_each_db(|store| async move {
        let w = store
            .create_wakeup(&spec("1001", "weekly mon 06:30", "UTC"), &prompts(), t(NOW))
            .await
            .expect("valid");
        store
            .delete_wakeup(Some("1001"), w.id)
            .await
            .expect("delete");
        assert!(matches!(
            store.wakeup(None, w.id).await,
            Err(WakeupError::NotFound(_))
        ));
        assert!(matches!(
            store.delete_wakeup(None, w.id).await,
            Err(WakeupError::NotFound(_))
        ));
    })
    .await;
}
