//! app_voicemail's `msgNNNN.txt`: the `[message]` section of `key=value` lines describing
//! one recorded message (`origtime`, `callerid`, `duration`, `flag`, `msg_id`, …).
//!
//! Pure and tolerant: a truncated or garbled file gives whatever fields could be read, and
//! only a file without a usable `msg_id` is refused (without it the message cannot be
//! addressed through the manager, so it cannot be acted on safely). Not here: reading the
//! file from disk or finding its recording.

/// The fields of one message Ringside shows and acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageInfo {
    /// The stable id app_voicemail gives each message (kept when files are renumbered).
    pub msg_id: String,
    pub caller_name: String,
    pub caller_number: String,
    /// Unix seconds the message was left (`origtime`).
    pub origtime: Option<i64>,
    /// The server's own text for that time (`origdate`), as Asterisk shows it.
    pub origdate: String,
    pub duration_secs: Option<u32>,
    /// `flag=Urgent`.
    pub urgent: bool,
}

/// Why a message file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageFileError {
    #[error("the message file has no msg_id")]
    NoMsgId,
    #[error("the message file's msg_id {0:?} is not a valid id")]
    BadMsgId(String),
}

/// The longest msg_id accepted (Asterisk's are 20 characters: `<origtime>-<8 hex digits>`).
pub const MAX_MSG_ID: usize = 64;

/// Whether `id` can be a msg_id: it travels in manager headers and URLs, so only plain
/// characters are accepted.
pub fn is_valid_msg_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_MSG_ID
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

/// Splits `"Alice Example" <1001>` into name and number; a bare number or name is kept as
/// such. Asterisk writes `Unknown` for a caller without id.
pub fn split_caller_id(text: &str) -> (String, String) {
    let text = text.trim();
    let bracketed = text
        .rfind('<')
        .and_then(|open| text[open..].find('>').map(|close| (open, open + close)));
    if let Some((open, close)) = bracketed {
        let number = text[open + 1..close].trim().to_owned();
        let name = text[..open].trim().trim_matches('"').trim().to_owned();
        return (name, number);
    }
    let unquoted = text.trim_matches('"').trim();
    if !unquoted.is_empty()
        && unquoted
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '*' | '#'))
    {
        (String::new(), unquoted.to_owned())
    } else {
        (unquoted.to_owned(), String::new())
    }
}

/// Parses the text of a `msgNNNN.txt` (lossily decoded bytes are fine).
pub fn parse(text: &str) -> Result<MessageInfo, MessageFileError> {
    let mut in_message = false;
    let mut msg_id = None;
    let mut callerid = String::new();
    let mut origtime = None;
    let mut origdate = String::new();
    let mut duration = None;
    let mut urgent = false;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with(';') {
            continue;
        }
        if line.starts_with('[') {
            in_message = line.eq_ignore_ascii_case("[message]");
            continue;
        }
        if !in_message {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.trim();
        match key.trim() {
            "msg_id" => msg_id = Some(value.to_owned()),
            "callerid" => callerid = value.to_owned(),
            "origtime" => origtime = value.parse().ok(),
            "origdate" => origdate = value.to_owned(),
            "duration" => duration = value.parse().ok(),
            "flag" => urgent = value.eq_ignore_ascii_case("urgent"),
            _ => {}
        }
    }
    let msg_id = msg_id.ok_or(MessageFileError::NoMsgId)?;
    if !is_valid_msg_id(&msg_id) {
        return Err(MessageFileError::BadMsgId(
            msg_id.chars().take(80).collect(),
        ));
    }
    let (caller_name, caller_number) = split_caller_id(&callerid);
    Ok(MessageInfo {
        msg_id,
        caller_name,
        caller_number,
        origtime,
        origdate,
        duration_secs: duration,
        urgent,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const REAL: &str = ";\n; Message Information file\n;\n[message]\norigmailbox=1003\ncontext=default\nmacrocontext=\nexten=1003\nrdnis=unknown\npriority=2\ncallerchan=Local/1003@vm-00000001;2\ncallerid=\"Caller 5550001\" <5550001>\norigdate=Sat Dec  5 10:40:22 PM UTC 2026\norigtime=1796510422\ncategory=\nmsg_id=1796510422-00000000\nflag=\nduration=16\n";

    #[test]
    fn a_complete_file_gives_every_field() {
        let info = parse(REAL).expect("valid");
        assert_eq!(info.msg_id, "1796510422-00000000");
        assert_eq!(info.caller_name, "Caller 5550001");
        assert_eq!(info.caller_number, "5550001");
        assert_eq!(info.origtime, Some(1_796_510_422));
        assert_eq!(info.origdate, "Sat Dec  5 10:40:22 PM UTC 2026");
        assert_eq!(info.duration_secs, Some(16));
        assert!(!info.urgent);
    }

    #[test]
    fn a_truncated_file_keeps_what_it_has() {
        let cut = &REAL[..REAL.find("flag=").expect("flag")];
        let info = parse(cut).expect("msg_id is there");
        assert_eq!(info.duration_secs, None);
        assert_eq!(info.origtime, Some(1_796_510_422));
    }

    #[test]
    fn a_file_cut_before_the_msg_id_is_refused() {
        let cut = &REAL[..REAL.find("msg_id").expect("msg_id")];
        assert_eq!(parse(cut), Err(MessageFileError::NoMsgId));
    }

    #[test]
    fn garbage_is_refused_without_panicking() {
        assert_eq!(
            parse("\u{0}\u{1}garbage==\n[[[\n"),
            Err(MessageFileError::NoMsgId)
        );
    }

    #[test]
    fn a_msg_id_that_could_inject_headers_is_refused() {
        let text = "[message]\nmsg_id=1: x\n";
        assert!(matches!(parse(text), Err(MessageFileError::BadMsgId(_))));
    }

    #[test]
    fn keys_outside_the_message_section_are_ignored() {
        let text = "[other]\nmsg_id=wrong\n[message]\nmsg_id=right\n";
        assert_eq!(parse(text).expect("valid").msg_id, "right");
    }

    #[test]
    fn urgent_flag_is_read() {
        let text = "[message]\nmsg_id=1-2\nflag=Urgent\n";
        assert!(parse(text).expect("valid").urgent);
    }

    #[test]
    fn caller_id_forms_are_split() {
        assert_eq!(
            split_caller_id("\"Alice\" <1001>"),
            ("Alice".into(), "1001".into())
        );
        assert_eq!(split_caller_id("<1001>"), (String::new(), "1001".into()));
        assert_eq!(
            split_caller_id("5550001"),
            (String::new(), "5550001".into())
        );
        assert_eq!(
            split_caller_id("Unknown"),
            ("Unknown".into(), String::new())
        );
    }
}
