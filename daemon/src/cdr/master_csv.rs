//! `cdr_csv`'s `Master.csv`, read as Asterisk 22 writes it with `loguniqueid = yes` and
//! `loguserfield = yes` (and, when set, `newcdrcolumns = yes`): one record per line,
//! strings in double quotes with `"` doubled, numbers and empty times bare, columns
//!
//! `accountcode, src, dst, dcontext, clid, channel, dstchannel, lastapp, lastdata, start,
//! answer, end, duration, billsec, disposition, amaflags, uniqueid, userfield`
//! `[, peeraccount, linkedid, sequence]`.
//!
//! Only complete lines are read: Asterisk appends with `fputs`, so the last line of a file
//! being written may be cut short, and it is left for the next read rather than half-read.
//! Columns after the known ones are ignored. Not here: opening the file or remembering how
//! far it was read (see `crate::calls::catch_up`).

use super::record::{Cdr, CdrProblem, RawCdr};
use crate::schedule::zone::Zone;

/// Columns with `loguniqueid` and `loguserfield`.
pub const BASE_COLUMNS: usize = 18;
/// Columns with `newcdrcolumns` as well.
pub const NEW_COLUMNS: usize = 21;
/// A line longer than this is not a CDR (Asterisk builds each record in 1 KiB).
pub const MAX_LINE: usize = 64 * 1024;

/// One line's outcome, with the byte offset where the line starts, to name it in logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub offset: u64,
    pub result: Result<Cdr, CdrProblem>,
}

/// What one read of a buffer gave.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Parsed {
    pub lines: Vec<Line>,
    /// Bytes of `buf` taken (complete lines only); the next read starts here.
    pub consumed: usize,
}

/// Splits one line into fields; `None` when its quotes do not balance.
pub fn split_fields(line: &str) -> Option<Vec<String>> {
    let mut fields = Vec::with_capacity(NEW_COLUMNS);
    let mut chars = line.chars().peekable();
    loop {
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    None => return None,
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                }
            }
            match chars.next() {
                None => {
                    fields.push(field);
                    return Some(fields);
                }
                Some(',') => fields.push(field),
                Some(_) => return None,
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        fields.push(field);
                        return Some(fields);
                    }
                    Some(',') => break,
                    Some('"') => return None,
                    Some(c) => field.push(c),
                }
            }
            fields.push(field);
        }
    }
}

/// Reads one line (without its line end).
pub fn parse_line(line: &str, zone: &Zone) -> Result<Cdr, CdrProblem> {
    let fields =
        split_fields(line).ok_or_else(|| CdrProblem::Malformed("unbalanced quotes".into()))?;
    if fields.len() < BASE_COLUMNS {
        return Err(CdrProblem::Malformed(format!(
            "{} columns, expected at least {BASE_COLUMNS} (loguniqueid and loguserfield on)",
            fields.len()
        )));
    }
    let f = |i: usize| fields[i].as_str();
    let new = fields.len() >= NEW_COLUMNS;
    RawCdr {
        account_code: f(0),
        source: f(1),
        destination: f(2),
        destination_context: f(3),
        caller_id: f(4),
        channel: f(5),
        destination_channel: f(6),
        last_application: f(7),
        last_data: f(8),
        start: f(9),
        answer: f(10),
        end: f(11),
        duration: f(12),
        billable: f(13),
        disposition: f(14),
        ama_flags: f(15),
        unique_id: f(16),
        user_field: f(17),
        peer_account: if new { f(18) } else { "" },
        linked_id: new.then(|| f(19)),
        sequence: new.then(|| f(20)),
    }
    .check(zone)
}

