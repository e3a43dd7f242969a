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

pub fn parse_fax_format(raw: &str) -> Result<FaxFormat, PortalError> {
    FaxFormat::parse(raw).ok_or(PortalError::NotFound)
}
