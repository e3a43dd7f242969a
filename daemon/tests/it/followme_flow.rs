//! Follow-me end to end: the daemon's engine and follow-me flow against the ARI simulator.
//! One "second" of ring time is 20 ms here (the simulator's dial timeouts use the same unit).

use std::sync::Arc;
use std::time::Duration;

use ringside::ari::AriClient;
use ringside::ari::simulator::{Continued, RestCall, Script, SimConfig, Simulator};
use ringside::flows::followme::{DialTemplates, FollowMeFlow, LatencyRecorder, StaticSource};
use ringside::store::{CallerIdMode, FollowMeSettings};
use serde_json::json;
use tokio_util::sync::CancellationToken;

const SEC: Duration = Duration::from_millis(20);
const WAIT: Duration = Duration::from_secs(5);

struct Harness {
    sim: Simulator,
    stop: CancellationToken,
    engine: tokio::task::JoinHandle<()>,
}

impl Harness {
    async fn start(settings: Vec<FollowMeSettings>, extensions: &[&str]) -> Self {
        let sim = Simulator::start(SimConfig {
            second: SEC,
            ..SimConfig::default()
        })
        .await
        .expect("simulator starts");
        sim.set_default_media_duration(Duration::from_millis(30));
        let client =
            AriClient::new(&sim.base_url(), "ringside", "secret", "ringside").expect("client");
        let flow = Arc::new(FollowMeFlow {
            source: Arc::new(StaticSource {
                settings,
                extensions: extensions.iter().map(|e| (*e).to_owned()).collect(),
            }),
            templates: DialTemplates {
                extension: "PJSIP/{ext}".into(),
                external: "Local/{number}@ringside-outbound".into(),
            },
            second: SEC,
            moh_class: None,
            latency: Some(LatencyRecorder::default()),
        });
        let (stop, engine) =
            crate::common::sim_calls::run_followme_route(&sim, client, flow, WAIT).await;
        Self { sim, stop, engine }
    }

    fn call(&self, ext: &str) -> String {
        self.sim.inbound_call(
            "ringside",
            &["followme".into(), ext.into()],
            "5551234",
            "Bob",
        )
    }

    async fn wait_continued(&self, caller: &str) -> Continued {
        crate::common::sim_calls::wait_continued(&self.sim, caller, WAIT).await
    }

    async fn wait_bridged(&self, caller: &str) -> String {
        crate::common::sim_calls::wait_bridged(&self.sim, caller, WAIT).await
    }

    fn calls(&self, method: &str, path_suffix: &str) -> Vec<RestCall> {
        self.sim
            .rest_calls()
            .into_iter()
            .filter(|c| c.method == method && c.path.ends_with(path_suffix))
            .collect()
    }

    fn leg_endpoint(&self, leg: &str) -> String {
        self.sim
            .channel(leg)
            .map(|c| c.endpoint)
            .or_else(|| self.sim.destroyed(leg).map(|(c, _)| c.endpoint))
            .unwrap_or_default()
    }

    fn hangup_reason(&self, leg: &str) -> Option<String> {
        self.sim.destroyed(leg).and_then(|(c, _)| c.hangup_reason)
    }

    async fn stop(self) {
        self.stop.cancel();
        let _ = tokio::time::timeout(WAIT, self.engine).await;
        self.sim.shutdown();
    }
}

fn settings(initial: u32, steps: &[(&[&str], u32)]) -> FollowMeSettings {
    FollowMeSettings::ringing("1001", initial, steps)
}

fn voicemail(reason_ext: &str) -> Continued {
    Continued {
        context: "ringside-voicemail".into(),
        extension: reason_ext.into(),
        priority: 1,
    }
}

fn reason_of(h: &Harness, caller: &str) -> Option<String> {
    h.sim
        .channel(caller)
        .and_then(|c| c.vars.get("RINGSIDE_REASON").cloned())
}

