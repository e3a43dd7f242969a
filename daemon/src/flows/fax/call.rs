//! What a fax call tells us, reduced to job events.
//!
//! The outgoing fax call is an ARI originate (with our channel id, into our Stasis app) that
//! the daemon continues into the `ringside-fax-out` dialplan once answered; that context
//! reports `SendFAX`'s outcome as `UserEvent(RingsideFax, …)` with every value URI-encoded.
//! This module turns the observable signals (answer, dial status, user event, destruction)
//! into [`Event`]s for the state machine. Pure: no ARI types, no I/O.

use super::machine::{CallFailure, Event, FaxResult};

/// The user event name the fax-out context sends.
pub const FAX_USER_EVENT: &str = "RingsideFax";

/// One thing observed about a fax call's channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallSignal {
    /// The far end answered and the channel entered our Stasis app.
    Answered,
    /// A `Dial` event's `dialstatus` (`RINGING`, `BUSY`, `NOANSWER`, `CONGESTION`, …).
    DialStatus(String),
    /// The fax-out context's report after `SendFAX`.
    FaxReport(FaxResult),
    /// The channel is gone (`ChannelDestroyed`), with its hang-up cause.
    Destroyed { cause: i64, cause_txt: String },
}

/// The job event a signal means while the call is ringing, if any.
pub fn event_while_dialing(signal: &CallSignal) -> Option<Event> {
    match signal {
        CallSignal::Answered => Some(Event::Answered),
        CallSignal::DialStatus(status) => match status.as_str() {
            "BUSY" => Some(Event::CallFailed(CallFailure::Busy)),
            "NOANSWER" => Some(Event::CallFailed(CallFailure::NoAnswer)),
            "CONGESTION" => Some(Event::CallFailed(CallFailure::Congestion)),
            "CHANUNAVAIL" => Some(Event::CallFailed(CallFailure::Unreachable(
                "the outgoing line is unavailable".into(),
            ))),
            "CANCEL" => Some(Event::CallFailed(CallFailure::Unreachable(
                "the call was cancelled".into(),
            ))),
            _ => None,
        },
        CallSignal::Destroyed { cause, cause_txt } => {
            Some(Event::CallFailed(failure_from_cause(*cause, cause_txt)))
        }
        CallSignal::FaxReport(_) => None,
    }
}

/// The job event a signal means once the fax is running, if any.
pub fn event_while_sending(signal: &CallSignal) -> Option<Event> {
    match signal {
        CallSignal::FaxReport(result) => Some(Event::FaxFinished(result.clone())),
        CallSignal::Destroyed { .. } => Some(Event::CallEnded),
        CallSignal::Answered | CallSignal::DialStatus(_) => None,
    }
}

/// Maps a Q.850 hang-up cause of an unanswered call to why it failed.
pub fn failure_from_cause(cause: i64, cause_txt: &str) -> CallFailure {
    match cause {
        17 => CallFailure::Busy,
        18 | 19 => CallFailure::NoAnswer,
        34 | 38 | 41 | 42 | 44 => CallFailure::Congestion,
        _ if cause_txt.is_empty() => CallFailure::Unreachable(format!("hang-up cause {cause}")),
        _ => CallFailure::Unreachable(format!("{cause_txt} (cause {cause})")),
    }
}

/// Why a `RingsideFax` user event could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallReportError {
    #[error("fax report has no {0:?} field")]
    Missing(&'static str),
    #[error("fax report field {field:?} is not valid: {value:?}")]
    Invalid { field: &'static str, value: String },
}

/// Reads the fields of a `RingsideFax` user event: `job`, `status`, `error`, `statusstring`,
/// `pages`, `remote`, each URI-encoded by the dialplan (`${URIENCODE(...)}`) so that commas
/// in Asterisk's words cannot split the event's arguments.
pub fn parse_fax_report(
    field: impl Fn(&str) -> Option<String>,
) -> Result<(i64, FaxResult), CallReportError> {
    let get = |name: &'static str| -> Result<String, CallReportError> {
        let raw = field(name).ok_or(CallReportError::Missing(name))?;
        uri_decode(raw.trim()).ok_or(CallReportError::Invalid {
            field: name,
            value: raw,
        })
    };
    let job_text = get("job")?;
    let job = job_text.parse().map_err(|_| CallReportError::Invalid {
        field: "job",
        value: job_text.clone(),
    })?;
    let pages_text = get("pages").unwrap_or_default();
    let pages = if pages_text.is_empty() {
        0
    } else {
        pages_text.parse().map_err(|_| CallReportError::Invalid {
            field: "pages",
            value: pages_text.clone(),
        })?
    };
    Ok((
        job,
        FaxResult {
            status: get("status")?,
            error: get("error").unwrap_or_default(),
            status_string: get("statusstring").unwrap_or_default(),
            pages,
            remote_station_id: get("remote").unwrap_or_default(),
        },
    ))
}

/// The channel variable that names, for the fax-out context, the global variable its hangup
/// handler leaves the report in.
pub const REPORT_VARIABLE_CHANNEL_VAR: &str = "RINGSIDE_FAX_REPORT_VAR";

/// The global variable that keeps the report of the call on `channel_id` until the daemon
/// has saved the outcome: the `RingsideFax` event reaches only a daemon that is listening,
/// and one restarted mid-fax finds the outcome here instead of sending the fax again.
/// Asterisk's variable names are kept to letters, digits and `_`.
pub fn report_variable(channel_id: &str) -> String {
    let key: String = channel_id
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("RINGSIDE_FAX_REPORT_{key}")
}

