//! One CDR as Ringside keeps it, built from a manager `Cdr` event or a `Master.csv` row and
//! checked on the way in. A record that cannot be right (an unknown disposition, a time that
//! does not parse, a negative or absurd duration) is refused with the reason, so the caller
//! can log it and go on with the next one.
//!
//! Not here: where records come from or go to.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};

use crate::ami::events::CdrEvent;
use crate::schedule::zone::Zone;

/// The longest call accepted: a week. Asterisk has no such limit, but a longer duration is a
/// clock jump or a corrupt row, and would distort every total it enters.
pub const MAX_DURATION_SECS: i64 = 7 * 24 * 3600;

/// How a CDR ended, as `ast_cdr_disp2str` spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
/// Ordered from the worst outcome to the best, so that the best leg of a call is the max.
pub enum Disposition {
    Failed,
    Congestion,
    NoAnswer,
    Busy,
    Answered,
}

impl Disposition {
    pub fn parse(s: &str) -> Option<Disposition> {
        Some(match s {
            "ANSWERED" => Disposition::Answered,
            "NO ANSWER" => Disposition::NoAnswer,
            "BUSY" => Disposition::Busy,
            "FAILED" => Disposition::Failed,
            "CONGESTION" => Disposition::Congestion,
            _ => return None,
        })
    }

    /// Asterisk's spelling, also the stored one.
    pub fn as_str(self) -> &'static str {
        match self {
            Disposition::Answered => "ANSWERED",
            Disposition::NoAnswer => "NO ANSWER",
            Disposition::Busy => "BUSY",
            Disposition::Failed => "FAILED",
            Disposition::Congestion => "CONGESTION",
        }
    }
}

/// Why a record was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CdrProblem {
    #[error("unknown disposition {0:?}")]
    UnknownDisposition(String),
    #[error("{field} {value:?} is not a time like 2026-12-05 22:50:30")]
    BadTime { field: &'static str, value: String },
    #[error("{field} {value:?} is not a number of seconds")]
    BadNumber { field: &'static str, value: String },
    #[error("absurd duration: {0}")]
    AbsurdDuration(String),
    #[error("no uniqueid (cdr_csv needs loguniqueid = yes)")]
    NoUniqueId,
    #[error("{0}")]
    Malformed(String),
}

/// One checked CDR. Times are instants; Asterisk wrote them in its local time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cdr {
    pub account_code: String,
    pub source: String,
    pub destination: String,
    pub destination_context: String,
    pub caller_id: String,
    pub channel: String,
    pub destination_channel: String,
    pub last_application: String,
    pub last_data: String,
    pub start: DateTime<Utc>,
    pub answer: Option<DateTime<Utc>>,
    pub end: DateTime<Utc>,
    pub duration_secs: i64,
    pub billable_secs: i64,
    pub disposition: Disposition,
    pub ama_flags: String,
    pub unique_id: String,
    pub user_field: String,
    pub peer_account: String,
    /// Present when `cdr_manager`'s mappings or `cdr_csv`'s `newcdrcolumns` carry it.
    pub linked_id: Option<String>,
    pub sequence: Option<i64>,
}

/// The text fields of a record before checking, whichever source they came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawCdr<'a> {
    pub account_code: &'a str,
    pub source: &'a str,
    pub destination: &'a str,
    pub destination_context: &'a str,
    pub caller_id: &'a str,
    pub channel: &'a str,
    pub destination_channel: &'a str,
    pub last_application: &'a str,
    pub last_data: &'a str,
    pub start: &'a str,
    pub answer: &'a str,
    pub end: &'a str,
    pub duration: &'a str,
    pub billable: &'a str,
    pub disposition: &'a str,
    pub ama_flags: &'a str,
    pub unique_id: &'a str,
    pub user_field: &'a str,
    pub peer_account: &'a str,
    pub linked_id: Option<&'a str>,
    pub sequence: Option<&'a str>,
}

fn time(field: &'static str, value: &str, zone: &Zone) -> Result<DateTime<Utc>, CdrProblem> {
    let bad = || CdrProblem::BadTime {
        field,
        value: value.to_owned(),
    };
    let naive =
        NaiveDateTime::parse_from_str(value.trim(), "%Y-%m-%d %H:%M:%S").map_err(|_| bad())?;
    // In the hour a clock goes back, the earlier reading is as good a guess as the later.
    zone.from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(bad)
}

fn seconds(field: &'static str, value: &str) -> Result<i64, CdrProblem> {
    value.trim().parse().map_err(|_| CdrProblem::BadNumber {
        field,
        value: value.to_owned(),
    })
}

