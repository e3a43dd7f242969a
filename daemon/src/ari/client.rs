//! Typed ARI REST client (reqwest, HTTP basic auth) for the calls Ringside makes.
//!
//! ARI's error answers become [`AriError`] variants; a 404 for a channel that is already gone
//! is a normal outcome of a call flow, so callers match on [`AriError::NotFound`] instead of
//! treating it as a failure. The client holds no call state; it is cheap to clone.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::model::{Application, AsteriskPing, Bridge, Channel, Playback};
use super::repeat::{self, Repeat};
use super::rest_ws::{self, RestOverWs};
use crate::config::RestTransport;

/// Why an ARI request failed.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum AriError {
    /// 404: the channel, bridge, playback or application does not exist (any more).
    #[error("ARI: not found: {0}")]
    NotFound(String),
    /// 409: e.g. a channel id that is already in use.
    #[error("ARI: conflict: {0}")]
    Conflict(String),
    /// 412: the channel is not in a state for this (e.g. not in Stasis).
    #[error("ARI: precondition failed: {0}")]
    PreconditionFailed(String),
    /// 400 or 422: Asterisk rejected the parameters.
    #[error("ARI: bad request: {0}")]
    BadRequest(String),
    /// 401/403: wrong ARI user name or password.
    #[error("ARI: authentication failed ({0}): check [ari] username and password")]
    Unauthorized(u16),
    /// Any other error status (500 "Allocation failed", 503, ...).
    #[error("ARI: server error {0}: {1}")]
    Server(u16, String),
    /// No answer: connection refused, timeout, broken connection.
    #[error("ARI: cannot reach Asterisk: {0}")]
    Transport(String),
    /// An answer that is not the JSON ARI documents.
    #[error("ARI: unreadable answer: {0}")]
    Decode(String),
}

impl AriError {
    /// The HTTP status Asterisk refused with, for refusals.
    pub fn status(&self) -> Option<u16> {
        match self {
            AriError::NotFound(_) => Some(404),
            AriError::Conflict(_) => Some(409),
            AriError::PreconditionFailed(_) => Some(412),
            AriError::BadRequest(_) => Some(400),
            AriError::Unauthorized(code) | AriError::Server(code, _) => Some(*code),
            AriError::Transport(_) | AriError::Decode(_) => None,
        }
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, AriError::NotFound(_))
    }
}

/// Hang-up reasons ARI accepts in `DELETE /channels/{id}?reason=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HangupReason {
    Normal,
    Busy,
    Congestion,
    NoAnswer,
    Rejected,
    AnsweredElsewhere,
}

impl HangupReason {
    pub fn as_str(self) -> &'static str {
        match self {
            HangupReason::Normal => "normal",
            HangupReason::Busy => "busy",
            HangupReason::Congestion => "congestion",
            HangupReason::NoAnswer => "no_answer",
            HangupReason::Rejected => "rejected",
            HangupReason::AnsweredElsewhere => "answered_elsewhere",
        }
    }
}

/// `POST /channels/create`: a channel put into Stasis at once, dialled later with `dial`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CreateChannel {
    pub endpoint: String,
    pub app: String,
    pub app_args: Option<String>,
    pub channel_id: Option<String>,
    pub other_channel_id: Option<String>,
    pub originator: Option<String>,
    pub formats: Option<String>,
    /// Channel variables, including functions such as `CALLERID(num)`.
    pub variables: BTreeMap<String, String>,
}

/// `POST /channels[/{id}]`: a channel that dials at once, into an app or a dialplan location.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Originate {
    pub endpoint: String,
    pub channel_id: Option<String>,
    pub app: Option<String>,
    pub app_args: Option<String>,
    pub context: Option<String>,
    pub extension: Option<String>,
    pub priority: Option<i64>,
    pub label: Option<String>,
    pub caller_id: Option<String>,
    /// Seconds to wait for an answer (Asterisk's default is 30).
    pub timeout_secs: Option<u32>,
    pub other_channel_id: Option<String>,
    pub originator: Option<String>,
    pub formats: Option<String>,
    pub variables: BTreeMap<String, String>,
}

/// Where `continue` sends a channel; all `None` means the next priority.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DialplanTarget {
    pub context: Option<String>,
    pub extension: Option<String>,
    pub priority: Option<i64>,
    pub label: Option<String>,
}

#[derive(Debug, Clone)]
pub struct AriClient {
    http: reqwest::Client,
    base: String,
    username: String,
    password: String,
    app: String,
    transport: RestTransport,
    /// Shared by every clone, so requests go over the event WebSocket once it is attached.
    ws: Arc<RestOverWs>,
}

