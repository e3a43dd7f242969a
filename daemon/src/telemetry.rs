//! The daemon's Prometheus metrics: every metric name, its help text, its histogram buckets,
//! and the small functions the rest of the crate calls to record a value.
//!
//! One definition per metric, here and nowhere else, so the exposition, the Grafana
//! dashboard and the code cannot drift apart. Recording goes through the `metrics` facade:
//! without an installed recorder (metrics off, unit tests) each call is a cheap no-op.
//!
//! Not here: the exporter and its listener (`ops`), and anything that reads a link, the
//! store or the flows; this module imports nothing else of the crate, so every layer may
//! record through it.

use std::time::Duration;

use metrics::{
    Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram,
};

pub const ARI_CONNECTED: &str = "ringside_ari_connected";
pub const ARI_RECONNECTS: &str = "ringside_ari_reconnects_total";
pub const AMI_CONNECTED: &str = "ringside_ami_connected";
pub const AMI_RECONNECTS: &str = "ringside_ami_reconnects_total";
pub const CALLS_IN_PROGRESS: &str = "ringside_calls_in_progress";
pub const FOLLOWME_EVENT_ACTION_SECONDS: &str = "ringside_followme_event_action_seconds";
pub const WAKEUPS_FIRED: &str = "ringside_wakeups_fired_total";
pub const WAKEUP_LATE_SECONDS: &str = "ringside_wakeup_late_seconds";
pub const WAKEUP_OUTCOMES: &str = "ringside_wakeup_outcomes_total";
pub const FAX_JOB_STATES: &str = "ringside_fax_job_states_total";
pub const FAX_PAGES: &str = "ringside_fax_pages_total";
pub const FAX_FAILURES: &str = "ringside_fax_failures_total";
pub const CONVERSIONS: &str = "ringside_conversions_total";
pub const CONVERSION_SECONDS: &str = "ringside_conversion_seconds";
pub const PORTAL_REQUESTS: &str = "ringside_portal_requests_total";
pub const PORTAL_REQUEST_SECONDS: &str = "ringside_portal_request_seconds";
pub const DB_POOL_IN_USE: &str = "ringside_db_pool_connections_in_use";
pub const DB_POOL_SIZE: &str = "ringside_db_pool_connections";
pub const FASTAGI_SESSIONS: &str = "ringside_fastagi_sessions_total";
pub const FASTAGI_SESSIONS_ACTIVE: &str = "ringside_fastagi_sessions_active";

/// Every metric name, for the checks that a dashboard queries only what exists.
pub const ALL: &[&str] = &[
    ARI_CONNECTED,
    ARI_RECONNECTS,
    AMI_CONNECTED,
    AMI_RECONNECTS,
    CALLS_IN_PROGRESS,
    FOLLOWME_EVENT_ACTION_SECONDS,
    WAKEUPS_FIRED,
    WAKEUP_LATE_SECONDS,
    WAKEUP_OUTCOMES,
    FAX_JOB_STATES,
    FAX_PAGES,
    FAX_FAILURES,
    CONVERSIONS,
    CONVERSION_SECONDS,
    PORTAL_REQUESTS,
    PORTAL_REQUEST_SECONDS,
    DB_POOL_IN_USE,
    DB_POOL_SIZE,
    FASTAGI_SESSIONS,
    FASTAGI_SESSIONS_ACTIVE,
];

/// Flows whose calls are counted while they run (labels known up front, so a dashboard sees
/// zero rather than nothing).
pub const FLOWS: &[&str] = &["followme", "wakeup", "fax"];

/// Bucket bounds (seconds) of each histogram: what the exporter renders as a Prometheus
/// histogram, so quantiles can be aggregated across daemons.
pub fn histogram_buckets() -> [(&'static str, &'static [f64]); 4] {
    const FAST: &[f64] = &[
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    ];
    const LATE: &[f64] = &[
        0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 600.0,
    ];
    const WORK: &[f64] = &[0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];
    [
        (FOLLOWME_EVENT_ACTION_SECONDS, FAST),
        (PORTAL_REQUEST_SECONDS, FAST),
        (WAKEUP_LATE_SECONDS, LATE),
        (CONVERSION_SECONDS, WORK),
    ]
}

