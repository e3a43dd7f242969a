//! ARI REST over the event WebSocket (Asterisk 20.14, 21.9, 22.4 and later).
//!
//! Instead of one HTTP request per REST call, a request travels as a `RESTRequest` message on
//! the WebSocket that already carries the events, and its answer comes back as a
//! `RESTResponse` event carrying our `request_id`. One connection serves any number of
//! requests in flight: no connection set-up, no HTTP parsing, and no pressure on Asterisk's
//! HTTP session limit when hundreds of calls need REST at once.
//!
//! [`RestOverWs`] is the meeting point: the [`AriClient`](super::AriClient) hands it requests,
//! the [`connection`](super::connection) attaches the socket's writer while the socket is up
//! and hands it every `RESTResponse`. While nothing is attached, the client uses HTTP. This
//! module only builds and matches messages; the socket lives in the connection.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};

/// Whether an Asterisk `system.version` (e.g. `22.5.2`, `21.10.0-rc1`) accepts REST requests
/// on the event WebSocket: 20.14+, 21.9+, 22.4+ and every later major. Versions that cannot
/// be read (git builds) count as not supporting it.
pub fn version_supports_rest_over_ws(version: &str) -> bool {
    let mut parts = version.trim().split(|c: char| !c.is_ascii_digit());
    let major: u32 = match parts.next().and_then(|p| p.parse().ok()) {
        Some(m) => m,
        None => return false,
    };
    let minor: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    match major {
        0..=19 => false,
        20 => minor >= 14,
        21 => minor >= 9,
        22 => minor >= 4,
        _ => true,
    }
}

/// A `RESTResponse` event, as Asterisk sends it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RestResponse {
    #[serde(default)]
    pub request_id: String,
    #[serde(default)]
    pub transaction_id: String,
    pub status_code: u16,
    #[serde(default)]
    pub reason_phrase: String,
    #[serde(default)]
    pub uri: String,
    #[serde(default)]
    pub content_type: Option<String>,
    #[serde(default)]
    pub message_body: Option<String>,
}

/// The `uri` of a `RESTRequest`: the resource path without ARI's root or a leading `/`, with
/// its query string (`channels/abc/dial?timeout=25`).
pub fn request_uri(path: &str, query: &[(&str, String)]) -> String {
    let mut uri = path.trim_start_matches('/').to_owned();
    if !query.is_empty() {
        let mut encoded = reqwest::Url::parse("http://x/").ok();
        if let Some(url) = encoded.as_mut() {
            url.query_pairs_mut().extend_pairs(query.iter());
        }
        if let Some(q) = encoded.as_ref().and_then(|u| u.query()) {
            uri.push('?');
            uri.push_str(q);
        }
    }
    uri
}

/// The `RESTRequest` message text.
pub fn request_message(request_id: &str, method: &str, uri: &str, body: Option<&Value>) -> String {
    let mut message = json!({
        "type": "RESTRequest",
        "request_id": request_id,
        "method": method,
        "uri": uri,
    });
    if let (Some(body), Some(obj)) = (body, message.as_object_mut()) {
        obj.insert("content_type".into(), json!("application/json"));
        obj.insert("message_body".into(), json!(body.to_string()));
    }
    message.to_string()
}

/// Why a request sent over the WebSocket got no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WsRequestError {
    /// The socket went away before the answer came.
    #[error("the ARI WebSocket closed before Asterisk answered")]
    ConnectionLost,
}

#[derive(Default)]
struct Hub {
    writer: Option<mpsc::UnboundedSender<String>>,
    pending: HashMap<String, oneshot::Sender<RestResponse>>,
}

/// Requests in flight on the event WebSocket, shared by every clone of a client.
#[derive(Default)]
pub struct RestOverWs {
    hub: Mutex<Hub>,
    next_id: AtomicU64,
}

impl std::fmt::Debug for RestOverWs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RestOverWs")
            .field("attached", &self.is_attached())
            .finish()
    }
}

impl RestOverWs {
    fn hub(&self) -> std::sync::MutexGuard<'_, Hub> {
        self.hub.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Routes requests to this socket writer from now on.
    pub fn attach(&self, writer: mpsc::UnboundedSender<String>) {
        self.hub().writer = Some(writer);
    }

    /// The socket is gone: later requests use HTTP, and those waiting fail with
    /// [`WsRequestError::ConnectionLost`] (Asterisk may or may not have carried them out, just
    /// as with an HTTP connection that breaks mid-request).
    pub fn detach(&self) {
        let mut hub = self.hub();
        hub.writer = None;
        hub.pending.clear();
    }

    /// New requests use HTTP from now on; those already sent still get their answers.
    pub fn stop_accepting(&self) {
        self.hub().writer = None;
    }

    pub fn is_attached(&self) -> bool {
        self.hub().writer.is_some()
    }

