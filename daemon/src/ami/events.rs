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

/// `FAXSessionsEntry`: one fax session `FAXSessions` lists. `Channel` is the name of the
/// channel running the fax application; for a Local channel pair each half that runs one has
/// its own session (`…;1` sending, `…;2` receiving in a loop-back call).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaxSessionsEntry {
    pub channel: String,
    pub technology: String,
    pub session_number: Option<u32>,
    pub session_type: String,
    /// `send`, `receive` (or `gateway`, `V.21`).
    pub operation: String,
    pub state: String,
    pub files: String,
}

/// `FAXSession`: the details of one session, spandsp's fields. `PageNumber` is the page being
/// transferred (1-based), `PagesTransmitted` those already sent, `DataRate` the negotiated
/// bit rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaxSessionDetail {
    pub session_number: Option<u32>,
    pub operation: String,
    pub state: String,
    pub data_rate: Option<u32>,
    pub page_number: Option<u32>,
    pub pages_transmitted: Option<u32>,
    pub pages_received: Option<u32>,
    pub file_name: String,
}

/// `Cdr`: one call detail record as `cdr_manager` sends it, every value as text. Times are
/// the server's local time (`2026-12-05 22:50:30`, empty when the leg never answered);
/// `LinkedID` and `Sequence` come only when `cdr_manager.conf`'s `[mappings]` add them
/// (Asterisk 22 sends neither by default), and any other mapped variable stays in `extra`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CdrEvent {
    pub account_code: String,
    pub source: String,
    pub destination: String,
    pub destination_context: String,
    pub caller_id: String,
    pub channel: String,
    pub destination_channel: String,
    pub last_application: String,
    pub last_data: String,
    pub start_time: String,
    pub answer_time: String,
    pub end_time: String,
    pub duration: String,
    pub billable_seconds: String,
    pub disposition: String,
    pub ama_flags: String,
    pub unique_id: String,
    pub user_field: String,
    pub linked_id: Option<String>,
    pub sequence: Option<String>,
    /// Headers not listed above (other `[mappings]`), in their order.
    pub extra: Vec<(String, String)>,
}

/// The headers `cdr_manager` always sends, in its order.
const CDR_HEADERS: [&str; 20] = [
    "Event",
    "Privilege",
    "AccountCode",
    "Source",
    "Destination",
    "DestinationContext",
    "CallerID",
    "Channel",
    "DestinationChannel",
    "LastApplication",
    "LastData",
    "StartTime",
    "AnswerTime",
    "EndTime",
    "Duration",
    "BillableSeconds",
    "Disposition",
    "AMAFlags",
    "UniqueID",
    "UserField",
];