/// Every counter with its help text.
const COUNTERS: &[(&str, &str)] = &[
    (
        ARI_RECONNECTS,
        "ARI event connections made again after the first",
    ),
    (
        AMI_RECONNECTS,
        "Manager (AMI) logins made again after the first",
    ),
    (WAKEUPS_FIRED, "Wakeup calls placed"),
    (WAKEUP_OUTCOMES, "Wakeup calls ended, by outcome"),
    (FAX_JOB_STATES, "Outgoing fax jobs entering each state"),
    (FAX_PAGES, "Fax pages sent and received"),
    (FAX_FAILURES, "Fax jobs failed, by reason"),
    (CONVERSIONS, "Media conversions, by format and result"),
    (
        PORTAL_REQUESTS,
        "Portal requests, by route template, method and status",
    ),
    (FASTAGI_SESSIONS, "FastAGI sessions accepted"),
];

/// Every gauge with its help text.
const GAUGES: &[(&str, &str)] = &[
    (ARI_CONNECTED, "1 while the ARI event connection is up"),
    (AMI_CONNECTED, "1 while the manager (AMI) link is logged in"),
    (CALLS_IN_PROGRESS, "Calls a flow is handling now"),
    (DB_POOL_IN_USE, "Database connections in use"),
    (DB_POOL_SIZE, "Database connections open (in use or idle)"),
    (FASTAGI_SESSIONS_ACTIVE, "FastAGI sessions running now"),
];

/// Every histogram (all in seconds) with its help text.
const HISTOGRAMS: &[(&str, &str)] = &[
    (
        FOLLOWME_EVENT_ACTION_SECONDS,
        "Follow-me: from an ARI event arriving to the first REST call it caused",
    ),
    (
        WAKEUP_LATE_SECONDS,
        "How late a wakeup call was placed after its due time",
    ),
    (CONVERSION_SECONDS, "Media conversion time, by format"),
    (
        PORTAL_REQUEST_SECONDS,
        "Portal request time, by route template",
    ),
];

/// Describes every metric and gives each its starting value, so a scrape right after start
/// shows every series a dashboard queries (zero, not absent).
pub fn register() {
    for (name, help) in COUNTERS {
        describe_counter!(*name, *help);
    }
    for (name, help) in GAUGES {
        describe_gauge!(*name, *help);
    }
    for (name, help) in HISTOGRAMS {
        describe_histogram!(*name, Unit::Seconds, *help);
    }

    gauge!(ARI_CONNECTED).set(0.0);
    counter!(ARI_RECONNECTS).absolute(0);
    gauge!(AMI_CONNECTED).set(0.0);
    counter!(AMI_RECONNECTS).absolute(0);
    for flow in FLOWS {
        gauge!(CALLS_IN_PROGRESS, "flow" => *flow).increment(0.0);
    }
    let _ = histogram!(FOLLOWME_EVENT_ACTION_SECONDS);
    counter!(WAKEUPS_FIRED).absolute(0);
    let _ = histogram!(WAKEUP_LATE_SECONDS);
    counter!(WAKEUP_OUTCOMES, "outcome" => "answered").increment(0);
    counter!(FAX_JOB_STATES, "state" => "sent").increment(0);
    counter!(FAX_JOB_STATES, "state" => "failed").increment(0);
    counter!(FAX_PAGES, "direction" => "sent").increment(0);
    counter!(FAX_PAGES, "direction" => "received").increment(0);
    counter!(FAX_FAILURES, "reason" => "none").increment(0);
    counter!(CONVERSIONS, "format" => "fax_tiff", "result" => "ok").increment(0);
    let _ = histogram!(CONVERSION_SECONDS, "format" => "fax_tiff");
    let _ = histogram!(PORTAL_REQUEST_SECONDS, "route" => "/healthz");
    counter!(PORTAL_REQUESTS, "route" => "/healthz", "method" => "GET", "status" => "200")
        .increment(0);
    gauge!(DB_POOL_IN_USE).set(0.0);
    gauge!(DB_POOL_SIZE).set(0.0);
    counter!(FASTAGI_SESSIONS).absolute(0);
    gauge!(FASTAGI_SESSIONS_ACTIVE).set(0.0);
}

pub fn ari_link(connected: bool) {
    gauge!(ARI_CONNECTED).set(if connected { 1.0 } else { 0.0 });
}

pub fn ari_reconnect() {
    counter!(ARI_RECONNECTS).increment(1);
}

pub fn ami_link(connected: bool) {
    gauge!(AMI_CONNECTED).set(if connected { 1.0 } else { 0.0 });
}

pub fn ami_reconnect() {
    counter!(AMI_RECONNECTS).increment(1);
}

