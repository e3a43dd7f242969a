//! HTTP range requests (RFC 9110 §14) for streamed audio: parsing a `Range` header against a
//! known length, and the `206` / `416` answers. One range per request: a multi-range
//! request is answered with the whole file, which RFC 9110 allows and players never need.

use std::ops::Range;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// What to send for a request with (or without) a `Range` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wanted {
    /// No usable range: the whole file with 200.
    Whole,
    /// One satisfiable range with 206.
    Part(Range<u64>),
    /// The range lies beyond the end: 416.
    Unsatisfiable,
}

/// Reads `bytes=a-b`, `bytes=a-` or `bytes=-n` against a file of `len` bytes.
pub fn parse(header: Option<&str>, len: u64) -> Wanted {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return Wanted::Whole;
    };
    if spec.contains(',') {
        return Wanted::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Wanted::Whole;
    };
    let (first, last) = (first.trim(), last.trim());
    let number = |s: &str| {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u64>().ok())
            .flatten()
    };
    if first.is_empty() {
        return match number(last) {
            None => Wanted::Whole,
            Some(suffix) if suffix > 0 && len > 0 => Wanted::Part(len.saturating_sub(suffix)..len),
            Some(_) => Wanted::Unsatisfiable,
        };
    }
    let Some(start) = number(first) else {
        return Wanted::Whole;
    };
    let end = if last.is_empty() {
        len
    } else {
        match number(last) {
            Some(e) => e.saturating_add(1).min(len),
            None => return Wanted::Whole,
        }
    };
    if start >= len {
        return Wanted::Unsatisfiable;
    }
    if end <= start {
        return Wanted::Whole;
    }
    Wanted::Part(start..end)
}

/// The response headers and status for `wanted`; `body` streams the chosen bytes.
pub fn respond(wanted: &Wanted, len: u64, content_type: &'static str, body: Body) -> Response {
    let mut response = match wanted {
        Wanted::Unsatisfiable => {
            let mut r = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return r;
        }
        Wanted::Whole => {
            let mut r = (StatusCode::OK, body).into_response();
            r.headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
            r
        }
        Wanted::Part(range) => {
            let mut r = (StatusCode::PARTIAL_CONTENT, body).into_response();
            let h = r.headers_mut();
            h.insert(
                header::CONTENT_LENGTH,
                HeaderValue::from(range.end - range.start),
            );
            if let Ok(v) =
                HeaderValue::from_str(&format!("bytes {}-{}/{len}", range.start, range.end - 1))
            {
                h.insert(header::CONTENT_RANGE, v);
            }
            r
        }
    };
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_header_means_the_whole_file() {
        assert_eq!(parse(None, 100), Wanted::Whole);
    }

    #[test]
    fn a_closed_range_includes_its_last_byte() {
        assert_eq!(parse(Some("bytes=0-9"), 100), Wanted::Part(0..10));
    }

    #[test]
    fn an_open_range_runs_to_the_end() {
        assert_eq!(parse(Some("bytes=90-"), 100), Wanted::Part(90..100));
    }

    #[test]
    fn a_suffix_range_takes_the_last_bytes() {
        assert_eq!(parse(Some("bytes=-10"), 100), Wanted::Part(90..100));
        assert_eq!(parse(Some("bytes=-500"), 100), Wanted::Part(0..100));
    }

    #[test]
    fn an_end_past_the_file_is_clamped() {
        assert_eq!(parse(Some("bytes=50-5000"), 100), Wanted::Part(50..100));
    }

    #[test]
    fn a_start_past_the_file_is_unsatisfiable() {
        assert_eq!(parse(Some("bytes=100-"), 100), Wanted::Unsatisfiable);
    }

    #[test]
    fn nonsense_and_multiple_ranges_get_the_whole_file() {
        for h in [
            "bytes=a-b",
            "items=0-1",
            "bytes=5-1",
            "bytes=0-1,5-6",
            "bytes=--1",
            "bytes=1",
        ] {
            assert_eq!(parse(Some(h), 100), Wanted::Whole, "{h}");
        }
    }

    #[test]
    fn a_huge_number_does_not_overflow() {
        assert_eq!(
            parse(Some("bytes=0-18446744073709551615"), 100),
            Wanted::Part(0..100)
        );
        assert_eq!(
            parse(Some("bytes=0-99999999999999999999999"), 100),
            Wanted::Whole
        );
    }
}
