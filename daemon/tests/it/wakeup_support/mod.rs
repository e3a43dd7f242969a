//! Shared pieces of the wakeup and scheduler tests: a SQLite store, users, wakeup specs and a
//! scripted dialer (PostgreSQL comes from the store tests' `common` harness).
#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use ringside::flows::wakeup::{CallResult, Placed, WakeupCall, WakeupDialer};
use ringside::schedule::prompt::SoundDirs;
use ringside::schedule::{Clock, Outcome, Rule};
use ringside::store::Store;
use ringside::store::wakeups::WakeupSpec;
use tokio::sync::mpsc;

pub fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("valid RFC 3339 in test")
        .with_timezone(&Utc)
}

/// A fresh SQLite database in a temp dir (kept alive by the returned guard).
pub async fn sqlite_store() -> (Store, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("ringside.db").display());
    let store = Store::connect(&url).await.expect("sqlite store");
    (store, url, dir)
}

pub async fn add_users(store: &Store, extensions: &[&str]) {
    for ext in extensions {
        sqlx::query("INSERT INTO users (extension, display_name, created_at) VALUES ($1, $2, 0)")
            .bind(*ext)
            .bind(format!("User {ext}"))
            .execute(store.pool())
            .await
            .expect("insert user");
    }
}

/// Makes wakeup `id` due at `at`, to the millisecond (rules speak in minutes).
pub async fn make_due(store: &Store, id: i64, at: DateTime<Utc>) {
    sqlx::query("UPDATE wakeups SET next_fire_at = $1 WHERE id = $2")
        .bind(at.timestamp_millis())
        .bind(id)
        .execute(store.pool())
        .await
        .expect("wakeup made due");
}

pub fn prompts() -> SoundDirs {
    SoundDirs::default()
}

pub fn spec(owner: &str, rule: &str, tz: &str) -> WakeupSpec {
    WakeupSpec {
        owner: owner.into(),
        name: "Morning".into(),
        enabled: true,
        prompt: "this-is-yr-wakeup-call".into(),
        rule: rule.parse::<Rule>().expect("valid rule in test"),
        tz: tz.parse().expect("valid zone in test"),
        members: vec![owner.into()],
        ring_secs: 30,
        retries: 3,
        retry_interval_mins: 5,
        snooze_mins: 10,
    }
}

/// One call the dialer received, and when (by the scheduler's clock).
#[derive(Debug, Clone)]
pub struct Dialed {
    pub call: WakeupCall,
    pub at: DateTime<Utc>,
}

/// Where a call of a member the dialer stalls on stops: as if the daemon died there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stall {
    /// Claimed and handed to the dialer, never placed.
    BeforePlacing,
    /// Placed (Asterisk has it), never finished.
    AfterPlacing,
}

/// A dialer whose calls end as scripted per member (default: acknowledged).
pub struct ScriptedDialer {
    clock: Arc<dyn Clock>,
    script: Mutex<HashMap<String, VecDeque<Outcome>>>,
    stall: Mutex<HashMap<String, Stall>>,
    pub dialed: Mutex<Vec<Dialed>>,
    tx: mpsc::UnboundedSender<Dialed>,
}

impl ScriptedDialer {
    pub fn new(clock: Arc<dyn Clock>) -> (Arc<Self>, mpsc::UnboundedReceiver<Dialed>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (
            Arc::new(Self {
                clock,
                script: Mutex::new(HashMap::new()),
                stall: Mutex::new(HashMap::new()),
                dialed: Mutex::new(Vec::new()),
                tx,
            }),
            rx,
        )
    }

    pub fn script(&self, member: &str, outcomes: &[Outcome]) {
        self.script
            .lock()
            .expect("script lock")
            .insert(member.into(), outcomes.iter().copied().collect());
    }

    /// Calls to `member` never end (see [`Stall`]).
    pub fn stall(&self, member: &str, at: Stall) {
        self.stall
            .lock()
            .expect("stall lock")
            .insert(member.into(), at);
    }

