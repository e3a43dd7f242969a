//! Wakeup calls end to end: scheduler (manual clock) -> ARI flow -> the ARI simulator over
//! real HTTP and WebSocket, with scripted phones. Outcomes are read back from the history.

use crate::wakeup_support;

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::Duration;
use ringside::ari::simulator::{Script, SimConfig, Simulator};
use ringside::ari::{AriClient, connection};
use ringside::flows::dispatch::Engine;
use ringside::flows::wakeup::{self, AriWakeupDialer, WakeupFlowConfig};
use ringside::flows::wakeup::{Scheduler, SchedulerConfig};
use ringside::schedule::{Clock, ManualClock, Outcome};
use ringside::store::Store;
use tokio_util::sync::CancellationToken;
use wakeup_support::*;

struct Rig {
    sim: Simulator,
    store: Store,
    clock: ManualClock,
    scheduler: Arc<Scheduler>,
    stop: CancellationToken,
    _dir: tempfile::TempDir,
}

impl Drop for Rig {
    fn drop(&mut self) {
        self.stop.cancel();
        self.sim.shutdown();
    }
}

const START: &str = "2026-12-01T05:00:00Z";
const DUE: &str = "2026-12-01T05:30:00Z";

async fn rig() -> Rig {
    let sim = Simulator::start(SimConfig {
        second: StdDuration::from_millis(20),
        ..SimConfig::default()
    })
    .await
    .expect("simulator");
    sim.set_default_media_duration(StdDuration::from_millis(100));
    let client = AriClient::new(&sim.base_url(), "ringside", "secret", "ringside").expect("client");
    let stop = CancellationToken::new();
    let conn = connection::spawn(client.clone(), stop.clone());
    let engine = Engine::builder(client.clone())
        .route(wakeup::ROUTE, |call| {
            wakeup::orphan_handler_waiting(call, StdDuration::from_millis(200))
        })
        .build();
    let registry = engine.registry();
    tokio::spawn(engine.run(conn.items, stop.clone()));
    eventually("ARI WebSocket connected", || async {
        sim.is_connected("ringside")
    })
    .await;

    let (store, _, dir) = sqlite_store().await;
    add_users(&store, &["1001"]).await;
    let clock = ManualClock::new(t(START));
    let dialer = AriWakeupDialer::new(
        client,
        Arc::new(move || registry.inbox()),
        WakeupFlowConfig {
            max_plays: 3,
            ..WakeupFlowConfig::default()
        },
    );
    let shared: Arc<dyn Clock> = Arc::new(clock.clone());
    let scheduler = Scheduler::new(
        store.clone(),
        shared,
        Arc::new(dialer),
        SchedulerConfig::default(),
    );
    tokio::spawn(scheduler.clone().run(stop.clone()));
    Rig {
        sim,
        store,
        clock,
        scheduler,
        stop,
        _dir: dir,
    }
}

async fn wakeup(rig: &Rig, retries: i64) -> i64 {
    let mut s = spec("1001", "once 2026-12-01 06:30", "Europe/Berlin");
    s.retries = retries;
    s.ring_secs = 5;
    rig.store
        .create_wakeup(&s, &prompts(), t(START))
        .await
        .expect("valid wakeup")
        .id
}

async fn outcomes(store: &Store, id: i64) -> Vec<Option<Outcome>> {
    let mut h = store.wakeup_history(None, id, 100).await.expect("history");
    h.reverse();
    h.into_iter().map(|a| a.outcome).collect()
}

/// Waits until `n` attempts have ended.
async fn finished(rig: &Rig, id: i64, n: usize) -> Vec<Outcome> {
    eventually(&format!("{n} finished attempts"), || async {
        let o = outcomes(&rig.store, id).await;
        o.len() == n && o.iter().all(Option::is_some)
    })
    .await;
    outcomes(&rig.store, id)
        .await
        .into_iter()
        .flatten()
        .collect()
}

async fn pending_calls(rig: &Rig) -> i64 {
    count(&rig.store, "SELECT COUNT(*) FROM wakeup_calls").await
}

fn originates(sim: &Simulator) -> Vec<ringside::ari::simulator::RestCall> {
    sim.rest_calls()
        .into_iter()
        .filter(|c| {
            c.method == "POST"
                && c.path.starts_with("/channels/wakeup-")
                && !c.path.contains("/play")
        })
        .collect()
}

