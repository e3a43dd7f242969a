//! The manager link: one TCP connection to Asterisk, logged in, kept alive and re-opened
//! with backoff; actions sent through it are matched to their answers by `ActionID`.
//!
//! An answer is the `Response` message with the action's id and, when that response says
//! `EventList: start` (any case: `FAXSessions` says `Start`), every event with the same id up
//! to the one saying `EventList: Complete`; for an action sent with
//! [`AmiClient::send_for_event`] (`FAXSession`), the one event that follows its `Success`
//! without any list marker. Events that answer no pending action are
//! published on a broadcast channel. While the link is down, an action fails at once with
//! [`AmiError::NotAvailable`] instead of waiting; an action whose answer was cut off by a
//! dropped connection fails with [`AmiError::ConnectionLost`] and is never repeated, since
//! Ringside cannot know whether Asterisk already did it.
//!
//! A refused login is logged and retried at the backoff's slowest pace (an operator may fix
//! `manager.conf` and reload); it never stops the daemon.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;

use super::events::Event;
use super::frame::{self, Decoder, Frame, Message};
use crate::ari::connection::Backoff;
use crate::config::AmiConfig;

/// How patient the link is. Not an operator setting (those are [`AmiConfig`]): tests shrink
/// these to keep reconnect tests fast.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timers {
    /// Time between keepalive `Ping`s; a ping unanswered by the next one drops the link.
    pub keepalive: Duration,
    /// How long an action may wait for its complete answer.
    pub action_timeout: Duration,
    /// First and longest wait between connection attempts.
    pub backoff: (Duration, Duration),
}

impl Default for Timers {
    fn default() -> Self {
        Self {
            keepalive: Duration::from_secs(20),
            action_timeout: Duration::from_secs(10),
            backoff: (Duration::from_millis(500), Duration::from_secs(30)),
        }
    }
}

fn address(config: &AmiConfig) -> String {
    if config.host.contains(':') {
        format!("[{}]:{}", config.host, config.port)
    } else {
        format!("{}:{}", config.host, config.port)
    }
}

/// The link's state as the rest of the daemon sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkState {
    /// No `[ami]` secret is configured: features that need the manager are off.
    NotConfigured,
    Connecting {
        since: DateTime<Utc>,
        attempt: u32,
    },
    Connected {
        since: DateTime<Utc>,
        /// From the banner, e.g. `11.0.0`.
        version: String,
    },
    LoginRefused {
        since: DateTime<Utc>,
        message: String,
    },
    Disconnected {
        since: DateTime<Utc>,
        reason: String,
    },
    Stopped,
}

impl LinkState {
    pub fn is_connected(&self) -> bool {
        matches!(self, LinkState::Connected { .. })
    }

    /// Why actions cannot be sent now, in words for an operator or a portal user.
    pub fn unavailable_reason(&self) -> String {
        match self {
            LinkState::NotConfigured => {
                "manager link not available: no [ami] secret is configured".into()
            }
            LinkState::Connecting { .. } => {
                "manager link not available: connecting to Asterisk".into()
            }
            LinkState::Connected { .. } => "manager link available".into(),
            LinkState::LoginRefused { message, .. } => {
                format!("manager link not available: Asterisk refused the login ({message})")
            }
            LinkState::Disconnected { reason, .. } => {
                format!("manager link not available: {reason}")
            }
            LinkState::Stopped => "manager link not available: shutting down".into(),
        }
    }
}

/// Why an action did not get its answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmiError {
    /// The link is down, not configured, or the login was refused.
    #[error("{0}")]
    NotAvailable(String),
    #[error(
        "the manager connection dropped before the answer was complete; the action may or may not have been done"
    )]
    ConnectionLost,
    #[error("the manager did not answer within {0:?}")]
    Timeout(Duration),
    #[error(transparent)]
    BadHeader(#[from] frame::BadHeader),
    /// `Response: Error` with its `Message`.
    #[error("Asterisk refused the action: {0}")]
    Refused(String),
    #[error("the answer to the action was longer than {0} events")]
    ListTooLong(usize),
}

/// A complete answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub response: Message,
    /// The list's events (not the closing one) when the response started a list.
    pub events: Vec<Message>,
    /// The closing `…Complete` event of a list.
    pub complete: Option<Message>,
}

