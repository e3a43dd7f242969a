//! Typed ARI WebSocket events: the ones Ringside acts on, and everything else kept raw.
//!
//! Parsing never fails on a field it does not know or a field Asterisk left out; an event type
//! Ringside does not handle (or a known type whose shape is not what Asterisk 22 sends) becomes
//! [`Event::Unknown`] with the raw JSON. Only text that is not JSON at all is an error. This
//! module does no I/O; the WebSocket lives in [`super::connection`].

use serde::Deserialize;
use serde_json::Value;

use super::model::{Bridge, Channel, Playback};

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
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type")]
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
    /// Any other event, or a known type in a shape we could not read, as received.
    #[serde(skip)]
    Unknown(Value),
}

impl Event {
    /// Parses one WebSocket text frame.
    pub fn parse(text: &str) -> Result<Self, EventParseError> {
        match serde_json::from_str::<Event>(text) {
            Ok(event) => Ok(event),
            Err(_) => match serde_json::from_str::<Value>(text) {
                Ok(value) => Ok(Event::Unknown(value)),
                Err(source) => Err(EventParseError {
                    excerpt: text.chars().take(120).collect(),
                    source,
                }),
            },
        }
    }

    /// Reads an already-decoded JSON event (e.g. from a recorded trace).
    pub fn from_value(value: Value) -> Self {
        match Event::deserialize(&value) {
            Ok(event) => event,
            Err(_) => Event::Unknown(value),
        }
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
            Event::Unknown(v) => v.get("type").and_then(Value::as_str).unwrap_or(""),
        }
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
            Event::BridgeDestroyed(_) | Event::ApplicationReplaced(_) => None,
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
