//! How REST calls travel: over the event WebSocket on an Asterisk that supports it (22.4+),
//! over HTTP otherwise or when configured so, and what happens to a request in flight when the
//! socket goes away.

use std::time::Duration;

use ringside::ari::connection::{self, StreamItem};
use ringside::ari::simulator::{Script, Simulator};
use ringside::ari::{AriClient, AriError, CreateChannel};
use ringside::config::RestTransport;
use tokio_util::sync::CancellationToken;

const WAIT: Duration = Duration::from_secs(5);

/// A client connected to `sim` with the given transport; returns once the connection reports
/// itself connected (the transport is chosen before that).
async fn connected(
    sim: &Simulator,
    transport: RestTransport,
) -> (AriClient, connection::Connection, CancellationToken) {
    let client = AriClient::new(&sim.base_url(), "u", "p", "ringside")
        .expect("client")
        .with_rest_transport(transport);
    let stop = CancellationToken::new();
    let mut conn = connection::spawn(client.clone(), stop.clone());
    let first = tokio::time::timeout(WAIT, conn.items.recv())
        .await
        .expect("connects in time");
    assert!(matches!(first, Some(StreamItem::Connected { .. })));
    (client, conn, stop)
}

fn leg(id: &str) -> CreateChannel {
    CreateChannel {
        endpoint: "PJSIP/2001".into(),
        app: "ringside".into(),
        channel_id: Some(id.into()),
        ..CreateChannel::default()
    }
}

#[tokio::test]
async fn rest_calls_use_the_websocket_on_asterisk_22_4_and_later() {
    let sim = Simulator::start_default().await.expect("sim");
    sim.phone("2001", Script::never_answer());
    let (client, _conn, _stop) = connected(&sim, RestTransport::Auto).await;
    let channel = client.create_channel(&leg("leg-1")).await.expect("created");
    assert_eq!(channel.id, "leg-1");
    client.dial("leg-1", None, Some(30)).await.expect("dialled");
    let over_ws = sim
        .rest_calls()
        .iter()
        .filter(|c| c.over_websocket && c.path.starts_with("/channels"))
        .count();
    assert_eq!(over_ws, 2, "{:#?}", sim.rest_calls());
}

#[tokio::test]
async fn errors_over_the_websocket_are_the_same_typed_errors() {
    let sim = Simulator::start_default().await.expect("sim");
    let (client, _conn, _stop) = connected(&sim, RestTransport::Websocket).await;
    let gone = client.answer("no-such-channel").await;
    assert!(matches!(gone, Err(AriError::NotFound(_))), "{gone:?}");
    assert_eq!(sim.rest_calls_over_websocket(), 1);
}

#[tokio::test]
async fn request_bodies_arrive_over_the_websocket() {
    let sim = Simulator::start_default().await.expect("sim");
    sim.phone("2001", Script::never_answer());
    let (client, _conn, _stop) = connected(&sim, RestTransport::Websocket).await;
    let mut request = leg("leg-2");
    request
        .variables
        .insert("CALLERID(num)".into(), "5550100".into());
    client.create_channel(&request).await.expect("created");
    let create = sim
        .rest_calls()
        .into_iter()
        .find(|c| c.path == "/channels/create")
        .expect("create logged");
    assert!(create.over_websocket);
    assert_eq!(
        create.body.expect("body")["variables"]["CALLERID(num)"],
        "5550100"
    );
    assert_eq!(
        create.query.get("endpoint").map(String::as_str),
        Some("PJSIP/2001")
    );
}

#[tokio::test]
async fn asterisk_before_22_4_gets_rest_over_http() {
    let sim = Simulator::start_default().await.expect("sim");
    sim.set_asterisk_version("22.3.0");
    let (client, _conn, _stop) = connected(&sim, RestTransport::Auto).await;
    client.ping().await.expect("pong");
    assert!(!client.rest_over_ws().is_attached());
    assert_eq!(sim.rest_calls_over_websocket(), 0);
}

