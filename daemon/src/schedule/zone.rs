//! IANA time zones for wakeup schedules, as a chrono `TimeZone` so that the schedule math
//! stays in chrono types.
//!
//! Zones come from the system's time zone database (`/usr/share/zoneinfo`, or `TZDIR`),
//! which the operating system keeps current; a copy bundled into the binary answers for
//! names the system's copy lacks, or on a machine without one. Names are matched without regard to case and kept in their
//! canonical spelling (`europe/berlin` is stored as `Europe/Berlin`).
//!
//! Why not `chrono-tz`: it compiles the whole database into the binary as tables of string
//! pointers, about a megabyte that the dynamic loader has to relocate, page by page, at every
//! start of every `ringside` command, including the one-shot converters that never look at a
//! clock.

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use chrono::{FixedOffset, LocalResult, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc};

/// A named time zone.
#[derive(Clone)]
pub struct Zone {
    tz: jiff::tz::TimeZone,
}

/// A name that is not a time zone in the database.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown time zone {0:?}: expected an IANA name such as Europe/Berlin")]
pub struct UnknownZone(pub String);

impl Zone {
    pub fn utc() -> Self {
        Self {
            tz: jiff::tz::TimeZone::UTC,
        }
    }

    /// Looks an IANA name up, ignoring case and surrounding blanks.
    pub fn parse(name: &str) -> Result<Self, UnknownZone> {
        let trimmed = name.trim();
        // Only IANA names: jiff would also accept POSIX TZ strings and fixed offsets, which
        // have no name to store and no DST history.
        if trimmed.is_empty() {
            return Err(UnknownZone(name.to_owned()));
        }
        let found = jiff::tz::db()
            .get(trimmed)
            .or_else(|_| bundled().get(trimmed));
        match found {
            Ok(tz) if tz.iana_name().is_some() => Ok(Self { tz }),
            _ => Err(UnknownZone(name.to_owned())),
        }
    }

    /// The canonical IANA name, e.g. `Europe/Berlin`.
    pub fn name(&self) -> &str {
        self.tz.iana_name().unwrap_or("UTC")
    }

    fn offset_at(&self, utc: &NaiveDateTime) -> ZoneOffset {
        let ts = timestamp(utc);
        let info = self.tz.to_offset_info(ts);
        ZoneOffset {
            fixed: fixed(info.offset()),
            abbreviation: info.abbreviation().to_owned(),
            zone: self.clone(),
        }
    }

    fn offset_of(&self, offset: jiff::tz::Offset, local: &NaiveDateTime) -> ZoneOffset {
        let fixed = fixed(offset);
        // The abbreviation belongs to the instant this reading denotes.
        let utc = *local - chrono::Duration::seconds(i64::from(fixed.local_minus_utc()));
        let abbreviation = self
            .tz
            .to_offset_info(timestamp(&utc))
            .abbreviation()
            .to_owned();
        ZoneOffset {
            fixed,
            abbreviation,
            zone: self.clone(),
        }
    }
}

/// The copy of the database compiled into the binary, for names the system's copy lacks (an
/// older tzdata, or none at all).
fn bundled() -> &'static jiff::tz::TimeZoneDatabase {
    static BUNDLED: OnceLock<jiff::tz::TimeZoneDatabase> = OnceLock::new();
    BUNDLED.get_or_init(jiff::tz::TimeZoneDatabase::bundled)
}

/// jiff's range is years -9999 to 9999; chrono's is wider. Instants beyond it take the
/// offset of the range's end, which is as good a guess as any for the year 10000.
fn timestamp(utc: &NaiveDateTime) -> jiff::Timestamp {
    let secs = utc.and_utc().timestamp().clamp(
        jiff::Timestamp::MIN.as_second(),
        jiff::Timestamp::MAX.as_second(),
    );
    jiff::Timestamp::from_second(secs).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

fn civil(local: &NaiveDateTime) -> Option<jiff::civil::DateTime> {
    use chrono::{Datelike, Timelike};
    jiff::civil::DateTime::new(
        i16::try_from(local.year()).ok()?,
        local.month() as i8,
        local.day() as i8,
        local.hour() as i8,
        local.minute() as i8,
        local.second() as i8,
        0,
    )
    .ok()
}

/// Real zones stay well inside chrono's ±24 h; anything else reads as UTC rather than fail.
fn fixed(offset: jiff::tz::Offset) -> FixedOffset {
    FixedOffset::east_opt(offset.seconds()).unwrap_or_else(|| Utc.fix())
}

impl fmt::Debug for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl PartialEq for Zone {
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name()
    }
}

impl Eq for Zone {}

impl FromStr for Zone {
    type Err = UnknownZone;

    fn from_str(s: &str) -> Result<Self, UnknownZone> {
        Self::parse(s)
    }
}

/// The offset in force at one instant of a zone; shows as the zone's abbreviation (`CET`).
#[derive(Clone)]
pub struct ZoneOffset {
    fixed: FixedOffset,
    abbreviation: String,
    zone: Zone,
}

