//! The filters of a call history, parsed from what a user types in the CLI, a form or a
//! query string. Each bad value is an error that names it and says what would be accepted.
//!
//! Not here: applying them (the store does, in SQL).

use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};

use crate::schedule::zone::Zone;

/// How a call ended, as users see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Answered,
    /// Nobody answered (`NO ANSWER`).
    Missed,
    Busy,
    /// `FAILED` or `CONGESTION`: the call could not be placed.
    Failed,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Answered,
        Status::Missed,
        Status::Busy,
        Status::Failed,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Status::Answered => "answered",
            Status::Missed => "missed",
            Status::Busy => "busy",
            Status::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Result<Status, FilterError> {
        let s = s.trim().to_ascii_lowercase();
        Ok(match s.as_str() {
            "answered" => Status::Answered,
            "missed" | "no-answer" | "no_answer" | "noanswer" | "no answer" => Status::Missed,
            "busy" => Status::Busy,
            "failed" | "congestion" => Status::Failed,
            _ => return Err(FilterError::Status(s)),
        })
    }
}

/// A call as one party sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    Incoming,
    Outgoing,
    /// Between two users' extensions.
    Internal,
}

impl Direction {
    pub const ALL: [Direction; 3] = [
        Direction::Incoming,
        Direction::Outgoing,
        Direction::Internal,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Direction::Incoming => "incoming",
            Direction::Outgoing => "outgoing",
            Direction::Internal => "internal",
        }
    }

    pub fn parse(s: &str) -> Result<Direction, FilterError> {
        let s = s.trim().to_ascii_lowercase();
        Direction::ALL
            .into_iter()
            .find(|d| d.key() == s)
            .ok_or(FilterError::Direction(s))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    #[error("{field} {value:?} is not a date like 2026-12-05")]
    Date { field: &'static str, value: String },
    #[error("the date range ends ({until}) before it starts ({since})")]
    Range { since: NaiveDate, until: NaiveDate },
    #[error("status {0:?} is not one of answered, missed, busy, failed")]
    Status(String),
    #[error("direction {0:?} is not one of incoming, outgoing, internal")]
    Direction(String),
    #[error(
        "number {0:?} may hold only digits, letters, spaces and + * # . - @ (at most 40 characters)"
    )]
    Number(String),
}

/// What a user asked to see. Dates are whole days in the user's time zone, both included.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallFilter {
    pub since: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
    pub status: Option<Status>,
    pub direction: Option<Direction>,
    /// Part of the other party's number or name.
    pub number: Option<String>,
}

/// Reads a date; empty means "no bound".
pub fn parse_date(field: &'static str, value: &str) -> Result<Option<NaiveDate>, FilterError> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| FilterError::Date {
            field,
            value: v.to_owned(),
        })
}

/// Reads the number filter; empty means "any number".
pub fn parse_number(value: &str) -> Result<Option<String>, FilterError> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    if ringside_portal::model::is_number_filter(v) {
        Ok(Some(v.to_owned()))
    } else {
        Err(FilterError::Number(v.to_owned()))
    }
}

/// Reads an optional status or direction; empty means "any".
pub fn parse_status(value: &str) -> Result<Option<Status>, FilterError> {
    let v = value.trim();
    if v.is_empty() {
        Ok(None)
    } else {
        Status::parse(v).map(Some)
    }
}

pub fn parse_direction(value: &str) -> Result<Option<Direction>, FilterError> {
    let v = value.trim();
    if v.is_empty() {
        Ok(None)
    } else {
        Direction::parse(v).map(Some)
    }
}

impl CallFilter {
    /// Builds a filter from text fields as typed (empty fields are no filter).
    pub fn from_text(
        since: &str,
        until: &str,
        status: &str,
        direction: &str,
        number: &str,
    ) -> Result<CallFilter, FilterError> {
        let filter = CallFilter {
            since: parse_date("since", since)?,
            until: parse_date("until", until)?,
            status: parse_status(status)?,
            direction: parse_direction(direction)?,
            number: parse_number(number)?,
        };
        if let (Some(since), Some(until)) = (filter.since, filter.until) {
            if until < since {
                return Err(FilterError::Range { since, until });
            }
        }
        Ok(filter)
    }

    /// The instants the dates stand for in `zone`: from the start of `since` to the start of
    /// the day after `until` (excluded).
    pub fn instants(&self, zone: &Zone) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
        let midnight = |d: NaiveDate| {
            d.and_hms_opt(0, 0, 0)
                .and_then(|t| zone.from_local_datetime(&t).earliest())
                .map(|t| t.with_timezone(&Utc))
        };
        let from = self.since.and_then(midnight);
        let to = self
            .until
            .and_then(|d| d.checked_add_days(Days::new(1)))
            .and_then(midnight);
        (from, to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_fields_filter_nothing() {
        let f = CallFilter::from_text("", "", "", "", "").expect("valid");
        assert_eq!(f, CallFilter::default());
    }

    #[test]
    fn a_date_that_does_not_parse_is_named() {
        let e = CallFilter::from_text("2026-13-01", "", "", "", "").expect_err("refused");
        assert_eq!(
            e.to_string(),
            "since \"2026-13-01\" is not a date like 2026-12-05"
        );
    }

    #[test]
    fn a_range_that_ends_before_it_starts_is_refused() {
        let e = CallFilter::from_text("2026-12-05", "2026-12-01", "", "", "");
        assert!(matches!(e, Err(FilterError::Range { .. })), "{e:?}");
    }

    #[test]
    fn an_unknown_status_is_refused() {
        let e = CallFilter::from_text("", "", "lost", "", "").expect_err("refused");
        assert_eq!(e, FilterError::Status("lost".into()));
    }

    #[test]
    fn no_answer_is_read_as_missed() {
        assert_eq!(Status::parse("No-Answer"), Ok(Status::Missed));
    }

    #[test]
    fn an_unknown_direction_is_refused() {
        let e = CallFilter::from_text("", "", "", "sideways", "");
        assert_eq!(e, Err(FilterError::Direction("sideways".into())));
    }

    #[test]
    fn a_number_with_wildcards_is_refused() {
        let e = CallFilter::from_text("", "", "", "", "55%");
        assert_eq!(e, Err(FilterError::Number("55%".into())));
    }

    #[test]
    fn dates_cover_whole_days_in_the_users_zone() {
        let f = CallFilter::from_text("2026-12-01", "2026-12-01", "", "", "").expect("valid");
        let zone = Zone::parse("Europe/Berlin").expect("zone");
        let (from, to) = f.instants(&zone);
        assert_eq!(
            from.map(|t| t.to_rfc3339()).as_deref(),
            Some("2026-11-30T23:00:00+00:00")
        );
        assert_eq!(
            to.map(|t| t.to_rfc3339()).as_deref(),
            Some("2026-12-01T23:00:00+00:00")
        );
    }
}