    pub fn count(&self) -> usize {
        self.dialed.lock().expect("dialed lock").len()
    }
}

#[async_trait::async_trait]
impl WakeupDialer for ScriptedDialer {
    async fn call(&self, call: WakeupCall, placed: Placed) -> Option<CallResult> {
        let stall = self
            .stall
            .lock()
            .expect("stall lock")
            .get(&call.member)
            .copied();
        if stall != Some(Stall::BeforePlacing) {
            placed.placed();
        }
        let outcome = self
            .script
            .lock()
            .expect("script lock")
            .get_mut(&call.member)
            .and_then(VecDeque::pop_front)
            .unwrap_or(Outcome::Acknowledged);
        let dialed = Dialed {
            call,
            at: self.clock.now(),
        };
        self.dialed
            .lock()
            .expect("dialed lock")
            .push(dialed.clone());
        let _ = self.tx.send(dialed);
        if stall.is_some() {
            std::future::pending::<()>().await;
        }
        Some(CallResult::new(outcome, "scripted"))
    }
}

/// Waits (bounded) for the next dialled call.
pub async fn next_call(rx: &mut mpsc::UnboundedReceiver<Dialed>) -> Dialed {
    tokio::time::timeout(std::time::Duration::from_secs(20), rx.recv())
        .await
        .expect("a call within 20 s")
        .expect("dialer alive")
}

/// Polls (bounded) until `cond` holds.
pub async fn eventually<F, Fut>(what: &str, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..600 {
        if cond().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

pub async fn count(store: &Store, sql: &'static str) -> i64 {
    use sqlx::Row;
    sqlx::query(sql)
        .fetch_one(store.pool())
        .await
        .expect("count query")
        .try_get::<i64, _>(0)
        .expect("count value")
}

/// Wakes `scheduler` and waits until a pass that began after this call has ended: whatever
/// was due by then has been claimed. Proves the loop ran, where a sleep would not.
pub async fn full_pass(scheduler: &ringside::flows::wakeup::Scheduler) {
    let mut passes = scheduler.passes();
    // A pass already under way may have begun before the call: the second one has not.
    for _ in 0..2 {
        let seen = *passes.borrow_and_update();
        scheduler.handle().wake();
        tokio::time::timeout(
            std::time::Duration::from_secs(20),
            passes.wait_for(|n| *n > seen),
        )
        .await
        .expect("the scheduler makes passes")
        .expect("scheduler alive");
    }
}

/// A scheduler with a scripted dialer, running on the test's runtime until dropped.
pub struct RunningScheduler {
    pub clock: ringside::schedule::ManualClock,
    pub dialer: Arc<ScriptedDialer>,
    pub calls: mpsc::UnboundedReceiver<Dialed>,
    pub scheduler: Arc<ringside::flows::wakeup::Scheduler>,
    pub stop: tokio_util::sync::CancellationToken,
    pub task: tokio::task::JoinHandle<()>,
}

impl RunningScheduler {
    pub fn start(store: &Store, clock: &ringside::schedule::ManualClock) -> Self {
        let shared: Arc<dyn Clock> = Arc::new(clock.clone());
        let (dialer, calls) = ScriptedDialer::new(shared.clone());
        let scheduler = ringside::flows::wakeup::Scheduler::new(
            store.clone(),
            shared,
            dialer.clone(),
            ringside::flows::wakeup::SchedulerConfig::default(),
        );
        let stop = tokio_util::sync::CancellationToken::new();
        let task = tokio::spawn(scheduler.clone().run(stop.clone()));
        Self {
            clock: clock.clone(),
            dialer,
            calls,
            scheduler,
            stop,
            task,
        }
    }

    /// Wakes the scheduler and waits until a pass that began after this call has ended.
    pub async fn full_pass(&self) {
        full_pass(&self.scheduler).await;
    }
}

impl Drop for RunningScheduler {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}
