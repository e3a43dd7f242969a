//! Live page progress of a fax being sent, pure: which of Asterisk's fax sessions belongs to
//! a job, and what that session's `FAXSession` answer says about the job.
//!
//! A job's session is the `FAXSessions` entry whose `Channel` is the name of the channel
//! Ringside placed the call on, with `Operation: send`. The name must match whole: the far
//! half of a Local channel pair (`…;2`, running `ReceiveFAX` in a loop-back call) differs only
//! in its last character. `PageNumber` runs one past the last page once every page went
//! through, so the page shown is bounded by the document's page count.
//!
//! Not here: asking Asterisk ([`crate::ami::fax`]) or when to ask ([`super::transfers`]).

use crate::ami::events::{FaxSessionDetail, FaxSessionsEntry};

/// Where a transfer stands, as far as Asterisk reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiveTransfer {
    /// The page in transfer, 1-based, never past the document's last page.
    pub page: u32,
    /// The document's pages, when known.
    pub pages_total: Option<u32>,
    /// Pages already through.
    pub pages_sent: u32,
    /// Negotiated bit rate; `None` before it is known.
    pub bit_rate: Option<u32>,
}

fn is_send(operation: &str) -> bool {
    operation.trim().eq_ignore_ascii_case("send")
}

/// The number of the session sending on the channel named `channel_name`, if there is one.
pub fn send_session_on(entries: &[FaxSessionsEntry], channel_name: &str) -> Option<u32> {
    entries
        .iter()
        .find(|e| e.channel == channel_name && is_send(&e.operation))
        .and_then(|e| e.session_number)
}

/// What a sending session's details say; `None` for a session that is not sending or that
/// reports no page. `pages_total` 0 means the page count is unknown.
pub fn transfer_from(detail: &FaxSessionDetail, pages_total: u32) -> Option<LiveTransfer> {
    if !is_send(&detail.operation) {
        return None;
    }
    let page = detail.page_number.filter(|p| *p > 0)?;
    let total = (pages_total > 0).then_some(pages_total);
    let bound = |n: u32| total.map_or(n, |t| n.min(t));
    Some(LiveTransfer {
        page: bound(page),
        pages_total: total,
        pages_sent: bound(detail.pages_transmitted.unwrap_or(0)),
        bit_rate: detail.data_rate.filter(|r| *r > 0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(channel: &str, number: u32, operation: &str) -> FaxSessionsEntry {
        FaxSessionsEntry {
            channel: channel.into(),
            technology: "Spandsp".into(),
            session_number: Some(number),
            session_type: "G.711".into(),
            operation: operation.into(),
            state: "Active".into(),
            files: String::new(),
        }
    }

    fn detail(
        operation: &str,
        page: Option<u32>,
        sent: u32,
        rate: Option<u32>,
    ) -> FaxSessionDetail {
        FaxSessionDetail {
            session_number: Some(10),
            operation: operation.into(),
            state: "Active".into(),
            data_rate: rate,
            page_number: page,
            pages_transmitted: Some(sent),
            pages_received: Some(0),
            file_name: String::new(),
        }
    }

    /// Two loop-back calls as Asterisk listed them, each half with its own session.
    fn recorded() -> Vec<FaxSessionsEntry> {
        vec![
            entry("Local/3999@fax-recv-000000d1;1", 10, "send"),
            entry("Local/3999@fax-recv-000000d1;2", 11, "receive"),
            entry("Local/3999@fax-recv-000000d0;1", 8, "send"),
            entry("Local/3999@fax-recv-000000d0;2", 9, "receive"),
        ]
    }

    #[test]
    fn the_job_session_is_the_one_sending_on_its_channel() {
        assert_eq!(
            send_session_on(&recorded(), "Local/3999@fax-recv-000000d0;1"),
            Some(8)
        );
    }

    #[test]
    fn the_far_half_of_a_local_pair_is_never_the_job_session() {
        let far_half_only = vec![entry("Local/3999@fax-recv-000000d1;2", 11, "receive")];
        assert_eq!(
            send_session_on(&far_half_only, "Local/3999@fax-recv-000000d1;1"),
            None
        );
        assert_eq!(
            send_session_on(&recorded(), "Local/3999@fax-recv-000000d1"),
            None,
            "a name without its half matches nothing"
        );
    }

    #[test]
    fn a_receiving_session_on_the_job_channel_is_not_its_transfer() {
        let entries = vec![entry("PJSIP/trunk-00000007", 4, "receive")];
        assert_eq!(send_session_on(&entries, "PJSIP/trunk-00000007"), None);
    }

    #[test]
    fn no_session_listed_means_none() {
        assert_eq!(send_session_on(&[], "Local/1@x-00000001;1"), None);
    }

    #[test]
    fn page_two_of_three_at_14400() {
        assert_eq!(
            transfer_from(&detail("send", Some(2), 1, Some(14400)), 3),
            Some(LiveTransfer {
                page: 2,
                pages_total: Some(3),
                pages_sent: 1,
                bit_rate: Some(14400)
            })
        );
    }

    #[test]
    fn past_the_last_page_shows_the_last_page() {
        let t = transfer_from(&detail("send", Some(3), 2, Some(14400)), 2).expect("transfer");
        assert_eq!((t.page, t.pages_sent), (2, 2));
    }

    #[test]
    fn an_unknown_page_count_keeps_the_page_as_reported() {
        let t = transfer_from(&detail("send", Some(5), 4, Some(9600)), 0).expect("transfer");
        assert_eq!((t.page, t.pages_total, t.pages_sent), (5, None, 4));
    }

    #[test]
    fn no_rate_yet_is_no_rate_not_zero() {
        let t = transfer_from(&detail("send", Some(1), 0, Some(0)), 3).expect("transfer");
        assert_eq!(t.bit_rate, None);
    }

    #[test]
    fn a_session_without_a_page_or_not_sending_says_nothing() {
        assert_eq!(
            transfer_from(&detail("send", None, 0, Some(14400)), 3),
            None
        );
        assert_eq!(
            transfer_from(&detail("send", Some(0), 0, Some(14400)), 3),
            None
        );
        assert_eq!(
            transfer_from(&detail("receive", Some(2), 0, Some(14400)), 3),
            None
        );
    }
}
