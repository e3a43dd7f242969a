//! The scheduler loop: claims due wakeups and due calls from the store, decides (with
//! `schedule::policy`) whether each fires or was missed, hands every member's call to a
//! [`WakeupDialer`], records the outcome and stores the retry or snooze that follows.
//!
//! It sleeps until the next stored due time, and is woken early through [`SchedulerHandle`]
//! when a wakeup is added or changed. Several schedulers (daemons) may share one database:
//! claims with short leases make each due wakeup and call go to exactly one of them. A
//! heartbeat renews the leases of the calls this scheduler is working on, so a scheduler that
//! dies gives its calls up within one lease and another one (or itself, restarted) takes them
//! over; one that is stopped hands them back at once. A call taken over is marked so, and the
//! dialer adopts a call Asterisk already placed instead of placing it again. Time comes from
//! an injected [`Clock`]; it never places calls itself.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use tokio::sync::{Notify, mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;

use crate::schedule::clock::Clock;
use crate::schedule::policy::{self, CallPolicy, FollowUp, Lateness, Outcome};
use crate::store::wakeup_claims::{
    AttemptRecord, CallEnd, CallRecord, DueClaim, DueWakeup, FireResolution, PendingCall,
};
use crate::store::{Store, StoreError};

/// The words the attempt history uses for a call that a daemon which took it over finished.
pub const TAKEN_OVER: &str = "daemon restarted; call taken over";

/// One call to place: a member of a wakeup, now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WakeupCall {
    /// The pending call's id, unique across daemons and never reused (part of the channel id).
    pub call_id: i64,
    pub wakeup_id: i64,
    pub member: String,
    /// What ARI plays as `sound:<prompt>`.
    pub prompt: String,
    pub ring_secs: u32,
    /// The instant this call was due (for lateness figures).
    pub due_at: DateTime<Utc>,
    /// Another scheduler held this call before and stopped without finishing it: the call
    /// may already be ringing or playing in Asterisk.
    pub taken_over: bool,
    /// Asterisk accepted an originate for this call before (its attempt is recorded).
    pub placed_before: bool,
}

/// How a placed call ended, with a short reason for the history (cause, error text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallResult {
    pub outcome: Outcome,
    pub detail: String,
}

impl CallResult {
    pub fn new(outcome: Outcome, detail: impl Into<String>) -> Self {
        Self {
            outcome,
            detail: detail.into(),
        }
    }
}

/// Tells the scheduler that Asterisk has the call (originate accepted, or a call placed
/// before found and adopted), so the attempt is recorded as started. Dropping it unsent means
/// the call was never placed.
#[derive(Debug)]
pub struct Placed(oneshot::Sender<()>);

impl Placed {
    pub fn placed(self) {
        // The scheduler stopped waiting only if it is shutting down: nothing to tell then.
        let _ = self.0.send(());
    }

    /// A signal nobody listens to, for dialers driven outside a scheduler.
    pub fn unobserved() -> Self {
        Self(oneshot::channel().0)
    }
}

/// Places one wakeup call and reports how it ended. The ARI flow implements it; tests use a
/// scripted one.
#[async_trait::async_trait]
pub trait WakeupDialer: Send + Sync + 'static {
    /// `None`: the call was not finished here (the daemon is stopping); it is left to
    /// whichever scheduler takes its claim over.
    async fn call(&self, call: WakeupCall, placed: Placed) -> Option<CallResult>;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchedulerConfig {
    /// A wakeup or call found due later than this (daemon was down) is recorded missed.
    pub grace: Duration,
    /// How long a claim on a due wakeup holds before another daemon may take it over (the
    /// claim lasts one database round trip; the lease only matters if its holder dies).
    pub wakeup_lease: Duration,
    /// How long a claim on a call holds without renewal: how soon another daemon takes over
    /// the calls of one that died.
    pub call_lease: Duration,
    /// How often the leases of calls in progress are renewed (well within `call_lease`).
    pub heartbeat: Duration,
    /// Claim this far ahead and dial at the exact instant, so database work is not lateness.
    pub lookahead: Duration,
    /// Rows claimed per statement.
    pub batch: u32,
    /// Longest sleep without looking at the database (changes by other processes).
    pub idle_poll: Duration,
    pub max_snoozes: u32,
}

