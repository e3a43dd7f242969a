//! The fax worker: takes due jobs from the store, converts, calls, waits for the outcome and
//! records each step, publishing every change on a broadcast channel.
//!
//! Decisions come from [`machine`]; this module only carries out its actions and turns what
//! the line reports into events. Several workers (in one or many daemons) can share a store:
//! a job is only touched under its lease, which the worker renews while a call lasts. Jobs a
//! stopped daemon left behind are picked up once their lease runs out and requeued or failed.

use crate::atomic_file::{AtomicFile, Durability};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{broadcast, mpsc};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::call::{CallSignal, event_while_dialing, event_while_sending};
use super::machine::{self, Action, CallFailure, Event};
use super::ports::{AdoptedCall, CallSignals, DocumentConverter, FaxCall, FaxLine};
use crate::store::fax::{FaxJob, JobState};
use crate::store::{Store, StoreError};

#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// Names this worker in leases; unique per daemon process.
    pub worker_id: String,
    pub retry_delay: Duration,
    /// How long a claim lasts without renewal; a stopped daemon's jobs return after this.
    pub lease: Duration,
    /// How often the queue and the cancel flag are looked at.
    pub poll: Duration,
    /// `[dial] external`, with `{number}` for the destination.
    pub dial_template: String,
    pub dial_timeout_secs: u32,
    /// Longest a call may stay in `sending`; spandsp needs well under a minute per page.
    pub max_send_per_page: Duration,
    /// Where converted TIFFs are written (`<data_dir>/fax/sent`).
    pub sent_dir: PathBuf,
}