#[tokio::test]
async fn http_transport_setting_keeps_rest_on_http() {
    let sim = Simulator::start_default().await.expect("sim");
    let (client, _conn, _stop) = connected(&sim, RestTransport::Http).await;
    client.ping().await.expect("pong");
    assert_eq!(sim.rest_calls_over_websocket(), 0);
    assert!(!sim.rest_calls().is_empty());
}

/// A client whose requests go over the WebSocket of an Asterisk that ignores them there, so
/// they are still waiting when `drop_in_flight` closes the socket.
async fn stalled_on_the_socket(
    sim: &Simulator,
) -> (AriClient, connection::Connection, CancellationToken) {
    sim.set_asterisk_version("22.0.0");
    connected(sim, RestTransport::Websocket).await
}

/// Closes the event socket once `client` has exactly one request waiting on it, and returns
/// what that request came to.
async fn drop_in_flight<T: Send + 'static>(
    sim: &Simulator,
    client: &AriClient,
    request: impl std::future::Future<Output = T> + Send + 'static,
) -> T {
    let waiting = tokio::spawn(request);
    assert!(
        sim.wait_until(WAIT, |_| client.rest_over_ws().in_flight() == 1)
            .await
    );
    sim.drop_connections();
    tokio::time::timeout(Duration::from_secs(2), waiting)
        .await
        .expect("settled before the request timeout")
        .expect("task")
}

/// A second client on plain HTTP, standing in for a first attempt that reached Asterisk.
fn over_http(sim: &Simulator) -> AriClient {
    AriClient::new(&sim.base_url(), "u", "p", "ringside")
        .expect("client")
        .with_rest_transport(RestTransport::Http)
}

fn http_calls(sim: &Simulator, method: &str, path: &str) -> Vec<u16> {
    sim.rest_calls()
        .iter()
        .filter(|c| !c.over_websocket && c.method == method && c.path == path)
        .map(|c| c.status)
        .collect()
}

#[tokio::test]
async fn a_read_whose_answer_is_lost_with_the_socket_is_repeated_over_http() {
    let sim = Simulator::start_default().await.expect("sim");
    let (client, _conn, _stop) = stalled_on_the_socket(&sim).await;
    let c = client.clone();
    let result = drop_in_flight(&sim, &client, async move { c.ping().await }).await;
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(http_calls(&sim, "GET", "/asterisk/ping"), vec![200]);
}

#[tokio::test]
async fn a_dial_asterisk_already_carried_out_counts_as_done_when_its_answer_is_lost() {
    let sim = Simulator::start_default().await.expect("sim");
    sim.phone("2001", Script::never_answer());
    let (client, _conn, _stop) = stalled_on_the_socket(&sim).await;
    // The first attempt "reached" Asterisk: the leg is dialling already.
    let http = over_http(&sim);
    http.create_channel(&leg("leg-1")).await.expect("created");
    http.dial("leg-1", None, Some(30)).await.expect("dialled");
    let c = client.clone();
    let result = drop_in_flight(&sim, &client, async move {
        c.dial("leg-1", None, Some(30)).await
    })
    .await;
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(
        http_calls(&sim, "POST", "/channels/leg-1/dial"),
        vec![204, 409],
        "dialled once; the repeat was refused as already dialling"
    );
}

#[tokio::test]
async fn a_create_whose_answer_is_lost_returns_the_channel_asterisk_made() {
    let sim = Simulator::start_default().await.expect("sim");
    sim.phone("2001", Script::never_answer());
    let (client, _conn, _stop) = stalled_on_the_socket(&sim).await;
    let http = over_http(&sim);
    http.create_channel(&leg("leg-2")).await.expect("created");
    let c = client.clone();
    let result = drop_in_flight(&sim, &client, async move {
        c.create_channel(&leg("leg-2")).await
    })
    .await;
    assert_eq!(result.expect("read back").id, "leg-2");
    assert_eq!(http_calls(&sim, "GET", "/channels/leg-2"), vec![200]);
}

