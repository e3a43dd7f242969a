//! Call history as the portal shows it: a filter typed from a form or query string, a page of
//! calls, a call's CDR rows, whether its recording may be replayed, and who may replay
//! recordings (IP Office style: none, own calls, all calls).
//!
//! Not here: where calls come from (the daemon's CDR store) or how filters run.

use bytes::Bytes;
use chrono::{DateTime, NaiveDate, Utc};
use futures_util::stream::BoxStream;
use serde::{Deserialize, Serialize};

/// Whether `number` (trimmed, not empty) may be a call-history number filter: digits,
/// letters, spaces and `+ * # . - @`, at most 40 characters. None of SQL `LIKE`'s wildcards
/// can pass, so the store may match it as a substring as it is.
pub fn is_number_filter(number: &str) -> bool {
    number.chars().count() <= 40
        && number
            .chars()
            .all(|c| c.is_alphanumeric() || " +*#.-@".contains(c))
}

/// How a call ended, as users see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CallStatus {
    Answered,
    /// Nobody answered.
    Missed,
    Busy,
    /// The call could not be placed (failed, congestion).
    Failed,
}

impl CallStatus {
    pub const ALL: [CallStatus; 4] = [
        CallStatus::Answered,
        CallStatus::Missed,
        CallStatus::Busy,
        CallStatus::Failed,
    ];

    pub fn key(self) -> &'static str {
        match self {
            CallStatus::Answered => "answered",
            CallStatus::Missed => "missed",
            CallStatus::Busy => "busy",
            CallStatus::Failed => "failed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CallStatus::Answered => "Answered",
            CallStatus::Missed => "Missed / no answer",
            CallStatus::Busy => "Busy",
            CallStatus::Failed => "Failed",
        }
    }

    pub fn parse(s: &str) -> Option<CallStatus> {
        let s = s.trim().to_ascii_lowercase();
        match s.as_str() {
            "no-answer" | "no_answer" | "noanswer" => Some(CallStatus::Missed),
            _ => CallStatus::ALL.into_iter().find(|c| c.key() == s),
        }
    }
}

/// A call as one user on it sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CallDirection {
    Incoming,
    Outgoing,
    /// Between two users' extensions.
    Internal,
}

impl CallDirection {
    pub const ALL: [CallDirection; 3] = [
        CallDirection::Incoming,
        CallDirection::Outgoing,
        CallDirection::Internal,
    ];

    pub fn key(self) -> &'static str {
        match self {
            CallDirection::Incoming => "incoming",
            CallDirection::Outgoing => "outgoing",
            CallDirection::Internal => "internal",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CallDirection::Incoming => "Incoming",
            CallDirection::Outgoing => "Outgoing",
            CallDirection::Internal => "Internal",
        }
    }

    pub fn parse(s: &str) -> Option<CallDirection> {
        let s = s.trim().to_ascii_lowercase();
        CallDirection::ALL.into_iter().find(|d| d.key() == s)
    }
}

/// Who may replay recorded calls, set per user by an administrator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReplayRight {
    None,
    /// The calls the user was on.
    #[default]
    Own,
    All,
}

impl ReplayRight {
    pub const ALL: [ReplayRight; 3] = [ReplayRight::None, ReplayRight::Own, ReplayRight::All];

    pub fn key(self) -> &'static str {
        match self {
            ReplayRight::None => "none",
            ReplayRight::Own => "own",
            ReplayRight::All => "all",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ReplayRight::None => "None",
            ReplayRight::Own => "Own calls",
            ReplayRight::All => "All calls",
        }
    }

    pub fn parse(s: &str) -> Option<ReplayRight> {
        ReplayRight::ALL.into_iter().find(|r| r.key() == s.trim())
    }

    /// Whether a user with this right may replay a call they were (or were not) on.
    pub fn allows(self, own_call: bool) -> bool {
        match self {
            ReplayRight::None => false,
            ReplayRight::Own => own_call,
            ReplayRight::All => true,
        }
    }
}

/// Export file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CallExportFormat {
    Csv,
    Xlsx,
}

impl CallExportFormat {
    pub fn parse(s: &str) -> Option<CallExportFormat> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Some(CallExportFormat::Csv),
            "xlsx" => Some(CallExportFormat::Xlsx),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            CallExportFormat::Csv => "csv",
            CallExportFormat::Xlsx => "xlsx",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            CallExportFormat::Csv => "text/csv; charset=utf-8",
            CallExportFormat::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        }
    }
}

/// Which calls to show. Dates are whole days in `tz`, both included.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CallsFilter {
    pub since: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
    pub status: Option<CallStatus>,
    pub direction: Option<CallDirection>,
    /// Part of the other party's number or name.
    pub number: Option<String>,
    /// IANA zone of the dates and of the times shown; empty for the server's.
    pub tz: String,
    /// The admin view's extension filter; ignored in a user's own view.
    pub extension: Option<String>,
}

/// One page of calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallsQuery {
    pub filter: CallsFilter,
    /// 1-based.
    pub page: u32,
    pub per_page: u32,
}

/// One call in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallEntry {
    pub id: String,
    pub started: DateTime<Utc>,
    pub ended: DateTime<Utc>,
    /// `started` in the filter's zone, as `2026-12-05 22:50:30`.
    pub started_local: String,
    pub caller: String,
    pub caller_name: String,
    pub callee: String,
    pub status: CallStatus,
    /// As the user the row is for saw it; absent in the admin view over all calls.
    pub direction: Option<CallDirection>,
    /// The user the row is for; empty in the admin view over all calls.
    pub extension: String,
    /// The channel that answered, empty if none.
    pub answered_by: String,
    pub talk_secs: i64,
    pub duration_secs: i64,
    pub recorded: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallsPage {
    pub calls: Vec<CallEntry>,
    pub page: u32,
    pub per_page: u32,
    pub has_more: bool,
}

/// One CDR row of a call, as Asterisk wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallRecord {
    pub start: DateTime<Utc>,
    pub answer: Option<DateTime<Utc>>,
    pub end: DateTime<Utc>,
    pub source: String,
    pub destination: String,
    pub caller_id: String,
    pub channel: String,
    pub destination_channel: String,
    pub application: String,
    pub data: String,
    pub disposition: String,
    pub duration_secs: i64,
    pub billable_secs: i64,
    pub unique_id: String,
}

/// A call's recording as the viewer may use it (its path is never shown).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallRecordingInfo {
    /// The file exists in the recordings directory.
    pub available: bool,
    /// The viewer's replay right covers this call.
    pub may_replay: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallDetail {
    pub call: CallEntry,
    pub records: Vec<CallRecord>,
    pub recording: Option<CallRecordingInfo>,
}

/// Who is looking: a user in their own history, or an administrator over every call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallViewer {
    pub extension: String,
    pub admin_view: bool,
}

/// A file being sent: an export or a recording.
pub struct CallFile {
    pub content_type: String,
    pub file_name: String,
    pub length: Option<u64>,
    pub body: BoxStream<'static, std::io::Result<Bytes>>,
}

impl std::fmt::Debug for CallFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallFile")
            .field("content_type", &self.content_type)
            .field("file_name", &self.file_name)
            .field("length", &self.length)
            .finish_non_exhaustive()
    }
}