impl Reply {
    pub fn message(&self) -> &str {
        self.response.get("Message").unwrap_or_default()
    }
}

/// The most events one list may bring, so a runaway answer cannot fill memory.
pub const MAX_LIST_EVENTS: usize = 100_000;
const EVENT_CAPACITY: usize = 256;

struct Request {
    action: Message,
    reply: oneshot::Sender<Result<Reply, AmiError>>,
    one_event: bool,
}

/// Handle to the manager link; cheap to clone.
#[derive(Clone)]
pub struct AmiClient {
    requests: mpsc::Sender<Request>,
    state: watch::Receiver<LinkState>,
    events: broadcast::Sender<Event>,
    timeout: Duration,
}

impl AmiClient {
    /// Starts the link task; it runs until `stop` is cancelled.
    pub fn spawn(config: AmiConfig, timers: Timers, stop: CancellationToken) -> AmiClient {
        let (requests_tx, requests_rx) = mpsc::channel(64);
        let (state_tx, state_rx) = watch::channel(LinkState::Connecting {
            since: Utc::now(),
            attempt: 0,
        });
        let (events, _) = broadcast::channel(EVENT_CAPACITY);
        let timeout = timers.action_timeout;
        tokio::spawn(run(
            config,
            timers,
            stop,
            requests_rx,
            state_tx,
            events.clone(),
        ));
        AmiClient {
            requests: requests_tx,
            state: state_rx,
            events,
            timeout,
        }
    }

    /// A client whose every action fails with `reason`: for a daemon without `[ami]`.
    pub fn unavailable() -> AmiClient {
        let (requests, _) = mpsc::channel(1);
        let (_, state) = watch::channel(LinkState::NotConfigured);
        let (events, _) = broadcast::channel(1);
        AmiClient {
            requests,
            state,
            events,
            timeout: Duration::from_secs(1),
        }
    }

    pub fn state(&self) -> watch::Receiver<LinkState> {
        self.state.clone()
    }

    pub fn events(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    /// Waits until the link is up (for tests and one-shot commands); `false` on timeout or
    /// when the link cannot come up (not configured, stopped).
    pub async fn wait_connected(&self, within: Duration) -> bool {
        let mut state = self.state.clone();
        let wait = state.wait_for(|s| {
            s.is_connected() || matches!(s, LinkState::NotConfigured | LinkState::Stopped)
        });
        match tokio::time::timeout(within, wait).await {
            Ok(Ok(s)) => s.is_connected(),
            _ => false,
        }
    }

    /// Sends `action` (its `ActionID` is set here) and waits for the complete answer.
    /// `Response: Error` comes back as [`AmiError::Refused`].
    pub async fn send(&self, action: Message) -> Result<Reply, AmiError> {
        self.request(action, false).await
    }

    /// Like [`send`](Self::send), for an action whose `Success` says one event will follow
    /// (`FAXSession`: `Message: FAXSession event will follow`, no `EventList`); that event is
    /// the reply's only entry in `events`.
    pub async fn send_for_event(&self, action: Message) -> Result<Reply, AmiError> {
        self.request(action, true).await
    }

    async fn request(&self, action: Message, one_event: bool) -> Result<Reply, AmiError> {
        frame::encode(&action)?;
        {
            let state = self.state.borrow();
            if !state.is_connected() {
                return Err(AmiError::NotAvailable(state.unavailable_reason()));
            }
        }
        let (tx, rx) = oneshot::channel();
        let request = Request {
            action,
            reply: tx,
            one_event,
        };
        self.requests.send(request).await.map_err(|_| {
            AmiError::NotAvailable("manager link not available: shutting down".into())
        })?;
        match tokio::time::timeout(self.timeout, rx).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(AmiError::ConnectionLost),
            Err(_) => Err(AmiError::Timeout(self.timeout)),
        }
    }
}

/// What the link is waiting for for one action.
struct Pending {
    reply: oneshot::Sender<Result<Reply, AmiError>>,
    /// Set once the response came and started a list (or announced its one event).
    list: Option<(Message, Vec<Message>)>,
    /// The answer is the response and the one event after it.
    one_event: bool,
}

