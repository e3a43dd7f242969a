//! Weekly time windows such as `mon-fri,08:00-18:00`, read on the wall clock of an IANA zone:
//! "is this instant inside the window?". Used by call handling's time rules.
//!
//! Pure: no clock, no I/O. The instant is turned into local time first, so daylight-saving
//! changes need no special case: 08:00 is 08:00 on the local clock whatever the offset. A
//! window whose end is not after its start runs over midnight (`22:00-06:00`) and belongs to
//! the day it starts on. Not here: one-shot rules and "next time" maths (see `rule.rs`).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveTime, Timelike, Utc, Weekday};

use super::rule::WeekdaySet;
use super::zone::Zone;

/// Why a window was rejected; the message names the text and the expected form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    #[error(
        "schedule {0:?} is not valid: expected days and a time range, e.g. mon-fri,08:00-18:00"
    )]
    Syntax(String),
    #[error("schedule {text:?}: unknown day {day:?} (use mon, tue, wed, thu, fri, sat, sun)")]
    Day { text: String, day: String },
    #[error("schedule {text:?}: invalid time {time:?} (use HH:MM, 24-hour clock)")]
    Time { text: String, time: String },
    #[error("schedule {0:?}: the time range is empty (start and end are equal)")]
    Empty(String),
}

/// Days of the week plus a local time range, `start` inclusive, `end` exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeeklyWindow {
    pub days: WeekdaySet,
    pub start: NaiveTime,
    pub end: NaiveTime,
}

fn parse_day(text: &str, day: &str) -> Result<Weekday, WindowError> {
    day.trim().parse().map_err(|_| WindowError::Day {
        text: text.to_owned(),
        day: day.trim().to_owned(),
    })
}

fn parse_hm(text: &str, time: &str) -> Result<NaiveTime, WindowError> {
    let t = time.trim();
    // "24:00" is the natural way to write "until midnight".
    if t == "24:00" {
        return Ok(NaiveTime::MIN);
    }
    NaiveTime::parse_from_str(t, "%H:%M").map_err(|_| WindowError::Time {
        text: text.to_owned(),
        time: t.to_owned(),
    })
}

impl FromStr for WeeklyWindow {
    type Err = WindowError;

    /// `DAYS,HH:MM-HH:MM`, where DAYS is a comma list of days and day ranges (`mon-fri`,
    /// `sat,sun`, `fri-mon`).
    fn from_str(text: &str) -> Result<Self, WindowError> {
        let syntax = || WindowError::Syntax(text.to_owned());
        let (days_part, range) = text.trim().rsplit_once(',').ok_or_else(syntax)?;
        let (start, end) = range.split_once('-').ok_or_else(syntax)?;
        let whole_day = start.trim() == "00:00" && end.trim() == "24:00";
        let start = parse_hm(text, start)?;
        let end = parse_hm(text, end)?;
        if start == end && !whole_day {
            return Err(WindowError::Empty(text.to_owned()));
        }
        let mut days = Vec::new();
        for part in days_part.split(',').map(str::trim) {
            if part.is_empty() {
                return Err(syntax());
            }
            match part.split_once('-') {
                Some((from, to)) => {
                    let from = parse_day(text, from)?;
                    let to = parse_day(text, to)?;
                    let mut d = from;
                    loop {
                        days.push(d);
                        if d == to {
                            break;
                        }
                        d = d.succ();
                    }
                }
                None => days.push(parse_day(text, part)?),
            }
        }
        Ok(Self {
            days: WeekdaySet::new(days),
            start,
            end,
        })
    }
}

impl fmt::Display for WeeklyWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let end = if self.end == NaiveTime::MIN {
            "24:00".to_owned()
        } else {
            self.end.format("%H:%M").to_string()
        };
        write!(f, "{},{}-{}", self.days, self.start.format("%H:%M"), end)
    }
}