#[tokio::test]
async fn disabled_followme_continues_in_the_dialplan_at_once() {
    let mut s = settings(5, &[(&["2001"], 10)]);
    s.enabled = false;
    let h = Harness::start(vec![s], &[]).await;
    let caller = h.call("1001");
    let to = h.wait_continued(&caller).await;
    assert_eq!(
        to,
        Continued {
            context: "ringside-inbound".into(),
            extension: "1001".into(),
            priority: 2
        }
    );
    assert!(h.calls("POST", "/channels/create").is_empty());
    h.stop().await;
}

#[tokio::test]
async fn extension_without_settings_continues_in_the_dialplan() {
    let h = Harness::start(vec![], &[]).await;
    let caller = h.call("1001");
    assert_eq!(h.wait_continued(&caller).await.priority, 2);
    h.stop().await;
}

#[tokio::test]
async fn own_device_answering_during_initial_ring_is_bridged() {
    let h = Harness::start(vec![settings(5, &[(&["2001"], 10)])], &["1001", "2001"]).await;
    h.sim.phone("1001", Script::answer_after_ms(30));
    h.sim.phone("2001", Script::answer_after_ms(10));
    let caller = h.call("1001");
    let callee = h.wait_bridged(&caller).await;
    assert_eq!(h.leg_endpoint(&callee), "PJSIP/1001");
    assert_eq!(
        h.sim.channel(&caller).map(|c| c.channel.state),
        Some("Up".into())
    );
    assert!(
        h.calls("POST", "/channels/create").iter().all(|c| c
            .query
            .get("endpoint")
            .map(String::as_str)
            == Some("PJSIP/1001"))
    );
    h.stop().await;
}

#[tokio::test]
async fn caller_hears_ringing_while_legs_ring() {
    let h = Harness::start(vec![settings(0, &[(&["2003"], 3)])], &["2003"]).await;
    h.sim.phone("2003", Script::never_answer());
    let caller = h.call("1001");
    assert!(
        h.sim
            .wait_until(WAIT, |s| s
                .channel(&caller)
                .is_some_and(|c| c.ringing_indicated))
            .await
    );
    h.wait_continued(&caller).await;
    h.stop().await;
}

#[tokio::test]
async fn moh_setting_answers_the_caller_and_plays_music() {
    let mut s = settings(0, &[(&["2003"], 3)]);
    s.moh = true;
    let h = Harness::start(vec![s], &["2003"]).await;
    h.sim.phone("2003", Script::never_answer());
    let caller = h.call("1001");
    assert!(
        h.sim
            .wait_until(WAIT, |s| s.channel(&caller).is_some_and(|c| c.moh))
            .await
    );
    assert_eq!(
        h.sim.channel(&caller).map(|c| c.channel.state),
        Some("Up".into())
    );
    assert!(
        h.calls("POST", &format!("/channels/{caller}/ring"))
            .is_empty()
    );
    h.stop().await;
}

#[tokio::test]
async fn first_answer_in_a_ring_all_step_wins_and_others_are_answered_elsewhere() {
    let h = Harness::start(
        vec![settings(0, &[(&["2001", "2003"], 10)])],
        &["2001", "2003"],
    )
    .await;
    h.sim.phone("2001", Script::answer_after_ms(40));
    h.sim.phone("2003", Script::never_answer());
    let caller = h.call("1001");
    let callee = h.wait_bridged(&caller).await;
    assert_eq!(h.leg_endpoint(&callee), "PJSIP/2001");
    let other = format!("{caller}-fm1");
    assert!(
        h.sim
            .wait_until(WAIT, |s| s.destroyed(&other).is_some())
            .await
    );
    assert_eq!(
        h.hangup_reason(&other).as_deref(),
        Some("answered_elsewhere")
    );
    assert_eq!(h.sim.destroyed(&other).map(|d| d.1), Some(26));
    h.stop().await;
}

