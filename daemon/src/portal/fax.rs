//! Fax for the portal: queue a document for sending (through the fax flow's submission
//! checks), the jobs and received faxes of a user, their documents as PDF or TIFF, and the
//! worker's job changes forwarded to the portal's live progress, and the page a job being sent
//! is on ([`crate::flows::fax::transfers`]). Sending itself is the fax
//! worker's job ([`crate::flows::fax`]); storage is [`crate::store::fax`].

use std::path::{Path, PathBuf};

use bytes::Bytes;
use ringside_portal::model::{
    FaxDocument, FaxDocumentKind, FaxFormat, FaxJob, FaxJobId, FaxState, FaxTransfer, ReceivedFax,
    ReceivedFaxId,
};
use ringside_portal::{BackendError, BackendResult, FieldError};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use super::PortalBackend;
use super::errors;
use super::greetings::staged_name;
use crate::flows::fax::LiveTransfer;
use crate::flows::fax::remove::{Removed, delete_fax};
use crate::flows::fax::submit::DocumentKind;
use crate::flows::fax::{DocumentLimits, SendRequest, SubmitError, fax_dir, submit_fax};
use crate::store::fax::{self as stored, CancelOutcome, Direction, JobState};

fn state_to_api(job: &stored::FaxJob) -> FaxState {
    match job.state {
        // Back in the queue after a failed attempt: waiting for its retry.
        JobState::Queued if job.attempts > 0 => FaxState::Retrying,
        JobState::Queued => FaxState::Queued,
        JobState::Converting => FaxState::Converting,
        JobState::Dialing => FaxState::Dialing,
        JobState::Sending => FaxState::Sending,
        JobState::Sent | JobState::Received => FaxState::Sent,
        JobState::Failed | JobState::Cancelled => FaxState::Failed,
    }
}

fn extension_of(path: Option<&str>) -> &str {
    path.and_then(|p| Path::new(p).extension())
        .and_then(|e| e.to_str())
        .unwrap_or("pdf")
}

/// A job's error in the user's terms. The fax flow's own reasons ("busy", "no answer", the
/// fax status Asterisk reports) are shown; a reason carrying operator internals (an ARI URL, a
/// file path) becomes a plain sentence, keeping what the user can act on: whether it will be
/// retried. The full text stays in the store and in the fax flow's log.
pub fn shown_error(error: &str) -> String {
    let internal = error.contains("://")
        || error
            .split_whitespace()
            .any(|word| word.trim_start_matches(['(', '"', '\'']).starts_with('/'));
    if !internal {
        return error.to_owned();
    }
    let plain = "the fax could not be sent because of a problem on the phone system; \
                 your administrator can find the details in the log";
    let outcome = ["; will retry", " (gave up after"]
        .iter()
        .filter_map(|marker| error.rfind(marker))
        .min()
        .map_or("", |at| &error[at..]);
    format!("{plain}{outcome}")
}

/// A sent job as the portal shows it.
pub fn job_to_api(job: &stored::FaxJob) -> FaxJob {
    // Asterisk's status string is "OK" after a success: only a failed attempt has an error.
    let attempt_failed = job.fax_status.as_deref().is_some_and(|s| s != "SUCCESS");
    let error = job
        .error
        .clone()
        .or_else(|| {
            attempt_failed
                .then(|| job.fax_status_string.clone().filter(|s| !s.is_empty()))
                .flatten()
        })
        .or_else(|| attempt_failed.then(|| job.fax_error.clone()).flatten())
        .unwrap_or_default();
    FaxJob {
        id: job.id,
        owner: job.owner.clone(),
        number: job.number.clone(),
        // The name the user gave the document; faxes sent before names were kept get one
        // that says what they are.
        file_name: if job.file_name.is_empty() {
            format!(
                "fax-{}.{}",
                job.id,
                extension_of(job.document_path.as_deref())
            )
        } else {
            job.file_name.clone()
        },
        state: state_to_api(job),
        pages_sent: job.pages_sent,
        pages_total: (job.pages_total > 0).then_some(job.pages_total),
        attempts: job.attempts,
        status: job.fax_status.clone().unwrap_or_default(),
        error: shown_error(&error),
        created_at: job.created_at,
        updated_at: job.updated_at,
    }
}

pub fn transfer_to_api(live: LiveTransfer) -> FaxTransfer {
    FaxTransfer {
        page: live.page,
        pages_total: live.pages_total,
        pages_sent: live.pages_sent,
        bit_rate: live.bit_rate,
    }
}

