//! The outgoing fax job's state machine: (job, event) → (updated job, actions).
//!
//! Pure: no clock, no database, no ARI. The worker feeds it what happened and carries out
//! the actions it returns. Retry decisions (busy, no answer, congestion, failed fax
//! negotiation, a call that ended early) live here. It does not describe received faxes,
//! which are recorded once, already final.

use chrono::{DateTime, Utc};

use crate::store::fax::{FaxJob, JobState};

/// Why a call never reached the fax stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallFailure {
    Busy,
    NoAnswer,
    Congestion,
    /// Anything else: unknown number, trunk down, channel could not be created.
    Unreachable(String),
}

impl CallFailure {
    fn describe(&self) -> String {
        match self {
            CallFailure::Busy => "the line was busy".into(),
            CallFailure::NoAnswer => "nobody answered".into(),
            CallFailure::Congestion => "the network was congested".into(),
            CallFailure::Unreachable(why) => format!("the call failed: {why}"),
        }
    }
}

/// What `SendFAX` reported at the end of a call (the `FAX*` channel variables).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaxResult {
    /// `FAXSTATUS`: `SUCCESS` or `FAILED`.
    pub status: String,
    /// `FAXERROR`, e.g. `HANGUP`, `NO_FAX`, `NEGOTIATION_FAILED`.
    pub error: String,
    /// `FAXSTATUSSTRING`, spandsp's words for the outcome.
    pub status_string: String,
    /// `FAXPAGES`: pages transferred.
    pub pages: u32,
    /// `REMOTESTATIONID`: the far end's station id (TSI/CSI).
    pub remote_station_id: String,
}

impl FaxResult {
    pub fn succeeded(&self) -> bool {
        self.status.eq_ignore_ascii_case("SUCCESS")
    }

    /// Failures that another call cannot fix: the file or the arguments are the problem.
    fn is_permanent(&self) -> bool {
        let e = self.error.to_ascii_uppercase();
        e.contains("FILE") || e.contains("INVALID_ARGUMENTS")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A worker took the job from the queue.
    Claimed,
    /// The document became a fax TIFF with this many pages.
    Converted { tiff_path: String, pages: u32 },
    /// The document cannot be faxed (not a PDF/TIFF, no pages, too large…).
    ConversionFailed { reason: String },
    /// The far end answered; the fax can start.
    Answered,
    /// The call ended before it was answered.
    CallFailed(CallFailure),
    /// `SendFAX` finished and reported.
    FaxFinished(FaxResult),
    /// The call ended after answer without any fax result.
    CallEnded,
    /// The user cancelled the job.
    CancelRequested,
    /// The job was found active with an expired lease: its worker's daemon stopped.
    Abandoned,
    /// As [`Event::Abandoned`], but the call had ended and Asterisk kept its `SendFAX`
    /// report: the outcome is known, nothing is sent again.
    AbandonedWithReport(FaxResult),
}

impl Event {
    fn name(&self) -> &'static str {
        match self {
            Event::Claimed => "claimed",
            Event::Converted { .. } => "converted",
            Event::ConversionFailed { .. } => "conversion failed",
            Event::Answered => "answered",
            Event::CallFailed(_) => "call failed",
            Event::FaxFinished(_) => "fax finished",
            Event::CallEnded => "call ended",
            Event::CancelRequested => "cancel requested",
            Event::Abandoned => "abandoned",
            Event::AbandonedWithReport(_) => "abandoned with a report",
        }
    }
}

/// What the worker must do after a transition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Convert the document to a fax TIFF.
    Convert,
    /// Call the destination on channel `channel_id`.
    Originate { channel_id: String },
    /// Hand the answered call to the fax-out dialplan so `SendFAX` runs.
    StartSendFax { channel_id: String },
    /// Hang up the call in progress.
    Hangup { channel_id: String },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("fax job in state {state} cannot take event {event}")]
pub struct InvalidTransition {
    pub state: JobState,
    pub event: &'static str,
}

/// The job after the event, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub job: FaxJob,
    pub actions: Vec<Action>,
}

/// The channel id of a job's n-th call, chosen by us so events can be matched to the job.
pub fn channel_id_for(job_id: i64, attempt: u32) -> String {
    format!("ringside-fax-{job_id}-{attempt}")
}

