//! The decisions of one wakeup call, as a pure state machine: ARI events in, actions and the
//! call's outcome out. No I/O; `flows::wakeup` executes the actions.
//!
//! Modelled on Asterisk 22 (the recorded traces `daemon/tests/traces/originate-*.jsonl`): a channel
//! originated into the app gets StasisStart only once answered; busy and no answer end with
//! ChannelDestroyed and no StasisStart (cause 17 / 19 on a phone; through a Local channel the
//! originated half may carry cause 0, so the Dial event's status decides then).

use super::CallResult;
use crate::ari::Event;
use crate::schedule::Outcome;

/// What the flow must do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Play the prompt (`media`) with this playback id.
    Play { playback_id: String, media: String },
    /// Hang the channel up.
    Hangup,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Ringing,
    /// Answered; the prompt has finished playing this many times.
    Playing {
        heard: u32,
    },
    Done,
}

/// One call to one member.
#[derive(Debug, Clone)]
pub struct CallMachine {
    channel_id: String,
    /// Playback ids are `<prefix>-<n>`; distinct for a call taken over, whose first daemon's
    /// playback may still be running.
    playback_prefix: String,
    media: String,
    max_plays: u32,
    phase: Phase,
    plays_started: u32,
    /// The prompt could not be played and the fallback tone plays instead.
    fallback: bool,
    dial_status: Option<String>,
    outcome: Option<CallResult>,
}

/// Played instead of a prompt Asterisk cannot play (a sound file missing: Debian's core sounds
/// lack the usual wakeup prompts): three rising notes and three seconds of silence, made by
/// Asterisk's tone generator, so it needs no file. Each `!` part plays once, so it ends like a
/// prompt and the member has the usual number of plays to press a key.
pub const FALLBACK_MEDIA: &str = "tone:!950/330,!1400/330,!1800/330,!0/3000";

/// Keys the member presses while the prompt plays.
pub const SNOOZE_DIGIT: &str = "1";
pub const DISMISS_DIGIT: &str = "2";

impl CallMachine {
    /// `prompt` is a sound name or absolute path without extension; it plays up to
    /// `max_plays` times.
    pub fn new(channel_id: &str, prompt: &str, max_plays: u32) -> Self {
        Self {
            channel_id: channel_id.to_owned(),
            playback_prefix: format!("{channel_id}-play"),
            media: format!("sound:{prompt}"),
            max_plays: max_plays.max(1),
            phase: Phase::Ringing,
            plays_started: 0,
            fallback: false,
            dial_status: None,
            outcome: None,
        }
    }

    /// A call placed by a scheduler that stopped, taken over: `answered` when its channel is
    /// up (in the app), and then the prompt plays from the start. Returns the first actions.
    pub fn taken_over(
        channel_id: &str,
        prompt: &str,
        max_plays: u32,
        answered: bool,
    ) -> (Self, Vec<Action>) {
        let mut m = Self::new(channel_id, prompt, max_plays);
        m.playback_prefix = format!("{channel_id}-takeover-play");
        if !answered {
            return (m, Vec::new());
        }
        m.phase = Phase::Playing { heard: 0 };
        let play = m.play();
        (m, vec![play])
    }

    pub fn channel_id(&self) -> &str {
        &self.channel_id
    }

    pub fn is_answered(&self) -> bool {
        matches!(self.phase, Phase::Playing { .. })
    }

    /// The outcome once the call is over.
    pub fn result(&self) -> Option<&CallResult> {
        if self.phase == Phase::Done {
            self.outcome.as_ref()
        } else {
            None
        }
    }

    fn finish(&mut self, outcome: Outcome, detail: impl Into<String>) {
        if self.outcome.is_none() {
            let mut detail = detail.into();
            if self.fallback {
                detail.push_str(" (the prompt could not be played; a tone played instead)");
            }
            self.outcome = Some(CallResult::new(outcome, detail));
        }
        self.phase = Phase::Done;
    }

    fn play(&mut self) -> Action {
        self.plays_started += 1;
        Action::Play {
            playback_id: format!("{}-{}", self.playback_prefix, self.plays_started),
            media: self.media.clone(),
        }
    }

