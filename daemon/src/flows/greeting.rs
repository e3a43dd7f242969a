//! Which voicemail greeting a caller hears, and how the dialplan makes app_voicemail play
//! exactly that one: a pure decision ([`choose`]) plus the FastAGI handler for the
//! `greeting` script that reports it as channel variables.
//!
//! The rule: temp > busy/unavail (by reason) > greet > Asterisk's own default ("the person at
//! extension … is on the phone / is unavailable"). app_voicemail itself plays `temp` whenever
//! it exists; with option `b`/`u` it plays `busy`/`unavail`, falling back to `greet` followed
//! by "is on the phone"/"is unavailable", or to the default; with neither option and no temp
//! it plays no greeting. The decision leans on that behaviour and asks the dialplan to play a
//! greeting itself only where no option makes app_voicemail play the right one.
//!
//! Not here: the greeting files themselves ([`crate::greetings`]).

use crate::agi::{AgiError, AgiHandler, AgiSession};
use crate::greetings::{GreetingFiles, GreetingKind, GreetingSet, Mailbox};

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

/// Channel variable: full path (no extension) of a recorded greeting to `Playback`, or empty.
pub const VAR_GREETING: &str = "RINGSIDE_GREETING";
/// Channel variable: the status sound to end Asterisk's default greeting with when the dialplan
/// must play it itself (`Playback(vm-theperson)`, `SayDigits(${EXTEN})`, `Playback(<this>)`).
pub const VAR_GREETING_DEFAULT: &str = "RINGSIDE_GREETING_DEFAULT";
/// Channel variable: `<mailbox>@<context>` for `VoiceMail`, so it opens the very mailbox whose
/// files the decision looked at.
pub const VAR_VM_MAILBOX: &str = "RINGSIDE_VM_MAILBOX";
/// Channel variable: the `VoiceMail` options.
pub const VAR_VM_OPTS: &str = "RINGSIDE_VM_OPTS";
/// Channel variable set last: `OK` once the others are set, `ERROR` when the request was bad.
/// FastAGI reports `AGISTATUS=SUCCESS` even when the server closes early, so the dialplan
/// checks this instead.
pub const VAR_STATUS: &str = "RINGSIDE_GREETING_STATUS";

/// The channel variables that carry `decision` to the dialplan, in the order to set them.
pub fn channel_variables(
    decision: &Decision,
    files: &GreetingFiles,
    mailbox: &Mailbox,
) -> Vec<(&'static str, String)> {
    let (greeting, default) = match decision.play {
        Some(Announcement::Recorded(kind)) => (
            files.greeting_base(mailbox, kind).display().to_string(),
            String::new(),
        ),
        Some(Announcement::SystemDefault(status)) => (String::new(), status.sound().to_owned()),
        None => (String::new(), String::new()),
    };
    vec![
        (VAR_GREETING, greeting),
        (VAR_GREETING_DEFAULT, default),
        (VAR_VM_MAILBOX, format!("{mailbox}@{}", files.context())),
        (VAR_VM_OPTS, decision.vm_options.to_owned()),
        (VAR_STATUS, "OK".to_owned()),
    ]
}

/// The FastAGI handler for `agi://…/greeting,<mailbox>,<reason>`.
#[derive(Debug, Clone)]
pub struct GreetingHandler {
    files: GreetingFiles,
}

impl GreetingHandler {
    pub fn new(files: GreetingFiles) -> Self {
        Self { files }
    }
}

#[async_trait::async_trait]
impl AgiHandler for GreetingHandler {
    async fn handle(&self, session: &mut AgiSession) -> Result<(), AgiError> {
        let raw_mailbox = session.request().arg(1).unwrap_or("").to_owned();
        let raw_reason = session.request().arg(2).unwrap_or("").to_owned();
        let mailbox = match Mailbox::parse(&raw_mailbox) {
            Ok(mailbox) => mailbox,
            Err(err) => {
                session.set_variable(VAR_STATUS, "ERROR").await?;
                return Err(AgiError::Handler(err.to_string()));
            }
        };
        let reason = Reason::parse(&raw_reason).unwrap_or_else(|| {
            tracing::warn!(
                mailbox = %mailbox,
                reason = %raw_reason,
                "unknown voicemail reason, treating it as no_answer"
            );
            Reason::NoAnswer
        });
        let files = self.files.clone();
        let lookup = mailbox.clone();
        let existing = tokio::task::spawn_blocking(move || files.existing(&lookup))
            .await
            .map_err(|err| AgiError::Handler(format!("greeting lookup failed: {err}")))?;
        let existing = match existing {
            Ok(existing) => existing,
            Err(err) => {
                session.set_variable(VAR_STATUS, "ERROR").await?;
                return Err(AgiError::Handler(err.to_string()));
            }
        };
        let decision = choose(reason, existing);
        tracing::debug!(mailbox = %mailbox, reason = reason.as_str(), ?decision, "greeting chosen");
        for (name, value) in channel_variables(&decision, &self.files, &mailbox) {
            session.set_variable(name, &value).await?;
        }
        Ok(())
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

    #[test]
    fn variables_name_the_greeting_path_and_end_with_ok() {
        let files = GreetingFiles::new("/spool/voicemail", "default").expect("valid context");
        let mailbox = Mailbox::parse("1001").expect("digits");
        let d = choose(Reason::NoAnswer, set(&[Greet]));
        assert_eq!(
            channel_variables(&d, &files, &mailbox),
            vec![
                (
                    VAR_GREETING,
                    "/spool/voicemail/default/1001/greet".to_owned()
                ),
                (VAR_GREETING_DEFAULT, String::new()),
                (VAR_VM_MAILBOX, "1001@default".to_owned()),
                (VAR_VM_OPTS, String::new()),
                (VAR_STATUS, "OK".to_owned()),
            ]
        );
    }

    #[test]
    fn variables_for_a_dialplan_default_name_the_status_sound() {
        let files = GreetingFiles::new("/spool/voicemail", "default").expect("valid context");
        let mailbox = Mailbox::parse("1001").expect("digits");
        let d = choose(Reason::NoAnswer, set(&[Unavail]));
        let vars = channel_variables(&d, &files, &mailbox);
        assert_eq!(vars[0], (VAR_GREETING, String::new()));
        assert_eq!(vars[1], (VAR_GREETING_DEFAULT, "vm-isunavail".to_owned()));
    }
}
