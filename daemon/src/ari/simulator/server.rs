//! HTTP + WebSocket front of the simulator (axum): `/ari/...` REST, `/ari/events` WebSocket,
//! HTTP basic auth or `api_key` like Asterisk, and a small `/sim/...` control surface for
//! driving a standalone simulator (`ringside ari-sim`) from outside the process.

use std::collections::BTreeMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, Request, State as AxState};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::Simulator;
use super::state::{RestCall, WsClient, WsOut};

pub(crate) fn router(sim: Simulator) -> Router {
    Router::new()
        .route("/ari/events", axum::routing::get(events))
        .route("/sim/calls", axum::routing::post(sim_inbound))
        .route("/sim/channels/{id}/hangup", axum::routing::post(sim_hangup))
        .route("/sim/channels/{id}/dtmf", axum::routing::post(sim_dtmf))
        .route("/sim/state", axum::routing::get(sim_state))
        .route("/sim/counts", axum::routing::get(sim_counts))
        .route("/sim/requests", axum::routing::get(sim_requests))
        .fallback(rest)
        .with_state(sim)
}

fn query_map(uri: &axum::http::Uri) -> BTreeMap<String, String> {
    axum::extract::Query::<Vec<(String, String)>>::try_from_uri(uri)
        .map(|q| q.0)
        .unwrap_or_default()
        .into_iter()
        .collect()
}

fn authorized(sim: &Simulator, headers: &HeaderMap, query: &BTreeMap<String, String>) -> bool {
    let Some((user, pass)) = &sim.credentials else {
        return true;
    };
    let expected = format!("{user}:{pass}");
    if query.get("api_key") == Some(&expected) {
        return true;
    }
    headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Basic "))
        .and_then(|b| decode_base64(b.trim()))
        .is_some_and(|decoded| decoded == expected)
}

fn decode_base64(s: &str) -> Option<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut nbits = 0;
    let mut out = Vec::new();
    for c in s.bytes().filter(|&c| c != b'=') {
        let v = ALPHABET.iter().position(|&a| a == c)? as u32;
        bits = (bits << 6) | v;
        nbits += 6;
        if nbits >= 8 {
            nbits -= 8;
            out.push((bits >> nbits) as u8);
            bits &= (1 << nbits) - 1;
        }
    }
    String::from_utf8(out).ok()
}

fn json_response(status: u16, body: Option<Value>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match body {
        Some(b) => (
            status,
            [(header::CONTENT_TYPE, "application/json")],
            b.to_string(),
        )
            .into_response(),
        None => status.into_response(),
    }
}

async fn rest(
    AxState(sim): AxState<Simulator>,
    method: Method,
    headers: HeaderMap,
    req: Request,
) -> Response {
    let uri = req.uri().clone();
    let body = match axum::body::to_bytes(req.into_body(), 1 << 20).await {
        Ok(b) => b,
        Err(_) => return json_response(400, Some(json!({"message": "Request body too large"}))),
    };
    let query = query_map(&uri);
    let Some(path) = uri.path().strip_prefix("/ari") else {
        return json_response(404, Some(json!({"message": "Resource not found"})));
    };
    if !authorized(&sim, &headers, &query) {
        return json_response(401, Some(json!({"message": "Authentication required"})));
    }
    let body_json = parse_body(&body);
    let body_json = match body_json {
        Ok(v) => v,
        Err(()) => return json_response(400, Some(json!({"message": "Invalid JSON body"}))),
    };
    let arrived = std::time::Instant::now();
    let reply = execute(
        &sim,
        method.as_str(),
        path,
        query,
        body_json,
        arrived,
        false,
    );
    let events_first = sim.world.lock().leg_event_order == super::state::LegEventOrder::EventsFirst;
    if events_first && method == Method::POST && path.ends_with("/dial") {
        tokio::time::sleep(super::state::ORDER_GAP).await;
    }
    json_response(reply.status, reply.body)
}