    /// Feeds one event about this call's channel.
    pub fn on_event(&mut self, event: &Event) -> Vec<Action> {
        if self.phase == Phase::Done || event.channel_id() != Some(self.channel_id.as_str()) {
            return Vec::new();
        }
        match (event, self.phase) {
            (Event::Dial(d), Phase::Ringing) => {
                if !d.dialstatus.is_empty() {
                    self.dial_status = Some(d.dialstatus.clone());
                }
                Vec::new()
            }
            (Event::StasisStart(_), Phase::Ringing) => {
                self.phase = Phase::Playing { heard: 0 };
                vec![self.play()]
            }
            (Event::PlaybackFinished(p), Phase::Playing { heard }) => {
                if p.playback.id != format!("{}-{}", self.playback_prefix, self.plays_started) {
                    return Vec::new();
                }
                if p.playback.state == "failed" && !self.fallback {
                    // Not heard: the member gets every play again, of a sound that exists.
                    self.fallback = true;
                    self.media = FALLBACK_MEDIA.to_owned();
                    return vec![self.play()];
                }
                let heard = heard + 1;
                self.phase = Phase::Playing { heard };
                if heard >= self.max_plays {
                    self.finish(
                        Outcome::Answered,
                        format!("prompt played {heard} times without a key"),
                    );
                    vec![Action::Hangup]
                } else {
                    vec![self.play()]
                }
            }
            (Event::ChannelDtmfReceived(d), Phase::Playing { .. }) => match d.digit.as_str() {
                SNOOZE_DIGIT => {
                    self.finish(Outcome::Snoozed, "pressed 1");
                    vec![Action::Hangup]
                }
                DISMISS_DIGIT => {
                    self.finish(Outcome::Acknowledged, "pressed 2");
                    vec![Action::Hangup]
                }
                _ => Vec::new(),
            },
            (
                Event::ChannelHangupRequest(_) | Event::StasisEnd(_) | Event::ChannelDestroyed(_),
                Phase::Playing { heard },
            ) => {
                if heard > 0 {
                    self.finish(Outcome::Acknowledged, "hung up after hearing the prompt");
                } else {
                    self.finish(Outcome::Answered, "hung up before the prompt ended");
                }
                Vec::new()
            }
            (Event::ChannelDestroyed(d), Phase::Ringing) => {
                let (outcome, detail) =
                    unanswered(d.cause, &d.cause_txt, self.dial_status.as_deref());
                self.finish(outcome, detail);
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    /// The ring time passed without an answer or an end from Asterisk.
    pub fn on_ring_timeout(&mut self) -> Vec<Action> {
        if self.phase != Phase::Ringing {
            return Vec::new();
        }
        self.finish(Outcome::NoAnswer, "no answer within the ring time");
        vec![Action::Hangup]
    }

    /// The answered call went on longer than allowed (prompt stuck, no events).
    pub fn on_call_limit(&mut self) -> Vec<Action> {
        if !self.is_answered() {
            return Vec::new();
        }
        self.finish(Outcome::Answered, "call time limit reached");
        vec![Action::Hangup]
    }

    /// The call could not go on (originate refused, channel vanished, daemon stopping).
    pub fn on_failure(&mut self, detail: impl Into<String>) -> Vec<Action> {
        if self.phase == Phase::Done {
            return Vec::new();
        }
        let answered = self.is_answered();
        self.finish(Outcome::Failed, detail);
        if answered {
            vec![Action::Hangup]
        } else {
            Vec::new()
        }
    }
}

/// Why an originated call ended without StasisStart: the hang-up cause when it says, else the
/// last Dial status.
fn unanswered(cause: i64, cause_txt: &str, dial_status: Option<&str>) -> (Outcome, String) {
    let detail = format!("cause {cause} ({cause_txt})");
    match (cause, dial_status) {
        (17, _) | (_, Some("BUSY")) => (Outcome::Busy, detail),
        (18 | 19, _) | (_, Some("NOANSWER")) => (Outcome::NoAnswer, detail),
        _ => (
            Outcome::Failed,
            match dial_status {
                Some(s) => format!("{detail}, dial status {s}"),
                None => detail,
            },
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "wakeup-7-abc";

    fn ev(json: serde_json::Value) -> Event {
        Event::from_value(json)
    }

    fn channel() -> serde_json::Value {
        serde_json::json!({"id": ID, "name": "PJSIP/1001-00000001", "state": "Up"})
    }

    fn stasis_start() -> Event {
        ev(
            serde_json::json!({"type": "StasisStart", "args": ["wakeup", "7", "1001"], "channel": channel()}),
        )
    }

    fn finished(n: u32) -> Event {
        ev(serde_json::json!({"type": "PlaybackFinished", "playback": {
            "id": format!("{ID}-play-{n}"), "media_uri": "sound:x", "target_uri": format!("channel:{ID}"), "state": "done"}}))
    }

    fn failed(n: u32) -> Event {
        ev(serde_json::json!({"type": "PlaybackFinished", "playback": {
            "id": format!("{ID}-play-{n}"), "media_uri": "sound:x", "target_uri": format!("channel:{ID}"), "state": "failed"}}))
    }

    fn dtmf(d: &str) -> Event {
        ev(
            serde_json::json!({"type": "ChannelDtmfReceived", "digit": d, "duration_ms": 100, "channel": channel()}),
        )
    }

    fn destroyed(cause: i64, txt: &str) -> Event {
        ev(
            serde_json::json!({"type": "ChannelDestroyed", "cause": cause, "cause_txt": txt, "channel": channel()}),
        )
    }

    fn dial(status: &str) -> Event {
        ev(
            serde_json::json!({"type": "Dial", "dialstatus": status, "dialstring": "1001", "forward": "", "peer": channel()}),
        )
    }

    fn outcome(m: &CallMachine) -> Option<Outcome> {
        m.result().map(|r| r.outcome)
    }

    #[test]
    fn answer_plays_the_prompt() {
        let mut m = CallMachine::new(ID, "this-is-yr-wakeup-call", 3);
        assert_eq!(
            m.on_event(&stasis_start()),
            [Action::Play {
                playback_id: format!("{ID}-play-1"),
                media: "sound:this-is-yr-wakeup-call".into()
            }]
        );
    }

    #[test]
    fn a_prompt_that_cannot_be_played_is_replaced_by_the_fallback_tone() {
        let mut m = CallMachine::new(ID, "this-is-yr-wakeup-call", 3);
        m.on_event(&stasis_start());
        assert_eq!(
            m.on_event(&failed(1)),
            [Action::Play {
                playback_id: format!("{ID}-play-2"),
                media: FALLBACK_MEDIA.into()
            }]
        );
        assert_eq!(outcome(&m), None, "the call goes on");
    }

    #[test]
    fn the_fallback_tone_gives_every_play_and_keys_still_count() {
        let mut m = CallMachine::new(ID, "missing", 2);
        m.on_event(&stasis_start());
        m.on_event(&failed(1));
        assert!(matches!(
            m.on_event(&finished(2)).as_slice(),
            [Action::Play { media, .. }] if media == FALLBACK_MEDIA
        ));
        assert_eq!(m.on_event(&dtmf("1")), [Action::Hangup]);
        let result = m.result().expect("ended");
        assert_eq!(result.outcome, Outcome::Snoozed);
        assert!(
            result.detail.contains("a tone played instead"),
            "{}",
            result.detail
        );
    }

    #[test]
    fn a_failing_fallback_ends_the_call_instead_of_looping() {
        let mut m = CallMachine::new(ID, "missing", 2);
        m.on_event(&stasis_start());
        m.on_event(&failed(1));
        assert!(matches!(
            m.on_event(&failed(2)).as_slice(),
            [Action::Play { .. }]
        ));
        assert_eq!(m.on_event(&failed(3)), [Action::Hangup]);
        assert_eq!(outcome(&m), Some(Outcome::Answered));
    }

    #[test]
    fn prompt_loops_until_the_play_limit_then_hangs_up_as_answered() {
        let mut m = CallMachine::new(ID, "p", 2);
        m.on_event(&stasis_start());
        assert!(matches!(
            m.on_event(&finished(1)).as_slice(),
            [Action::Play { .. }]
        ));
        assert_eq!(m.on_event(&finished(2)), [Action::Hangup]);
        assert_eq!(outcome(&m), Some(Outcome::Answered));
    }

    #[test]
    fn pressing_1_snoozes() {
        let mut m = CallMachine::new(ID, "p", 3);
        m.on_event(&stasis_start());
        assert_eq!(m.on_event(&dtmf("1")), [Action::Hangup]);
        assert_eq!(outcome(&m), Some(Outcome::Snoozed));
    }

    #[test]
    fn pressing_2_acknowledges() {
        let mut m = CallMachine::new(ID, "p", 3);
        m.on_event(&stasis_start());
        assert_eq!(m.on_event(&dtmf("2")), [Action::Hangup]);
        assert_eq!(outcome(&m), Some(Outcome::Acknowledged));
    }

    #[test]
    fn other_keys_are_ignored() {
        let mut m = CallMachine::new(ID, "p", 3);
        m.on_event(&stasis_start());
        assert!(m.on_event(&dtmf("5")).is_empty());
        assert_eq!(outcome(&m), None);
    }

    #[test]
    fn hang_up_after_hearing_the_prompt_acknowledges() {
        let mut m = CallMachine::new(ID, "p", 3);
        m.on_event(&stasis_start());
        m.on_event(&finished(1));
        m.on_event(&destroyed(16, "Normal Clearing"));
        assert_eq!(outcome(&m), Some(Outcome::Acknowledged));
    }

    #[test]
    fn hang_up_during_the_first_prompt_counts_as_answered() {
        let mut m = CallMachine::new(ID, "p", 3);
        m.on_event(&stasis_start());
        m.on_event(&destroyed(16, "Normal Clearing"));
        assert_eq!(outcome(&m), Some(Outcome::Answered));
    }

    #[test]
    fn busy_cause_17_is_busy() {
        let mut m = CallMachine::new(ID, "p", 3);
        m.on_event(&destroyed(17, "User busy"));
        assert_eq!(outcome(&m), Some(Outcome::Busy));
    }

    #[test]
    fn local_channel_busy_with_cause_0_is_read_from_the_dial_status() {
        // originate-app-busy.jsonl: Dial BUSY, then ChannelDestroyed cause 0 on our half.
        let mut m = CallMachine::new(ID, "p", 3);
        m.on_event(&dial(""));
        m.on_event(&dial("BUSY"));
        m.on_event(&destroyed(0, "Unknown"));
        assert_eq!(outcome(&m), Some(Outcome::Busy));
    }

    #[test]
    fn no_answer_cause_19_is_no_answer() {
        let mut m = CallMachine::new(ID, "p", 3);
        m.on_event(&dial("RINGING"));
        m.on_event(&destroyed(19, "User alerting, no answer"));
        assert_eq!(outcome(&m), Some(Outcome::NoAnswer));
    }

    #[test]
    fn unreachable_device_fails_with_the_cause() {
        let mut m = CallMachine::new(ID, "p", 3);
        m.on_event(&destroyed(20, "Subscriber absent"));
        let r = m.result().expect("over");
        assert_eq!(r.outcome, Outcome::Failed);
        assert!(r.detail.contains("cause 20"), "{}", r.detail);
    }

    #[test]
    fn ring_timeout_without_events_hangs_up_as_no_answer() {
        let mut m = CallMachine::new(ID, "p", 3);
        assert_eq!(m.on_ring_timeout(), [Action::Hangup]);
        assert_eq!(outcome(&m), Some(Outcome::NoAnswer));
    }

    #[test]
    fn events_for_other_channels_are_ignored() {
        let mut m = CallMachine::new(ID, "p", 3);
        let other = ev(
            serde_json::json!({"type": "ChannelDestroyed", "cause": 17, "cause_txt": "User busy",
            "channel": {"id": format!("{ID};2")}}),
        );
        assert!(m.on_event(&other).is_empty());
        assert_eq!(outcome(&m), None);
    }

    #[test]
    fn first_outcome_wins_over_the_hang_up_that_follows_it() {
        let mut m = CallMachine::new(ID, "p", 3);
        m.on_event(&stasis_start());
        m.on_event(&dtmf("1"));
        m.on_event(&destroyed(16, "Normal Clearing"));
        assert_eq!(outcome(&m), Some(Outcome::Snoozed));
    }

    #[test]
    fn an_answered_call_taken_over_plays_the_prompt_at_once() {
        let (m, actions) = CallMachine::taken_over(ID, "p", 3, true);
        assert!(m.is_answered());
        assert_eq!(
            actions,
            [Action::Play {
                playback_id: format!("{ID}-takeover-play-1"),
                media: "sound:p".into()
            }]
        );
    }

    #[test]
    fn a_ringing_call_taken_over_waits_for_the_answer() {
        let (mut m, actions) = CallMachine::taken_over(ID, "p", 3, false);
        assert!(actions.is_empty());
        assert!(matches!(
            m.on_event(&stasis_start()).as_slice(),
            [Action::Play { .. }]
        ));
    }

    #[test]
    fn a_call_taken_over_is_acknowledged_with_2_like_any_other() {
        let (mut m, _) = CallMachine::taken_over(ID, "p", 3, true);
        assert_eq!(m.on_event(&dtmf("2")), [Action::Hangup]);
        assert_eq!(outcome(&m), Some(Outcome::Acknowledged));
    }
}
