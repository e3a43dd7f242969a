//! Waiting on the ARI simulator for what a flow did with an inbound call.

use std::time::Duration;

use ringside::ari::simulator::{Continued, Simulator};
use ringside::ari::{AriClient, connection};
use ringside::flows::dispatch::{Engine, StasisHandler};
use tokio_util::sync::CancellationToken;

/// Runs `flow` as the `followme` route of an engine connected to `sim` through `client`,
/// until the token is cancelled; returns once the app is connected.
pub async fn run_followme_route(
    sim: &Simulator,
    client: AriClient,
    flow: impl StasisHandler,
    wait: Duration,
) -> (CancellationToken, tokio::task::JoinHandle<()>) {
    let stop = CancellationToken::new();
    let conn = connection::spawn(client.clone(), stop.clone());
    let engine = Engine::builder(client).route("followme", flow).build();
    let engine = tokio::spawn(engine.run(conn.items, stop.clone()));
    assert!(
        sim.wait_connected("ringside", wait).await,
        "daemon connects"
    );
    (stop, engine)
}

/// Where `caller` was sent back into the dialplan, once it has left Stasis (within `wait`).
pub async fn wait_continued(sim: &Simulator, caller: &str, wait: Duration) -> Continued {
    let ok = sim
        .wait_until(wait, |s| {
            s.channel(caller).is_some_and(|c| c.continued.is_some())
        })
        .await;
    assert!(
        ok,
        "caller {caller} never left Stasis: {:#?}",
        sim.channel(caller)
    );
    sim.channel(caller)
        .and_then(|c| c.continued)
        .expect("continued")
}

/// The channel `caller` is bridged with, once a two-party bridge holds both (within `wait`).
pub async fn wait_bridged(sim: &Simulator, caller: &str, wait: Duration) -> String {
    let ok = sim
        .wait_until(wait, |s| {
            s.channel(caller).and_then(|c| c.bridge).is_some_and(|b| {
                s.bridges()
                    .iter()
                    .any(|x| x.id == b && x.channels.len() == 2)
            })
        })
        .await;
    assert!(ok, "caller {caller} never bridged: {:#?}", sim.channels());
    let bridge = sim.channel(caller).and_then(|c| c.bridge).expect("bridge");
    sim.bridges()
        .into_iter()
        .find(|b| b.id == bridge)
        .expect("bridge exists")
        .channels
        .into_iter()
        .find(|m| m != caller)
        .expect("a callee")
}
