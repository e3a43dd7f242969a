//! Parses a user-import CSV (`extension,name,email,password[,time_zone]`, where password may be
//! the word `generate` and the time zone is optional) into rows for the backend, rejecting malformed lines with a reason. Pure: no I/O.
//!
//! A first line starting with `extension` is taken as a header. Fields may be double-quoted
//! (`""` inside quotes is a quote). Blank lines are skipped.

use crate::model::{ImportRejected, ImportRow, PasswordChoice};

#[derive(Debug, Default, PartialEq, Eq)]
pub struct ParsedCsv {
    pub rows: Vec<ImportRow>,
    pub rejected: Vec<ImportRejected>,
}

pub fn parse_users_csv(text: &str) -> ParsedCsv {
    let mut parsed = ParsedCsv::default();
    for (index, line) in text.lines().enumerate() {
        let line_no = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        if index == 0
            && line
                .trim_start()
                .to_ascii_lowercase()
                .starts_with("extension")
        {
            continue;
        }
        match parse_row(line) {
            Ok(fields) => match row_from_fields(line_no, fields) {
                Ok(row) => parsed.rows.push(row),
                Err(rejected) => parsed.rejected.push(rejected),
            },
            Err(reason) => parsed.rejected.push(ImportRejected {
                line: line_no,
                extension: String::new(),
                reason,
            }),
        }
    }
    parsed
}

fn row_from_fields(line: u32, fields: Vec<String>) -> Result<ImportRow, ImportRejected> {
    let reject = |extension: &str, reason: String| ImportRejected {
        line,
        extension: extension.to_owned(),
        reason,
    };
    let mut fields = fields;
    // The fifth field, the time zone, is optional; the backend checks the name.
    let time_zone = if fields.len() == 5 {
        fields.pop().unwrap_or_default().trim().to_owned()
    } else {
        String::new()
    };
    let [extension, name, email, password]: [String; 4] =
        fields.try_into().map_err(|fields: Vec<String>| {
            reject(
                fields.first().map(String::as_str).unwrap_or_default(),
                format!(
                    "expected 4 fields (extension, name, email, password) and an optional \
                     time zone but found {}",
                    fields.len()
                ),
            )
        })?;
    let extension = extension.trim().to_owned();
    if extension.is_empty() || !extension.chars().all(|c| c.is_ascii_digit()) {
        return Err(reject(
            &extension,
            "the extension must be digits only".into(),
        ));
    }
    if name.trim().is_empty() {
        return Err(reject(&extension, "the name is empty".into()));
    }
    let password = match password.trim() {
        "" => {
            return Err(reject(
                &extension,
                "the password is empty (write \"generate\" to have one generated)".into(),
            ));
        }
        p if p.eq_ignore_ascii_case("generate") => PasswordChoice::Generate,
        _ => PasswordChoice::Set(password),
    };
    Ok(ImportRow {
        line,
        extension,
        name: name.trim().to_owned(),
        email: email.trim().to_owned(),
        password,
        time_zone,
    })
}

/// Splits one CSV line into fields.
fn parse_row(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut at_field_start = true;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (false, '"') if at_field_start => quoted = true,
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => {
                quoted = false;
                if chars.peek().is_some_and(|n| *n != ',') {
                    return Err("a quoted field is followed by text before the next comma".into());
                }
            }
            (false, ',') => {
                fields.push(std::mem::take(&mut field));
                at_field_start = true;
                continue;
            }
            (_, c) => field.push(c),
        }
        at_field_start = false;
    }
    if quoted {
        return Err("a quoted field is not closed".into());
    }
    fields.push(field);
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_line_is_skipped_and_rows_keep_their_line_numbers() {
        let parsed = parse_users_csv("extension,name,email,password\n0201,Ann,a@x.org,secret99\n");
        assert_eq!(parsed.rows.len(), 1);
        assert_eq!(parsed.rows[0].line, 2);
        assert_eq!(parsed.rows[0].extension, "0201");
        assert_eq!(
            parsed.rows[0].password,
            PasswordChoice::Set("secret99".into())
        );
    }

    #[test]
    fn generate_asks_for_a_generated_password() {
        let parsed = parse_users_csv("201,Ann,,GENERATE");
        assert_eq!(parsed.rows[0].password, PasswordChoice::Generate);
    }

    #[test]
    fn quoted_fields_may_contain_commas_and_quotes() {
        let parsed = parse_users_csv("201,\"Smith, \"\"Jo\"\"\",j@x.org,generate");
        assert_eq!(parsed.rows[0].name, "Smith, \"Jo\"");
    }

    #[test]
    fn rows_with_wrong_field_count_are_rejected_with_reason() {
        let parsed = parse_users_csv("201,Ann,a@x.org");
        assert!(parsed.rows.is_empty());
        assert_eq!(parsed.rejected[0].line, 1);
        assert!(parsed.rejected[0].reason.contains("expected 4 fields"));
    }

    #[test]
    fn optional_fifth_field_is_the_time_zone() {
        let parsed = parse_users_csv("201,Ann,,generate,Europe/Berlin\n202,Bo,,generate");
        assert_eq!(parsed.rows[0].time_zone, "Europe/Berlin");
        assert_eq!(parsed.rows[1].time_zone, "");
    }

    #[test]
    fn non_digit_extension_is_rejected() {
        let parsed = parse_users_csv("20a,Ann,,generate");
        assert!(parsed.rejected[0].reason.contains("digits"));
    }

    #[test]
    fn empty_password_is_rejected() {
        let parsed = parse_users_csv("201,Ann,,");
        assert!(parsed.rejected[0].reason.contains("password is empty"));
    }

    #[test]
    fn unclosed_quote_is_rejected() {
        let parsed = parse_users_csv("201,\"Ann,,generate");
        assert!(parsed.rejected[0].reason.contains("not closed"));
    }
}
