//! Instants shown on a user's wall clock: the portal keeps times in UTC and shows each in the
//! viewer's own IANA zone with the zone's abbreviation (`2026-12-24 06:30 CET`), and gives the
//! JSON API the same instant as RFC 3339 with that zone's offset (`localize_instants`). Pure: the zone database is
//! the one compiled in (with the system's where it has one). Not here: which zone a user has
//! (the backend says so on [`crate::model::User`]).

use chrono::{DateTime, FixedOffset, Offset, Utc};

/// The zone named `name`, when it is an IANA zone; `None` for anything else.
fn lookup(name: &str) -> Option<jiff::tz::TimeZone> {
    let name = name.trim();
    if name.is_empty() {
        return None;
    }
    jiff::tz::db()
        .get(name)
        .ok()
        .filter(|tz| tz.iana_name().is_some())
}

/// The canonical spelling of an IANA zone name (`europe/berlin` → `Europe/Berlin`), or
/// `None` when there is no such zone.
pub fn canonical(name: &str) -> Option<String> {
    lookup(name).and_then(|tz| tz.iana_name().map(str::to_owned))
}

/// `t` in `zone`: its offset and abbreviation. An empty or unknown zone reads as UTC, so a
/// time is always shown, if only in UTC.
fn in_zone(t: &DateTime<Utc>, zone: &str) -> (FixedOffset, String) {
    let utc = || (Utc.fix(), "UTC".to_owned());
    let Some(tz) = lookup(zone) else {
        return utc();
    };
    let Ok(ts) = jiff::Timestamp::from_second(t.timestamp()) else {
        return utc();
    };
    let info = tz.to_offset_info(ts);
    match FixedOffset::east_opt(info.offset().seconds()) {
        Some(offset) => (offset, info.abbreviation().to_owned()),
        None => utc(),
    }
}

/// `2026-12-24 06:30 CET`: minutes on the zone's wall clock and its abbreviation.
pub fn format_in(t: &DateTime<Utc>, zone: &str) -> String {
    let (offset, abbreviation) = in_zone(t, zone);
    format!(
        "{} {abbreviation}",
        t.with_timezone(&offset).format("%Y-%m-%d %H:%M")
    )
}

/// The same instant with the zone's offset, which serialises as RFC 3339 with that offset
/// (`2026-12-24T06:30:00+01:00`).
pub fn local(t: &DateTime<Utc>, zone: &str) -> DateTime<FixedOffset> {
    let (offset, _) = in_zone(t, zone);
    t.with_timezone(&offset)
}

/// The fields of the API's types that hold an instant (`Wakeup::next_due`,
/// `WakeupAttempt::at`, `FaxJob::created_at`, `CallEntry::started`, …).
const INSTANT_FIELDS: &[&str] = &[
    "next_due",
    "at",
    "created_at",
    "updated_at",
    "received_at",
    "started",
    "ended",
    "start",
    "answer",
    "end",
    "since",
    "expires_at",
];

/// Rewrites every instant in a JSON document (a field named in [`INSTANT_FIELDS`] holding an
/// RFC 3339 time) with `zone`'s offset: the same instant, read on the viewer's wall clock.
pub fn localize_instants(value: &mut serde_json::Value, zone: &str) {
    use serde_json::Value;
    match value {
        Value::Array(items) => items.iter_mut().for_each(|v| localize_instants(v, zone)),
        Value::Object(fields) => {
            for (key, field) in fields.iter_mut() {
                let instant = match &*field {
                    Value::String(text) if INSTANT_FIELDS.contains(&key.as_str()) => {
                        DateTime::parse_from_rfc3339(text).ok()
                    }
                    _ => None,
                };
                match instant {
                    Some(t) => {
                        *field = Value::String(local(&t.with_timezone(&Utc), zone).to_rfc3339());
                    }
                    None => localize_instants(field, zone),
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .expect("valid time")
    }

    #[test]
    fn winter_time_in_berlin_is_shown_as_cet() {
        assert_eq!(
            format_in(&at(2026, 12, 24, 5, 30), "Europe/Berlin"),
            "2026-12-24 06:30 CET"
        );
    }

    #[test]
    fn summer_time_in_berlin_is_shown_as_cest() {
        assert_eq!(
            format_in(&at(2026, 7, 1, 4, 0), "Europe/Berlin"),
            "2026-07-01 06:00 CEST"
        );
    }

    #[test]
    fn unknown_or_empty_zone_shows_utc() {
        assert_eq!(format_in(&at(2026, 1, 2, 3, 4), ""), "2026-01-02 03:04 UTC");
        assert_eq!(
            format_in(&at(2026, 1, 2, 3, 4), "Mars/Olympus"),
            "2026-01-02 03:04 UTC"
        );
    }

    #[test]
    fn local_instant_carries_the_zone_offset_in_rfc3339() {
        let t = local(&at(2026, 12, 24, 5, 30), "Europe/Berlin");
        assert_eq!(t.to_rfc3339(), "2026-12-24T06:30:00+01:00");
    }

    #[test]
    fn instants_in_a_json_document_get_the_zone_offset() {
        let mut doc = serde_json::json!([
            {"next_due": "2026-12-24T05:30:00Z", "name": "at 05:30Z", "schedule": {"time": "06:30:00"}},
            {"attempts": [{"at": "2026-07-01T04:00:00Z"}]}
        ]);
        localize_instants(&mut doc, "Europe/Berlin");
        assert_eq!(doc[0]["next_due"], "2026-12-24T06:30:00+01:00");
        assert_eq!(doc[0]["name"], "at 05:30Z");
        assert_eq!(doc[0]["schedule"]["time"], "06:30:00");
        assert_eq!(doc[1]["attempts"][0]["at"], "2026-07-01T06:00:00+02:00");
    }

    #[test]
    fn missing_instants_stay_null() {
        let mut doc = serde_json::json!({"next_due": null});
        localize_instants(&mut doc, "Europe/Berlin");
        assert_eq!(doc["next_due"], serde_json::Value::Null);
    }

    #[test]
    fn zone_names_are_matched_without_case_and_kept_canonical() {
        assert_eq!(canonical("europe/berlin").as_deref(), Some("Europe/Berlin"));
        assert_eq!(canonical("Mars/Olympus"), None);
        assert_eq!(canonical("+01:00"), None);
    }
}
