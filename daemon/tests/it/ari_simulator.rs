//! The ARI simulator's own behaviour beyond the recorded traces: playbacks, dialplan
//! contexts scripted by hooks, injected failures, authentication, app replacement.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use ringside::ari::simulator::{ContextAction, LegEventOrder, Script, SimConfig, Simulator};
use ringside::ari::{AriClient, AriError, CreateChannel, Event, Originate};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

const WAIT: Duration = Duration::from_secs(5);

type Socket = futures_util::stream::SplitStream<
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
>;

async fn listen(sim: &Simulator, app: &str) -> Socket {
    let url = format!("ws://{}/ari/events?app={app}", sim.addr());
    let (ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("ws connects");
    assert!(sim.wait_connected(app, WAIT).await);
    ws.split().1
}

async fn next_event(socket: &mut Socket) -> Event {
    loop {
        let msg = tokio::time::timeout(WAIT, socket.next())
            .await
            .expect("event in time")
            .expect("socket open")
            .expect("frame");
        if let Message::Text(t) = msg {
            return Event::parse(t.as_str()).expect("valid event");
        }
    }
}

async fn next_of(socket: &mut Socket, kind: &str) -> Event {
    loop {
        let e = next_event(socket).await;
        if e.kind() == kind {
            return e;
        }
    }
}

async fn setup() -> (Simulator, AriClient, Socket) {
    let sim = Simulator::start_default().await.expect("sim");
    let client = AriClient::new(&sim.base_url(), "u", "p", "ringside").expect("client");
    let socket = listen(&sim, "ringside").await;
    (sim, client, socket)
}

async fn answered_leg(sim: &Simulator, client: &AriClient, socket: &mut Socket) -> String {
    sim.phone("2001", Script::answer_after_ms(5));
    dial_leg(client, "PJSIP/2001").await;
    loop {
        if let Event::Dial(d) = next_of(socket, "Dial").await {
            if d.dialstatus == "ANSWER" {
                return "leg".into();
            }
        }
    }
}

#[tokio::test]
async fn playback_finishes_after_its_configured_duration() {
    let (sim, client, mut socket) = setup().await;
    let leg = answered_leg(&sim, &client, &mut socket).await;
    sim.set_media_duration("sound:hello-world", Duration::from_millis(80));
    let started = std::time::Instant::now();
    let pb = client
        .play(&leg, "pb-1", "sound:hello-world")
        .await
        .expect("play");
    assert_eq!(pb.target_uri, "channel:leg");
    let Event::PlaybackStarted(s) = next_of(&mut socket, "PlaybackStarted").await else {
        unreachable!()
    };
    assert_eq!(s.playback.state, "playing");
    let Event::PlaybackFinished(f) = next_of(&mut socket, "PlaybackFinished").await else {
        unreachable!()
    };
    assert_eq!(
        (f.playback.id.as_str(), f.playback.state.as_str()),
        ("pb-1", "done")
    );
    assert!(started.elapsed() >= Duration::from_millis(80));
}

#[tokio::test]
async fn stopping_a_playback_finishes_it_at_once() {
    let (sim, client, mut socket) = setup().await;
    let leg = answered_leg(&sim, &client, &mut socket).await;
    sim.set_media_duration("sound:long", Duration::from_secs(60));
    client.play(&leg, "pb-2", "sound:long").await.expect("play");
    client.stop_playback("pb-2").await.expect("stop");
    let e = next_of(&mut socket, "PlaybackFinished").await;
    assert_eq!(e.channel_id(), Some("leg"));
    assert_eq!(
        client.stop_playback("pb-2").await,
        Err(AriError::NotFound("Playback not found".into()))
    );
}

#[tokio::test]
async fn context_hook_scripts_an_originated_channel() {
    let (sim, client, mut socket) = setup().await;
    sim.phone("0049301234", Script::answer_after_ms(5));
    sim.on_context(
        "ringside-fax-out",
        Arc::new(|call| {
            let mut fields = serde_json::Map::new();
            fields.insert("pages".into(), json!("2"));
            vec![
                ContextAction::SetVar {
                    name: "FAXSTATUS".into(),
                    value: "SUCCESS".into(),
                },
                ContextAction::UserEvent {
                    name: format!("FaxDone-{}", call.extension),
                    fields,
                },
                ContextAction::Wait(Duration::from_millis(10)),
                ContextAction::Hangup { cause: 16 },
            ]
        }),
    );
    client
        .originate(&Originate {
            endpoint: "Local/0049301234@ringside-outbound".into(),
            channel_id: Some("fax-1".into()),
            context: Some("ringside-fax-out".into()),
            extension: Some("s".into()),
            priority: Some(1),
            ..Originate::default()
        })
        .await
        .expect("originate");
    client
        .subscribe("ringside", "channel:fax-1")
        .await
        .expect("subscribe");
    let Event::ChannelVarset(v) = next_of(&mut socket, "ChannelVarset").await else {
        unreachable!()
    };
    assert_eq!(
        (v.variable.as_str(), v.value.as_str()),
        ("FAXSTATUS", "SUCCESS")
    );
    let Event::ChannelUserevent(u) = next_of(&mut socket, "ChannelUserevent").await else {
        unreachable!()
    };
    assert_eq!(u.eventname, "FaxDone-s");
    assert_eq!(u.userevent["pages"], "2");
    let Event::ChannelDestroyed(d) = next_of(&mut socket, "ChannelDestroyed").await else {
        unreachable!()
    };
    assert_eq!(d.cause, 16);
}

#[tokio::test]
async fn injected_500_is_answered_once_then_the_real_thing() {
    let (_sim, client, _socket) = setup().await;
    _sim.fail_next(
        "GET",
        "/asterisk/ping",
        500,
        json!({"message": "Internal Server Error"}),
        1,
    );
    assert_eq!(
        client.ping().await,
        Err(AriError::Server(500, "Internal Server Error".into()))
    );
    assert_eq!(client.ping().await.expect("second ping").ping, "pong");
}

#[tokio::test]
async fn rest_calls_are_logged_with_their_parameters_and_status() {
    let (sim, client, _socket) = setup().await;
    let _ = client
        .hangup("ghost", ringside::ari::HangupReason::Busy)
        .await;
    let log = sim.rest_calls();
    let last = log.last().expect("logged");
    assert_eq!(
        (last.method.as_str(), last.path.as_str(), last.status),
        ("DELETE", "/channels/ghost", 404)
    );
    assert_eq!(last.query.get("reason").map(String::as_str), Some("busy"));
}

#[tokio::test]
async fn inbound_call_without_a_connected_app_fails_stasis_and_continues() {
    let sim = Simulator::start_default().await.expect("sim");
    let id = sim.inbound_call("ringside", &["followme".into(), "1001".into()], "555", "");
    let c = sim.channel(&id).expect("channel");
    assert_eq!(
        c.vars.get("STASISSTATUS").map(String::as_str),
        Some("FAILED")
    );
    assert_eq!(c.continued.map(|t| t.priority), Some(2));
}

#[tokio::test]
async fn wrong_credentials_are_rejected_with_401() {
    let sim = Simulator::start(SimConfig {
        credentials: Some(("ringside".into(), "secret".into())),
        ..SimConfig::default()
    })
    .await
    .expect("sim");
    let wrong = AriClient::new(&sim.base_url(), "ringside", "nope", "ringside").expect("client");
    assert_eq!(wrong.ping().await, Err(AriError::Unauthorized(401)));
    let right = AriClient::new(&sim.base_url(), "ringside", "secret", "ringside").expect("client");
    assert!(right.ping().await.is_ok());
}

#[tokio::test]
async fn second_connection_for_an_app_replaces_the_first() {
    let sim = Simulator::start_default().await.expect("sim");
    let mut first = listen(&sim, "ringside").await;
    let _second = listen(&sim, "ringside").await;
    assert_eq!(next_event(&mut first).await.kind(), "ApplicationReplaced");
}

#[tokio::test]
async fn answering_a_channel_outside_stasis_is_a_precondition_failure() {
    let (sim, client, _socket) = setup().await;
    let id = sim.inbound_call("other-app", &["x".into()], "555", "");
    assert!(matches!(
        client.answer(&id).await,
        Err(AriError::PreconditionFailed(_))
    ));
}

#[tokio::test]
async fn dropped_websocket_loses_events_sent_meanwhile() {
    let (sim, client, _socket) = setup().await;
    sim.drop_connections();
    assert!(sim.wait_until(WAIT, |s| !s.is_connected("ringside")).await);
    sim.phone("2001", Script::answer_after_ms(5));
    client
        .create_channel(&CreateChannel {
            endpoint: "PJSIP/2001".into(),
            app: "ringside".into(),
            channel_id: Some("x".into()),
            ..CreateChannel::default()
        })
        .await
        .expect("create");
    assert!(
        sim.events()
            .iter()
            .filter(|e| e.channel_id.as_deref() == Some("x"))
            .all(|e| !e.delivered)
    );
}

async fn dial_unreachable_leg(sim: &Simulator, client: &AriClient, order: LegEventOrder) {
    sim.set_leg_event_order(order);
    sim.phone("2009", Script::hangs_up_with(20));
    dial_leg(client, "PJSIP/2009").await;
}

/// Creates channel `leg` to `endpoint` in the app and dials it.
async fn dial_leg(client: &AriClient, endpoint: &str) {
    client
        .create_channel(&CreateChannel {
            endpoint: endpoint.into(),
            app: "ringside".into(),
            channel_id: Some("leg".into()),
            ..CreateChannel::default()
        })
        .await
        .expect("create");
    client.dial("leg", None, None).await.expect("dial");
}

fn leg_dial_statuses(sim: &Simulator) -> Vec<String> {
    sim.events()
        .into_iter()
        .filter(|e| e.kind == "Dial")
        .filter_map(|e| e.json["dialstatus"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn device_hanging_up_with_a_cause_reports_chanunavail_then_leaves_with_that_cause() {
    let (sim, client, _socket) = setup().await;
    dial_unreachable_leg(&sim, &client, LegEventOrder::AsItHappens).await;
    assert!(sim.wait_until(WAIT, |s| s.destroyed("leg").is_some()).await);
    assert_eq!(leg_dial_statuses(&sim), ["", "CHANUNAVAIL"]);
    assert_eq!(sim.destroyed("leg").map(|(_, c)| c), Some(20));
}

#[tokio::test]
async fn events_first_order_delivers_a_legs_events_before_the_dial_answer() {
    let (sim, client, mut socket) = setup().await;
    // Each frame's arrival time, read while the dial is under way.
    let reader = tokio::spawn(async move {
        loop {
            let e = next_event(&mut socket).await;
            if e.kind() == "ChannelDestroyed" {
                return std::time::Instant::now();
            }
        }
    });
    dial_unreachable_leg(&sim, &client, LegEventOrder::EventsFirst).await;
    let answered = std::time::Instant::now();
    let destroyed = tokio::time::timeout(WAIT, reader)
        .await
        .expect("ChannelDestroyed in time")
        .expect("reader");
    assert!(
        destroyed < answered,
        "the leg's end arrived after the dial's answer"
    );
}

#[tokio::test]
async fn answer_first_order_sends_a_legs_events_after_the_dial_answer() {
    let (sim, client, _socket) = setup().await;
    dial_unreachable_leg(&sim, &client, LegEventOrder::AnswerFirst).await;
    assert!(
        leg_dial_statuses(&sim).is_empty(),
        "Dial sent before the answer"
    );
    assert!(sim.wait_until(WAIT, |s| s.destroyed("leg").is_some()).await);
    assert_eq!(leg_dial_statuses(&sim), ["", "CHANUNAVAIL"]);
}

#[tokio::test]
async fn stasis_device_state_can_be_set_and_read() {
    let (sim, client, _socket) = setup().await;
    client
        .set_device_state("Stasis:DND1001", "BUSY")
        .await
        .expect("set");
    assert_eq!(sim.device_state("Stasis:DND1001").as_deref(), Some("BUSY"));
}

#[tokio::test]
async fn device_state_outside_the_stasis_scheme_is_refused_as_uncontrolled() {
    let (_sim, client, _socket) = setup().await;
    let err = client
        .set_device_state("Custom:DND1001", "BUSY")
        .await
        .expect_err("refused");
    assert!(matches!(err, AriError::Conflict(_)), "{err:?}");
}

#[tokio::test]
async fn unknown_device_state_value_is_a_bad_request() {
    let (_sim, client, _socket) = setup().await;
    let err = client
        .set_device_state("Stasis:DND1001", "ASLEEP")
        .await
        .expect_err("refused");
    assert!(matches!(err, AriError::BadRequest(_)), "{err:?}");
}
