//! Wakeup rules and their schedule math: a one-shot local date+time or weekly days+time, read
//! in an IANA time zone, turned into the next instant (UTC) after a given instant.
//!
//! Pure: no clock, no I/O. Daylight-saving rules: a local time that does not exist on a day
//! (clocks jump over it) fires at the first valid instant after it, which is the moment the
//! clocks jump; a local time that exists twice (clocks fall back) fires once, at its first
//! occurrence.

use std::fmt;
use std::str::FromStr;

use chrono::{
    DateTime, Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday,
};

use super::zone::Zone;

/// Why a rule, day list or time zone was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("invalid date {0:?}: expected an existing calendar date as YYYY-MM-DD")]
    Date(String),
    #[error("invalid time {0:?}: expected HH:MM (24-hour clock)")]
    Time(String),
    #[error("invalid day {0:?}: expected mon, tue, wed, thu, fri, sat or sun")]
    Day(String),
    #[error("the list of days is empty: name at least one of mon, tue, wed, thu, fri, sat, sun")]
    NoDays,
    #[error("unknown time zone {0:?}: expected an IANA name such as Europe/Berlin")]
    TimeZone(String),
    #[error("invalid rule {0:?}: expected \"once YYYY-MM-DD HH:MM\" or \"weekly mon,tue HH:MM\"")]
    Syntax(String),
}

/// A set of weekdays (bit 0 = Monday).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct WeekdaySet(u8);

impl WeekdaySet {
    pub fn new(days: impl IntoIterator<Item = Weekday>) -> Self {
        Self(
            days.into_iter()
                .fold(0, |bits, d| bits | 1 << d.num_days_from_monday()),
        )
    }

    pub fn contains(self, day: Weekday) -> bool {
        self.0 & (1 << day.num_days_from_monday()) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Weekday> {
        std::iter::successors(Some(Weekday::Mon), |d| Some(d.succ()))
            .take(7)
            .filter(move |d| self.contains(*d))
    }
}

fn day_name(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "mon",
        Weekday::Tue => "tue",
        Weekday::Wed => "wed",
        Weekday::Thu => "thu",
        Weekday::Fri => "fri",
        Weekday::Sat => "sat",
        Weekday::Sun => "sun",
    }
}

impl FromStr for WeekdaySet {
    type Err = RuleError;

    /// `mon,tue,…` (full English names and any case accepted); empty is an error.
    fn from_str(s: &str) -> Result<Self, RuleError> {
        let mut set = WeekdaySet::default();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let day: Weekday = part.parse().map_err(|_| RuleError::Day(part.to_owned()))?;
            set = WeekdaySet(set.0 | 1 << day.num_days_from_monday());
        }
        if set.is_empty() {
            return Err(RuleError::NoDays);
        }
        Ok(set)
    }
}

impl fmt::Display for WeekdaySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.iter().map(day_name).collect();
        f.write_str(&names.join(","))
    }
}

/// When a wakeup fires, in local (wall-clock) terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Once, at this local date and time.
    Once { date: NaiveDate, time: NaiveTime },
    /// Every week on these days at this local time.
    Weekly { days: WeekdaySet, time: NaiveTime },
}

/// Parses `YYYY-MM-DD`, rejecting dates that do not exist (Feb 30, Feb 29 in a common year).
pub fn parse_date(s: &str) -> Result<NaiveDate, RuleError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| RuleError::Date(s.to_owned()))
}

/// Parses `HH:MM` (seconds are not part of a wakeup time).
pub fn parse_time(s: &str) -> Result<NaiveTime, RuleError> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M").map_err(|_| RuleError::Time(s.to_owned()))
}

/// Parses an IANA zone name.
pub fn parse_tz(s: &str) -> Result<Zone, RuleError> {
    Zone::parse(s).map_err(|_| RuleError::TimeZone(s.to_owned()))
}

impl Rule {
    /// Builds a rule from user input: `--at "YYYY-MM-DD HH:MM"` alone is one-shot;
    /// `--at HH:MM` with `days` is weekly.
    pub fn from_parts(at: &str, days: Option<&str>) -> Result<Self, RuleError> {
        match days {
            Some(days) => Ok(Rule::Weekly {
                days: days.parse()?,
                time: parse_time(at)?,
            }),
            None => {
                let (date, time) = at
                    .trim()
                    .split_once(' ')
                    .ok_or_else(|| RuleError::Syntax(at.to_owned()))?;
                Ok(Rule::Once {
                    date: parse_date(date)?,
                    time: parse_time(time)?,
                })
            }
        }
    }

