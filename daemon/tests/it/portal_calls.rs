//! The daemon's call-history backend over a real store and recordings directory: a user sees
//! their own calls only, recordings are served by replay right, a missing recording is
//! `Gone`, and no recording name reaches outside the recordings directory.

use ringside::cdr::record::RawCdr;
use ringside::portal::{CallsAccess, PortalBackend};
use ringside::schedule::zone::Zone;
use ringside::store::NewUser;
use ringside::store::calls::Via;
use ringside_portal::model::{CallViewer, CallsFilter, CallsQuery, ReplayRight};
use ringside_portal::{Backend, BackendError};

use crate::common::TestDb;

struct World {
    backend: PortalBackend,
    monitor: std::path::PathBuf,
    _db: TestDb,
    _dir: tempfile::TempDir,
}

/// Users 1001 and 1002; call `1.1` from 1001 to 5551234 naming recording `user_field`.
async fn world(user_field: &str) -> World {
    let db = TestDb::sqlite().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let monitor = dir.path().join("monitor");
    std::fs::create_dir_all(&monitor).expect("monitor dir");
    for ext in ["1001", "1002"] {
        db.store
            .create_user(&NewUser::new(ext, format!("User {ext}")))
            .await
            .expect("user");
    }
    let cdr = RawCdr {
        source: "1001",
        destination: "5551234",
        channel: "PJSIP/1001-00000001",
        destination_channel: "PJSIP/trunk-00000002",
        last_application: "Dial",
        start: "2026-12-05 10:00:00",
        answer: "2026-12-05 10:00:02",
        end: "2026-12-05 10:00:09",
        duration: "9",
        billable: "7",
        disposition: "ANSWERED",
        unique_id: "1.1",
        user_field,
        ..RawCdr::default()
    }
    .check(&Zone::utc())
    .expect("valid");
    db.store
        .insert_cdrs(&[cdr], Via::Ami)
        .await
        .expect("insert");
    let backend =
        crate::common::backend::offline_backend(&db.store, dir.path()).with_calls(CallsAccess {
            recordings_dir: monitor.clone(),
            default_zone: Zone::utc(),
            export_dir: dir.path().join("exports"),
        });
    World {
        backend,
        monitor,
        _db: db,
        _dir: dir,
    }
}

fn viewer(ext: &str) -> CallViewer {
    CallViewer {
        extension: ext.into(),
        admin_view: false,
    }
}

async fn body(file: ringside_portal::model::CallFile) -> Vec<u8> {
    use futures_util::StreamExt;
    let mut out = Vec::new();
    let mut stream = file.body;
    while let Some(chunk) = stream.next().await {
        out.extend_from_slice(&chunk.expect("chunk"));
    }
    out
}

#[tokio::test]
async fn a_user_sees_their_own_call_and_not_another_users() {
    let w = world("").await;
    let query = CallsQuery {
        filter: CallsFilter::default(),
        page: 1,
        per_page: 25,
    };
    let own = w
        .backend
        .calls(&viewer("1001"), &query)
        .await
        .expect("list");
    assert_eq!(own.calls.len(), 1);
    let other = w
        .backend
        .calls(&viewer("1002"), &query)
        .await
        .expect("list");
    assert!(other.calls.is_empty());
    assert_eq!(
        w.backend.call_detail(&viewer("1002"), "", "1.1").await,
        Err(BackendError::NotFound)
    );
}

#[tokio::test]
async fn an_own_recording_is_served() {
    let w = world("rec:2026/12/05/1.1.wav").await;
    std::fs::create_dir_all(w.monitor.join("2026/12/05")).expect("dir");
    std::fs::write(w.monitor.join("2026/12/05/1.1.wav"), b"RIFF-call").expect("write");
    let file = w
        .backend
        .call_recording(&viewer("1001"), "1.1")
        .await
        .expect("served");
    assert_eq!(file.content_type, "audio/wav");
    assert_eq!(body(file).await, b"RIFF-call");
}

#[tokio::test]
async fn a_missing_recording_is_gone_and_the_detail_says_so() {
    let w = world("rec:2026/12/05/1.1.wav").await;
    let answer = w.backend.call_recording(&viewer("1001"), "1.1").await;
    assert!(matches!(answer, Err(BackendError::Gone(_))), "{answer:?}");
    let detail = w
        .backend
        .call_detail(&viewer("1001"), "", "1.1")
        .await
        .expect("detail");
    let recording = detail.recording.expect("the call names a recording");
    assert!(!recording.available);
}

#[tokio::test]
async fn a_recording_name_climbing_out_of_the_directory_is_never_served() {
    for name in [
        "rec:../secret.wav",
        "rec:/etc/passwd",
        "rec:2026/../../secret.wav",
    ] {
        let w = world(name).await;
        std::fs::write(w.monitor.join("../secret.wav"), b"secret").expect("write");
        let answer = w.backend.call_recording(&viewer("1001"), "1.1").await;
        assert!(
            matches!(answer, Err(BackendError::Gone(_))),
            "{name}: {answer:?}"
        );
    }
}

#[tokio::test]
async fn without_the_replay_right_the_recording_is_not_found() {
    let w = world("rec:1.1.wav").await;
    std::fs::write(w.monitor.join("1.1.wav"), b"RIFF").expect("write");
    w.backend
        .set_replay_right("1001", ReplayRight::None)
        .await
        .expect("set");
    let answer = w.backend.call_recording(&viewer("1001"), "1.1").await;
    assert!(matches!(answer, Err(BackendError::NotFound)), "{answer:?}");
}

#[tokio::test]
async fn the_replay_right_all_opens_other_users_recordings_in_the_admin_view_only() {
    let w = world("rec:1.1.wav").await;
    std::fs::write(w.monitor.join("1.1.wav"), b"RIFF").expect("write");
    w.backend
        .set_replay_right("1002", ReplayRight::All)
        .await
        .expect("set");
    // A user's own view never shows another user's call, whatever the right.
    let answer = w.backend.call_recording(&viewer("1002"), "1.1").await;
    assert!(matches!(answer, Err(BackendError::NotFound)), "{answer:?}");
    let admin = CallViewer {
        extension: "1002".into(),
        admin_view: true,
    };
    assert!(w.backend.call_recording(&admin, "1.1").await.is_ok());
}

#[tokio::test]
async fn an_export_streams_a_csv_of_the_users_calls() {
    let w = world("").await;
    let file = w
        .backend
        .export_calls(
            &viewer("1001"),
            &CallsFilter::default(),
            ringside_portal::model::CallExportFormat::Csv,
        )
        .await
        .expect("export");
    assert_eq!(file.file_name, "calls-1001.csv");
    let text = String::from_utf8(body(file).await).expect("utf-8");
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(text.contains(",outgoing,answered,1001,,5551234,"), "{text}");
}
