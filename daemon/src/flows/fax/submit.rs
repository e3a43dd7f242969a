//! Queuing a fax to send: checks the destination and the document, keeps a copy of the
//! document in the data dir, and stores the job. The worker does the rest.
//!
//! Everything a user can get wrong is caught here, before anything is queued: a destination
//! with letters or none at all, a file that is neither PDF nor TIFF, a document with no pages,
//! too many pages or too many bytes.

use crate::atomic_file::{self, Durability};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::ports::DocumentConverter;
use crate::store::fax::{FaxJob, NewSendJob};
use crate::store::{Store, StoreError};

/// The largest document accepted for sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocumentLimits {
    pub max_bytes: u64,
    pub max_pages: u32,
}

impl Default for DocumentLimits {
    fn default() -> Self {
        Self {
            max_bytes: 20 * 1024 * 1024,
            max_pages: 100,
        }
    }
}

/// Longest destination accepted (E.164 allows 15 digits; dialling prefixes add a few).
const MAX_NUMBER_DIGITS: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("the destination number is empty")]
    EmptyNumber,
    #[error("destination {0:?} is not a phone number: use digits only, with an optional leading +")]
    BadNumber(String),
    #[error("destination {0:?} is longer than {MAX_NUMBER_DIGITS} digits")]
    NumberTooLong(String),
    #[error("extension {0:?} is not valid: use digits only")]
    BadExtension(String),
    #[error("cannot read document {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("document {path} is {size} bytes, over the limit of {max} bytes")]
    TooLarge { path: PathBuf, size: u64, max: u64 },
    #[error("document {path} is neither a PDF nor a TIFF")]
    NotADocument { path: PathBuf },
    #[error("document {path} cannot be read as a {kind}: {reason}")]
    Unreadable {
        path: PathBuf,
        kind: &'static str,
        reason: String,
    },
    #[error("document {path} has no pages")]
    NoPages { path: PathBuf },
    #[error("document {path} has {pages} pages, over the limit of {max}")]
    TooManyPages { path: PathBuf, pages: u32, max: u32 },
    #[error("cannot keep a copy of the document in {dir}: {source}")]
    Keep {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A document type the fax path takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    Pdf,
    Tiff,
}

impl DocumentKind {
    /// Recognised by content, not by name: `%PDF-`, or a little/big-endian TIFF header.
    pub fn sniff(head: &[u8]) -> Option<Self> {
        if head.starts_with(b"%PDF-") {
            Some(DocumentKind::Pdf)
        } else if head.starts_with(b"II*\0") || head.starts_with(b"MM\0*") {
            Some(DocumentKind::Tiff)
        } else {
            None
        }
    }

    fn name(self) -> &'static str {
        match self {
            DocumentKind::Pdf => "PDF",
            DocumentKind::Tiff => "TIFF",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            DocumentKind::Pdf => "pdf",
            DocumentKind::Tiff => "tif",
        }
    }
}

/// The destination as it will be dialled: digits with an optional leading `+`; spaces and
/// the usual separators (`-`, `.`, `(`, `)`) people type are dropped.
pub fn normalize_number(input: &str) -> Result<String, SubmitError> {
    let kept: String = input
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
        .collect();
    if kept.is_empty() {
        return Err(SubmitError::EmptyNumber);
    }
    let digits = kept.strip_prefix('+').unwrap_or(&kept);
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(SubmitError::BadNumber(input.to_owned()));
    }
    if digits.len() > MAX_NUMBER_DIGITS {
        return Err(SubmitError::NumberTooLong(input.to_owned()));
    }
    Ok(kept)
}

pub fn validate_extension(ext: &str) -> Result<(), SubmitError> {
    if ext.is_empty() || !ext.chars().all(|c| c.is_ascii_digit()) {
        return Err(SubmitError::BadExtension(ext.to_owned()));
    }
    Ok(())
}

/// What to send, from whom, to where.
#[derive(Debug, Clone)]
pub struct SendRequest {
    pub owner: String,
    pub number: String,
    pub document: PathBuf,
    /// The name the user knows the document by; `None`: the document's own file name.
    pub file_name: Option<String>,
}

/// Longest document name kept for showing.
const FILE_NAME_MAX: usize = 200;

/// The name a document is shown by: its file name, without control characters, capped.
pub fn document_file_name(document: &Path) -> String {
    shown_file_name(&document.file_name().unwrap_or_default().to_string_lossy())
}

fn shown_file_name(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_control())
        .take(FILE_NAME_MAX)
        .collect()
}