/// Whether an `EventList` value says the list starts / is complete; the case differs
/// between modules (`start`, `Start`, `Complete`).
fn event_list_is(message: &Message, word: &str) -> bool {
    message
        .get("EventList")
        .is_some_and(|v| v.eq_ignore_ascii_case(word))
}

/// Routes one message from the manager to the pending action it answers. Returns the
/// message back when it answers nothing (an unsolicited event). Pure apart from completing
/// the oneshot, so the correlation rules are testable without a socket.
fn route(pending: &mut HashMap<String, Pending>, message: Message) -> Option<Message> {
    let Some(id) = message.action_id().map(str::to_owned) else {
        return Some(message);
    };
    let is_response = message.get("Response").is_some();
    let Some(entry) = pending.get_mut(&id) else {
        return if is_response { None } else { Some(message) };
    };
    if is_response {
        if entry.list.is_some() {
            // A second response for the same id: not an answer we understand; ignore it.
            return None;
        }
        let entry = pending.remove(&id)?;
        if message
            .get("Response")
            .is_some_and(|r| r.eq_ignore_ascii_case("Error"))
        {
            let text = message
                .get("Message")
                .unwrap_or("no reason given")
                .to_owned();
            let _ = entry.reply.send(Err(AmiError::Refused(text)));
        } else if event_list_is(&message, "start") || entry.one_event {
            pending.insert(
                id,
                Pending {
                    reply: entry.reply,
                    list: Some((message, Vec::new())),
                    one_event: entry.one_event,
                },
            );
        } else {
            let _ = entry.reply.send(Ok(Reply {
                response: message,
                events: Vec::new(),
                complete: None,
            }));
        }
        return None;
    }
    let Some((_, events)) = entry.list.as_mut() else {
        // An event before its action's response: not an answer we understand.
        return Some(message);
    };
    if entry.one_event {
        if let Some(Pending {
            reply,
            list: Some((response, _)),
            ..
        }) = pending.remove(&id)
        {
            let _ = reply.send(Ok(Reply {
                response,
                events: vec![message],
                complete: None,
            }));
        }
        return None;
    }
    if event_list_is(&message, "complete") {
        if let Some(Pending {
            reply,
            list: Some((response, events)),
            ..
        }) = pending.remove(&id)
        {
            let _ = reply.send(Ok(Reply {
                response,
                events,
                complete: Some(message),
            }));
        }
        return None;
    }
    if events.len() >= MAX_LIST_EVENTS {
        if let Some(entry) = pending.remove(&id) {
            let _ = entry
                .reply
                .send(Err(AmiError::ListTooLong(MAX_LIST_EVENTS)));
        }
        return None;
    }
    events.push(message);
    None
}

enum SessionEnd {
    Stopped,
    Lost(String),
}

enum LoginError {
    Refused(String),
    Failed(String),
}

