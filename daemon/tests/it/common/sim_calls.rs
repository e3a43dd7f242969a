//! Waiting on the ARI simulator for what a flow did with an inbound call.

use std::time::Duration;

use ringside::ari::simulator::{Continued, Simulator};

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
