//! The wakeup scheduler against a real database, a manual clock and a scripted dialer: when
//! it fires, retries, snoozes, catches up after downtime and shares work with another daemon.

use crate::common;
use crate::wakeup_support;

use chrono::Duration;
use ringside::schedule::{ManualClock, Outcome};
use ringside::store::Store;
use ringside::store::wakeup_claims::DueClaim;
use ringside::store::wakeups::WakeupSpec;
use wakeup_support::*;

type Running = RunningScheduler;

fn start(store: &Store, clock: ManualClock) -> Running {
    RunningScheduler::start(store, &clock)
}

async fn create(store: &Store, spec: &WakeupSpec, now: chrono::DateTime<chrono::Utc>) -> i64 {
    store
        .create_wakeup(spec, &prompts(), now)
        .await
        .expect("valid wakeup")
        .id
}

/// Waits until the scheduler has stored the next retry (a call nobody claims yet).
async fn retry_stored(store: &Store, what: &str) {
    eventually(what, || async {
        count(
            store,
            "SELECT COUNT(*) FROM wakeup_calls WHERE claimed_by IS NULL",
        )
        .await
            == 1
    })
    .await;
}

async fn outcomes(store: &Store, id: i64) -> Vec<(String, Option<Outcome>)> {
    let mut h = store.wakeup_history(None, id, 100).await.expect("history");
    h.reverse();
    h.into_iter().map(|a| (a.member, a.outcome)).collect()
}

#[tokio::test]
async fn one_shot_fires_at_its_instant_and_disables_itself() {
    let (store, _, _dir) = sqlite_store().await;
    add_users(&store, &["1001"]).await;
    let start_at = t("2026-12-01T05:00:00Z");
    let id = create(
        &store,
        &spec("1001", "once 2026-12-01 06:30", "Europe/Berlin"),
        start_at,
    )
    .await;
    let mut run = start(&store, ManualClock::new(start_at));

    run.clock.set(t("2026-12-01T05:29:59Z"));
    tokio::task::yield_now().await;
    run.clock.set(t("2026-12-01T05:30:00Z"));
    let call = next_call(&mut run.calls).await;
    assert_eq!(
        call.at,
        t("2026-12-01T05:30:00Z"),
        "dialled at the due instant, not before"
    );
    assert_eq!(
        (call.call.wakeup_id, call.call.member.as_str()),
        (id, "1001")
    );

    eventually("acknowledged recorded", || async {
        outcomes(&store, id).await == vec![("1001".into(), Some(Outcome::Acknowledged))]
    })
    .await;
    let w = store.wakeup(None, id).await.expect("still stored");
    assert!(!w.spec.enabled, "one-shot disabled after firing");
    assert_eq!(w.next_fire_at, None);
}

#[tokio::test]
async fn every_member_is_called() {
    let (store, _, _dir) = sqlite_store().await;
    add_users(&store, &["1001", "2001", "2002"]).await;
    let now = t("2026-12-01T05:00:00Z");
    let mut s = spec("1001", "once 2026-12-01 06:30", "Europe/Berlin");
    s.members = vec!["2001".into(), "2002".into()];
    create(&store, &s, now).await;
    let mut run = start(&store, ManualClock::new(now));
    run.clock.set(t("2026-12-01T05:30:00Z"));
    let mut members = vec![
        next_call(&mut run.calls).await.call.member,
        next_call(&mut run.calls).await.call.member,
    ];
    members.sort();
    assert_eq!(members, ["2001", "2002"]);
}

#[tokio::test]
async fn wakeup_added_while_sleeping_is_picked_up_when_woken() {
    let (store, _, _dir) = sqlite_store().await;
    add_users(&store, &["1001"]).await;
    let now = t("2026-12-01T05:00:00Z");
    let mut run = start(&store, ManualClock::new(now));
    full_pass(&run.scheduler).await;
    let id = create(
        &store,
        &spec("1001", "once 2026-12-01 06:01", "Europe/Berlin"),
        now,
    )
    .await;
    run.scheduler.handle().wake();
    full_pass(&run.scheduler).await;
    run.clock.set(t("2026-12-01T05:01:00Z"));
    assert_eq!(next_call(&mut run.calls).await.call.wakeup_id, id);
}

