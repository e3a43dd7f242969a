//! The simulator's res_fax: fax sessions a test starts, moves page by page and ends, answered
//! to `FAXSessions` and `FAXSession` as Asterisk 22 does in the recorded sessions
//! (`tests/ami-sessions/fax-session-progress.txt`, `fax-session-send-half.txt`): the same
//! headers in the same order and case, the list marked `Start`, `FAXSession` as a `Success`
//! followed by one event, `Session not found` for a number with no session and
//! `Invalid session ID` for a missing or non-numeric one.
//!
//! Not modelled: fax audio, T.38, sessions that start by themselves (the test says when a
//! channel runs `SendFAX` or `ReceiveFAX`), and `FAXStats`.

use super::wire;

/// What a channel's fax application does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaxOperation {
    Send,
    Receive,
}

impl FaxOperation {
    fn word(self) -> &'static str {
        match self {
            FaxOperation::Send => "send",
            FaxOperation::Receive => "receive",
        }
    }
}

/// One session as the test drives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimFaxSession {
    pub number: u32,
    /// The name of the channel running the application, e.g. `Local/5551234@out-00000001;1`.
    pub channel: String,
    pub operation: FaxOperation,
    pub file: String,
    /// The page in transfer, 1-based; one past the last once every page went through.
    pub page_number: u32,
    /// Pages already through (sent for `Send`, received for `Receive`).
    pub pages_done: u32,
    pub data_rate: u32,
}

/// The sessions running now, numbered as res_fax numbers them: one counter for all.
#[derive(Debug, Default)]
pub struct FaxSessions {
    next: u32,
    running: Vec<SimFaxSession>,
}

impl FaxSessions {
    pub fn start(&mut self, channel: &str, operation: FaxOperation, file: &str) -> u32 {
        self.next += 1;
        self.running.push(SimFaxSession {
            number: self.next,
            channel: channel.to_owned(),
            operation,
            file: file.to_owned(),
            page_number: 1,
            pages_done: 0,
            data_rate: 14400,
        });
        self.next
    }

    /// Sets a session's page in transfer and pages through; `false` when it is not running.
    pub fn set_page(&mut self, number: u32, page_number: u32, pages_done: u32) -> bool {
        match self.running.iter_mut().find(|s| s.number == number) {
            Some(s) => {
                s.page_number = page_number;
                s.pages_done = pages_done;
                true
            }
            None => false,
        }
    }

    pub fn end(&mut self, number: u32) -> bool {
        let before = self.running.len();
        self.running.retain(|s| s.number != number);
        self.running.len() != before
    }

    /// The answer to `FAXSessions`.
    pub fn list(&self, id: &str) -> String {
        let mut out = wire(&[
            ("Response", "Success"),
            ("ActionID", id),
            ("EventList", "Start"),
            ("Message", "FAXSessionsEntry event list will follow"),
        ]);
        for s in &self.running {
            let number = s.number.to_string();
            out.push_str(&wire(&[
                ("Event", "FAXSessionsEntry"),
                ("ActionID", id),
                ("Channel", &s.channel),
                ("Technology", "Spandsp"),
                ("SessionNumber", &number),
                ("SessionType", "G.711"),
                ("Operation", s.operation.word()),
                ("State", "Active"),
                ("Files", &s.file),
            ]));
        }
        let count = self.running.len().to_string();
        out.push_str(&wire(&[
            ("Event", "FAXSessionsComplete"),
            ("ActionID", id),
            ("EventList", "Complete"),
            ("ListItems", &count),
            ("Total", &count),
        ]));
        out
    }