/// Checks the request and queues the fax; the copy of the document lives in `outgoing_dir`.
pub async fn submit_fax(
    store: &Store,
    converter: Arc<dyn DocumentConverter>,
    outgoing_dir: &Path,
    request: SendRequest,
    limits: DocumentLimits,
    max_attempts: u32,
) -> Result<FaxJob, SubmitError> {
    validate_extension(&request.owner)?;
    let number = normalize_number(&request.number)?;
    let document = request.document.clone();
    let dir = outgoing_dir.to_owned();
    let (kept, pages) =
        tokio::task::spawn_blocking(move || check_and_keep(&*converter, &document, &dir, limits))
            .await
            .map_err(|e| SubmitError::Unreadable {
                path: request.document.clone(),
                kind: "document",
                reason: e.to_string(),
            })??;
    let job = store
        .insert_send_job(
            &NewSendJob {
                owner: request.owner,
                number,
                document_path: kept.display().to_string(),
                tiff_path: None,
                pages_total: pages,
                max_attempts,
                file_name: request
                    .file_name
                    .as_deref()
                    .map_or_else(|| document_file_name(&request.document), shown_file_name),
            },
            chrono::Utc::now(),
        )
        .await;
    match job {
        Ok(job) => Ok(job),
        Err(err) => {
            let _ = std::fs::remove_file(&kept);
            Err(err.into())
        }
    }
}

fn check_and_keep(
    converter: &dyn DocumentConverter,
    document: &Path,
    outgoing_dir: &Path,
    limits: DocumentLimits,
) -> Result<(PathBuf, u32), SubmitError> {
    let read_err = |source| SubmitError::Read {
        path: document.to_owned(),
        source,
    };
    let size = std::fs::metadata(document).map_err(read_err)?.len();
    if size > limits.max_bytes {
        return Err(SubmitError::TooLarge {
            path: document.to_owned(),
            size,
            max: limits.max_bytes,
        });
    }
    let mut head = [0u8; 8];
    let mut file = std::fs::File::open(document).map_err(read_err)?;
    let n = file.read(&mut head).map_err(read_err)?;
    let kind = DocumentKind::sniff(&head[..n]).ok_or_else(|| SubmitError::NotADocument {
        path: document.to_owned(),
    })?;
    let pages = converter
        .count_pages(document)
        .map_err(|reason| SubmitError::Unreadable {
            path: document.to_owned(),
            kind: kind.name(),
            reason,
        })?;
    if pages == 0 {
        return Err(SubmitError::NoPages {
            path: document.to_owned(),
        });
    }
    if pages > limits.max_pages {
        return Err(SubmitError::TooManyPages {
            path: document.to_owned(),
            pages,
            max: limits.max_pages,
        });
    }
    let keep_err = |source| SubmitError::Keep {
        dir: outgoing_dir.to_owned(),
        source,
    };
    std::fs::create_dir_all(outgoing_dir).map_err(keep_err)?;
    let name = format!("{}.{}", uuid::Uuid::new_v4().simple(), kind.extension());
    let kept = outgoing_dir.join(&name);
    atomic_file::copy(document, &kept, Durability::Durable).map_err(keep_err)?;
    Ok((kept, pages))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_digits_are_kept() {
        assert_eq!(normalize_number("5551234").expect("valid"), "5551234");
    }

    #[test]
    fn leading_plus_and_separators_are_accepted() {
        assert_eq!(
            normalize_number(" +49 (30) 123-45.6 ").expect("valid"),
            "+4930123456"
        );
    }

    #[test]
    fn letters_in_the_destination_are_rejected_by_name() {
        let err = normalize_number("555FAXME").expect_err("letters");
        assert!(err.to_string().contains("555FAXME"), "{err}");
    }

    #[test]
    fn empty_destination_is_rejected() {
        assert!(matches!(
            normalize_number("  "),
            Err(SubmitError::EmptyNumber)
        ));
    }

    #[test]
    fn dial_string_characters_are_rejected() {
        assert!(normalize_number("555@trunk&PJSIP/9").is_err());
    }

    #[test]
    fn a_lone_plus_is_rejected() {
        assert!(matches!(
            normalize_number("+"),
            Err(SubmitError::BadNumber(_))
        ));
    }

    #[test]
    fn overlong_destination_is_rejected() {
        assert!(matches!(
            normalize_number(&"1".repeat(40)),
            Err(SubmitError::NumberTooLong(_))
        ));
    }

    #[test]
    fn pdf_and_tiff_are_sniffed_by_content() {
        assert_eq!(DocumentKind::sniff(b"%PDF-1.7\n"), Some(DocumentKind::Pdf));
        assert_eq!(
            DocumentKind::sniff(b"II*\0\x08\0"),
            Some(DocumentKind::Tiff)
        );
        assert_eq!(DocumentKind::sniff(b"MM\0*\0\0"), Some(DocumentKind::Tiff));
        assert_eq!(DocumentKind::sniff(b"PK\x03\x04"), None);
    }

    #[test]
    fn extension_with_letters_is_rejected() {
        assert!(validate_extension("10a1").is_err());
        assert!(validate_extension("").is_err());
        assert!(validate_extension("1001").is_ok());
    }
}