impl WeeklyWindow {
    /// Whether `at` falls inside the window on `zone`'s wall clock.
    pub fn contains(&self, zone: &Zone, at: DateTime<Utc>) -> bool {
        let local = at.with_timezone(zone).naive_local();
        // Minutes: seconds inside the boundary minute do not matter to a person's schedule.
        let now = NaiveTime::from_hms_opt(local.hour(), local.minute(), 0).unwrap_or_default();
        let today = local.weekday();
        if self.start < self.end {
            self.days.contains(today) && now >= self.start && now < self.end
        } else {
            // Over midnight: the evening part belongs to today, the morning part to yesterday.
            (self.days.contains(today) && now >= self.start)
                || (self.days.contains(today.pred()) && now < self.end)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn berlin() -> Zone {
        Zone::parse("Europe/Berlin").expect("zone")
    }

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .expect("time")
    }

    fn office() -> WeeklyWindow {
        "mon-fri,08:00-18:00".parse().expect("window")
    }

    #[test]
    fn day_range_and_time_range_parse() {
        let w = office();
        assert!(w.days.contains(Weekday::Mon) && w.days.contains(Weekday::Fri));
        assert!(!w.days.contains(Weekday::Sat));
        assert_eq!(w.to_string(), "mon,tue,wed,thu,fri,08:00-18:00");
    }

    #[test]
    fn day_list_parses() {
        let w: WeeklyWindow = "sat,sun,10:00-12:00".parse().expect("window");
        assert_eq!(w.to_string(), "sat,sun,10:00-12:00");
    }

    #[test]
    fn range_over_the_weekend_wraps() {
        let w: WeeklyWindow = "fri-mon,10:00-12:00".parse().expect("window");
        assert_eq!(w.to_string(), "mon,fri,sat,sun,10:00-12:00");
    }

    #[test]
    fn unknown_day_is_named() {
        let err = "mon-fry,08:00-18:00"
            .parse::<WeeklyWindow>()
            .expect_err("bad day");
        assert!(err.to_string().contains("\"fry\""), "{err}");
    }

    #[test]
    fn bad_time_is_named() {
        let err = "mon,08:00-25:00"
            .parse::<WeeklyWindow>()
            .expect_err("bad time");
        assert!(err.to_string().contains("\"25:00\""), "{err}");
    }

    #[test]
    fn missing_time_range_is_a_syntax_error() {
        assert!(matches!(
            "mon-fri".parse::<WeeklyWindow>(),
            Err(WindowError::Syntax(_))
        ));
    }

    #[test]
    fn equal_start_and_end_is_rejected() {
        assert!(matches!(
            "mon,08:00-08:00".parse::<WeeklyWindow>(),
            Err(WindowError::Empty(_))
        ));
    }

    #[test]
    fn weekday_office_hours_are_inside_in_winter() {
        // Monday 2026-01-05 09:00 in Berlin is 08:00 UTC (CET, +1).
        assert!(office().contains(&berlin(), utc(2026, 1, 5, 8, 0)));
        assert!(!office().contains(&berlin(), utc(2026, 1, 5, 6, 59)));
    }

    #[test]
    fn local_wall_clock_is_used_in_summer() {
        // Monday 2026-07-06: CEST (+2). 07:30 local = 05:30 UTC: outside; 08:00 local = 06:00 UTC.
        assert!(!office().contains(&berlin(), utc(2026, 7, 6, 5, 30)));
        assert!(office().contains(&berlin(), utc(2026, 7, 6, 6, 0)));
        // 18:00 local = 16:00 UTC is the end, exclusive.
        assert!(!office().contains(&berlin(), utc(2026, 7, 6, 16, 0)));
    }

    #[test]
    fn window_follows_the_clock_change_on_the_dst_day() {
        // Sunday 2026-03-29 clocks jump 02:00 -> 03:00 in Berlin.
        let w: WeeklyWindow = "sun,03:00-04:00".parse().expect("window");
        // 01:00 UTC is 03:00 CEST: inside.
        assert!(w.contains(&berlin(), utc(2026, 3, 29, 1, 0)));
        // 00:59 UTC is 01:59 CET: outside.
        assert!(!w.contains(&berlin(), utc(2026, 3, 29, 0, 59)));
    }

    #[test]
    fn weekend_is_outside_a_weekday_window() {
        // Saturday 2026-01-10 10:00 UTC.
        assert!(!office().contains(&berlin(), utc(2026, 1, 10, 10, 0)));
    }

    #[test]
    fn overnight_window_belongs_to_the_day_it_starts() {
        let w: WeeklyWindow = "fri,22:00-06:00".parse().expect("window");
        let z = Zone::utc();
        // Friday 2026-01-09 23:00 and Saturday 05:59 are inside; Friday 05:00 is not.
        assert!(w.contains(&z, utc(2026, 1, 9, 23, 0)));
        assert!(w.contains(&z, utc(2026, 1, 10, 5, 59)));
        assert!(!w.contains(&z, utc(2026, 1, 9, 5, 0)));
    }

    #[test]
    fn whole_days_are_written_00_00_to_24_00() {
        let w: WeeklyWindow = "sat,sun,00:00-24:00".parse().expect("window");
        let z = Zone::utc();
        assert!(w.contains(&z, utc(2026, 1, 10, 0, 0)));
        assert!(w.contains(&z, utc(2026, 1, 11, 23, 59)));
        assert!(!w.contains(&z, utc(2026, 1, 12, 0, 0)));
        assert_eq!(w.to_string(), "sat,sun,00:00-24:00");
    }

    #[test]
    fn until_midnight_can_be_written_as_24_00() {
        let w: WeeklyWindow = "mon,18:00-24:00".parse().expect("window");
        let z = Zone::utc();
        assert!(w.contains(&z, utc(2026, 1, 5, 23, 59)));
        assert!(!w.contains(&z, utc(2026, 1, 6, 0, 0)));
        assert_eq!(w.to_string(), "mon,18:00-24:00");
    }
}