pub fn received_to_api(job: &stored::FaxJob) -> ReceivedFax {
    ReceivedFax {
        id: job.id,
        owner: job.owner.clone(),
        from_number: job.caller_id.clone().unwrap_or_default(),
        pages: job.pages_sent.max(job.pages_total),
        received_at: job.created_at,
    }
}

/// The submission's objection in the user's words, naming the file they uploaded.
pub fn submit_error_to_api(err: SubmitError, staged: &Path, shown_name: &str) -> BackendError {
    let plain = |text: String| text.replace(&staged.display().to_string(), shown_name);
    match err {
        SubmitError::EmptyNumber | SubmitError::BadNumber(_) | SubmitError::NumberTooLong(_) => {
            BackendError::Validation(vec![FieldError::new("number", err.to_string())])
        }
        SubmitError::TooLarge { .. }
        | SubmitError::NotADocument { .. }
        | SubmitError::Unreadable { .. }
        | SubmitError::NoPages { .. }
        | SubmitError::TooManyPages { .. } => BackendError::Rejected(plain(err.to_string())),
        SubmitError::BadExtension(_) => BackendError::Rejected(err.to_string()),
        SubmitError::Store(inner) => errors::store(inner),
        SubmitError::Read { .. } | SubmitError::Keep { .. } => {
            BackendError::Internal(err.to_string())
        }
    }
}

/// Whether the bytes are the kind of document the upload declared.
pub fn matches_declared_kind(kind: FaxDocumentKind, bytes: &[u8]) -> bool {
    matches!(
        (kind, DocumentKind::sniff(bytes)),
        (FaxDocumentKind::Pdf, Some(DocumentKind::Pdf))
            | (FaxDocumentKind::Tiff, Some(DocumentKind::Tiff))
    )
}

