//! The portal's voicemail menu over [`Inbox`]: the session user's own mailbox only (the
//! extension is the mailbox), listing from the spool, changes through the manager link,
//! recordings streamed as WAV in any byte range.

use std::ops::Range;

use bytes::Bytes;
use futures_util::stream::BoxStream;
use ringside_portal::model::{
    FolderCount, VoicemailAudio, VoicemailDeleteReport, VoicemailFolder, VoicemailMessage,
    VoicemailPage, VoicemailQuery,
};
use ringside_portal::{BackendError, BackendResult};
use tokio::sync::mpsc;

use super::PortalBackend;
use crate::voicemail::inbox::{self, Inbox, InboxError};
use crate::voicemail::recording::{Recording, RecordingError};
use crate::voicemail::spool::{MailboxNumber, SpoolMessage};

/// Chunks in flight between the decoding thread and the HTTP body.
const AUDIO_CHANNEL: usize = 4;

pub fn message_to_api(m: &SpoolMessage) -> VoicemailMessage {
    VoicemailMessage {
        id: m.info.msg_id.clone(),
        folder: m.folder,
        caller_name: m.info.caller_name.clone(),
        caller_number: m.info.caller_number.clone(),
        received_at: m
            .info
            .origtime
            .and_then(|t| chrono::DateTime::from_timestamp(t, 0)),
        duration_secs: m.info.duration_secs,
        urgent: m.info.urgent,
    }
}

/// Plain words for what the user can act on; internals stay in the log.
pub fn inbox_error(err: InboxError) -> BackendError {
    match err {
        InboxError::BadMailbox(_) => BackendError::Rejected(
            "your login has no voicemail box (mailboxes are numeric extensions)".into(),
        ),
        InboxError::BadMessageId(_) => BackendError::NotFound,
        InboxError::MessageGone => BackendError::Gone("message no longer exists".into()),
        InboxError::Manager(e) => BackendError::Unavailable(e.to_string()),
        InboxError::Recording(RecordingError::Io(e)) | InboxError::Spool(e) => {
            BackendError::Internal(format!("voicemail spool: {e}"))
        }
        InboxError::Recording(e) => BackendError::Rejected(e.to_string()),
    }
}

fn task_failed(e: tokio::task::JoinError) -> BackendError {
    BackendError::Internal(format!("voicemail task failed: {e}"))
}

/// A recording streamed from a blocking thread, a chunk at a time.
struct StreamedRecording(Recording);

impl VoicemailAudio for StreamedRecording {
    fn len(&self) -> u64 {
        self.0.wav_len()
    }

    fn stream(self: Box<Self>, range: Range<u64>) -> BoxStream<'static, std::io::Result<Bytes>> {
        let (tx, rx) = mpsc::channel::<std::io::Result<Bytes>>(AUDIO_CHANNEL);
        let mut recording = self.0;
        tokio::task::spawn_blocking(move || {
            let result = recording.read_range(range, &mut |chunk| {
                // A closed channel means the client went away: stop decoding.
                tx.blocking_send(Ok(Bytes::copy_from_slice(chunk))).is_ok()
            });
            if let Err(e) = result {
                tracing::warn!(file = %recording.path().display(), err = %e, "voicemail audio stream failed");
                let _ = tx.blocking_send(Err(std::io::Error::other(e.to_string())));
            }
        });
        Box::pin(futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        }))
    }
}

impl PortalBackend {
    fn inbox(&self) -> BackendResult<&Inbox> {
        self.voicemail.as_ref().ok_or_else(|| {
            BackendError::Unavailable("voicemail is not set up on this server".into())
        })
    }

    fn voicemail_box(extension: &str) -> BackendResult<MailboxNumber> {
        inbox::mailbox(extension).map_err(inbox_error)
    }

