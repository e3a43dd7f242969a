//! ARI resource models (Channel, Bridge, Playback, ...) as Asterisk 22 serialises them.
//!
//! Every field has a default so that a field Asterisk leaves out, or one a newer Asterisk
//! adds, never makes a message unreadable. These are plain data types; the REST calls live in
//! [`super::client`] and the events in [`super::events`].

use serde::{Deserialize, Serialize};

/// `CallerID` model: a name and a number, both possibly empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CallerId {
    pub name: String,
    pub number: String,
}

/// `DialplanCEP` model: where a channel is in the dialplan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DialplanCep {
    pub context: String,
    pub exten: String,
    pub priority: i64,
    pub app_name: String,
    pub app_data: String,
}

/// `Channel` model.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Channel {
    pub id: String,
    pub name: String,
    /// `Down`, `Rsrvd`, `OffHook`, `Dialing`, `Ring`, `Ringing`, `Up`, `Busy`, ...
    pub state: String,
    pub protocol_id: String,
    pub caller: CallerId,
    pub connected: CallerId,
    pub accountcode: String,
    pub dialplan: DialplanCep,
    pub creationtime: String,
    pub language: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channelvars: Option<serde_json::Value>,
}

/// `Bridge` model.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Bridge {
    pub id: String,
    pub technology: String,
    pub bridge_type: String,
    pub bridge_class: String,
    pub creator: String,
    pub name: String,
    pub channels: Vec<String>,
    pub creationtime: String,
    pub video_mode: String,
}

/// `Playback` model. `target_uri` is `channel:<id>` or `bridge:<id>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Playback {
    pub id: String,
    pub media_uri: String,
    pub target_uri: String,
    pub language: String,
    /// `queued`, `playing`, `continuing`, `done`, `failed`.
    pub state: String,
}

impl Playback {
    /// The channel this playback plays to, if its target is a channel.
    pub fn channel_id(&self) -> Option<&str> {
        self.target_uri.strip_prefix("channel:")
    }
}

/// `Application` model (`GET /applications/{name}`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Application {
    pub name: String,
    pub channel_ids: Vec<String>,
    pub bridge_ids: Vec<String>,
    pub endpoint_ids: Vec<String>,
    pub device_names: Vec<String>,
}

/// Answer of `GET /asterisk/ping`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AsteriskPing {
    pub asterisk_id: String,
    pub ping: String,
    pub timestamp: String,
}

/// Values of `Dial.dialstatus` that Ringside acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialStatus {
    /// The empty status of the first `Dial` event: dialling has started.
    Started,
    Ringing,
    Answer,
    Busy,
    Congestion,
    NoAnswer,
    ChanUnavail,
    Cancel,
    Progress,
    Other,
}

impl DialStatus {
    pub fn parse(s: &str) -> Self {
        match s {
            "" => Self::Started,
            "RINGING" => Self::Ringing,
            "ANSWER" => Self::Answer,
            "BUSY" => Self::Busy,
            "CONGESTION" => Self::Congestion,
            "NOANSWER" => Self::NoAnswer,
            "CHANUNAVAIL" => Self::ChanUnavail,
            "CANCEL" => Self::Cancel,
            "PROGRESS" => Self::Progress,
            _ => Self::Other,
        }
    }
}

/// Q.850 cause codes that appear in ARI events.
pub mod cause {
    pub const UNALLOCATED: i64 = 1;
    pub const NO_ROUTE_DESTINATION: i64 = 3;
    pub const NORMAL_CLEARING: i64 = 16;
    pub const USER_BUSY: i64 = 17;
    pub const NO_USER_RESPONSE: i64 = 18;
    pub const NO_ANSWER: i64 = 19;
    pub const SUBSCRIBER_ABSENT: i64 = 20;
    pub const CALL_REJECTED: i64 = 21;
    pub const ANSWERED_ELSEWHERE: i64 = 26;
    pub const DESTINATION_OUT_OF_ORDER: i64 = 27;
    pub const CONGESTION: i64 = 34;

    /// Asterisk's `cause_txt` for a cause code.
    pub fn text(code: i64) -> &'static str {
        match code {
            0 => "Unknown",
            UNALLOCATED => "Unallocated (unassigned) number",
            NO_ROUTE_DESTINATION => "No route to destination",
            NORMAL_CLEARING => "Normal Clearing",
            USER_BUSY => "User busy",
            NO_USER_RESPONSE => "No user responding",
            NO_ANSWER => "User alerting, no answer",
            SUBSCRIBER_ABSENT => "Subscriber absent",
            CALL_REJECTED => "Call Rejected",
            ANSWERED_ELSEWHERE => "Answered elsewhere",
            DESTINATION_OUT_OF_ORDER => "Destination out of order",
            CONGESTION => "Circuit/channel congestion",
            _ => "Unknown",
        }
    }
}
