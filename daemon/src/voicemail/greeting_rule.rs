//! Which voicemail greeting a caller hears: the four greetings a mailbox can have and the
//! rule that picks one, as a pure function of the call's reason and the greetings that exist.
//!
//! The rule: temp > busy/unavail (by reason) > greet > Asterisk's own default ("the person at
//! extension … is on the phone / is unavailable"). app_voicemail itself plays `temp` whenever
//! it exists; with option `b`/`u` it plays `busy`/`unavail`, falling back to `greet` followed
//! by "is on the phone"/"is unavailable", or to the default; with neither option and no temp
//! it plays no greeting. The decision leans on that behaviour and asks the dialplan to play a
//! greeting itself only where no option makes app_voicemail play the right one.
//!
//! Not here: the greeting files ([`super::greetings`]) or the FastAGI script that reports the
//! decision to the dialplan (`flows::greeting`).

use std::fmt;

/// The four greetings a mailbox can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GreetingKind {
    Temp,
    Busy,
    Unavail,
    Greet,
}

impl GreetingKind {
    pub const ALL: [GreetingKind; 4] = [Self::Temp, Self::Busy, Self::Unavail, Self::Greet];

    /// The file name app_voicemail uses, without extension.
    pub fn file_stem(self) -> &'static str {
        match self {
            Self::Temp => "temp",
            Self::Busy => "busy",
            Self::Unavail => "unavail",
            Self::Greet => "greet",
        }
    }

    /// Reads a greeting name (`temp`, `busy`, `unavail`/`unavailable`, `greet`/`name`).
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "temp" => Some(Self::Temp),
            "busy" => Some(Self::Busy),
            "unavail" | "unavailable" => Some(Self::Unavail),
            "greet" | "name" => Some(Self::Greet),
            _ => None,
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for GreetingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.file_stem())
    }
}

/// Which of the four greetings exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct GreetingSet(u8);

impl GreetingSet {
    pub const EMPTY: GreetingSet = GreetingSet(0);

    pub fn contains(self, kind: GreetingKind) -> bool {
        self.0 & kind.bit() != 0
    }

    pub fn insert(&mut self, kind: GreetingKind) {
        self.0 |= kind.bit();
    }

    pub fn iter(self) -> impl Iterator<Item = GreetingKind> {
        GreetingKind::ALL
            .into_iter()
            .filter(move |k| self.contains(*k))
    }

    /// All 16 subsets of the four greetings.
    pub fn all_subsets() -> impl Iterator<Item = GreetingSet> {
        (0..16u8).map(|bits| {
            GreetingKind::ALL
                .into_iter()
                .enumerate()
                .filter(|(i, _)| bits & (1 << i) != 0)
                .map(|(_, k)| k)
                .collect()
        })
    }
}

impl FromIterator<GreetingKind> for GreetingSet {
    fn from_iter<I: IntoIterator<Item = GreetingKind>>(iter: I) -> Self {
        let mut set = Self::EMPTY;
        for kind in iter {
            set.insert(kind);
        }
        set
    }
}

/// Why the call goes to voicemail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reason {
    /// The user is busy or has do-not-disturb on.
    Busy,
    /// The user's device is not registered.
    Unavailable,
    /// Nobody answered.
    NoAnswer,
}

impl Reason {
    pub const ALL: [Reason; 3] = [Reason::Busy, Reason::Unavailable, Reason::NoAnswer];

    /// Reads `busy`, `unavailable` or `no_answer`; also Asterisk's `DIALSTATUS` spellings
    /// (`BUSY`, `CHANUNAVAIL`, `NOANSWER`) and `dnd`, so a dialplan may pass those directly.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "busy" | "dnd" => Some(Self::Busy),
            "unavailable" | "unavail" | "chanunavail" => Some(Self::Unavailable),
            "no_answer" | "noanswer" => Some(Self::NoAnswer),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Busy => "busy",
            Self::Unavailable => "unavailable",
            Self::NoAnswer => "no_answer",
        }
    }
}

/// The phrase Asterisk's default greeting ends with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// `vm-isonphone`: "… is on the phone".
    OnThePhone,
    /// `vm-isunavail`: "… is unavailable".
    Unavailable,
}

impl Status {
    /// The Asterisk core sound that says it.
    pub fn sound(self) -> &'static str {
        match self {
            Self::OnThePhone => "vm-isonphone",
            Self::Unavailable => "vm-isunavail",
        }
    }
}

/// A greeting as the caller hears it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Announcement {
    /// One of the mailbox's recorded greetings.
    Recorded(GreetingKind),
    /// Asterisk's default: "the person at extension <digits>" and the status phrase.
    SystemDefault(Status),
}

