//! Typed AMI events for what Ringside reads; every other event is kept as it came.
//!
//! Pure conversions from a [`Message`]. Values Asterisk leaves empty stay empty strings; a
//! number that does not parse becomes `None` rather than an error, because one odd field
//! must not cost the rest of the event.

use super::frame::Message;

/// One voicemail message as `VoicemailBoxSummary` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoicemailBoxDetail {
    pub folder: String,
    pub caller_id: String,
    /// The server's local-time text, e.g. `Sat Dec  5 10:40:22 PM UTC 2026`.
    pub date: String,
    pub duration_secs: Option<u32>,
    pub flag: String,
    /// The message's `msg_id`.
    pub id: String,
}

/// `MessageWaiting`: a mailbox's message-waiting state changed (new message, moved, deleted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageWaiting {
    /// `1001@default`.
    pub mailbox: String,
    pub new: Option<u32>,
    pub old: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    VoicemailBoxDetail(VoicemailBoxDetail),
    MessageWaiting(MessageWaiting),
    /// Any other event, as received.
    Other(Message),
}

fn text(m: &Message, name: &str) -> String {
    m.get(name).unwrap_or_default().to_owned()
}

fn number(m: &Message, name: &str) -> Option<u32> {
    m.get(name).and_then(|v| v.trim().parse().ok())
}

impl Event {
    /// Reads an event message (one with an `Event` header).
    pub fn from_message(m: Message) -> Event {
        match m.get("Event").unwrap_or_default() {
            "VoicemailBoxDetail" => Event::VoicemailBoxDetail(VoicemailBoxDetail {
                folder: text(&m, "Folder"),
                caller_id: text(&m, "CallerID"),
                date: text(&m, "Date"),
                duration_secs: number(&m, "Duration"),
                flag: text(&m, "Flag"),
                id: text(&m, "ID"),
            }),
            "MessageWaiting" => Event::MessageWaiting(MessageWaiting {
                mailbox: text(&m, "Mailbox"),
                new: number(&m, "New"),
                old: number(&m, "Old"),
            }),
            _ => Event::Other(m),
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Event::VoicemailBoxDetail(_) => "VoicemailBoxDetail",
            Event::MessageWaiting(_) => "MessageWaiting",
            Event::Other(m) => m.get("Event").unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn voicemail_box_detail_is_typed() {
        let m = Message::new()
            .with("Event", "VoicemailBoxDetail")
            .with("Folder", "INBOX")
            .with("CallerID", "\"Caller 5550001\" <5550001>")
            .with("Date", "Sat Dec  5 10:40:22 PM UTC 2026")
            .with("Duration", "16")
            .with("Flag", "")
            .with("ID", "1796510422-00000000");
        let Event::VoicemailBoxDetail(d) = Event::from_message(m) else {
            panic!("not typed")
        };
        assert_eq!(d.id, "1796510422-00000000");
        assert_eq!(d.duration_secs, Some(16));
        assert_eq!(d.folder, "INBOX");
    }

    #[test]
    fn an_unknown_event_is_kept_raw() {
        let m = Message::new()
            .with("Event", "Cdr")
            .with("Disposition", "ANSWERED");
        let event = Event::from_message(m.clone());
        assert_eq!(event, Event::Other(m));
        assert_eq!(event.name(), "Cdr");
    }

    #[test]
    fn a_garbled_number_becomes_none_and_keeps_the_event() {
        let m = Message::new()
            .with("Event", "MessageWaiting")
            .with("Mailbox", "1001@default")
            .with("New", "many");
        let Event::MessageWaiting(w) = Event::from_message(m) else {
            panic!()
        };
        assert_eq!((w.mailbox.as_str(), w.new), ("1001@default", None));
    }
}
