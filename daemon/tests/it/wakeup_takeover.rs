//! Crash recovery of the wakeup scheduler, on every database: a scheduler that dies between
//! claim and originate, or after the originate, gives its call up within one call lease; a
//! second scheduler (or the daemon restarted) takes it over and places it at most once, and
//! the attempt history says so. A live scheduler's heartbeat keeps its calls; a stopped one
//! hands them back at once.
//!
//! "Dies" is a scheduler in a tokio runtime of its own that is shut down: every task of it
//! stops at once, with nothing cleaned up, as under `kill -9`.

use std::sync::Arc;

use chrono::Duration;
use ringside::flows::wakeup::{Scheduler, SchedulerConfig, TAKEN_OVER};
use ringside::schedule::{Clock, ManualClock, Outcome};
use ringside::store::Store;
use ringside::store::wakeups::Attempt;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::common::{DbUnderTest, for_each_test_db};
use crate::wakeup_support::*;

const CREATED: &str = "2026-12-01T05:00:00Z";
/// `once 2026-12-01 06:30` in Europe/Berlin.
const DUE: &str = "2026-12-01T05:30:00Z";

/// A scheduler whose runtime can be killed.
struct Doomed {
    runtime: tokio::runtime::Runtime,
    calls: mpsc::UnboundedReceiver<Dialed>,
}

impl Doomed {
    fn start(url: &str, clock: &ManualClock, stall: Stall) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime of the doomed daemon");
        let shared: Arc<dyn Clock> = Arc::new(clock.clone());
        let (dialer, calls) = ScriptedDialer::new(shared.clone());
        dialer.stall("1001", stall);
        let url = url.to_owned();
        runtime.spawn(async move {
            let store = Store::connect(&url)
                .await
                .expect("store of the doomed daemon");
            let scheduler = Scheduler::new(store, shared, dialer, SchedulerConfig::default());
            scheduler.run(CancellationToken::new()).await;
        });
        Self { runtime, calls }
    }

    fn kill(self) {
        self.runtime.shutdown_background();
    }
}

/// A scheduler in the test's runtime.
type Survivor = RunningScheduler;

async fn due_wakeup(db: &DbUnderTest) -> i64 {
    add_users(&db.store, &["1001"]).await;
    db.store
        .create_wakeup(
            &spec("1001", "once 2026-12-01 06:30", "Europe/Berlin"),
            &prompts(),
            t(CREATED),
        )
        .await
        .expect("valid wakeup")
        .id
}

async fn history(store: &Store, id: i64) -> Vec<Attempt> {
    let mut h = store.wakeup_history(None, id, 100).await.expect("history");
    h.reverse();
    h
}

/// Waits for the one attempt of the wakeup to end, and returns it.
async fn the_finished_attempt(store: &Store, id: i64) -> Attempt {
    eventually("the attempt finished and nothing left pending", || async {
        let h = history(store, id).await;
        h.len() == 1
            && h[0].outcome.is_some()
            && count(store, "SELECT COUNT(*) FROM wakeup_calls").await == 0
    })
    .await;
    history(store, id).await.remove(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_claimed_but_never_placed_is_placed_by_the_scheduler_taking_over() {
    for_each_test_db(|db| async move {
        let id = due_wakeup(&db).await;
        let clock = ManualClock::new(t(DUE));
        let mut doomed = Doomed::start(&db.url, &clock, Stall::BeforePlacing);
        next_call(&mut doomed.calls).await;
        doomed.kill();

        let mut survivor = Survivor::start(&db.store, &clock);
        survivor.full_pass().await;
        assert_eq!(
            survivor.dialer.count(),
            0,
            "held by the dead scheduler's lease"
        );
        clock.advance(SchedulerConfig::default().call_lease + Duration::seconds(1));
        survivor.full_pass().await;
        let call = next_call(&mut survivor.calls).await;
        assert!(call.call.taken_over);
        assert!(
            !call.call.placed_before,
            "the dead scheduler never placed it"
        );

        let attempt = the_finished_attempt(&db.store, id).await;
        assert_eq!(attempt.outcome, Some(Outcome::Acknowledged));
        assert!(attempt.detail.starts_with(TAKEN_OVER), "{}", attempt.detail);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_placed_before_its_scheduler_died_keeps_its_one_attempt() {
    for_each_test_db(|db| async move {
        let id = due_wakeup(&db).await;
        let clock = ManualClock::new(t(DUE));
        let mut doomed = Doomed::start(&db.url, &clock, Stall::AfterPlacing);
        next_call(&mut doomed.calls).await;
        eventually("the placed call's attempt recorded", || async {
            count(
                &db.store,
                "SELECT COUNT(*) FROM wakeup_calls WHERE attempt_id IS NOT NULL",
            )
            .await
                == 1
        })
        .await;
        doomed.kill();

        let mut survivor = Survivor::start(&db.store, &clock);
        clock.advance(SchedulerConfig::default().call_lease + Duration::seconds(1));
        survivor.full_pass().await;
        let call = next_call(&mut survivor.calls).await;
        assert!(call.call.taken_over);
        assert!(
            call.call.placed_before,
            "the dialer is told to look for the call"
        );

        let attempt = the_finished_attempt(&db.store, id).await;
        assert_eq!(attempt.outcome, Some(Outcome::Acknowledged));
        assert!(attempt.detail.starts_with(TAKEN_OVER), "{}", attempt.detail);
        assert_eq!(survivor.dialer.count(), 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_heartbeat_keeps_a_live_schedulers_calls_from_being_taken_over() {
    for_each_test_db(|db| async move {
        due_wakeup(&db).await;
        let clock = ManualClock::new(t(DUE));
        let mut working = Survivor::start(&db.store, &clock);
        working.dialer.stall("1001", Stall::AfterPlacing);
        next_call(&mut working.calls).await;

        let mut beats = working.scheduler.heartbeats();
        for _ in 0..8 {
            let seen = *beats.borrow_and_update();
            clock.advance(Duration::seconds(3));
            tokio::time::timeout(
                std::time::Duration::from_secs(20),
                beats.wait_for(|n| *n > seen),
            )
            .await
            .expect("a heartbeat per interval")
            .expect("scheduler alive");
        }
        // 24 s on, far past one lease: still held.
        let other = Survivor::start(&db.store, &clock);
        other.full_pass().await;
        assert_eq!(other.dialer.count(), 0, "taken over from a live scheduler");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_scheduler_hands_its_calls_back_at_once() {
    for_each_test_db(|db| async move {
        due_wakeup(&db).await;
        let clock = ManualClock::new(t(DUE));
        let mut stopping = Survivor::start(&db.store, &clock);
        stopping.dialer.stall("1001", Stall::AfterPlacing);
        next_call(&mut stopping.calls).await;
        stopping.stop.cancel();
        let task = std::mem::replace(&mut stopping.task, tokio::spawn(async {}));
        tokio::time::timeout(std::time::Duration::from_secs(20), task)
            .await
            .expect("stops in time")
            .expect("no panic");
        assert_eq!(
            count(
                &db.store,
                "SELECT COUNT(*) FROM wakeup_calls WHERE claimed_by IS NULL"
            )
            .await,
            1,
            "handed back"
        );

        // No lease to wait for: the clock has not moved.
        let mut next = Survivor::start(&db.store, &clock);
        let call = next_call(&mut next.calls).await;
        assert!(call.call.taken_over);
    })
    .await;
}
