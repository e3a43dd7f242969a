//! The first part of a `multipart/form-data` body, read from the bytes received so far.
//!
//! The CSRF layer uses it to check a form's token before any handler runs, when the token is
//! sent as the first field instead of a header: it reads only as far as the end of that first
//! part, so the rest of an upload still streams to its handler. Not a multipart parser for
//! anything else (the handlers use axum's).

/// What the bytes received so far say about the first part.
#[derive(Debug, PartialEq, Eq)]
pub enum FirstPart<'a> {
    /// The first part is not complete yet.
    NeedMore,
    /// A complete first part: its field name and its content.
    Field { name: &'a str, value: &'a [u8] },
    /// Not multipart with this boundary, or a first part without a field name.
    Malformed,
}

/// The `boundary` parameter of a `multipart/form-data` content type.
pub fn boundary(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (key, value) = param.split_once('=')?;
        if !key.trim().eq_ignore_ascii_case("boundary") {
            return None;
        }
        let value = value.trim();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(value);
        // RFC 2046: 1 to 70 characters.
        (!value.is_empty() && value.len() <= 70).then(|| value.to_owned())
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Reads the first part of a body that starts with `received`.
pub fn first_part<'a>(received: &'a [u8], boundary: &str) -> FirstPart<'a> {
    let delimiter = format!("--{boundary}");
    let Some(start) = find(received, delimiter.as_bytes()) else {
        return FirstPart::NeedMore;
    };
    let after = &received[start + delimiter.len()..];
    if after.len() < 2 {
        return FirstPart::NeedMore;
    }
    let Some(rest) = after.strip_prefix(b"\r\n") else {
        return FirstPart::Malformed;
    };
    let Some(head_len) = find(rest, b"\r\n\r\n") else {
        return FirstPart::NeedMore;
    };
    let Ok(head) = std::str::from_utf8(&rest[..head_len]) else {
        return FirstPart::Malformed;
    };
    let Some(name) = field_name(head) else {
        return FirstPart::Malformed;
    };
    let content = &rest[head_len + 4..];
    let closing = format!("\r\n{delimiter}");
    match find(content, closing.as_bytes()) {
        Some(end) => FirstPart::Field {
            name,
            value: &content[..end],
        },
        None => FirstPart::NeedMore,
    }
}

/// The `name` of a part from its headers (`Content-Disposition: form-data; name="…"`).
fn field_name(head: &str) -> Option<&str> {
    head.split("\r\n").find_map(|line| {
        let (key, value) = line.split_once(':')?;
        if !key.trim().eq_ignore_ascii_case("content-disposition") {
            return None;
        }
        value.split(';').skip(1).find_map(|param| {
            let (k, v) = param.split_once('=')?;
            if k.trim() != "name" {
                return None;
            }
            let v = v.trim();
            Some(
                v.strip_prefix('"')
                    .and_then(|v| v.strip_suffix('"'))
                    .unwrap_or(v),
            )
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = b"--XyZ\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\nabc123\r\n--XyZ\r\nContent-Disposition: form-data; name=\"audio\"; filename=\"a.wav\"\r\n\r\nRIFF";

    #[test]
    fn boundary_is_read_plain_or_quoted() {
        assert_eq!(
            boundary("multipart/form-data; boundary=XyZ").as_deref(),
            Some("XyZ")
        );
        assert_eq!(
            boundary("multipart/form-data; charset=utf-8; Boundary=\"a b\"").as_deref(),
            Some("a b")
        );
        assert_eq!(boundary("multipart/form-data"), None);
    }

    #[test]
    fn complete_first_part_gives_its_name_and_value() {
        assert_eq!(
            first_part(BODY, "XyZ"),
            FirstPart::Field {
                name: "csrf_token",
                value: b"abc123"
            }
        );
    }

    #[test]
    fn first_part_cut_anywhere_needs_more() {
        let whole = BODY.iter().position(|b| *b == b'3').expect("value end") + 1;
        for cut in 0..=whole + 2 {
            assert_eq!(
                first_part(&BODY[..cut], "XyZ"),
                FirstPart::NeedMore,
                "cut {cut}"
            );
        }
    }

    #[test]
    fn part_without_a_name_is_malformed() {
        let body = b"--XyZ\r\nContent-Type: text/plain\r\n\r\nabc\r\n--XyZ--";
        assert_eq!(first_part(body, "XyZ"), FirstPart::Malformed);
    }

    #[test]
    fn delimiter_not_followed_by_a_line_break_is_malformed() {
        assert_eq!(first_part(b"--XyZ--\r\n", "XyZ"), FirstPart::Malformed);
    }
}
