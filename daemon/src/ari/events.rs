//! Typed ARI WebSocket events: the ones Ringside acts on, and everything else kept raw.
//!
//! Parsing never fails on a field it does not know or a field Asterisk left out; an event type
//! Ringside does not handle (or a known type whose shape is not what Asterisk 22 sends) becomes
//! [`Event::Unknown`] with the raw JSON. Only text that is not JSON at all is an error. This
//! module does no I/O; the WebSocket lives in [`super::connection`].

use serde::Deserialize;
use serde_json::Value;

use super::model::{Bridge, Channel, Playback};
pub use super::rest_ws::RestResponse;

#[derive(Debug, thiserror::Error)]
#[error("ARI event is not valid JSON ({source}): {excerpt}")]
pub struct EventParseError {
    pub excerpt: String,
    #[source]
    pub source: serde_json::Error,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StasisStart {
    #[serde(default)]
    pub args: Vec<String>,
    pub channel: Channel,
    #[serde(default)]
    pub replace_channel: Option<Channel>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ChannelEvent {
    pub channel: Channel,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ChannelDestroyed {
    #[serde(default)]
    pub cause: i64,
    #[serde(default)]
    pub cause_txt: String,
    pub channel: Channel,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ChannelHangupRequest {
    #[serde(default)]
    pub cause: Option<i64>,
    #[serde(default)]
    pub soft: Option<bool>,
    pub channel: Channel,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Dial {
    #[serde(default)]
    pub dialstatus: String,
    #[serde(default)]
    pub dialstring: String,
    #[serde(default)]
    pub forward: String,
    pub peer: Channel,
    #[serde(default)]
    pub caller: Option<Channel>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ChannelDtmfReceived {
    pub digit: String,
    #[serde(default)]
    pub duration_ms: i64,
    pub channel: Channel,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PlaybackEvent {
    pub playback: Playback,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ChannelVarset {
    pub variable: String,
    #[serde(default)]
    pub value: String,
    /// Absent for global variables.
    #[serde(default)]
    pub channel: Option<Channel>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct BridgeChannelEvent {
    pub bridge: Bridge,
    #[serde(default)]
    pub channel: Option<Channel>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct BridgeEvent {
    pub bridge: Bridge,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ChannelUserevent {
    pub eventname: String,
    #[serde(default)]
    pub channel: Option<Channel>,
    #[serde(default)]
    pub bridge: Option<Bridge>,
    #[serde(default)]
    pub userevent: Value,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ChannelDialplan {
    #[serde(default)]
    pub dialplan_app: String,
    #[serde(default)]
    pub dialplan_app_data: String,
    pub channel: Channel,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ApplicationReplaced {
    #[serde(default)]
    pub application: String,
}

/// One ARI event. Variant names are the event's `type`.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    StasisStart(StasisStart),
    StasisEnd(ChannelEvent),
    ChannelStateChange(ChannelEvent),
    ChannelDestroyed(ChannelDestroyed),
    ChannelHangupRequest(ChannelHangupRequest),
    Dial(Dial),
    ChannelDtmfReceived(ChannelDtmfReceived),
    PlaybackStarted(PlaybackEvent),
    PlaybackFinished(PlaybackEvent),
    ChannelVarset(ChannelVarset),
    ChannelEnteredBridge(BridgeChannelEvent),
    ChannelLeftBridge(BridgeChannelEvent),
    BridgeDestroyed(BridgeEvent),
    ChannelUserevent(ChannelUserevent),
    ChannelDialplan(ChannelDialplan),
    ApplicationReplaced(ApplicationReplaced),
    /// The answer to a REST request sent over the WebSocket.
    RestResponse(RestResponse),
    /// Any other event, or a known type in a shape we could not read, as received.
    Unknown(Value),
}

/// Just the `type` of an event; the rest of the text is skipped without being stored.
#[derive(Deserialize)]
struct Kind<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<std::borrow::Cow<'a, str>>,
}

/// Reads a known event type straight into its struct; `None` for other types or a shape that
/// does not fit. `$read` is pasted into every arm, so each arm infers its own target type.
macro_rules! typed_event {
    ($kind:expr, $read:expr) => {
        match $kind {
            "StasisStart" => $read.map(Event::StasisStart),
            "StasisEnd" => $read.map(Event::StasisEnd),
            "ChannelStateChange" => $read.map(Event::ChannelStateChange),
            "ChannelDestroyed" => $read.map(Event::ChannelDestroyed),
            "ChannelHangupRequest" => $read.map(Event::ChannelHangupRequest),
            "Dial" => $read.map(Event::Dial),
            "ChannelDtmfReceived" => $read.map(Event::ChannelDtmfReceived),
            "PlaybackStarted" => $read.map(Event::PlaybackStarted),
            "PlaybackFinished" => $read.map(Event::PlaybackFinished),
            "ChannelVarset" => $read.map(Event::ChannelVarset),
            "ChannelEnteredBridge" => $read.map(Event::ChannelEnteredBridge),
            "ChannelLeftBridge" => $read.map(Event::ChannelLeftBridge),
            "BridgeDestroyed" => $read.map(Event::BridgeDestroyed),
            "ChannelUserevent" => $read.map(Event::ChannelUserevent),
            "ChannelDialplan" => $read.map(Event::ChannelDialplan),
            "ApplicationReplaced" => $read.map(Event::ApplicationReplaced),
            "RESTResponse" => $read.map(Event::RestResponse),
            _ => None,
        }
    };
}

impl Event {
    /// Parses one WebSocket text frame. The `type` is read first and the event then goes
    /// straight into its struct, which is much cheaper than letting serde buffer the whole
    /// event to find its tag.
    pub fn parse(text: &str) -> Result<Self, EventParseError> {
        let typed = match serde_json::from_str::<Kind<'_>>(text) {
            Ok(Kind { kind: Some(kind) }) => {
                typed_event!(kind.as_ref(), serde_json::from_str(text).ok())
            }
            // Not an object with a `type`: kept raw if it is JSON at all.
            Ok(Kind { kind: None }) | Err(_) => None,
        };
        match typed {
            Some(event) => Ok(event),
            None => serde_json::from_str::<Value>(text)
                .map(Event::Unknown)
                .map_err(|source| EventParseError {
                    excerpt: text.chars().take(120).collect(),
                    source,
                }),
        }
    }

    /// Reads an already-decoded JSON event (e.g. from a recorded trace).
    pub fn from_value(value: Value) -> Self {
        let kind = value.get("type").and_then(Value::as_str).unwrap_or("");
        let typed = typed_event!(kind, Deserialize::deserialize(&value).ok());
        typed.unwrap_or(Event::Unknown(value))
    }

    /// The event's `type` as Asterisk names it.
    pub fn kind(&self) -> &str {
        match self {
            Event::StasisStart(_) => "StasisStart",
            Event::StasisEnd(_) => "StasisEnd",
            Event::ChannelStateChange(_) => "ChannelStateChange",
            Event::ChannelDestroyed(_) => "ChannelDestroyed",
            Event::ChannelHangupRequest(_) => "ChannelHangupRequest",
            Event::Dial(_) => "Dial",
            Event::ChannelDtmfReceived(_) => "ChannelDtmfReceived",
            Event::PlaybackStarted(_) => "PlaybackStarted",
            Event::PlaybackFinished(_) => "PlaybackFinished",
            Event::ChannelVarset(_) => "ChannelVarset",
            Event::ChannelEnteredBridge(_) => "ChannelEnteredBridge",
            Event::ChannelLeftBridge(_) => "ChannelLeftBridge",
            Event::BridgeDestroyed(_) => "BridgeDestroyed",
            Event::ChannelUserevent(_) => "ChannelUserevent",
            Event::ChannelDialplan(_) => "ChannelDialplan",
            Event::ApplicationReplaced(_) => "ApplicationReplaced",
            Event::RestResponse(_) => "RESTResponse",
            Event::Unknown(v) => v.get("type").and_then(Value::as_str).unwrap_or(""),
        }
    }

    /// The state of the event's channel snapshot (`Ring`, `Up`, ...), for events that carry
    /// one.
    pub fn channel_state(&self) -> Option<&str> {
        let channel = match self {
            Event::StasisStart(e) => &e.channel,
            Event::StasisEnd(e) | Event::ChannelStateChange(e) => &e.channel,
            Event::ChannelDestroyed(e) => &e.channel,
            Event::ChannelHangupRequest(e) => &e.channel,
            Event::Dial(e) => &e.peer,
            Event::ChannelDtmfReceived(e) => &e.channel,
            Event::ChannelDialplan(e) => &e.channel,
            Event::ChannelVarset(e) => e.channel.as_ref()?,
            Event::ChannelEnteredBridge(e) | Event::ChannelLeftBridge(e) => e.channel.as_ref()?,
            Event::ChannelUserevent(e) => e.channel.as_ref()?,
            _ => return None,
        };
        Some(&channel.state)
    }

    /// The channel the event is about: `channel`, a Dial's `peer`, or a playback's target.
    pub fn channel_id(&self) -> Option<&str> {
        match self {
            Event::StasisStart(e) => Some(&e.channel.id),
            Event::StasisEnd(e) | Event::ChannelStateChange(e) => Some(&e.channel.id),
            Event::ChannelDestroyed(e) => Some(&e.channel.id),
            Event::ChannelHangupRequest(e) => Some(&e.channel.id),
            Event::Dial(e) => Some(&e.peer.id),
            Event::ChannelDtmfReceived(e) => Some(&e.channel.id),
            Event::PlaybackStarted(e) | Event::PlaybackFinished(e) => e.playback.channel_id(),
            Event::ChannelVarset(e) => e.channel.as_ref().map(|c| c.id.as_str()),
            Event::ChannelEnteredBridge(e) | Event::ChannelLeftBridge(e) => {
                e.channel.as_ref().map(|c| c.id.as_str())
            }
            Event::ChannelUserevent(e) => e.channel.as_ref().map(|c| c.id.as_str()),
            Event::ChannelDialplan(e) => Some(&e.channel.id),
            Event::BridgeDestroyed(_) | Event::ApplicationReplaced(_) | Event::RestResponse(_) => {
                None
            }
            Event::Unknown(v) => v
                .get("channel")
                .and_then(|c| c.get("id"))
                .and_then(Value::as_str),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stasis_start_keeps_args_and_channel() {
        let text = r#"{"type":"StasisStart","timestamp":"2026-11-23T09:30:52.207+0000","args":["inbound","1001"],"channel":{"id":"1795426252.33","name":"Local/1001@from-trace-00000010;2","state":"Ring","caller":{"name":"","number":"555"}},"asterisk_id":"02:fc:00:00:00:01","application":"trace"}"#;
        let Event::StasisStart(start) = Event::parse(text).expect("valid") else {
            panic!("not a StasisStart");
        };
        assert_eq!(start.args, ["inbound", "1001"]);
        assert_eq!(start.channel.id, "1795426252.33");
        assert_eq!(start.channel.state, "Ring");
        assert_eq!(start.channel.caller.number, "555");
    }

    #[test]
    fn unexpected_fields_are_ignored() {
        let text = r#"{"type":"ChannelDestroyed","cause":16,"cause_txt":"Normal Clearing","tech_cause":99,"brand_new":{"x":1},"channel":{"id":"a","future_field":true}}"#;
        let event = Event::parse(text).expect("valid");
        assert_eq!(event.kind(), "ChannelDestroyed");
        assert_eq!(event.channel_id(), Some("a"));
    }

    #[test]
    fn unknown_event_type_is_kept_raw() {
        let event = Event::parse(r#"{"type":"EndpointStateChange","endpoint":{}}"#).expect("json");
        assert!(matches!(event, Event::Unknown(_)));
        assert_eq!(event.kind(), "EndpointStateChange");
    }

    #[test]
    fn known_type_with_missing_required_part_is_kept_raw() {
        let event = Event::parse(r#"{"type":"StasisStart","args":[]}"#).expect("json");
        assert!(matches!(event, Event::Unknown(_)));
        assert_eq!(event.kind(), "StasisStart");
    }

    #[test]
    fn malformed_json_is_an_error_naming_the_text() {
        let err = Event::parse(r#"{"type":"Dial","peer":"#).expect_err("truncated");
        assert!(err.to_string().contains("not valid JSON"), "{err}");
        assert!(err.to_string().contains("Dial"), "{err}");
    }

    #[test]
    fn rest_response_is_typed_with_its_request_id() {
        let text = r#"{"type":"RESTResponse","transaction_id":"","request_id":"rs-7","status_code":204,"reason_phrase":"No Content","uri":"channels/a/answer","timestamp":"2026-11-23T09:30:52.207+0000","asterisk_id":"02:fc:00:00:00:01","application":"ringside"}"#;
        let Event::RestResponse(r) = Event::parse(text).expect("valid") else {
            panic!("not a RESTResponse");
        };
        assert_eq!(r.request_id, "rs-7");
        assert_eq!(r.status_code, 204);
        assert_eq!(r.message_body, None);
    }

    #[test]
    fn json_that_is_not_an_object_is_kept_raw() {
        let event = Event::parse("[1,2,3]").expect("json");
        assert!(matches!(event, Event::Unknown(_)));
        assert_eq!(event.kind(), "");
    }

    #[test]
    fn from_value_reads_the_same_types_as_parse() {
        let text = r#"{"type":"Dial","dialstatus":"ANSWER","peer":{"id":"leg-1"}}"#;
        let value: Value = serde_json::from_str(text).expect("json");
        assert_eq!(Event::from_value(value), Event::parse(text).expect("ok"));
    }

    #[test]
    fn dial_event_is_routed_by_its_peer() {
        let event = Event::parse(r#"{"type":"Dial","dialstatus":"BUSY","peer":{"id":"leg-1"}}"#)
            .expect("ok");
        assert_eq!(event.channel_id(), Some("leg-1"));
    }

    #[test]
    fn playback_event_is_routed_by_its_target_channel() {
        let event = Event::parse(
            r#"{"type":"PlaybackFinished","playback":{"id":"p","target_uri":"channel:leg-2","state":"done"}}"#,
        )
        .expect("ok");
        assert_eq!(event.channel_id(), Some("leg-2"));
    }
}