    pub fn time(&self) -> NaiveTime {
        match self {
            Rule::Once { time, .. } | Rule::Weekly { time, .. } => *time,
        }
    }

    pub fn is_once(&self) -> bool {
        matches!(self, Rule::Once { .. })
    }

    /// The first instant strictly after `after` at which this rule fires in `tz`, or `None`
    /// when a one-shot rule's instant is not after `after`.
    pub fn next_after(&self, tz: &Zone, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match *self {
            Rule::Once { date, time } => {
                Some(resolve_local(tz, date.and_time(time))).filter(|t| *t > after)
            }
            Rule::Weekly { days, time } => {
                if days.is_empty() {
                    return None;
                }
                // Start a day early: `after`'s local date may lag its UTC date, and a gap-shifted
                // instant of the day before can still lie after `after`.
                let start = after
                    .with_timezone(tz)
                    .date_naive()
                    .checked_sub_days(Days::new(1))?;
                // Two weeks cover any week plus a skipped calendar day (Pacific/Apia 2011).
                (0..16u64)
                    .filter_map(|i| start.checked_add_days(Days::new(i)))
                    .filter(|d| days.contains(d.weekday()))
                    .map(|d| resolve_local(tz, d.and_time(time)))
                    .find(|t| *t > after)
            }
        }
    }
}

impl fmt::Display for Rule {
    /// The stored form: `once 2026-12-01 06:30` or `weekly mon,tue 06:30`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::Once { date, time } => {
                write!(
                    f,
                    "once {} {}",
                    date.format("%Y-%m-%d"),
                    time.format("%H:%M")
                )
            }
            Rule::Weekly { days, time } => write!(f, "weekly {days} {}", time.format("%H:%M")),
        }
    }
}

impl FromStr for Rule {
    type Err = RuleError;

    fn from_str(s: &str) -> Result<Self, RuleError> {
        let mut parts = s.split_whitespace();
        let rule = match (parts.next(), parts.next(), parts.next()) {
            (Some("once"), Some(date), Some(time)) => Rule::Once {
                date: parse_date(date)?,
                time: parse_time(time)?,
            },
            (Some("weekly"), Some(days), Some(time)) => Rule::Weekly {
                days: days.parse()?,
                time: parse_time(time)?,
            },
            _ => return Err(RuleError::Syntax(s.to_owned())),
        };
        if parts.next().is_some() {
            return Err(RuleError::Syntax(s.to_owned()));
        }
        Ok(rule)
    }
}

/// The instant a local wall-clock time denotes in `tz`: the first of two when the clocks fall
/// back over it; when the clocks jump over it, the instant they jump (the first valid local
/// time after it).
pub fn resolve_local(tz: &Zone, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        chrono::LocalResult::Single(t) => t.with_timezone(&Utc),
        chrono::LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        chrono::LocalResult::None => gap_end(tz, local),
    }
}

