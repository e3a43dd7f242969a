//! The ARI event WebSocket: connect, read typed events, reconnect with backoff, and publish
//! the connection state. On Asterisk versions that take REST requests on this socket it also
//! carries the client's requests out and their `RESTResponse`s back (see [`super::rest_ws`]).
//!
//! Reconnects use exponential backoff with jitter (100 ms doubling to a 5 s cap, each wait
//! drawn between half and all of the current step) so that many daemons restarting together
//! do not hammer Asterisk in step. Each state change is logged once and published on a
//! `watch` channel (the portal's status page reads it). A frame that is not JSON is logged
//! and skipped. Reconciling call state after a reconnect is the engine's job, not this
//! module's: it only reports `Connected { reconnect: true }`.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use super::client::{AriClient, AriError};
use super::events::Event;
use super::rest_ws;
use crate::config::RestTransport;

/// The event connection's state as the rest of the daemon sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionState {
    /// Trying to connect (first time or again); `attempt` counts failures so far.
    Connecting {
        since: DateTime<Utc>,
        attempt: u32,
    },
    Connected {
        since: DateTime<Utc>,
    },
    Disconnected {
        since: DateTime<Utc>,
        reason: String,
    },
    /// Shut down on purpose.
    Stopped,
}

impl ConnectionState {
    pub fn is_connected(&self) -> bool {
        matches!(self, ConnectionState::Connected { .. })
    }
}

/// An event with the instant its frame was read (for latency measurements).
#[derive(Debug, Clone)]
pub struct ReceivedEvent {
    /// Boxed so queues of events stay small (an `Event` is several hundred bytes).
    pub event: Box<Event>,
    pub received_at: Instant,
}

/// What the connection hands to the engine, in order.
#[derive(Debug, Clone)]
pub enum StreamItem {
    /// The WebSocket is open; `reconnect` is true after the first time.
    Connected {
        reconnect: bool,
    },
    Event(ReceivedEvent),
    Disconnected {
        reason: String,
    },
}

/// Exponential backoff with jitter. Pure: the caller supplies the random fraction.
#[derive(Debug, Clone)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
    attempt: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Self::new(Duration::from_millis(100), Duration::from_secs(5))
    }
}

impl Backoff {
    pub fn new(base: Duration, cap: Duration) -> Self {
        Self {
            base,
            cap,
            attempt: 0,
        }
    }

    /// The wait before the next attempt; `fraction` in `[0, 1)` picks the jitter.
    pub fn next_delay(&mut self, fraction: f64) -> Duration {
        let step = self
            .base
            .saturating_mul(1u32 << self.attempt.min(16))
            .min(self.cap);
        self.attempt = self.attempt.saturating_add(1);
        let fraction = fraction.clamp(0.0, 1.0);
        step.div_f64(2.0).mul_f64(1.0 + fraction)
    }

    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    pub fn attempts(&self) -> u32 {
        self.attempt
    }
}

/// `http://host:8088/ari` -> `ws://host:8088/ari/events?app=..&subscribeAll=false&api_key=..`.
pub fn events_url(client: &AriClient) -> Result<String, AriError> {
    let mut url = reqwest::Url::parse(&format!("{}/events", client.base_url()))
        .map_err(|e| AriError::BadRequest(format!("ARI URL {:?}: {e}", client.base_url())))?;
    let scheme = match url.scheme() {
        "http" => "ws",
        "https" => "wss",
        other => {
            return Err(AriError::BadRequest(format!(
                "ARI URL must be http:// or https://, not {other}://"
            )));
        }
    };
    url.set_scheme(scheme)
        .map_err(|_| AriError::BadRequest("cannot build the events URL".into()))?;
    url.query_pairs_mut()
        .append_pair("app", client.app())
        .append_pair("subscribeAll", "false")
        .append_pair(
            "api_key",
            &format!("{}:{}", client.username(), client.password()),
        );
    Ok(url.to_string())
}

/// Handle to a running connection task.
pub struct Connection {
    pub state: watch::Receiver<ConnectionState>,
    pub items: mpsc::UnboundedReceiver<StreamItem>,
    pub task: tokio::task::JoinHandle<()>,
}

/// Starts the connection loop; it runs until `stop` is cancelled.
pub fn spawn(client: AriClient, stop: CancellationToken) -> Connection {
    spawn_with_backoff(client, stop, Backoff::default())
}