#[tokio::test]
async fn one_by_one_steps_ring_in_order_until_one_answers() {
    let h = Harness::start(
        vec![settings(0, &[(&["2003"], 3), (&["2001"], 10)])],
        &["2001", "2003"],
    )
    .await;
    h.sim.phone("2003", Script::never_answer());
    h.sim.phone("2001", Script::answer_after_ms(10));
    let caller = h.call("1001");
    let callee = h.wait_bridged(&caller).await;
    assert_eq!(h.leg_endpoint(&callee), "PJSIP/2001");
    let creates: Vec<String> = h
        .calls("POST", "/channels/create")
        .iter()
        .filter_map(|c| c.query.get("endpoint").cloned())
        .collect();
    assert_eq!(creates, ["PJSIP/2003", "PJSIP/2001"]);
    assert_eq!(
        h.hangup_reason(&format!("{caller}-fm0")).as_deref(),
        Some("no_answer")
    );
    h.stop().await;
}

#[tokio::test]
async fn every_leg_busy_sends_the_caller_to_voicemail_with_reason_busy() {
    let h = Harness::start(
        vec![settings(5, &[(&["2002", "2012"], 10)])],
        &["1001", "2002", "2012"],
    )
    .await;
    for n in ["1001", "2002", "2012"] {
        h.sim.phone(n, Script::busy());
    }
    let caller = h.call("1001");
    assert_eq!(h.wait_continued(&caller).await, voicemail("1001"));
    assert_eq!(reason_of(&h, &caller).as_deref(), Some("busy"));
    for leg in 0..3 {
        assert_eq!(
            h.hangup_reason(&format!("{caller}-fm{leg}")).as_deref(),
            Some("busy")
        );
    }
    h.stop().await;
}

#[tokio::test]
async fn nobody_answering_sends_the_caller_to_voicemail_with_reason_no_answer() {
    let h = Harness::start(vec![settings(2, &[(&["2003"], 3)])], &["1001", "2003"]).await;
    h.sim.phone("1001", Script::never_answer());
    h.sim.phone("2003", Script::never_answer());
    let caller = h.call("1001");
    assert_eq!(h.wait_continued(&caller).await, voicemail("1001"));
    assert_eq!(reason_of(&h, &caller).as_deref(), Some("no_answer"));
    h.stop().await;
}

#[tokio::test]
async fn unregistered_own_device_and_no_answer_is_unavailable() {
    let h = Harness::start(vec![settings(5, &[(&["2003"], 3)])], &["2003"]).await;
    h.sim.phone("1001", Script::unreachable());
    h.sim.phone("2003", Script::never_answer());
    let caller = h.call("1001");
    assert_eq!(h.wait_continued(&caller).await, voicemail("1001"));
    assert_eq!(reason_of(&h, &caller).as_deref(), Some("unavailable"));
    let create = h.calls("POST", "/channels/create");
    assert_eq!(create[0].status, 500);
    h.stop().await;
}

#[tokio::test]
async fn missing_local_extension_counts_as_a_failed_leg() {
    let h = Harness::start(vec![settings(0, &[(&["0049301234"], 3)])], &[]).await;
    // No script: a Local/ target that does not exist (like the traces' 9999).
    let caller = h.call("1001");
    assert_eq!(h.wait_continued(&caller).await, voicemail("1001"));
    assert_eq!(reason_of(&h, &caller).as_deref(), Some("no_answer"));
    let creates = h.calls("POST", "/channels/create");
    assert_eq!(
        creates[0].query.get("endpoint").map(String::as_str),
        Some("Local/0049301234@ringside-outbound")
    );
    h.stop().await;
}

#[tokio::test]
async fn external_leg_carries_the_configured_caller_id() {
    let mut s = settings(0, &[(&["0049301234"], 10)]);
    s.caller_id = CallerIdMode::Extension;
    let h = Harness::start(vec![s], &[]).await;
    h.sim.phone("0049301234", Script::answer_after_ms(10));
    let caller = h.call("1001");
    let callee = h.wait_bridged(&caller).await;
    let create = &h.calls("POST", "/channels/create")[0];
    assert_eq!(
        create
            .body
            .as_ref()
            .and_then(|b| b["variables"]["CALLERID(num)"].as_str()),
        Some("1001")
    );
    assert_eq!(
        h.sim.channel(&callee).map(|c| c.channel.caller.number),
        Some("1001".into())
    );
    h.stop().await;
}