/// Carries out one REST call, whichever transport brought it, and logs it.
fn execute(
    sim: &Simulator,
    method: &str,
    path: &str,
    query: BTreeMap<String, String>,
    body: Option<Value>,
    arrived: std::time::Instant,
    over_websocket: bool,
) -> super::rest::Reply {
    let world = sim.world.clone();
    let mut st = world.lock();
    let reply = super::rest::handle(&world, &mut st, method, path, &query, body.as_ref());
    st.rest_log.push(RestCall {
        at: arrived,
        method: method.to_owned(),
        path: path.to_owned(),
        query: query.into_iter().filter(|(k, _)| k != "api_key").collect(),
        body,
        status: reply.status,
        over_websocket,
    });
    reply
}

/// A `RESTRequest` received on an application's WebSocket: carried out like the HTTP call it
/// wraps and answered with a `RESTResponse` event. `None` when this Asterisk version does not
/// know REST over WebSocket (it ignores the message) or the text is not a request.
fn rest_over_websocket(
    sim: &Simulator,
    app: &str,
    text: &str,
    arrived: std::time::Instant,
) -> Option<String> {
    let version = sim.world.lock().version.clone();
    if !crate::ari::rest_ws::version_supports_rest_over_ws(&version) {
        return None;
    }
    let request: Value = serde_json::from_str(text).ok()?;
    let field = |name: &str| request.get(name).and_then(Value::as_str).unwrap_or("");
    let uri_text = field("uri").to_owned();
    // Asterisk echoes the resource without its query string.
    let echoed_uri = uri_text.split('?').next().unwrap_or("").to_owned();
    let respond = |status: u16, body: Option<Value>| {
        let mut response = json!({
            "type": "RESTResponse",
            "transaction_id": field("transaction_id"),
            "request_id": field("request_id"),
            "status_code": status,
            "reason_phrase": StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()).unwrap_or(""),
            "uri": echoed_uri,
            "timestamp": super::state::timestamp(),
            "asterisk_id": super::state::ASTERISK_ID,
            "application": app,
        });
        if let (Some(body), Some(obj)) = (body, response.as_object_mut()) {
            obj.insert("content_type".into(), json!("application/json"));
            obj.insert("message_body".into(), json!(body.to_string()));
        }
        response.to_string()
    };
    if request.get("type").and_then(Value::as_str) != Some("RESTRequest") {
        return Some(respond(
            400,
            Some(json!({"message": "Unknown request type."})),
        ));
    }
    if uri_text.is_empty() {
        return Some(respond(
            400,
            Some(json!({"message": "Empty or missing 'uri' property."})),
        ));
    }
    let Ok(uri) = format!("/ari/{uri_text}").parse::<axum::http::Uri>() else {
        return Some(respond(400, Some(json!({"message": "Invalid URI"}))));
    };
    let mut query = query_map(&uri);
    if let Some(extra) = request.get("query_strings").and_then(Value::as_array) {
        for pair in extra {
            if let (Some(name), Some(value)) = (
                pair.get("name").and_then(Value::as_str),
                pair.get("value").and_then(Value::as_str),
            ) {
                query.insert(name.to_owned(), value.to_owned());
            }
        }
    }
    let body = match request.get("message_body").and_then(Value::as_str) {
        None => None,
        Some(text) => match parse_body(&Bytes::copy_from_slice(text.as_bytes())) {
            Ok(v) => v,
            Err(()) => return Some(respond(400, Some(json!({"message": "Invalid JSON body"})))),
        },
    };
    let path = uri.path().strip_prefix("/ari").unwrap_or("");
    let reply = execute(sim, field("method"), path, query, body, arrived, true);
    Some(respond(reply.status, reply.body))
}

fn parse_body(body: &Bytes) -> Result<Option<Value>, ()> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice(body).map(Some).map_err(|_| ())
}