#[tokio::test]
async fn busy_is_retried_after_the_interval_until_answered() {
    let (store, _, _dir) = sqlite_store().await;
    add_users(&store, &["1001"]).await;
    let now = t("2026-12-01T05:00:00Z");
    let id = create(
        &store,
        &spec("1001", "once 2026-12-01 06:30", "Europe/Berlin"),
        now,
    )
    .await;
    let mut run = start(&store, ManualClock::new(now));
    run.dialer.script(
        "1001",
        &[Outcome::Busy, Outcome::NoAnswer, Outcome::Acknowledged],
    );
    run.clock.set(t("2026-12-01T05:30:00Z"));
    next_call(&mut run.calls).await;
    retry_stored(&store, "retry stored").await;
    run.clock.advance(Duration::minutes(5));
    assert_eq!(
        next_call(&mut run.calls).await.at,
        t("2026-12-01T05:35:00Z")
    );
    retry_stored(&store, "second retry stored").await;
    run.clock.advance(Duration::minutes(5));
    assert_eq!(
        next_call(&mut run.calls).await.at,
        t("2026-12-01T05:40:00Z")
    );
    eventually("three attempts", || async {
        outcomes(&store, id).await.len() == 3
            && count(&store, "SELECT COUNT(*) FROM wakeup_calls").await == 0
    })
    .await;
    let got: Vec<_> = outcomes(&store, id)
        .await
        .into_iter()
        .map(|(_, o)| o)
        .collect();
    assert_eq!(
        got,
        [
            Some(Outcome::Busy),
            Some(Outcome::NoAnswer),
            Some(Outcome::Acknowledged)
        ]
    );
}

#[tokio::test]
async fn no_answer_stops_after_the_retries_run_out() {
    let (store, _, _dir) = sqlite_store().await;
    add_users(&store, &["1001"]).await;
    let now = t("2026-12-01T05:00:00Z");
    let mut s = spec("1001", "once 2026-12-01 06:30", "Europe/Berlin");
    s.retries = 1;
    let id = create(&store, &s, now).await;
    let mut run = start(&store, ManualClock::new(now));
    run.dialer.script(
        "1001",
        &[Outcome::NoAnswer, Outcome::NoAnswer, Outcome::NoAnswer],
    );
    run.clock.set(t("2026-12-01T05:30:00Z"));
    next_call(&mut run.calls).await;
    retry_stored(&store, "retry stored").await;
    run.clock.advance(Duration::minutes(5));
    next_call(&mut run.calls).await;
    eventually("done", || async {
        count(&store, "SELECT COUNT(*) FROM wakeup_calls").await == 0
            && outcomes(&store, id).await.len() == 2
    })
    .await;
    run.clock.advance(Duration::hours(1));
    full_pass(&run.scheduler).await;
    assert_eq!(
        run.dialer.count(),
        2,
        "one call plus one retry, then nothing"
    );
}

#[tokio::test]
async fn snooze_calls_again_after_the_snooze_minutes() {
    let (store, _, _dir) = sqlite_store().await;
    add_users(&store, &["1001"]).await;
    let now = t("2026-12-01T05:00:00Z");
    let id = create(
        &store,
        &spec("1001", "once 2026-12-01 06:30", "Europe/Berlin"),
        now,
    )
    .await;
    let mut run = start(&store, ManualClock::new(now));
    run.dialer
        .script("1001", &[Outcome::Snoozed, Outcome::Acknowledged]);
    run.clock.set(t("2026-12-01T05:30:00Z"));
    next_call(&mut run.calls).await;
    retry_stored(&store, "snooze stored").await;
    run.clock.advance(Duration::minutes(9));
    full_pass(&run.scheduler).await;
    assert_eq!(run.dialer.count(), 1, "not before the snooze time");
    run.clock.advance(Duration::minutes(1));
    assert_eq!(
        next_call(&mut run.calls).await.at,
        t("2026-12-01T05:40:00Z")
    );
    eventually("acknowledged", || async {
        let o = outcomes(&store, id).await;
        o.len() == 2 && o.iter().all(|(_, o)| o.is_some())
    })
    .await;
    let got: Vec<_> = outcomes(&store, id)
        .await
        .into_iter()
        .map(|(_, o)| o)
        .collect();
    assert_eq!(got, [Some(Outcome::Snoozed), Some(Outcome::Acknowledged)]);
}