pub fn spawn_with_backoff(
    client: AriClient,
    stop: CancellationToken,
    backoff: Backoff,
) -> Connection {
    let (state_tx, state_rx) = watch::channel(ConnectionState::Connecting {
        since: Utc::now(),
        attempt: 0,
    });
    let (tx, rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(run(client, stop, backoff, state_tx, tx));
    Connection {
        state: state_rx,
        items: rx,
        task,
    }
}

async fn run(
    client: AriClient,
    stop: CancellationToken,
    mut backoff: Backoff,
    state: watch::Sender<ConnectionState>,
    tx: mpsc::UnboundedSender<StreamItem>,
) {
    let url = match events_url(&client) {
        Ok(u) => u,
        Err(e) => {
            tracing::error!(error = %e, "ARI event connection cannot start");
            state.send_replace(ConnectionState::Disconnected {
                since: Utc::now(),
                reason: e.to_string(),
            });
            return;
        }
    };
    let shown_url = format!("{}/events?app={}", client.base_url(), client.app());
    let mut ever_connected = false;
    tracing::info!(url = %shown_url, "waiting for Asterisk ARI at {shown_url}");
    loop {
        let attempt = backoff.attempts();
        let connect = tokio::select! {
            _ = stop.cancelled() => break,
            // Small frames both ways (events in, REST requests out): Nagle's algorithm would
            // hold each back behind the previous one's acknowledgement.
            r = tokio_tungstenite::connect_async_with_config(url.as_str(), None, true) => r,
        };
        let reason = match connect {
            Ok((socket, _)) => {
                backoff.reset();
                let rest_over_ws = rest_over_websocket(&client).await;
                tracing::info!(url = %shown_url, rest_over_websocket = rest_over_ws, "ARI connected");
                let (writer, outgoing) = mpsc::unbounded_channel();
                if rest_over_ws {
                    client.rest_over_ws().attach(writer);
                }
                state.send_replace(ConnectionState::Connected { since: Utc::now() });
                if tx
                    .send(StreamItem::Connected {
                        reconnect: ever_connected,
                    })
                    .is_err()
                {
                    break;
                }
                ever_connected = true;
                let reason = serve_socket(socket, outgoing, &client, &tx, &stop).await;
                client.rest_over_ws().detach();
                if stop.is_cancelled() {
                    break;
                }
                tracing::warn!(%reason, "ARI disconnected");
                let _ = tx.send(StreamItem::Disconnected {
                    reason: reason.clone(),
                });
                reason
            }
            Err(e) => {
                let reason = e.to_string();
                if attempt == 0 || attempt.is_multiple_of(10) {
                    tracing::warn!(url = %shown_url, error = %reason, attempt, "Asterisk ARI not reachable yet; retrying");
                } else {
                    tracing::debug!(error = %reason, attempt, "ARI connect failed");
                }
                reason
            }
        };
        state.send_replace(ConnectionState::Disconnected {
            since: Utc::now(),
            reason,
        });
        let delay = backoff.next_delay(rand::random::<f64>());
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = tokio::time::sleep(delay) => {}
        }
        state.send_replace(ConnectionState::Connecting {
            since: Utc::now(),
            attempt: backoff.attempts(),
        });
    }
    tracing::info!("ARI event connection stopped");
    state.send_replace(ConnectionState::Stopped);
}

/// How long a closing connection waits for answers to REST requests already sent on it.
const SHUTDOWN_DRAIN: Duration = Duration::from_secs(2);

/// Whether REST calls should use this connection's WebSocket, per `[ari] rest_transport`.
async fn rest_over_websocket(client: &AriClient) -> bool {
    match client.rest_transport() {
        RestTransport::Http => false,
        RestTransport::Websocket => true,
        RestTransport::Auto => match client.info().await {
            Ok(info) => {
                let version = info
                    .pointer("/system/version")
                    .and_then(|v| v.as_str())
                    .unwrap_or("");
                let supported = rest_ws::version_supports_rest_over_ws(version);
                tracing::debug!(
                    version,
                    supported,
                    "Asterisk version checked for REST over WebSocket"
                );
                supported
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot read Asterisk's version; REST calls use HTTP");
                false
            }
        },
    }
}

