//! Call handling end to end: the inbound flow applies do-not-disturb, forwarding, ring time and
//! time rules against the ARI simulator. One "second" of ring time is 20 ms here.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use ringside::ari::AriClient;
use ringside::ari::simulator::{Continued, LegEventOrder, Script, SimConfig, Simulator};
use ringside::flows::followme::{DialTemplates, FollowMeFlow, StaticHandlingSource, StaticSource};
use ringside::store::{
    CallHandling, CallerIdMode, FollowMeSettings, FollowMeStep, Forward, TimeRule,
};
use tokio_util::sync::CancellationToken;

const SEC: Duration = Duration::from_millis(20);
const WAIT: Duration = Duration::from_secs(5);
const CALLER: &str = "5551234";

fn monday_morning() -> DateTime<Utc> {
    "2026-01-05T10:00:00Z".parse().expect("time")
}

fn saturday() -> DateTime<Utc> {
    "2026-01-10T10:00:00Z".parse().expect("time")
}

struct Harness {
    sim: Simulator,
    stop: CancellationToken,
    engine: tokio::task::JoinHandle<()>,
}

struct Setup {
    handling: Vec<CallHandling>,
    followme: Vec<FollowMeSettings>,
    users: Vec<&'static str>,
    now: DateTime<Utc>,
    order: LegEventOrder,
}

impl Setup {
    fn new() -> Self {
        Self {
            handling: Vec::new(),
            followme: Vec::new(),
            users: vec!["1001", "1002", "1003"],
            now: monday_morning(),
            order: LegEventOrder::AsItHappens,
        }
    }

    fn user(mut self, ext: &str, f: impl FnOnce(&mut CallHandling)) -> Self {
        let mut h = CallHandling::new(ext);
        f(&mut h);
        self.handling.push(h);
        self
    }

    fn at(mut self, now: DateTime<Utc>) -> Self {
        self.now = now;
        self
    }

    fn order(mut self, order: LegEventOrder) -> Self {
        self.order = order;
        self
    }

    async fn start(self) -> Harness {
        let sim = Simulator::start(SimConfig {
            second: SEC,
            ..SimConfig::default()
        })
        .await
        .expect("simulator starts");
        sim.set_leg_event_order(self.order);
        let client =
            AriClient::new(&sim.base_url(), "ringside", "secret", "ringside").expect("client");
        let flow = Arc::new(FollowMeFlow {
            source: Arc::new(StaticHandlingSource {
                base: StaticSource {
                    settings: self.followme,
                    extensions: self.users.iter().map(|e| (*e).to_owned()).collect(),
                },
                handling: self.handling,
                now: self.now,
            }),
            templates: DialTemplates {
                extension: "PJSIP/{ext}".into(),
                external: "Local/{number}@ringside-outbound".into(),
            },
            second: SEC,
            moh_class: None,
            latency: None,
        });
        let (stop, engine) =
            crate::common::sim_calls::run_followme_route(&sim, client, flow, WAIT).await;
        Harness { sim, stop, engine }
    }
}

impl Harness {
    fn call_from(&self, ext: &str, caller: &str) -> String {
        self.sim
            .inbound_call("ringside", &["followme".into(), ext.into()], caller, "Bob")
    }

    fn call(&self, ext: &str) -> String {
        self.call_from(ext, CALLER)
    }

    async fn wait_continued(&self, caller: &str) -> Continued {
        crate::common::sim_calls::wait_continued(&self.sim, caller, WAIT).await
    }

    /// The mailbox and reason the caller was sent to voicemail with.
    async fn wait_voicemail(&self, caller: &str) -> (String, String) {
        let to = self.wait_continued(caller).await;
        assert_eq!(to.context, "ringside-voicemail", "continued to {to:?}");
        let reason = self
            .sim
            .channel(caller)
            .and_then(|c| c.vars.get("RINGSIDE_REASON").cloned())
            .unwrap_or_default();
        (to.extension, reason)
    }

    async fn wait_bridged_with(&self, caller: &str) -> String {
        let callee = crate::common::sim_calls::wait_bridged(&self.sim, caller, WAIT).await;
        self.sim
            .channel(&callee)
            .map(|c| c.endpoint)
            .unwrap_or_default()
    }