impl SchedulerConfig {
    pub fn from_config(config: &crate::config::WakeupConfig) -> Self {
        Self {
            grace: Duration::seconds(i64::try_from(config.grace_secs).unwrap_or(i64::MAX / 1000)),
            ..Self::default()
        }
    }
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        Self {
            grace: Duration::seconds(600),
            wakeup_lease: Duration::seconds(10),
            call_lease: Duration::seconds(10),
            heartbeat: Duration::seconds(3),
            lookahead: Duration::seconds(5),
            batch: 500,
            idle_poll: Duration::seconds(10),
            max_snoozes: 10,
        }
    }
}

/// Wakes the scheduler at once (after a wakeup was added, changed or enabled).
#[derive(Debug, Clone)]
pub struct SchedulerHandle {
    notify: Arc<Notify>,
}

impl SchedulerHandle {
    pub fn wake(&self) {
        self.notify.notify_one();
    }
}

pub struct Scheduler {
    store: Store,
    clock: Arc<dyn Clock>,
    dialer: Arc<dyn WakeupDialer>,
    config: SchedulerConfig,
    id: String,
    round: AtomicU64,
    notify: Arc<Notify>,
    recorder: mpsc::UnboundedSender<RecordJob>,
    /// Claim tokens with calls still being worked on, and how many: their leases are renewed.
    live: Mutex<HashMap<String, usize>>,
    /// Cancelled when the scheduler stops: calls not finished are handed back.
    stopping: CancellationToken,
    /// Passes completed (a test can wait for a pass instead of sleeping).
    passes: watch::Sender<u64>,
    /// Lease renewals completed.
    heartbeats: watch::Sender<u64>,
}

type RecordReply = oneshot::Sender<Result<Option<i64>, StoreError>>;

/// A call start or end waiting for the recorder task.
struct RecordJob {
    record: CallRecord,
    reply: RecordReply,
}

/// Most records written in one transaction.
const RECORD_BATCH: usize = 1000;

/// Longest a stopping scheduler waits for its calls to finish recording.
const STOP_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Writes call starts and ends in batches: when thousands of calls start or end together,
/// one commit per call would queue them on the database for many seconds.
async fn write_records(store: Store, mut jobs: mpsc::UnboundedReceiver<RecordJob>) {
    while let Some(first) = jobs.recv().await {
        let mut batch = vec![first];
        while batch.len() < RECORD_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let records: Vec<CallRecord> = batch.iter().map(|j| j.record.clone()).collect();
        match store.record_calls(&records).await {
            Ok(ids) => {
                for (job, id) in batch.into_iter().zip(ids) {
                    let _ = job.reply.send(Ok(id));
                }
            }
            Err(e) if batch.len() == 1 => {
                if let Some(job) = batch.pop() {
                    let _ = job.reply.send(Err(e));
                }
            }
            Err(_) => {
                // One bad record must not lose the others: write each on its own.
                for job in batch {
                    let result = store
                        .record_calls(std::slice::from_ref(&job.record))
                        .await
                        .map(|ids| ids.first().copied().flatten());
                    let _ = job.reply.send(result);
                }
            }
        }
    }
}

/// What one pass did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tick {
    /// Calls handed to tasks (each sleeps until its due instant, then dials).
    pub dispatched: usize,
    /// Wakeups or calls recorded missed.
    pub missed: usize,
    /// A claim came back full: there may be more due right now.
    pub more: bool,
}

/// How the work on one claimed call ended.
enum Worked {
    /// Recorded (or its record failed and the lease will run out).
    Finished,
    /// Not finished here: the claim goes back to the queue.
    HandedBack,
}

