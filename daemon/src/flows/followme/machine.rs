//! The follow-me call as a state machine: inputs (leg rang, answered, busy, gone, a digit, a
//! timer fired, the caller hung up) in, actions (create legs, hang up, bridge, continue to
//! voicemail) out. Pure and synchronous so every decision is unit-tested without a network;
//! [`super::run`] turns ARI events into inputs and actions into REST calls.

use super::plan::Plan;
use crate::ari::HangupReason;

pub type LegId = usize;

/// Seconds a callee has to press 1 or 2 after answering.
pub const CONFIRM_SECS: u32 = 10;

/// Why the caller goes to voicemail; the value of `RINGSIDE_REASON`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoicemailReason {
    Busy,
    NoAnswer,
    Unavailable,
}

impl From<VoicemailReason> for crate::voicemail::greeting_rule::Reason {
    fn from(r: VoicemailReason) -> Self {
        use crate::voicemail::greeting_rule::Reason;
        match r {
            VoicemailReason::Busy => Reason::Busy,
            VoicemailReason::NoAnswer => Reason::NoAnswer,
            VoicemailReason::Unavailable => Reason::Unavailable,
        }
    }
}

/// Hang-up causes that say the device could not be reached (not "it rang and nobody took
/// it"), whenever they come: no route (3), subscriber absent (20), out of order (27).
pub fn is_unreachable_cause(cause: i64) -> bool {
    use crate::ari::model::cause as c;
    matches!(
        cause,
        c::NO_ROUTE_DESTINATION | c::SUBSCRIBER_ABSENT | c::DESTINATION_OUT_OF_ORDER
    )
}