#[tokio::test]
async fn answered_and_acknowledged_with_2() {
    let rig = rig().await;
    rig.sim
        .phone("1001", Script::answer_after_ms(50).then_press("2", 150));
    let id = wakeup(&rig, 3).await;
    rig.clock.set(t(DUE));
    assert_eq!(finished(&rig, id, 1).await, [Outcome::Acknowledged]);

    let calls = originates(&rig.sim);
    assert_eq!(calls.len(), 1);
    let q = &calls[0].query;
    assert_eq!(q.get("endpoint").map(String::as_str), Some("PJSIP/1001"));
    assert_eq!(q.get("app").map(String::as_str), Some("ringside"));
    assert_eq!(q.get("appArgs"), Some(&format!("wakeup,{id},1001")));
    assert_eq!(q.get("timeout").map(String::as_str), Some("5"));
    let played = rig.sim.rest_calls().into_iter().any(|c| {
        c.path.contains("/play/")
            && c.query.get("media").map(String::as_str) == Some("sound:this-is-yr-wakeup-call")
    });
    assert!(played, "the prompt was played");
    let channel = calls[0].path.trim_start_matches("/channels/").to_owned();
    eventually("channel hung up by the flow", || async {
        rig.sim.destroyed(&channel).is_some()
    })
    .await;
    assert_eq!(pending_calls(&rig).await, 0);
}

/// On an Asterisk without the prompt's sound file (Debian's core sounds lack the wakeup
/// prompts), the prompt fails at once; the fallback tone plays instead, and a key pressed well
/// after the failed prompt still counts.
#[tokio::test]
async fn a_missing_prompt_plays_the_fallback_tone_and_still_takes_keys() {
    let rig = rig().await;
    rig.sim.set_media_missing("sound:this-is-yr-wakeup-call");
    // Three 100 ms plays would be over long before the key without the fallback.
    rig.sim.set_media_duration(
        wakeup::machine::FALLBACK_MEDIA,
        StdDuration::from_millis(400),
    );
    rig.sim
        .phone("1001", Script::answer_after_ms(50).then_press("2", 700));
    let id = wakeup(&rig, 0).await;
    rig.clock.set(t(DUE));
    assert_eq!(finished(&rig, id, 1).await, [Outcome::Acknowledged]);
    let tone_played = rig.sim.rest_calls().into_iter().any(|c| {
        c.path.contains("/play/")
            && c.query.get("media").map(String::as_str) == Some(wakeup::machine::FALLBACK_MEDIA)
    });
    assert!(tone_played, "the fallback tone was played");
    let h = rig
        .store
        .wakeup_history(None, id, 10)
        .await
        .expect("history");
    assert!(
        h[0].detail.contains("a tone played instead"),
        "{}",
        h[0].detail
    );
}

#[tokio::test]
async fn snoozed_with_1_then_acknowledged_after_the_snooze() {
    let rig = rig().await;
    rig.sim
        .phone("1001", Script::answer_after_ms(50).then_press("1", 150));
    let id = wakeup(&rig, 3).await;
    rig.clock.set(t(DUE));
    assert_eq!(finished(&rig, id, 1).await, [Outcome::Snoozed]);
    eventually("snooze pending", || async {
        pending_calls(&rig).await == 1
    })
    .await;

    rig.sim
        .phone("1001", Script::answer_after_ms(50).then_press("2", 150));
    rig.clock.advance(Duration::minutes(9));
    full_pass(&rig.scheduler).await;
    assert_eq!(
        originates(&rig.sim).len(),
        1,
        "no call before the snooze time is up"
    );
    rig.clock.advance(Duration::minutes(1));
    assert_eq!(
        finished(&rig, id, 2).await,
        [Outcome::Snoozed, Outcome::Acknowledged]
    );
    assert_eq!(originates(&rig.sim).len(), 2);
}

#[tokio::test]
async fn busy_then_retried_after_the_interval_and_answered() {
    let rig = rig().await;
    rig.sim.phone("1001", Script::busy());
    let id = wakeup(&rig, 3).await;
    rig.clock.set(t(DUE));
    assert_eq!(finished(&rig, id, 1).await, [Outcome::Busy]);
    eventually("retry pending", || async { pending_calls(&rig).await == 1 }).await;

    rig.sim
        .phone("1001", Script::answer_after_ms(50).then_press("2", 150));
    rig.clock.advance(Duration::minutes(5));
    assert_eq!(
        finished(&rig, id, 2).await,
        [Outcome::Busy, Outcome::Acknowledged]
    );
}