const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

type Query = Vec<(&'static str, String)>;

/// The `value` of a channel or global variable answer; Asterisk sends `""` for one not set.
fn variable_value(answer: &Value) -> String {
    answer
        .get("value")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

impl AriClient {
    /// `base` is ARI's root, e.g. `http://127.0.0.1:8088/ari`.
    pub fn new(base: &str, username: &str, password: &str, app: &str) -> Result<Self, AriError> {
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(Duration::from_secs(3))
            .tcp_nodelay(true)
            .build()
            .map_err(|e| AriError::Transport(e.to_string()))?;
        Ok(Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
            username: username.to_owned(),
            password: password.to_owned(),
            app: app.to_owned(),
            transport: RestTransport::Auto,
            ws: Arc::new(RestOverWs::default()),
        })
    }

    pub fn from_config(config: &crate::config::AriConfig) -> Result<Self, AriError> {
        Ok(
            Self::new(&config.url, &config.username, &config.password, &config.app)?
                .with_rest_transport(config.rest_transport),
        )
    }

    /// Chooses how REST calls travel once the event WebSocket is up (see [`RestTransport`]).
    pub fn with_rest_transport(mut self, transport: RestTransport) -> Self {
        self.transport = transport;
        self
    }

    pub fn rest_transport(&self) -> RestTransport {
        self.transport
    }

    /// Requests in flight on the event WebSocket; the connection attaches and detaches it.
    pub fn rest_over_ws(&self) -> &Arc<RestOverWs> {
        &self.ws
    }

    /// The Stasis application name this client registers and creates channels for.
    pub fn app(&self) -> &str {
        &self.app
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    pub fn username(&self) -> &str {
        &self.username
    }

    pub fn password(&self) -> &str {
        &self.password
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        query: &Query,
        body: Option<Value>,
    ) -> Result<Option<Value>, AriError> {
        let uri = rest_ws::request_uri(path, query);
        if let Some((request_id, answer)) = self.ws.start(method.as_str(), &uri, body.as_ref()) {
            let response = match tokio::time::timeout(REQUEST_TIMEOUT, answer).await {
                Ok(Ok(response)) => response,
                Ok(Err(_)) => return self.repeat_lost(method, path, query, body).await,
                Err(_) => {
                    self.ws.abandon(&request_id);
                    return Err(AriError::Transport(format!(
                        "no answer to {method} {path} within {REQUEST_TIMEOUT:?}"
                    )));
                }
            };
            let status = StatusCode::from_u16(response.status_code)
                .map_err(|_| AriError::Decode(format!("status {}", response.status_code)))?;
            return reply_from(
                &method,
                path,
                status,
                response.message_body.as_deref().unwrap_or(""),
            );
        }
        self.send_http(method, path, query, body).await
    }

    /// A request whose answer went with the WebSocket: repeated over HTTP where that is safe
    /// (see `repeat`), else a transport error as before.
    async fn repeat_lost(
        &self,
        method: Method,
        path: &str,
        query: &Query,
        body: Option<Value>,
    ) -> Result<Option<Value>, AriError> {
        let lost = || AriError::Transport(rest_ws::WsRequestError::ConnectionLost.to_string());
        let repeat = repeat::repeat_after_lost_answer(method.as_str(), path, query);
        if repeat == Repeat::Never {
            return Err(lost());
        }
        tracing::debug!(%method, path, ?repeat, "answer lost with the WebSocket; repeating over HTTP");
        match self.send_http(method.clone(), path, query, body).await {
            Err(e)
                if e.status()
                    .is_some_and(|s| repeat::refusal_means_done(&repeat, s)) =>
            {
                tracing::debug!(%method, path, error = %e, "the lost attempt had done it");
                match repeat {
                    Repeat::ReadBackOnConflict(at) => {
                        self.send_http(Method::GET, &at, &Vec::new(), None).await
                    }
                    _ => Ok(None),
                }
            }
            other => other,
        }
    }

    async fn send_http(
        &self,
        method: Method,
        path: &str,
        query: &Query,
        body: Option<Value>,
    ) -> Result<Option<Value>, AriError> {
        let url = format!("{}{}", self.base, path);
        let mut request = self
            .http
            .request(method.clone(), &url)
            .basic_auth(&self.username, Some(&self.password));
        if !query.is_empty() {
            request = request.query(query);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.map_err(|e| {
            tracing::debug!(%method, path, error = %e, "ARI request failed");
            AriError::Transport(e.to_string())
        })?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| AriError::Transport(e.to_string()))?;
        reply_from(&method, path, status, &text)
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &Query,
        body: Option<Value>,
    ) -> Result<T, AriError> {
        let value = self.send(method.clone(), path, query, body).await?;
        let value = value.ok_or_else(|| AriError::Decode(format!("{method} {path}: empty")))?;
        serde_json::from_value(value).map_err(|e| AriError::Decode(format!("{method} {path}: {e}")))
    }

    async fn call_empty(&self, method: Method, path: &str, query: &Query) -> Result<(), AriError> {
        self.send(method, path, query, None).await.map(|_| ())
    }

    // --- channels ---

    pub async fn create_channel(&self, req: &CreateChannel) -> Result<Channel, AriError> {
        let mut q: Query = vec![("endpoint", req.endpoint.clone()), ("app", req.app.clone())];
        push_opt(&mut q, "appArgs", &req.app_args);
        push_opt(&mut q, "channelId", &req.channel_id);
        push_opt(&mut q, "otherChannelId", &req.other_channel_id);
        push_opt(&mut q, "originator", &req.originator);
        push_opt(&mut q, "formats", &req.formats);
        let body = variables_body(&req.variables);
        self.call(Method::POST, "/channels/create", &q, body).await
    }

    /// Dials a created channel; `timeout_secs` is how long it may ring.
    pub async fn dial(
        &self,
        channel_id: &str,
        caller: Option<&str>,
        timeout_secs: Option<u32>,
    ) -> Result<(), AriError> {
        let mut q: Query = Vec::new();
        if let Some(caller) = caller {
            q.push(("caller", caller.to_owned()));
        }
        if let Some(t) = timeout_secs {
            q.push(("timeout", t.to_string()));
        }
        self.call_empty(
            Method::POST,
            &format!("/channels/{}/dial", seg(channel_id)),
            &q,
        )
        .await
    }

    pub async fn originate(&self, req: &Originate) -> Result<Channel, AriError> {
        let mut q: Query = vec![("endpoint", req.endpoint.clone())];
        push_opt(&mut q, "app", &req.app);
        push_opt(&mut q, "appArgs", &req.app_args);
        push_opt(&mut q, "context", &req.context);
        push_opt(&mut q, "extension", &req.extension);
        push_opt(&mut q, "priority", &req.priority.map(|p| p.to_string()));
        push_opt(&mut q, "label", &req.label);
        push_opt(&mut q, "callerId", &req.caller_id);
        push_opt(&mut q, "timeout", &req.timeout_secs.map(|t| t.to_string()));
        push_opt(&mut q, "otherChannelId", &req.other_channel_id);
        push_opt(&mut q, "originator", &req.originator);
        push_opt(&mut q, "formats", &req.formats);
        let path = match &req.channel_id {
            Some(id) => format!("/channels/{}", seg(id)),
            None => "/channels".to_owned(),
        };
        self.call(Method::POST, &path, &q, variables_body(&req.variables))
            .await
    }

    pub async fn answer(&self, channel_id: &str) -> Result<(), AriError> {
        self.channel_post(channel_id, "answer").await
    }

    /// Indicates ringing to the channel (the caller hears ringback).
    pub async fn ring(&self, channel_id: &str) -> Result<(), AriError> {
        self.channel_post(channel_id, "ring").await
    }

    pub async fn ring_stop(&self, channel_id: &str) -> Result<(), AriError> {
        let path = format!("/channels/{}/ring", seg(channel_id));
        self.call_empty(Method::DELETE, &path, &Vec::new()).await
    }

    pub async fn hangup(&self, channel_id: &str, reason: HangupReason) -> Result<(), AriError> {
        let q: Query = vec![("reason", reason.as_str().to_owned())];
        self.call_empty(
            Method::DELETE,
            &format!("/channels/{}", seg(channel_id)),
            &q,
        )
        .await
    }

    /// Leaves Stasis and continues in the dialplan (next priority when `target` is empty).
    pub async fn continue_in_dialplan(
        &self,
        channel_id: &str,
        target: &DialplanTarget,
    ) -> Result<(), AriError> {
        let mut q: Query = Vec::new();
        push_opt(&mut q, "context", &target.context);
        push_opt(&mut q, "extension", &target.extension);
        push_opt(&mut q, "priority", &target.priority.map(|p| p.to_string()));
        push_opt(&mut q, "label", &target.label);
        let path = format!("/channels/{}/continue", seg(channel_id));
        self.call_empty(Method::POST, &path, &q).await
    }

    /// Plays `media` (e.g. `sound:followme/options`) with a playback id we choose.
    pub async fn play(
        &self,
        channel_id: &str,
        playback_id: &str,
        media: &str,
    ) -> Result<Playback, AriError> {
        let q: Query = vec![("media", media.to_owned())];
        let path = format!("/channels/{}/play/{}", seg(channel_id), seg(playback_id));
        self.call(Method::POST, &path, &q, None).await
    }

    pub async fn get_variable(&self, channel_id: &str, name: &str) -> Result<String, AriError> {
        let q: Query = vec![("variable", name.to_owned())];
        let path = format!("/channels/{}/variable", seg(channel_id));
        let v: Value = self.call(Method::GET, &path, &q, None).await?;
        Ok(variable_value(&v))
    }

    pub async fn set_variable(
        &self,
        channel_id: &str,
        name: &str,
        value: &str,
    ) -> Result<(), AriError> {
        let q: Query = vec![("variable", name.to_owned()), ("value", value.to_owned())];
        let path = format!("/channels/{}/variable", seg(channel_id));
        self.call_empty(Method::POST, &path, &q).await
    }

    /// Sets an ARI-controlled device state (`Stasis:<name>`), e.g. for a busy-lamp key.
    pub async fn set_device_state(&self, device: &str, state: &str) -> Result<(), AriError> {
        let q: Query = vec![("deviceState", state.to_owned())];
        let path = format!("/deviceStates/{}", seg(device));
        self.call_empty(Method::PUT, &path, &q).await
    }

    /// Every channel Asterisk has (not only this app's).
    pub async fn channels(&self) -> Result<Vec<Channel>, AriError> {
        self.call(Method::GET, "/channels", &Vec::new(), None).await
    }

    pub async fn channel(&self, channel_id: &str) -> Result<Channel, AriError> {
        let path = format!("/channels/{}", seg(channel_id));
        self.call(Method::GET, &path, &Vec::new(), None).await
    }

    pub async fn start_moh(&self, channel_id: &str, class: Option<&str>) -> Result<(), AriError> {
        let mut q: Query = Vec::new();
        if let Some(class) = class {
            q.push(("mohClass", class.to_owned()));
        }
        let path = format!("/channels/{}/moh", seg(channel_id));
        self.call_empty(Method::POST, &path, &q).await
    }

    pub async fn stop_moh(&self, channel_id: &str) -> Result<(), AriError> {
        let path = format!("/channels/{}/moh", seg(channel_id));
        self.call_empty(Method::DELETE, &path, &Vec::new()).await
    }

    async fn channel_post(&self, channel_id: &str, action: &str) -> Result<(), AriError> {
        let path = format!("/channels/{}/{action}", seg(channel_id));
        self.call_empty(Method::POST, &path, &Vec::new()).await
    }

    // --- bridges ---

    /// Creates a bridge with our id; `kind` is e.g. `mixing`.
    pub async fn create_bridge(&self, bridge_id: &str, kind: &str) -> Result<Bridge, AriError> {
        let q: Query = vec![("type", kind.to_owned())];
        let path = format!("/bridges/{}", seg(bridge_id));
        self.call(Method::POST, &path, &q, None).await
    }

    pub async fn add_channels(
        &self,
        bridge_id: &str,
        channel_ids: &[&str],
    ) -> Result<(), AriError> {
        let q: Query = vec![("channel", channel_ids.join(","))];
        let path = format!("/bridges/{}/addChannel", seg(bridge_id));
        self.call_empty(Method::POST, &path, &q).await
    }

    pub async fn remove_channel(&self, bridge_id: &str, channel_id: &str) -> Result<(), AriError> {
        let q: Query = vec![("channel", channel_id.to_owned())];
        let path = format!("/bridges/{}/removeChannel", seg(bridge_id));
        self.call_empty(Method::POST, &path, &q).await
    }

    pub async fn destroy_bridge(&self, bridge_id: &str) -> Result<(), AriError> {
        let path = format!("/bridges/{}", seg(bridge_id));
        self.call_empty(Method::DELETE, &path, &Vec::new()).await
    }

    pub async fn bridges(&self) -> Result<Vec<Bridge>, AriError> {
        self.call(Method::GET, "/bridges", &Vec::new(), None).await
    }

    // --- playbacks, applications, asterisk ---

    pub async fn stop_playback(&self, playback_id: &str) -> Result<(), AriError> {
        let path = format!("/playbacks/{}", seg(playback_id));
        self.call_empty(Method::DELETE, &path, &Vec::new()).await
    }

    pub async fn application(&self, name: &str) -> Result<Application, AriError> {
        let path = format!("/applications/{}", seg(name));
        self.call(Method::GET, &path, &Vec::new(), None).await
    }

    /// Subscribes `app` to an event source such as `channel:<id>`.
    pub async fn subscribe(&self, app: &str, event_source: &str) -> Result<Application, AriError> {
        let q: Query = vec![("eventSource", event_source.to_owned())];
        let path = format!("/applications/{}/subscription", seg(app));
        self.call(Method::POST, &path, &q, None).await
    }

    pub async fn ping(&self) -> Result<AsteriskPing, AriError> {
        self.call(Method::GET, "/asterisk/ping", &Vec::new(), None)
            .await
    }

    pub async fn info(&self) -> Result<Value, AriError> {
        self.call(Method::GET, "/asterisk/info", &Vec::new(), None)
            .await
    }

    /// A global dialplan variable's value; `""` when it is not set (Asterisk does not tell
    /// the two apart).
    pub async fn global_var(&self, name: &str) -> Result<String, AriError> {
        let q: Query = vec![("variable", name.to_owned())];
        let v: Value = self
            .call(Method::GET, "/asterisk/variable", &q, None)
            .await?;
        Ok(variable_value(&v))
    }

    /// Sets a global dialplan variable, or removes it when `value` is `None`.
    pub async fn set_global_var(&self, name: &str, value: Option<&str>) -> Result<(), AriError> {
        let mut q: Query = vec![("variable", name.to_owned())];
        push_opt(&mut q, "value", &value.map(str::to_owned));
        self.call_empty(Method::POST, "/asterisk/variable", &q)
            .await
    }
}

fn push_opt(q: &mut Query, key: &'static str, value: &Option<String>) {
    if let Some(v) = value {
        q.push((key, v.clone()));
    }
}

fn variables_body(vars: &BTreeMap<String, String>) -> Option<Value> {
    (!vars.is_empty()).then(|| json!({ "variables": vars }))
}

/// Percent-encodes one path segment (ids are ours, but a caller-supplied id must not break
/// out of its segment).
fn seg(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b';' | b':' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// One answer, whichever transport carried it: a JSON body, nothing, or a typed error.
fn reply_from(
    method: &Method,
    path: &str,
    status: StatusCode,
    text: &str,
) -> Result<Option<Value>, AriError> {
    if status.is_success() {
        if text.trim().is_empty() {
            return Ok(None);
        }
        return serde_json::from_str(text)
            .map(Some)
            .map_err(|e| AriError::Decode(format!("{method} {path}: {e}")));
    }
    let error = error_from(status, text);
    tracing::debug!(%method, path, %error, "ARI request rejected");
    Err(error)
}

/// ARI answers errors as `{"message": "..."}` (500s sometimes as `{"error": "..."}`).
fn error_from(status: StatusCode, body: &str) -> AriError {
    let message = serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| {
            v.get("message")
                .or_else(|| v.get("error"))
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .unwrap_or_else(|| body.chars().take(200).collect());
    match status.as_u16() {
        404 => AriError::NotFound(message),
        409 => AriError::Conflict(message),
        412 => AriError::PreconditionFailed(message),
        400 | 422 => AriError::BadRequest(message),
        401 | 403 => AriError::Unauthorized(status.as_u16()),
        code => AriError::Server(code, message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_body_message_becomes_typed_not_found() {
        let e = error_from(StatusCode::NOT_FOUND, r#"{"message": "Channel not found"}"#);
        assert_eq!(e, AriError::NotFound("Channel not found".into()));
    }

    #[test]
    fn allocation_failure_uses_the_error_key() {
        let e = error_from(
            StatusCode::INTERNAL_SERVER_ERROR,
            r#"{"error": "Allocation failed"}"#,
        );
        assert_eq!(e, AriError::Server(500, "Allocation failed".into()));
    }

    #[test]
    fn non_json_error_body_is_kept_as_text() {
        let e = error_from(StatusCode::BAD_GATEWAY, "upstream down");
        assert_eq!(e, AriError::Server(502, "upstream down".into()));
    }

    #[test]
    fn path_segment_cannot_escape() {
        assert_eq!(seg("1795426252.33"), "1795426252.33");
        assert_eq!(seg("a/../b c"), "a%2F..%2Fb%20c");
    }
}