/// Reads a kept report: the user event's fields as `name=value` pairs joined by `&`, each
/// value URI-encoded as in the event. `None` when nothing was kept (Asterisk answers an unset
/// variable with an empty value).
pub fn parse_kept_report(text: &str) -> Result<Option<(i64, FaxResult)>, CallReportError> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    let field = |name: &str| {
        text.split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(k, _)| k.trim() == name)
            .map(|(_, v)| v.to_owned())
    };
    parse_fax_report(field).map(Some)
}

/// Decodes `%XX` escapes (Asterisk's `URIENCODE`); `None` on a broken escape or non-UTF-8.
pub fn uri_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let text = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(text, 16).ok()?);
                i += 3;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn fields(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn answer_while_dialing_is_answered() {
        assert_eq!(
            event_while_dialing(&CallSignal::Answered),
            Some(Event::Answered)
        );
    }

    #[test]
    fn busy_dial_status_is_busy() {
        assert_eq!(
            event_while_dialing(&CallSignal::DialStatus("BUSY".into())),
            Some(Event::CallFailed(CallFailure::Busy))
        );
    }

    #[test]
    fn ringing_dial_status_changes_nothing() {
        assert_eq!(
            event_while_dialing(&CallSignal::DialStatus("RINGING".into())),
            None
        );
    }

    #[test]
    fn destroyed_with_cause_19_before_answer_is_no_answer() {
        let signal = CallSignal::Destroyed {
            cause: 19,
            cause_txt: "User alerting, no answer".into(),
        };
        assert_eq!(
            event_while_dialing(&signal),
            Some(Event::CallFailed(CallFailure::NoAnswer))
        );
    }

    #[test]
    fn destroyed_with_cause_17_before_answer_is_busy() {
        assert_eq!(failure_from_cause(17, "User busy"), CallFailure::Busy);
    }

    #[test]
    fn unknown_cause_names_asterisks_words() {
        assert_eq!(
            failure_from_cause(1, "Unallocated (unassigned) number"),
            CallFailure::Unreachable("Unallocated (unassigned) number (cause 1)".into())
        );
    }

    #[test]
    fn destroyed_while_sending_ends_the_call() {
        let signal = CallSignal::Destroyed {
            cause: 16,
            cause_txt: "Normal Clearing".into(),
        };
        assert_eq!(event_while_sending(&signal), Some(Event::CallEnded));
    }

    #[test]
    fn fax_report_while_sending_finishes_the_fax() {
        let result = FaxResult {
            status: "SUCCESS".into(),
            ..FaxResult::default()
        };
        assert_eq!(
            event_while_sending(&CallSignal::FaxReport(result.clone())),
            Some(Event::FaxFinished(result))
        );
    }

    #[test]
    fn report_fields_are_uri_decoded() {
        let (job, result) = parse_fax_report(fields(&[
            ("job", "12"),
            ("status", "FAILED"),
            ("error", "HANGUP"),
            ("statusstring", "The%20call%20dropped%2C%20early"),
            ("pages", "1"),
            ("remote", "%2B49%2030%201234"),
        ]))
        .expect("valid report");
        assert_eq!(job, 12);
        assert_eq!(result.status_string, "The call dropped, early");
        assert_eq!(result.remote_station_id, "+49 30 1234");
        assert_eq!(result.pages, 1);
    }

    #[test]
    fn report_with_empty_pages_counts_zero() {
        let (_, result) =
            parse_fax_report(fields(&[("job", "3"), ("status", "FAILED"), ("pages", "")]))
                .expect("valid report");
        assert_eq!(result.pages, 0);
    }

    #[test]
    fn report_without_job_is_rejected_by_field_name() {
        let err = parse_fax_report(fields(&[("status", "SUCCESS")])).expect_err("no job");
        assert_eq!(err, CallReportError::Missing("job"));
    }

    #[test]
    fn report_with_garbage_pages_is_rejected() {
        let err = parse_fax_report(fields(&[
            ("job", "3"),
            ("status", "SUCCESS"),
            ("pages", "two"),
        ]))
        .expect_err("bad pages");
        assert!(matches!(
            err,
            CallReportError::Invalid { field: "pages", .. }
        ));
    }

    #[test]
    fn broken_escape_does_not_decode() {
        assert_eq!(uri_decode("abc%2"), None);
        assert_eq!(uri_decode("%zz"), None);
    }

    #[test]
    fn kept_report_reads_like_the_event() {
        let (job, result) = parse_kept_report(
            "job=7&status=SUCCESS&error=&statusstring=OK&pages=3&remote=%2B1%20555%20123",
        )
        .expect("valid")
        .expect("kept");
        assert_eq!(job, 7);
        assert!(result.succeeded());
        assert_eq!(result.pages, 3);
        assert_eq!(result.remote_station_id, "+1 555 123");
    }

    #[test]
    fn an_unset_report_variable_means_nothing_was_kept() {
        assert_eq!(parse_kept_report("").expect("valid"), None);
    }

    #[test]
    fn a_kept_report_without_status_is_rejected() {
        let err = parse_kept_report("job=7&pages=3").expect_err("no status");
        assert_eq!(err, CallReportError::Missing("status"));
    }

    #[test]
    fn report_variables_are_plain_asterisk_names() {
        assert_eq!(
            report_variable("ringside-fax-7-1"),
            "RINGSIDE_FAX_REPORT_ringside_fax_7_1"
        );
    }
}