impl RawCdr<'_> {
    /// Checks the fields; `zone` is the time zone Asterisk wrote the times in.
    pub fn check(&self, zone: &Zone) -> Result<Cdr, CdrProblem> {
        let disposition = Disposition::parse(self.disposition)
            .ok_or_else(|| CdrProblem::UnknownDisposition(self.disposition.to_owned()))?;
        if self.unique_id.trim().is_empty() {
            return Err(CdrProblem::NoUniqueId);
        }
        let start = time("start", self.start, zone)?;
        let end = time("end", self.end, zone)?;
        let answer = match self.answer.trim() {
            "" => None,
            a => Some(time("answer", a, zone)?),
        };
        let duration_secs = seconds("duration", self.duration)?;
        let billable_secs = seconds("billsec", self.billable)?;
        let absurd = |why: String| Err(CdrProblem::AbsurdDuration(why));
        if duration_secs < 0 || billable_secs < 0 {
            return absurd(format!(
                "duration {duration_secs} s, billsec {billable_secs} s"
            ));
        }
        if duration_secs > MAX_DURATION_SECS {
            return absurd(format!("{duration_secs} s is more than a week"));
        }
        if billable_secs > duration_secs {
            return absurd(format!(
                "billsec {billable_secs} s is longer than duration {duration_secs} s"
            ));
        }
        if end < start || answer.is_some_and(|a| a < start || a > end) {
            return absurd("the times are out of order (start, answer, end)".into());
        }
        let sequence = match self.sequence.map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => Some(seconds("sequence", s)?),
        };
        Ok(Cdr {
            account_code: self.account_code.to_owned(),
            source: self.source.to_owned(),
            destination: self.destination.to_owned(),
            destination_context: self.destination_context.to_owned(),
            caller_id: self.caller_id.to_owned(),
            channel: self.channel.to_owned(),
            destination_channel: self.destination_channel.to_owned(),
            last_application: self.last_application.to_owned(),
            last_data: self.last_data.to_owned(),
            start,
            answer,
            end,
            duration_secs,
            billable_secs,
            disposition,
            ama_flags: self.ama_flags.to_owned(),
            unique_id: self.unique_id.trim().to_owned(),
            user_field: self.user_field.to_owned(),
            peer_account: self.peer_account.to_owned(),
            linked_id: self
                .linked_id
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned),
            sequence,
        })
    }
}

impl Cdr {
    /// Checks a manager `Cdr` event.
    pub fn from_event(e: &CdrEvent, zone: &Zone) -> Result<Cdr, CdrProblem> {
        RawCdr {
            account_code: &e.account_code,
            source: &e.source,
            destination: &e.destination,
            destination_context: &e.destination_context,
            caller_id: &e.caller_id,
            channel: &e.channel,
            destination_channel: &e.destination_channel,
            last_application: &e.last_application,
            last_data: &e.last_data,
            start: &e.start_time,
            answer: &e.answer_time,
            end: &e.end_time,
            duration: &e.duration,
            billable: &e.billable_seconds,
            disposition: &e.disposition,
            ama_flags: &e.ama_flags,
            unique_id: &e.unique_id,
            user_field: &e.user_field,
            peer_account: "",
            linked_id: e.linked_id.as_deref(),
            sequence: e.sequence.as_deref(),
        }
        .check(zone)
    }

    /// The key that makes a record stored once however it arrived. Built only from what both
    /// `cdr_manager` and `cdr_csv` always send: `linkedid` and `sequence` exist only when
    /// configured, and a key that used them would make two rows of one record that arrived
    /// once with them and once without. One channel's uniqueid can own several records (a
    /// Dial that failed, then the rest of the dialplan: the recording has `BUSY` and
    /// `NO ANSWER` under one uniqueid and one start second), so the fields that tell those
    /// forks apart are part of the key.
    pub fn dedup_key(&self) -> String {
        let answer = self.answer.map(|a| a.timestamp()).unwrap_or(0);
        format!(
            "{}|{}|{}|{}|{}|{}|{}|{}",
            self.unique_id,
            self.start.timestamp(),
            answer,
            self.end.timestamp(),
            self.disposition.as_str(),
            self.destination_channel,
            self.last_application,
            self.last_data,
        )
    }

    /// The call this record belongs to: its linkedid, or its own uniqueid when Asterisk was
    /// not configured to send one.
    pub fn call_id(&self) -> &str {
        self.linked_id.as_deref().unwrap_or(&self.unique_id)
    }

    /// The recording this record names: the user field, by the dialplan's convention of
    /// `Set(CDR(userfield)=rec:<file>)` before `MixMonitor(<file>)`.
    pub fn recording(&self) -> Option<&str> {
        self.user_field
            .strip_prefix("rec:")
            .map(str::trim)
            .filter(|f| !f.is_empty())
    }
}

