//! The fax worker against a scripted line: every path a job can take through the queue
//! (sent, retried, failed, cancelled, recovered after a restart), with a real SQLite store.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ringside::flows::fax::call::CallSignal;
use ringside::flows::fax::{
    CallSignals, FaxCall, FaxLine, FaxResult, FaxWorker, LineError, WorkerSettings,
};
use ringside::store::Store;
use ringside::store::fax::{FaxJob, JobState};

use crate::common::fax_rig::{CopyConverter, at, worker_settings};
use tokio::sync::broadcast;

/// What the far end does on one call.
#[derive(Debug, Clone)]
enum Far {
    Busy,
    NoAnswer,
    RingForever,
    /// Answers; the fax-out context then reports this result.
    Answers(FaxResult),
    /// Answers, then the call ends without any fax report.
    AnswersThenVanishes,
}

#[derive(Default)]
struct ScriptedLine {
    signals: CallSignals,
    script: Mutex<VecDeque<Far>>,
    current: Mutex<Option<Far>>,
    originated: Mutex<Vec<FaxCall>>,
    hangups: Mutex<Vec<String>>,
}

impl ScriptedLine {
    fn new(signals: CallSignals, script: Vec<Far>) -> Self {
        Self {
            signals,
            script: Mutex::new(script.into()),
            ..Self::default()
        }
    }

    fn send(&self, channel: &str, signals: Vec<CallSignal>) {
        let hub = self.signals.clone();
        let channel = channel.to_owned();
        tokio::spawn(async move {
            for s in signals {
                tokio::time::sleep(Duration::from_millis(5)).await;
                hub.dispatch(&channel, s);
            }
        });
    }
}

fn destroyed(cause: i64, txt: &str) -> CallSignal {
    CallSignal::Destroyed {
        cause,
        cause_txt: txt.into(),
    }
}

#[async_trait::async_trait]
impl FaxLine for ScriptedLine {
    async fn originate(&self, call: &FaxCall) -> Result<(), LineError> {
        self.originated.lock().expect("lock").push(call.clone());
        let far = self
            .script
            .lock()
            .expect("lock")
            .pop_front()
            .unwrap_or(Far::RingForever);
        *self.current.lock().expect("lock") = Some(far.clone());
        let signals = match far {
            Far::Busy => vec![
                CallSignal::DialStatus("BUSY".into()),
                destroyed(17, "User busy"),
            ],
            Far::NoAnswer => vec![
                CallSignal::DialStatus("RINGING".into()),
                destroyed(19, "User alerting, no answer"),
            ],
            Far::RingForever => vec![CallSignal::DialStatus("RINGING".into())],
            Far::Answers(_) | Far::AnswersThenVanishes => vec![CallSignal::Answered],
        };
        self.send(&call.channel_id, signals);
        Ok(())
    }

    async fn start_send_fax(&self, channel_id: &str, _job_id: i64) -> Result<(), LineError> {
        let far = self.current.lock().expect("lock").clone();
        let signals = match far {
            Some(Far::Answers(result)) => vec![
                CallSignal::FaxReport(result),
                destroyed(16, "Normal Clearing"),
            ],
            _ => vec![destroyed(16, "Normal Clearing")],
        };
        self.send(channel_id, signals);
        Ok(())
    }

    async fn hangup(&self, channel_id: &str) -> Result<(), LineError> {
        self.hangups
            .lock()
            .expect("lock")
            .push(channel_id.to_owned());
        self.send(channel_id, vec![destroyed(16, "Normal Clearing")]);
        Ok(())
    }
}

struct Rig {
    _dir: tempfile::TempDir,
    store: Store,
    line: Arc<ScriptedLine>,
    worker: Arc<FaxWorker>,
    updates: broadcast::Receiver<FaxJob>,
    document: std::path::PathBuf,
    sent_dir: std::path::PathBuf,
}

async fn rig(script: Vec<Far>, retry_delay: Duration) -> Rig {
    rig_with(script, retry_delay, Duration::from_secs(30), Duration::ZERO).await
}

