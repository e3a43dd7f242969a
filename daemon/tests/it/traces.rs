//! The traces recorded from a real Asterisk 22 (copied under
//! `daemon/tests/traces/`) checked against Ringside: every recorded event parses into a typed event,
//! recorded error answers become the right typed errors, and the simulator, driven through
//! the same REST calls, emits the same events in the same order with the same key fields.
//! Time in the simulator runs 50x faster than in the recordings.

use std::path::PathBuf;
use std::time::Duration;

use ringside::ari::simulator::{Script, SimConfig, Simulator};
use ringside::ari::{AriClient, AriError, CreateChannel, Event, HangupReason, Originate};
use serde_json::Value;

/// Recorded seconds -> simulator time.
const SCALE: f64 = 1.0 / 50.0;
const APP: &str = "trace";

fn trace_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/traces")
}

fn lines(name: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(trace_dir().join(name)).expect("trace file readable");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("trace line is JSON"))
        .collect()
}

fn recorded_events(name: &str) -> Vec<Value> {
    lines(name)
        .into_iter()
        .filter_map(|l| l.get("event").cloned())
        .collect()
}

fn scaled(secs: f64) -> Duration {
    Duration::from_secs_f64(secs * SCALE)
}

/// The fields a flow decides on; ids of the `;2` half of Local channels are not modelled.
fn key(ev: &Value, rename: &dyn Fn(&str) -> String) -> Option<String> {
    let chan = ev.get("channel").or_else(|| ev.get("peer"));
    let id = chan.and_then(|c| c["id"].as_str()).unwrap_or("");
    if id.ends_with(";2") {
        return None;
    }
    let mut k = format!("{} {}", ev["type"].as_str().unwrap_or(""), rename(id));
    if let Some(state) = chan.and_then(|c| c["state"].as_str()) {
        k += &format!(" state={state}");
    }
    for field in ["dialstatus", "cause", "soft", "variable", "value", "digit"] {
        if let Some(v) = ev.get(field) {
            if field == "value" && ev["variable"] == "BRIDGEPEER" {
                // Channel names differ between runs; whether a peer is set does not.
                k += &format!(" peer_set={}", v.as_str().is_some_and(|s| !s.is_empty()));
            } else {
                k += &format!(" {field}={v}");
            }
        }
    }
    if let Some(args) = ev.get("args") {
        k += &format!(" args={args}");
    }
    if let Some(members) = ev
        .get("bridge")
        .and_then(|b| b.get("channels"))
        .and_then(Value::as_array)
    {
        let m: Vec<String> = members
            .iter()
            .map(|c| rename(c.as_str().unwrap_or("")))
            .collect();
        k += &format!(" members={m:?}");
    }
    Some(k)
}

fn keys(events: &[Value], rename: &dyn Fn(&str) -> String) -> Vec<String> {
    events.iter().filter_map(|e| key(e, rename)).collect()
}

/// The trace's phone book (context `phones`), on the simulator's clock.
async fn simulator() -> (Simulator, AriClient) {
    let sim = Simulator::start(SimConfig {
        second: scaled(1.0),
        ..SimConfig::default()
    })
    .await
    .expect("simulator");
    sim.phone("2001", Script::answer_after(scaled(2.0)));
    sim.phone("2002", Script::busy());
    sim.phone("2003", Script::never_answer());
    sim.phone("2004", Script::congestion());
    sim.phone(
        "2005",
        Script::answer_after(scaled(4.0)).then_press("1", 34),
    );
    let client = AriClient::new(&sim.base_url(), "trace", "trace", APP).expect("client");
    // A bare WebSocket client of app `trace` so events are delivered (and the app exists).
    let url = format!("ws://{}/ari/events?app={APP}", sim.addr());
    let (ws, _) = tokio_tungstenite::connect_async(url).await.expect("ws");
    tokio::spawn(async move {
        use futures_util::StreamExt;
        let (_w, mut r) = ws.split();
        while r.next().await.is_some() {}
    });
    assert!(sim.wait_connected(APP, Duration::from_secs(5)).await);
    (sim, client)
}

fn sim_events(sim: &Simulator) -> Vec<Value> {
    sim.events().iter().map(|e| (*e.json).clone()).collect()
}

/// Waits for the simulator to reach a point of the recording (never a fixed sleep).
async fn until(sim: &Simulator, cond: impl Fn(&Simulator) -> bool) {
    assert!(
        sim.wait_until(Duration::from_secs(10), cond).await,
        "simulator never got there"
    );
}

