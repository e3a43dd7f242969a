//! Parsing ids and names taken from URL paths. Anything that does not parse is answered like a
//! missing object (404).

use crate::error::PortalError;
use crate::model::{FaxFormat, GreetingSlot};

pub fn parse_slot(raw: &str) -> Result<GreetingSlot, PortalError> {
    GreetingSlot::parse(raw).ok_or(PortalError::NotFound)
}

/// Wakeup, fax job and received fax ids.
pub fn parse_id(raw: &str) -> Result<i64, PortalError> {
    raw.parse().map_err(|_| PortalError::NotFound)
}

/// Ids that are text (voicemail msg_ids, call linkedids such as `1796511030.408`): letters,
/// digits, `-`, `_` and `.` only, so one can never reach a path or a header as anything else.
pub fn parse_text_id(raw: &str) -> Result<&str, PortalError> {
    let ok = !raw.is_empty()
        && raw.len() <= 64
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(raw)
    } else {
        Err(PortalError::NotFound)
    }
}

pub fn parse_fax_format(raw: &str) -> Result<FaxFormat, PortalError> {
    FaxFormat::parse(raw).ok_or(PortalError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_with_path_or_header_characters_are_not_found() {
        for bad in ["", "../x", "a b", "1\r\n2", &"9".repeat(65)] {
            assert!(
                matches!(parse_text_id(bad), Err(PortalError::NotFound)),
                "{bad:?}"
            );
        }
        assert_eq!(
            parse_text_id("1796510422-00000000").ok(),
            Some("1796510422-00000000")
        );
    }
}