/// Reads events (and REST answers) and writes queued REST requests until the socket ends;
/// returns why it ended.
async fn serve_socket<S>(
    socket: tokio_tungstenite::WebSocketStream<S>,
    mut outgoing: mpsc::UnboundedReceiver<String>,
    client: &AriClient,
    tx: &mpsc::UnboundedSender<StreamItem>,
    stop: &CancellationToken,
) -> String
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let (mut sink, mut stream) = socket.split();
    // On shutdown the flows still hand their calls back to the dialplan; the socket stays
    // open until those answers are in (or a short grace period ends), while new requests
    // already go over HTTP.
    let mut drain_until: Option<tokio::time::Instant> = None;
    loop {
        if let Some(deadline) = drain_until {
            let hub = client.rest_over_ws();
            if (hub.in_flight() == 0 && outgoing.is_empty())
                || tokio::time::Instant::now() >= deadline
            {
                // A close frame, so Asterisk does not log the socket as "closed abruptly".
                let _ = tokio::time::timeout(Duration::from_millis(500), sink.close()).await;
                return "shutting down".into();
            }
        }
        let frame = tokio::select! {
            _ = stop.cancelled(), if drain_until.is_none() => {
                client.rest_over_ws().stop_accepting();
                drain_until = Some(tokio::time::Instant::now() + SHUTDOWN_DRAIN);
                continue;
            }
            _ = tokio::time::sleep(Duration::from_millis(20)), if drain_until.is_some() => continue,
            f = stream.next() => f,
            Some(request) = outgoing.recv() => {
                // Everything queued goes out with one flush: under load that is one write
                // for many requests.
                let mut result = sink.feed(Message::Text(request.into())).await;
                while result.is_ok() {
                    match outgoing.try_recv() {
                        Ok(more) => result = sink.feed(Message::Text(more.into())).await,
                        Err(_) => break,
                    }
                }
                if let Err(e) = result.and(sink.flush().await) {
                    return format!("connection broken: {e}");
                }
                continue;
            }
        };
        match frame {
            None => return "connection closed".into(),
            Some(Err(e)) => return format!("connection broken: {e}"),
            Some(Ok(Message::Text(text))) => {
                let received_at = Instant::now();
                match Event::parse(text.as_str()) {
                    Ok(Event::RestResponse(response)) => client.rest_over_ws().complete(response),
                    Ok(event) => {
                        let sent = tx.send(StreamItem::Event(ReceivedEvent {
                            event: Box::new(event),
                            received_at,
                        }));
                        if sent.is_err() && drain_until.is_none() {
                            return "engine stopped".into();
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "skipping malformed ARI event"),
                }
            }
            Some(Ok(Message::Close(frame))) => {
                return match frame {
                    Some(f) => format!("closed by Asterisk: {} {}", f.code, f.reason),
                    None => "closed by Asterisk".into(),
                };
            }
            Some(Ok(_)) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_starts_near_100ms() {
        let mut b = Backoff::default();
        let d = b.next_delay(0.999);
        assert!(
            d >= Duration::from_millis(50) && d <= Duration::from_millis(100),
            "{d:?}"
        );
    }

    #[test]
    fn backoff_doubles_each_attempt() {
        let mut b = Backoff::default();
        let delays: Vec<Duration> = (0..4).map(|_| b.next_delay(1.0)).collect();
        assert_eq!(
            delays,
            [100, 200, 400, 800].map(Duration::from_millis).to_vec()
        );
    }

    #[test]
    fn backoff_is_capped_at_5s() {
        let mut b = Backoff::default();
        for _ in 0..30 {
            assert!(b.next_delay(1.0) <= Duration::from_secs(5));
        }
        assert_eq!(b.next_delay(1.0), Duration::from_secs(5));
    }

    #[test]
    fn backoff_jitter_spreads_between_half_and_full_step() {
        let mut low = Backoff::default();
        let mut high = Backoff::default();
        assert_eq!(low.next_delay(0.0), Duration::from_millis(50));
        assert_eq!(high.next_delay(1.0), Duration::from_millis(100));
    }

    #[test]
    fn backoff_reset_starts_over() {
        let mut b = Backoff::default();
        for _ in 0..5 {
            b.next_delay(1.0);
        }
        b.reset();
        assert_eq!(b.next_delay(1.0), Duration::from_millis(100));
    }

    #[test]
    fn events_url_is_websocket_with_app_and_credentials() {
        let c =
            AriClient::new("http://127.0.0.1:8088/ari", "u", "p w", "ringside").expect("client");
        let url = events_url(&c).expect("url");
        assert!(url.starts_with("ws://127.0.0.1:8088/ari/events?"), "{url}");
        assert!(url.contains("app=ringside"), "{url}");
        assert!(url.contains("subscribeAll=false"), "{url}");
        assert!(url.contains("api_key=u%3Ap+w"), "{url}");
    }
}
