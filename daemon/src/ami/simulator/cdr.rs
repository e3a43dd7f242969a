//! What the simulator knows of `cdr_manager` and `cdr_csv`: the `Cdr` events of the recorded
//! session (`tests/ami-sessions/cdr-events.txt`: two calls through Local channel pairs, seven
//! events), optional `[mappings]` for `LinkedID` and `Sequence`, and the `Master.csv` line
//! `cdr_csv` writes for the same record, so tests can make both sources say one thing.

use super::super::frame::Message;

const RECORDED: &str = include_str!("../../../tests/ami-sessions/cdr-events.txt");

/// The recorded `Cdr` events, in the order Asterisk sent them, headers as on the wire.
pub fn recorded_events() -> Vec<Message> {
    let mut events = Vec::new();
    let mut current = Message::new();
    for line in RECORDED.lines() {
        let line = line.trim_end_matches("<CRLF>");
        match line
            .split_once(": ")
            .or_else(|| line.strip_suffix(':').map(|k| (k, "")))
        {
            Some((k, v)) if !k.contains(' ') => current.headers.push((k.to_owned(), v.to_owned())),
            _ => {
                if current.get("Event") == Some("Cdr") {
                    events.push(std::mem::take(&mut current));
                } else {
                    current = Message::new();
                }
            }
        }
    }
    if current.get("Event") == Some("Cdr") {
        events.push(current);
    }
    events
}

/// The recorded events with `cdr_manager.conf`'s `[mappings]` of `linkedid => LinkedID` and
/// `sequence => Sequence` applied: Asterisk appends mapped variables after `UserField`. The
/// linkedid of a call is the uniqueid of its first channel; sequences count records in the
/// order they were created (channel by channel, a channel's forks in turn).
pub fn recorded_events_with_mappings() -> Vec<Message> {
    let mut out = recorded_events();
    let counter = |m: &Message| {
        let id = m.get("UniqueID").unwrap_or_default();
        id.rsplit('.')
            .next()
            .and_then(|c| c.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let mut created: Vec<usize> = (0..out.len()).collect();
    created.sort_by_key(|&i| (counter(&out[i]), i));
    for (n, &i) in created.iter().enumerate() {
        let e = &mut out[i];
        let unique = e.get("UniqueID").unwrap_or_default().to_owned();
        let linked = if unique.starts_with("1796511030.") {
            "1796511030.408"
        } else {
            "1796511036.412"
        };
        e.headers.push(("LinkedID".into(), linked.into()));
        e.headers.push(("Sequence".into(), (200 + n).to_string()));
    }
    out
}

fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// The `Master.csv` line `cdr_csv` writes for a `Cdr` event's record, with `loguniqueid`
/// and `loguserfield` on and, when `new_columns`, `newcdrcolumns` (peeraccount, linkedid,
/// sequence). Strings are quoted, numbers bare, a missing time is an empty bare field.
pub fn master_csv_line(e: &Message, new_columns: bool) -> String {
    let g = |k: &str| e.get(k).unwrap_or_default();
    let time = |k: &str| {
        let v = g(k);
        if v.is_empty() {
            String::new()
        } else {
            quoted(v)
        }
    };
    let mut fields = vec![
        quoted(g("AccountCode")),
        quoted(g("Source")),
        quoted(g("Destination")),
        quoted(g("DestinationContext")),
        quoted(g("CallerID")),
        quoted(g("Channel")),
        quoted(g("DestinationChannel")),
        quoted(g("LastApplication")),
        quoted(g("LastData")),
        time("StartTime"),
        time("AnswerTime"),
        time("EndTime"),
        g("Duration").to_owned(),
        g("BillableSeconds").to_owned(),
        quoted(g("Disposition")),
        quoted(g("AMAFlags")),
        quoted(g("UniqueID")),
        quoted(g("UserField")),
    ];
    if new_columns {
        fields.push(quoted(""));
        fields.push(quoted(g("LinkedID")));
        fields.push(g("Sequence").to_owned());
    }
    let mut line = fields.join(",");
    line.push('\n');
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recording_holds_seven_cdr_events_for_two_calls() {
        let events = recorded_events();
        assert_eq!(events.len(), 7);
        assert_eq!(events[0].get("UniqueID"), Some("1796511030.411"));
        assert_eq!(events[3].get("Disposition"), Some("BUSY"));
        assert_eq!(events[0].get("LinkedID"), None);
    }

    #[test]
    fn an_empty_value_is_kept_empty() {
        let events = recorded_events();
        assert_eq!(events[0].get("DestinationChannel"), Some(""));
    }

    #[test]
    fn a_csv_line_quotes_strings_and_leaves_numbers_and_empty_times_bare() {
        let events = recorded_events();
        let line = master_csv_line(&events[3], false);
        assert!(
            line.starts_with("\"\",\"1001\",\"2002\",\"internal-call\",\"\"\"Alice\"\" <1001>\""),
            "{line}"
        );
        assert!(
            line.contains("\"2026-12-05 22:50:36\",,\"2026-12-05 22:50:36\",0,0,\"BUSY\""),
            "{line}"
        );
    }
}