    pub(super) async fn voicemail_impl(
        &self,
        extension: &str,
        query: &VoicemailQuery,
    ) -> BackendResult<VoicemailPage> {
        let inbox = self.inbox()?.clone();
        let mailbox = Self::voicemail_box(extension)?;
        let (folder, page, per_page) = (query.folder, query.page as usize, query.per_page as usize);
        let listing =
            tokio::task::spawn_blocking(move || inbox.list(&mailbox, folder, page, per_page))
                .await
                .map_err(task_failed)?
                .map_err(inbox_error)?;
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Ok(VoicemailPage {
            folder: listing.folder,
            folders: listing
                .counts
                .iter()
                .map(|(f, n)| FolderCount {
                    folder: *f,
                    count: *n,
                })
                .collect(),
            messages: listing.messages.iter().map(message_to_api).collect(),
            page: count(listing.page),
            per_page: count(listing.per_page),
            total: count(listing.total),
            unreadable: count(listing.unreadable.len()),
        })
    }

    pub(super) async fn voicemail_message_impl(
        &self,
        extension: &str,
        id: &str,
    ) -> BackendResult<VoicemailMessage> {
        let inbox = self.inbox()?.clone();
        let mailbox = Self::voicemail_box(extension)?;
        let id = id.to_owned();
        let message = tokio::task::spawn_blocking(move || inbox.find(&mailbox, &id))
            .await
            .map_err(task_failed)?
            .map_err(inbox_error)?;
        Ok(message_to_api(&message))
    }

    pub(super) async fn voicemail_audio_impl(
        &self,
        extension: &str,
        id: &str,
    ) -> BackendResult<Box<dyn VoicemailAudio>> {
        let inbox = self.inbox()?.clone();
        let mailbox = Self::voicemail_box(extension)?;
        let id = id.to_owned();
        let (_, recording) =
            tokio::task::spawn_blocking(move || inbox.open_recording(&mailbox, &id))
                .await
                .map_err(task_failed)?
                .map_err(inbox_error)?;
        Ok(Box::new(StreamedRecording(recording)))
    }

    pub(super) async fn move_voicemail_impl(
        &self,
        extension: &str,
        id: &str,
        to: VoicemailFolder,
    ) -> BackendResult<()> {
        let mailbox = Self::voicemail_box(extension)?;
        self.inbox()?
            .move_to(&mailbox, id, to)
            .await
            .map(|_| ())
            .map_err(inbox_error)
    }

    pub(super) async fn mark_voicemail_read_impl(
        &self,
        extension: &str,
        id: &str,
        read: bool,
    ) -> BackendResult<()> {
        let mailbox = Self::voicemail_box(extension)?;
        let inbox = self.inbox()?;
        let result = if read {
            inbox.mark_read(&mailbox, id).await
        } else {
            inbox.mark_unread(&mailbox, id).await
        };
        result.map(|_| ()).map_err(inbox_error)
    }

    pub(super) async fn delete_voicemail_impl(
        &self,
        extension: &str,
        ids: &[String],
    ) -> BackendResult<VoicemailDeleteReport> {
        let mailbox = Self::voicemail_box(extension)?;
        let report = self
            .inbox()?
            .remove_many(&mailbox, ids)
            .await
            .map_err(inbox_error)?;
        Ok(VoicemailDeleteReport {
            deleted: report.removed,
            gone: report.gone,
        })
    }

    pub(super) async fn voicemail_new_count_impl(&self, extension: &str) -> BackendResult<u32> {
        let inbox = self.inbox()?.clone();
        let mailbox = Self::voicemail_box(extension)?;
        tokio::task::spawn_blocking(move || inbox.new_count(&mailbox))
            .await
            .map_err(task_failed)?
            .map_err(inbox_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_gone_is_told_in_those_words() {
        assert_eq!(
            inbox_error(InboxError::MessageGone),
            BackendError::Gone("message no longer exists".into())
        );
    }

    #[test]
    fn a_manager_link_down_is_unavailable_with_its_reason() {
        let err = inbox_error(InboxError::Manager(crate::ami::AmiError::NotAvailable(
            "manager link not available: connecting to Asterisk".into(),
        )));
        assert_eq!(
            err,
            BackendError::Unavailable("manager link not available: connecting to Asterisk".into())
        );
    }
}