impl fmt::Debug for ZoneOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.abbreviation, self.fixed)
    }
}

impl fmt::Display for ZoneOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.abbreviation)
    }
}

impl Offset for ZoneOffset {
    fn fix(&self) -> FixedOffset {
        self.fixed
    }
}

impl TimeZone for Zone {
    type Offset = ZoneOffset;

    fn from_offset(offset: &ZoneOffset) -> Self {
        offset.zone.clone()
    }

    fn offset_from_local_date(&self, local: &NaiveDate) -> LocalResult<ZoneOffset> {
        self.offset_from_local_datetime(&local.and_time(chrono::NaiveTime::MIN))
    }

    /// `Ambiguous(first, second)` lists the earlier instant first, as chrono expects.
    fn offset_from_local_datetime(&self, local: &NaiveDateTime) -> LocalResult<ZoneOffset> {
        use jiff::tz::AmbiguousOffset;
        let Some(dt) = civil(local) else {
            // Outside jiff's years: read it with the offset at the nearest instant it knows.
            return LocalResult::Single(self.offset_at(local));
        };
        match self.tz.to_ambiguous_timestamp(dt).offset() {
            AmbiguousOffset::Unambiguous { offset } => {
                LocalResult::Single(self.offset_of(offset, local))
            }
            AmbiguousOffset::Gap { .. } => LocalResult::None,
            // Before the fold the offset is the larger one, so its reading is the earlier
            // instant.
            AmbiguousOffset::Fold { before, after } => {
                LocalResult::Ambiguous(self.offset_of(before, local), self.offset_of(after, local))
            }
        }
    }

    fn offset_from_utc_date(&self, utc: &NaiveDate) -> ZoneOffset {
        self.offset_at(&utc.and_time(chrono::NaiveTime::MIN))
    }

    fn offset_from_utc_datetime(&self, utc: &NaiveDateTime) -> ZoneOffset {
        self.offset_at(utc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    fn zone(name: &str) -> Zone {
        Zone::parse(name).expect("known zone in test")
    }

    fn local(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("valid local time in test")
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("valid RFC 3339 in test")
            .with_timezone(&Utc)
    }

    #[test]
    fn names_are_matched_without_case_and_kept_canonical() {
        assert_eq!(zone(" europe/BERLIN ").name(), "Europe/Berlin");
    }

    #[test]
    fn unknown_names_offsets_and_posix_strings_are_rejected() {
        for bad in [
            "Mars/Olympus",
            "",
            "  ",
            "+02:00",
            "EST5EDT,M3.2.0,M11.1.0",
            "../etc",
        ] {
            assert_eq!(
                Zone::parse(bad),
                Err(UnknownZone(bad.to_owned())),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn utc_is_named_utc() {
        assert_eq!(Zone::utc().name(), "UTC");
        assert_eq!(zone("utc"), Zone::utc());
    }

    #[test]
    fn an_instant_reads_with_the_offset_and_abbreviation_in_force() {
        let berlin = zone("Europe/Berlin");
        let winter = utc("2026-01-15T12:00:00Z").with_timezone(&berlin);
        let summer = utc("2026-07-15T12:00:00Z").with_timezone(&berlin);
        assert_eq!(winter.format("%H:%M %Z %z").to_string(), "13:00 CET +0100");
        assert_eq!(summer.format("%H:%M %Z %z").to_string(), "14:00 CEST +0200");
    }

    #[test]
    fn a_local_time_in_the_spring_gap_does_not_exist() {
        let berlin = zone("Europe/Berlin");
        assert!(matches!(
            berlin.from_local_datetime(&local("2026-03-29 02:30")),
            LocalResult::None
        ));
    }

    #[test]
    fn a_local_time_in_the_autumn_fold_lists_the_earlier_instant_first() {
        let berlin = zone("Europe/Berlin");
        match berlin.from_local_datetime(&local("2026-10-25 02:30")) {
            LocalResult::Ambiguous(first, second) => {
                assert_eq!(first.with_timezone(&Utc), utc("2026-10-25T00:30:00Z"));
                assert_eq!(second.with_timezone(&Utc), utc("2026-10-25T01:30:00Z"));
                assert_eq!(first.format("%Z").to_string(), "CEST");
                assert_eq!(second.format("%Z").to_string(), "CET");
            }
            other => panic!("expected a fold, got {other:?}"),
        }
    }

    #[test]
    fn years_beyond_the_database_range_do_not_panic() {
        let berlin = zone("Europe/Berlin");
        let far = NaiveDate::from_ymd_opt(200_000, 6, 1)
            .expect("chrono date")
            .and_hms_opt(6, 0, 0)
            .expect("time");
        let resolved = berlin
            .from_local_datetime(&far)
            .single()
            .expect("one reading");
        assert_eq!(resolved.naive_local(), far);
        let _ = berlin.from_utc_datetime(&far);
    }
}