    /// Endpoints of the channels the flow created, in order.
    fn dialled(&self) -> Vec<String> {
        self.sim
            .rest_calls()
            .into_iter()
            .filter(|c| c.method == "POST" && c.path == "/channels/create")
            .filter_map(|c| c.query.get("endpoint").cloned())
            .collect()
    }

    async fn stop(self) {
        self.stop.cancel();
        let _ = tokio::time::timeout(WAIT, self.engine).await;
        self.sim.shutdown();
    }
}

fn office_hours_outside() -> TimeRule {
    TimeRule {
        window: "mon-fri,08:00-18:00".parse().expect("window"),
        outside: true,
    }
}

#[tokio::test]
async fn dnd_sends_the_caller_to_voicemail_busy_without_ringing() {
    let h = Setup::new().user("1001", |c| c.dnd = true).start().await;
    h.sim.phone("1001", Script::answer_after_ms(20));
    let caller = h.call("1001");
    assert_eq!(
        h.wait_voicemail(&caller).await,
        ("1001".to_owned(), "busy".to_owned())
    );
    assert!(h.dialled().is_empty());
    h.stop().await;
}

#[tokio::test]
async fn dnd_lets_an_allowed_caller_ring_through() {
    let h = Setup::new()
        .user("1001", |c| {
            c.dnd = true;
            c.dnd_allow = vec!["5550001".into()];
        })
        .start()
        .await;
    h.sim.phone("1001", Script::answer_after_ms(20));
    let caller = h.call_from("1001", "5550001");
    assert_eq!(h.wait_bridged_with(&caller).await, "PJSIP/1001");
    h.stop().await;
}

#[tokio::test]
async fn forward_always_to_an_extension_rings_that_extension_only() {
    let h = Setup::new()
        .user("1001", |c| c.forward_always = Forward::to("1002"))
        .start()
        .await;
    h.sim.phone("1001", Script::answer_after_ms(20));
    h.sim.phone("1002", Script::answer_after_ms(20));
    let caller = h.call("1001");
    assert_eq!(h.wait_bridged_with(&caller).await, "PJSIP/1002");
    assert_eq!(h.dialled(), ["PJSIP/1002"]);
    h.stop().await;
}

#[tokio::test]
async fn forward_always_to_an_external_number_dials_it_with_the_external_template() {
    let h = Setup::new()
        .user("1001", |c| c.forward_always = Forward::to("0170555"))
        .start()
        .await;
    h.sim.phone("0170555", Script::answer_after_ms(20));
    let caller = h.call("1001");
    assert_eq!(
        h.wait_bridged_with(&caller).await,
        "Local/0170555@ringside-outbound"
    );
    h.stop().await;
}

#[tokio::test]
async fn forwarded_external_leg_shows_the_extension_when_followme_asks_so() {
    let mut s = Setup::new().user("1001", |c| c.forward_always = Forward::to("0170555"));
    s.followme.push(FollowMeSettings {
        extension: "1001".into(),
        enabled: false,
        initial_ring_secs: 0,
        steps: vec![],
        confirm: false,
        moh: false,
        caller_id: CallerIdMode::Extension,
    });
    let h = s.start().await;
    h.sim.phone("0170555", Script::answer_after_ms(20));
    let caller = h.call("1001");
    h.wait_bridged_with(&caller).await;
    let create = h
        .sim
        .rest_calls()
        .into_iter()
        .find(|c| c.path == "/channels/create")
        .expect("a leg");
    let vars = create.body.expect("variables");
    assert_eq!(vars["variables"]["CALLERID(num)"], "1001");
    h.stop().await;
}

#[tokio::test]
async fn forward_busy_takes_the_call_when_the_own_device_is_busy() {
    let h = Setup::new()
        .user("1001", |c| c.forward_busy = Forward::to("1002"))
        .start()
        .await;
    h.sim.phone("1001", Script::busy());
    h.sim.phone("1002", Script::answer_after_ms(20));
    let caller = h.call("1001");
    assert_eq!(h.wait_bridged_with(&caller).await, "PJSIP/1002");
    h.stop().await;
}

