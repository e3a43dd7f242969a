//! The fax line over ARI as the fax tests drive it: the real client, event connection,
//! engine and worker against the ARI simulator (whose `[ringside-fax-out]` plays a far-end fax
//! machine), on a SQLite store in a temp dir, with a converter that copies the document and
//! calls it 3 pages.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use ringside::ari::AriClient;
use ringside::ari::connection;
use ringside::ari::simulator::{FarFax, SimConfig, Simulator};
use ringside::flows::dispatch::Engine;
use ringside::flows::fax::ari_line::AriFaxLine;
use ringside::flows::fax::{
    CallSignals, DocumentConverter, FaxCall, FaxLine, FaxWorker, LineError, WorkerSettings,
};
use ringside::store::Store;
use ringside::store::fax::{FaxJob, JobState, NewSendJob};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

pub const NUMBER: &str = "5551234";

/// Stands in for the document converter: the "fax TIFF" is a copy of the document, with
/// `pages` pages, made after `delay`; a document starting with `BAD` fails to convert.
pub struct CopyConverter {
    pub pages: u32,
    pub delay: Duration,
}

impl CopyConverter {
    pub const THREE_PAGES: CopyConverter = CopyConverter {
        pages: 3,
        delay: Duration::ZERO,
    };
}

impl DocumentConverter for CopyConverter {
    fn count_pages(&self, _document: &Path) -> Result<u32, String> {
        Ok(self.pages)
    }

    fn to_fax_tiff(&self, document: &Path, output: &Path) -> Result<u32, String> {
        std::thread::sleep(self.delay);
        let bytes = std::fs::read(document).map_err(|e| e.to_string())?;
        if bytes.starts_with(b"BAD") {
            return Err("PDF is damaged: no xref table".into());
        }
        std::fs::write(output, bytes).map_err(|e| e.to_string())?;
        Ok(self.pages)
    }

    fn fax_tiff_to_pdf(&self, _tiff: &Path, _output: &Path) -> Result<u32, String> {
        Err("not used".into())
    }
}

/// The worker's settings in these tests: quick polls, no wait before a retry, sent faxes kept
/// under `dir`.
pub fn worker_settings(worker_id: &str, lease: Duration, dir: &Path) -> WorkerSettings {
    WorkerSettings {
        worker_id: worker_id.into(),
        retry_delay: Duration::ZERO,
        lease,
        poll: Duration::from_millis(20),
        dial_template: "Local/{number}@ringside-outbound".into(),
        dial_timeout_secs: 5,
        max_send_per_page: Duration::from_secs(5),
        sent_dir: dir.join("fax/sent"),
    }
}

/// The ARI line of a daemon about to die: everything goes through, except that handing an
/// answered call to `SendFAX` never completes.
struct StallsBeforeSendFax(Arc<AriFaxLine>);

#[async_trait::async_trait]
impl FaxLine for StallsBeforeSendFax {
    async fn originate(&self, call: &FaxCall) -> Result<(), LineError> {
        self.0.originate(call).await
    }

    async fn start_send_fax(&self, _channel_id: &str, _job_id: i64) -> Result<(), LineError> {
        std::future::pending().await
    }

    async fn hangup(&self, channel_id: &str) -> Result<(), LineError> {
        self.0.hangup(channel_id).await
    }
}

pub struct Rig {
    pub dir: tempfile::TempDir,
    pub client: AriClient,
    pub sim: Simulator,
    pub store: Store,
    pub line: Arc<AriFaxLine>,
    pub signals: CallSignals,
    pub published: broadcast::Sender<FaxJob>,
    pub lease: Duration,
    pub worker: FaxWorker,
    pub updates: broadcast::Receiver<FaxJob>,
    pub document: std::path::PathBuf,
    pub stop: CancellationToken,
}

impl Drop for Rig {
    fn drop(&mut self) {
        self.stop.cancel();
        self.sim.shutdown();
    }
}

pub async fn rig() -> Rig {
    rig_with_lease(Duration::from_secs(30)).await
}

pub async fn rig_with_lease(lease: Duration) -> Rig {
    let sim = Simulator::start(SimConfig {
        second: Duration::from_millis(20),
        ..SimConfig::default()
    })
    .await
    .expect("simulator");
    let client = AriClient::new(&sim.base_url(), "ringside", "secret", "ringside").expect("client");
    let stop = CancellationToken::new();
    let conn = connection::spawn(client.clone(), stop.clone());
    let engine = Engine::builder(client.clone())
        .route("fax", ringside::flows::fax::service::stale_call)
        .build();
    let inbox = engine.inbox();
    tokio::spawn(engine.run(conn.items, stop.clone()));
    assert!(
        sim.wait_connected("ringside", Duration::from_secs(5)).await,
        "daemon connected to the simulator"
    );
    let signals = CallSignals::default();
    let line = AriFaxLine::start(client.clone(), inbox, signals.clone(), stop.clone());
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::connect(&format!(
        "sqlite://{}",
        dir.path().join("db.sqlite").display()
    ))
    .await
    .expect("store");
    let (published, updates) = broadcast::channel(64);
    let document = dir.path().join("doc.pdf");
    std::fs::write(&document, b"%PDF-1.4 three pages").expect("document");
    let line = Arc::new(line);
    let worker = new_worker(&store, &line, &signals, &published, lease, &dir, "daemon-1");
    Rig {
        dir,
        client,
        sim,
        store,
        line,
        signals,
        published,
        lease,
        worker,
        updates,
        document,
        stop,
    }
}