#[tokio::test]
async fn an_originate_without_an_id_whose_answer_is_lost_is_not_repeated() {
    let sim = Simulator::start_default().await.expect("sim");
    sim.phone("2001", Script::never_answer());
    let (client, _conn, _stop) = stalled_on_the_socket(&sim).await;
    let c = client.clone();
    let result = drop_in_flight(&sim, &client, async move {
        c.originate(&ringside::ari::Originate {
            endpoint: "PJSIP/2001".into(),
            app: Some("ringside".into()),
            ..Default::default()
        })
        .await
    })
    .await;
    assert!(matches!(result, Err(AriError::Transport(_))), "{result:?}");
    assert!(
        http_calls(&sim, "POST", "/channels").is_empty(),
        "no second call"
    );
}

#[tokio::test]
async fn requests_after_a_drop_use_http_until_the_socket_is_back() {
    let sim = Simulator::start_default().await.expect("sim");
    let (client, mut conn, _stop) = connected(&sim, RestTransport::Auto).await;
    sim.refuse_websockets(true);
    sim.drop_connections();
    let dropped = tokio::time::timeout(WAIT, conn.items.recv())
        .await
        .expect("drop noticed");
    assert!(matches!(dropped, Some(StreamItem::Disconnected { .. })));
    client.ping().await.expect("pong over HTTP");
    assert_eq!(sim.rest_calls_over_websocket(), 0);
    sim.refuse_websockets(false);
    let back = tokio::time::timeout(WAIT, conn.items.recv())
        .await
        .expect("reconnects");
    assert!(matches!(
        back,
        Some(StreamItem::Connected { reconnect: true })
    ));
    client.ping().await.expect("pong over the socket");
    assert_eq!(sim.rest_calls_over_websocket(), 1);
}

/// Sends one text frame on a raw event WebSocket and returns the next `RESTResponse`.
async fn raw_exchange(sim: &Simulator, text: &str) -> serde_json::Value {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let url = format!("ws://{}/ari/events?app=raw&api_key=u:p", sim.addr());
    let (mut socket, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .expect("websocket");
    socket
        .send(Message::Text(text.to_owned().into()))
        .await
        .expect("sent");
    loop {
        let frame = tokio::time::timeout(WAIT, socket.next())
            .await
            .expect("answer in time")
            .expect("open")
            .expect("frame");
        if let Message::Text(t) = frame {
            let v: serde_json::Value = serde_json::from_str(t.as_str()).expect("json");
            if v["type"] == "RESTResponse" {
                return v;
            }
        }
    }
}

#[tokio::test]
async fn simulator_answers_a_message_of_another_type_with_400_like_asterisk() {
    let sim = Simulator::start_default().await.expect("sim");
    let answer = raw_exchange(
        &sim,
        r#"{"type":"Hello","request_id":"r1","method":"GET","uri":"asterisk/ping"}"#,
    )
    .await;
    assert_eq!(answer["status_code"], 400);
    assert_eq!(answer["request_id"], "r1");
}

#[tokio::test]
async fn simulator_echoes_the_uri_without_its_query_like_asterisk() {
    let sim = Simulator::start_default().await.expect("sim");
    let answer = raw_exchange(
        &sim,
        r#"{"type":"RESTRequest","request_id":"r2","method":"GET","uri":"asterisk/info?only=system"}"#,
    )
    .await;
    assert_eq!(answer["status_code"], 200);
    assert_eq!(answer["uri"], "asterisk/info");
    assert_eq!(answer["content_type"], "application/json");
    let body: serde_json::Value =
        serde_json::from_str(answer["message_body"].as_str().expect("body text")).expect("json");
    assert!(body["system"]["version"].is_string());
}