#[tokio::test]
async fn no_answer_is_retried_until_the_retries_run_out() {
    let rig = rig().await;
    rig.sim.phone("1001", Script::never_answer());
    let id = wakeup(&rig, 2).await;
    rig.clock.set(t(DUE));
    for n in 1..=3 {
        let got = finished(&rig, id, n).await;
        assert!(got.iter().all(|o| *o == Outcome::NoAnswer), "{got:?}");
        if n < 3 {
            eventually("retry pending", || async { pending_calls(&rig).await == 1 }).await;
            rig.clock.advance(Duration::minutes(5));
        }
    }
    eventually("nothing left to call", || async {
        pending_calls(&rig).await == 0
    })
    .await;
    rig.clock.advance(Duration::hours(2));
    full_pass(&rig.scheduler).await;
    assert_eq!(
        originates(&rig.sim).len(),
        3,
        "first call and two retries, then nothing"
    );
    assert_eq!(outcomes(&rig.store, id).await.len(), 3);
}

#[tokio::test]
async fn member_hanging_up_during_the_prompt_is_answered_not_retried() {
    let rig = rig().await;
    rig.sim
        .set_default_media_duration(StdDuration::from_millis(2000));
    rig.sim
        .phone("1001", Script::answer_after_ms(50).then_hang_up(100));
    let id = wakeup(&rig, 3).await;
    rig.clock.set(t(DUE));
    assert_eq!(finished(&rig, id, 1).await, [Outcome::Answered]);
    full_pass(&rig.scheduler).await;
    assert_eq!(
        pending_calls(&rig).await,
        0,
        "an answered call is not retried"
    );
}

#[tokio::test]
async fn member_hanging_up_after_hearing_the_prompt_acknowledges() {
    let rig = rig().await;
    rig.sim
        .phone("1001", Script::answer_after_ms(50).then_hang_up(250));
    let id = wakeup(&rig, 3).await;
    rig.clock.set(t(DUE));
    assert_eq!(finished(&rig, id, 1).await, [Outcome::Acknowledged]);
}

#[tokio::test]
async fn unreachable_phone_fails_and_is_retried() {
    let rig = rig().await;
    rig.sim.phone("1001", Script::unreachable());
    let id = wakeup(&rig, 1).await;
    rig.clock.set(t(DUE));
    assert_eq!(finished(&rig, id, 1).await, [Outcome::Failed]);
    let h = rig
        .store
        .wakeup_history(None, id, 1)
        .await
        .expect("history");
    assert!(h[0].detail.contains("originate refused"), "{}", h[0].detail);
    eventually("retry pending", || async { pending_calls(&rig).await == 1 }).await;
}

#[tokio::test]
async fn wakeup_call_in_the_app_that_no_scheduler_placed_is_hung_up() {
    let rig = rig().await;
    let args = ["wakeup".to_owned(), "99".to_owned(), "1001".to_owned()];
    let channel = rig.sim.inbound_call("ringside", &args, "1001", "");
    eventually("left-over wakeup channel hung up", || async {
        rig.sim.destroyed(&channel).is_some()
    })
    .await;
}

/// A daemon's ARI link, engine and scheduler, spawned on the current runtime.
async fn daemon(sim_url: String, url: String, clock: ManualClock, stop: CancellationToken) {
    let client = AriClient::new(&sim_url, "ringside", "secret", "ringside").expect("client");
    let conn = connection::spawn(client.clone(), stop.clone());
    let engine = wakeup::engine_routes(Engine::builder(client.clone())).build();
    let registry = engine.registry();
    tokio::spawn(engine.run(conn.items, stop.clone()));
    let store = Store::connect(&url).await.expect("store");
    let dialer = AriWakeupDialer::new(
        client,
        Arc::new(move || registry.inbox()),
        WakeupFlowConfig {
            max_plays: 3,
            ..WakeupFlowConfig::default()
        },
    );
    let shared: Arc<dyn Clock> = Arc::new(clock);
    let scheduler = Scheduler::new(store, shared, Arc::new(dialer), SchedulerConfig::default());
    scheduler.run(stop).await;
}

/// A simulator whose "second" is 20 ms and whose prompts last 100 ms, with `1001` scripted.
async fn fast_simulator(phone: Script) -> Simulator {
    let sim = Simulator::start(SimConfig {
        second: StdDuration::from_millis(20),
        ..SimConfig::default()
    })
    .await
    .expect("simulator");
    sim.set_default_media_duration(StdDuration::from_millis(100));
    sim.phone("1001", phone);
    sim
}

/// Starts a daemon in a runtime of its own and kills it (as `kill -9`: every task stops at
/// once, nothing cleaned up) as soon as Asterisk has accepted its call.
async fn daemon_killed_after_its_originate(sim: &Simulator, url: &str, clock: &ManualClock) {
    let doomed = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime of the doomed daemon");
    doomed.spawn(daemon(
        sim.base_url(),
        url.to_owned(),
        clock.clone(),
        CancellationToken::new(),
    ));
    eventually("the call placed", || async { originates(sim).len() == 1 }).await;
    doomed.shutdown_background();
}

