//! Turns submitted page forms (url-encoded name/value pairs, in document order) into the
//! portal's model types, with one message per field that cannot be read. Pure: no I/O.

use chrono::{NaiveDate, NaiveTime, Weekday};

use crate::backend::FieldError;
use crate::model::{
    Access, CallerIdChoice, FollowMe, FollowMeStep, Menu, MenuAccess, NewUser, PasswordChoice,
    UserUpdate, WakeupCalls, WakeupSchedule, WakeupSpec,
};
use crate::model::{CallHandlingSettings, ForwardSetting, TimeRuleSetting};

pub type Pairs = Vec<(String, String)>;

fn value<'a>(pairs: &'a Pairs, name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_default()
}

fn values<'a>(pairs: &'a Pairs, name: &str) -> impl Iterator<Item = &'a str> {
    pairs
        .iter()
        .filter(move |(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// A checkbox is on when present with any value.
fn checked(pairs: &Pairs, name: &str) -> bool {
    pairs.iter().any(|(k, _)| k == name)
}

fn seconds(raw: &str, field: &str, errors: &mut Vec<FieldError>) -> u32 {
    match raw.trim().parse::<u32>() {
        Ok(n) => n,
        Err(_) => {
            errors.push(FieldError::new(field, "enter a whole number of seconds"));
            0
        }
    }
}

/// Splits "0171 555, 0301234" into numbers; spaces inside a number are dropped, a leading 0
/// is kept.
pub fn split_numbers(raw: &str) -> Vec<String> {
    raw.split([',', ';', '\n'])
        .map(|n| n.chars().filter(|c| !c.is_whitespace()).collect::<String>())
        .filter(|n| !n.is_empty())
        .collect()
}

/// A wakeup's members: the ticked boxes of the member picker and the text box, all named
/// `members`.
pub fn members(pairs: &Pairs) -> Vec<String> {
    values(pairs, "members").flat_map(split_numbers).collect()
}

/// Fields: `enabled`, `initial_ring_secs`, `confirm`, `moh`, `caller_id`, and per step row
/// `step_numbers` + `step_ring_secs` (rows with no numbers are dropped).
pub fn followme(pairs: &Pairs) -> Result<FollowMe, (FollowMe, Vec<FieldError>)> {
    let mut errors = Vec::new();
    let initial_ring_secs = seconds(
        value(pairs, "initial_ring_secs"),
        "initial_ring_secs",
        &mut errors,
    );
    let caller_id = match value(pairs, "caller_id") {
        "extension" => CallerIdChoice::Extension,
        "caller" | "" => CallerIdChoice::Caller,
        _ => {
            errors.push(FieldError::new(
                "caller_id",
                "choose one of the offered caller IDs",
            ));
            CallerIdChoice::Caller
        }
    };
    let mut steps = Vec::new();
    for (numbers, ring) in values(pairs, "step_numbers").zip(values(pairs, "step_ring_secs")) {
        let numbers = split_numbers(numbers);
        if numbers.is_empty() {
            continue;
        }
        let field = format!("steps[{}].ring_secs", steps.len());
        let ring_secs = seconds(ring, &field, &mut errors);
        steps.push(FollowMeStep { numbers, ring_secs });
    }
    let followme = FollowMe {
        enabled: checked(pairs, "enabled"),
        initial_ring_secs,
        steps,
        confirm: checked(pairs, "confirm"),
        moh: value(pairs, "moh").trim().to_owned(),
        caller_id,
    };
    if errors.is_empty() {
        Ok(followme)
    } else {
        Err((followme, errors))
    }
}

pub fn weekday_key(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "mon",
        Weekday::Tue => "tue",
        Weekday::Wed => "wed",
        Weekday::Thu => "thu",
        Weekday::Fri => "fri",
        Weekday::Sat => "sat",
        Weekday::Sun => "sun",
    }
}

pub const WEEK: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

/// Fields: `name`, `prompt`, `schedule` (`once`/`weekly`), `date`, `time`, `days` (repeated
/// `mon`…`sun`), `time_zone`, `members`, `enabled`, and the call settings `ring_secs`,
/// `retries`, `retry_interval_mins`, `snooze_mins` (empty: unchanged, or the default).
pub fn wakeup(pairs: &Pairs) -> Result<WakeupSpec, Vec<FieldError>> {
    let mut errors = Vec::new();
    let time = NaiveTime::parse_from_str(value(pairs, "time").trim(), "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(value(pairs, "time").trim(), "%H:%M:%S"));
    let time = time.unwrap_or_else(|_| {
        errors.push(FieldError::new("time", "enter a time as HH:MM"));
        NaiveTime::MIN
    });
    let schedule = match value(pairs, "schedule") {
        "weekly" => {
            let days: Vec<Weekday> = WEEK
                .into_iter()
                .filter(|d| values(pairs, "days").any(|v| v == weekday_key(*d)))
                .collect();
            if days.is_empty() {
                errors.push(FieldError::new("days", "pick at least one day"));
            }
            WakeupSchedule::Weekly { days, time }
        }
        "once" => {
            let date = NaiveDate::parse_from_str(value(pairs, "date").trim(), "%Y-%m-%d")
                .unwrap_or_else(|_| {
                    errors.push(FieldError::new("date", "enter a date as YYYY-MM-DD"));
                    NaiveDate::MIN
                });
            WakeupSchedule::Once { date, time }
        }
        _ => {
            errors.push(FieldError::new("schedule", "choose once or weekly"));
            WakeupSchedule::Weekly {
                days: Vec::new(),
                time,
            }
        }
    };
    let mut number = |field: &str| match value(pairs, field).trim() {
        "" => None,
        text => text.parse::<u32>().map(Some).unwrap_or_else(|_| {
            errors.push(FieldError::new(field, "enter a whole number"));
            None
        }),
    };
    let calls = WakeupCalls {
        ring_secs: number("ring_secs"),
        retries: number("retries"),
        retry_interval_mins: number("retry_interval_mins"),
        snooze_mins: number("snooze_mins"),
    };
    let spec = WakeupSpec {
        name: value(pairs, "name").trim().to_owned(),
        prompt: value(pairs, "prompt").trim().to_owned(),
        schedule,
        time_zone: value(pairs, "time_zone").trim().to_owned(),
        members: members(pairs),
        enabled: checked(pairs, "enabled"),
        calls,
    };
    if errors.is_empty() {
        Ok(spec)
    } else {
        Err(errors)
    }
}

/// Fields `access_<menu>` with `no` / `read` / `write`; a missing or unknown value is an error.
pub fn menu_access(pairs: &Pairs) -> Result<MenuAccess, Vec<FieldError>> {
    let mut access = MenuAccess::all(Access::No);
    let mut errors = Vec::new();
    for menu in Menu::ALL {
        let field = format!("access_{}", menu.key());
        match Access::parse(value(pairs, &field)) {
            Some(a) => access.set(menu, a),
            None => errors.push(FieldError::new(field, "choose no, read or write")),
        }
    }
    if errors.is_empty() {
        Ok(access)
    } else {
        Err(errors)
    }
}

/// Fields: `name`, `email`, `is_admin`, `portal_enabled`, `disabled`, `wakeup_others`,
/// `must_change_password`, `walkthrough`, `time_zone` (left out: unchanged) and the access
/// fields.
pub fn user_update(pairs: &Pairs) -> Result<UserUpdate, Vec<FieldError>> {
    Ok(UserUpdate {
        name: value(pairs, "name").trim().to_owned(),
        email: value(pairs, "email").trim().to_owned(),
        is_admin: checked(pairs, "is_admin"),
        portal_enabled: checked(pairs, "portal_enabled"),
        disabled: checked(pairs, "disabled"),
        access: menu_access(pairs)?,
        wakeup_others: Some(checked(pairs, "wakeup_others")),
        time_zone: pairs
            .iter()
            .any(|(k, _)| k == "time_zone")
            .then(|| value(pairs, "time_zone").trim().to_owned()),
        must_change_password: Some(checked(pairs, "must_change_password")),
        walkthrough: Some(checked(pairs, "walkthrough")),
    })
}

/// Fields: `extension`, `name`, `email`, `password` (empty = generate), `is_admin`,
/// `portal_enabled`, `time_zone` (empty = the server's default).
pub fn new_user(pairs: &Pairs) -> NewUser {
    let password = value(pairs, "password");
    NewUser {
        extension: value(pairs, "extension").trim().to_owned(),
        name: value(pairs, "name").trim().to_owned(),
        email: value(pairs, "email").trim().to_owned(),
        password: if password.is_empty() {
            PasswordChoice::Generate
        } else {
            PasswordChoice::Set(password.to_owned())
        },
        is_admin: checked(pairs, "is_admin"),
        portal_enabled: checked(pairs, "portal_enabled"),
        time_zone: value(pairs, "time_zone").trim().to_owned(),
    }
}

/// The form names of the three forwards, as the API names them.
pub const FORWARDS: [&str; 3] = ["forward_always", "forward_busy", "forward_no_answer"];

fn time_rule(pairs: &Pairs, prefix: &str) -> Option<TimeRuleSetting> {
    let window = value(pairs, &format!("{prefix}_schedule")).trim();
    (!window.is_empty()).then(|| TimeRuleSetting {
        window: window.to_owned(),
        outside: checked(pairs, &format!("{prefix}_outside")),
    })
}

/// Fields: `dnd`, `dnd_allow` (numbers separated by commas), `dnd_schedule`, `dnd_outside`;
/// per forward `<name>_enabled`, `<name>_number`, `<name>_schedule`, `<name>_outside`;
/// `ring_secs` (empty = the default) and `time_zone`. The settings as read, with one message
/// per field that could not be read (none: the settings can be saved).
pub fn call_handling(pairs: &Pairs) -> (CallHandlingSettings, Vec<FieldError>) {
    let mut errors = Vec::new();
    let ring_raw = value(pairs, "ring_secs").trim();
    let ring_secs = if ring_raw.is_empty() {
        None
    } else {
        Some(seconds(ring_raw, "ring_secs", &mut errors))
    };
    let forward = |name: &str| ForwardSetting {
        enabled: checked(pairs, &format!("{name}_enabled")),
        number: value(pairs, &format!("{name}_number"))
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect(),
        schedule: time_rule(pairs, name),
    };
    let settings = CallHandlingSettings {
        dnd: checked(pairs, "dnd"),
        dnd_allow: split_numbers(value(pairs, "dnd_allow")),
        dnd_schedule: time_rule(pairs, "dnd"),
        forward_always: forward(FORWARDS[0]),
        forward_busy: forward(FORWARDS[1]),
        forward_no_answer: forward(FORWARDS[2]),
        ring_secs,
        time_zone: value(pairs, "time_zone").trim().to_owned(),
    };
    (settings, errors)
}

pub fn field<'a>(pairs: &'a Pairs, name: &str) -> &'a str {
    value(pairs, name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Pairs {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn numbers_keep_their_leading_zero_and_lose_inner_spaces() {
        assert_eq!(split_numbers("0171 555 12, 030"), vec!["017155512", "030"]);
    }

    #[test]
    fn followme_reads_steps_in_order_and_drops_blank_rows() {
        let form = pairs(&[
            ("enabled", "on"),
            ("initial_ring_secs", "10"),
            ("step_numbers", "0171"),
            ("step_ring_secs", "20"),
            ("step_numbers", ""),
            ("step_ring_secs", "20"),
            ("step_numbers", "0302, 0303"),
            ("step_ring_secs", "25"),
            ("caller_id", "extension"),
        ]);
        let fm = followme(&form).expect("valid form");
        assert!(fm.enabled && !fm.confirm);
        assert_eq!(fm.steps.len(), 2);
        assert_eq!(fm.steps[1].numbers, vec!["0302", "0303"]);
        assert_eq!(fm.caller_id, CallerIdChoice::Extension);
    }

    #[test]
    fn followme_names_the_field_whose_seconds_are_not_a_number() {
        let form = pairs(&[
            ("initial_ring_secs", "ten"),
            ("step_numbers", "0171"),
            ("step_ring_secs", "x"),
        ]);
        let (_, errors) = followme(&form).expect_err("invalid form");
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["initial_ring_secs", "steps[0].ring_secs"]);
    }

    #[test]
    fn weekly_wakeup_needs_at_least_one_day() {
        let form = pairs(&[("schedule", "weekly"), ("time", "06:30")]);
        let errors = wakeup(&form).expect_err("no day");
        assert_eq!(errors[0].field, "days");
    }

    #[test]
    fn once_wakeup_reads_date_and_time() {
        let form = pairs(&[
            ("name", "Flight"),
            ("schedule", "once"),
            ("date", "2026-12-01"),
            ("time", "05:15"),
            ("members", "201"),
            ("enabled", "on"),
        ]);
        let spec = wakeup(&form).expect("valid");
        let date = NaiveDate::from_ymd_opt(2026, 12, 1).expect("date");
        let time = NaiveTime::from_hms_opt(5, 15, 0).expect("time");
        assert_eq!(spec.schedule, WakeupSchedule::Once { date, time });
        assert_eq!(spec.members, vec!["201"]);
    }

    #[test]
    fn menu_access_rejects_unknown_levels() {
        let mut form: Pairs = Menu::ALL
            .iter()
            .map(|m| (format!("access_{}", m.key()), "read".to_owned()))
            .collect();
        assert_eq!(menu_access(&form), Ok(MenuAccess::all(Access::Read)));
        form[0].1 = "admin".into();
        assert_eq!(
            menu_access(&form).expect_err("bad")[0].field,
            "access_profile"
        );
    }
}
