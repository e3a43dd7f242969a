//! The fax service as the daemon runs it: one worker on the ARI fax line, its progress on a
//! broadcast channel the portal subscribes to, and the Stasis route for fax calls nobody
//! waits for any more.

use std::sync::Arc;

use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use super::ari_line::AriFaxLine;
use super::ports::{CallSignals, DocumentConverter};
use super::worker::{FaxWorker, WorkerSettings};
use crate::ari::{AriClient, HangupReason};
use crate::config::Config;
use crate::flows::dispatch::{FlowCall, FlowFuture, Inbox};
use crate::store::Store;
use crate::store::fax::FaxJob;

/// Fax job changes, one message per state change of any job.
#[derive(Clone)]
pub struct FaxUpdates {
    sender: broadcast::Sender<FaxJob>,
}

impl Default for FaxUpdates {
    fn default() -> Self {
        Self {
            sender: broadcast::channel(256).0,
        }
    }
}

impl FaxUpdates {
    /// A receiver of every later change (a slow receiver skips ahead, see `broadcast`).
    pub fn subscribe(&self) -> broadcast::Receiver<FaxJob> {
        self.sender.subscribe()
    }

    pub fn sender(&self) -> broadcast::Sender<FaxJob> {
        self.sender.clone()
    }
}

/// Runs the fax worker until `stop`. `inbox` must come from the engine before it runs.
pub async fn run_worker(
    config: Config,
    store: Store,
    client: AriClient,
    inbox: Inbox,
    converter: Arc<dyn DocumentConverter>,
    updates: FaxUpdates,
    stop: CancellationToken,
) {
    let signals = CallSignals::default();
    let line = AriFaxLine::start(client, inbox, signals.clone(), stop.clone());
    let worker_id = format!("fax-{}", uuid::Uuid::new_v4().simple());
    let worker = FaxWorker::new(
        store,
        Arc::new(line),
        converter,
        signals,
        updates.sender(),
        WorkerSettings::from_config(&config, worker_id),
    );
    worker.run(stop).await;
}

/// Stasis route `fax`: a fax call that enters the app unclaimed belongs to a worker that is
/// gone (the daemon restarted while it rang). Its job is retried from the queue, so the
/// stray call is hung up rather than sent into the dialplan.
pub fn stale_call(call: FlowCall) -> FlowFuture {
    Box::pin(async move {
        let id = call.start.channel.id.clone();
        tracing::warn!(channel = %id, args = ?call.start.args, "fax call nobody waits for; hanging up");
        if let Err(err) = call.client.hangup(&id, HangupReason::Normal).await {
            if !err.is_not_found() {
                tracing::warn!(channel = %id, error = %err, "cannot hang up the stray fax call");
            }
        }
    })
}
