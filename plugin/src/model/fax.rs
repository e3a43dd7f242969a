//! Fax jobs (sent) and received faxes.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub type FaxJobId = i64;
pub type ReceivedFaxId = i64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaxState {
    Converting,
    Queued,
    Dialing,
    Sending,
    Retrying,
    Sent,
    Failed,
}

impl FaxState {
    /// No further progress will follow.
    pub fn is_final(self) -> bool {
        matches!(self, FaxState::Sent | FaxState::Failed)
    }

    pub fn label(self) -> &'static str {
        match self {
            FaxState::Converting => "converting",
            FaxState::Queued => "queued",
            FaxState::Dialing => "dialing",
            FaxState::Sending => "sending",
            FaxState::Retrying => "waiting to retry",
            FaxState::Sent => "sent",
            FaxState::Failed => "failed",
        }
    }
}

/// A fax being sent or already sent. The backend publishes every change of a job on
/// [`Backend::fax_progress`](crate::Backend::fax_progress).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaxJob {
    pub id: FaxJobId,
    pub owner: String,
    pub number: String,
    pub file_name: String,
    pub state: FaxState,
    pub pages_sent: u32,
    /// Known once the document is converted.
    pub pages_total: Option<u32>,
    pub attempts: u32,
    /// Asterisk's FAXSTATUS / FAXERROR of the last attempt, empty before.
    pub status: String,
    pub error: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Where a transfer in progress stands, as Asterisk reports it while the fax is being sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaxTransfer {
    /// The page being sent, 1-based, never past the last page.
    pub page: u32,
    /// The document's pages, when known.
    pub pages_total: Option<u32>,
    /// Pages already through.
    pub pages_sent: u32,
    /// The negotiated bit rate, once known.
    pub bit_rate: Option<u32>,
}

impl FaxTransfer {
    /// "page 2 of 3, 14400 bit/s", as the fax pages show it.
    pub fn summary(&self) -> String {
        let mut text = match self.pages_total {
            Some(total) => format!("page {} of {total}", self.page),
            None => format!("page {}", self.page),
        };
        if let Some(rate) = self.bit_rate {
            text.push_str(&format!(", {rate} bit/s"));
        }
        text
    }
}

/// A job with its transfer, when one is in progress and Asterisk reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaxProgress {
    pub job: FaxJob,
    pub transfer: Option<FaxTransfer>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceivedFax {
    pub id: ReceivedFaxId,
    pub owner: String,
    /// Caller ID of the sender, as received.
    pub from_number: String,
    pub pages: u32,
    pub received_at: DateTime<Utc>,
}

/// Download format of a fax document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FaxFormat {
    Pdf,
    Tiff,
}

impl FaxFormat {
    pub fn parse(s: &str) -> Option<FaxFormat> {
        match s {
            "pdf" => Some(FaxFormat::Pdf),
            "tiff" => Some(FaxFormat::Tiff),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            FaxFormat::Pdf => "application/pdf",
            FaxFormat::Tiff => "image/tiff",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            FaxFormat::Pdf => "pdf",
            FaxFormat::Tiff => "tiff",
        }
    }
}

/// The kind of document a user uploads to send, as declared by its content type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FaxDocumentKind {
    Pdf,
    Tiff,
}

impl FaxDocumentKind {
    pub fn from_content_type(content_type: &str) -> Option<FaxDocumentKind> {
        match content_type {
            "application/pdf" => Some(FaxDocumentKind::Pdf),
            "image/tiff" | "image/tif" => Some(FaxDocumentKind::Tiff),
            _ => None,
        }
    }
}

/// An uploaded document to fax, already size-capped by the portal. Its bytes are not yet
/// checked: the backend must reject a document that is not what `kind` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaxDocument {
    pub kind: FaxDocumentKind,
    pub file_name: String,
    pub bytes: Bytes,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transfer(pages_total: Option<u32>, bit_rate: Option<u32>) -> FaxTransfer {
        FaxTransfer {
            page: 2,
            pages_total,
            pages_sent: 1,
            bit_rate,
        }
    }

    #[test]
    fn a_transfer_reads_page_of_pages_and_its_rate() {
        assert_eq!(
            transfer(Some(3), Some(14400)).summary(),
            "page 2 of 3, 14400 bit/s"
        );
    }

    #[test]
    fn a_transfer_says_only_what_is_known() {
        assert_eq!(transfer(None, None).summary(), "page 2");
        assert_eq!(transfer(Some(3), None).summary(), "page 2 of 3");
    }
}
