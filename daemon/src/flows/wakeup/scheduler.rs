//! The scheduler loop: claims due wakeups and due calls from the store, decides (with
//! `policy`) whether each fires or was missed, hands every member's call to a
//! [`WakeupDialer`], records the outcome and stores the retry or snooze that follows.
//!
//! It sleeps until the next stored due time, and is woken early through [`SchedulerHandle`]
//! when a wakeup is added or changed. Several schedulers (daemons) may share one database:
//! claims with leases make each due wakeup and call go to exactly one of them. Time comes from
//! an injected [`Clock`]; it never places calls itself.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Duration, Utc};
use tokio::sync::{Notify, mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::schedule::clock::Clock;
use crate::schedule::policy::{self, CallPolicy, FollowUp, Lateness, Outcome};
use crate::store::wakeup_claims::{
    AttemptRecord, CallEnd, CallRecord, DueWakeup, FireResolution, PendingCall,
};
use crate::store::{Store, StoreError};

/// One call to place: a member of a wakeup, now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WakeupCall {
    /// The pending call's id, unique across daemons (usable in a channel id).
    pub call_id: i64,
    pub wakeup_id: i64,
    pub member: String,
    /// What ARI plays as `sound:<prompt>`.
    pub prompt: String,
    pub ring_secs: u32,
    /// The instant this call was due (for lateness figures).
    pub due_at: DateTime<Utc>,
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

/// Places one wakeup call and reports how it ended. The ARI flow implements it; tests use a
/// scripted one.
#[async_trait::async_trait]
pub trait WakeupDialer: Send + Sync + 'static {
    async fn call(&self, call: WakeupCall) -> CallResult;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchedulerConfig {
    /// A wakeup or call found due later than this (daemon was down) is recorded missed.
    pub grace: Duration,
    /// How long a claim on a due wakeup holds before another daemon may take it over (the
    /// claim lasts one database round trip; the lease only matters if its holder dies).
    pub wakeup_lease: Duration,
    /// The same for a call being placed: longer than any call (ring time plus prompt limit),
    /// shorter than the grace window so a call taken over from a dead daemon still rings.
    pub call_lease: Duration,
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
            wakeup_lease: Duration::seconds(60),
            call_lease: Duration::minutes(8),
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
}

type RecordReply = oneshot::Sender<Result<Option<i64>, StoreError>>;

/// A call start or end waiting for the recorder task.
struct RecordJob {
    record: CallRecord,
    reply: RecordReply,
}

/// Most records written in one transaction.
const RECORD_BATCH: usize = 1000;

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
        })
    }

    pub fn handle(&self) -> SchedulerHandle {
        SchedulerHandle {
            notify: self.notify.clone(),
        }
    }

    /// Runs until `shutdown`; store errors are logged and retried, never fatal.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        tracing::info!(scheduler = %self.id, "wakeup scheduler started");
        let mut failures = 0u32;
        while !shutdown.is_cancelled() {
            let wait_until = match self.tick().await {
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
        tracing::info!(scheduler = %self.id, "wakeup scheduler stopped");
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

    /// One pass: fire or miss the due wakeups, then pick up due retries and snoozes.
    pub async fn tick(self: &Arc<Self>) -> Result<Tick, StoreError> {
        let mut tick = Tick::default();
        let now = self.clock.now();
        let horizon = now + self.config.lookahead;
        let wakeup_lease = now + self.config.wakeup_lease;
        let call_lease = now + self.config.call_lease;

        let token = self.token();
        let due = self
            .store
            .claim_due_wakeups(&token, now, horizon, wakeup_lease, self.config.batch)
            .await?;
        tick.more |= due.len() >= self.config.batch as usize;
        if !due.is_empty() {
            let resolutions: Vec<FireResolution> =
                due.iter().map(|d| self.resolve(d, now)).collect();
            tick.missed += resolutions.iter().filter(|r| !r.fire).count();
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
            .claim_due_calls(&token, now, horizon, call_lease, self.config.batch)
            .await?;
        tick.more |= calls.len() >= self.config.batch as usize;
        for call in calls {
            if policy::lateness(call.due_at, now, self.config.grace) == Lateness::Missed {
                tick.missed += 1;
                self.store
                    .finish_call(CallEnd {
                        token: token.clone(),
                        call,
                        attempt: AttemptRecord::NotYet { started_at: now },
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

    fn dispatch(self: &Arc<Self>, token: String, call: PendingCall) {
        let this = Arc::clone(self);
        tokio::spawn(async move {
            this.clock.sleep_until(call.due_at).await;
            if let Err(e) = this.place(&token, &call).await {
                // The claim stays until its lease ends; then any scheduler takes the call again.
                tracing::error!(wakeup = call.wakeup_id, member = %call.member, error = %e, "wakeup call not recorded");
            }
            this.notify.notify_one();
        });
    }

    async fn place(&self, token: &str, call: &PendingCall) -> Result<(), StoreError> {
        let started = self.clock.now();
        tracing::info!(wakeup = call.wakeup_id, member = %call.member, "calling for wakeup");
        // The attempt is written while the call is placed, not before: with thousands due
        // at once, queueing on database writes would make every call late.
        let (attempt, result) = tokio::join!(
            self.record(CallRecord::Begin {
                call: call.clone(),
                started_at: started,
            }),
            self.dialer.call(WakeupCall {
                call_id: call.id,
                wakeup_id: call.wakeup_id,
                member: call.member.clone(),
                prompt: call.prompt.clone(),
                ring_secs: call.ring_secs,
                due_at: call.due_at,
            })
        );
        let attempt = match attempt {
            Ok(Some(id)) => AttemptRecord::Started(id),
            Ok(None) => AttemptRecord::NotYet {
                started_at: started,
            },
            Err(e) => {
                tracing::warn!(wakeup = call.wakeup_id, error = %e, "attempt start not recorded; recording it at the end");
                AttemptRecord::NotYet {
                    started_at: started,
                }
            }
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
        tracing::info!(wakeup = call.wakeup_id, member = %call.member, outcome = %result.outcome, detail = %result.detail, "wakeup call ended");
        self.record(CallRecord::End(Box::new(CallEnd {
            token: token.to_owned(),
            call: call.clone(),
            attempt,
            outcome: result.outcome,
            detail: result.detail,
            ended_at: ended,
            follow_up: next,
        })))
        .await
        .map(|_| ())
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
