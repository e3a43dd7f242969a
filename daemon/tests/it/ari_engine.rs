//! The Stasis dispatcher: routing by the first Stasis argument, routing later events to the
//! flow that claimed a channel, and claims made before a channel exists.

use std::time::Duration;

use ringside::ari::connection;
use ringside::ari::simulator::{Script, Simulator};
use ringside::ari::{AriClient, Event, Originate};
use ringside::flows::dispatch::{Engine, FlowCall, FlowFuture, FlowInput};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

const WAIT: Duration = Duration::from_secs(5);

async fn start(engine: Engine, client: &AriClient, sim: &Simulator) -> CancellationToken {
    let stop = CancellationToken::new();
    let conn = connection::spawn(client.clone(), stop.clone());
    tokio::spawn(engine.run(conn.items, stop.clone()));
    assert!(sim.wait_connected("ringside", WAIT).await);
    stop
}

#[tokio::test]
async fn stasis_start_goes_to_the_flow_named_by_its_first_argument() {
    let sim = Simulator::start_default().await.expect("sim");
    let client = AriClient::new(&sim.base_url(), "u", "p", "ringside").expect("client");
    let (tx, mut rx) = mpsc::unbounded_channel::<(Vec<String>, String)>();
    let handler = move |call: FlowCall| -> FlowFuture {
        let tx = tx.clone();
        Box::pin(async move {
            let _ = tx.send((call.start.args.clone(), call.start.channel.id.clone()));
        })
    };
    let engine = Engine::builder(client.clone())
        .route("wakeup", handler)
        .build();
    let stop = start(engine, &client, &sim).await;
    let id = sim.inbound_call("ringside", &["wakeup".into(), "42".into()], "", "");
    let (args, channel) = tokio::time::timeout(WAIT, rx.recv())
        .await
        .expect("in time")
        .expect("routed");
    assert_eq!(args, ["wakeup", "42"]);
    assert_eq!(channel, id);
    stop.cancel();
}

#[tokio::test]
async fn events_of_a_channel_claimed_before_originate_reach_the_claimer() {
    let sim = Simulator::start_default().await.expect("sim");
    sim.phone("2002", Script::busy());
    let client = AriClient::new(&sim.base_url(), "u", "p", "ringside").expect("client");
    let engine = Engine::builder(client.clone()).build();
    let registry = engine.registry();
    let stop = start(engine, &client, &sim).await;
    let mut inbox = registry.new_inbox();
    inbox.claim("wake-1");
    client
        .originate(&Originate {
            endpoint: "PJSIP/2002".into(),
            channel_id: Some("wake-1".into()),
            app: Some("ringside".into()),
            app_args: Some("wakeup,1".into()),
            ..Originate::default()
        })
        .await
        .expect("originate");
    let mut kinds = Vec::new();
    while !kinds.iter().any(|k| k == "ChannelDestroyed") {
        let msg = tokio::time::timeout(WAIT, inbox.recv())
            .await
            .expect("in time")
            .expect("open");
        if let FlowInput::Event { event, .. } = msg {
            if let Event::Dial(d) = &*event {
                kinds.push(format!("Dial {}", d.dialstatus));
            } else {
                kinds.push(event.kind().to_owned());
            }
        }
    }
    assert_eq!(kinds, ["Dial ", "Dial BUSY", "ChannelDestroyed"]);
    stop.cancel();
}

#[tokio::test]
async fn dropping_an_inbox_releases_its_channels() {
    let client = AriClient::new("http://127.0.0.1:9/ari", "u", "p", "ringside").expect("client");
    let engine = Engine::builder(client.clone()).build();
    let registry = engine.registry();
    let mut inbox = registry.new_inbox();
    inbox.claim("a");
    assert!(registry.is_owned("a"));
    drop(inbox);
    assert!(!registry.is_owned("a"));
}