async fn rig_with(
    script: Vec<Far>,
    retry_delay: Duration,
    lease: Duration,
    conversion_time: Duration,
) -> Rig {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("db.sqlite").display());
    let store = Store::connect(&url).await.expect("store");
    let signals = CallSignals::default();
    let line = Arc::new(ScriptedLine::new(signals.clone(), script));
    let (tx, updates) = broadcast::channel(64);
    let settings = WorkerSettings {
        retry_delay,
        dial_timeout_secs: 30,
        ..worker_settings("worker-a", lease, dir.path())
    };
    let sent_dir = settings.sent_dir.clone();
    let worker = Arc::new(FaxWorker::new(
        store.clone(),
        line.clone(),
        Arc::new(CopyConverter {
            pages: 3,
            delay: conversion_time,
        }),
        signals,
        tx,
        settings,
    ));
    let document = dir.path().join("doc.pdf");
    std::fs::write(&document, b"%PDF-1.4 three pages").expect("write doc");
    Rig {
        _dir: dir,
        store,
        line,
        worker,
        updates,
        document,
        sent_dir,
    }
}

impl Rig {
    async fn queue(&self, max_attempts: u32) -> FaxJob {
        crate::common::fax_rig::queue_job(&self.store, &self.document, "5551234", max_attempts)
            .await
    }

    async fn job(&self, id: i64) -> FaxJob {
        self.store.fax_job(id).await.expect("load").expect("exists")
    }

    /// Runs the worker until it finds nothing more to do.
    async fn work(&self) {
        for _ in 0..20 {
            if !self.worker.run_once().await.expect("worker") {
                return;
            }
        }
        panic!("worker never went idle");
    }

    fn states_seen(&mut self) -> Vec<JobState> {
        let mut seen = Vec::new();
        while let Ok(job) = self.updates.try_recv() {
            seen.push(job.state);
        }
        seen
    }
}

fn success(pages: u32) -> Far {
    Far::Answers(FaxResult {
        status: "SUCCESS".into(),
        error: "OK".into(),
        status_string: "OK".into(),
        pages,
        remote_station_id: "+1 555 1234".into(),
    })
}

fn failed(error: &str, pages: u32) -> Far {
    Far::Answers(FaxResult {
        status: "FAILED".into(),
        error: error.into(),
        status_string: "The call dropped prematurely".into(),
        pages,
        remote_station_id: String::new(),
    })
}

#[tokio::test]
async fn successful_fax_goes_through_every_state_to_sent() {
    let mut rig = rig(vec![success(3)], Duration::ZERO).await;
    let job = rig.queue(4).await;
    rig.work().await;
    let done = rig.job(job.id).await;
    assert_eq!(done.state, JobState::Sent);
    assert_eq!((done.pages_sent, done.pages_total), (3, 3));
    assert_eq!(done.attempts, 1);
    assert_eq!(done.fax_status.as_deref(), Some("SUCCESS"));
    assert_eq!(done.remote_station_id.as_deref(), Some("+1 555 1234"));
    assert_eq!(
        rig.states_seen(),
        vec![
            JobState::Converting,
            JobState::Dialing,
            JobState::Sending,
            JobState::Sent
        ]
    );
}

#[tokio::test]
async fn the_call_uses_the_dial_template_our_channel_id_and_the_converted_tiff() {
    let rig = rig(vec![success(3)], Duration::ZERO).await;
    let job = rig.queue(4).await;
    rig.work().await;
    let calls = rig.line.originated.lock().expect("lock").clone();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].endpoint, "Local/5551234@ringside-outbound");
    assert_eq!(calls[0].channel_id, format!("ringside-fax-{}-1", job.id));
    assert_eq!(
        calls[0].tiff_path,
        rig.sent_dir.join(format!("{}.tif", job.id))
    );
    assert!(calls[0].tiff_path.is_file(), "converted TIFF exists");
}

#[tokio::test]
async fn busy_then_success_is_sent_on_the_second_attempt() {
    let rig = rig(vec![Far::Busy, success(3)], Duration::ZERO).await;
    let job = rig.queue(4).await;
    rig.work().await;
    let done = rig.job(job.id).await;
    assert_eq!(done.state, JobState::Sent);
    assert_eq!(done.attempts, 2);
    let calls = rig.line.originated.lock().expect("lock").clone();
    assert_eq!(calls[1].channel_id, format!("ringside-fax-{}-2", job.id));
}