/// The extension or endpoint a channel name belongs to: `PJSIP/1001-0000002a` → `1001`,
/// `Local/2001@phones-000000cd;2` → `2001`; `None` for an empty name.
pub fn channel_extension(channel: &str) -> Option<&str> {
    let (_, rest) = channel.split_once('/')?;
    let end = if channel.starts_with("Local/") {
        rest.find('@').unwrap_or(rest.len())
    } else {
        // Asterisk appends `-<8 hex digits>` to a channel's endpoint name.
        rest.rfind('-').unwrap_or(rest.len())
    };
    Some(&rest[..end]).filter(|e| !e.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw() -> RawCdr<'static> {
        RawCdr {
            source: "1001",
            destination: "2001",
            channel: "PJSIP/1001-00000001",
            start: "2026-12-05 22:50:30",
            answer: "2026-12-05 22:50:32",
            end: "2026-12-05 22:50:35",
            duration: "5",
            billable: "3",
            disposition: "ANSWERED",
            unique_id: "1796511030.409",
            ..RawCdr::default()
        }
    }

    #[test]
    fn times_are_read_in_the_zone_asterisk_wrote_them_in() {
        let zone = Zone::parse("Europe/Berlin").expect("zone");
        let cdr = raw().check(&zone).expect("valid");
        assert_eq!(cdr.start.to_rfc3339(), "2026-12-05T21:50:30+00:00");
    }

    #[test]
    fn an_empty_answer_time_means_never_answered() {
        let cdr = RawCdr {
            answer: "",
            billable: "0",
            disposition: "NO ANSWER",
            ..raw()
        }
        .check(&Zone::utc())
        .expect("valid");
        assert_eq!(cdr.answer, None);
    }

    #[test]
    fn an_unknown_disposition_is_refused_by_name() {
        let e = RawCdr {
            disposition: "MAYBE",
            ..raw()
        }
        .check(&Zone::utc())
        .expect_err("refused");
        assert_eq!(e.to_string(), "unknown disposition \"MAYBE\"");
    }

    #[test]
    fn a_duration_over_a_week_is_absurd() {
        let e = RawCdr {
            duration: "99999999",
            ..raw()
        }
        .check(&Zone::utc())
        .expect_err("refused");
        assert!(matches!(e, CdrProblem::AbsurdDuration(_)), "{e}");
    }

    #[test]
    fn a_negative_duration_is_absurd() {
        let e = RawCdr {
            duration: "-4",
            ..raw()
        }
        .check(&Zone::utc())
        .expect_err("refused");
        assert!(matches!(e, CdrProblem::AbsurdDuration(_)), "{e}");
    }

    #[test]
    fn billable_seconds_longer_than_the_call_are_absurd() {
        let e = RawCdr {
            billable: "9",
            ..raw()
        }
        .check(&Zone::utc())
        .expect_err("refused");
        assert!(matches!(e, CdrProblem::AbsurdDuration(_)), "{e}");
    }

    #[test]
    fn a_garbled_time_is_refused_naming_the_field() {
        let e = RawCdr {
            end: "yesterday",
            ..raw()
        }
        .check(&Zone::utc())
        .expect_err("refused");
        assert_eq!(
            e,
            CdrProblem::BadTime {
                field: "end",
                value: "yesterday".into()
            }
        );
    }

    #[test]
    fn two_forks_of_one_channel_in_one_second_have_different_keys() {
        let busy = RawCdr {
            answer: "",
            billable: "0",
            disposition: "BUSY",
            destination_channel: "Local/2002@phones-000000cf;1",
            last_application: "Dial",
            ..raw()
        };
        let after = RawCdr {
            disposition: "NO ANSWER",
            destination_channel: "",
            last_application: "Hangup",
            ..busy.clone()
        };
        let zone = Zone::utc();
        let (a, b) = (busy.check(&zone), after.check(&zone));
        assert_ne!(a.expect("valid").dedup_key(), b.expect("valid").dedup_key());
    }

    #[test]
    fn the_key_ignores_linkedid_and_sequence_that_only_one_source_carries() {
        let zone = Zone::utc();
        let plain = raw().check(&zone).expect("valid");
        let mapped = RawCdr {
            linked_id: Some("1796511030.408"),
            sequence: Some("12"),
            ..raw()
        }
        .check(&zone)
        .expect("valid");
        assert_eq!(plain.dedup_key(), mapped.dedup_key());
    }

    #[test]
    fn the_call_is_the_linkedid_or_else_the_uniqueid() {
        let zone = Zone::utc();
        let plain = raw().check(&zone).expect("valid");
        assert_eq!(plain.call_id(), "1796511030.409");
        let linked = Cdr {
            linked_id: Some("1796511030.408".into()),
            ..plain
        };
        assert_eq!(linked.call_id(), "1796511030.408");
    }

    #[test]
    fn the_recording_is_named_by_the_user_field_convention() {
        let zone = Zone::utc();
        let mut cdr = raw().check(&zone).expect("valid");
        cdr.user_field = "rec:2026/12/05/1796511030.409.wav".into();
        assert_eq!(cdr.recording(), Some("2026/12/05/1796511030.409.wav"));
        cdr.user_field = "cost-centre-7".into();
        assert_eq!(cdr.recording(), None);
    }

    #[test]
    fn channel_names_give_their_extension() {
        assert_eq!(channel_extension("PJSIP/1001-0000002a"), Some("1001"));
        assert_eq!(
            channel_extension("Local/2001@phones-000000cd;2"),
            Some("2001")
        );
        assert_eq!(
            channel_extension("PJSIP/my-trunk-0000002b"),
            Some("my-trunk")
        );
        assert_eq!(channel_extension(""), None);
    }
}