#[tokio::test]
async fn weekly_wakeup_is_rescheduled_a_week_later_after_firing() {
    let (store, _, _dir) = sqlite_store().await;
    add_users(&store, &["1001"]).await;
    let now = t("2026-11-23T00:00:00Z"); // a Monday
    let id = create(
        &store,
        &spec("1001", "weekly mon 07:00", "Europe/Berlin"),
        now,
    )
    .await;
    let mut run = start(&store, ManualClock::new(now));
    run.clock.set(t("2026-11-23T06:00:00Z"));
    next_call(&mut run.calls).await;
    eventually("rescheduled", || async {
        store.wakeup(None, id).await.expect("stored").next_fire_at
            == Some(t("2026-11-30T06:00:00Z"))
    })
    .await;
    assert!(store.wakeup(None, id).await.expect("stored").spec.enabled);
}

#[tokio::test]
async fn restart_catch_up_fires_within_grace_and_records_older_as_missed() {
    let (store, url, _dir) = sqlite_store().await;
    add_users(&store, &["1001", "1002", "1003"]).await;
    let created = t("2026-11-20T00:00:00Z");
    let recent = create(
        &store,
        &spec("1001", "once 2026-11-23 07:55", "Europe/Berlin"),
        created,
    )
    .await;
    let old_once = create(
        &store,
        &spec("1002", "once 2026-11-23 06:00", "Europe/Berlin"),
        created,
    )
    .await;
    let old_weekly = create(
        &store,
        &spec("1003", "weekly mon 06:00", "Europe/Berlin"),
        created,
    )
    .await;
    drop(store);

    // The daemon comes back at 08:00 Berlin: 5 minutes after one, 2 hours after the others.
    let store = Store::connect(&url).await.expect("reopen");
    let mut run = start(&store, ManualClock::new(t("2026-11-23T07:00:00Z")));
    let call = next_call(&mut run.calls).await;
    assert_eq!(call.call.wakeup_id, recent);

    eventually("missed recorded", || async {
        outcomes(&store, old_once).await == vec![("1002".into(), Some(Outcome::Missed))]
            && outcomes(&store, old_weekly).await == vec![("1003".into(), Some(Outcome::Missed))]
    })
    .await;
    let once = store.wakeup(None, old_once).await.expect("stored");
    assert!(
        !once.spec.enabled && once.next_fire_at.is_none(),
        "missed one-shot is disabled"
    );
    let weekly = store.wakeup(None, old_weekly).await.expect("stored");
    assert_eq!(
        weekly.next_fire_at,
        Some(t("2026-11-30T05:00:00Z")),
        "missed weekly moves to next week"
    );
    full_pass(&run.scheduler).await;
    assert_eq!(run.dialer.count(), 1, "missed wakeups are not dialled");
}

#[tokio::test]
async fn claim_of_a_dead_daemon_is_taken_over_after_the_lease() {
    let (store, _, _dir) = sqlite_store().await;
    add_users(&store, &["1001"]).await;
    let now = t("2026-12-01T05:00:00Z");
    let id = create(
        &store,
        &spec("1001", "once 2026-12-01 06:30", "Europe/Berlin"),
        now,
    )
    .await;
    // Another daemon claims the due wakeup and dies before resolving it.
    let due = t("2026-12-01T05:30:00Z");
    let claimed = store
        .claim_due_wakeups(DueClaim {
            holder: "dead-daemon:0",
            now: due,
            horizon: due,
            lease_until: due + Duration::seconds(60),
            limit: 10,
        })
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 1);

    let mut run = start(&store, ManualClock::new(due));
    full_pass(&run.scheduler).await;
    assert_eq!(run.dialer.count(), 0, "held by the other daemon's lease");

    run.clock.set(due + Duration::seconds(61));
    assert_eq!(
        next_call(&mut run.calls).await.call.wakeup_id,
        id,
        "taken over after the lease"
    );
}

#[tokio::test]
async fn disabled_wakeup_does_not_fire() {
    let (store, _, _dir) = sqlite_store().await;
    add_users(&store, &["1001"]).await;
    let now = t("2026-12-01T05:00:00Z");
    let id = create(
        &store,
        &spec("1001", "once 2026-12-01 06:30", "Europe/Berlin"),
        now,
    )
    .await;
    store
        .set_wakeup_enabled(Some("1001"), id, false, now)
        .await
        .expect("disable");
    let run = start(&store, ManualClock::new(now));
    run.clock.set(t("2026-12-01T06:00:00Z"));
    full_pass(&run.scheduler).await;
    assert_eq!(run.dialer.count(), 0);
}

