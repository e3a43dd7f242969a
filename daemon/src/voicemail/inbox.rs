//! The voicemail inbox: lists a mailbox's messages from app_voicemail's spool and changes
//! them only through the manager (`VoicemailMove`, `VoicemailRemove`, by msg_id), so that
//! app_voicemail keeps its numbering, its locks and the message-waiting lights right.
//!
//! Messages are addressed by msg_id, never by file number: the number changes whenever
//! app_voicemail renumbers a folder, the id does not. A message that disappeared between
//! listing and acting (deleted by phone, say) gives [`InboxError::MessageGone`]; since every
//! action names the id, it can never land on another message. Not here: HTTP, the CLI's
//! wording, or audio decoding (see [`super::recording`]).

use std::sync::Arc;

use super::message_file::is_valid_msg_id;
use super::recording::{Recording, RecordingError};
use super::spool::{Folder, MailboxNumber, Spool, SpoolMessage, Unreadable, sort_newest_first};
use crate::ami::{AmiClient, AmiError, Outcome};

/// The most messages one page may hold.
pub const MAX_PER_PAGE: usize = 200;

#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    #[error("{0:?} is not a mailbox number (digits only)")]
    BadMailbox(String),
    #[error("{0:?} is not a message id")]
    BadMessageId(String),
    #[error("message no longer exists")]
    MessageGone,
    /// The manager link is down, refused or not configured, or the action failed there.
    #[error(transparent)]
    Manager(#[from] AmiError),
    /// Not a `source`: the message already names the cause, and error chains would say it twice.
    #[error("cannot read the voicemail spool: {0}")]
    Spool(std::io::Error),
    #[error(transparent)]
    Recording(#[from] RecordingError),
}

impl From<std::io::Error> for InboxError {
    fn from(e: std::io::Error) -> Self {
        InboxError::Spool(e)
    }
}

/// One page of a folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub folder: Folder,
    /// Messages in every folder, in [`Folder::ALL`] order.
    pub counts: Vec<(Folder, u32)>,
    pub messages: Vec<SpoolMessage>,
    /// 1-based.
    pub page: usize,
    pub per_page: usize,
    /// Messages in the folder (readable ones).
    pub total: usize,
    /// Message files of this folder that could not be read.
    pub unreadable: Vec<Unreadable>,
}

/// What deleting several messages did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RemoveReport {
    pub removed: Vec<String>,
    /// Already gone when asked.
    pub gone: Vec<String>,
}

/// The inbox over one voicemail context. Cheap to clone.
#[derive(Clone)]
pub struct Inbox {
    spool: Arc<Spool>,
    ami: AmiClient,
}

pub fn mailbox(text: &str) -> Result<MailboxNumber, InboxError> {
    MailboxNumber::parse(text)
        .ok_or_else(|| InboxError::BadMailbox(text.chars().take(40).collect()))
}

pub fn message_id(text: &str) -> Result<&str, InboxError> {
    if is_valid_msg_id(text) {
        Ok(text)
    } else {
        Err(InboxError::BadMessageId(text.chars().take(80).collect()))
    }
}

/// The 1-based page of `messages` (already sorted); an out-of-range page is empty.
pub fn page_of(messages: &[SpoolMessage], page: usize, per_page: usize) -> &[SpoolMessage] {
    let per_page = per_page.clamp(1, MAX_PER_PAGE);
    let start = page.max(1).saturating_sub(1).saturating_mul(per_page);
    if start >= messages.len() {
        return &[];
    }
    &messages[start..(start + per_page).min(messages.len())]
}

impl Inbox {
    pub fn new(spool: Spool, ami: AmiClient) -> Inbox {
        Inbox {
            spool: Arc::new(spool),
            ami,
        }
    }

    pub fn spool(&self) -> &Spool {
        &self.spool
    }

    pub fn ami(&self) -> &AmiClient {
        &self.ami
    }

    /// Message counts of every folder (file counts; nothing is parsed).
    pub fn counts(&self, mailbox: &MailboxNumber) -> Result<Vec<(Folder, u32)>, InboxError> {
        Folder::ALL
            .into_iter()
            .map(|f| Ok((f, self.spool.count(mailbox, f)?)))
            .collect()
    }