/// Forwards the fax worker's job changes to the portal's progress listeners until `stop`.
pub async fn forward_fax_updates(
    mut from: broadcast::Receiver<stored::FaxJob>,
    to: broadcast::Sender<FaxJob>,
    stop: CancellationToken,
) {
    loop {
        let next = tokio::select! {
            () = stop.cancelled() => return,
            next = from.recv() => next,
        };
        match next {
            Ok(job) if job.direction == Direction::Sent => {
                let _ = to.send(job_to_api(&job));
            }
            Ok(_) => {}
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                // Listeners re-read the job when they connect, so a gap only delays a bar.
                tracing::warn!(missed, "portal fell behind the fax progress");
            }
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

fn read_file(path: &Path) -> BackendResult<Bytes> {
    std::fs::read(path)
        .map(Bytes::from)
        .map_err(|e| BackendError::Internal(format!("cannot read {}: {e}", path.display())))
}

impl PortalBackend {
    fn fax_documents(
        &self,
    ) -> BackendResult<std::sync::Arc<dyn crate::flows::fax::DocumentConverter>> {
        self.fax
            .as_ref()
            .map(|f| f.converter.clone())
            .ok_or_else(|| BackendError::Internal("fax is not available in this daemon".into()))
    }

    pub(super) async fn queued_fax_jobs(&self) -> BackendResult<u64> {
        // Everything not yet finished, across users: what the worker still has to do.
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM fax_jobs WHERE state IN ('queued', 'converting', 'dialing', 'sending')",
        )
        .fetch_one(self.store.pool())
        .await
        .map_err(|e| BackendError::Internal(format!("counting fax jobs: {e}")))?;
        let n: i64 = sqlx::Row::try_get(&row, "n")
            .map_err(|e| BackendError::Internal(format!("counting fax jobs: {e}")))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    pub(super) async fn send_fax_impl(
        &self,
        extension: &str,
        number: &str,
        document: FaxDocument,
    ) -> BackendResult<FaxJob> {
        let converter = self.fax_documents()?;
        let max_attempts = self.fax.as_ref().map_or(1, |f| f.max_attempts);
        if !matches_declared_kind(document.kind, &document.bytes) {
            let expected = match document.kind {
                FaxDocumentKind::Pdf => "PDF",
                FaxDocumentKind::Tiff => "TIFF",
            };
            return Err(BackendError::Rejected(format!(
                "{}: the file is not a {expected} document",
                staged_name(&document.file_name)
            )));
        }
        let shown_name = staged_name(&document.file_name);
        std::fs::create_dir_all(&self.staging_dir).map_err(|e| {
            BackendError::Internal(format!("cannot create {}: {e}", self.staging_dir.display()))
        })?;
        // Removed with its contents when dropped; the fax flow keeps its own copy.
        let stage = tempfile::Builder::new()
            .prefix(".fax-")
            .tempdir_in(&self.staging_dir)
            .map_err(|e| BackendError::Internal(format!("cannot stage a fax upload: {e}")))?;
        let staged: PathBuf = stage.path().join(&shown_name);
        tokio::fs::write(&staged, &document.bytes)
            .await
            .map_err(|e| {
                BackendError::Internal(format!("cannot stage {}: {e}", staged.display()))
            })?;
        let job = submit_fax(
            &self.store,
            converter,
            &fax_dir(&self.data_dir).join("outgoing"),
            SendRequest {
                owner: extension.to_owned(),
                number: number.to_owned(),
                document: staged.clone(),
                file_name: Some(document.file_name.clone()),
            },
            DocumentLimits::default(),
            max_attempts,
        )
        .await
        .map_err(|err| submit_error_to_api(err, &staged, &shown_name))?;
        tracing::info!(job = job.id, owner = %extension, "fax queued from the portal");
        let job = job_to_api(&job);
        self.publish_fax_job(job.clone());
        Ok(job)
    }

    async fn stored_job(&self, id: i64) -> BackendResult<Option<stored::FaxJob>> {
        self.store.fax_job(id).await.map_err(errors::store)
    }

    pub(super) async fn fax_job_impl(&self, id: FaxJobId) -> BackendResult<Option<FaxJob>> {
        Ok(self
            .stored_job(id)
            .await?
            .filter(|j| j.direction == Direction::Sent)
            .map(|j| job_to_api(&j)))
    }

    pub(super) async fn fax_transfer_impl(
        &self,
        id: FaxJobId,
    ) -> BackendResult<Option<FaxTransfer>> {
        let Some(transfers) = &self.fax_transfers else {
            return Ok(None);
        };
        let Some(job) = self
            .stored_job(id)
            .await?
            .filter(|j| j.direction == Direction::Sent)
        else {
            return Ok(None);
        };
        Ok(transfers.current(&job).await.map(transfer_to_api))
    }

    pub(super) async fn sent_faxes_impl(&self, extension: &str) -> BackendResult<Vec<FaxJob>> {
        let jobs = self
            .store
            .fax_jobs_of(extension)
            .await
            .map_err(errors::store)?;
        Ok(jobs
            .iter()
            .filter(|j| j.direction == Direction::Sent)
            .map(job_to_api)
            .collect())
    }

    pub(super) async fn received_faxes_impl(
        &self,
        extension: &str,
    ) -> BackendResult<Vec<ReceivedFax>> {
        let jobs = self
            .store
            .fax_jobs_of(extension)
            .await
            .map_err(errors::store)?;
        Ok(jobs
            .iter()
            .filter(|j| j.direction == Direction::Received)
            .map(received_to_api)
            .collect())
    }

    pub(super) async fn received_fax_impl(
        &self,
        id: ReceivedFaxId,
    ) -> BackendResult<Option<ReceivedFax>> {
        Ok(self
            .stored_job(id)
            .await?
            .filter(|j| j.direction == Direction::Received)
            .map(|j| received_to_api(&j)))
    }

    pub(super) async fn sent_fax_document_impl(
        &self,
        id: FaxJobId,
        format: FaxFormat,
    ) -> BackendResult<Bytes> {
        self.document_of(id, Direction::Sent, format).await
    }

    pub(super) async fn received_fax_document_impl(
        &self,
        id: ReceivedFaxId,
        format: FaxFormat,
    ) -> BackendResult<Bytes> {
        self.document_of(id, Direction::Received, format).await
    }

    /// Fax `id` in `format`, if it went in `direction` (another direction's id is not found).
    async fn document_of(
        &self,
        id: i64,
        direction: Direction,
        format: FaxFormat,
    ) -> BackendResult<Bytes> {
        let job = self
            .stored_job(id)
            .await?
            .filter(|j| j.direction == direction)
            .ok_or(BackendError::NotFound)?;
        self.document_as(job, format).await
    }

    pub(super) async fn cancel_fax_impl(&self, id: FaxJobId) -> BackendResult<FaxJob> {
        self.stored_job(id)
            .await?
            .filter(|j| j.direction == Direction::Sent)
            .ok_or(BackendError::NotFound)?;
        // The same cancellation as `ringside fax cancel`.
        let outcome = self
            .store
            .cancel_fax_job(id, chrono::Utc::now())
            .await
            .map_err(errors::store)?;
        if let CancelOutcome::AlreadyFinal(state) = outcome {
            return Err(BackendError::Conflict(format!(
                "this fax is already {}; there is nothing to cancel",
                state.as_str()
            )));
        }
        let job = self
            .stored_job(id)
            .await?
            .map(|j| job_to_api(&j))
            .ok_or(BackendError::NotFound)?;
        self.publish_fax_job(job.clone());
        Ok(job)
    }

    pub(super) async fn resend_fax_impl(&self, id: FaxJobId) -> BackendResult<FaxJob> {
        let old = self
            .stored_job(id)
            .await?
            .filter(|j| j.direction == Direction::Sent)
            .ok_or(BackendError::NotFound)?;
        if !matches!(old.state, JobState::Failed | JobState::Cancelled) {
            return Err(BackendError::Conflict(format!(
                "only a failed fax can be sent again; this one is {}",
                state_to_api(&old).label()
            )));
        }
        let document = old
            .document_path
            .as_deref()
            .map(PathBuf::from)
            .filter(|p| p.is_file())
            .ok_or_else(|| {
                BackendError::Gone("the document of this fax is no longer on the server".into())
            })?;
        let converter = self.fax_documents()?;
        let max_attempts = self.fax.as_ref().map_or(1, |f| f.max_attempts);
        let shown_name = job_to_api(&old).file_name;
        let job = submit_fax(
            &self.store,
            converter,
            &fax_dir(&self.data_dir).join("outgoing"),
            SendRequest {
                owner: old.owner.clone(),
                number: old.number.clone(),
                document: document.clone(),
                file_name: Some(shown_name.clone()),
            },
            DocumentLimits::default(),
            max_attempts,
        )
        .await
        .map_err(|err| submit_error_to_api(err, &document, &shown_name))?;
        tracing::info!(job = job.id, again = id, owner = %old.owner, "fax queued again from the portal");
        let job = job_to_api(&job);
        self.publish_fax_job(job.clone());
        Ok(job)
    }

    pub(super) async fn delete_fax_impl(&self, id: i64, direction: Direction) -> BackendResult<()> {
        self.stored_job(id)
            .await?
            .filter(|j| j.direction == direction)
            .ok_or(BackendError::NotFound)?;
        match delete_fax(&self.store, &fax_dir(&self.data_dir), id)
            .await
            .map_err(errors::store)?
        {
            Removed::Deleted { .. } => {
                tracing::info!(job = id, "fax deleted from the portal");
                Ok(())
            }
            Removed::Active(_) => Err(BackendError::Conflict(
                "this fax is still being sent; cancel it first".into(),
            )),
        }
    }

    /// The job's document in `format`: the stored file when there is one in that format,
    /// else converted now from what is stored.
    async fn document_as(&self, job: stored::FaxJob, format: FaxFormat) -> BackendResult<Bytes> {
        let converter = self.fax_documents()?;
        let staging_dir = self.staging_dir.clone();
        tokio::task::spawn_blocking(move || {
            let original = job.document_path.as_deref().map(PathBuf::from);
            let is = |p: &Option<PathBuf>, ext: &[&str]| {
                p.as_ref()
                    .filter(|p| {
                        p.extension()
                            .and_then(|e| e.to_str())
                            .is_some_and(|e| ext.contains(&e))
                    })
                    .cloned()
            };
            let tiff = job.tiff_path.as_deref().map(PathBuf::from);
            let pdf = job.pdf_path.as_deref().map(PathBuf::from);
            let ready = match format {
                FaxFormat::Pdf => pdf.clone().or_else(|| is(&original, &["pdf"])),
                FaxFormat::Tiff => tiff.clone().or_else(|| is(&original, &["tif", "tiff"])),
            };
            if let Some(path) = ready.filter(|p| p.is_file()) {
                return read_file(&path);
            }
            let source = tiff
                .filter(|p| p.is_file())
                .or(original.filter(|p| p.is_file()))
                .ok_or(BackendError::NotFound)?;
            let wanted = match format {
                FaxFormat::Pdf => "PDF",
                FaxFormat::Tiff => "fax TIFF",
            };
            std::fs::create_dir_all(&staging_dir).map_err(|e| {
                BackendError::Internal(format!("cannot create {}: {e}", staging_dir.display()))
            })?;
            let out = tempfile::Builder::new()
                .prefix(".fax-download-")
                .suffix(match format {
                    FaxFormat::Pdf => ".pdf",
                    FaxFormat::Tiff => ".tif",
                })
                .tempfile_in(&staging_dir)
                .map_err(|e| BackendError::Internal(format!("cannot stage a download: {e}")))?;
            let converted = match format {
                FaxFormat::Pdf => converter.fax_tiff_to_pdf(&source, out.path()),
                FaxFormat::Tiff => converter.to_fax_tiff(&source, out.path()),
            };
            // A document the fax flow could not turn into fax pages (it is why such a job
            // failed) cannot be offered in that form either: that is the job's state, not a
            // server fault.
            converted.map_err(|e| {
                tracing::warn!(job = job.id, error = %e, "fax document cannot be converted for download");
                BackendError::Conflict(format!(
                    "this fax has no {wanted} to download: its document could not be converted \
                     to fax pages"
                ))
            })?;
            read_file(out.path())
        })
        .await
        .map_err(|e| BackendError::Internal(format!("fax download task failed: {e}")))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(state: JobState, attempts: u32) -> stored::FaxJob {
        stored::FaxJob {
            id: 12,
            owner: "201".into(),
            document_path: Some("/data/fax/outgoing/abc.pdf".into()),
            pages_total: 3,
            pages_sent: 1,
            attempts,
            ..stored::FaxJob::example(state)
        }
    }

    #[test]
    fn queued_job_after_a_failed_attempt_is_waiting_to_retry() {
        assert_eq!(state_to_api(&job(JobState::Queued, 0)), FaxState::Queued);
        assert_eq!(state_to_api(&job(JobState::Queued, 1)), FaxState::Retrying);
    }

    #[test]
    fn cancelled_job_shows_as_failed() {
        assert_eq!(state_to_api(&job(JobState::Cancelled, 1)), FaxState::Failed);
    }

    #[test]
    fn failed_job_shows_asterisks_status_string_when_there_is_no_own_error() {
        let mut failed = job(JobState::Failed, 4);
        failed.fax_status = Some("FAILED".into());
        failed.fax_error = Some("HANGUP".into());
        failed.fax_status_string = Some("remote channel hungup".into());
        let shown = job_to_api(&failed);
        assert_eq!(shown.status, "FAILED");
        assert_eq!(shown.error, "remote channel hungup");
    }

    #[test]
    fn error_with_the_ari_url_is_shown_in_plain_words_keeping_the_retry() {
        let error = "originate failed: error sending request for url \
                     (http://127.0.0.1:8088/ari/channels/fax-7-1); will retry (attempt 2 of 3)";
        let shown = shown_error(error);
        assert!(
            !shown.contains("http") && !shown.contains("/ari"),
            "{shown}"
        );
        assert!(shown.ends_with("; will retry (attempt 2 of 3)"), "{shown}");
    }

    #[test]
    fn error_naming_a_file_path_is_shown_in_plain_words() {
        let shown = shown_error("cannot read /var/lib/ringside/fax/7.tif: permission denied");
        assert!(!shown.contains("/var"), "{shown}");
    }

    #[test]
    fn the_fax_flows_own_reason_is_shown_as_it_is() {
        let error = "the line was busy (gave up after 3 attempts)";
        assert_eq!(shown_error(error), error);
    }

    #[test]
    fn sent_job_has_no_error_although_asterisk_says_ok() {
        let mut sent = job(JobState::Sent, 1);
        sent.fax_status = Some("SUCCESS".into());
        sent.fax_status_string = Some("OK".into());
        assert_eq!(job_to_api(&sent).error, "");
    }

    #[test]
    fn job_shows_its_page_count_and_document_kind() {
        let shown = job_to_api(&job(JobState::Sending, 1));
        assert_eq!(shown.pages_total, Some(3));
        assert_eq!(shown.file_name, "fax-12.pdf");
    }

    #[test]
    fn pdf_declared_upload_must_be_a_pdf() {
        assert!(matches_declared_kind(FaxDocumentKind::Pdf, b"%PDF-1.7\n"));
        assert!(!matches_declared_kind(FaxDocumentKind::Pdf, b"II*\0rest"));
        assert!(!matches_declared_kind(FaxDocumentKind::Tiff, b"hello"));
    }

    #[test]
    fn bad_destination_is_reported_on_the_number_field() {
        let err = submit_error_to_api(
            SubmitError::BadNumber("55x".into()),
            Path::new("/s/a.pdf"),
            "a.pdf",
        );
        let BackendError::Validation(fields) = err else {
            panic!("expected a validation error");
        };
        assert_eq!(fields[0].field, "number");
    }

    #[test]
    fn unreadable_document_is_named_as_uploaded() {
        let err = submit_error_to_api(
            SubmitError::NoPages {
                path: PathBuf::from("/data/uploads/.fax-x/letter.pdf"),
            },
            Path::new("/data/uploads/.fax-x/letter.pdf"),
            "letter.pdf",
        );
        assert_eq!(
            err,
            BackendError::Rejected("document letter.pdf has no pages".into())
        );
    }
}