fn logged(sim: &Simulator, kind: &str, field: &str, value: &str) -> bool {
    sim.events()
        .iter()
        .any(|e| e.kind == kind && (field.is_empty() || e.json[field] == value))
}

fn gone(sim: &Simulator, id: &str) -> bool {
    sim.destroyed(id).is_some()
}

async fn settle() {
    tokio::time::sleep(scaled(1.0)).await;
}

/// The simulator's events so far carry the same keys, in the same order, as the trace's.
fn assert_matches_trace(sim: &Simulator, trace: &str) {
    assert_eq!(
        keys(&sim_events(sim), &same),
        keys(&recorded_events(trace), &same)
    );
}

/// The app hangs the leg up and the simulator's last events come.
async fn app_hangs_up_the_leg(client: &AriClient) {
    client
        .hangup("leg-c23925", HangupReason::Normal)
        .await
        .expect("hangup");
    settle().await;
}

fn same(id: &str) -> String {
    id.to_owned()
}

async fn create_and_dial(client: &AriClient, number: &str, timeout: u32) {
    client
        .create_channel(&CreateChannel {
            endpoint: format!("Local/{number}@phones"),
            app: APP.into(),
            channel_id: Some("leg-c23925".into()),
            ..CreateChannel::default()
        })
        .await
        .expect("create");
    tokio::time::sleep(scaled(0.2)).await;
    client
        .dial("leg-c23925", None, Some(timeout))
        .await
        .expect("dial");
}