#[tokio::test]
async fn busy_without_forward_busy_goes_to_voicemail_busy() {
    let h = Setup::new()
        .user("1001", |c| c.forward_no_answer = Forward::to("1002"))
        .start()
        .await;
    h.sim.phone("1001", Script::busy());
    let caller = h.call("1001");
    assert_eq!(
        h.wait_voicemail(&caller).await,
        ("1001".to_owned(), "busy".to_owned())
    );
    h.stop().await;
}

#[tokio::test]
async fn forward_no_answer_takes_the_call_after_the_ring_time() {
    let h = Setup::new()
        .user("1001", |c| {
            c.forward_no_answer = Forward::to("1002");
            c.ring_secs = Some(3);
        })
        .start()
        .await;
    h.sim.phone("1001", Script::never_answer());
    h.sim.phone("1002", Script::answer_after_ms(20));
    let caller = h.call("1001");
    assert_eq!(h.wait_bridged_with(&caller).await, "PJSIP/1002");
    assert_eq!(h.dialled(), ["PJSIP/1001", "PJSIP/1002"]);
    h.stop().await;
}

#[tokio::test]
async fn forward_no_answer_also_takes_the_call_when_the_device_is_unreachable() {
    let h = Setup::new()
        .user("1001", |c| c.forward_no_answer = Forward::to("1002"))
        .start()
        .await;
    h.sim.phone("1001", Script::hangs_up_with(20));
    h.sim.phone("1002", Script::answer_after_ms(20));
    let caller = h.call("1001");
    assert_eq!(h.wait_bridged_with(&caller).await, "PJSIP/1002");
    h.stop().await;
}

#[tokio::test]
async fn ring_time_sets_how_long_the_own_device_rings() {
    let h = Setup::new()
        .user("1001", |c| c.ring_secs = Some(4))
        .start()
        .await;
    h.sim.phone("1001", Script::never_answer());
    let caller = h.call("1001");
    assert_eq!(
        h.wait_voicemail(&caller).await,
        ("1001".to_owned(), "no_answer".to_owned())
    );
    let dial = h
        .sim
        .rest_calls()
        .into_iter()
        .find(|c| c.path.ends_with("/dial"))
        .expect("dialled");
    // The dial timeout is the ring time plus the runner's safety margin.
    assert_eq!(dial.query.get("timeout").map(String::as_str), Some("9"));
    h.stop().await;
}

#[tokio::test]
async fn forward_loop_ends_in_the_first_users_voicemail() {
    let h = Setup::new()
        .user("1001", |c| c.forward_always = Forward::to("1002"))
        .user("1002", |c| c.forward_always = Forward::to("1001"))
        .start()
        .await;
    let caller = h.call("1001");
    assert_eq!(h.wait_voicemail(&caller).await.0, "1001");
    assert!(h.dialled().is_empty());
    h.stop().await;
}

#[tokio::test]
async fn forward_to_a_user_with_dnd_ends_in_that_users_voicemail() {
    let h = Setup::new()
        .user("1001", |c| c.forward_always = Forward::to("1002"))
        .user("1002", |c| c.dnd = true)
        .start()
        .await;
    let caller = h.call("1001");
    assert_eq!(
        h.wait_voicemail(&caller).await,
        ("1002".to_owned(), "busy".to_owned())
    );
    h.stop().await;
}

#[tokio::test]
async fn time_rule_forward_applies_outside_its_window() {
    let h = Setup::new()
        .user("1001", |c| {
            c.forward_always = Forward::to("0170555");
            c.forward_always.rule = Some(office_hours_outside());
        })
        .at(saturday())
        .start()
        .await;
    h.sim.phone("0170555", Script::answer_after_ms(20));
    let caller = h.call("1001");
    assert_eq!(
        h.wait_bridged_with(&caller).await,
        "Local/0170555@ringside-outbound"
    );
    h.stop().await;
}

