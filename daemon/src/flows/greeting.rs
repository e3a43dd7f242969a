//! The FastAGI `greeting` script: tells the dialplan which greeting the caller hears (the
//! pure rule in [`crate::voicemail::greeting_rule`]) and how to make app_voicemail play exactly
//! that one, as channel variables.
//!
//! Not here: the rule itself or the greeting files ([`crate::voicemail`]).

use crate::agi::{AgiError, AgiHandler, AgiSession};
use crate::voicemail::greeting_rule::{Announcement, Decision, Reason, choose};
use crate::voicemail::greetings::{GreetingFiles, Mailbox};

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
    use crate::voicemail::greeting_rule::{GreetingKind, GreetingSet};
    use GreetingKind::{Greet, Unavail};

    fn set(kinds: &[GreetingKind]) -> GreetingSet {
        kinds.iter().copied().collect()
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
