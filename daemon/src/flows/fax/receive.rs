//! Received faxes: after `ReceiveFAX` in `[ringside-fax-in]`, the dialplan tells the daemon
//! (FastAGI script `fax-received`) who the fax was for, who sent it, where the TIFF is and
//! what `ReceiveFAX` reported. The daemon moves the TIFF into the data dir, makes a PDF copy
//! and records the fax — failed and partial receptions too, with their error, so the user
//! sees them.
//!
//! [`reception_outcome`] is the pure decision; [`record_received_fax`] does the file work.

use crate::atomic_file::{self, AtomicFile, Durability};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::call::uri_decode;
use super::ports::DocumentConverter;
use crate::store::fax::{FaxJob, JobState, NewReceivedFax};
use crate::store::{Store, StoreError};

/// The FastAGI script name the fax-in context calls.
pub const AGI_SCRIPT: &str = "fax-received";

/// What the fax-in context reports about one reception.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedFaxReport {
    /// The extension the fax was for.
    pub recipient: String,
    pub caller_id: String,
    /// Where `ReceiveFAX` wrote the TIFF.
    pub spool_tiff: PathBuf,
    /// `FAXSTATUS`: `SUCCESS` or `FAILED`.
    pub status: String,
    pub error: String,
    pub status_string: String,
    /// `FAXPAGES`: pages received.
    pub pages: u32,
    pub remote_station_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceivedReportError {
    #[error(
        "fax-received takes 2 to 8 arguments (recipient, tiff, status, pages, error, status string, remote station, caller id), got {0}"
    )]
    ArgumentCount(usize),
    #[error("fax-received argument {name} is not valid: {value:?}")]
    Invalid { name: &'static str, value: String },
}

