//! Pure decisions taken around a wakeup call: what a call's outcome means, whether a late
//! wakeup still fires after downtime, and what follows an attempt (retry, snooze, nothing).
//!
//! No clock, no database: every function takes the instants it needs.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};

/// How one attempt to call one member ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Answered and the prompt played to its limit without a key or a hang-up.
    Answered,
    /// The member pressed 2, or hung up after hearing the prompt.
    Acknowledged,
    /// The member pressed 1: call again after the snooze time.
    Snoozed,
    Busy,
    NoAnswer,
    /// The call could not be placed or broke (unreachable device, ARI error, …).
    Failed,
    /// The due time passed while no daemon was running, beyond the grace window.
    Missed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Answered => "answered",
            Outcome::Acknowledged => "acknowledged",
            Outcome::Snoozed => "snoozed",
            Outcome::Busy => "busy",
            Outcome::NoAnswer => "no_answer",
            Outcome::Failed => "failed",
            Outcome::Missed => "missed",
        }
    }

    /// Outcomes worth another try: nobody heard the prompt.
    pub fn is_retryable(self) -> bool {
        matches!(self, Outcome::Busy | Outcome::NoAnswer | Outcome::Failed)
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown wakeup outcome {0:?}")]
pub struct UnknownOutcome(pub String);

impl FromStr for Outcome {
    type Err = UnknownOutcome;

    fn from_str(s: &str) -> Result<Self, UnknownOutcome> {
        Ok(match s {
            "answered" => Outcome::Answered,
            "acknowledged" => Outcome::Acknowledged,
            "snoozed" => Outcome::Snoozed,
            "busy" => Outcome::Busy,
            "no_answer" => Outcome::NoAnswer,
            "failed" => Outcome::Failed,
            "missed" => Outcome::Missed,
            other => return Err(UnknownOutcome(other.to_owned())),
        })
    }
}

/// Whether a call due at `due` still fires at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lateness {
    /// On time, or late by no more than the grace window.
    Fire,
    /// Later than the grace window: record it missed instead of waking someone at 11:00 for a
    /// 06:30 alarm.
    Missed,
}

pub fn lateness(due: DateTime<Utc>, now: DateTime<Utc>, grace: Duration) -> Lateness {
    if now - due > grace {
        Lateness::Missed
    } else {
        Lateness::Fire
    }
}

/// The retry and snooze settings of one wakeup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallPolicy {
    /// Extra attempts after the first when a call is busy, unanswered or failed.
    pub retries: u32,
    pub retry_interval: Duration,
    pub snooze: Duration,
    /// Snoozes allowed per fire, so a stuck key cannot keep a phone ringing forever.
    pub max_snoozes: u32,
}

/// Where a member's call stands within one fire of a wakeup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallProgress {
    /// Retries already used (0 on the first attempt and right after a snooze).
    pub retries_used: u32,
    pub snoozes: u32,
}

/// What happens after an attempt ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowUp {
    /// This member is done for this fire.
    Done,
    /// Call again at `at` with this progress.
    CallAgain {
        at: DateTime<Utc>,
        progress: CallProgress,
    },
}

pub fn follow_up(
    policy: &CallPolicy,
    progress: CallProgress,
    outcome: Outcome,
    ended_at: DateTime<Utc>,
) -> FollowUp {
    match outcome {
        Outcome::Snoozed if progress.snoozes < policy.max_snoozes => FollowUp::CallAgain {
            at: ended_at + policy.snooze,
            // A snoozed call was heard: the retry budget starts afresh for the next ring.
            progress: CallProgress {
                retries_used: 0,
                snoozes: progress.snoozes + 1,
            },
        },
        o if o.is_retryable() && progress.retries_used < policy.retries => FollowUp::CallAgain {
            at: ended_at + policy.retry_interval,
            progress: CallProgress {
                retries_used: progress.retries_used + 1,
                snoozes: progress.snoozes,
            },
        },
        _ => FollowUp::Done,
    }
}