#[tokio::test]
async fn confirmation_plays_a_prompt_and_1_connects() {
    let mut s = settings(0, &[(&["2005"], 20)]);
    s.confirm = true;
    let h = Harness::start(vec![s], &["2005"]).await;
    h.sim
        .phone("2005", Script::answer_after_ms(20).then_press("1", 40));
    let caller = h.call("1001");
    let callee = h.wait_bridged(&caller).await;
    let plays = h.calls("POST", "-confirm");
    assert_eq!(plays.len(), 1);
    assert!(
        plays[0]
            .path
            .starts_with(&format!("/channels/{callee}/play/"))
    );
    assert_eq!(
        plays[0].query.get("media").map(String::as_str),
        Some("sound:followme/options")
    );
    h.stop().await;
}

#[tokio::test]
async fn confirmation_declined_with_2_goes_on_to_voicemail() {
    let mut s = settings(0, &[(&["2005"], 20)]);
    s.confirm = true;
    let h = Harness::start(vec![s], &["2005"]).await;
    h.sim
        .phone("2005", Script::answer_after_ms(20).then_press("2", 20));
    let caller = h.call("1001");
    assert_eq!(h.wait_continued(&caller).await, voicemail("1001"));
    assert_eq!(
        h.hangup_reason(&format!("{caller}-fm0")).as_deref(),
        Some("rejected")
    );
    assert!(h.sim.bridges().is_empty());
    h.stop().await;
}

#[tokio::test]
async fn confirmation_without_a_digit_is_a_decline() {
    let mut s = settings(0, &[(&["2001"], 30)]);
    s.confirm = true;
    let h = Harness::start(vec![s], &["2001"]).await;
    h.sim.phone("2001", Script::answer_after_ms(10));
    let caller = h.call("1001");
    assert_eq!(h.wait_continued(&caller).await, voicemail("1001"));
    assert_eq!(reason_of(&h, &caller).as_deref(), Some("no_answer"));
    h.stop().await;
}

#[tokio::test]
async fn caller_hanging_up_tears_down_every_leg() {
    let h = Harness::start(
        vec![settings(0, &[(&["2003", "2013", "0049301234"], 50)])],
        &["2003", "2013"],
    )
    .await;
    for n in ["2003", "2013", "0049301234"] {
        h.sim.phone(n, Script::never_answer());
    }
    let caller = h.call("1001");
    let legs: Vec<String> = (0..3).map(|i| format!("{caller}-fm{i}")).collect();
    let all_ringing = h
        .sim
        .wait_until(WAIT, |s| {
            legs.iter()
                .all(|l| s.channel(l).is_some_and(|c| c.channel.state == "Ringing"))
        })
        .await;
    assert!(all_ringing);
    assert!(h.sim.hang_up(&caller));
    assert!(
        h.sim
            .wait_until(WAIT, |s| legs.iter().all(|l| s.destroyed(l).is_some()))
            .await
    );
    for leg in &legs {
        // Hung up by the daemon (reason given), long before the 50 s ring time.
        assert_eq!(h.hangup_reason(leg).as_deref(), Some("normal"), "{leg}");
    }
    h.stop().await;
}

#[tokio::test]
async fn bridged_callee_hanging_up_ends_the_caller() {
    let h = Harness::start(vec![settings(0, &[(&["2001"], 10)])], &["2001"]).await;
    h.sim
        .phone("2001", Script::answer_after_ms(10).then_hang_up(40));
    let caller = h.call("1001");
    h.wait_bridged(&caller).await;
    assert!(
        h.sim
            .wait_until(WAIT, |s| s.destroyed(&caller).is_some())
            .await
    );
    assert!(
        h.sim.wait_until(WAIT, |s| s.bridges().is_empty()).await,
        "bridge destroyed"
    );
    h.stop().await;
}