/// The first UTC instant whose local time is at or after `local`, for a `local` inside a gap.
///
/// The jump lies between reading `local` with the offset after the gap and with the offset
/// before it; within that window local time only moves forward, so a binary search over whole
/// seconds finds the instant of the jump.
fn gap_end(tz: &Zone, local: NaiveDateTime) -> DateTime<Utc> {
    use chrono::Offset;
    let as_utc = local.and_utc();
    let offset_at = |t: DateTime<Utc>| {
        i64::from(
            tz.offset_from_utc_datetime(&t.naive_utc())
                .fix()
                .local_minus_utc(),
        )
    };
    let day = chrono::Duration::days(1);
    let before = offset_at(as_utc - day);
    let after = offset_at(as_utc + day);
    let (a, b) = (before.min(after), before.max(after));
    // Local = UTC + offset, so UTC = local - offset: the larger offset gives the earlier bound.
    let mut lo = as_utc.timestamp() - b;
    let mut hi = as_utc.timestamp() - a;
    let reaches = |secs: i64| {
        DateTime::from_timestamp(secs, 0)
            .map(|t| tz.from_utc_datetime(&t.naive_utc()).naive_local() >= local)
            .unwrap_or(true)
    };
    if !reaches(hi) {
        // Offsets a day away do not bracket this gap (two transitions close together);
        // widen to the largest offsets any zone has used.
        lo = as_utc.timestamp() - 26 * 3600;
        hi = as_utc.timestamp() + 26 * 3600;
    }
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if reaches(mid) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    DateTime::from_timestamp(hi, 0).unwrap_or(as_utc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("valid RFC 3339 in test")
            .with_timezone(&Utc)
    }

    fn tz(name: &str) -> Zone {
        parse_tz(name).expect("known zone in test")
    }

    fn rule(s: &str) -> Rule {
        s.parse().expect("valid rule in test")
    }

    #[test]
    fn one_shot_fires_at_its_local_time_in_utc() {
        let next = rule("once 2026-12-01 06:30")
            .next_after(&tz("Europe/Berlin"), utc("2026-11-23T00:00:00Z"));
        assert_eq!(next, Some(utc("2026-12-01T05:30:00Z")));
    }

    #[test]
    fn one_shot_in_the_past_never_fires() {
        let next = rule("once 2026-12-01 06:30")
            .next_after(&tz("Europe/Berlin"), utc("2026-12-01T05:30:00Z"));
        assert_eq!(next, None);
    }

    #[test]
    fn weekly_fires_on_the_next_listed_day() {
        // 2026-11-23 is a Monday; 07:00 Berlin on Monday has passed at 08:00 UTC.
        let r = rule("weekly mon,thu 07:00");
        let next = r.next_after(&tz("Europe/Berlin"), utc("2026-11-23T08:00:00Z"));
        assert_eq!(next, Some(utc("2026-11-26T06:00:00Z")));
    }

    #[test]
    fn weekly_fires_later_the_same_day_when_the_time_is_still_ahead() {
        let r = rule("weekly mon 07:00");
        let next = r.next_after(&tz("Europe/Berlin"), utc("2026-11-23T05:59:59Z"));
        assert_eq!(next, Some(utc("2026-11-23T06:00:00Z")));
    }

    #[test]
    fn weekly_recurrence_steps_one_week_at_a_time() {
        let r = rule("weekly wed 06:00");
        let zone = tz("Europe/Berlin");
        let first = r
            .next_after(&zone, utc("2026-11-23T00:00:00Z"))
            .expect("fires");
        let second = r.next_after(&zone, first).expect("fires again");
        assert_eq!(first, utc("2026-11-25T05:00:00Z"));
        assert_eq!(second - first, chrono::Duration::weeks(1));
    }

    #[test]
    fn weekly_uses_the_local_date_not_the_utc_date() {
        // Sunday 23:00 UTC is already Monday 08:00 in Tokyo: Monday's 09:00 is an hour away.
        let r = rule("weekly mon 09:00");
        let next = r.next_after(&tz("Asia/Tokyo"), utc("2026-11-22T23:00:00Z"));
        assert_eq!(next, Some(utc("2026-11-23T00:00:00Z")));
    }

    #[test]
    fn berlin_spring_forward_gap_fires_when_the_clocks_jump() {
        // 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00 UTC); 02:30 does not exist.
        let next = rule("once 2026-03-29 02:30")
            .next_after(&tz("Europe/Berlin"), utc("2026-03-01T00:00:00Z"));
        assert_eq!(next, Some(utc("2026-03-29T01:00:00Z")));
        let local = next.expect("fires").with_timezone(&tz("Europe/Berlin"));
        assert_eq!(local.format("%H:%M").to_string(), "03:00");
    }

    #[test]
    fn berlin_fall_back_ambiguous_time_fires_once_at_its_first_occurrence() {
        // 2026-10-25: 03:00 CEST falls back to 02:00 CET; 02:30 happens at 00:30 and 01:30 UTC.
        let r = rule("weekly sun 02:30");
        let zone = tz("Europe/Berlin");
        let first = r
            .next_after(&zone, utc("2026-10-24T12:00:00Z"))
            .expect("fires");
        assert_eq!(first, utc("2026-10-25T00:30:00Z"));
        let next = r.next_after(&zone, first).expect("fires again");
        assert_eq!(
            next,
            utc("2026-11-01T01:30:00Z"),
            "no second fire at 01:30 UTC the same night"
        );
    }

    #[test]
    fn new_york_spring_forward_gap_fires_at_three() {
        // 2026-03-08: 02:00 EST jumps to 03:00 EDT (07:00 UTC).
        let r = rule("weekly sun 02:15");
        let next = r.next_after(&tz("America/New_York"), utc("2026-03-07T12:00:00Z"));
        assert_eq!(next, Some(utc("2026-03-08T07:00:00Z")));
    }

    #[test]
    fn new_york_fall_back_fires_once_in_edt() {
        // 2026-11-01: 02:00 EDT falls back to 01:00 EST; 01:30 first occurs at 05:30 UTC.
        let r = rule("once 2026-11-01 01:30");
        let next = r.next_after(&tz("America/New_York"), utc("2026-10-31T00:00:00Z"));
        assert_eq!(next, Some(utc("2026-11-01T05:30:00Z")));
    }

    #[test]
    fn weekly_keeps_local_time_across_a_dst_change() {
        let r = rule("weekly sat,sun 07:00");
        let zone = tz("America/New_York");
        let before = r.next_after(&zone, utc("2026-03-07T00:00:00Z"));
        let after = r.next_after(&zone, utc("2026-03-07T13:00:00Z"));
        assert_eq!(before, Some(utc("2026-03-07T12:00:00Z")), "07:00 EST");
        assert_eq!(after, Some(utc("2026-03-08T11:00:00Z")), "07:00 EDT");
    }

    #[test]
    fn leap_day_one_shot_is_accepted_in_a_leap_year() {
        let r = Rule::from_parts("2028-02-29 06:00", None).expect("2028 is a leap year");
        assert_eq!(
            r.next_after(&tz("UTC"), utc("2028-01-01T00:00:00Z")),
            Some(utc("2028-02-29T06:00:00Z"))
        );
    }

    #[test]
    fn leap_day_in_a_common_year_is_rejected() {
        assert_eq!(
            Rule::from_parts("2027-02-29 06:00", None),
            Err(RuleError::Date("2027-02-29".into()))
        );
    }

    #[test]
    fn february_30_is_rejected_with_the_date_named() {
        let err = Rule::from_parts("2026-02-30 06:30", None).expect_err("no Feb 30");
        assert!(err.to_string().contains("2026-02-30"), "{err}");
    }

    #[test]
    fn weekly_crosses_a_leap_day() {
        // 2028-02-29 is a Tuesday.
        let r = rule("weekly tue 06:00");
        assert_eq!(
            r.next_after(&tz("UTC"), utc("2028-02-28T12:00:00Z")),
            Some(utc("2028-02-29T06:00:00Z"))
        );
    }

    #[test]
    fn zone_offset_change_moves_the_utc_instant_not_the_local_time() {
        // Moscow went from UTC+4 to UTC+3 on 2014-10-26 for good.
        let r = rule("weekly mon 07:00");
        let zone = tz("Europe/Moscow");
        assert_eq!(
            r.next_after(&zone, utc("2014-10-19T12:00:00Z")),
            Some(utc("2014-10-20T03:00:00Z"))
        );
        assert_eq!(
            r.next_after(&zone, utc("2014-10-26T12:00:00Z")),
            Some(utc("2014-10-27T04:00:00Z"))
        );
    }

    #[test]
    fn skipped_calendar_day_fires_at_the_jump() {
        // Samoa skipped 2011-12-30 entirely: 2011-12-29 24:00 became 2011-12-31 00:00 (+14).
        let r = rule("once 2011-12-30 07:00");
        assert_eq!(
            r.next_after(&tz("Pacific/Apia"), utc("2011-12-01T00:00:00Z")),
            Some(utc("2011-12-30T10:00:00Z"))
        );
    }

    #[test]
    fn changing_the_time_zone_changes_the_instant() {
        let r = rule("once 2026-12-01 06:30");
        let after = utc("2026-11-23T00:00:00Z");
        let berlin = r.next_after(&tz("Europe/Berlin"), after).expect("fires");
        let new_york = r.next_after(&tz("America/New_York"), after).expect("fires");
        assert_eq!(new_york - berlin, chrono::Duration::hours(6));
    }

    #[test]
    fn unknown_time_zone_is_rejected_by_name() {
        assert_eq!(
            parse_tz("Mars/Olympus"),
            Err(RuleError::TimeZone("Mars/Olympus".into()))
        );
    }

    #[test]
    fn empty_day_list_is_rejected() {
        assert_eq!(
            Rule::from_parts("06:30", Some(" , ")),
            Err(RuleError::NoDays)
        );
    }

    #[test]
    fn unknown_day_is_rejected_by_name() {
        assert_eq!(
            Rule::from_parts("06:30", Some("mon,funday")),
            Err(RuleError::Day("funday".into()))
        );
    }

    #[test]
    fn time_out_of_range_is_rejected() {
        assert_eq!(
            Rule::from_parts("24:30", Some("mon")),
            Err(RuleError::Time("24:30".into()))
        );
    }

    #[test]
    fn stored_form_round_trips() {
        for text in ["once 2026-12-01 06:30", "weekly mon,wed,sun 23:59"] {
            assert_eq!(rule(text).to_string(), text);
        }
    }

    #[test]
    fn day_names_are_accepted_in_any_case_and_order() {
        let days: WeekdaySet = "Sun,MON,tuesday".parse().expect("valid days");
        assert_eq!(days.to_string(), "mon,tue,sun");
    }
}
