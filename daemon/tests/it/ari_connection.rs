//! The event connection against the simulator: state changes, reconnects, bad frames.

use std::time::Duration;

use ringside::ari::AriClient;
use ringside::ari::connection::{self, Backoff, ConnectionState, StreamItem};
use ringside::ari::simulator::Simulator;
use tokio_util::sync::CancellationToken;

const WAIT: Duration = Duration::from_secs(5);

async fn next_item(c: &mut connection::Connection) -> StreamItem {
    tokio::time::timeout(WAIT, c.items.recv())
        .await
        .expect("item in time")
        .expect("connection alive")
}

#[tokio::test]
async fn connects_and_reports_connected() {
    let sim = Simulator::start_default().await.expect("sim");
    let client = AriClient::new(&sim.base_url(), "u", "p", "ringside").expect("client");
    let mut c = connection::spawn(client, CancellationToken::new());
    assert!(matches!(
        next_item(&mut c).await,
        StreamItem::Connected { reconnect: false }
    ));
    assert!(c.state.borrow().is_connected());
}

#[tokio::test]
async fn reconnects_after_a_drop_and_says_so() {
    let sim = Simulator::start_default().await.expect("sim");
    let client = AriClient::new(&sim.base_url(), "u", "p", "ringside").expect("client");
    let mut c = connection::spawn(client, CancellationToken::new());
    next_item(&mut c).await;
    sim.drop_connections();
    assert!(matches!(
        next_item(&mut c).await,
        StreamItem::Disconnected { .. }
    ));
    assert!(matches!(
        next_item(&mut c).await,
        StreamItem::Connected { reconnect: true }
    ));
}

#[tokio::test]
async fn keeps_retrying_while_asterisk_refuses_and_connects_when_it_is_up() {
    let sim = Simulator::start_default().await.expect("sim");
    sim.refuse_websockets(true);
    let client = AriClient::new(&sim.base_url(), "u", "p", "ringside").expect("client");
    let backoff = Backoff::new(Duration::from_millis(5), Duration::from_millis(20));
    let mut c = connection::spawn_with_backoff(client, CancellationToken::new(), backoff);
    let mut state = c.state.clone();
    tokio::time::timeout(
        WAIT,
        state.wait_for(|s| matches!(s, ConnectionState::Disconnected { .. })),
    )
    .await
    .expect("in time")
    .expect("state");
    sim.refuse_websockets(false);
    assert!(matches!(
        next_item(&mut c).await,
        StreamItem::Connected { .. }
    ));
}

#[tokio::test]
async fn malformed_frame_is_skipped_and_the_next_event_arrives() {
    let sim = Simulator::start_default().await.expect("sim");
    let client = AriClient::new(&sim.base_url(), "u", "p", "ringside").expect("client");
    let mut c = connection::spawn(client, CancellationToken::new());
    next_item(&mut c).await;
    sim.inject_raw("ringside", "{\"type\": \"Dial\", \"peer\": {");
    sim.inject_raw(
        "ringside",
        "{\"type\": \"Dial\", \"dialstatus\": \"BUSY\", \"peer\": {\"id\": \"leg\"}}",
    );
    let StreamItem::Event(e) = next_item(&mut c).await else {
        panic!("expected an event")
    };
    assert_eq!(e.event.channel_id(), Some("leg"));
    assert!(c.state.borrow().is_connected());
}

#[tokio::test]
async fn stop_ends_the_connection_with_state_stopped() {
    let sim = Simulator::start_default().await.expect("sim");
    let client = AriClient::new(&sim.base_url(), "u", "p", "ringside").expect("client");
    let stop = CancellationToken::new();
    let mut c = connection::spawn(client, stop.clone());
    next_item(&mut c).await;
    stop.cancel();
    tokio::time::timeout(WAIT, c.task)
        .await
        .expect("stops")
        .expect("no panic");
    assert_eq!(*c.state.borrow(), ConnectionState::Stopped);
}

#[tokio::test]
async fn unreachable_asterisk_is_reported_disconnected_with_the_reason() {
    let client = AriClient::new("http://127.0.0.1:9/ari", "u", "p", "ringside").expect("client");
    let c = connection::spawn(client, CancellationToken::new());
    let mut state = c.state.clone();
    let s = tokio::time::timeout(
        WAIT,
        state.wait_for(|s| matches!(s, ConnectionState::Disconnected { .. })),
    )
    .await
    .expect("in time")
    .expect("state")
    .clone();
    let ConnectionState::Disconnected { reason, .. } = s else {
        unreachable!()
    };
    assert!(!reason.is_empty());
}