/// Reads the complete lines of `buf`, which starts at byte `base` of the file.
pub fn parse(buf: &[u8], base: u64, zone: &Zone) -> Parsed {
    let mut parsed = Parsed::default();
    let mut start = 0;
    while let Some(len) = buf[start..].iter().position(|&b| b == b'\n') {
        let raw = &buf[start..start + len];
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let offset = base + start as u64;
        start += len + 1;
        if raw.is_empty() {
            continue;
        }
        let result = if raw.len() > MAX_LINE {
            Err(CdrProblem::Malformed(format!(
                "line of {} bytes",
                raw.len()
            )))
        } else {
            parse_line(&String::from_utf8_lossy(raw), zone)
        };
        parsed.lines.push(Line { offset, result });
    }
    if start == 0 && buf.len() > MAX_LINE {
        // No line end in sight: not a record being written, but garbage. Skip it whole.
        parsed.lines.push(Line {
            offset: base,
            result: Err(CdrProblem::Malformed(format!(
                "more than {MAX_LINE} bytes without a line end"
            ))),
        });
        start = buf.len();
    }
    parsed.consumed = start;
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cdr::Disposition;

    const ANSWERED: &str = r#""","1001","2001","internal-call","""Alice"" <1001>","Local/2001@internal-call-000000cc;2","Local/2001@phones-000000cd;1","Dial","Local/2001@phones,20","2026-12-05 22:50:30","2026-12-05 22:50:32","2026-12-05 22:50:35",5,3,"ANSWERED","DOCUMENTATION","1796511030.409","""#;

    fn one(line: &str) -> Result<Cdr, CdrProblem> {
        parse_line(line, &Zone::utc())
    }

    #[test]
    fn a_line_as_cdr_csv_writes_it_is_read_in_its_column_order() {
        let cdr = one(ANSWERED).expect("valid");
        assert_eq!(cdr.source, "1001");
        assert_eq!(cdr.destination, "2001");
        assert_eq!(cdr.caller_id, "\"Alice\" <1001>");
        assert_eq!(cdr.destination_channel, "Local/2001@phones-000000cd;1");
        assert_eq!((cdr.duration_secs, cdr.billable_secs), (5, 3));
        assert_eq!(cdr.disposition, Disposition::Answered);
        assert_eq!(cdr.unique_id, "1796511030.409");
        assert_eq!(cdr.linked_id, None);
    }

    #[test]
    fn a_comma_inside_quotes_stays_in_its_field() {
        let cdr = one(ANSWERED).expect("valid");
        assert_eq!(cdr.last_data, "Local/2001@phones,20");
    }

    #[test]
    fn newcdrcolumns_give_linkedid_and_sequence() {
        let line = format!(r#"{ANSWERED},"","1796511030.408",42"#);
        let cdr = one(&line).expect("valid");
        assert_eq!(cdr.linked_id.as_deref(), Some("1796511030.408"));
        assert_eq!(cdr.sequence, Some(42));
    }

    #[test]
    fn unknown_extra_columns_are_ignored() {
        let line = format!(r#"{ANSWERED},"","1796511030.408",42,"x","y""#);
        let cdr = one(&line).expect("valid");
        assert_eq!(cdr.linked_id.as_deref(), Some("1796511030.408"));
    }

    #[test]
    fn a_line_with_too_few_columns_is_malformed() {
        let e = one(r#""","1001","2001""#).expect_err("refused");
        assert!(e.to_string().contains("3 columns"), "{e}");
    }

    #[test]
    fn unbalanced_quotes_are_malformed() {
        let e = one(r#""","1001,"2001""#).expect_err("refused");
        assert_eq!(e, CdrProblem::Malformed("unbalanced quotes".into()));
    }

    #[test]
    fn a_truncated_last_line_is_left_for_the_next_read() {
        let text = format!("{ANSWERED}\n{}", &ANSWERED[..60]);
        let parsed = parse(text.as_bytes(), 100, &Zone::utc());
        assert_eq!(parsed.lines.len(), 1);
        assert_eq!(parsed.consumed, ANSWERED.len() + 1);
        assert_eq!(parsed.lines[0].offset, 100);
    }

    #[test]
    fn a_bad_line_is_reported_with_its_offset_and_the_next_is_read() {
        let text = format!("garbage\n{ANSWERED}\n");
        let parsed = parse(text.as_bytes(), 0, &Zone::utc());
        assert_eq!(parsed.lines.len(), 2);
        assert!(parsed.lines[0].result.is_err());
        assert_eq!(parsed.lines[1].offset, 8);
        assert!(parsed.lines[1].result.is_ok());
        assert_eq!(parsed.consumed, text.len());
    }

    #[test]
    fn crlf_line_ends_are_read_too() {
        let text = format!("{ANSWERED}\r\n");
        let parsed = parse(text.as_bytes(), 0, &Zone::utc());
        assert!(parsed.lines[0].result.is_ok(), "{:?}", parsed.lines[0]);
    }

    #[test]
    fn an_endless_line_is_skipped_whole() {
        let text = vec![b'x'; MAX_LINE + 10];
        let parsed = parse(&text, 0, &Zone::utc());
        assert_eq!(parsed.consumed, text.len());
        assert!(parsed.lines[0].result.is_err());
    }
}