/// What the dialplan must do so the caller hears [`Decision::heard`] exactly once, followed
/// by the voicemail instructions and the beep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// The greeting the rule picks.
    pub heard: Announcement,
    /// Played by the dialplan before `VoiceMail`, when no option makes app_voicemail play it.
    pub play: Option<Announcement>,
    /// Options for `VoiceMail(mailbox@context,<options>)`: `b`, `u` or none. Never `s`,
    /// which would also drop the instructions the caller needs.
    pub vm_options: &'static str,
}

/// The greeting rule, as a pure function of the reason and the files that exist.
pub fn choose(reason: Reason, existing: GreetingSet) -> Decision {
    use GreetingKind::{Busy, Greet, Temp, Unavail};
    // app_voicemail plays temp whatever the option; the reason's option still decides what a
    // caller gets should temp vanish between this decision and VoiceMail().
    let reason_option = match reason {
        Reason::Busy => "b",
        Reason::Unavailable => "u",
        Reason::NoAnswer => "",
    };
    if existing.contains(Temp) {
        return Decision {
            heard: Announcement::Recorded(Temp),
            play: None,
            vm_options: reason_option,
        };
    }
    let by_voicemail = |heard| Decision {
        heard,
        play: None,
        vm_options: reason_option,
    };
    let by_dialplan = |heard| Decision {
        heard,
        play: Some(heard),
        vm_options: "",
    };
    let recorded_or = |specific, status| {
        if existing.contains(specific) {
            Announcement::Recorded(specific)
        } else if existing.contains(Greet) {
            Announcement::Recorded(Greet)
        } else {
            Announcement::SystemDefault(status)
        }
    };
    match reason {
        // `b`/`u` fall back exactly like the rule: specific, then greet, then the default.
        Reason::Busy => by_voicemail(recorded_or(Busy, Status::OnThePhone)),
        Reason::Unavailable => by_voicemail(recorded_or(Unavail, Status::Unavailable)),
        Reason::NoAnswer if existing.contains(Greet) => by_dialplan(Announcement::Recorded(Greet)),
        // `u` without an unavail file invents "the person at extension … is unavailable".
        Reason::NoAnswer if !existing.contains(Unavail) => Decision {
            heard: Announcement::SystemDefault(Status::Unavailable),
            play: None,
            vm_options: "u",
        },
        // Here `u` would play unavail and `b` would say "is on the phone".
        Reason::NoAnswer => by_dialplan(Announcement::SystemDefault(Status::Unavailable)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use GreetingKind::{Busy, Greet, Temp, Unavail};

    fn set(kinds: &[GreetingKind]) -> GreetingSet {
        kinds.iter().copied().collect()
    }

    #[test]
    fn temp_wins_over_everything_and_keeps_the_reason_option() {
        let d = choose(Reason::Busy, set(&[Temp, Busy, Greet]));
        assert_eq!(d.heard, Announcement::Recorded(Temp));
        assert_eq!((d.play, d.vm_options), (None, "b"));
    }

    #[test]
    fn busy_without_busy_greeting_lets_voicemail_fall_back_to_greet() {
        let d = choose(Reason::Busy, set(&[Greet, Unavail]));
        assert_eq!(d.heard, Announcement::Recorded(Greet));
        assert_eq!((d.play, d.vm_options), (None, "b"));
    }

    #[test]
    fn unavailable_with_nothing_recorded_is_the_system_default() {
        let d = choose(Reason::Unavailable, GreetingSet::EMPTY);
        assert_eq!(d.heard, Announcement::SystemDefault(Status::Unavailable));
        assert_eq!((d.play, d.vm_options), (None, "u"));
    }

    #[test]
    fn no_answer_with_greet_is_played_by_the_dialplan() {
        let d = choose(Reason::NoAnswer, set(&[Greet, Unavail, Busy]));
        assert_eq!(d.play, Some(Announcement::Recorded(Greet)));
        assert_eq!(d.vm_options, "");
    }

    #[test]
    fn no_answer_with_only_unavail_gets_the_default_from_the_dialplan() {
        let d = choose(Reason::NoAnswer, set(&[Unavail]));
        assert_eq!(
            d.play,
            Some(Announcement::SystemDefault(Status::Unavailable))
        );
        assert_eq!(d.vm_options, "");
    }

    #[test]
    fn reasons_parse_from_ours_and_from_dialstatus() {
        assert_eq!(Reason::parse("busy"), Some(Reason::Busy));
        assert_eq!(Reason::parse("DND"), Some(Reason::Busy));
        assert_eq!(Reason::parse("CHANUNAVAIL"), Some(Reason::Unavailable));
        assert_eq!(Reason::parse("no_answer"), Some(Reason::NoAnswer));
        assert_eq!(Reason::parse("NOANSWER"), Some(Reason::NoAnswer));
        assert_eq!(Reason::parse("lunch"), None);
    }
}