    /// Sends a request if a socket is attached; `None` means "use HTTP". Returns the request's
    /// id (for [`Self::abandon`]) and where its answer will arrive.
    pub fn start(
        &self,
        method: &str,
        uri: &str,
        body: Option<&Value>,
    ) -> Option<(String, oneshot::Receiver<RestResponse>)> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let request_id = format!("rs-{id}");
        let text = request_message(&request_id, method, uri, body);
        let (tx, rx) = oneshot::channel();
        let mut hub = self.hub();
        let writer = hub.writer.as_ref()?;
        if writer.send(text).is_err() {
            hub.writer = None;
            return None;
        }
        hub.pending.insert(request_id.clone(), tx);
        Some((request_id, rx))
    }

    /// Hands an answer to the request waiting for it; answers nobody waits for (a request
    /// that timed out, or another client on the same app) are dropped.
    pub fn complete(&self, response: RestResponse) {
        let waiter = self.hub().pending.remove(&response.request_id);
        match waiter {
            Some(tx) => {
                let _ = tx.send(response);
            }
            None => {
                tracing::debug!(request_id = %response.request_id, uri = %response.uri, "RESTResponse for no pending request")
            }
        }
    }

    /// Forgets a request whose caller gave up waiting.
    pub fn abandon(&self, request_id: &str) {
        self.hub().pending.remove(request_id);
    }

    /// Requests sent and not answered yet.
    pub fn in_flight(&self) -> usize {
        self.hub().pending.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_from_22_4_support_rest_over_websocket() {
        assert!(version_supports_rest_over_ws("22.4.0"));
        assert!(version_supports_rest_over_ws("22.11.0"));
        assert!(!version_supports_rest_over_ws("22.3.1"));
    }

    #[test]
    fn older_branches_support_it_from_their_own_minor() {
        assert!(version_supports_rest_over_ws("20.14.0"));
        assert!(!version_supports_rest_over_ws("20.13.2"));
        assert!(version_supports_rest_over_ws("21.9.0"));
        assert!(!version_supports_rest_over_ws("21.8.0"));
        assert!(!version_supports_rest_over_ws("18.26.0"));
        assert!(version_supports_rest_over_ws("23.0.0"));
    }

    #[test]
    fn release_candidates_count_by_their_numbers() {
        assert!(version_supports_rest_over_ws("22.4.0-rc1"));
    }

    #[test]
    fn unreadable_versions_do_not_support_it() {
        assert!(!version_supports_rest_over_ws("GIT-master-1234abc"));
        assert!(!version_supports_rest_over_ws(""));
    }

    #[test]
    fn request_uri_has_no_leading_slash_and_encodes_the_query() {
        let uri = request_uri(
            "/channels/create",
            &[
                ("endpoint", "PJSIP/2001".into()),
                ("app", "ring side".into()),
            ],
        );
        assert_eq!(uri, "channels/create?endpoint=PJSIP%2F2001&app=ring+side");
        assert_eq!(request_uri("/asterisk/ping", &[]), "asterisk/ping");
    }

    #[test]
    fn request_message_carries_a_json_body_as_text() {
        let body = json!({"variables": {"CALLERID(num)": "100"}});
        let text = request_message("rs-1", "POST", "channels/create", Some(&body));
        let v: Value = serde_json::from_str(&text).expect("json");
        assert_eq!(v["type"], "RESTRequest");
        assert_eq!(v["request_id"], "rs-1");
        assert_eq!(v["content_type"], "application/json");
        let inner: Value =
            serde_json::from_str(v["message_body"].as_str().expect("string")).expect("json body");
        assert_eq!(inner, body);
    }

    #[test]
    fn without_a_socket_requests_fall_back_to_http() {
        let hub = RestOverWs::default();
        assert!(hub.start("GET", "asterisk/ping", None).is_none());
    }

    #[tokio::test]
    async fn an_answer_reaches_the_request_with_its_id() {
        let hub = RestOverWs::default();
        let (tx, mut wire) = mpsc::unbounded_channel();
        hub.attach(tx);
        let (_, rx) = hub.start("POST", "channels/a/answer", None).expect("sent");
        let sent: Value =
            serde_json::from_str(&wire.recv().await.expect("on the wire")).expect("json");
        let id = sent["request_id"].as_str().expect("id").to_owned();
        hub.complete(RestResponse {
            request_id: id,
            transaction_id: String::new(),
            status_code: 204,
            reason_phrase: "No Content".into(),
            uri: "channels/a/answer".into(),
            content_type: None,
            message_body: None,
        });
        assert_eq!(rx.await.expect("answered").status_code, 204);
        assert_eq!(hub.in_flight(), 0);
    }

    #[tokio::test]
    async fn detaching_fails_the_requests_in_flight() {
        let hub = RestOverWs::default();
        let (tx, _wire) = mpsc::unbounded_channel();
        hub.attach(tx);
        let (_, rx) = hub.start("GET", "channels", None).expect("sent");
        hub.detach();
        assert!(rx.await.is_err());
        assert!(hub.start("GET", "channels", None).is_none());
    }
}