async fn events(AxState(sim): AxState<Simulator>, headers: HeaderMap, req: Request) -> Response {
    let query = query_map(req.uri());
    if !authorized(&sim, &headers, &query) {
        return json_response(401, Some(json!({"message": "Authentication required"})));
    }
    if sim.world.lock().refuse_websockets {
        return json_response(503, Some(json!({"message": "Service Unavailable"})));
    }
    let apps: Vec<String> = query
        .get("app")
        .map(|a| {
            a.split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if apps.is_empty() {
        return json_response(400, Some(json!({"message": "Missing parameter app"})));
    }
    let (mut parts, _body) = req.into_parts();
    let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
        Ok(u) => u,
        Err(rejection) => return rejection.into_response(),
    };
    upgrade.on_upgrade(move |socket| serve_socket(sim, apps, socket))
}

async fn serve_socket(sim: Simulator, apps: Vec<String>, socket: WebSocket) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let id = {
        let mut st = sim.world.lock();
        let id = st.next_seq();
        // A second connection for the same app replaces the first, as in Asterisk.
        let replaced: Vec<mpsc::UnboundedSender<WsOut>> = st
            .clients
            .iter()
            .filter(|c| c.apps.iter().any(|a| apps.contains(a)))
            .map(|c| c.tx.clone())
            .collect();
        for old in replaced {
            let ev = json!({"type": "ApplicationReplaced", "timestamp": super::state::timestamp(), "application": apps[0], "asterisk_id": super::state::ASTERISK_ID});
            let _ = old.send(WsOut::Text(ev.to_string()));
            let _ = old.send(WsOut::Close);
        }
        st.clients
            .retain(|c| !c.apps.iter().any(|a| apps.contains(a)));
        for app in &apps {
            st.known_apps.insert(app.clone());
        }
        st.clients.push(WsClient {
            id,
            apps: apps.clone(),
            tx: tx.clone(),
        });
        id
    };
    sim.connected.notify_waiters();
    let (mut sink, mut stream) = socket.split();
    // Frames are read (and stamped) as they arrive, apart from carrying them out, so a
    // request's logged time is its arrival even when many queue behind each other.
    let (frames_tx, mut frames) = mpsc::unbounded_channel();
    let reader = tokio::spawn(async move {
        while let Some(frame) = stream.next().await {
            if frames_tx.send((frame, std::time::Instant::now())).is_err() {
                break;
            }
        }
    });
    loop {
        tokio::select! {
            out = rx.recv() => match out {
                Some(WsOut::Text(text)) => {
                    if sink.send(Message::Text(text.into())).await.is_err() {
                        break;
                    }
                }
                Some(WsOut::Close) | None => {
                    let _ = sink.close().await;
                    break;
                }
            },
            incoming = frames.recv() => match incoming {
                Some((Ok(Message::Close(_)), _)) | None | Some((Err(_), _)) => break,
                Some((Ok(Message::Text(text)), arrived)) => {
                    // Answered in arrival order on this socket, after any events the request
                    // itself caused were queued.
                    if let Some(response) = rest_over_websocket(&sim, &apps[0], text.as_str(), arrived) {
                        let _ = tx.send(WsOut::Text(response));
                    }
                }
                Some(_) => {}
            },
        }
    }
    reader.abort();
    sim.world.lock().clients.retain(|c| c.id != id);
}

#[derive(serde::Deserialize)]
struct InboundForm {
    #[serde(default = "default_app")]
    app: String,
    args: String,
    #[serde(default)]
    caller: String,
    #[serde(default)]
    caller_name: String,
    /// Place this many calls (callers numbered from `caller` upwards)...
    #[serde(default)]
    count: Option<u32>,
    /// ...spread evenly over this many milliseconds.
    #[serde(default)]
    spread_ms: u64,
}

fn default_app() -> String {
    "ringside".into()
}