    /// New messages (INBOX and Urgent), for the portal's navigation.
    pub fn new_count(&self, mailbox: &MailboxNumber) -> Result<u32, InboxError> {
        Ok(
            self.spool.count(mailbox, Folder::Inbox)?
                + self.spool.count(mailbox, Folder::Urgent)?,
        )
    }

    /// One page of a folder, newest first. Blocking file I/O.
    pub fn list(
        &self,
        mailbox: &MailboxNumber,
        folder: Folder,
        page: usize,
        per_page: usize,
    ) -> Result<Listing, InboxError> {
        let mut contents = self.spool.read_folder(mailbox, folder)?;
        sort_newest_first(&mut contents.messages);
        let per_page = per_page.clamp(1, MAX_PER_PAGE);
        let page = page.max(1);
        Ok(Listing {
            folder,
            counts: self.counts(mailbox)?,
            messages: page_of(&contents.messages, page, per_page).to_vec(),
            page,
            per_page,
            total: contents.messages.len(),
            unreadable: contents.unreadable,
        })
    }

    /// The message with this id, wherever it is now. Blocking file I/O.
    pub fn find(&self, mailbox: &MailboxNumber, msg_id: &str) -> Result<SpoolMessage, InboxError> {
        let msg_id = message_id(msg_id)?;
        self.spool
            .find(mailbox, msg_id)?
            .ok_or(InboxError::MessageGone)
    }

    /// Opens a message's recording. Blocking file I/O. Opened before any move, the file
    /// stays readable even if app_voicemail renames it meanwhile.
    pub fn open_recording(
        &self,
        mailbox: &MailboxNumber,
        msg_id: &str,
    ) -> Result<(SpoolMessage, Recording), InboxError> {
        let message = self.find(mailbox, msg_id)?;
        let recording = Recording::open_stem(&self.spool.message_stem(mailbox, &message))?;
        Ok((message, recording))
    }

    async fn locate(
        &self,
        mailbox: &MailboxNumber,
        msg_id: &str,
    ) -> Result<SpoolMessage, InboxError> {
        let inbox = self.clone();
        let (mailbox, msg_id) = (mailbox.clone(), msg_id.to_owned());
        tokio::task::spawn_blocking(move || inbox.find(&mailbox, &msg_id))
            .await
            .map_err(|e| InboxError::Spool(std::io::Error::other(e.to_string())))?
    }

    /// Moves or removes a message where it is now. When app_voicemail says it is not there
    /// (it moved since it was listed), looks it up once more and tries again. Returns the
    /// folder it was in.
    async fn act_on(
        &self,
        mailbox: &MailboxNumber,
        msg_id: &str,
        action: Action,
    ) -> Result<Folder, InboxError> {
        let (context, number) = (self.spool.context(), mailbox.as_str());
        let mut message = self.locate(mailbox, msg_id).await?;
        for attempt in 0..2 {
            let from = message.folder;
            let outcome = match action {
                Action::Move(to) if to == from => Outcome::Done,
                Action::Move(to) => {
                    self.ami
                        .voicemail_move(context, number, from.key(), msg_id, to.key())
                        .await?
                }
                Action::Remove => {
                    self.ami
                        .voicemail_remove(context, number, from.key(), msg_id)
                        .await?
                }
            };
            match outcome {
                Outcome::Done => return Ok(from),
                Outcome::MessageGone if attempt == 0 => {
                    let again = self.locate(mailbox, msg_id).await?;
                    if again.folder == from {
                        // Still listed where app_voicemail says it is not: it is being
                        // deleted or the spool is stale; do not guess.
                        return Err(InboxError::MessageGone);
                    }
                    message = again;
                }
                Outcome::MessageGone => break,
            }
        }
        Err(InboxError::MessageGone)
    }