/// Applies `event` to `job` at instant `now`; a failed call is retried `retry_delay` later
/// while attempts remain.
pub fn apply(
    job: &FaxJob,
    event: &Event,
    now: DateTime<Utc>,
    retry_delay: chrono::Duration,
) -> Result<Step, InvalidTransition> {
    let invalid = || InvalidTransition {
        state: job.state,
        event: event.name(),
    };
    let mut next = job.clone();
    let mut actions = Vec::new();
    match (job.state, event) {
        (JobState::Queued, Event::Claimed) if job.cancel_requested => {
            cancel(&mut next);
        }
        (JobState::Queued, Event::Claimed) => match job.tiff_path {
            Some(_) if job.pages_total > 0 => actions.push(dial(&mut next)),
            _ => {
                next.state = JobState::Converting;
                actions.push(Action::Convert);
            }
        },
        (JobState::Converting, Event::Converted { pages: 0, .. }) => {
            fail(&mut next, "the document has no pages to fax".into());
        }
        (JobState::Converting, Event::Converted { tiff_path, pages }) => {
            next.tiff_path = Some(tiff_path.clone());
            next.pages_total = *pages;
            actions.push(dial(&mut next));
        }
        (JobState::Converting, Event::ConversionFailed { reason }) => {
            fail(&mut next, format!("the document cannot be faxed: {reason}"));
        }
        (JobState::Dialing, Event::Answered) => {
            next.state = JobState::Sending;
            actions.push(Action::StartSendFax {
                channel_id: current_channel(job),
            });
        }
        (JobState::Dialing, Event::CallFailed(failure)) => {
            next.channel_id = None;
            retry_or_fail(&mut next, failure.describe(), now, retry_delay);
        }
        (JobState::Sending, Event::FaxFinished(result))
        | (JobState::Dialing | JobState::Sending, Event::AbandonedWithReport(result)) => {
            // A report kept for a job still "dialing": the call was answered and the fax
            // ran while no daemon watched it.
            finish_with_report(&mut next, result, now, retry_delay);
        }
        (JobState::Sending, Event::CallEnded) => {
            next.channel_id = None;
            retry_or_fail(
                &mut next,
                "the call ended before the fax finished".into(),
                now,
                retry_delay,
            );
        }
        (JobState::Queued | JobState::Converting, Event::CancelRequested) => {
            cancel(&mut next);
        }
        (JobState::Dialing | JobState::Sending, Event::CancelRequested) => {
            actions.push(Action::Hangup {
                channel_id: current_channel(job),
            });
            next.channel_id = None;
            cancel(&mut next);
        }
        (JobState::Converting, Event::Abandoned) => {
            // Nothing left the building: convert again from the start.
            next.state = JobState::Queued;
            next.next_attempt_at = now;
        }
        (JobState::Dialing | JobState::Sending, Event::Abandoned) => {
            // The call may still be up in Asterisk; end it so the fax is not sent twice.
            actions.push(Action::Hangup {
                channel_id: current_channel(job),
            });
            next.channel_id = None;
            retry_or_fail(
                &mut next,
                "the daemon stopped during the call".into(),
                now,
                retry_delay,
            );
        }
        _ => return Err(invalid()),
    }
    Ok(Step { job: next, actions })
}

/// The job after `SendFAX` reported: sent, or failed for good, or queued for another try.
fn finish_with_report(
    next: &mut FaxJob,
    result: &FaxResult,
    now: DateTime<Utc>,
    retry_delay: chrono::Duration,
) {
    next.channel_id = None;
    next.fax_status = Some(result.status.clone());
    next.fax_error = Some(result.error.clone());
    next.fax_status_string = Some(result.status_string.clone());
    next.remote_station_id = Some(result.remote_station_id.clone());
    next.pages_sent = result.pages;
    if result.succeeded() {
        next.state = JobState::Sent;
        next.error = None;
    } else {
        let why = describe_fax_failure(result);
        if result.is_permanent() {
            fail(next, why);
        } else {
            retry_or_fail(next, why, now, retry_delay);
        }
    }
}

fn current_channel(job: &FaxJob) -> String {
    job.channel_id
        .clone()
        .unwrap_or_else(|| channel_id_for(job.id, job.attempts))
}

fn dial(job: &mut FaxJob) -> Action {
    job.attempts += 1;
    job.state = JobState::Dialing;
    let channel_id = channel_id_for(job.id, job.attempts);
    job.channel_id = Some(channel_id.clone());
    Action::Originate { channel_id }
}

fn cancel(job: &mut FaxJob) {
    job.error = Some(match job.state {
        JobState::Dialing => "cancelled by the user while dialing".into(),
        JobState::Sending => "cancelled by the user while sending".into(),
        JobState::Converting => "cancelled by the user while converting".into(),
        _ => "cancelled by the user".into(),
    });
    job.state = JobState::Cancelled;
}