impl CdrEvent {
    fn from_message(m: &Message) -> CdrEvent {
        let extra = m
            .headers
            .iter()
            .filter(|(k, _)| {
                !CDR_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(k))
                    && !k.eq_ignore_ascii_case("LinkedID")
                    && !k.eq_ignore_ascii_case("Sequence")
            })
            .cloned()
            .collect();
        CdrEvent {
            account_code: text(m, "AccountCode"),
            source: text(m, "Source"),
            destination: text(m, "Destination"),
            destination_context: text(m, "DestinationContext"),
            caller_id: text(m, "CallerID"),
            channel: text(m, "Channel"),
            destination_channel: text(m, "DestinationChannel"),
            last_application: text(m, "LastApplication"),
            last_data: text(m, "LastData"),
            start_time: text(m, "StartTime"),
            answer_time: text(m, "AnswerTime"),
            end_time: text(m, "EndTime"),
            duration: text(m, "Duration"),
            billable_seconds: text(m, "BillableSeconds"),
            disposition: text(m, "Disposition"),
            ama_flags: text(m, "AMAFlags"),
            unique_id: text(m, "UniqueID"),
            user_field: text(m, "UserField"),
            linked_id: m.get("LinkedID").map(str::to_owned),
            sequence: m.get("Sequence").map(str::to_owned),
            extra,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    VoicemailBoxDetail(VoicemailBoxDetail),
    MessageWaiting(MessageWaiting),
    Cdr(Box<CdrEvent>),
    FaxSessionsEntry(FaxSessionsEntry),
    FaxSession(FaxSessionDetail),
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
            "Cdr" => Event::Cdr(Box::new(CdrEvent::from_message(&m))),
            "FAXSessionsEntry" => Event::FaxSessionsEntry(FaxSessionsEntry {
                channel: text(&m, "Channel"),
                technology: text(&m, "Technology"),
                session_number: number(&m, "SessionNumber"),
                session_type: text(&m, "SessionType"),
                operation: text(&m, "Operation"),
                state: text(&m, "State"),
                files: text(&m, "Files"),
            }),
            "FAXSession" => Event::FaxSession(FaxSessionDetail {
                session_number: number(&m, "SessionNumber"),
                operation: text(&m, "Operation"),
                state: text(&m, "State"),
                data_rate: number(&m, "DataRate"),
                page_number: number(&m, "PageNumber"),
                pages_transmitted: number(&m, "PagesTransmitted"),
                pages_received: number(&m, "PagesReceived"),
                file_name: text(&m, "FileName"),
            }),
            _ => Event::Other(m),
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Event::VoicemailBoxDetail(_) => "VoicemailBoxDetail",
            Event::MessageWaiting(_) => "MessageWaiting",
            Event::Cdr(_) => "Cdr",
            Event::FaxSessionsEntry(_) => "FAXSessionsEntry",
            Event::FaxSession(_) => "FAXSession",
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
    fn a_cdr_event_is_typed_with_its_mapped_linkedid_and_sequence() {
        let m = Message::new()
            .with("Event", "Cdr")
            .with("Privilege", "cdr,all")
            .with("Source", "1001")
            .with("Channel", "Local/2001@phones-000000cd;2")
            .with("AnswerTime", "")
            .with("Disposition", "NO ANSWER")
            .with("UniqueID", "1796511030.411")
            .with("LinkedID", "1796511030.408")
            .with("Sequence", "17")
            .with("Recording", "x.wav");
        let Event::Cdr(c) = Event::from_message(m) else {
            panic!("not typed")
        };
        assert_eq!(c.source, "1001");
        assert_eq!(c.answer_time, "");
        assert_eq!(c.disposition, "NO ANSWER");
        assert_eq!(c.linked_id.as_deref(), Some("1796511030.408"));
        assert_eq!(c.sequence.as_deref(), Some("17"));
        assert_eq!(c.extra, vec![("Recording".to_owned(), "x.wav".to_owned())]);
    }

    #[test]
    fn a_cdr_event_without_mappings_has_no_linkedid() {
        let m = Message::new().with("Event", "Cdr").with("UniqueID", "1.2");
        let Event::Cdr(c) = Event::from_message(m) else {
            panic!("not typed")
        };
        assert_eq!((c.linked_id, c.sequence), (None, None));
    }

    #[test]
    fn a_fax_session_is_typed_with_its_page_and_rate() {
        let m = Message::new()
            .with("Event", "FAXSession")
            .with("SessionNumber", "10")
            .with("Operation", "send")
            .with("State", "Active")
            .with("DataRate", "14400")
            .with("PageNumber", "2")
            .with("PagesTransmitted", "1")
            .with("PagesReceived", "0");
        let Event::FaxSession(s) = Event::from_message(m) else {
            panic!("not typed")
        };
        assert_eq!(
            (
                s.session_number,
                s.page_number,
                s.pages_transmitted,
                s.data_rate
            ),
            (Some(10), Some(2), Some(1), Some(14400))
        );
        assert_eq!(s.operation, "send");
    }

    #[test]
    fn a_fax_sessions_entry_keeps_the_channel_name_with_its_half() {
        let m = Message::new()
            .with("Event", "FAXSessionsEntry")
            .with("Channel", "Local/3999@fax-recv-000000d1;1")
            .with("SessionNumber", "10")
            .with("Operation", "send");
        let Event::FaxSessionsEntry(e) = Event::from_message(m) else {
            panic!("not typed")
        };
        assert_eq!(e.channel, "Local/3999@fax-recv-000000d1;1");
        assert_eq!(e.session_number, Some(10));
    }

    #[test]
    fn an_unknown_event_is_kept_raw() {
        let m = Message::new().with("Event", "Hangup").with("Cause", "16");
        let event = Event::from_message(m.clone());
        assert_eq!(event, Event::Other(m));
        assert_eq!(event.name(), "Hangup");
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
