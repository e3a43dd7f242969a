//! The greeting decision against a model of app_voicemail (Asterisk 22, `leave_voicemail` and
//! `invent_message`), for every reason and every set of existing greeting files: the caller
//! must hear the rule's greeting exactly once, then the instructions and the beep.

use ringside::flows::greeting::{Announcement, Decision, Reason, Status, choose};
use ringside::greetings::{GreetingKind, GreetingSet};

/// What reaches the caller's ear, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Heard {
    Recording(GreetingKind),
    /// `vm-theperson` + the extension's digits.
    ThePersonAtExtension,
    IsOnThePhone,
    IsUnavailable,
    Instructions,
    Beep,
}

fn status_phrase(status: Status) -> Heard {
    match status {
        Status::OnThePhone => Heard::IsOnThePhone,
        Status::Unavailable => Heard::IsUnavailable,
    }
}

/// app_voicemail's greeting logic: `temp` replaces the option's file whenever it exists; with
/// `b`/`u` a missing file is replaced by `invent_message` (greet, or "the person at extension
/// …", then the status phrase); no option and no temp plays nothing; `s` skips the
/// instructions and the beep.
fn app_voicemail(options: &str, existing: GreetingSet) -> Vec<Heard> {
    let busy = options.contains('b');
    let unavail = options.contains('u');
    let mut heard = Vec::new();
    let prefile = if existing.contains(GreetingKind::Temp) {
        Some(GreetingKind::Temp)
    } else if busy {
        Some(GreetingKind::Busy)
    } else if unavail {
        Some(GreetingKind::Unavail)
    } else {
        None
    };
    if let Some(file) = prefile {
        if existing.contains(file) {
            heard.push(Heard::Recording(file));
        } else {
            if existing.contains(GreetingKind::Greet) {
                heard.push(Heard::Recording(GreetingKind::Greet));
            } else {
                heard.push(Heard::ThePersonAtExtension);
            }
            heard.push(if busy {
                Heard::IsOnThePhone
            } else {
                Heard::IsUnavailable
            });
        }
    }
    if !options.contains('s') {
        heard.push(Heard::Instructions);
        heard.push(Heard::Beep);
    }
    heard
}

/// The `[ringside-voicemail]` context: play what the decision says, then `VoiceMail`.
fn dialplan(decision: &Decision, existing: GreetingSet) -> Vec<Heard> {
    let mut heard = Vec::new();
    match decision.play {
        // Playback of a missing file plays nothing.
        Some(Announcement::Recorded(kind)) if existing.contains(kind) => {
            heard.push(Heard::Recording(kind));
        }
        Some(Announcement::Recorded(_)) | None => {}
        Some(Announcement::SystemDefault(status)) => {
            heard.push(Heard::ThePersonAtExtension);
            heard.push(status_phrase(status));
        }
    }
    heard.extend(app_voicemail(decision.vm_options, existing));
    heard
}

/// The rule, stated on its own: temp > busy/unavail > greet > Asterisk's default.
fn rule(reason: Reason, existing: GreetingSet) -> Announcement {
    use GreetingKind::{Busy, Greet, Temp, Unavail};
    let has = |k| existing.contains(k);
    let recorded = Announcement::Recorded;
    match reason {
        _ if has(Temp) => recorded(Temp),
        Reason::Busy if has(Busy) => recorded(Busy),
        Reason::Unavailable if has(Unavail) => recorded(Unavail),
        _ if has(Greet) => recorded(Greet),
        Reason::Busy => Announcement::SystemDefault(Status::OnThePhone),
        Reason::Unavailable | Reason::NoAnswer => Announcement::SystemDefault(Status::Unavailable),
    }
}