async fn run(
    config: AmiConfig,
    timers: Timers,
    stop: CancellationToken,
    mut requests: mpsc::Receiver<Request>,
    state: watch::Sender<LinkState>,
    events: broadcast::Sender<Event>,
) {
    let address = address(&config);
    let mut backoff = Backoff::new(timers.backoff.0, timers.backoff.1);
    tracing::info!(%address, user = %config.username, "connecting to the Asterisk manager at {address}");
    loop {
        let attempt = backoff.attempts();
        state.send_replace(LinkState::Connecting {
            since: Utc::now(),
            attempt,
        });
        let outcome = tokio::select! {
            _ = stop.cancelled() => break,
            r = connect_and_login(&config, &address) => r,
        };
        let retry_reason = match outcome {
            Ok((stream, decoder, version)) => {
                backoff.reset();
                tracing::info!(%address, %version, "manager link up (Asterisk Call Manager/{version})");
                state.send_replace(LinkState::Connected {
                    since: Utc::now(),
                    version,
                });
                match session(&timers, stream, decoder, &mut requests, &events, &stop).await {
                    SessionEnd::Stopped => break,
                    SessionEnd::Lost(reason) => {
                        tracing::warn!(%address, %reason, "manager link lost; reconnecting");
                        state.send_replace(LinkState::Disconnected {
                            since: Utc::now(),
                            reason: reason.clone(),
                        });
                        reason
                    }
                }
            }
            Err(LoginError::Refused(message)) => {
                tracing::error!(
                    %address,
                    user = %config.username,
                    %message,
                    "Asterisk refused the manager login; voicemail actions are unavailable until manager.conf and [ami] agree"
                );
                state.send_replace(LinkState::LoginRefused {
                    since: Utc::now(),
                    message: message.clone(),
                });
                // Retrying fast cannot fix a wrong secret; go straight to the slowest pace.
                for _ in 0..16 {
                    let _ = backoff.next_delay(0.0);
                }
                message
            }
            Err(LoginError::Failed(reason)) => {
                if attempt == 0 {
                    tracing::warn!(%address, %reason, "manager not reachable yet; retrying");
                } else {
                    tracing::debug!(%address, %reason, attempt, "manager still not reachable");
                }
                state.send_replace(LinkState::Disconnected {
                    since: Utc::now(),
                    reason: reason.clone(),
                });
                reason
            }
        };
        let delay = backoff.next_delay(rand::random::<f64>());
        // Actions arriving while the link is down fail at once with the reason.
        let sleep = tokio::time::sleep(delay);
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                _ = stop.cancelled() => {
                    state.send_replace(LinkState::Stopped);
                    return;
                }
                _ = &mut sleep => break,
                request = requests.recv() => match request {
                    Some(r) => {
                        let reason = state.borrow().unavailable_reason();
                        let _ = r.reply.send(Err(AmiError::NotAvailable(reason)));
                    }
                    None => return,
                },
            }
        }
        tracing::debug!(%address, reason = %retry_reason, "retrying the manager link");
    }
    state.send_replace(LinkState::Stopped);
    tracing::info!("manager link stopped");
}

async fn read_frame(stream: &mut TcpStream, decoder: &mut Decoder) -> Result<Frame, String> {
    let mut buf = [0u8; 16 * 1024];
    loop {
        match decoder.next_frame() {
            Ok(Some(frame)) => return Ok(frame),
            Ok(None) => {}
            Err(e) => return Err(e.to_string()),
        }
        let n = stream
            .read(&mut buf)
            .await
            .map_err(|e| format!("read failed: {e}"))?;
        if n == 0 {
            return Err("Asterisk closed the connection".into());
        }
        decoder.push(&buf[..n]);
    }
}

async fn connect_and_login(
    config: &AmiConfig,
    address: &str,
) -> Result<(TcpStream, Decoder, String), LoginError> {
    let limit = Duration::from_secs(10);
    let connect = tokio::time::timeout(limit, TcpStream::connect(address));
    let mut stream = match connect.await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return Err(LoginError::Failed(format!("cannot connect: {e}"))),
        Err(_) => return Err(LoginError::Failed("connect timed out".into())),
    };
    let _ = stream.set_nodelay(true);
    let mut decoder = Decoder::new();
    let handshake = async {
        let version = match read_frame(&mut stream, &mut decoder).await? {
            Frame::Banner(v) => v,
            Frame::Message(_) => return Err("no banner from the manager".to_owned()),
        };
        let login = Message::new()
            .with("Action", "Login")
            .with("Username", config.username.clone())
            .with("Secret", config.secret.clone())
            // Only CDRs: the call history stores them; voicemail reads answers, not events.
            .with("Events", "cdr")
            .with("ActionID", "login-1");
        let bytes = frame::encode(&login).map_err(|e| e.to_string())?;
        stream
            .write_all(&bytes)
            .await
            .map_err(|e| format!("write failed: {e}"))?;
        loop {
            if let Frame::Message(m) = read_frame(&mut stream, &mut decoder).await? {
                if m.action_id() == Some("login-1") {
                    return Ok((version, m));
                }
            }
        }
    };
    let (version, answer) = match tokio::time::timeout(limit, handshake).await {
        Ok(Ok(r)) => r,
        Ok(Err(reason)) => return Err(LoginError::Failed(reason)),
        Err(_) => return Err(LoginError::Failed("login timed out".into())),
    };
    if answer
        .get("Response")
        .is_some_and(|r| r.eq_ignore_ascii_case("Success"))
    {
        Ok((stream, decoder, version))
    } else {
        Err(LoginError::Refused(
            answer
                .get("Message")
                .unwrap_or("no reason given")
                .to_owned(),
        ))
    }
}