/// Two daemons on one PostgreSQL, 1,000 wakeups due at the same instant: every wakeup is
/// dialled exactly once, by one daemon or the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_schedulers_on_postgres_fire_each_of_1000_wakeups_exactly_once() {
    let Some(db) = common::TestDb::postgres().await else {
        return;
    };
    let url = db.url.clone();
    let setup = db.store.clone();
    let users: Vec<String> = (0..1000).map(|i| format!("{}", 10_000 + i)).collect();
    let refs: Vec<&str> = users.iter().map(String::as_str).collect();
    add_users(&setup, &refs).await;
    let created = t("2026-12-01T00:00:00Z");
    for u in &users {
        create(
            &setup,
            &spec(u, "once 2026-12-01 06:30", "Europe/Berlin"),
            created,
        )
        .await;
    }
    let a_store = Store::connect(&url).await.expect("daemon A");
    let b_store = Store::connect(&url).await.expect("daemon B");
    let clock = ManualClock::new(t("2026-12-01T05:30:00Z"));
    let a = start(&a_store, clock.clone());
    let b = start(&b_store, clock.clone());

    eventually("every wakeup resolved and every call finished", || async {
        count(
            &setup,
            "SELECT COUNT(*) FROM wakeups WHERE enabled = 1 OR claimed_by IS NOT NULL",
        )
        .await
            == 0
            && count(&setup, "SELECT COUNT(*) FROM wakeup_calls").await == 0
            && a.dialer.count() + b.dialer.count() >= 1000
    })
    .await;
    let mut ids: Vec<i64> = a
        .dialer
        .dialed
        .lock()
        .expect("lock")
        .iter()
        .map(|d| d.call.wakeup_id)
        .collect();
    ids.extend(
        b.dialer
            .dialed
            .lock()
            .expect("lock")
            .iter()
            .map(|d| d.call.wakeup_id),
    );
    assert_eq!(
        ids.len(),
        1000,
        "calls placed (A {}, B {})",
        a.dialer.count(),
        b.dialer.count()
    );
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 1000, "distinct wakeups dialled");
    assert_eq!(
        count(
            &setup,
            "SELECT COUNT(*) FROM wakeup_attempts WHERE outcome = 'acknowledged'"
        )
        .await,
        1000
    );
    assert_eq!(
        count(&setup, "SELECT COUNT(*) FROM wakeup_attempts").await,
        1000
    );
    drop((a, b));
    db.cleanup().await;
}

#[tokio::test]
async fn retry_due_long_before_a_restart_is_recorded_missed_not_dialled() {
    let (store, url, _dir) = sqlite_store().await;
    add_users(&store, &["1001"]).await;
    let now = t("2026-12-01T05:00:00Z");
    let id = create(
        &store,
        &spec("1001", "once 2026-12-01 06:30", "Europe/Berlin"),
        now,
    )
    .await;
    {
        // First run: the call is busy, a retry is stored for 05:35, then the daemon stops.
        let mut run = start(&store, ManualClock::new(now));
        run.dialer.script("1001", &[Outcome::Busy]);
        run.clock.set(t("2026-12-01T05:30:00Z"));
        next_call(&mut run.calls).await;
        eventually("retry stored", || async {
            count(
                &store,
                "SELECT COUNT(*) FROM wakeup_calls WHERE claimed_by IS NULL",
            )
            .await
                == 1
        })
        .await;
    }
    // Back at 07:00: the retry is 85 minutes late, beyond the 10-minute grace.
    let store = Store::connect(&url).await.expect("reopen");
    let run = start(&store, ManualClock::new(t("2026-12-01T07:00:00Z")));
    eventually("retry recorded missed", || async {
        outcomes(&store, id).await
            == vec![
                ("1001".into(), Some(Outcome::Busy)),
                ("1001".into(), Some(Outcome::Missed)),
            ]
    })
    .await;
    full_pass(&run.scheduler).await;
    assert_eq!(run.dialer.count(), 0, "a missed retry is not dialled");
    assert_eq!(count(&store, "SELECT COUNT(*) FROM wakeup_calls").await, 0);
}
