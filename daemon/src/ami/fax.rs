//! res_fax's manager actions, typed: `FAXSessions` (every fax session, with the channel that
//! runs it) and `FAXSession` (one session's page, pages sent and bit rate).
//!
//! Answers as Asterisk 22 gives them: `FAXSessions` is an event list marked `Start` (capital
//! S) even when empty; `FAXSession` is a `Success` followed by one `FAXSession` event, and a
//! session that has ended answers `Response: Error` with `Session not found`, which is read
//! here as "no such session", not as a failure. res_fax registers both actions under the
//! manager class `call`; without it in the user's `write` classes Asterisk answers
//! `Permission denied`, which stays an error for the caller to report.
//!
//! Not here: which session belongs to which fax job (see `flows::fax::progress`).

use super::client::{AmiClient, AmiError, Reply};
use super::events::{Event, FaxSessionDetail, FaxSessionsEntry};
use super::frame::Message;

/// Asterisk's words for a session number it does not know (any more).
pub const SESSION_NOT_FOUND: &str = "Session not found";

/// Reads the answer to `FAXSessions`.
pub fn sessions_of(reply: Reply) -> Vec<FaxSessionsEntry> {
    reply
        .events
        .into_iter()
        .filter_map(|m| match Event::from_message(m) {
            Event::FaxSessionsEntry(e) => Some(e),
            _ => None,
        })
        .collect()
}

/// Reads the answer to `FAXSession`; `None` when the event that should follow is not one.
pub fn session_of(reply: Reply) -> Option<FaxSessionDetail> {
    reply
        .events
        .into_iter()
        .find_map(|m| match Event::from_message(m) {
            Event::FaxSession(s) => Some(s),
            _ => None,
        })
}

/// Whether `FAXSession` was refused because the session does not exist.
pub fn is_session_not_found(err: &AmiError) -> bool {
    matches!(err, AmiError::Refused(text) if text.trim().eq_ignore_ascii_case(SESSION_NOT_FOUND))
}

impl AmiClient {
    /// Every fax session Asterisk runs now.
    pub async fn fax_sessions(&self) -> Result<Vec<FaxSessionsEntry>, AmiError> {
        let reply = self
            .send(Message::new().with("Action", "FAXSessions"))
            .await?;
        Ok(sessions_of(reply))
    }

    /// One session's details; `None` when Asterisk has no session `number` (it ended).
    pub async fn fax_session(&self, number: u32) -> Result<Option<FaxSessionDetail>, AmiError> {
        let action = Message::new()
            .with("Action", "FAXSession")
            .with("SessionNumber", number.to_string());
        match self.send_for_event(action).await {
            Ok(reply) => Ok(session_of(reply)),
            Err(err) if is_session_not_found(&err) => Ok(None),
            Err(err) => Err(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(events: Vec<Message>) -> Reply {
        Reply {
            response: Message::new().with("Response", "Success"),
            events,
            complete: None,
        }
    }

    #[test]
    fn session_not_found_is_told_apart_from_other_refusals() {
        assert!(is_session_not_found(&AmiError::Refused(
            "Session not found".into()
        )));
        assert!(!is_session_not_found(&AmiError::Refused(
            "Permission denied".into()
        )));
        assert!(!is_session_not_found(&AmiError::ConnectionLost));
    }

    #[test]
    fn sessions_keep_only_their_entries() {
        let entries = sessions_of(reply(vec![
            Message::new()
                .with("Event", "FAXSessionsEntry")
                .with("Channel", "Local/5550100@test-fax-00000001;1")
                .with("SessionNumber", "3"),
            Message::new().with("Event", "Something"),
        ]));
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].session_number, Some(3));
    }

    #[test]
    fn a_session_answer_without_its_event_is_none() {
        assert_eq!(session_of(reply(Vec::new())), None);
    }
}