async fn session(
    timers: &Timers,
    stream: TcpStream,
    mut decoder: Decoder,
    requests: &mut mpsc::Receiver<Request>,
    events: &broadcast::Sender<Event>,
    stop: &CancellationToken,
) -> SessionEnd {
    let (mut read, mut write) = stream.into_split();
    let mut pending: HashMap<String, Pending> = HashMap::new();
    let next_id = AtomicU64::new(1);
    let mut ping = tokio::time::interval(timers.keepalive);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ping.tick().await;
    let mut ping_outstanding: Option<String> = None;
    let mut buf = vec![0u8; 16 * 1024];
    let end = loop {
        // Frames already buffered (e.g. read together with the login answer) come first.
        loop {
            match decoder.next_frame() {
                Ok(Some(Frame::Message(m))) => {
                    if ping_outstanding.is_some()
                        && ping_outstanding.as_deref() == m.action_id()
                        && m.get("Response").is_some()
                    {
                        ping_outstanding = None;
                        continue;
                    }
                    let unsolicited = route(&mut pending, m);
                    if let Some(event) = unsolicited.filter(|u| u.get("Event").is_some()) {
                        let _ = events.send(Event::from_message(event));
                    }
                }
                Ok(Some(Frame::Banner(_))) | Ok(None) => break,
                Err(e) => {
                    return finish(pending, SessionEnd::Lost(e.to_string()));
                }
            }
        }
        tokio::select! {
            _ = stop.cancelled() => {
                if let Ok(bytes) = frame::encode(&Message::new().with("Action", "Logoff").with("ActionID", "bye")) {
                    let _ = write.write_all(&bytes).await;
                }
                break SessionEnd::Stopped;
            }
            n = read.read(&mut buf) => match n {
                Ok(0) => break SessionEnd::Lost("Asterisk closed the connection".into()),
                Ok(n) => decoder.push(&buf[..n]),
                Err(e) => break SessionEnd::Lost(format!("read failed: {e}")),
            },
            request = requests.recv() => {
                let Some(Request { mut action, reply, one_event }) = request else {
                    break SessionEnd::Stopped;
                };
                let id = format!("rs-{}", next_id.fetch_add(1, Ordering::Relaxed));
                action.headers.retain(|(k, _)| !k.eq_ignore_ascii_case("ActionID"));
                action.headers.push(("ActionID".into(), id.clone()));
                let bytes = match frame::encode(&action) {
                    Ok(b) => b,
                    Err(e) => {
                        let _ = reply.send(Err(e.into()));
                        continue;
                    }
                };
                pending.insert(id, Pending { reply, list: None, one_event });
                if let Err(e) = write.write_all(&bytes).await {
                    break SessionEnd::Lost(format!("write failed: {e}"));
                }
            }
            _ = ping.tick() => {
                if ping_outstanding.is_some() {
                    break SessionEnd::Lost("no answer to the keepalive ping".into());
                }
                let id = format!("ping-{}", next_id.fetch_add(1, Ordering::Relaxed));
                let Ok(bytes) = frame::encode(&Message::new().with("Action", "Ping").with("ActionID", id.clone())) else {
                    continue;
                };
                ping_outstanding = Some(id);
                if let Err(e) = write.write_all(&bytes).await {
                    break SessionEnd::Lost(format!("write failed: {e}"));
                }
            }
        }
    };
    finish(pending, end)
}