impl VoicemailReason {
    pub fn as_str(self) -> &'static str {
        match self {
            VoicemailReason::Busy => "busy",
            VoicemailReason::NoAnswer => "no_answer",
            VoicemailReason::Unavailable => "unavailable",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Timer {
    Step(usize),
    Confirm(LegId),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Start,
    /// `channels/create` failed; `unreachable` when Asterisk could not allocate the endpoint.
    LegCreateFailed {
        leg: LegId,
        unreachable: bool,
    },
    LegRinging(LegId),
    LegAnswered(LegId),
    LegBusy(LegId),
    LegCongestion(LegId),
    LegUnavailable(LegId),
    /// The leg left Stasis or was destroyed; `cause` when known.
    LegGone {
        leg: LegId,
        cause: Option<i64>,
    },
    LegDtmf {
        leg: LegId,
        digit: char,
    },
    TimerFired(Timer),
    CallerGone,
    /// Bridging the accepted leg with the caller failed.
    BridgeFailed,
    /// The daemon is stopping.
    Shutdown,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Caller hears ringing.
    IndicateRinging,
    /// Caller is answered and hears music on hold.
    StartMoh,
    /// Create and dial these legs, ringing for `ring_secs`.
    StartLegs {
        step: usize,
        legs: Vec<LegId>,
        ring_secs: u32,
    },
    Hangup {
        leg: LegId,
        reason: HangupReason,
    },
    PlayConfirmPrompt {
        leg: LegId,
    },
    SetTimer {
        timer: Timer,
        secs: u32,
    },
    /// Connect the caller with this leg.
    Bridge {
        leg: LegId,
    },
    /// The bridged leg hung up: end the caller too.
    HangupCaller,
    /// Nobody took the call.
    ToVoicemail(VoicemailReason),
    /// Hand the call back to the dialplan's next priority.
    ToDialplan,
    /// The flow is over; nothing more will be asked.
    Finished,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegStatus {
    Idle,
    Dialing,
    Ringing,
    Confirming,
    Accepted,
    Busy,
    Congested,
    Unreachable,
    NoAnswer,
    Declined,
    Cancelled,
}

impl LegStatus {
    fn is_active(self) -> bool {
        matches!(
            self,
            LegStatus::Dialing | LegStatus::Ringing | LegStatus::Confirming
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    NotStarted,
    Ringing,
    Bridged(LegId),
    Done,
}

/// One follow-me call's decisions.
#[derive(Debug, Clone)]
pub struct FollowMe {
    plan: Plan,
    /// Leg ids per step (leg ids number legs across all steps).
    step_legs: Vec<Vec<LegId>>,
    own_device: Vec<bool>,
    status: Vec<LegStatus>,
    step: usize,
    phase: Phase,
}

impl FollowMe {
    pub fn new(plan: Plan) -> Self {
        let mut step_legs = Vec::new();
        let mut own_device = Vec::new();
        for step in &plan.steps {
            let mut ids = Vec::new();
            for leg in &step.legs {
                ids.push(own_device.len());
                own_device.push(leg.own_device);
            }
            step_legs.push(ids);
        }
        let n = own_device.len();
        Self {
            plan,
            step_legs,
            own_device,
            status: vec![LegStatus::Idle; n],
            step: 0,
            phase: Phase::NotStarted,
        }
    }

    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    pub fn phase(&self) -> Phase {
        self.phase
    }

    pub fn leg_status(&self, leg: LegId) -> Option<LegStatus> {
        self.status.get(leg).copied()
    }

    pub fn leg_count(&self) -> usize {
        self.status.len()
    }

    pub fn handle(&mut self, input: Input) -> Vec<Action> {
        let mut out = Vec::new();
        if self.phase == Phase::Done {
            return out;
        }
        match input {
            Input::Start => {
                if self.phase == Phase::NotStarted {
                    out.push(if self.plan.moh {
                        Action::StartMoh
                    } else {
                        Action::IndicateRinging
                    });
                    self.phase = Phase::Ringing;
                    self.start_step(0, &mut out);
                }
            }
            Input::LegCreateFailed { leg, unreachable } => {
                if self.is(leg, LegStatus::is_active) {
                    self.status[leg] = if unreachable {
                        LegStatus::Unreachable
                    } else {
                        LegStatus::Congested
                    };
                    self.maybe_advance(&mut out);
                }
            }
            Input::LegRinging(leg) => {
                if self.status.get(leg) == Some(&LegStatus::Dialing) {
                    self.status[leg] = LegStatus::Ringing;
                }
            }
            Input::LegAnswered(leg) => self.answered(leg, &mut out),
            Input::LegBusy(leg) => self.failed(leg, LegStatus::Busy, HangupReason::Busy, &mut out),
            Input::LegCongestion(leg) => self.failed(
                leg,
                LegStatus::Congested,
                HangupReason::Congestion,
                &mut out,
            ),
            Input::LegUnavailable(leg) => {
                self.failed(leg, LegStatus::Unreachable, HangupReason::Normal, &mut out)
            }
            Input::LegGone { leg, cause } => self.gone(leg, cause, &mut out),
            Input::LegDtmf { leg, digit } => {
                if self.status.get(leg) == Some(&LegStatus::Confirming)
                    && self.phase == Phase::Ringing
                {
                    match digit {
                        '1' => self.accept(leg, &mut out),
                        '2' => {
                            self.status[leg] = LegStatus::Declined;
                            out.push(Action::Hangup {
                                leg,
                                reason: HangupReason::Rejected,
                            });
                            self.maybe_advance(&mut out);
                        }
                        _ => {}
                    }
                }
            }
            Input::TimerFired(Timer::Step(step)) => {
                if self.phase == Phase::Ringing && step == self.step {
                    for &leg in &self.step_legs[step] {
                        if matches!(self.status[leg], LegStatus::Dialing | LegStatus::Ringing) {
                            self.status[leg] = LegStatus::NoAnswer;
                            out.push(Action::Hangup {
                                leg,
                                reason: HangupReason::NoAnswer,
                            });
                        }
                    }
                    self.next_step(&mut out);
                }
            }
            Input::TimerFired(Timer::Confirm(leg)) => {
                if self.status.get(leg) == Some(&LegStatus::Confirming) {
                    self.status[leg] = LegStatus::Declined;
                    out.push(Action::Hangup {
                        leg,
                        reason: HangupReason::NoAnswer,
                    });
                    self.maybe_advance(&mut out);
                }
            }
            Input::CallerGone => {
                for leg in 0..self.status.len() {
                    if self.status[leg].is_active() || self.status[leg] == LegStatus::Accepted {
                        if self.status[leg] != LegStatus::Accepted {
                            self.status[leg] = LegStatus::Cancelled;
                        }
                        out.push(Action::Hangup {
                            leg,
                            reason: HangupReason::Normal,
                        });
                    }
                }
                self.finish(&mut out);
            }
            Input::BridgeFailed => {
                if let Phase::Bridged(leg) = self.phase {
                    out.push(Action::Hangup {
                        leg,
                        reason: HangupReason::Normal,
                    });
                    out.push(Action::ToDialplan);
                    self.finish(&mut out);
                }
            }
            Input::Shutdown => match self.phase {
                Phase::Bridged(_) => self.finish(&mut out),
                _ => {
                    self.cancel_active(HangupReason::Normal, None, &mut out);
                    out.push(Action::ToDialplan);
                    self.finish(&mut out);
                }
            },
        }
        out
    }

    fn is(&self, leg: LegId, f: impl Fn(LegStatus) -> bool) -> bool {
        self.status.get(leg).is_some_and(|s| f(*s))
    }

    fn start_step(&mut self, step: usize, out: &mut Vec<Action>) {
        self.step = step;
        let legs = self.step_legs[step].clone();
        for &leg in &legs {
            self.status[leg] = LegStatus::Dialing;
        }
        let ring_secs = self.plan.steps[step].ring_secs;
        out.push(Action::StartLegs {
            step,
            legs,
            ring_secs,
        });
        out.push(Action::SetTimer {
            timer: Timer::Step(step),
            secs: ring_secs,
        });
    }

    fn next_step(&mut self, out: &mut Vec<Action>) {
        if self.step + 1 < self.step_legs.len() {
            self.start_step(self.step + 1, out);
        } else {
            self.maybe_finish_unanswered(out);
        }
    }

    /// Moves on early when every leg of the current step has failed or declined.
    fn maybe_advance(&mut self, out: &mut Vec<Action>) {
        if self.phase != Phase::Ringing {
            return;
        }
        let step_open = self.step_legs[self.step]
            .iter()
            .any(|&l| self.status[l].is_active());
        if !step_open {
            self.next_step(out);
        }
    }

    fn maybe_finish_unanswered(&mut self, out: &mut Vec<Action>) {
        if self.status.iter().any(|s| s.is_active()) {
            // A callee from an earlier step is still deciding.
            return;
        }
        let reason = if self
            .own_device
            .iter()
            .zip(&self.status)
            .any(|(own, s)| *own && *s == LegStatus::Unreachable)
        {
            VoicemailReason::Unavailable
        } else if self.status.iter().all(|s| *s == LegStatus::Busy) {
            VoicemailReason::Busy
        } else {
            VoicemailReason::NoAnswer
        };
        out.push(Action::ToVoicemail(reason));
        self.finish(out);
    }

    fn finish(&mut self, out: &mut Vec<Action>) {
        self.phase = Phase::Done;
        out.push(Action::Finished);
    }

    fn answered(&mut self, leg: LegId, out: &mut Vec<Action>) {
        let Some(status) = self.status.get(leg).copied() else {
            return;
        };
        match self.phase {
            Phase::Bridged(accepted) if accepted != leg && status != LegStatus::Accepted => {
                // Answered after another leg took the call.
                out.push(Action::Hangup {
                    leg,
                    reason: HangupReason::AnsweredElsewhere,
                });
            }
            Phase::Ringing if matches!(status, LegStatus::Dialing | LegStatus::Ringing) => {
                if self.plan.confirm {
                    self.status[leg] = LegStatus::Confirming;
                    out.push(Action::PlayConfirmPrompt { leg });
                    out.push(Action::SetTimer {
                        timer: Timer::Confirm(leg),
                        secs: CONFIRM_SECS,
                    });
                } else {
                    self.accept(leg, out);
                }
            }
            Phase::Ringing if !status.is_active() && status != LegStatus::Accepted => {
                // A leg we already gave up on (its ring time ended) answered anyway.
                out.push(Action::Hangup {
                    leg,
                    reason: HangupReason::NoAnswer,
                });
            }
            _ => {}
        }
    }

    fn accept(&mut self, leg: LegId, out: &mut Vec<Action>) {
        self.status[leg] = LegStatus::Accepted;
        self.phase = Phase::Bridged(leg);
        self.cancel_active(HangupReason::AnsweredElsewhere, Some(leg), out);
        out.push(Action::Bridge { leg });
    }

    fn cancel_active(
        &mut self,
        reason: HangupReason,
        except: Option<LegId>,
        out: &mut Vec<Action>,
    ) {
        for other in 0..self.status.len() {
            if Some(other) != except && self.status[other].is_active() {
                self.status[other] = LegStatus::Cancelled;
                out.push(Action::Hangup { leg: other, reason });
            }
        }
    }

    fn failed(
        &mut self,
        leg: LegId,
        status: LegStatus,
        reason: HangupReason,
        out: &mut Vec<Action>,
    ) {
        if self.is(leg, |s| {
            matches!(s, LegStatus::Dialing | LegStatus::Ringing)
        }) {
            self.status[leg] = status;
            out.push(Action::Hangup { leg, reason });
            self.maybe_advance(out);
        }
    }

    fn gone(&mut self, leg: LegId, cause: Option<i64>, out: &mut Vec<Action>) {
        let Some(status) = self.status.get(leg).copied() else {
            return;
        };
        if status == LegStatus::Accepted {
            if let Phase::Bridged(_) = self.phase {
                out.push(Action::HangupCaller);
                self.finish(out);
            }
            return;
        }
        if !status.is_active() {
            return;
        }
        use crate::ari::model::cause as c;
        self.status[leg] = match (status, cause) {
            (LegStatus::Confirming, _) => LegStatus::Declined,
            (_, Some(c::USER_BUSY)) => LegStatus::Busy,
            (_, Some(c::CONGESTION)) => LegStatus::Congested,
            (_, Some(c::NO_ANSWER | c::NO_USER_RESPONSE)) => LegStatus::NoAnswer,
            // The cause, not how far the leg had got, says it was unreachable: its events may
            // come before or after the answer to the dial that caused them.
            (_, Some(cause)) if is_unreachable_cause(cause) => LegStatus::Unreachable,
            // Gone before it ever rang: the device could not be reached.
            (LegStatus::Dialing, _) => LegStatus::Unreachable,
            _ => LegStatus::NoAnswer,
        };
        self.maybe_advance(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flows::followme::plan::{PlannedLeg, PlannedStep};

    fn leg(n: &str, own: bool) -> PlannedLeg {
        PlannedLeg {
            number: n.into(),
            endpoint: format!("PJSIP/{n}"),
            caller_id: None,
            own_device: own,
        }
    }

    /// Own device for 5 s, then 2001+2002 together for 20 s, then 2003 for 15 s.
    fn machine(confirm: bool) -> FollowMe {
        let plan = Plan {
            extension: "1001".into(),
            steps: vec![
                PlannedStep {
                    legs: vec![leg("1001", true)],
                    ring_secs: 5,
                },
                PlannedStep {
                    legs: vec![leg("2001", false), leg("2002", false)],
                    ring_secs: 20,
                },
                PlannedStep {
                    legs: vec![leg("2003", false)],
                    ring_secs: 15,
                },
            ],
            confirm,
            moh: false,
        };
        FollowMe::new(plan)
    }

    fn hangups(actions: &[Action]) -> Vec<(LegId, HangupReason)> {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::Hangup { leg, reason } => Some((*leg, *reason)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn start_rings_the_caller_and_the_first_step() {
        let mut m = machine(false);
        let a = m.handle(Input::Start);
        assert_eq!(
            a,
            vec![
                Action::IndicateRinging,
                Action::StartLegs {
                    step: 0,
                    legs: vec![0],
                    ring_secs: 5
                },
                Action::SetTimer {
                    timer: Timer::Step(0),
                    secs: 5
                },
            ]
        );
    }

    #[test]
    fn moh_setting_plays_music_instead_of_ringing() {
        let mut m = machine(false);
        m.plan.moh = true;
        assert_eq!(m.handle(Input::Start)[0], Action::StartMoh);
    }

    #[test]
    fn step_timeout_hangs_up_unanswered_legs_and_starts_the_next_step() {
        let mut m = machine(false);
        m.handle(Input::Start);
        let a = m.handle(Input::TimerFired(Timer::Step(0)));
        assert_eq!(hangups(&a), vec![(0, HangupReason::NoAnswer)]);
        assert!(a.contains(&Action::StartLegs {
            step: 1,
            legs: vec![1, 2],
            ring_secs: 20
        }));
    }

    #[test]
    fn first_answer_is_bridged_and_the_others_are_answered_elsewhere() {
        let mut m = machine(false);
        m.handle(Input::Start);
        m.handle(Input::TimerFired(Timer::Step(0)));
        let a = m.handle(Input::LegAnswered(2));
        assert_eq!(hangups(&a), vec![(1, HangupReason::AnsweredElsewhere)]);
        assert!(a.contains(&Action::Bridge { leg: 2 }));
        assert_eq!(m.phase(), Phase::Bridged(2));
    }

    #[test]
    fn leg_answering_after_another_was_accepted_is_hung_up() {
        let mut m = machine(false);
        m.handle(Input::Start);
        m.handle(Input::TimerFired(Timer::Step(0)));
        m.handle(Input::LegAnswered(1));
        let a = m.handle(Input::LegAnswered(2));
        assert_eq!(hangups(&a), vec![(2, HangupReason::AnsweredElsewhere)]);
        assert!(!a.iter().any(|x| matches!(x, Action::Bridge { .. })));
    }

    #[test]
    fn confirmation_plays_a_prompt_instead_of_bridging() {
        let mut m = machine(true);
        m.handle(Input::Start);
        let a = m.handle(Input::LegAnswered(0));
        assert_eq!(
            a,
            vec![
                Action::PlayConfirmPrompt { leg: 0 },
                Action::SetTimer {
                    timer: Timer::Confirm(0),
                    secs: CONFIRM_SECS
                },
            ]
        );
    }

    #[test]
    fn pressing_1_accepts_the_call() {
        let mut m = machine(true);
        m.handle(Input::Start);
        m.handle(Input::LegAnswered(0));
        let a = m.handle(Input::LegDtmf { leg: 0, digit: '1' });
        assert!(a.contains(&Action::Bridge { leg: 0 }));
    }

    #[test]
    fn pressing_2_declines_and_moves_on() {
        let mut m = machine(true);
        m.handle(Input::Start);
        m.handle(Input::LegAnswered(0));
        let a = m.handle(Input::LegDtmf { leg: 0, digit: '2' });
        assert_eq!(hangups(&a), vec![(0, HangupReason::Rejected)]);
        assert!(
            a.iter()
                .any(|x| matches!(x, Action::StartLegs { step: 1, .. }))
        );
    }

    #[test]
    fn confirmation_timeout_declines() {
        let mut m = machine(true);
        m.handle(Input::Start);
        m.handle(Input::LegAnswered(0));
        let a = m.handle(Input::TimerFired(Timer::Confirm(0)));
        assert_eq!(m.leg_status(0), Some(LegStatus::Declined));
        assert!(
            a.iter()
                .any(|x| matches!(x, Action::StartLegs { step: 1, .. }))
        );
    }

    #[test]
    fn every_leg_busy_goes_to_voicemail_as_busy() {
        let mut m = machine(false);
        m.handle(Input::Start);
        m.handle(Input::LegBusy(0));
        m.handle(Input::LegBusy(1));
        m.handle(Input::LegBusy(2));
        let a = m.handle(Input::LegBusy(3));
        assert_eq!(a[a.len() - 2], Action::ToVoicemail(VoicemailReason::Busy));
        assert_eq!(a[a.len() - 1], Action::Finished);
    }

    #[test]
    fn nobody_answering_goes_to_voicemail_as_no_answer() {
        let mut m = machine(false);
        m.handle(Input::Start);
        m.handle(Input::TimerFired(Timer::Step(0)));
        m.handle(Input::LegBusy(1));
        m.handle(Input::TimerFired(Timer::Step(1)));
        let a = m.handle(Input::TimerFired(Timer::Step(2)));
        assert!(a.contains(&Action::ToVoicemail(VoicemailReason::NoAnswer)));
    }

    #[test]
    fn unreachable_own_device_and_no_answer_is_unavailable() {
        let mut m = machine(false);
        m.handle(Input::Start);
        m.handle(Input::LegCreateFailed {
            leg: 0,
            unreachable: true,
        });
        m.handle(Input::TimerFired(Timer::Step(1)));
        let a = m.handle(Input::TimerFired(Timer::Step(2)));
        assert!(a.contains(&Action::ToVoicemail(VoicemailReason::Unavailable)));
    }

    #[test]
    fn own_device_gone_before_ringing_counts_as_unreachable() {
        let mut m = machine(false);
        m.handle(Input::Start);
        m.handle(Input::LegGone {
            leg: 0,
            cause: Some(16),
        });
        assert_eq!(m.leg_status(0), Some(LegStatus::Unreachable));
    }

    /// Own device alone for 20 s, as the inbound plan rings a user without follow-me.
    fn own_device_only() -> FollowMe {
        FollowMe::new(Plan {
            extension: "1001".into(),
            steps: vec![PlannedStep {
                legs: vec![leg("1001", true)],
                ring_secs: 20,
            }],
            confirm: false,
            moh: false,
        })
    }

    fn voicemail_reason(actions: &[Action]) -> Option<VoicemailReason> {
        actions.iter().find_map(|a| match a {
            Action::ToVoicemail(r) => Some(*r),
            _ => None,
        })
    }

    #[test]
    fn subscriber_absent_after_ringing_is_unavailable_not_no_answer() {
        let mut m = own_device_only();
        m.handle(Input::Start);
        m.handle(Input::LegRinging(0));
        let a = m.handle(Input::LegGone {
            leg: 0,
            cause: Some(20),
        });
        assert_eq!(voicemail_reason(&a), Some(VoicemailReason::Unavailable));
    }

    #[test]
    fn destination_out_of_order_is_unavailable() {
        let mut m = own_device_only();
        m.handle(Input::Start);
        m.handle(Input::LegRinging(0));
        let a = m.handle(Input::LegGone {
            leg: 0,
            cause: Some(27),
        });
        assert_eq!(voicemail_reason(&a), Some(VoicemailReason::Unavailable));
    }

    #[test]
    fn no_route_to_destination_is_unavailable() {
        let mut m = own_device_only();
        m.handle(Input::Start);
        m.handle(Input::LegRinging(0));
        let a = m.handle(Input::LegGone {
            leg: 0,
            cause: Some(3),
        });
        assert_eq!(voicemail_reason(&a), Some(VoicemailReason::Unavailable));
    }

    #[test]
    fn chanunavail_after_ringing_is_unavailable() {
        let mut m = own_device_only();
        m.handle(Input::Start);
        m.handle(Input::LegRinging(0));
        let a = m.handle(Input::LegUnavailable(0));
        assert_eq!(voicemail_reason(&a), Some(VoicemailReason::Unavailable));
    }

    #[test]
    fn destroyed_after_chanunavail_keeps_unavailable() {
        let mut m = own_device_only();
        m.handle(Input::Start);
        let first = m.handle(Input::LegUnavailable(0));
        let later = m.handle(Input::LegGone {
            leg: 0,
            cause: Some(20),
        });
        assert_eq!(voicemail_reason(&first), Some(VoicemailReason::Unavailable));
        assert!(later.is_empty());
    }

    #[test]
    fn normal_clearing_after_ringing_is_no_answer() {
        let mut m = own_device_only();
        m.handle(Input::Start);
        m.handle(Input::LegRinging(0));
        let a = m.handle(Input::LegGone {
            leg: 0,
            cause: Some(16),
        });
        assert_eq!(voicemail_reason(&a), Some(VoicemailReason::NoAnswer));
    }

    #[test]
    fn failed_step_moves_on_without_waiting_for_its_ring_time() {
        let mut m = machine(false);
        m.handle(Input::Start);
        let a = m.handle(Input::LegBusy(0));
        assert!(
            a.iter()
                .any(|x| matches!(x, Action::StartLegs { step: 1, .. }))
        );
    }

    #[test]
    fn caller_hangup_hangs_up_every_ringing_leg() {
        let mut m = machine(false);
        m.handle(Input::Start);
        m.handle(Input::TimerFired(Timer::Step(0)));
        let a = m.handle(Input::CallerGone);
        assert_eq!(
            hangups(&a),
            vec![(1, HangupReason::Normal), (2, HangupReason::Normal)]
        );
        assert_eq!(a.last(), Some(&Action::Finished));
    }

    #[test]
    fn bridged_leg_hanging_up_ends_the_caller() {
        let mut m = machine(false);
        m.handle(Input::Start);
        m.handle(Input::LegAnswered(0));
        let a = m.handle(Input::LegGone {
            leg: 0,
            cause: Some(16),
        });
        assert_eq!(a, vec![Action::HangupCaller, Action::Finished]);
    }

    #[test]
    fn late_step_timer_after_bridging_is_ignored() {
        let mut m = machine(false);
        m.handle(Input::Start);
        m.handle(Input::LegAnswered(0));
        assert!(m.handle(Input::TimerFired(Timer::Step(0))).is_empty());
    }

    #[test]
    fn shutdown_while_ringing_hands_the_caller_to_the_dialplan() {
        let mut m = machine(false);
        m.handle(Input::Start);
        let a = m.handle(Input::Shutdown);
        assert_eq!(hangups(&a), vec![(0, HangupReason::Normal)]);
        assert!(a.contains(&Action::ToDialplan));
    }

    #[test]
    fn shutdown_while_bridged_leaves_the_call_up() {
        let mut m = machine(false);
        m.handle(Input::Start);
        m.handle(Input::LegAnswered(0));
        assert_eq!(m.handle(Input::Shutdown), vec![Action::Finished]);
    }

    #[test]
    fn callee_still_confirming_delays_the_voicemail_decision() {
        let mut m = machine(true);
        m.handle(Input::Start);
        m.handle(Input::TimerFired(Timer::Step(0)));
        m.handle(Input::TimerFired(Timer::Step(1)));
        m.handle(Input::LegAnswered(3));
        let a = m.handle(Input::TimerFired(Timer::Step(2)));
        assert!(!a.iter().any(|x| matches!(x, Action::ToVoicemail(_))));
        let a = m.handle(Input::LegDtmf { leg: 3, digit: '1' });
        assert!(a.contains(&Action::Bridge { leg: 3 }));
    }
}