#[test]
fn every_recorded_event_parses_into_a_typed_event() {
    let mut files: Vec<_> = std::fs::read_dir(trace_dir())
        .expect("traces dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    assert!(files.len() >= 14, "all traces present");
    for path in files {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        for raw in recorded_events(&name) {
            let text = raw.to_string();
            let event = Event::parse(&text).expect("recorded event parses");
            assert!(
                !matches!(event, Event::Unknown(_)),
                "{name}: untyped {text}"
            );
            assert_eq!(event.kind(), raw["type"].as_str().unwrap_or(""), "{name}");
        }
    }
}

#[test]
fn recorded_events_route_to_the_channel_they_are_about() {
    for raw in recorded_events("create-dial-answer-callee-presses-1.jsonl") {
        let event = Event::from_value(raw);
        assert_eq!(event.channel_id(), Some("leg-c23925"), "{}", event.kind());
    }
}

#[tokio::test]
async fn answer_then_app_hangup_matches_the_trace() {
    let (sim, client) = simulator().await;
    create_and_dial(&client, "2001", 10).await;
    until(&sim, |s| logged(s, "Dial", "dialstatus", "ANSWER")).await;
    app_hangs_up_the_leg(&client).await;
    assert_matches_trace(&sim, "create-dial-answer-then-app-hangup.jsonl");
}

#[tokio::test]
async fn callee_pressing_1_matches_the_trace() {
    let (sim, client) = simulator().await;
    create_and_dial(&client, "2005", 15).await;
    until(&sim, |s| logged(s, "ChannelDtmfReceived", "", "")).await;
    app_hangs_up_the_leg(&client).await;
    assert_matches_trace(&sim, "create-dial-answer-callee-presses-1.jsonl");
}

#[tokio::test]
async fn busy_leg_stays_until_the_dial_timeout_as_in_the_trace() {
    let (sim, client) = simulator().await;
    create_and_dial(&client, "2002", 4).await;
    until(&sim, |s| gone(s, "leg-c23925")).await;
    assert_matches_trace(&sim, "create-dial-busy-left-alone-until-dial-timeout.jsonl");
}

#[tokio::test]
async fn busy_leg_hung_up_by_the_app_matches_the_trace() {
    let (sim, client) = simulator().await;
    create_and_dial(&client, "2002", 10).await;
    until(&sim, |s| logged(s, "Dial", "dialstatus", "BUSY")).await;
    client
        .hangup("leg-c23925", HangupReason::Busy)
        .await
        .expect("hangup");
    settle().await;
    assert_matches_trace(&sim, "create-dial-busy-then-app-hangup.jsonl");
}

#[tokio::test]
async fn congestion_matches_the_trace() {
    let (sim, client) = simulator().await;
    create_and_dial(&client, "2004", 10).await;
    until(&sim, |s| logged(s, "Dial", "dialstatus", "CONGESTION")).await;
    app_hangs_up_the_leg(&client).await;
    assert_matches_trace(&sim, "create-dial-congestion.jsonl");
}

#[tokio::test]
async fn no_answer_until_dial_timeout_matches_the_trace() {
    let (sim, client) = simulator().await;
    create_and_dial(&client, "2003", 4).await;
    until(&sim, |s| gone(s, "leg-c23925")).await;
    assert_matches_trace(&sim, "create-dial-noanswer-dial-timeout.jsonl");
}

#[tokio::test]
async fn nonexistent_extension_matches_the_trace() {
    let (sim, client) = simulator().await;
    create_and_dial(&client, "9999", 10).await;
    until(&sim, |s| gone(s, "leg-c23925")).await;
    let late = client.hangup("leg-c23925", HangupReason::Normal).await;
    assert_eq!(late, Err(AriError::NotFound("Channel not found".into())));
    assert_matches_trace(&sim, "create-dial-nonexistent-extension.jsonl");
}

fn originate(number: &str, args: &str, timeout: Option<u32>) -> Originate {
    Originate {
        endpoint: format!("Local/{number}@phones"),
        channel_id: Some("orig-c23925".into()),
        app: Some(APP.into()),
        app_args: Some(args.into()),
        timeout_secs: timeout,
        ..Originate::default()
    }
}

#[tokio::test]
async fn originate_answered_enters_stasis_only_on_answer_as_in_the_trace() {
    let (sim, client) = simulator().await;
    client
        .originate(&originate("2001", "wakeup,43", None))
        .await
        .expect("originate");
    until(&sim, |s| logged(s, "StasisStart", "", "")).await;
    client
        .hangup("orig-c23925", HangupReason::Normal)
        .await
        .expect("hangup");
    settle().await;
    assert_matches_trace(&sim, "originate-app-answer.jsonl");
}

#[tokio::test]
async fn originate_busy_never_enters_stasis_as_in_the_trace() {
    let (sim, client) = simulator().await;
    client
        .originate(&originate("2002", "wakeup,42", None))
        .await
        .expect("originate");
    settle().await;
    assert_matches_trace(&sim, "originate-app-busy.jsonl");
}

#[tokio::test]
async fn originate_unanswered_times_out_as_in_the_trace() {
    let (sim, client) = simulator().await;
    client
        .originate(&originate("2003", "wakeup,44", Some(4)))
        .await
        .expect("originate");
    until(&sim, |s| gone(s, "orig-c23925")).await;
    assert_matches_trace(&sim, "originate-app-noanswer-timeout.jsonl");
}

/// Recorded inbound caller ids -> "caller".
fn caller_named(recorded: &'static str) -> impl Fn(&str) -> String {
    move |id: &str| {
        if id == recorded {
            "caller".to_owned()
        } else {
            id.to_owned()
        }
    }
}

#[tokio::test]
async fn inbound_call_continued_by_the_app_matches_the_trace() {
    let (sim, client) = simulator().await;
    let caller = sim.inbound_call(APP, &["inbound".into(), "1001".into()], "", "");
    tokio::time::sleep(scaled(1.1)).await;
    let target = ringside::ari::DialplanTarget {
        context: Some("after-stasis".into()),
        extension: Some("vm".into()),
        priority: Some(1),
        label: None,
    };
    client
        .continue_in_dialplan(&caller, &target)
        .await
        .expect("continue");
    settle().await;
    let ours = caller_named(Box::leak(caller.clone().into_boxed_str()));
    assert_eq!(
        keys(&sim_events(&sim), &ours),
        keys(
            &recorded_events("inbound-stasis-ring-then-continue.jsonl"),
            &caller_named("1795426252.33")
        )
    );
}

#[tokio::test]
async fn inbound_call_bridged_then_caller_hangs_up_matches_the_trace() {
    let (sim, client) = simulator().await;
    let caller = sim.inbound_call(APP, &["inbound".into(), "1001".into()], "", "");
    tokio::time::sleep(scaled(0.2)).await;
    create_and_dial(&client, "2001", 10).await;
    until(&sim, |s| logged(s, "Dial", "dialstatus", "ANSWER")).await;
    client.answer(&caller).await.expect("answer");
    client
        .create_bridge("br-c23925", "mixing")
        .await
        .expect("bridge");
    client
        .add_channels("br-c23925", &[caller.as_str(), "leg-c23925"])
        .await
        .expect("add");
    tokio::time::sleep(scaled(2.0)).await;
    assert!(sim.hang_up(&caller));
    tokio::time::sleep(scaled(3.0)).await;
    app_hangs_up_the_leg(&client).await;
    let ours = caller_named(Box::leak(caller.clone().into_boxed_str()));
    assert_eq!(
        keys(&sim_events(&sim), &ours),
        keys(
            &recorded_events("inbound-bridged-with-leg-then-caller-hangs-up.jsonl"),
            &caller_named("1795426259.35")
        )
    );
}

#[tokio::test]
async fn call_in_stasis_survives_a_websocket_drop_without_replay_as_in_the_trace() {
    let sim = Simulator::start(SimConfig::default()).await.expect("sim");
    let client = AriClient::new(&sim.base_url(), "t", "t", APP).expect("client");
    let url = format!("ws://{}/ari/events?app={APP}", sim.addr());
    let (first, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .expect("ws");
    assert!(sim.wait_connected(APP, Duration::from_secs(5)).await);
    let caller = sim.inbound_call(APP, &["inbound".into(), "1001".into()], "", "");
    drop(first);
    assert!(
        sim.wait_until(Duration::from_secs(5), |s| !s.is_connected(APP))
            .await
    );
    // While nobody listens the call stays in Stasis.
    assert!(
        client
            .channels()
            .await
            .expect("list")
            .iter()
            .any(|c| c.id == caller)
    );
    let (second, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .expect("ws again");
    assert!(sim.wait_connected(APP, Duration::from_secs(5)).await);
    let app = client.application(APP).await.expect("app");
    assert_eq!(app.channel_ids, vec![caller.clone()]);
    assert!(sim.hang_up(&caller));
    use futures_util::StreamExt;
    let (_w, mut r) = second.split();
    let mut kinds = Vec::new();
    while kinds.len() < 2 {
        let msg = tokio::time::timeout(Duration::from_secs(5), r.next())
            .await
            .expect("event in time")
            .expect("open")
            .expect("frame");
        if let tokio_tungstenite::tungstenite::Message::Text(t) = msg {
            kinds.push(Event::parse(t.as_str()).expect("event").kind().to_owned());
        }
    }
    // Only what happens after reconnecting arrives (StasisStart is not replayed).
    let recorded: Vec<String> =
        recorded_events("websocket-drop-and-reconnect-with-call-in-stasis.jsonl")
            .iter()
            .skip(1)
            .map(|e| e["type"].as_str().unwrap_or("").to_owned())
            .collect();
    assert_eq!(kinds, recorded);
}

#[tokio::test]
async fn recorded_error_answers_become_the_same_typed_errors() {
    let (_sim, client) = simulator().await;
    let recorded: Vec<(u16, String)> = lines("rest-errors.jsonl")
        .iter()
        .filter_map(|l| l.get("rest"))
        .filter(|r| r["status"].as_u64().unwrap_or(0) >= 400)
        .map(|r| {
            let resp = &r["response"];
            let msg = resp
                .get("message")
                .or_else(|| resp.get("error"))
                .and_then(Value::as_str)
                .unwrap_or("");
            (r["status"].as_u64().unwrap_or(0) as u16, msg.to_owned())
        })
        .collect();
    let dial_missing = client.dial("nope", None, None).await;
    let dup = CreateChannel {
        endpoint: "Local/2001@phones".into(),
        app: APP.into(),
        channel_id: Some("dup-c23925".into()),
        ..CreateChannel::default()
    };
    client.create_channel(&dup).await.expect("first create");
    let duplicate = client.create_channel(&dup).await.map(|_| ());
    let bogus = client
        .create_channel(&CreateChannel {
            endpoint: "Bogus/1".into(),
            app: APP.into(),
            ..CreateChannel::default()
        })
        .await
        .map(|_| ());
    let no_app = client
        .originate(&Originate {
            endpoint: "Local/2001@phones".into(),
            ..Originate::default()
        })
        .await
        .map(|_| ());
    let var_missing = client.get_variable("nope", "X").await.map(|_| ());
    let bridge_missing = client.destroy_bridge("nope").await;
    let got = [
        dial_missing,
        duplicate,
        bogus,
        no_app,
        var_missing,
        bridge_missing,
    ];
    let expected = [
        AriError::NotFound(recorded[0].1.clone()),
        AriError::Conflict(recorded[1].1.clone()),
        AriError::Server(500, recorded[2].1.clone()),
        AriError::BadRequest(recorded[3].1.clone()),
        AriError::NotFound(recorded[4].1.clone()),
        AriError::NotFound(recorded[5].1.clone()),
    ];
    for (g, e) in got.into_iter().zip(expected) {
        assert_eq!(g, Err(e));
    }
}