/// Counts a call as in progress in `flow` until the guard is dropped (however the call ends,
/// a panic included).
pub fn call_in_progress(flow: &str) -> InProgress {
    InProgress::count(gauge!(CALLS_IN_PROGRESS, "flow" => flow.to_owned()))
}

/// One unit of a gauge of things in progress, given back when dropped.
pub struct InProgress {
    gauge: metrics::Gauge,
}

impl InProgress {
    fn count(gauge: metrics::Gauge) -> InProgress {
        gauge.increment(1.0);
        InProgress { gauge }
    }
}

impl Drop for InProgress {
    fn drop(&mut self) {
        self.gauge.decrement(1.0);
    }
}

pub fn followme_event_action(latency: Duration) {
    histogram!(FOLLOWME_EVENT_ACTION_SECONDS).record(latency.as_secs_f64());
}

/// A wakeup call placed `late` after its due time (zero or less when on time).
pub fn wakeup_fired(late_secs: f64) {
    counter!(WAKEUPS_FIRED).increment(1);
    histogram!(WAKEUP_LATE_SECONDS).record(late_secs.max(0.0));
}

/// `outcome` is one of the scheduler's outcome names (a closed set).
pub fn wakeup_outcome(outcome: &str) {
    counter!(WAKEUP_OUTCOMES, "outcome" => outcome.to_owned()).increment(1);
}

/// `state` is a fax job state name (a closed set).
pub fn fax_job_state(state: &str) {
    counter!(FAX_JOB_STATES, "state" => state.to_owned()).increment(1);
}

pub fn fax_pages(direction: FaxDirection, pages: u32) {
    counter!(FAX_PAGES, "direction" => direction.label()).increment(u64::from(pages));
}

/// A failed fax job; `reason` is Asterisk's FAXERROR, kept only when it looks like one of its
/// short upper-case codes so that free text cannot grow the label set.
pub fn fax_failure(reason: &str) {
    counter!(FAX_FAILURES, "reason" => fax_reason_label(reason)).increment(1);
}

fn fax_reason_label(reason: &str) -> String {
    let reason = reason.trim();
    let is_code = !reason.is_empty()
        && reason.len() <= 40
        && reason
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_' || c == ' ');
    match (reason.is_empty(), is_code) {
        (true, _) => "unknown".into(),
        (false, true) => reason.to_owned(),
        (false, false) => "other".into(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaxDirection {
    Sent,
    Received,
}

impl FaxDirection {
    fn label(self) -> &'static str {
        match self {
            FaxDirection::Sent => "sent",
            FaxDirection::Received => "received",
        }
    }
}

/// One media conversion to `format` (a closed set: `wav`, `ulaw`, `fax_tiff`, `pdf`, …).
pub fn conversion(format: &'static str, took: Duration, ok: bool) {
    counter!(CONVERSIONS, "format" => format, "result" => if ok { "ok" } else { "error" })
        .increment(1);
    histogram!(CONVERSION_SECONDS, "format" => format).record(took.as_secs_f64());
}

/// One portal request; `route` is the matched route template (bounded), never the raw path.
pub fn portal_request(route: &str, method: &str, status: u16, took: Duration) {
    counter!(
        PORTAL_REQUESTS,
        "route" => route.to_owned(),
        "method" => method.to_owned(),
        "status" => status.to_string()
    )
    .increment(1);
    histogram!(PORTAL_REQUEST_SECONDS, "route" => route.to_owned()).record(took.as_secs_f64());
}

pub fn db_pool(in_use: u32, size: u32) {
    gauge!(DB_POOL_IN_USE).set(f64::from(in_use));
    gauge!(DB_POOL_SIZE).set(f64::from(size));
}

/// Counts a FastAGI session as running until the guard is dropped.
pub fn fastagi_session() -> InProgress {
    counter!(FASTAGI_SESSIONS).increment(1);
    InProgress::count(gauge!(FASTAGI_SESSIONS_ACTIVE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_name_is_listed_once_with_the_ringside_prefix() {
        let mut names: Vec<&str> = ALL.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
        assert!(names.iter().all(|n| n.starts_with("ringside_")));
    }

    #[test]
    fn fax_failure_reason_keeps_codes_and_folds_free_text() {
        assert_eq!(fax_reason_label("NO_ANSWER"), "NO_ANSWER");
        assert_eq!(fax_reason_label(""), "unknown");
        assert_eq!(fax_reason_label("remote hung up at page 3"), "other");
    }
}