#[tokio::test]
async fn leg_answering_after_another_was_accepted_is_hung_up() {
    let h = Harness::start(
        vec![settings(0, &[(&["2001", "2011"], 20)])],
        &["2001", "2011"],
    )
    .await;
    h.sim.phone("2001", Script::answer_after_ms(10));
    h.sim.phone("2011", Script::answer_after_ms(80));
    let caller = h.call("1001");
    let late = format!("{caller}-fm1");
    // The first hang-up of the slower leg fails, so it is still there when it answers.
    h.sim.fail_next(
        "DELETE",
        &format!("/channels/{late}"),
        500,
        json!({"error": "Internal Server Error"}),
        1,
    );
    h.wait_bridged(&caller).await;
    assert!(
        h.sim
            .wait_until(WAIT, |s| s.destroyed(&late).is_some())
            .await,
        "late answerer hung up"
    );
    assert_eq!(
        h.hangup_reason(&late).as_deref(),
        Some("answered_elsewhere")
    );
    h.stop().await;
}

#[tokio::test]
async fn unparseable_number_in_settings_falls_back_to_the_dialplan() {
    let h = Harness::start(vec![settings(0, &[(&["20x1"], 10)])], &[]).await;
    let caller = h.call("1001");
    assert_eq!(h.wait_continued(&caller).await.priority, 2);
    h.stop().await;
}

#[tokio::test]
async fn rest_500_on_ringing_does_not_stop_the_call() {
    let h = Harness::start(vec![settings(0, &[(&["2001"], 10)])], &["2001"]).await;
    h.sim.phone("2001", Script::answer_after_ms(10));
    h.sim.fail_next(
        "POST",
        "/channels/",
        500,
        json!({"message": "Internal Server Error"}),
        1,
    );
    let caller = h.call("1001");
    h.wait_bridged(&caller).await;
    h.stop().await;
}

#[tokio::test]
async fn rest_500_on_voicemail_hand_off_still_leaves_stasis() {
    let h = Harness::start(vec![settings(0, &[(&["2002"], 10)])], &["2002"]).await;
    h.sim.phone("2002", Script::busy());
    let caller = h.call("1001");
    h.sim.fail_next(
        "POST",
        &format!("/channels/{caller}/continue"),
        500,
        json!({"message": "boom"}),
        1,
    );
    let to = h.wait_continued(&caller).await;
    assert_eq!(
        to.context, "ringside-inbound",
        "fell back to the next priority"
    );
    h.stop().await;
}

#[tokio::test]
async fn malformed_event_is_skipped_and_calls_keep_working() {
    let h = Harness::start(vec![settings(0, &[(&["2001"], 10)])], &["2001"]).await;
    h.sim.phone("2001", Script::answer_after_ms(10));
    h.sim
        .inject_raw("ringside", "{\"type\": \"StasisStart\", \"channel\": ");
    h.sim.inject_raw("ringside", "not json at all");
    h.sim
        .inject_raw("ringside", "{\"type\": \"SomethingNew\", \"x\": 1}");
    let caller = h.call("1001");
    h.wait_bridged(&caller).await;
    h.stop().await;
}

#[tokio::test]
async fn call_survives_a_websocket_drop_and_finishes_after_reconnect() {
    let h = Harness::start(vec![settings(0, &[(&["2001"], 50)])], &["2001"]).await;
    h.sim.phone("2001", Script::answer_after_ms(400));
    let caller = h.call("1001");
    assert!(
        h.sim
            .wait_until(WAIT, |s| s.channel(&format!("{caller}-fm0")).is_some())
            .await
    );
    h.sim.drop_connections();
    assert!(h.sim.wait_connected("ringside", WAIT).await, "reconnects");
    h.wait_bridged(&caller).await;
    h.stop().await;
}

#[tokio::test]
async fn leg_that_answers_while_the_socket_is_down_is_bridged_after_reconnect() {
    let h = Harness::start(vec![settings(0, &[(&["2001"], 50)])], &["2001"]).await;
    h.sim.phone("2001", Script::answer_after_ms(150));
    let caller = h.call("1001");
    let leg = format!("{caller}-fm0");
    assert!(
        h.sim
            .wait_until(WAIT, |s| s
                .channel(&leg)
                .is_some_and(|c| c.channel.state == "Ringing"))
            .await,
        "leg ringing"
    );
    h.sim.refuse_websockets(true);
    h.sim.drop_connections();
    // The answer comes while nobody listens; Asterisk does not replay it.
    assert!(
        h.sim
            .wait_until(WAIT, |s| s
                .channel(&leg)
                .is_some_and(|c| c.channel.state == "Up"))
            .await,
        "leg answered"
    );
    h.sim.refuse_websockets(false);
    assert!(h.sim.wait_connected("ringside", WAIT).await, "reconnects");
    h.wait_bridged(&caller).await;
    h.stop().await;
}