#[tokio::test]
async fn a_retry_waits_for_the_retry_delay() {
    let rig = rig(vec![Far::NoAnswer, success(3)], Duration::from_secs(300)).await;
    let job = rig.queue(4).await;
    rig.work().await;
    let waiting = rig.job(job.id).await;
    assert_eq!(waiting.state, JobState::Queued);
    assert_eq!(waiting.attempts, 1);
    assert!(waiting.next_attempt_at >= waiting.updated_at + chrono::Duration::seconds(299));
    assert!(
        waiting
            .error
            .as_deref()
            .unwrap_or("")
            .contains("nobody answered")
    );
    assert_eq!(rig.line.originated.lock().expect("lock").len(), 1);
}

#[tokio::test]
async fn retried_job_is_not_converted_again() {
    let mut rig = rig(vec![Far::Busy, success(3)], Duration::ZERO).await;
    rig.queue(4).await;
    rig.work().await;
    let converting = rig
        .states_seen()
        .into_iter()
        .filter(|s| *s == JobState::Converting)
        .count();
    assert_eq!(converting, 1);
}

#[tokio::test]
async fn busy_on_every_attempt_fails_after_the_configured_attempts() {
    let rig = rig(vec![Far::Busy; 4], Duration::ZERO).await;
    let job = rig.queue(4).await;
    rig.work().await;
    let done = rig.job(job.id).await;
    assert_eq!(done.state, JobState::Failed);
    assert_eq!(done.attempts, 4);
    assert_eq!(
        done.error.as_deref(),
        Some("the line was busy (gave up after 4 attempts)")
    );
}

#[tokio::test]
async fn failed_negotiation_is_retried_then_sent() {
    let rig = rig(
        vec![failed("NEGOTIATION_FAILED", 0), success(3)],
        Duration::ZERO,
    )
    .await;
    let job = rig.queue(4).await;
    rig.work().await;
    let done = rig.job(job.id).await;
    assert_eq!(done.state, JobState::Sent);
    assert_eq!(done.attempts, 2);
}

#[tokio::test]
async fn failed_fax_on_the_last_attempt_keeps_asterisks_error() {
    let rig = rig(vec![failed("NEGOTIATION_FAILED", 0)], Duration::ZERO).await;
    let job = rig.queue(1).await;
    rig.work().await;
    let done = rig.job(job.id).await;
    assert_eq!(done.state, JobState::Failed);
    assert_eq!(done.fax_status.as_deref(), Some("FAILED"));
    assert_eq!(done.fax_error.as_deref(), Some("NEGOTIATION_FAILED"));
    assert!(
        done.error
            .as_deref()
            .unwrap_or("")
            .contains("NEGOTIATION_FAILED")
    );
}

#[tokio::test]
async fn hang_up_mid_transfer_records_the_pages_that_went_through() {
    let rig = rig(vec![failed("HANGUP", 1)], Duration::ZERO).await;
    let job = rig.queue(1).await;
    rig.work().await;
    let done = rig.job(job.id).await;
    assert_eq!(done.state, JobState::Failed);
    assert_eq!(done.pages_sent, 1);
    assert!(
        done.error
            .as_deref()
            .unwrap_or("")
            .contains("1 page went through")
    );
}

#[tokio::test]
async fn call_ending_without_a_fax_report_is_retried() {
    let rig = rig(vec![Far::AnswersThenVanishes, success(3)], Duration::ZERO).await;
    let job = rig.queue(4).await;
    rig.work().await;
    let done = rig.job(job.id).await;
    assert_eq!(done.state, JobState::Sent);
    assert_eq!(done.attempts, 2);
}

