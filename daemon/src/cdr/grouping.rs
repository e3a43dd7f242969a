//! Calls, not CDR rows: Asterisk writes one record per channel that ran dialplan (and more
//! when a Dial fails and the dialplan goes on), so one call through a Local channel pair is
//! three or four records sharing a `linkedid`. This turns the records of one call into what
//! a user reads: who called whom, when, how long, how it ended, which leg answered, and how
//! each party on it saw it (incoming, outgoing, internal).
//!
//! Not here: finding a call's records (the store groups them by `linkedid`).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use super::filter::{Direction, Status};
use super::record::{Cdr, Disposition, channel_extension};

/// One party of a call: an extension or number seen on either side, with its view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Party {
    pub extension: String,
    pub direction: Direction,
}

/// One call, made of its records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallSummary {
    pub call_id: String,
    pub started: DateTime<Utc>,
    pub ended: DateTime<Utc>,
    /// The calling number (the first record's source).
    pub caller: String,
    /// The calling name from the caller id, when it has one.
    pub caller_name: String,
    /// The number dialled.
    pub callee: String,
    pub status: Status,
    /// The channel that answered (through Local channel pairs), empty if none did.
    pub answered_by: String,
    /// Seconds talked on the answering leg.
    pub talk_secs: i64,
    /// Seconds from the first record's start to the last one's end.
    pub duration_secs: i64,
    pub recording: Option<String>,
    /// Both ends are users' extensions.
    pub internal: bool,
    pub parties: Vec<Party>,
    pub cdr_count: usize,
}

/// Uniqueids are `<epoch>.<counter>`: compare them as numbers, so `.1000` comes after `.999`.
fn uniqueid_order(id: &str) -> (u64, u64) {
    let (a, b) = id.split_once('.').unwrap_or((id, "0"));
    (a.parse().unwrap_or(u64::MAX), b.parse().unwrap_or(u64::MAX))
}

/// The order records happened in: start, then sequence, then uniqueid.
pub fn order(rows: &mut [Cdr]) {
    rows.sort_by(|a, b| {
        (
            a.start,
            a.sequence.unwrap_or(i64::MAX),
            uniqueid_order(&a.unique_id),
        )
            .cmp(&(
                b.start,
                b.sequence.unwrap_or(i64::MAX),
                uniqueid_order(&b.unique_id),
            ))
    });
}

fn status_of(d: Disposition) -> Status {
    match d {
        Disposition::Answered => Status::Answered,
        Disposition::Busy => Status::Busy,
        Disposition::NoAnswer => Status::Missed,
        Disposition::Failed | Disposition::Congestion => Status::Failed,
    }
}

/// The name in a caller id like `"Alice" <1001>`.
pub fn caller_name(clid: &str) -> &str {
    match clid.find('<') {
        Some(i) => clid[..i].trim().trim_matches('"').trim(),
        None => "",
    }
}

fn is_dial(row: &Cdr) -> bool {
    !row.destination_channel.is_empty()
}

/// The Local channel half that runs the dialplan for `;1`: `Local/x@ctx-0001;1` → `…;2`.
fn other_half(channel: &str) -> Option<String> {
    channel
        .strip_suffix(";1")
        .filter(|_| channel.starts_with("Local/"))
        .map(|base| format!("{base};2"))
}

/// Follows an answered Dial through Local channel pairs to the leg that really answered.
fn answering_leg(rows: &[Cdr], first: &Cdr) -> String {
    let mut leg = first.destination_channel.clone();
    for _ in 0..rows.len() {
        let Some(half) = other_half(&leg) else { break };
        let answered = rows
            .iter()
            .filter(|r| r.channel == half && r.disposition == Disposition::Answered);
        let mut next = None;
        let mut seen = false;
        for r in answered {
            seen = true;
            if is_dial(r) {
                next = Some(r.destination_channel.clone());
                break;
            }
        }
        match next {
            Some(n) => leg = n,
            None if seen => {
                // The Local half answered by itself (an application, not a Dial).
                leg = half;
                break;
            }
            None => break,
        }
    }
    leg
}