async fn sim_inbound(
    AxState(sim): AxState<Simulator>,
    axum::extract::Query(form): axum::extract::Query<InboundForm>,
) -> Response {
    let args: Vec<String> = form.args.split(',').map(str::to_owned).collect();
    let Some(count) = form.count else {
        let id = sim.inbound_call(&form.app, &args, &form.caller, &form.caller_name);
        return json_response(200, Some(json!({ "id": id })));
    };
    // A batch is placed from here, so a load generator needs no connection per call.
    let first: u64 = form.caller.parse().unwrap_or(0);
    let gap = std::time::Duration::from_millis(form.spread_ms) / count.max(1);
    tokio::spawn(async move {
        let start = tokio::time::Instant::now();
        for i in 0..count {
            tokio::time::sleep_until(start + gap * i).await;
            let caller = (first + u64::from(i)).to_string();
            sim.inbound_call(&form.app, &args, &caller, &form.caller_name);
        }
    });
    json_response(202, Some(json!({ "placing": count })))
}

#[derive(serde::Deserialize)]
struct RequestsForm {
    #[serde(default)]
    prefix: String,
}

/// REST requests received so far whose path starts with `prefix`, with their arrival on the
/// wall clock (Unix microseconds), for load generators in another process.
async fn sim_requests(
    AxState(sim): AxState<Simulator>,
    axum::extract::Query(form): axum::extract::Query<RequestsForm>,
) -> Response {
    let now = std::time::Instant::now();
    let now_us = chrono::Utc::now().timestamp_micros();
    let st = sim.world.lock();
    let requests: Vec<Value> = st
        .rest_log
        .iter()
        .filter(|c| c.path.starts_with(&form.prefix))
        .map(|c| {
            let ago = i64::try_from(now.saturating_duration_since(c.at).as_micros()).unwrap_or(0);
            json!({
                "method": c.method,
                "path": c.path,
                "status": c.status,
                "over_websocket": c.over_websocket,
                "arrived_unix_us": now_us - ago,
            })
        })
        .collect();
    json_response(200, Some(Value::Array(requests)))
}

/// How many channels and bridges exist right now, without their JSON.
async fn sim_counts(AxState(sim): AxState<Simulator>) -> Response {
    let st = sim.world.lock();
    let in_stasis = st
        .channels
        .values()
        .filter(|c| c.stasis_app.is_some())
        .count();
    let bridged = st.channels.values().filter(|c| c.bridge.is_some()).count();
    json_response(
        200,
        Some(json!({
            "channels": st.channels.len(),
            "in_stasis": in_stasis,
            "bridged": bridged,
            "bridges": st.bridges.len(),
        })),
    )
}

async fn sim_hangup(
    AxState(sim): AxState<Simulator>,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Response {
    if sim.hang_up(&id) {
        json_response(204, None)
    } else {
        json_response(404, Some(json!({"message": "Channel not found"})))
    }
}

#[derive(serde::Deserialize)]
struct DtmfForm {
    digits: String,
}

async fn sim_dtmf(
    AxState(sim): AxState<Simulator>,
    axum::extract::Path(id): axum::extract::Path<String>,
    axum::extract::Query(form): axum::extract::Query<DtmfForm>,
) -> Response {
    if sim.press(&id, &form.digits) {
        json_response(204, None)
    } else {
        json_response(404, Some(json!({"message": "Channel not found"})))
    }
}

async fn sim_state(AxState(sim): AxState<Simulator>) -> Response {
    let channels: Vec<Value> = sim
        .channels()
        .into_iter()
        .map(|c| json!({"id": c.channel.id, "name": c.channel.name, "state": c.channel.state, "in_stasis": c.in_stasis, "bridge": c.bridge, "continued": c.continued.map(|t| json!({"context": t.context, "extension": t.extension, "priority": t.priority})), "vars": c.vars}))
        .collect();
    json_response(
        200,
        Some(json!({ "channels": channels, "rest_calls": sim.rest_calls().len() })),
    )
}