/// Restarts the daemon and lets the dead one's call lease run out.
async fn restart(sim: &Simulator, url: &str, clock: &ManualClock) -> CancellationToken {
    let stop = CancellationToken::new();
    tokio::spawn(daemon(
        sim.base_url(),
        url.to_owned(),
        clock.clone(),
        stop.clone(),
    ));
    eventually("restarted daemon connected", || async {
        sim.is_connected("ringside")
    })
    .await;
    clock.advance(SchedulerConfig::default().call_lease + Duration::seconds(1));
    stop
}

/// The wakeup's one attempt, once it has ended.
async fn the_one_attempt(store: &Store, id: i64) -> ringside::store::wakeups::Attempt {
    eventually("the call finished", || async {
        let h = store.wakeup_history(None, id, 10).await.expect("history");
        h.len() == 1 && h[0].outcome.is_some()
    })
    .await;
    let mut h = store.wakeup_history(None, id, 10).await.expect("history");
    h.remove(0)
}

fn prompts_played(sim: &Simulator) -> usize {
    sim.rest_calls()
        .iter()
        .filter(|c| c.method == "POST" && c.path.contains("/play/"))
        .count()
}

/// `kill -9` of the daemon while the member's phone rings, and a restart: the restarted
/// daemon finds the call in Asterisk and follows it to its end instead of calling again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_ringing_when_its_daemon_died_is_adopted_not_placed_again() {
    let sim = fast_simulator(Script::answer_after_ms(1500)).await;
    // Prompts long enough for the key press below to land while one plays.
    sim.set_default_media_duration(StdDuration::from_secs(1));
    let (store, url, _dir) = sqlite_store().await;
    add_users(&store, &["1001"]).await;
    let mut s = spec("1001", "once 2026-12-01 06:30", "Europe/Berlin");
    // 300 simulated seconds: longer than the answer takes here.
    s.ring_secs = 300;
    let id = store
        .create_wakeup(&s, &prompts(), t(START))
        .await
        .expect("valid wakeup")
        .id;
    let clock = ManualClock::new(t(DUE));

    daemon_killed_after_its_originate(&sim, &url, &clock).await;
    let stop = restart(&sim, &url, &clock).await;
    // The member presses 2 once the adopting daemon plays the prompt.
    eventually("the prompt playing", || async { prompts_played(&sim) >= 1 }).await;
    let channel = originates(&sim)[0]
        .path
        .trim_start_matches("/channels/")
        .to_owned();
    assert!(sim.press(&channel, "2"), "the call is up");
    let attempt = the_one_attempt(&store, id).await;
    assert_eq!(
        attempt.outcome,
        Some(Outcome::Acknowledged),
        "{}",
        attempt.detail
    );
    assert!(
        attempt.detail.starts_with(wakeup::TAKEN_OVER),
        "{}",
        attempt.detail
    );
    assert_eq!(originates(&sim).len(), 1, "placed once");
    stop.cancel();
    sim.shutdown();
}

/// `kill -9` just after the originate, and the member answers while no daemon runs: the call
/// sits answered in the app. The restarted daemon leaves it there for its scheduler, which
/// adopts it and plays the prompt; the member is not called a second time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_answered_while_no_daemon_ran_is_adopted_not_placed_again() {
    let sim = fast_simulator(Script::answer_after_ms(50)).await;
    let (store, url, _dir) = sqlite_store().await;
    add_users(&store, &["1001"]).await;
    let id = store
        .create_wakeup(
            &spec("1001", "once 2026-12-01 06:30", "Europe/Berlin"),
            &prompts(),
            t(START),
        )
        .await
        .expect("valid wakeup")
        .id;
    let clock = ManualClock::new(t(DUE));

    daemon_killed_after_its_originate(&sim, &url, &clock).await;
    eventually("the member answered while no daemon ran", || async {
        !sim.channels_in_app("ringside").is_empty()
    })
    .await;
    let stop = restart(&sim, &url, &clock).await;
    let attempt = the_one_attempt(&store, id).await;
    assert!(
        attempt.detail.starts_with(wakeup::TAKEN_OVER),
        "{}",
        attempt.detail
    );
    assert!(
        prompts_played(&sim) >= 1,
        "the adopting daemon played the prompt"
    );
    assert_eq!(originates(&sim).len(), 1, "placed once");
    stop.cancel();
    sim.shutdown();
}