    /// The answer to `FAXSession` with `SessionNumber: number` (as the client sent it).
    pub fn one(&self, id: &str, number: Option<&str>) -> String {
        let error = |message: &str| {
            wire(&[
                ("Response", "Error"),
                ("ActionID", id),
                ("Message", message),
            ])
        };
        let Some(wanted) = number.and_then(|n| n.trim().parse::<u32>().ok()) else {
            return error("Invalid session ID");
        };
        let Some(s) = self.running.iter().find(|s| s.number == wanted) else {
            return error("Session not found");
        };
        let (transmitted, received) = match s.operation {
            FaxOperation::Send => (s.pages_done, 0),
            FaxOperation::Receive => (0, s.pages_done),
        };
        let (number, rate, page) = (
            s.number.to_string(),
            s.data_rate.to_string(),
            s.page_number.to_string(),
        );
        let (transmitted, received) = (transmitted.to_string(), received.to_string());
        let mut out = wire(&[
            ("Response", "Success"),
            ("ActionID", id),
            ("Message", "FAXSession event will follow"),
        ]);
        out.push_str(&wire(&[
            ("Event", "FAXSession"),
            ("ActionID", id),
            ("SessionNumber", &number),
            ("Operation", s.operation.word()),
            ("State", "Active"),
            ("ErrorCorrectionMode", "Yes"),
            ("DataRate", &rate),
            ("ImageResolution", "8031x3850"),
            ("PageNumber", &page),
            ("FileName", &s.file),
            ("PagesTransmitted", &transmitted),
            ("PagesReceived", &received),
            ("TotalBadLines", "0"),
        ]));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The recorded answer to `FAXSession` for session 10 at page 2, as on the wire.
    const RECORDED_PAGE_2: &str = "Response: Success\r\nActionID: one-3-10\r\nMessage: FAXSession event will follow\r\n\r\n\
        Event: FAXSession\r\nActionID: one-3-10\r\nSessionNumber: 10\r\nOperation: send\r\nState: Active\r\n\
        ErrorCorrectionMode: Yes\r\nDataRate: 14400\r\nImageResolution: 8031x3850\r\nPageNumber: 2\r\n\
        FileName: /var/spool/asterisk/fax/outgoing/invoice-3p.tif\r\nPagesTransmitted: 1\r\nPagesReceived: 0\r\n\
        TotalBadLines: 0\r\n\r\n";

    fn ten_sessions_in() -> FaxSessions {
        FaxSessions {
            next: 9,
            running: Vec::new(),
        }
    }

    #[test]
    fn a_session_answers_with_the_recorded_headers_in_their_order() {
        let mut sessions = ten_sessions_in();
        let n = sessions.start(
            "Local/3999@fax-recv-000000d1;1",
            FaxOperation::Send,
            "/var/spool/asterisk/fax/outgoing/invoice-3p.tif",
        );
        assert_eq!(n, 10);
        assert!(sessions.set_page(n, 2, 1));
        assert_eq!(sessions.one("one-3-10", Some("10")), RECORDED_PAGE_2);
    }

    #[test]
    fn the_list_is_marked_start_with_a_capital_s_and_counts_its_entries() {
        let mut sessions = ten_sessions_in();
        sessions.start(
            "Local/3999@fax-recv-000000d1;1",
            FaxOperation::Send,
            "a.tif",
        );
        sessions.start(
            "Local/3999@fax-recv-000000d1;2",
            FaxOperation::Receive,
            "b.tif",
        );
        let list = sessions.list("list-1");
        assert!(list.starts_with("Response: Success\r\nActionID: list-1\r\nEventList: Start\r\nMessage: FAXSessionsEntry event list will follow\r\n\r\n"), "{list}");
        assert!(list.contains("Channel: Local/3999@fax-recv-000000d1;2\r\nTechnology: Spandsp\r\nSessionNumber: 11\r\nSessionType: G.711\r\nOperation: receive\r\n"), "{list}");
        assert!(list.ends_with("Event: FAXSessionsComplete\r\nActionID: list-1\r\nEventList: Complete\r\nListItems: 2\r\nTotal: 2\r\n\r\n"), "{list}");
    }

    #[test]
    fn an_ended_session_is_not_found_and_a_bad_number_is_invalid() {
        let mut sessions = ten_sessions_in();
        let n = sessions.start("X/1;1", FaxOperation::Send, "a.tif");
        assert!(sessions.end(n));
        assert_eq!(
            sessions.one("a", Some("10")),
            "Response: Error\r\nActionID: a\r\nMessage: Session not found\r\n\r\n"
        );
        assert_eq!(
            sessions.one("b", Some("abc")),
            "Response: Error\r\nActionID: b\r\nMessage: Invalid session ID\r\n\r\n"
        );
        assert_eq!(
            sessions.one("c", None),
            "Response: Error\r\nActionID: c\r\nMessage: Invalid session ID\r\n\r\n"
        );
    }
}
