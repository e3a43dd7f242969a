//! The fax queue's claims on SQLite and (when configured) PostgreSQL: several daemons taking
//! jobs at once never take one job twice, and jobs a stopped daemon held come back.

use crate::common;

use std::collections::HashSet;

use common::for_each_db;
use ringside::store::Store;
use ringside::store::fax::{DeleteOutcome, JobState, NewSendJob};

fn job(n: usize) -> NewSendJob {
    NewSendJob {
        owner: "1001".into(),
        number: format!("555{n:04}"),
        document_path: format!("/data/doc{n}.pdf"),
        tiff_path: None,
        pages_total: 1,
        max_attempts: 4,
        file_name: String::new(),
    }
}

async fn claim_all(store: Store, worker: &'static str) -> Vec<i64> {
    let mut ids = Vec::new();
    while let Some(job) = store
        .claim_due_fax_job(worker, at(1_000), at(1_000_000))
        .await
        .expect("claim")
    {
        ids.push(job.id);
    }
    ids
}

#[tokio::test]
async fn concurrent_daemons_never_claim_the_same_job() {
    for_each_db(|store| async move {
        for n in 0..30 {
            store.insert_send_job(&job(n), at(0)).await.expect("queue");
        }
        let (a, b, c) = tokio::join!(
            claim_all(store.clone(), "daemon-a"),
            claim_all(store.clone(), "daemon-b"),
            claim_all(store.clone(), "daemon-c"),
        );
        let all: Vec<i64> = a.iter().chain(&b).chain(&c).copied().collect();
        let unique: HashSet<i64> = all.iter().copied().collect();
        assert_eq!(
            all.len(),
            30,
            "every job claimed once: a={a:?} b={b:?} c={c:?}"
        );
        assert_eq!(unique.len(), 30, "no job claimed twice");
    })
    .await;
}

#[tokio::test]
async fn job_of_a_stopped_daemon_is_reclaimed_only_after_its_lease() {
    for_each_db(|store| async move {
        store.insert_send_job(&job(1), at(0)).await.expect("queue");
        let mut held = store
            .claim_due_fax_job("stopped", at(0), at(5_000))
            .await
            .expect("claim")
            .expect("due");
        held.state = JobState::Dialing;
        held.attempts = 1;
        store
            .save_fax_job(&held, "stopped", at(10))
            .await
            .expect("save");
        let early = store
            .claim_abandoned_fax_job("restarted", at(4_999), at(9_000))
            .await
            .expect("claim");
        assert_eq!(early, None);
        let late = store
            .claim_abandoned_fax_job("restarted", at(5_001), at(9_000))
            .await
            .expect("claim")
            .expect("abandoned");
        assert_eq!((late.id, late.state), (held.id, JobState::Dialing));
    })
    .await;
}

#[tokio::test]
async fn saved_progress_reads_back_on_every_database() {
    for_each_db(|store| async move {
        let queued = store.insert_send_job(&job(2), at(0)).await.expect("queue");
        let mut j = store
            .claim_due_fax_job("w", at(0), at(100))
            .await
            .expect("claim")
            .expect("due");
        j.state = JobState::Failed;
        j.attempts = 2;
        j.pages_sent = 1;
        j.fax_status = Some("FAILED".into());
        j.fax_error = Some("HANGUP".into());
        j.fax_status_string = Some("The call dropped prematurely".into());
        j.remote_station_id = Some("REMOTE".into());
        j.error = Some("fax failed: HANGUP".into());
        store.save_fax_job(&j, "w", at(50)).await.expect("save");
        let read = store
            .fax_job(queued.id)
            .await
            .expect("load")
            .expect("exists");
        assert_eq!(read.state, JobState::Failed);
        assert_eq!(read.fax_error.as_deref(), Some("HANGUP"));
        assert_eq!(read.finished_at, Some(at(50)));
        assert_eq!(read.lease_owner, None);
        assert_eq!(read.pages_sent, 1);
    })
    .await;
}

#[tokio::test]
async fn received_fax_reads_back_on_every_database() {
    for_each_db(|store| async move {
        let recorded = store
            .insert_received_fax(
                &ringside::store::fax::NewReceivedFax {
                    owner: "1001".into(),
                    caller_id: "5551234".into(),
                    state: JobState::Received,
                    tiff_path: Some("/data/fax/received/a.tif".into()),
                    pdf_path: Some("/data/fax/received/a.pdf".into()),
                    pages: 2,
                    fax_status: "SUCCESS".into(),
                    fax_error: String::new(),
                    fax_status_string: "OK".into(),
                    remote_station_id: "SENDER".into(),
                    error: None,
                },
                at(77),
            )
            .await
            .expect("record");
        let listed = store.fax_jobs_of("1001").await.expect("list");
        assert_eq!(listed, vec![recorded.clone()]);
        assert_eq!(recorded.pages_total, 2);
        assert_eq!(recorded.finished_at, Some(at(77)));
    })
    .await;
}

#[tokio::test]
async fn cancel_of_a_job_a_worker_holds_is_a_request_on_every_database() {
    for_each_db(|store| async move {
        store.insert_send_job(&job(3), at(0)).await.expect("queue");
        let mut held = store
            .claim_due_fax_job("w", at(0), at(100))
            .await
            .expect("claim")
            .expect("due");
        held.state = JobState::Sending;
        store.save_fax_job(&held, "w", at(1)).await.expect("save");
        assert_eq!(
            store.cancel_fax_job(held.id, at(2)).await.expect("cancel"),
            ringside::store::fax::CancelOutcome::Requested(JobState::Sending)
        );
        assert!(store.fax_cancel_requested(held.id).await.expect("flag"));
    })
    .await;
}

/// An instant given in Unix milliseconds, as these tests count.
fn at(ms: i64) -> chrono::DateTime<chrono::Utc> {
    ringside::store::from_millis(ms)
}

#[tokio::test]
async fn only_a_finished_fax_job_is_deleted() {
    for_each_db(|store| async move {
        let queued = store
            .insert_send_job(&job(1), at(1_000))
            .await
            .expect("queue");
        let waiting = store
            .delete_finished_fax_job(queued.id)
            .await
            .expect("delete");
        assert!(matches!(waiting, DeleteOutcome::Active(_)), "{waiting:?}");
        store
            .cancel_fax_job(queued.id, at(2_000))
            .await
            .expect("cancel");
        let deleted = store
            .delete_finished_fax_job(queued.id)
            .await
            .expect("delete");
        assert!(matches!(deleted, DeleteOutcome::Deleted(_)), "{deleted:?}");
        assert_eq!(store.fax_job(queued.id).await.expect("get"), None);
    })
    .await;
}
