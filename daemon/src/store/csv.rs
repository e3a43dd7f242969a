//! A small RFC 4180 CSV reader: comma-separated fields, optional double quotes (with `""` for
//! a quote inside), LF or CRLF line ends. Enough for user import files written by spreadsheets;
//! not a general CSV library (no other separators, no streaming).

/// One record and the line it starts on (1-based), for error reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvRecord {
    pub line: usize,
    pub fields: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsvError {
    #[error("line {line}: quoted field is never closed")]
    UnclosedQuote { line: usize },
    #[error("line {line}: unexpected character {found:?} after a closing quote")]
    AfterQuote { line: usize, found: char },
}

/// Splits `text` into records. Blank lines are skipped; a leading byte-order mark is ignored.
pub fn parse_csv(text: &str) -> Result<Vec<CsvRecord>, CsvError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut fields: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut line = 1;
    let mut record_line = 1;
    let mut chars = text.chars().peekable();
    // Whether the current record has any content yet (so blank lines yield nothing).
    let mut started = false;

    while let Some(c) = chars.next() {
        match c {
            '"' if field.trim().is_empty() => {
                field.clear();
                started = true;
                let open_line = line;
                loop {
                    match chars.next() {
                        None => return Err(CsvError::UnclosedQuote { line: open_line }),
                        Some('"') if chars.peek() == Some(&'"') => {
                            chars.next();
                            field.push('"');
                        }
                        Some('"') => break,
                        Some(ch) => {
                            if ch == '\n' {
                                line += 1;
                            }
                            field.push(ch);
                        }
                    }
                }
                // Only blanks may follow the closing quote before the separator.
                while let Some(&next) = chars.peek() {
                    match next {
                        ',' | '\n' => break,
                        '\r' | ' ' | '\t' => {
                            chars.next();
                        }
                        other => return Err(CsvError::AfterQuote { line, found: other }),
                    }
                }
            }
            ',' => {
                started = true;
                fields.push(std::mem::take(&mut field));
            }
            '\n' => {
                if started || !field.trim().is_empty() {
                    fields.push(std::mem::take(&mut field));
                    records.push(CsvRecord {
                        line: record_line,
                        fields: std::mem::take(&mut fields),
                    });
                }
                field.clear();
                started = false;
                line += 1;
                record_line = line;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            other => {
                // A line of blanks alone is still a blank line.
                started |= !other.is_whitespace();
                field.push(other);
            }
        }
    }
    if started || !field.trim().is_empty() {
        fields.push(field);
        records.push(CsvRecord {
            line: record_line,
            fields,
        });
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(text: &str) -> Vec<Vec<String>> {
        parse_csv(text)
            .expect("valid csv")
            .into_iter()
            .map(|r| r.fields)
            .collect()
    }

    #[test]
    fn plain_fields_split_on_commas_and_lines() {
        assert_eq!(fields("a,b\nc,d\n"), vec![vec!["a", "b"], vec!["c", "d"]]);
    }

    #[test]
    fn quoted_field_keeps_commas_and_doubled_quotes() {
        assert_eq!(
            fields("1001,\"Example, \"\"Al\"\" Alice\",x\n"),
            vec![vec!["1001", "Example, \"Al\" Alice", "x"]]
        );
    }

    #[test]
    fn crlf_line_ends_and_missing_final_newline_are_accepted() {
        assert_eq!(fields("a,b\r\nc,d"), vec![vec!["a", "b"], vec!["c", "d"]]);
    }

    #[test]
    fn blank_lines_are_skipped_but_line_numbers_stay_true() {
        let records = parse_csv("a\n\n  \nb\n").expect("valid");
        assert_eq!(records.len(), 2);
        assert_eq!(records[1].line, 4);
    }

    #[test]
    fn empty_fields_are_kept() {
        assert_eq!(fields("1001,,\n"), vec![vec!["1001", "", ""]]);
    }

    #[test]
    fn unclosed_quote_names_its_line() {
        assert_eq!(
            parse_csv("a\n\"open,b\nc\n"),
            Err(CsvError::UnclosedQuote { line: 2 })
        );
    }

    #[test]
    fn text_after_closing_quote_is_an_error() {
        assert!(matches!(
            parse_csv("\"a\"b,c\n"),
            Err(CsvError::AfterQuote {
                line: 1,
                found: 'b'
            })
        ));
    }

    #[test]
    fn byte_order_mark_is_ignored() {
        assert_eq!(fields("\u{feff}a,b\n"), vec![vec!["a", "b"]]);
    }
}