#[tokio::test]
async fn orphan_channel_in_the_app_is_hung_up_after_reconnect() {
    let h = Harness::start(vec![], &[]).await;
    h.sim.phone("2001", Script::never_answer());
    h.sim.refuse_websockets(true);
    h.sim.drop_connections();
    // Created while the daemon is away: nobody owns it when it comes back.
    let client = AriClient::new(&h.sim.base_url(), "u", "p", "ringside").expect("client");
    client
        .create_channel(&ringside::ari::CreateChannel {
            endpoint: "PJSIP/2001".into(),
            app: "ringside".into(),
            channel_id: Some("stale-leg".into()),
            ..Default::default()
        })
        .await
        .expect("create");
    h.sim.refuse_websockets(false);
    assert!(
        h.sim
            .wait_until(WAIT, |s| s.destroyed("stale-leg").is_some())
            .await,
        "orphan hung up"
    );
    h.stop().await;
}

#[tokio::test]
async fn shutdown_while_ringing_hands_the_caller_back_to_the_dialplan() {
    let h = Harness::start(vec![settings(0, &[(&["2003"], 100)])], &["2003"]).await;
    h.sim.phone("2003", Script::never_answer());
    let caller = h.call("1001");
    assert!(
        h.sim
            .wait_until(WAIT, |s| s.channel(&format!("{caller}-fm0")).is_some())
            .await
    );
    h.stop.cancel();
    let to = h.wait_continued(&caller).await;
    assert_eq!(to.priority, 2);
    assert!(
        h.sim
            .wait_until(WAIT, |s| s.destroyed(&format!("{caller}-fm0")).is_some())
            .await
    );
    h.stop().await;
}

#[tokio::test]
async fn call_for_an_unknown_flow_continues_in_the_dialplan() {
    let h = Harness::start(vec![], &[]).await;
    let caller = h
        .sim
        .inbound_call("ringside", &["nosuchflow".into()], "5551234", "Bob");
    assert_eq!(h.wait_continued(&caller).await.priority, 2);
    h.stop().await;
}

/// A loaded or just-restarted Asterisk answers `channels/create` before the leg's
/// StasisStart; the `dial` that follows at once is refused with 409 "Channel not in Stasis
/// application". The leg is dialled once it is in Stasis, and the call connects.
#[tokio::test]
async fn a_leg_whose_stasis_start_comes_late_is_still_dialled_and_bridged() {
    let h = Harness::start(vec![settings(5, &[(&["2001"], 10)])], &["1001", "2001"]).await;
    h.sim
        .delay_stasis_start_after_create(Some(Duration::from_millis(150)));
    h.sim.phone("1001", Script::answer_after_ms(30));
    let caller = h.call("1001");
    let callee = h.wait_bridged(&caller).await;
    assert_eq!(h.leg_endpoint(&callee), "PJSIP/1001");
    let dials = h.calls("POST", "/dial");
    assert!(
        dials.iter().any(|c| c.status == 409),
        "the first dial met the race: {dials:?}"
    );
    assert_eq!(dials.last().map(|c| c.status), Some(204));
    h.stop().await;
}

/// The usual order (StasisStart before the create's answer) dials once, at once.
#[tokio::test]
async fn a_leg_already_in_stasis_is_dialled_once() {
    let h = Harness::start(vec![settings(5, &[(&["2001"], 10)])], &["1001", "2001"]).await;
    h.sim.phone("1001", Script::answer_after_ms(30));
    let caller = h.call("1001");
    h.wait_bridged(&caller).await;
    let dials = h.calls("POST", "/dial");
    assert_eq!(dials.len(), 1, "{dials:?}");
    assert_eq!(dials[0].status, 204);
    h.stop().await;
}