#[tokio::test]
async fn time_rule_forward_does_not_apply_inside_its_window() {
    let h = Setup::new()
        .user("1001", |c| {
            c.forward_always = Forward::to("0170555");
            c.forward_always.rule = Some(office_hours_outside());
        })
        .at(monday_morning())
        .start()
        .await;
    h.sim.phone("1001", Script::answer_after_ms(20));
    let caller = h.call("1001");
    assert_eq!(h.wait_bridged_with(&caller).await, "PJSIP/1001");
    h.stop().await;
}

#[tokio::test]
async fn user_without_rules_continues_in_the_dialplan_at_once() {
    let h = Setup::new().user("1001", |_| {}).start().await;
    let caller = h.call("1001");
    let to = h.wait_continued(&caller).await;
    assert_eq!((to.context.as_str(), to.priority), ("ringside-inbound", 2));
    h.stop().await;
}

#[tokio::test]
async fn rule_with_an_unknown_time_zone_continues_in_the_dialplan() {
    let h = Setup::new()
        .user("1001", |c| {
            c.dnd = true;
            c.time_zone = "Mars/Olympus".into();
        })
        .start()
        .await;
    let caller = h.call("1001");
    let to = h.wait_continued(&caller).await;
    assert_eq!((to.context.as_str(), to.priority), ("ringside-inbound", 2));
    h.stop().await;
}

#[tokio::test]
async fn forward_to_an_undialable_number_continues_in_the_dialplan() {
    let h = Setup::new()
        .user("1001", |c| c.forward_always = Forward::to("01&70"))
        .start()
        .await;
    let caller = h.call("1001");
    let to = h.wait_continued(&caller).await;
    assert_eq!((to.context.as_str(), to.priority), ("ringside-inbound", 2));
    h.stop().await;
}

#[tokio::test]
async fn followme_is_a_step_of_the_plan_and_its_no_answer_forward_follows() {
    let mut s = Setup::new().user("1001", |c| c.forward_no_answer = Forward::to("1003"));
    s.followme.push(FollowMeSettings {
        extension: "1001".into(),
        enabled: true,
        initial_ring_secs: 2,
        steps: vec![FollowMeStep {
            numbers: vec!["1002".into()],
            ring_secs: 2,
        }],
        confirm: false,
        moh: false,
        caller_id: CallerIdMode::Caller,
    });
    let h = s.start().await;
    h.sim.phone("1001", Script::never_answer());
    h.sim.phone("1002", Script::never_answer());
    h.sim.phone("1003", Script::answer_after_ms(20));
    let caller = h.call("1001");
    assert_eq!(h.wait_bridged_with(&caller).await, "PJSIP/1003");
    assert_eq!(h.dialled(), ["PJSIP/1001", "PJSIP/1002", "PJSIP/1003"]);
    h.stop().await;
}

// --- The unreachable own device, whichever order its events and the REST answer come in ---

async fn unreachable_reason(order: LegEventOrder, script: Script) -> String {
    let h = Setup::new()
        .user("1001", |c| c.ring_secs = Some(50))
        .order(order)
        .start()
        .await;
    h.sim.phone("1001", script);
    let caller = h.call("1001");
    let (_, reason) = h.wait_voicemail(&caller).await;
    h.stop().await;
    reason
}

#[tokio::test]
async fn subscriber_absent_is_unavailable_when_events_come_before_the_dial_answer() {
    assert_eq!(
        unreachable_reason(LegEventOrder::EventsFirst, Script::hangs_up_with(20)).await,
        "unavailable"
    );
}

#[tokio::test]
async fn subscriber_absent_is_unavailable_when_events_come_after_the_dial_answer() {
    assert_eq!(
        unreachable_reason(LegEventOrder::AnswerFirst, Script::hangs_up_with(20)).await,
        "unavailable"
    );
}

#[tokio::test]
async fn out_of_order_device_is_unavailable_when_events_come_before_the_dial_answer() {
    assert_eq!(
        unreachable_reason(LegEventOrder::EventsFirst, Script::hangs_up_with(27)).await,
        "unavailable"
    );
}

#[tokio::test]
async fn out_of_order_device_is_unavailable_when_events_come_after_the_dial_answer() {
    assert_eq!(
        unreachable_reason(LegEventOrder::AnswerFirst, Script::hangs_up_with(27)).await,
        "unavailable"
    );
}