/// What becomes of a wakeup after it fired (or was missed) for the instant `fired`.
pub fn next_after_fire(
    rule: &super::Rule,
    tz: &super::Zone,
    fired: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    // Never schedule into the past: after downtime the next fire is the next one from now.
    rule.next_after(tz, fired.max(now))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("valid RFC 3339 in test")
            .with_timezone(&Utc)
    }

    const POLICY: CallPolicy = CallPolicy {
        retries: 2,
        retry_interval: Duration::minutes(5),
        snooze: Duration::minutes(10),
        max_snoozes: 3,
    };

    fn progress(retries_used: u32, snoozes: u32) -> CallProgress {
        CallProgress {
            retries_used,
            snoozes,
        }
    }

    #[test]
    fn late_within_grace_still_fires() {
        let due = t("2026-12-01T05:30:00Z");
        assert_eq!(
            lateness(due, due + Duration::seconds(600), Duration::seconds(600)),
            Lateness::Fire
        );
    }

    #[test]
    fn late_beyond_grace_is_missed() {
        let due = t("2026-12-01T05:30:00Z");
        assert_eq!(
            lateness(due, due + Duration::seconds(601), Duration::seconds(600)),
            Lateness::Missed
        );
    }

    #[test]
    fn busy_is_retried_after_the_interval() {
        let end = t("2026-12-01T05:31:00Z");
        assert_eq!(
            follow_up(&POLICY, progress(0, 0), Outcome::Busy, end),
            FollowUp::CallAgain {
                at: end + Duration::minutes(5),
                progress: progress(1, 0)
            }
        );
    }

    #[test]
    fn no_answer_stops_when_retries_run_out() {
        let end = t("2026-12-01T05:31:00Z");
        assert_eq!(
            follow_up(&POLICY, progress(2, 0), Outcome::NoAnswer, end),
            FollowUp::Done
        );
    }

    #[test]
    fn snooze_calls_again_after_the_snooze_time_with_fresh_retries() {
        let end = t("2026-12-01T05:31:00Z");
        assert_eq!(
            follow_up(&POLICY, progress(2, 0), Outcome::Snoozed, end),
            FollowUp::CallAgain {
                at: end + Duration::minutes(10),
                progress: progress(0, 1)
            }
        );
    }

    #[test]
    fn snoozing_past_the_limit_ends_the_wakeup() {
        let end = t("2026-12-01T05:31:00Z");
        assert_eq!(
            follow_up(&POLICY, progress(0, 3), Outcome::Snoozed, end),
            FollowUp::Done
        );
    }

    #[test]
    fn acknowledged_and_answered_are_final() {
        let end = t("2026-12-01T05:31:00Z");
        for o in [Outcome::Acknowledged, Outcome::Answered, Outcome::Missed] {
            assert_eq!(
                follow_up(&POLICY, progress(0, 0), o, end),
                FollowUp::Done,
                "{o}"
            );
        }
    }

    #[test]
    fn outcome_names_round_trip() {
        for o in [
            Outcome::Answered,
            Outcome::Acknowledged,
            Outcome::Snoozed,
            Outcome::Busy,
            Outcome::NoAnswer,
            Outcome::Failed,
            Outcome::Missed,
        ] {
            assert_eq!(o.as_str().parse::<Outcome>(), Ok(o));
        }
    }

    #[test]
    fn weekly_after_downtime_schedules_from_now_not_from_the_missed_fire() {
        let rule: super::super::Rule = "weekly mon,tue,wed,thu,fri,sat,sun 06:00"
            .parse()
            .expect("rule");
        let fired = t("2026-11-01T06:00:00Z");
        let now = t("2026-11-23T12:00:00Z");
        assert_eq!(
            next_after_fire(&rule, &super::super::Zone::utc(), fired, now),
            Some(t("2026-11-24T06:00:00Z"))
        );
    }
}