fn fail(job: &mut FaxJob, why: String) {
    job.state = JobState::Failed;
    job.error = Some(why);
}

fn retry_or_fail(job: &mut FaxJob, why: String, now: DateTime<Utc>, retry_delay: chrono::Duration) {
    if job.attempts < job.max_attempts {
        job.state = JobState::Queued;
        job.next_attempt_at = now + retry_delay;
        job.error = Some(format!(
            "{why}; will retry (attempt {} of {})",
            job.attempts + 1,
            job.max_attempts
        ));
    } else {
        let tries = if job.attempts == 1 {
            "1 attempt".to_owned()
        } else {
            format!("{} attempts", job.attempts)
        };
        fail(job, format!("{why} (gave up after {tries})"));
    }
}

fn describe_fax_failure(result: &FaxResult) -> String {
    let mut why = format!("fax failed: {}", non_empty(&result.error, "no FAXERROR"));
    if !result.status_string.is_empty() {
        why.push_str(&format!(" ({})", result.status_string));
    }
    if result.pages > 0 {
        why.push_str(&format!(
            ", {} page{} went through",
            result.pages,
            if result.pages == 1 { "" } else { "s" }
        ));
    }
    why
}

fn non_empty<'a>(s: &'a str, fallback: &'a str) -> &'a str {
    if s.is_empty() { fallback } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DELAY: chrono::Duration = chrono::Duration::minutes(5);

    /// The instant every test applies its event at.
    fn now() -> DateTime<Utc> {
        crate::store::from_millis(1_000_000)
    }

    fn job(state: JobState) -> FaxJob {
        FaxJob {
            lease_owner: Some("w".into()),
            lease_until: Some(now() + chrono::Duration::milliseconds(1)),
            ..FaxJob::example(state)
        }
    }

    fn dialing(attempts: u32) -> FaxJob {
        let mut j = job(JobState::Dialing);
        j.tiff_path = Some("/d/doc.tif".into());
        j.pages_total = 3;
        j.attempts = attempts;
        j.channel_id = Some(channel_id_for(7, attempts));
        j
    }

    fn sending(attempts: u32) -> FaxJob {
        let mut j = dialing(attempts);
        j.state = JobState::Sending;
        j
    }

    fn step(j: &FaxJob, e: Event) -> Step {
        apply(j, &e, now(), DELAY).expect("valid transition")
    }

    fn failed_fax(error: &str, pages: u32) -> Event {
        Event::FaxFinished(FaxResult {
            status: "FAILED".into(),
            error: error.into(),
            status_string: "The call dropped prematurely".into(),
            pages,
            remote_station_id: "REMOTE".into(),
        })
    }

    #[test]
    fn claimed_unconverted_job_starts_converting() {
        let s = step(&job(JobState::Queued), Event::Claimed);
        assert_eq!(s.job.state, JobState::Converting);
        assert_eq!(s.actions, vec![Action::Convert]);
    }

    #[test]
    fn claimed_converted_job_dials_at_once_with_a_fresh_channel() {
        let mut j = job(JobState::Queued);
        j.tiff_path = Some("/d/doc.tif".into());
        j.pages_total = 2;
        j.attempts = 1;
        let s = step(&j, Event::Claimed);
        assert_eq!(s.job.state, JobState::Dialing);
        assert_eq!(s.job.attempts, 2);
        assert_eq!(
            s.actions,
            vec![Action::Originate {
                channel_id: "ringside-fax-7-2".into()
            }]
        );
    }

    #[test]
    fn claimed_job_with_a_pending_cancel_is_cancelled() {
        let mut j = job(JobState::Queued);
        j.cancel_requested = true;
        let s = step(&j, Event::Claimed);
        assert_eq!(s.job.state, JobState::Cancelled);
        assert!(s.actions.is_empty());
    }

    #[test]
    fn converted_document_records_pages_and_dials() {
        let s = step(
            &job(JobState::Converting),
            Event::Converted {
                tiff_path: "/d/doc.tif".into(),
                pages: 3,
            },
        );
        assert_eq!(s.job.state, JobState::Dialing);
        assert_eq!(s.job.pages_total, 3);
        assert_eq!(s.job.tiff_path.as_deref(), Some("/d/doc.tif"));
        assert_eq!(s.job.attempts, 1);
        assert_eq!(
            s.actions,
            vec![Action::Originate {
                channel_id: "ringside-fax-7-1".into()
            }]
        );
    }

    #[test]
    fn converted_document_without_pages_fails() {
        let s = step(
            &job(JobState::Converting),
            Event::Converted {
                tiff_path: "/d/doc.tif".into(),
                pages: 0,
            },
        );
        assert_eq!(s.job.state, JobState::Failed);
        assert!(s.job.error.as_deref().unwrap_or("").contains("no pages"));
    }

    #[test]
    fn conversion_failure_fails_without_retry_and_names_the_reason() {
        let s = step(
            &job(JobState::Converting),
            Event::ConversionFailed {
                reason: "not a PDF".into(),
            },
        );
        assert_eq!(s.job.state, JobState::Failed);
        assert!(s.job.error.as_deref().unwrap_or("").contains("not a PDF"));
        assert_eq!(s.job.attempts, 0);
    }

    #[test]
    fn answered_call_starts_sending_on_its_channel() {
        let s = step(&dialing(1), Event::Answered);
        assert_eq!(s.job.state, JobState::Sending);
        assert_eq!(
            s.actions,
            vec![Action::StartSendFax {
                channel_id: "ringside-fax-7-1".into()
            }]
        );
    }

    #[test]
    fn busy_line_is_retried_after_the_delay() {
        let s = step(&dialing(1), Event::CallFailed(CallFailure::Busy));
        assert_eq!(s.job.state, JobState::Queued);
        assert_eq!(s.job.next_attempt_at, now() + DELAY);
        assert!(s.job.error.as_deref().unwrap_or("").contains("busy"));
        assert_eq!(s.job.channel_id, None);
    }

    #[test]
    fn no_answer_is_retried() {
        let s = step(&dialing(2), Event::CallFailed(CallFailure::NoAnswer));
        assert_eq!(s.job.state, JobState::Queued);
        assert!(
            s.job
                .error
                .as_deref()
                .unwrap_or("")
                .contains("attempt 3 of 4")
        );
    }

    #[test]
    fn congestion_is_retried() {
        let s = step(&dialing(1), Event::CallFailed(CallFailure::Congestion));
        assert_eq!(s.job.state, JobState::Queued);
    }

    #[test]
    fn busy_on_the_last_attempt_fails_naming_the_attempts() {
        let s = step(&dialing(4), Event::CallFailed(CallFailure::Busy));
        assert_eq!(s.job.state, JobState::Failed);
        assert_eq!(
            s.job.error.as_deref(),
            Some("the line was busy (gave up after 4 attempts)")
        );
    }

    #[test]
    fn successful_fax_is_sent_with_its_pages_and_remote_station() {
        let s = step(
            &sending(1),
            Event::FaxFinished(FaxResult {
                status: "SUCCESS".into(),
                error: "OK".into(),
                status_string: "OK".into(),
                pages: 3,
                remote_station_id: "+49 30 1234".into(),
            }),
        );
        assert_eq!(s.job.state, JobState::Sent);
        assert_eq!(s.job.pages_sent, 3);
        assert_eq!(s.job.fax_status.as_deref(), Some("SUCCESS"));
        assert_eq!(s.job.remote_station_id.as_deref(), Some("+49 30 1234"));
        assert_eq!(s.job.error, None);
    }

    #[test]
    fn failed_negotiation_is_retried_keeping_asterisks_words() {
        let s = step(&sending(1), failed_fax("NEGOTIATION_FAILED", 0));
        assert_eq!(s.job.state, JobState::Queued);
        assert_eq!(s.job.fax_status.as_deref(), Some("FAILED"));
        assert_eq!(s.job.fax_error.as_deref(), Some("NEGOTIATION_FAILED"));
        assert!(
            s.job
                .error
                .as_deref()
                .unwrap_or("")
                .contains("NEGOTIATION_FAILED")
        );
    }

    #[test]
    fn hang_up_mid_transfer_records_pages_that_went_through_and_retries() {
        let s = step(&sending(1), failed_fax("HANGUP", 1));
        assert_eq!(s.job.state, JobState::Queued);
        assert_eq!(s.job.pages_sent, 1);
        assert!(
            s.job
                .error
                .as_deref()
                .unwrap_or("")
                .contains("1 page went through")
        );
    }

    #[test]
    fn file_error_fails_at_once() {
        let s = step(&sending(1), failed_fax("FILE_ERROR", 0));
        assert_eq!(s.job.state, JobState::Failed);
    }

    #[test]
    fn failed_fax_on_the_last_attempt_fails() {
        let s = step(&sending(4), failed_fax("HANGUP", 0));
        assert_eq!(s.job.state, JobState::Failed);
        assert!(
            s.job
                .error
                .as_deref()
                .unwrap_or("")
                .contains("gave up after 4")
        );
    }

    #[test]
    fn call_ending_without_a_result_is_retried() {
        let s = step(&sending(1), Event::CallEnded);
        assert_eq!(s.job.state, JobState::Queued);
        assert!(
            s.job
                .error
                .as_deref()
                .unwrap_or("")
                .contains("ended before")
        );
    }

    #[test]
    fn cancelling_a_queued_job_needs_no_action() {
        let s = step(&job(JobState::Queued), Event::CancelRequested);
        assert_eq!(s.job.state, JobState::Cancelled);
        assert!(s.actions.is_empty());
    }

    #[test]
    fn cancelling_while_converting_cancels() {
        let s = step(&job(JobState::Converting), Event::CancelRequested);
        assert_eq!(s.job.state, JobState::Cancelled);
    }

    #[test]
    fn cancelling_while_dialing_hangs_up_and_says_so() {
        let s = step(&dialing(1), Event::CancelRequested);
        assert_eq!(s.job.state, JobState::Cancelled);
        assert_eq!(
            s.actions,
            vec![Action::Hangup {
                channel_id: "ringside-fax-7-1".into()
            }]
        );
        assert_eq!(
            s.job.error.as_deref(),
            Some("cancelled by the user while dialing")
        );
    }

    #[test]
    fn cancelling_while_sending_hangs_up() {
        let s = step(&sending(1), Event::CancelRequested);
        assert_eq!(s.job.state, JobState::Cancelled);
        assert_eq!(s.actions.len(), 1);
    }

    #[test]
    fn abandoned_conversion_is_requeued_without_using_an_attempt() {
        let s = step(&job(JobState::Converting), Event::Abandoned);
        assert_eq!(s.job.state, JobState::Queued);
        assert_eq!(s.job.attempts, 0);
        assert_eq!(s.job.next_attempt_at, now());
    }

    #[test]
    fn abandoned_call_is_hung_up_and_retried() {
        let s = step(&sending(1), Event::Abandoned);
        assert_eq!(s.job.state, JobState::Queued);
        assert_eq!(
            s.actions,
            vec![Action::Hangup {
                channel_id: "ringside-fax-7-1".into()
            }]
        );
    }

    fn kept_report(status: &str, error: &str, pages: u32) -> Event {
        Event::AbandonedWithReport(FaxResult {
            status: status.into(),
            error: error.into(),
            status_string: String::new(),
            pages,
            remote_station_id: "REMOTE".into(),
        })
    }

    #[test]
    fn abandoned_call_whose_fax_went_through_is_sent_not_sent_again() {
        let s = step(&sending(1), kept_report("SUCCESS", "", 3));
        assert_eq!(s.job.state, JobState::Sent);
        assert_eq!(s.job.pages_sent, 3);
        assert!(s.actions.is_empty(), "nothing to hang up or dial");
    }

    #[test]
    fn abandoned_dialing_job_with_a_report_was_answered_and_sent() {
        let s = step(&dialing(1), kept_report("SUCCESS", "", 3));
        assert_eq!(s.job.state, JobState::Sent);
    }

    #[test]
    fn abandoned_call_whose_fax_failed_is_retried_by_the_usual_rule() {
        let s = step(&sending(1), kept_report("FAILED", "HANGUP", 1));
        assert_eq!(s.job.state, JobState::Queued);
        assert_eq!(s.job.pages_sent, 1);
        assert!(s.actions.is_empty());
    }

    #[test]
    fn abandoned_call_on_the_last_attempt_fails() {
        let s = step(&dialing(4), Event::Abandoned);
        assert_eq!(s.job.state, JobState::Failed);
    }

    #[test]
    fn final_states_take_no_events() {
        for state in [
            JobState::Sent,
            JobState::Failed,
            JobState::Cancelled,
            JobState::Received,
        ] {
            let err = apply(&job(state), &Event::Answered, now(), DELAY).expect_err("final");
            assert_eq!(err.state, state);
        }
    }

    #[test]
    fn a_fax_result_while_dialing_is_rejected() {
        let err =
            apply(&dialing(1), &failed_fax("HANGUP", 0), now(), DELAY).expect_err("out of order");
        assert_eq!(err.event, "fax finished");
    }
}