impl Scheduler {
    /// Must be called inside a tokio runtime (it starts the recorder task).
    pub fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        dialer: Arc<dyn WakeupDialer>,
        config: SchedulerConfig,
    ) -> Arc<Self> {
        let (recorder, jobs) = mpsc::unbounded_channel();
        tokio::spawn(write_records(store.clone(), jobs));
        Arc::new(Self {
            recorder,
            store,
            clock,
            dialer,
            config,
            id: format!("sched-{}", uuid::Uuid::new_v4().simple()),
            round: AtomicU64::new(0),
            notify: Arc::new(Notify::new()),
            live: Mutex::new(HashMap::new()),
            stopping: CancellationToken::new(),
            passes: watch::Sender::new(0),
            heartbeats: watch::Sender::new(0),
        })
    }

    pub fn handle(&self) -> SchedulerHandle {
        SchedulerHandle {
            notify: self.notify.clone(),
        }
    }

    /// Passes over the queue completed so far, observable (tests wait for a pass instead of
    /// sleeping).
    pub fn passes(&self) -> watch::Receiver<u64> {
        self.passes.subscribe()
    }

    /// Lease renewals completed so far.
    pub fn heartbeats(&self) -> watch::Receiver<u64> {
        self.heartbeats.subscribe()
    }

    /// Runs until `shutdown`; store errors are logged and retried, never fatal. On shutdown
    /// the calls not finished are handed back so another scheduler can take them over at once.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        tracing::info!(scheduler = %self.id, "wakeup scheduler started");
        let heartbeat = tokio::spawn(Arc::clone(&self).renew_leases(shutdown.clone()));
        let mut failures = 0u32;
        while !shutdown.is_cancelled() {
            let result = self.tick().await;
            self.passes.send_modify(|n| *n += 1);
            let wait_until = match result {
                Ok(tick) if tick.more => continue,
                Ok(_) => {
                    failures = 0;
                    self.next_wake().await
                }
                Err(e) => {
                    failures = failures.saturating_add(1);
                    let backoff = Duration::milliseconds(200 * i64::from(failures.min(25)));
                    tracing::warn!(error = %e, "wakeup scheduler: database error, retrying");
                    self.clock.now() + backoff
                }
            };
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = self.notify.notified() => {}
                () = self.clock.sleep_until(wait_until) => {}
            }
        }
        self.hand_back().await;
        heartbeat.abort();
        tracing::info!(scheduler = %self.id, "wakeup scheduler stopped");
    }

    /// Stops the calls still being worked on and releases their claims.
    async fn hand_back(&self) {
        let tokens: Vec<String> = self.live_tokens();
        self.stopping.cancel();
        let waited = tokio::time::timeout(STOP_WAIT, async {
            while !self.live_tokens().is_empty() {
                self.notify.notified().await;
            }
        })
        .await;
        if waited.is_err() {
            tracing::warn!("wakeup scheduler: calls still recording at shutdown");
        }
        let refs: Vec<&str> = tokens.iter().map(String::as_str).collect();
        match self.store.release_call_claims(&refs).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(calls = n, "wakeup calls handed back for another scheduler"),
            Err(e) => {
                tracing::warn!(error = %e, "cannot hand wakeup calls back; they return when their lease ends")
            }
        }
    }

    fn live_tokens(&self) -> Vec<String> {
        self.live
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .cloned()
            .collect()
    }

    /// The heartbeat: keeps the leases of calls in progress from running out.
    async fn renew_leases(self: Arc<Self>, shutdown: CancellationToken) {
        let mut next = self.clock.now();
        loop {
            // A steady cadence, not "an interval after the last renewal ended": a slow
            // database must not stretch the gaps between renewals towards the lease.
            next += self.config.heartbeat;
            let now = self.clock.now();
            if next + self.config.call_lease < now {
                // The clock jumped (suspend, NTP): renew now rather than catch up beat by beat.
                next = now;
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = self.clock.sleep_until(next) => {}
            }
            let tokens = self.live_tokens();
            let refs: Vec<&str> = tokens.iter().map(String::as_str).collect();
            let until = self.clock.now() + self.config.call_lease;
            if let Err(e) = self.store.renew_call_claims(&refs, until).await {
                tracing::warn!(error = %e, "wakeup scheduler: cannot renew call leases");
            }
            self.heartbeats.send_modify(|n| *n += 1);
        }
    }

    /// When to look again: shortly before the next stored due instant, at the latest after
    /// the idle poll.
    async fn next_wake(&self) -> DateTime<Utc> {
        let now = self.clock.now();
        let poll = now + self.config.idle_poll;
        match self.store.next_wakeup_event().await {
            Ok(Some(t)) => (t - self.config.lookahead).min(poll),
            Ok(None) => poll,
            Err(e) => {
                tracing::warn!(error = %e, "wakeup scheduler: cannot read the next due time");
                poll
            }
        }
    }

    fn token(&self) -> String {
        format!("{}:{}", self.id, self.round.fetch_add(1, Ordering::Relaxed))
    }

    /// One pass: fire or miss the due wakeups, then pick up due retries, snoozes and calls
    /// whose holder's lease ran out.
    pub async fn tick(self: &Arc<Self>) -> Result<Tick, StoreError> {
        let mut tick = Tick::default();
        let now = self.clock.now();
        let horizon = now + self.config.lookahead;
        let wakeup_lease = now + self.config.wakeup_lease;
        let call_lease = now + self.config.call_lease;

        let token = self.token();
        let due = self
            .store
            .claim_due_wakeups(DueClaim {
                holder: &token,
                now,
                horizon,
                lease_until: wakeup_lease,
                limit: self.config.batch,
            })
            .await?;
        tick.more |= due.len() >= self.config.batch as usize;
        if !due.is_empty() {
            let resolutions: Vec<FireResolution> =
                due.iter().map(|d| self.resolve(d, now)).collect();
            let missed = resolutions.iter().filter(|r| !r.fire).count();
            tick.missed += missed;
            (0..missed).for_each(|_| crate::telemetry::wakeup_outcome(Outcome::Missed.as_str()));
            let calls = self
                .store
                .resolve_fires(&token, now, call_lease, &resolutions)
                .await?;
            tick.dispatched += calls.len();
            for call in calls {
                self.dispatch(token.clone(), call);
            }
        }

        let token = self.token();
        let calls = self
            .store
            .claim_due_calls(DueClaim {
                holder: &token,
                now,
                horizon,
                lease_until: call_lease,
                limit: self.config.batch,
            })
            .await?;
        tick.more |= calls.len() >= self.config.batch as usize;
        for call in calls {
            if policy::lateness(call.due_at, now, self.config.grace) == Lateness::Missed {
                tick.missed += 1;
                crate::telemetry::wakeup_outcome(Outcome::Missed.as_str());
                let attempt = match call.attempt_id {
                    Some(id) => AttemptRecord::Started(id),
                    None => AttemptRecord::NotYet { started_at: now },
                };
                self.store
                    .finish_call(CallEnd {
                        token: token.clone(),
                        call,
                        attempt,
                        outcome: Outcome::Missed,
                        detail: "due while no scheduler was running".into(),
                        ended_at: now,
                        follow_up: None,
                    })
                    .await?;
            } else {
                tick.dispatched += 1;
                self.dispatch(token.clone(), call);
            }
        }
        Ok(tick)
    }

    fn resolve(&self, due: &DueWakeup, now: DateTime<Utc>) -> FireResolution {
        let spec = &due.wakeup.spec;
        let fire = policy::lateness(due.fire_at, now, self.config.grace) == Lateness::Fire;
        if !fire {
            tracing::warn!(wakeup = due.wakeup.id, due = %due.fire_at, "wakeup missed while no scheduler was running");
        }
        FireResolution {
            wakeup_id: due.wakeup.id,
            fire_at: due.fire_at,
            fire,
            members: spec.members.clone(),
            next_fire_at: policy::next_after_fire(&spec.rule, &spec.tz, due.fire_at, now),
        }
    }

    fn hold(&self, token: &str) {
        *self
            .live
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(token.to_owned())
            .or_default() += 1;
    }

    fn let_go(&self, token: &str) {
        let mut live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = live.get_mut(token) {
            *n -= 1;
            if *n == 0 {
                live.remove(token);
            }
        }
    }

    fn dispatch(self: &Arc<Self>, token: String, call: PendingCall) {
        self.hold(&token);
        let this = Arc::clone(self);
        tokio::spawn(async move {
            let worked = tokio::select! {
                () = this.stopping.cancelled() => Ok(Worked::HandedBack),
                () = this.clock.sleep_until(call.due_at) => this.place(&token, &call).await,
            };
            match worked {
                Ok(Worked::Finished) => {}
                Ok(Worked::HandedBack) if !this.stopping.is_cancelled() => {
                    // The dialer gave up without an outcome while this scheduler runs on
                    // (its ARI link was torn down): let the next pass take the call over.
                    if let Err(e) = this.store.hand_back_call(call.id, &token).await {
                        tracing::warn!(wakeup = call.wakeup_id, error = %e, "cannot hand a wakeup call back");
                    }
                }
                // Released with the others when the scheduler stops.
                Ok(Worked::HandedBack) => {}
                Err(e) => {
                    // The claim stays until its lease ends; then any scheduler takes it again.
                    tracing::error!(wakeup = call.wakeup_id, member = %call.member, error = %e, "wakeup call not recorded");
                }
            }
            this.let_go(&token);
            this.notify.notify_one();
        });
    }

    async fn place(&self, token: &str, call: &PendingCall) -> Result<Worked, StoreError> {
        let started = self.clock.now();
        let _in_progress = crate::telemetry::call_in_progress("wakeup");
        let late = started.signed_duration_since(call.due_at);
        crate::telemetry::wakeup_fired(late.num_milliseconds() as f64 / 1000.0);
        let taken_over = call.claims > 1;
        if taken_over {
            tracing::info!(wakeup = call.wakeup_id, member = %call.member, "taking over a wakeup call from a scheduler that stopped");
        } else {
            tracing::info!(wakeup = call.wakeup_id, member = %call.member, "calling for wakeup");
        }
        let (placed, on_placed) = oneshot::channel();
        let dial = self.dialer.call(
            WakeupCall {
                call_id: call.id,
                wakeup_id: call.wakeup_id,
                member: call.member.clone(),
                prompt: call.prompt.clone(),
                ring_secs: call.ring_secs,
                due_at: call.due_at,
                taken_over,
                placed_before: call.attempt_id.is_some(),
            },
            Placed(placed),
        );
        // The attempt is written once Asterisk has the call, while it rings: before the
        // originate it would claim a call that may never be placed; waiting for the write
        // before dialling would make thousands of calls due at once late.
        let begin = async {
            if call.attempt_id.is_some() || on_placed.await.is_err() {
                return None;
            }
            Some(
                self.record(CallRecord::Begin {
                    call: call.clone(),
                    started_at: started,
                })
                .await,
            )
        };
        let stopping = self.stopping.cancelled();
        let (result, begun) = tokio::select! {
            both = async { tokio::join!(dial, begin) } => both,
            () = stopping => return Ok(Worked::HandedBack),
        };
        let Some(result) = result else {
            return Ok(Worked::HandedBack);
        };
        let attempt = match (call.attempt_id, begun) {
            (Some(id), _) | (None, Some(Ok(Some(id)))) => AttemptRecord::Started(id),
            (None, Some(Err(e))) => {
                tracing::warn!(wakeup = call.wakeup_id, error = %e, "attempt start not recorded; recording it at the end");
                AttemptRecord::NotYet {
                    started_at: started,
                }
            }
            (None, _) => AttemptRecord::NotYet {
                started_at: started,
            },
        };
        let ended = self.clock.now();
        let call_policy = CallPolicy {
            retries: call.retries,
            retry_interval: Duration::minutes(i64::from(call.retry_interval_mins)),
            snooze: Duration::minutes(i64::from(call.snooze_mins)),
            max_snoozes: self.config.max_snoozes,
        };
        let next = match policy::follow_up(&call_policy, call.progress, result.outcome, ended) {
            FollowUp::Done => None,
            FollowUp::CallAgain { at, progress } => Some((at, progress)),
        };
        let detail = if taken_over {
            format!("{TAKEN_OVER}: {}", result.detail)
        } else {
            result.detail
        };
        tracing::info!(wakeup = call.wakeup_id, member = %call.member, outcome = %result.outcome, detail = %detail, "wakeup call ended");
        crate::telemetry::wakeup_outcome(result.outcome.as_str());
        self.record(CallRecord::End(Box::new(CallEnd {
            token: token.to_owned(),
            call: call.clone(),
            attempt,
            outcome: result.outcome,
            detail,
            ended_at: ended,
            follow_up: next,
        })))
        .await
        .map(|_| Worked::Finished)
    }

    async fn record(&self, record: CallRecord) -> Result<Option<i64>, StoreError> {
        let (reply, answer) = oneshot::channel();
        // The recorder lives as long as the scheduler; a closed channel means the runtime is
        // shutting down, reported like a closed pool.
        if self.recorder.send(RecordJob { record, reply }).is_err() {
            return Err(StoreError::Db(sqlx::Error::PoolClosed));
        }
        answer
            .await
            .unwrap_or(Err(StoreError::Db(sqlx::Error::PoolClosed)))
    }
}
