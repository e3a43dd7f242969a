//! Voicemail messages as the portal shows them: folders with counts, one page of messages,
//! and a recording the backend can stream any byte range of.

use std::ops::Range;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::stream::BoxStream;
use serde::{Deserialize, Serialize};

/// app_voicemail's folders. Serialized with Asterisk's names (`INBOX`, `Old`, …), which are
/// also their directory names in the spool and the names the manager actions take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum VoicemailFolder {
    #[serde(rename = "INBOX")]
    Inbox,
    Old,
    Work,
    Family,
    Friends,
    Urgent,
}

impl VoicemailFolder {
    pub const ALL: [VoicemailFolder; 6] = [
        VoicemailFolder::Inbox,
        VoicemailFolder::Old,
        VoicemailFolder::Work,
        VoicemailFolder::Family,
        VoicemailFolder::Friends,
        VoicemailFolder::Urgent,
    ];

    /// Asterisk's name, used in URLs and JSON.
    pub fn key(self) -> &'static str {
        match self {
            VoicemailFolder::Inbox => "INBOX",
            VoicemailFolder::Old => "Old",
            VoicemailFolder::Work => "Work",
            VoicemailFolder::Family => "Family",
            VoicemailFolder::Friends => "Friends",
            VoicemailFolder::Urgent => "Urgent",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            VoicemailFolder::Inbox => "New",
            VoicemailFolder::Old => "Old",
            VoicemailFolder::Work => "Work",
            VoicemailFolder::Family => "Family",
            VoicemailFolder::Friends => "Friends",
            VoicemailFolder::Urgent => "Urgent",
        }
    }

    /// Case-insensitive (`inbox`, `INBOX`, `old`); surrounding blanks are ignored.
    pub fn parse(text: &str) -> Option<VoicemailFolder> {
        VoicemailFolder::ALL
            .into_iter()
            .find(|f| f.key().eq_ignore_ascii_case(text.trim()))
    }

    /// New (not yet heard) messages live here.
    pub fn is_new(self) -> bool {
        matches!(self, VoicemailFolder::Inbox | VoicemailFolder::Urgent)
    }
}

impl std::fmt::Display for VoicemailFolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.key())
    }
}

/// One message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoicemailMessage {
    /// app_voicemail's `msg_id`, stable across renumbering.
    pub id: String,
    pub folder: VoicemailFolder,
    pub caller_name: String,
    pub caller_number: String,
    pub received_at: Option<DateTime<Utc>>,
    pub duration_secs: Option<u32>,
    pub urgent: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FolderCount {
    pub folder: VoicemailFolder,
    pub count: u32,
}

/// Which page of which folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoicemailQuery {
    pub folder: VoicemailFolder,
    /// 1-based.
    pub page: u32,
    pub per_page: u32,
}

/// One page of a folder, newest first, with the counts of every folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoicemailPage {
    pub folder: VoicemailFolder,
    pub folders: Vec<FolderCount>,
    pub messages: Vec<VoicemailMessage>,
    pub page: u32,
    pub per_page: u32,
    /// Messages in the folder.
    pub total: u32,
    /// Message files of this folder the server could not read (damaged).
    pub unreadable: u32,
}

/// What deleting several messages did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoicemailDeleteReport {
    pub deleted: Vec<String>,
    /// Already gone (deleted by phone, say) when asked.
    pub gone: Vec<String>,
}

/// A message's recording as a WAV file the browser plays, of known length, of which the
/// backend streams any byte range (the player seeks with HTTP range requests).
pub trait VoicemailAudio: Send {
    /// Bytes in the whole WAV file.
    fn len(&self) -> u64;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Streams bytes `range` (within `0..len()`).
    fn stream(self: Box<Self>, range: Range<u64>) -> BoxStream<'static, std::io::Result<Bytes>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_use_asterisks_names_in_json() {
        assert_eq!(
            serde_json::to_string(&VoicemailFolder::Inbox).expect("json"),
            "\"INBOX\""
        );
        assert_eq!(
            VoicemailFolder::parse("inbox"),
            Some(VoicemailFolder::Inbox)
        );
        assert_eq!(VoicemailFolder::parse("Deleted"), None);
    }
}