pub fn new_worker(
    store: &Store,
    line: &Arc<AriFaxLine>,
    signals: &CallSignals,
    published: &broadcast::Sender<FaxJob>,
    lease: Duration,
    dir: &tempfile::TempDir,
    worker_id: &str,
) -> FaxWorker {
    FaxWorker::new(
        store.clone(),
        line.clone(),
        Arc::new(CopyConverter::THREE_PAGES),
        signals.clone(),
        published.clone(),
        worker_settings(worker_id, lease, dir.path()),
    )
}

impl Rig {
    /// Another daemon's worker on the same line and database.
    pub fn other_worker(&self, worker_id: &str) -> FaxWorker {
        new_worker(
            &self.store,
            &self.line,
            &self.signals,
            &self.published,
            self.lease,
            &self.dir,
            worker_id,
        )
    }

    /// Starts one claim on a worker that is then killed mid-transfer: once the job is sending
    /// and its call has gone on into `[ringside-fax-out]` (the worker records `sending` just
    /// before it continues the call, so the state alone could kill it in between). Its task
    /// stops at once, nothing cleaned up, its lease left to run out.
    pub async fn kill_worker_while_sending(&self, job: i64) {
        let doomed = self.other_worker("doomed");
        let running = tokio::spawn(async move { doomed.run_once().await });
        assert!(
            wait_for(Duration::from_secs(5), || async {
                self.job(job).await.state == JobState::Sending && self.fax_out_runs() == 1
            })
            .await,
            "the fax started"
        );
        running.abort();
        let _ = running.await;
    }

    /// Starts one claim on a worker that is killed in the narrow window between recording
    /// the job as sending and handing its answered call to `[ringside-fax-out]`: its line
    /// never finishes that hand-over, and the task stops once the job is `sending`. The call
    /// is left waiting in the app, answered, with nothing transmitted.
    pub async fn kill_worker_before_send_fax(&self, job: i64) {
        let doomed = FaxWorker::new(
            self.store.clone(),
            Arc::new(StallsBeforeSendFax(self.line.clone())),
            Arc::new(CopyConverter::THREE_PAGES),
            self.signals.clone(),
            self.published.clone(),
            worker_settings("doomed", self.lease, self.dir.path()),
        );
        let running = tokio::spawn(async move { doomed.run_once().await });
        assert!(
            wait_for(Duration::from_secs(5), || async {
                self.job(job).await.state == JobState::Sending
            })
            .await,
            "the call was answered"
        );
        running.abort();
        let _ = running.await;
        assert_eq!(self.fax_out_runs(), 0, "never handed to SendFAX");
    }

    /// Waits out a killed worker's lease, then has another daemon's worker claim the job
    /// once; answers that worker and the job as it left it.
    pub async fn take_over_after_the_lease(&self, job: i64) -> (FaxWorker, FaxJob) {
        tokio::time::sleep(self.lease + Duration::from_millis(100)).await;
        let successor = self.other_worker("daemon-2");
        assert!(
            successor.run_once().await.expect("worker"),
            "job taken over"
        );
        let left = self.job(job).await;
        (successor, left)
    }

    pub fn fax_out_runs(&self) -> usize {
        self.sim
            .rest_calls()
            .iter()
            .filter(|c| c.method == "POST" && c.path.ends_with("/continue"))
            .count()
    }

    pub async fn queue(&self, max_attempts: u32) -> FaxJob {
        queue_job(&self.store, &self.document, NUMBER, max_attempts).await
    }

    /// One claim: the job goes as far as it can (sent, failed, or back in the queue).
    pub async fn attempt(&self) {
        assert!(
            self.worker.run_once().await.expect("worker"),
            "a job was due"
        );
    }

    pub async fn job(&self, id: i64) -> FaxJob {
        self.store.fax_job(id).await.expect("load").expect("exists")
    }

    pub fn states_seen(&mut self) -> Vec<JobState> {
        let mut seen = Vec::new();
        while let Ok(job) = self.updates.try_recv() {
            seen.push(job.state);
        }
        seen
    }
}

pub fn receives(pages: u32) -> FarFax {
    FarFax::Receives {
        pages,
        station_id: "+1 555 123 4567".into(),
    }
}

pub async fn wait_for<F, Fut>(limit: Duration, mut cond: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    while tokio::time::Instant::now() < deadline {
        if cond().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}

/// An instant given in Unix milliseconds, as these tests count.
pub fn at(ms: i64) -> chrono::DateTime<chrono::Utc> {
    ringside::store::from_millis(ms)
}

/// Queues the 3-page `document` from 1001 to `number`, as sent at the start of the test clock.
pub async fn queue_job(
    store: &Store,
    document: &std::path::Path,
    number: &str,
    max_attempts: u32,
) -> FaxJob {
    store
        .insert_send_job(
            &NewSendJob {
                owner: "1001".into(),
                number: number.into(),
                document_path: document.display().to_string(),
                tiff_path: None,
                pages_total: 3,
                max_attempts,
                file_name: String::new(),
            },
            at(0),
        )
        .await
        .expect("queue")
}