impl WorkerSettings {
    pub fn from_config(config: &crate::config::Config, worker_id: String) -> Self {
        Self {
            worker_id,
            retry_delay: Duration::from_secs(config.fax.retry_delay_secs),
            // Renewed every third of it while a job is worked on: a daemon that dies gives its
            // jobs up within 15 s, as it gives up its wakeup calls.
            lease: Duration::from_secs(15),
            poll: Duration::from_millis(500),
            dial_template: config.dial.external.clone(),
            dial_timeout_secs: 60,
            max_send_per_page: Duration::from_secs(120),
            sent_dir: config.data_dir.join("fax").join("sent"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Works the outgoing fax queue.
pub struct FaxWorker {
    store: Store,
    line: Arc<dyn FaxLine>,
    converter: Arc<dyn DocumentConverter>,
    signals: CallSignals,
    updates: broadcast::Sender<FaxJob>,
    settings: WorkerSettings,
}

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

/// A configured span as a span between instants (clamped: a century is "never").
fn span(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::days(36_500))
}

/// The dial string for `number` from the `[dial] external` template.
pub fn endpoint_for(template: &str, number: &str) -> String {
    template.replace("{number}", number)
}

enum Phase {
    Dialing,
    Sending,
}

impl FaxWorker {
    pub fn new(
        store: Store,
        line: Arc<dyn FaxLine>,
        converter: Arc<dyn DocumentConverter>,
        signals: CallSignals,
        updates: broadcast::Sender<FaxJob>,
        settings: WorkerSettings,
    ) -> Self {
        Self {
            store,
            line,
            converter,
            signals,
            updates,
            settings,
        }
    }

    /// Runs until `stop` is cancelled. Store errors are logged and retried after a pause.
    pub async fn run(&self, stop: CancellationToken) {
        tracing::info!(worker = %self.settings.worker_id, "fax worker started");
        loop {
            let worked = match self.run_once().await {
                Ok(worked) => worked,
                Err(err) => {
                    tracing::warn!(error = %err, "fax worker: store error");
                    false
                }
            };
            if worked {
                if stop.is_cancelled() {
                    break;
                }
                continue;
            }
            tokio::select! {
                () = stop.cancelled() => break,
                () = tokio::time::sleep(self.settings.poll) => {}
            }
        }
        tracing::info!(worker = %self.settings.worker_id, "fax worker stopped");
    }

    /// Recovers one abandoned job or works one due job to its next resting point (sent,
    /// failed, cancelled, or queued for a retry). `false` when there was nothing to do.
    pub async fn run_once(&self) -> Result<bool, WorkerError> {
        let now = now();
        let lease_until = now + span(self.settings.lease);
        let id = &self.settings.worker_id;
        if let Some(job) = self
            .store
            .claim_abandoned_fax_job(id, now, lease_until)
            .await?
        {
            tracing::warn!(job = job.id, state = %job.state, "fax job abandoned by a stopped daemon");
            let event = self.abandoned(&job).await;
            self.drive(job, event, None).await?;
            return Ok(true);
        }
        match self.store.claim_due_fax_job(id, now, lease_until).await? {
            Some(job) => {
                self.drive(job, Event::Claimed, None).await?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// What a job found abandoned means: if its call ended and Asterisk kept the report,
    /// the fax's outcome (so a fax that went through is not sent again); if `SendFAX` is still
    /// transmitting, that call's outcome, watched to its end (cutting it off would send part
    /// of the fax twice); otherwise a call cut off mid-way.
    async fn abandoned(&self, job: &FaxJob) -> Event {
        let in_call = matches!(job.state, JobState::Dialing | JobState::Sending);
        let Some(channel) = job.channel_id.as_deref().filter(|_| in_call) else {
            return Event::Abandoned;
        };
        match self.kept_report(job, channel).await {
            Some(event) => event,
            None if job.state == JobState::Sending => self.adopt(job, channel).await,
            None => Event::Abandoned,
        }
    }

    /// The report Asterisk kept for `channel`'s call, as the event it means.
    async fn kept_report(&self, job: &FaxJob, channel: &str) -> Option<Event> {
        match self.line.kept_report(channel).await {
            Ok(Some(result)) => {
                tracing::info!(job = job.id, channel = %channel, status = %result.status, "fax job: its call ended while no daemon watched; report recovered");
                Some(Event::AbandonedWithReport(result))
            }
            Ok(None) => None,
            Err(err) => {
                tracing::warn!(job = job.id, error = %err, "fax job: cannot look for a kept report");
                None
            }
        }
    }

    /// Takes over the call of a job recorded as sending when its daemon stopped: a call still
    /// transmitting is watched to its end; one its daemon never handed to `SendFAX` (it
    /// stopped in between) is handed over now, so the fax goes out at once rather than after
    /// the call's time limit.
    async fn adopt(&self, job: &FaxJob, channel: &str) -> Event {
        // Registered before the look-up, so an end that comes right after it is not missed.
        let mut signals = self.signals.register(channel);
        let found = match self.line.adopt(channel).await {
            Ok(found) => found,
            Err(err) => {
                tracing::warn!(job = job.id, error = %err, "fax job: cannot take its call over");
                AdoptedCall::Gone
            }
        };
        let started = match found {
            AdoptedCall::Gone => false,
            AdoptedCall::Sending => {
                tracing::info!(job = job.id, channel = %channel, "fax job: its call is still sending; watching it to its end");
                true
            }
            AdoptedCall::Answered => {
                tracing::info!(job = job.id, channel = %channel, "fax job: its call was answered but never sent; sending now");
                match self.line.start_send_fax(channel, job.id).await {
                    Ok(()) => true,
                    Err(err) => {
                        tracing::warn!(job = job.id, error = %err, "fax job: cannot start SendFAX");
                        let _ = self.line.hangup(channel).await;
                        false
                    }
                }
            }
        };
        let event = if started {
            let limit =
                self.settings.max_send_per_page * job.pages_total.max(1) + Duration::from_secs(60);
            self.wait(job, channel, &mut signals, Phase::Sending, limit)
                .await
        } else {
            Event::Abandoned
        };
        self.signals.unregister(channel);
        match event {
            // The call may have ended between two looks, or its report event been lost on
            // the way: the copy Asterisk keeps says how the fax went.
            Event::CallEnded | Event::Abandoned => self
                .kept_report(job, channel)
                .await
                .unwrap_or(Event::Abandoned),
            other => other,
        }
    }

    /// Applies events and carries out actions until the job rests.
    async fn drive(
        &self,
        mut job: FaxJob,
        first: Event,
        mut call: Option<(String, mpsc::UnboundedReceiver<CallSignal>)>,
    ) -> Result<(), WorkerError> {
        let mut event = first;
        let result = loop {
            let step = match machine::apply(&job, &event, now(), span(self.settings.retry_delay)) {
                Ok(step) => step,
                Err(err) => {
                    tracing::warn!(job = job.id, error = %err, "fax job: event ignored");
                    break Ok(());
                }
            };
            let before = job.state;
            let reported_channel = match &event {
                Event::FaxFinished(_) | Event::AbandonedWithReport(_) => job.channel_id.clone(),
                _ => None,
            };
            job = step.job;
            if let Err(err) = self.save(&job).await {
                // Someone else holds the job now; stop touching its call.
                if let Some((channel, _)) = &call {
                    self.signals.unregister(channel);
                }
                break Err(err);
            }
            tracing::info!(job = job.id, from = %before, to = %job.state, "fax job");
            if let Some(channel) = reported_channel {
                // Saved: the copy Asterisk kept for a restarted daemon is no longer needed.
                if let Err(err) = self.line.forget_report(&channel).await {
                    tracing::debug!(job = job.id, error = %err, "fax job: kept report not dropped");
                }
            }
            let mut next = None;
            for action in step.actions {
                next = self.perform(&job, action, &mut call).await;
            }
            if job.state.is_final() || job.state == JobState::Queued {
                break Ok(());
            }
            match next {
                Some(e) => event = e,
                None => {
                    tracing::warn!(job = job.id, state = %job.state, "fax job: no next event");
                    break Ok(());
                }
            }
        };
        if let Some((channel, _)) = call {
            self.signals.unregister(&channel);
        }
        result
    }

    /// Carries out one action; returns the event it led to, if the job waits for one.
    async fn perform(
        &self,
        job: &FaxJob,
        action: Action,
        call: &mut Option<(String, mpsc::UnboundedReceiver<CallSignal>)>,
    ) -> Option<Event> {
        match action {
            Action::Convert => {
                let event = self.convert(job).await;
                if self
                    .store
                    .fax_cancel_requested(job.id)
                    .await
                    .unwrap_or(false)
                {
                    return Some(Event::CancelRequested);
                }
                Some(event)
            }
            Action::Originate { channel_id } => {
                if let Some((old, _)) = call.take() {
                    self.signals.unregister(&old);
                }
                let mut rx = self.signals.register(&channel_id);
                let request = FaxCall {
                    channel_id: channel_id.clone(),
                    job_id: job.id,
                    endpoint: endpoint_for(&self.settings.dial_template, &job.number),
                    tiff_path: PathBuf::from(job.tiff_path.clone().unwrap_or_default()),
                    caller_id: job.owner.clone(),
                    timeout_secs: self.settings.dial_timeout_secs,
                };
                let event = match self.line.originate(&request).await {
                    Ok(()) => {
                        let limit = Duration::from_secs(u64::from(request.timeout_secs) + 30);
                        self.wait(job, &channel_id, &mut rx, Phase::Dialing, limit)
                            .await
                    }
                    Err(err) => Event::CallFailed(CallFailure::Unreachable(err.0)),
                };
                *call = Some((channel_id, rx));
                Some(event)
            }
            Action::StartSendFax { channel_id } => {
                if let Err(err) = self.line.start_send_fax(&channel_id, job.id).await {
                    tracing::warn!(job = job.id, error = %err, "fax job: cannot start SendFAX");
                    let _ = self.line.hangup(&channel_id).await;
                    return Some(Event::CallEnded);
                }
                let limit = self.settings.max_send_per_page * job.pages_total.max(1)
                    + Duration::from_secs(60);
                match call {
                    Some((_, rx)) => {
                        Some(self.wait(job, &channel_id, rx, Phase::Sending, limit).await)
                    }
                    None => Some(Event::CallEnded),
                }
            }
            Action::Hangup { channel_id } => {
                if let Err(err) = self.line.hangup(&channel_id).await {
                    tracing::warn!(job = job.id, channel = %channel_id, error = %err, "fax job: hang-up failed");
                }
                None
            }
        }
    }

    async fn convert(&self, job: &FaxJob) -> Event {
        let Some(document) = job.document_path.clone().map(PathBuf::from) else {
            return Event::ConversionFailed {
                reason: "the job has no document".into(),
            };
        };
        let dir = self.settings.sent_dir.clone();
        let final_path = dir.join(format!("{}.tif", job.id));
        let converter = Arc::clone(&self.converter);
        let target = final_path.clone();
        let mut conversion = tokio::task::spawn_blocking(move || -> Result<u32, String> {
            std::fs::create_dir_all(&dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            let cannot_store =
                |e: std::io::Error| format!("cannot store {}: {e}", target.display());
            let file = AtomicFile::create(&target).map_err(cannot_store)?;
            let pages = converter.to_fax_tiff(&document, file.temp_path())?;
            file.commit(Durability::Durable).map_err(cannot_store)?;
            Ok(pages)
        });
        // A long document must not look abandoned to other daemons while it converts.
        let outcome = loop {
            tokio::select! {
                done = &mut conversion => break done,
                () = tokio::time::sleep(self.settings.lease / 3) => self.renew(job).await,
            }
        };
        match outcome {
            Ok(Ok(pages)) => Event::Converted {
                tiff_path: final_path.display().to_string(),
                pages,
            },
            Ok(Err(reason)) => Event::ConversionFailed { reason },
            Err(join) => Event::ConversionFailed {
                reason: format!("conversion stopped: {join}"),
            },
        }
    }

    /// Waits for the call's outcome, watching the cancel flag and renewing the lease.
    async fn wait(
        &self,
        job: &FaxJob,
        channel_id: &str,
        rx: &mut mpsc::UnboundedReceiver<CallSignal>,
        phase: Phase,
        limit: Duration,
    ) -> Event {
        let deadline = Instant::now() + limit;
        let renew_every = self.settings.lease / 3;
        let mut renewed = Instant::now();
        loop {
            tokio::select! {
                signal = rx.recv() => {
                    let Some(signal) = signal else { return Event::CallEnded };
                    let event = match phase {
                        Phase::Dialing => event_while_dialing(&signal),
                        Phase::Sending => event_while_sending(&signal),
                    };
                    if let Some(event) = event {
                        return event;
                    }
                }
                () = tokio::time::sleep(self.settings.poll) => {
                    if self.store.fax_cancel_requested(job.id).await.unwrap_or(false) {
                        return Event::CancelRequested;
                    }
                    if renewed.elapsed() >= renew_every {
                        self.renew(job).await;
                        renewed = Instant::now();
                    }
                    if Instant::now() >= deadline {
                        tracing::warn!(job = job.id, channel = %channel_id, "fax call took too long; hanging up");
                        let _ = self.line.hangup(channel_id).await;
                        return match phase {
                            Phase::Dialing => Event::CallFailed(CallFailure::NoAnswer),
                            Phase::Sending => Event::CallEnded,
                        };
                    }
                }
            }
        }
    }

    async fn renew(&self, job: &FaxJob) {
        let until = now() + span(self.settings.lease);
        match self
            .store
            .renew_fax_lease(job.id, &self.settings.worker_id, until)
            .await
        {
            Ok(true) => {}
            Ok(false) => tracing::warn!(job = job.id, "fax job: lease lost"),
            Err(err) => tracing::warn!(job = job.id, error = %err, "fax job: lease renewal failed"),
        }
    }

    async fn save(&self, job: &FaxJob) -> Result<(), WorkerError> {
        let now = now();
        self.store
            .save_fax_job(job, &self.settings.worker_id, now)
            .await?;
        let mut published = job.clone();
        published.updated_at = now;
        if job.state.is_final() || job.state == JobState::Queued {
            published.lease_owner = None;
            published.lease_until = None;
        }
        // No subscriber is fine: nobody is watching right now.
        let _ = self.updates.send(published);
        Ok(())
    }
}