/// Fails every action still waiting: their answers are lost with the connection.
fn finish(pending: HashMap<String, Pending>, end: SessionEnd) -> SessionEnd {
    for (_, p) in pending {
        let _ = p.reply.send(Err(AmiError::ConnectionLost));
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending_for(
        pending: &mut HashMap<String, Pending>,
        id: &str,
    ) -> oneshot::Receiver<Result<Reply, AmiError>> {
        waiting(pending, id, false)
    }

    fn waiting(
        pending: &mut HashMap<String, Pending>,
        id: &str,
        one_event: bool,
    ) -> oneshot::Receiver<Result<Reply, AmiError>> {
        let (tx, rx) = oneshot::channel();
        pending.insert(
            id.into(),
            Pending {
                reply: tx,
                list: None,
                one_event,
            },
        );
        rx
    }

    #[test]
    fn an_action_announcing_one_event_is_answered_by_the_response_and_that_event() {
        let mut pending = HashMap::new();
        let mut rx = waiting(&mut pending, "f", true);
        route(
            &mut pending,
            response("f").with("Message", "FAXSession event will follow"),
        );
        assert!(rx.try_recv().is_err(), "the event is still to come");
        let event = Message::new()
            .with("Event", "FAXSession")
            .with("ActionID", "f")
            .with("PageNumber", "2");
        assert_eq!(route(&mut pending, event.clone()), None);
        let reply = rx.try_recv().expect("done").expect("success");
        assert_eq!(reply.events, vec![event]);
        assert!(pending.is_empty());
    }

    #[test]
    fn an_action_announcing_one_event_still_fails_on_an_error_response() {
        let mut pending = HashMap::new();
        let mut rx = waiting(&mut pending, "f", true);
        route(
            &mut pending,
            Message::new()
                .with("Response", "Error")
                .with("ActionID", "f")
                .with("Message", "Session not found"),
        );
        assert_eq!(
            rx.try_recv().expect("done"),
            Err(AmiError::Refused("Session not found".into()))
        );
    }

    fn response(id: &str) -> Message {
        Message::new()
            .with("Response", "Success")
            .with("ActionID", id)
    }

    #[test]
    fn a_plain_response_completes_its_action() {
        let mut pending = HashMap::new();
        let mut rx = pending_for(&mut pending, "a");
        assert_eq!(
            route(&mut pending, response("a").with("Message", "Refresh sent")),
            None
        );
        let reply = rx.try_recv().expect("done").expect("success");
        assert_eq!(reply.message(), "Refresh sent");
        assert!(pending.is_empty());
    }

    #[test]
    fn an_error_response_fails_with_its_message() {
        let mut pending = HashMap::new();
        let mut rx = pending_for(&mut pending, "a");
        route(
            &mut pending,
            Message::new()
                .with("Response", "Error")
                .with("ActionID", "a")
                .with("Message", "Session not found"),
        );
        assert_eq!(
            rx.try_recv().expect("done"),
            Err(AmiError::Refused("Session not found".into()))
        );
    }

    #[test]
    fn a_list_collects_events_until_complete_whatever_the_case_of_its_marker() {
        for (start, complete) in [
            ("start", "Complete"),
            ("Start", "Complete"),
            ("START", "complete"),
        ] {
            let mut pending = HashMap::new();
            let mut rx = pending_for(&mut pending, "l");
            route(&mut pending, response("l").with("EventList", start));
            assert!(rx.try_recv().is_err(), "not complete yet");
            route(
                &mut pending,
                Message::new().with("Event", "Item").with("ActionID", "l"),
            );
            route(
                &mut pending,
                Message::new().with("Event", "Item").with("ActionID", "l"),
            );
            route(
                &mut pending,
                Message::new()
                    .with("Event", "ItemComplete")
                    .with("ActionID", "l")
                    .with("EventList", complete),
            );
            let reply = rx.try_recv().expect("done").expect("success");
            assert_eq!(reply.events.len(), 2, "{start}/{complete}");
            assert!(reply.complete.is_some());
        }
    }

    #[test]
    fn events_of_other_actions_and_without_id_are_handed_back() {
        let mut pending = HashMap::new();
        let _rx = pending_for(&mut pending, "l");
        route(&mut pending, response("l").with("EventList", "start"));
        let stray = Message::new().with("Event", "Cdr");
        assert_eq!(route(&mut pending, stray.clone()), Some(stray));
        let other = Message::new().with("Event", "Item").with("ActionID", "zzz");
        assert_eq!(route(&mut pending, other.clone()), Some(other));
    }

    #[test]
    fn a_dropped_link_fails_every_waiting_action_as_lost() {
        let mut pending = HashMap::new();
        let mut rx = pending_for(&mut pending, "l");
        route(&mut pending, response("l").with("EventList", "start"));
        finish(pending, SessionEnd::Lost("gone".into()));
        assert_eq!(rx.try_recv().expect("done"), Err(AmiError::ConnectionLost));
    }
}