#[tokio::test]
async fn damaged_document_fails_without_a_call() {
    let rig = rig(vec![success(3)], Duration::ZERO).await;
    std::fs::write(&rig.document, b"BAD").expect("write");
    let job = rig.queue(4).await;
    rig.work().await;
    let done = rig.job(job.id).await;
    assert_eq!(done.state, JobState::Failed);
    assert!(
        done.error
            .as_deref()
            .unwrap_or("")
            .contains("PDF is damaged")
    );
    assert!(rig.line.originated.lock().expect("lock").is_empty());
    let leftovers: Vec<_> = std::fs::read_dir(&rig.sent_dir)
        .map(|d| d.filter_map(Result::ok).map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(leftovers.is_empty(), "no half-written TIFF: {leftovers:?}");
}

#[tokio::test]
async fn cancelling_while_dialing_hangs_up_and_cancels() {
    let rig = rig(vec![Far::RingForever], Duration::ZERO).await;
    let job = rig.queue(4).await;
    let worker = rig.worker.clone();
    let running = tokio::spawn(async move { worker.run_once().await });
    let mut dialing = false;
    for _ in 0..200 {
        if rig.job(job.id).await.state == JobState::Dialing {
            dialing = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(dialing, "job reached dialing");
    rig.store
        .cancel_fax_job(job.id, at(1))
        .await
        .expect("cancel");
    running.await.expect("join").expect("worker");
    let done = rig.job(job.id).await;
    assert_eq!(done.state, JobState::Cancelled);
    assert_eq!(
        done.error.as_deref(),
        Some("cancelled by the user while dialing")
    );
    assert_eq!(
        rig.line.hangups.lock().expect("lock").clone(),
        vec![format!("ringside-fax-{}-1", job.id)]
    );
}

#[tokio::test]
async fn job_left_sending_by_a_stopped_daemon_is_hung_up_and_requeued() {
    let rig = rig(vec![], Duration::ZERO).await;
    let job = rig.queue(4).await;
    // A daemon that claimed the job, started the call, and died (its lease has run out).
    let mut claimed = rig
        .store
        .claim_due_fax_job("dead-daemon", at(0), at(1))
        .await
        .expect("claim")
        .expect("due");
    claimed.state = JobState::Sending;
    claimed.attempts = 1;
    claimed.channel_id = Some(format!("ringside-fax-{}-1", job.id));
    rig.store
        .save_fax_job(&claimed, "dead-daemon", at(1))
        .await
        .expect("save");
    assert!(rig.worker.run_once().await.expect("worker"));
    let recovered = rig.job(job.id).await;
    assert_eq!(recovered.state, JobState::Queued);
    assert!(
        recovered
            .error
            .as_deref()
            .unwrap_or("")
            .contains("daemon stopped")
    );
    assert_eq!(
        rig.line.hangups.lock().expect("lock").clone(),
        vec![format!("ringside-fax-{}-1", job.id)]
    );
}

#[tokio::test]
async fn job_left_converting_by_a_stopped_daemon_is_converted_again() {
    let rig = rig(vec![success(3)], Duration::ZERO).await;
    let job = rig.queue(4).await;
    let mut claimed = rig
        .store
        .claim_due_fax_job("dead-daemon", at(0), at(1))
        .await
        .expect("claim")
        .expect("due");
    claimed.state = JobState::Converting;
    rig.store
        .save_fax_job(&claimed, "dead-daemon", at(1))
        .await
        .expect("save");
    rig.work().await;
    let done = rig.job(job.id).await;
    assert_eq!(done.state, JobState::Sent);
    assert_eq!(done.attempts, 1);
}

#[tokio::test]
async fn a_slow_conversion_keeps_its_lease_so_no_other_daemon_takes_the_job() {
    let rig = rig_with(
        vec![success(3)],
        Duration::ZERO,
        Duration::from_millis(300),
        Duration::from_millis(900),
    )
    .await;
    let job = rig.queue(4).await;
    let worker = rig.worker.clone();
    let running = tokio::spawn(async move { worker.run_once().await });
    let mut stolen = None;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(25)).await;
        let now = chrono::Utc::now();
        stolen = rig
            .store
            .claim_abandoned_fax_job(
                "other-daemon",
                now,
                now + chrono::Duration::milliseconds(300),
            )
            .await
            .expect("claim");
        if stolen.is_some() {
            break;
        }
    }
    running.await.expect("join").expect("worker");
    assert_eq!(stolen, None, "job taken while converting");
    assert_eq!(rig.job(job.id).await.state, JobState::Sent);
}