/// Summarizes the records of one call. `is_user` tells which numbers are users'
/// extensions (for "internal"). `None` for no records.
pub fn summarize(rows: &[Cdr], is_user: &dyn Fn(&str) -> bool) -> Option<CallSummary> {
    let mut rows = rows.to_vec();
    order(&mut rows);
    let first = rows.first()?;
    let call_id = first.call_id().to_owned();
    let started = first.start;
    let ended = rows.iter().map(|r| r.end).max().unwrap_or(first.end);
    // The first record with a caller number says who called. A Local channel's name carries
    // the number it dials, not its caller's: the `;1` half an originate leaves first has an
    // empty source and a name such as `Local/2005@…;1`, where 2005 is the one called.
    let caller = rows
        .iter()
        .map(|r| r.source.as_str())
        .find(|s| !s.is_empty())
        .map(str::to_owned)
        .or_else(|| {
            rows.iter()
                .filter(|r| !r.channel.starts_with("Local/"))
                .find_map(|r| channel_extension(&r.channel))
                .map(str::to_owned)
        })
        .unwrap_or_default();
    let callee = rows
        .iter()
        .map(|r| r.destination.as_str())
        .find(|d| !d.is_empty() && *d != "s")
        .unwrap_or_default()
        .to_owned();
    let dials: Vec<&Cdr> = rows.iter().filter(|r| is_dial(r)).collect();
    let deciding: Vec<&Cdr> = if dials.is_empty() {
        rows.iter().collect()
    } else {
        dials
    };
    let best = deciding
        .iter()
        .map(|r| r.disposition)
        .max()
        .unwrap_or(Disposition::Failed);
    let answered_row = deciding
        .iter()
        .find(|r| r.disposition == Disposition::Answered)
        .copied();
    let (answered_by, talk_secs) = match answered_row {
        Some(r) if is_dial(r) => (answering_leg(&rows, r), r.billable_secs),
        Some(r) => (r.channel.clone(), r.billable_secs),
        None => (String::new(), 0),
    };
    let internal = !caller.is_empty() && is_user(&caller) && !callee.is_empty() && is_user(&callee);
    let caller_channel_ext = channel_extension(&first.channel)
        .filter(|_| !first.channel.starts_with("Local/"))
        .map(str::to_owned);
    let mut seen = BTreeSet::new();
    for r in &rows {
        for candidate in [
            Some(r.source.as_str()),
            Some(r.destination.as_str()),
            channel_extension(&r.channel),
            channel_extension(&r.destination_channel),
        ]
        .into_iter()
        .flatten()
        {
            if !candidate.is_empty() && candidate != "s" {
                seen.insert(candidate.to_owned());
            }
        }
    }
    let parties = seen
        .into_iter()
        .map(|extension| {
            let direction = if internal {
                Direction::Internal
            } else if extension == caller || Some(&extension) == caller_channel_ext.as_ref() {
                Direction::Outgoing
            } else {
                Direction::Incoming
            };
            Party {
                extension,
                direction,
            }
        })
        .collect();
    Some(CallSummary {
        call_id,
        started,
        ended,
        caller_name: caller_name(&first.caller_id).to_owned(),
        caller,
        callee,
        status: status_of(best),
        answered_by,
        talk_secs,
        duration_secs: (ended - started).num_seconds().max(0),
        recording: rows.iter().find_map(|r| r.recording()).map(str::to_owned),
        internal,
        parties,
        cdr_count: rows.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cdr::record::RawCdr;
    use crate::schedule::zone::Zone;

    /// A record as in the recorded session (`tests/ami-sessions/cdr-events.txt`).
    #[allow(clippy::too_many_arguments)]
    fn row(
        dst: &str,
        channel: &str,
        dstchannel: &str,
        app: &str,
        answered: bool,
        disposition: &str,
        uniqueid: &str,
        linkedid: &str,
    ) -> Cdr {
        RawCdr {
            source: "1001",
            destination: dst,
            caller_id: "\"Alice\" <1001>",
            channel,
            destination_channel: dstchannel,
            last_application: app,
            start: "2026-12-05 22:50:30",
            answer: if answered { "2026-12-05 22:50:32" } else { "" },
            end: "2026-12-05 22:50:35",
            duration: "5",
            billable: if answered { "3" } else { "0" },
            disposition,
            unique_id: uniqueid,
            linked_id: Some(linkedid),
            ..RawCdr::default()
        }
        .check(&Zone::utc())
        .expect("valid row")
    }

    fn users(n: &str) -> bool {
        n.starts_with('1') || n.starts_with('2')
    }

    fn nobody(_: &str) -> bool {
        false
    }

    fn local_pair_answered() -> Vec<Cdr> {
        let l = "1796511030.408";
        vec![
            row(
                "2001",
                "Local/2001@phones-000000cd;2",
                "",
                "Wait",
                true,
                "ANSWERED",
                "1796511030.411",
                l,
            ),
            row(
                "2001",
                "Local/2001@internal-call-000000cc;2",
                "Local/2001@phones-000000cd;1",
                "Dial",
                true,
                "ANSWERED",
                "1796511030.409",
                l,
            ),
            row(
                "s",
                "Local/2001@internal-call-000000cc;1",
                "",
                "Wait",
                true,
                "ANSWERED",
                "1796511030.408",
                l,
            ),
        ]
    }

    fn local_pair_busy() -> Vec<Cdr> {
        let l = "1796511036.412";
        vec![
            row(
                "2002",
                "Local/2002@internal-call-000000ce;2",
                "Local/2002@phones-000000cf;1",
                "Dial",
                false,
                "BUSY",
                "1796511036.413",
                l,
            ),
            row(
                "2002",
                "Local/2002@internal-call-000000ce;2",
                "",
                "Hangup",
                false,
                "NO ANSWER",
                "1796511036.413",
                l,
            ),
            row(
                "2002",
                "Local/2002@internal-call-000000ce;1",
                "",
                "AppDial2",
                false,
                "NO ANSWER",
                "1796511036.412",
                l,
            ),
            row(
                "2002",
                "Local/2002@phones-000000cf;2",
                "",
                "Busy",
                false,
                "BUSY",
                "1796511036.415",
                l,
            ),
        ]
    }

    #[test]
    fn the_caller_of_an_originated_call_is_the_first_source_not_the_local_channels_number() {
        let mut rows = local_pair_answered();
        // The `;1` half an originate leaves has no caller number of its own.
        rows[2].source.clear();
        let call = summarize(&rows, &users).expect("a call");
        assert_eq!(call.caller, "1001");
        assert_eq!(call.callee, "2001");
    }

    #[test]
    fn the_three_records_of_a_local_pair_make_one_answered_call_from_1001_to_2001() {
        let call = summarize(&local_pair_answered(), &users).expect("a call");
        assert_eq!(
            (call.caller.as_str(), call.callee.as_str()),
            ("1001", "2001")
        );
        assert_eq!(call.caller_name, "Alice");
        assert_eq!(call.status, Status::Answered);
        assert_eq!(call.talk_secs, 3);
        assert_eq!(call.cdr_count, 3);
    }

    #[test]
    fn the_answering_leg_is_followed_through_the_local_pair() {
        let call = summarize(&local_pair_answered(), &users).expect("a call");
        assert_eq!(call.answered_by, "Local/2001@phones-000000cd;2");
    }

    #[test]
    fn four_records_of_a_busy_local_pair_make_one_busy_call() {
        let call = summarize(&local_pair_busy(), &users).expect("a call");
        assert_eq!(call.status, Status::Busy);
        assert_eq!(call.cdr_count, 4);
        assert_eq!(call.answered_by, "");
        assert_eq!(call.call_id, "1796511036.412");
    }

    #[test]
    fn a_call_between_two_users_is_internal_for_both() {
        let call = summarize(&local_pair_answered(), &users).expect("a call");
        let view: Vec<(&str, Direction)> = call
            .parties
            .iter()
            .map(|p| (p.extension.as_str(), p.direction))
            .collect();
        assert_eq!(
            view,
            vec![("1001", Direction::Internal), ("2001", Direction::Internal)]
        );
    }

    #[test]
    fn an_outside_call_is_outgoing_for_the_caller_and_incoming_for_the_callee() {
        let call = summarize(&local_pair_answered(), &nobody).expect("a call");
        let of = |ext: &str| {
            call.parties
                .iter()
                .find(|p| p.extension == ext)
                .map(|p| p.direction)
        };
        assert_eq!(of("1001"), Some(Direction::Outgoing));
        assert_eq!(of("2001"), Some(Direction::Incoming));
    }

    #[test]
    fn an_incoming_call_from_a_trunk_is_incoming_for_the_extension() {
        let rows = vec![
            RawCdr {
                source: "5551234",
                destination: "1001",
                channel: "PJSIP/trunk-00000001",
                destination_channel: "PJSIP/1001-00000002",
                last_application: "Dial",
                start: "2026-12-05 10:00:00",
                answer: "",
                end: "2026-12-05 10:00:20",
                duration: "20",
                billable: "0",
                disposition: "NO ANSWER",
                unique_id: "1.1",
                ..RawCdr::default()
            }
            .check(&Zone::utc())
            .expect("valid"),
        ];
        let call = summarize(&rows, &|n: &str| n == "1001").expect("a call");
        let of = |ext: &str| {
            call.parties
                .iter()
                .find(|p| p.extension == ext)
                .map(|p| p.direction)
        };
        assert_eq!(call.status, Status::Missed);
        assert_eq!(of("1001"), Some(Direction::Incoming));
        assert_eq!(of("trunk"), Some(Direction::Outgoing));
    }

    #[test]
    fn a_forwarded_call_belongs_to_the_dialled_and_the_answering_extension() {
        let rows = vec![
            RawCdr {
                source: "5551234",
                destination: "2001",
                channel: "PJSIP/trunk-00000001",
                destination_channel: "PJSIP/2002-00000003",
                last_application: "Dial",
                start: "2026-12-05 10:00:00",
                answer: "2026-12-05 10:00:05",
                end: "2026-12-05 10:00:20",
                duration: "20",
                billable: "15",
                disposition: "ANSWERED",
                unique_id: "1.1",
                ..RawCdr::default()
            }
            .check(&Zone::utc())
            .expect("valid"),
        ];
        let call = summarize(&rows, &nobody).expect("a call");
        let exts: Vec<&str> = call.parties.iter().map(|p| p.extension.as_str()).collect();
        assert!(exts.contains(&"2001") && exts.contains(&"2002"), "{exts:?}");
        assert_eq!(call.answered_by, "PJSIP/2002-00000003");
    }

    #[test]
    fn the_dialplan_placeholder_s_is_no_party() {
        let call = summarize(&local_pair_answered(), &users).expect("a call");
        assert!(call.parties.iter().all(|p| p.extension != "s"));
    }

    #[test]
    fn no_records_make_no_call() {
        assert_eq!(summarize(&[], &users), None);
    }

    #[test]
    fn uniqueid_counters_compare_as_numbers() {
        assert!(uniqueid_order("1.999") < uniqueid_order("1.1000"));
    }
}
