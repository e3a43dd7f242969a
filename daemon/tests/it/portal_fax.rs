//! The portal's fax actions on the daemon's backend, with no fax worker running so jobs stay
//! where the test puts them: the uploaded file's name kept, cancel, send again, delete with
//! the files.

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use ringside::flows::fax::MediaConverter;
use ringside::portal::{FaxAccess, PortalBackend};
use ringside::store::NewUser;
use ringside_portal::model::{FaxDocument, FaxDocumentKind, FaxJob, FaxState};
use ringside_portal::{Backend, BackendError};

use crate::common::TestDb;

struct Fixture {
    backend: PortalBackend,
    db: TestDb,
    _data_dir: tempfile::TempDir,
}

async fn fixture() -> Fixture {
    let db = TestDb::sqlite().await;
    db.store
        .create_user(&NewUser::new("201", "Alice"))
        .await
        .expect("user");
    let data_dir = tempfile::tempdir().expect("data dir");
    let backend =
        crate::common::backend::offline_backend(&db.store, data_dir.path()).with_fax(FaxAccess {
            converter: Arc::new(MediaConverter::default()),
            max_attempts: 1,
        });
    Fixture {
        backend,
        db,
        _data_dir: data_dir,
    }
}

fn letter(file_name: &str) -> FaxDocument {
    let bytes = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../media-fixtures/fax/text-10pt.pdf"),
    )
    .expect("fax fixture");
    FaxDocument {
        kind: FaxDocumentKind::Pdf,
        file_name: file_name.into(),
        bytes: Bytes::from(bytes),
    }
}

async fn queued(f: &Fixture) -> FaxJob {
    f.backend
        .send_fax("201", "5551234", letter("Quarterly report.pdf"))
        .await
        .expect("queued")
}

#[tokio::test]
async fn sent_fax_keeps_the_name_of_the_uploaded_file() {
    let f = fixture().await;
    let job = queued(&f).await;
    assert_eq!(job.file_name, "Quarterly report.pdf");
    let listed = f.backend.sent_faxes("201").await.expect("list");
    assert_eq!(listed[0].file_name, "Quarterly report.pdf");
}

#[tokio::test]
async fn queued_fax_is_cancelled_at_once() {
    let f = fixture().await;
    let job = queued(&f).await;
    let cancelled = f.backend.cancel_fax(job.id).await.expect("cancel");
    assert_eq!(cancelled.state, FaxState::Failed);
    assert!(cancelled.error.contains("cancelled"), "{}", cancelled.error);
}

#[tokio::test]
async fn cancelling_a_fax_that_already_ended_is_a_conflict() {
    let f = fixture().await;
    let job = queued(&f).await;
    f.backend.cancel_fax(job.id).await.expect("cancel");
    let again = f.backend.cancel_fax(job.id).await;
    assert!(matches!(again, Err(BackendError::Conflict(_))), "{again:?}");
}

#[tokio::test]
async fn failed_fax_is_sent_again_as_a_new_job_with_its_name_and_number() {
    let f = fixture().await;
    let job = queued(&f).await;
    f.backend.cancel_fax(job.id).await.expect("cancel");
    let again = f.backend.resend_fax(job.id).await.expect("resend");
    assert_ne!(again.id, job.id);
    assert_eq!(again.state, FaxState::Queued);
    assert_eq!(again.number, "5551234");
    assert_eq!(again.file_name, "Quarterly report.pdf");
}

#[tokio::test]
async fn fax_that_did_not_fail_is_not_sent_again() {
    let f = fixture().await;
    let job = queued(&f).await;
    let again = f.backend.resend_fax(job.id).await;
    assert!(matches!(again, Err(BackendError::Conflict(_))), "{again:?}");
}

#[tokio::test]
async fn deleted_fax_loses_its_record_and_its_files() {
    let f = fixture().await;
    let job = queued(&f).await;
    f.backend.cancel_fax(job.id).await.expect("cancel");
    let stored = f.db.store.fax_job(job.id).await.expect("get").expect("job");
    let document = stored.document_path.clone().expect("document kept");
    assert!(Path::new(&document).is_file());
    f.backend.delete_sent_fax(job.id).await.expect("delete");
    assert_eq!(f.db.store.fax_job(job.id).await.expect("get"), None);
    assert!(!Path::new(&document).exists(), "{document} still there");
}

#[tokio::test]
async fn fax_still_waiting_is_not_deleted() {
    let f = fixture().await;
    let job = queued(&f).await;
    let answer = f.backend.delete_sent_fax(job.id).await;
    assert!(
        matches!(answer, Err(BackendError::Conflict(_))),
        "{answer:?}"
    );
    assert!(f.db.store.fax_job(job.id).await.expect("get").is_some());
}

#[tokio::test]
async fn a_sent_fax_is_not_deleted_as_a_received_one() {
    let f = fixture().await;
    let job = queued(&f).await;
    f.backend.cancel_fax(job.id).await.expect("cancel");
    let answer = f.backend.delete_received_fax(job.id).await;
    assert!(matches!(answer, Err(BackendError::NotFound)), "{answer:?}");
}

/// Through the running daemon's API, with its fax worker polling the queue meanwhile.
#[tokio::test]
async fn running_daemon_cancels_and_deletes_a_waiting_fax() {
    use crate::portal_serve::{ApiSession, add_user, fax_fixture, start};
    let dir = tempfile::tempdir().expect("tempdir");
    let daemon = start(dir.path(), async |store: &ringside::store::Store| {
        add_user(store, "201", "alice-secret").await;
    })
    .await;
    let alice = ApiSession::log_in(&daemon.base, "201", "alice-secret").await;
    let (status, job) = alice
        .send_fax(
            "5551234",
            "memo.pdf",
            "application/pdf",
            fax_fixture("text-10pt.pdf"),
        )
        .await;
    assert_eq!(status, 201, "{job}");
    let id = job["id"].as_i64().expect("id");
    let cancel = alice
        .request(
            reqwest::Method::POST,
            &format!("/api/v1/fax/jobs/{id}/cancel"),
        )
        .send()
        .await
        .expect("cancel");
    assert_eq!(cancel.status().as_u16(), 200);
    let delete = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        alice
            .request(reqwest::Method::DELETE, &format!("/api/v1/fax/jobs/{id}"))
            .send(),
    )
    .await
    .expect("delete answered in time")
    .expect("delete");
    assert_eq!(delete.status().as_u16(), 204);
    daemon.stop().await;
}