    /// Moves a message to `to`; returns the folder it was in. Moving to where it already
    /// is does nothing.
    pub async fn move_to(
        &self,
        mailbox: &MailboxNumber,
        msg_id: &str,
        to: Folder,
    ) -> Result<Folder, InboxError> {
        let msg_id = message_id(msg_id)?;
        let current = self.locate(mailbox, msg_id).await?;
        if current.folder == to {
            return Ok(to);
        }
        let from = self.act_on(mailbox, msg_id, Action::Move(to)).await?;
        tracing::info!(%mailbox, msg_id, %from, %to, "voicemail message moved");
        Ok(from)
    }

    /// Deletes a message.
    pub async fn remove(
        &self,
        mailbox: &MailboxNumber,
        msg_id: &str,
    ) -> Result<Folder, InboxError> {
        let msg_id = message_id(msg_id)?;
        let from = self.act_on(mailbox, msg_id, Action::Remove).await?;
        tracing::info!(%mailbox, msg_id, %from, "voicemail message deleted");
        Ok(from)
    }

    /// Deletes several messages; ids already gone are reported, not errors. Stops at the
    /// first other failure (the manager link dropped, say) and reports it.
    pub async fn remove_many(
        &self,
        mailbox: &MailboxNumber,
        ids: &[String],
    ) -> Result<RemoveReport, InboxError> {
        for id in ids {
            message_id(id)?;
        }
        let mut report = RemoveReport::default();
        for id in ids {
            match self.remove(mailbox, id).await {
                Ok(_) => report.removed.push(id.clone()),
                Err(InboxError::MessageGone) => report.gone.push(id.clone()),
                Err(e) => return Err(e),
            }
        }
        Ok(report)
    }

    /// Marks a message heard: a new message (INBOX or Urgent) goes to Old, as when it is
    /// played on a phone. Returns whether it moved.
    pub async fn mark_read(
        &self,
        mailbox: &MailboxNumber,
        msg_id: &str,
    ) -> Result<bool, InboxError> {
        let message = self.locate(mailbox, message_id(msg_id)?).await?;
        if !message.folder.is_new() {
            return Ok(false);
        }
        self.move_to(mailbox, msg_id, Folder::Old).await?;
        Ok(true)
    }

    /// Marks a message new again: from Old back to INBOX. Returns whether it moved.
    pub async fn mark_unread(
        &self,
        mailbox: &MailboxNumber,
        msg_id: &str,
    ) -> Result<bool, InboxError> {
        let message = self.locate(mailbox, message_id(msg_id)?).await?;
        if message.folder.is_new() {
            return Ok(false);
        }
        self.move_to(mailbox, msg_id, Folder::Inbox).await?;
        Ok(true)
    }
}

/// What is done to a message through the manager interface.
#[derive(Debug, Clone, Copy)]
enum Action {
    Move(Folder),
    Remove,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::voicemail::message_file::MessageInfo;

    fn messages(n: u32) -> Vec<SpoolMessage> {
        (0..n)
            .map(|i| SpoolMessage {
                folder: Folder::Inbox,
                number: i,
                info: MessageInfo {
                    msg_id: format!("id-{i}"),
                    caller_name: String::new(),
                    caller_number: String::new(),
                    origtime: Some(i64::from(i)),
                    origdate: String::new(),
                    duration_secs: None,
                    urgent: false,
                },
            })
            .collect()
    }

    #[test]
    fn pages_are_one_based_and_the_last_one_is_short() {
        let all = messages(25);
        assert_eq!(page_of(&all, 1, 10).len(), 10);
        assert_eq!(page_of(&all, 3, 10).len(), 5);
        assert_eq!(page_of(&all, 3, 10)[0].number, 20);
    }

    #[test]
    fn a_page_past_the_end_is_empty_not_an_error() {
        assert!(page_of(&messages(5), 9, 10).is_empty());
        assert!(page_of(&messages(5), usize::MAX, usize::MAX).is_empty());
    }

    #[test]
    fn page_zero_is_the_first_page() {
        assert_eq!(page_of(&messages(5), 0, 2)[0].number, 0);
    }

    #[test]
    fn ids_and_mailboxes_that_could_escape_are_refused() {
        assert!(matches!(
            message_id("1-2\r\nAction: x"),
            Err(InboxError::BadMessageId(_))
        ));
        assert!(matches!(
            mailbox("../../etc"),
            Err(InboxError::BadMailbox(_))
        ));
    }
}
