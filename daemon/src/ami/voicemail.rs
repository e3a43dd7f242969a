//! app_voicemail's manager actions, typed: `VoicemailBoxSummary`, `VoicemailMove`,
//! `VoicemailRemove`, `VoicemailRefresh` and `MailboxCount`.
//!
//! What the answers mean is read here, in pure functions, because Asterisk's words are
//! misleading: a move or remove of a message that no longer exists still answers
//! `Response: Success`, with `Message: Message move failed` / `Message remove failed`; and
//! the summary of a mailbox that does not exist is a `Success` without an event list.

use super::client::{AmiClient, AmiError, Reply};
use super::events::{Event, VoicemailBoxDetail};
use super::frame::Message;

/// What a move or remove did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Done,
    /// app_voicemail found no message with that id in that folder.
    MessageGone,
}

/// Counts as `MailboxCount` reports them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MailboxCounts {
    pub urgent: u32,
    pub new: u32,
    pub old: u32,
}

/// Reads the answer to `VoicemailMove` / `VoicemailRemove`.
pub fn outcome_of(reply: &Reply) -> Result<Outcome, AmiError> {
    let message = reply.message().trim();
    if message.ends_with("successful") {
        Ok(Outcome::Done)
    } else if message.ends_with("failed") {
        Ok(Outcome::MessageGone)
    } else {
        Err(AmiError::Refused(format!(
            "unexpected answer from app_voicemail: {message:?}"
        )))
    }
}

/// Reads the answer to `VoicemailBoxSummary`: `None` when the mailbox does not exist.
pub fn summary_of(reply: Reply) -> Option<Vec<VoicemailBoxDetail>> {
    reply.complete.as_ref()?;
    Some(
        reply
            .events
            .into_iter()
            .filter_map(|m| match Event::from_message(m) {
                Event::VoicemailBoxDetail(d) => Some(d),
                _ => None,
            })
            .collect(),
    )
}

/// Reads the answer to `MailboxCount`.
pub fn counts_of(reply: &Reply) -> Result<MailboxCounts, AmiError> {
    let number = |name: &str| {
        reply
            .response
            .get(name)
            .and_then(|v| v.trim().parse::<u32>().ok())
            .ok_or_else(|| AmiError::Refused(format!("MailboxCount answered without {name}")))
    };
    Ok(MailboxCounts {
        urgent: number("UrgMessages")?,
        new: number("NewMessages")?,
        old: number("OldMessages")?,
    })
}

impl AmiClient {
    /// Every message of a mailbox as app_voicemail sees it; `None` for an unknown mailbox.
    pub async fn voicemail_box_summary(
        &self,
        context: &str,
        mailbox: &str,
    ) -> Result<Option<Vec<VoicemailBoxDetail>>, AmiError> {
        let reply = self
            .send(
                Message::new()
                    .with("Action", "VoicemailBoxSummary")
                    .with("Context", context)
                    .with("Mailbox", mailbox),
            )
            .await?;
        Ok(summary_of(reply))
    }

    /// Moves message `id` from `folder` to `to_folder`.
    pub async fn voicemail_move(
        &self,
        context: &str,
        mailbox: &str,
        folder: &str,
        id: &str,
        to_folder: &str,
    ) -> Result<Outcome, AmiError> {
        let reply = self
            .send(
                Message::new()
                    .with("Action", "VoicemailMove")
                    .with("Context", context)
                    .with("Mailbox", mailbox)
                    .with("Folder", folder)
                    .with("ID", id)
                    .with("ToFolder", to_folder),
            )
            .await?;
        outcome_of(&reply)
    }

    /// Deletes message `id` from `folder`.
    pub async fn voicemail_remove(
        &self,
        context: &str,
        mailbox: &str,
        folder: &str,
        id: &str,
    ) -> Result<Outcome, AmiError> {
        let reply = self
            .send(
                Message::new()
                    .with("Action", "VoicemailRemove")
                    .with("Context", context)
                    .with("Mailbox", mailbox)
                    .with("Folder", folder)
                    .with("ID", id),
            )
            .await?;
        outcome_of(&reply)
    }

    /// Asks app_voicemail to re-read the mailbox and update message-waiting lights.
    pub async fn voicemail_refresh(&self, context: &str, mailbox: &str) -> Result<(), AmiError> {
        self.send(
            Message::new()
                .with("Action", "VoicemailRefresh")
                .with("Context", context)
                .with("Mailbox", mailbox),
        )
        .await
        .map(|_| ())
    }

    pub async fn mailbox_count(
        &self,
        context: &str,
        mailbox: &str,
    ) -> Result<MailboxCounts, AmiError> {
        let reply = self
            .send(
                Message::new()
                    .with("Action", "MailboxCount")
                    .with("Mailbox", format!("{mailbox}@{context}")),
            )
            .await?;
        counts_of(&reply)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(message: &str) -> Reply {
        Reply {
            response: Message::new()
                .with("Response", "Success")
                .with("Message", message),
            events: Vec::new(),
            complete: None,
        }
    }

    #[test]
    fn move_successful_is_done() {
        assert_eq!(
            outcome_of(&reply("Message move successful")),
            Ok(Outcome::Done)
        );
    }

    #[test]
    fn success_saying_move_failed_means_the_message_is_gone() {
        assert_eq!(
            outcome_of(&reply("Message move failed")),
            Ok(Outcome::MessageGone)
        );
        assert_eq!(
            outcome_of(&reply("Message remove failed")),
            Ok(Outcome::MessageGone)
        );
    }

    #[test]
    fn an_unknown_answer_is_an_error_not_a_guess() {
        assert!(outcome_of(&reply("Something else")).is_err());
    }

    #[test]
    fn a_summary_without_a_list_means_no_such_mailbox() {
        assert_eq!(
            summary_of(reply("There is no voicemail user matching the given user.")),
            None
        );
    }

    #[test]
    fn counts_are_read_from_the_response() {
        let r = Reply {
            response: Message::new()
                .with("Response", "Success")
                .with("UrgMessages", "0")
                .with("NewMessages", "2")
                .with("OldMessages", "1"),
            events: Vec::new(),
            complete: None,
        };
        assert_eq!(
            counts_of(&r),
            Ok(MailboxCounts {
                urgent: 0,
                new: 2,
                old: 1
            })
        );
    }
}