/// The greeting sequences that count as hearing `expected` once: the recording alone, the
/// name recording (`greet`) completed by the reason's status phrase as app_voicemail does, or
/// the default with the reason's status phrase.
fn acceptable_greetings(expected: Announcement, reason: Reason) -> Vec<Vec<Heard>> {
    let phrase = match reason {
        Reason::Busy => Heard::IsOnThePhone,
        Reason::Unavailable | Reason::NoAnswer => Heard::IsUnavailable,
    };
    match expected {
        Announcement::Recorded(GreetingKind::Greet) => vec![
            vec![Heard::Recording(GreetingKind::Greet)],
            vec![Heard::Recording(GreetingKind::Greet), phrase],
        ],
        Announcement::Recorded(kind) => vec![vec![Heard::Recording(kind)]],
        Announcement::SystemDefault(status) => {
            vec![vec![Heard::ThePersonAtExtension, status_phrase(status)]]
        }
    }
}

fn all_cases() -> Vec<(Reason, GreetingSet)> {
    Reason::ALL
        .into_iter()
        .flat_map(|r| GreetingSet::all_subsets().map(move |s| (r, s)))
        .collect()
}

fn describe(set: GreetingSet) -> String {
    let names: Vec<_> = set.iter().map(|k| k.file_stem()).collect();
    format!("{{{}}}", names.join(","))
}

#[test]
fn there_are_48_cases() {
    assert_eq!(all_cases().len(), 48);
}

#[test]
fn every_case_plays_the_rules_greeting_once_then_instructions_and_beep() {
    let mut failures = Vec::new();
    for (reason, existing) in all_cases() {
        let decision = choose(reason, existing);
        let heard = dialplan(&decision, existing);
        let expected = rule(reason, existing);
        let ok = heard.ends_with(&[Heard::Instructions, Heard::Beep])
            && acceptable_greetings(expected, reason)
                .iter()
                .any(|greeting| heard[..heard.len() - 2] == greeting[..]);
        if !ok {
            failures.push(format!(
                "{reason:?} with {}: decision {decision:?} makes the caller hear {heard:?}, \
                 rule says {expected:?}",
                describe(existing)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_case_reports_the_rules_greeting_as_heard() {
    let mut failures = Vec::new();
    for (reason, existing) in all_cases() {
        let decision = choose(reason, existing);
        if decision.heard != rule(reason, existing) {
            failures.push(format!(
                "{reason:?} with {}: heard {:?}, rule {:?}",
                describe(existing),
                decision.heard,
                rule(reason, existing)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn no_case_passes_the_s_option() {
    for (reason, existing) in all_cases() {
        let decision = choose(reason, existing);
        assert!(
            !decision.vm_options.contains('s'),
            "{reason:?} {}",
            describe(existing)
        );
    }
}

/// The model must be able to tell a wrong dialplan from a right one: playing the greeting
/// ourselves and passing `s` loses the instructions and the beep.
#[test]
fn model_rejects_playing_the_greeting_ourselves_with_option_s() {
    let existing: GreetingSet = [GreetingKind::Busy].into_iter().collect();
    let naive = Decision {
        heard: Announcement::Recorded(GreetingKind::Busy),
        play: Some(Announcement::Recorded(GreetingKind::Busy)),
        vm_options: "s",
    };
    assert_eq!(
        dialplan(&naive, existing),
        vec![Heard::Recording(GreetingKind::Busy)]
    );
}

/// … and playing it ourselves while also passing `b` plays it twice.
#[test]
fn model_hears_a_greeting_twice_when_both_dialplan_and_voicemail_play_it() {
    let existing: GreetingSet = [GreetingKind::Busy].into_iter().collect();
    let doubled = Decision {
        heard: Announcement::Recorded(GreetingKind::Busy),
        play: Some(Announcement::Recorded(GreetingKind::Busy)),
        vm_options: "b",
    };
    assert_eq!(
        dialplan(&doubled, existing),
        vec![
            Heard::Recording(GreetingKind::Busy),
            Heard::Recording(GreetingKind::Busy),
            Heard::Instructions,
            Heard::Beep
        ]
    );
}