#[derive(Debug, thiserror::Error)]
pub enum ReceiveError {
    #[error("cannot store the received fax in {dir}: {source}")]
    Storage {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Reads the `fax-received` AGI arguments, each URI-encoded by the dialplan:
/// recipient, TIFF path, FAXSTATUS, FAXPAGES, FAXERROR, FAXSTATUSSTRING, REMOTESTATIONID,
/// caller id number.
pub fn parse_agi_arguments(args: &[String]) -> Result<ReceivedFaxReport, ReceivedReportError> {
    // Asterisk may leave out empty trailing arguments; recipient and TIFF are required.
    if !(2..=8).contains(&args.len()) {
        return Err(ReceivedReportError::ArgumentCount(args.len()));
    }
    let mut args = args.to_vec();
    args.resize(8, String::new());
    let names = [
        "recipient",
        "tiff",
        "status",
        "pages",
        "error",
        "status string",
        "remote station",
        "caller id",
    ];
    let mut decoded = Vec::with_capacity(8);
    for (name, raw) in names.into_iter().zip(&args) {
        let value = uri_decode(raw.trim()).ok_or_else(|| ReceivedReportError::Invalid {
            name,
            value: raw.clone(),
        })?;
        decoded.push(value);
    }
    let [
        recipient,
        tiff,
        status,
        pages,
        error,
        status_string,
        remote,
        caller,
    ] = <[String; 8]>::try_from(decoded)
        .map_err(|v| ReceivedReportError::ArgumentCount(v.len()))?;
    if recipient.is_empty() || !recipient.chars().all(|c| c.is_ascii_digit()) {
        return Err(ReceivedReportError::Invalid {
            name: "recipient",
            value: recipient,
        });
    }
    let spool_tiff = PathBuf::from(&tiff);
    let is_tiff = spool_tiff
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("tif") || e.eq_ignore_ascii_case("tiff"));
    if !spool_tiff.is_absolute()
        || !is_tiff
        || spool_tiff
            .components()
            .any(|c| matches!(c, std::path::Component::ParentDir))
    {
        return Err(ReceivedReportError::Invalid {
            name: "tiff",
            value: tiff,
        });
    }
    let pages = if pages.is_empty() {
        0
    } else {
        pages.parse().map_err(|_| ReceivedReportError::Invalid {
            name: "pages",
            value: pages.clone(),
        })?
    };
    Ok(ReceivedFaxReport {
        recipient,
        caller_id: caller,
        spool_tiff,
        status,
        error,
        status_string,
        pages,
        remote_station_id: remote,
    })
}

/// The recorded state and error of a reception, from what Asterisk reported and what the
/// daemon could do with the file.
pub fn reception_outcome(
    report: &ReceivedFaxReport,
    tiff_kept: bool,
    pdf: &Result<u32, String>,
) -> (JobState, Option<String>) {
    let asterisk_words = || {
        let mut words = if report.error.is_empty() {
            "no FAXERROR".to_owned()
        } else {
            report.error.clone()
        };
        if !report.status_string.is_empty() {
            words.push_str(&format!(" ({})", report.status_string));
        }
        words
    };
    let succeeded = report.status.eq_ignore_ascii_case("SUCCESS");
    match (succeeded, tiff_kept, pdf) {
        (true, true, Ok(_)) => (JobState::Received, None),
        (true, true, Err(why)) => (
            JobState::Received,
            Some(format!("the PDF copy could not be made: {why}")),
        ),
        (true, false, _) => (
            JobState::Failed,
            Some("Asterisk reported success but no TIFF was written".into()),
        ),
        (false, true, _) if report.pages > 0 => (
            JobState::Failed,
            Some(format!(
                "reception failed after {} page{}: {}; the partial fax is kept",
                report.pages,
                if report.pages == 1 { "" } else { "s" },
                asterisk_words()
            )),
        ),
        (false, _, _) => (
            JobState::Failed,
            Some(format!("reception failed: {}", asterisk_words())),
        ),
    }
}

/// Moves the received TIFF into `received_dir`, makes its PDF and records the fax.
pub async fn record_received_fax(
    store: &Store,
    converter: Arc<dyn DocumentConverter>,
    received_dir: &Path,
    report: &ReceivedFaxReport,
) -> Result<FaxJob, ReceiveError> {
    let dir = received_dir.to_owned();
    let spool = report.spool_tiff.clone();
    let files = tokio::task::spawn_blocking(move || keep_and_convert(&*converter, &spool, &dir))
        .await
        .map_err(|e| ReceiveError::Storage {
            dir: received_dir.to_owned(),
            source: std::io::Error::other(e.to_string()),
        })??;
    let (state, error) = reception_outcome(report, files.tiff.is_some(), &files.pdf);
    let pdf_path = files.pdf.as_ref().ok().and(files.pdf_path.clone());
    let job = store
        .insert_received_fax(
            &NewReceivedFax {
                owner: report.recipient.clone(),
                caller_id: report.caller_id.clone(),
                state,
                tiff_path: files.tiff.map(|p| p.display().to_string()),
                pdf_path: pdf_path.map(|p| p.display().to_string()),
                pages: report.pages,
                fax_status: report.status.clone(),
                fax_error: report.error.clone(),
                fax_status_string: report.status_string.clone(),
                remote_station_id: report.remote_station_id.clone(),
                error,
            },
            chrono::Utc::now(),
        )
        .await?;
    tracing::info!(job = job.id, owner = %job.owner, state = %job.state, pages = job.pages_total, "fax received");
    crate::telemetry::fax_pages(crate::telemetry::FaxDirection::Received, report.pages);
    Ok(job)
}

struct KeptFiles {
    tiff: Option<PathBuf>,
    pdf_path: Option<PathBuf>,
    pdf: Result<u32, String>,
}

fn keep_and_convert(
    converter: &dyn DocumentConverter,
    spool: &Path,
    dir: &Path,
) -> Result<KeptFiles, ReceiveError> {
    let storage = |source| ReceiveError::Storage {
        dir: dir.to_owned(),
        source,
    };
    if !spool.is_file() {
        return Ok(KeptFiles {
            tiff: None,
            pdf_path: None,
            pdf: Err("no TIFF".into()),
        });
    }
    std::fs::create_dir_all(dir).map_err(storage)?;
    let stem = uuid::Uuid::new_v4().simple().to_string();
    let tiff = dir.join(format!("{stem}.tif"));
    // A copy, not a rename: the spool may be on another file system.
    atomic_file::copy(spool, &tiff, Durability::Durable).map_err(storage)?;
    if let Err(err) = std::fs::remove_file(spool) {
        tracing::warn!(path = %spool.display(), error = %err, "received fax left in the spool");
    }
    let pdf_path = dir.join(format!("{stem}.pdf"));
    let pdf = AtomicFile::create(&pdf_path)
        .map_err(|e| e.to_string())
        .and_then(|file| {
            let pages = converter.fax_tiff_to_pdf(&tiff, file.temp_path())?;
            file.commit(Durability::Durable)
                .map(|_| pages)
                .map_err(|e| e.to_string())
        });
    Ok(KeptFiles {
        tiff: Some(tiff),
        pdf_path: Some(pdf_path),
        pdf,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn report(status: &str, pages: u32) -> ReceivedFaxReport {
        ReceivedFaxReport {
            recipient: "1001".into(),
            caller_id: "5551234".into(),
            spool_tiff: "/var/spool/asterisk/fax/incoming/1.tif".into(),
            status: status.into(),
            error: if status == "SUCCESS" { "" } else { "HANGUP" }.into(),
            status_string: if status == "SUCCESS" {
                "OK"
            } else {
                "The call dropped prematurely"
            }
            .into(),
            pages,
            remote_station_id: "REMOTE".into(),
        }
    }

    #[test]
    fn agi_arguments_are_decoded_in_order() {
        let r = parse_agi_arguments(&args(&[
            "1001",
            "%2Fvar%2Fspool%2Fasterisk%2Ffax%2Fincoming%2F17.5.tif",
            "SUCCESS",
            "2",
            "",
            "OK",
            "%2B49%2030%201234",
            "5551234",
        ]))
        .expect("valid");
        assert_eq!(r.recipient, "1001");
        assert_eq!(
            r.spool_tiff,
            Path::new("/var/spool/asterisk/fax/incoming/17.5.tif")
        );
        assert_eq!(r.pages, 2);
        assert_eq!(r.remote_station_id, "+49 30 1234");
        assert_eq!(r.caller_id, "5551234");
    }

    #[test]
    fn missing_trailing_arguments_are_empty() {
        let r = parse_agi_arguments(&args(&["1001", "/s/1.tif", "FAILED"])).expect("valid");
        assert_eq!(
            (r.pages, r.error.as_str(), r.caller_id.as_str()),
            (0, "", "")
        );
    }

    #[test]
    fn wrong_argument_count_is_rejected() {
        assert_eq!(
            parse_agi_arguments(&args(&["1001"])),
            Err(ReceivedReportError::ArgumentCount(1))
        );
    }

    #[test]
    fn relative_or_escaping_tiff_path_is_rejected() {
        for path in ["fax.tif", "/var/spool/../../etc/passwd.tif", "/etc/passwd"] {
            let err = parse_agi_arguments(&args(&["1001", path, "SUCCESS", "1", "", "", "", ""]))
                .expect_err("bad path");
            assert!(
                matches!(err, ReceivedReportError::Invalid { name: "tiff", .. }),
                "{path}"
            );
        }
    }

    #[test]
    fn recipient_with_letters_is_rejected() {
        let err = parse_agi_arguments(&args(&["10x1", "/s/1.tif", "SUCCESS", "1", "", "", "", ""]))
            .expect_err("bad recipient");
        assert!(matches!(
            err,
            ReceivedReportError::Invalid {
                name: "recipient",
                ..
            }
        ));
    }

    #[test]
    fn successful_reception_with_pdf_is_received() {
        assert_eq!(
            reception_outcome(&report("SUCCESS", 2), true, &Ok(2)),
            (JobState::Received, None)
        );
    }

    #[test]
    fn successful_reception_whose_pdf_fails_stays_received_with_the_reason() {
        let (state, error) =
            reception_outcome(&report("SUCCESS", 2), true, &Err("bad strip".into()));
        assert_eq!(state, JobState::Received);
        assert!(error.unwrap_or_default().contains("bad strip"));
    }

    #[test]
    fn partial_reception_is_failed_and_says_the_partial_fax_is_kept() {
        let (state, error) = reception_outcome(&report("FAILED", 1), true, &Ok(1));
        assert_eq!(state, JobState::Failed);
        let error = error.unwrap_or_default();
        assert!(error.contains("after 1 page"), "{error}");
        assert!(error.contains("HANGUP"), "{error}");
    }

    #[test]
    fn failed_reception_without_a_file_keeps_asterisks_error() {
        let mut r = report("FAILED", 0);
        r.error = "NO_FAX".into();
        let (state, error) = reception_outcome(&r, false, &Err("no TIFF".into()));
        assert_eq!(state, JobState::Failed);
        assert!(error.unwrap_or_default().contains("NO_FAX"));
    }

    #[test]
    fn success_without_a_file_is_failed() {
        let (state, _) = reception_outcome(&report("SUCCESS", 2), false, &Err("no TIFF".into()));
        assert_eq!(state, JobState::Failed);
    }
}
