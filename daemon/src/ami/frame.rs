//! AMI framing: the banner line, `Key: Value` messages ended by an empty line, and actions
//! written out. Pure: bytes in, messages out; no socket.
//!
//! Asterisk ends every line with `\r\n`, but a few modules put a bare `\n` inside a value
//! (app_voicemail answers `Message: Message move successful\n` followed by the usual
//! `\r\n\r\n`). So lines are split on `\n` with a trailing `\r` dropped, and empty lines
//! seen while no header is pending are skipped instead of read as empty messages.
//!
//! Not here: what a message means (see [`super::message`]) or which action it answers.

use std::fmt::Write as _;

/// The longest line accepted; Asterisk's own header limit is far below it.
pub const MAX_LINE: usize = 8 * 1024;
/// The most headers accepted in one message.
pub const MAX_HEADERS: usize = 256;

/// One message as sent on the wire: headers in their order, names as Asterisk spelled them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Message {
    pub headers: Vec<(String, String)>,
}

impl Message {
    pub fn new() -> Self {
        Self::default()
    }

    /// The first value of a header; names compare without regard to case, as Asterisk does.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn with(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    pub fn action_id(&self) -> Option<&str> {
        self.get("ActionID")
    }
}

/// Why bytes from the manager cannot be read as AMI.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("the peer is not an Asterisk manager (first line {0:?})")]
    NotAManager(String),
    #[error("a line of the manager is longer than {MAX_LINE} bytes")]
    LineTooLong,
    #[error("a message of the manager has more than {MAX_HEADERS} headers")]
    TooManyHeaders,
}

/// Why an action cannot be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("AMI header {name} must be one line without control characters")]
pub struct BadHeader {
    pub name: String,
}

/// The version in `Asterisk Call Manager/11.0.0`.
pub fn parse_banner(line: &str) -> Result<String, FrameError> {
    let line = line.trim_end_matches(['\r', '\n']);
    line.strip_prefix("Asterisk Call Manager/")
        .map(str::to_owned)
        .ok_or_else(|| FrameError::NotAManager(line.chars().take(80).collect()))
}

/// Writes an action; a value with a line break would let one field smuggle in another
/// header (or a whole action), so it is refused rather than escaped.
pub fn encode(message: &Message) -> Result<Vec<u8>, BadHeader> {
    let mut out = String::new();
    for (name, value) in &message.headers {
        let clean = |s: &str| !s.chars().any(char::is_control);
        if name.is_empty() || !clean(name) || name.contains(':') || !clean(value) {
            return Err(BadHeader { name: name.clone() });
        }
        let _ = write!(out, "{name}: {value}\r\n");
    }
    out.push_str("\r\n");
    Ok(out.into_bytes())
}

/// Incremental reader: feed it bytes as they arrive, take out complete messages.
#[derive(Debug, Default)]
pub struct Decoder {
    buffer: Vec<u8>,
    banner_seen: bool,
    pending: Message,
}

/// What the decoder found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// The first line of the connection, with the protocol version.
    Banner(String),
    Message(Message),
}

impl Decoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// A decoder for a stream whose banner was already read (the simulator's side).
    pub fn without_banner() -> Self {
        Self {
            banner_seen: true,
            ..Self::default()
        }
    }

    pub fn push(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    /// The next complete frame, `Ok(None)` when more bytes are needed.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, FrameError> {
        loop {
            let Some(end) = self.buffer.iter().position(|&b| b == b'\n') else {
                if self.buffer.len() > MAX_LINE {
                    return Err(FrameError::LineTooLong);
                }
                return Ok(None);
            };
            if end > MAX_LINE {
                return Err(FrameError::LineTooLong);
            }
            let raw: Vec<u8> = self.buffer.drain(..=end).collect();
            let line = String::from_utf8_lossy(&raw[..end]);
            let line = line.strip_suffix('\r').unwrap_or(&line);
            if !self.banner_seen {
                self.banner_seen = true;
                return parse_banner(line).map(|v| Some(Frame::Banner(v)));
            }
            if line.is_empty() {
                if self.pending.headers.is_empty() {
                    continue;
                }
                return Ok(Some(Frame::Message(std::mem::take(&mut self.pending))));
            }
            if self.pending.headers.len() >= MAX_HEADERS {
                return Err(FrameError::TooManyHeaders);
            }
            let (name, value) = match line.split_once(':') {
                Some((name, value)) => (name.trim(), value.trim()),
                // Output of `Command` has lines without a colon; keep them rather than fail.
                None => ("", line.trim()),
            };
            self.pending
                .headers
                .push((name.to_owned(), value.to_owned()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(bytes: &[u8]) -> Vec<Frame> {
        let mut d = Decoder::new();
        d.push(bytes);
        let mut out = Vec::new();
        while let Some(f) = d.next_frame().expect("valid") {
            out.push(f);
        }
        out
    }

    #[test]
    fn banner_gives_the_protocol_version() {
        assert_eq!(
            all(b"Asterisk Call Manager/11.0.0\r\n"),
            vec![Frame::Banner("11.0.0".into())]
        );
    }

    #[test]
    fn a_peer_that_is_not_a_manager_is_refused_by_its_first_line() {
        let mut d = Decoder::new();
        d.push(b"HTTP/1.1 400 Bad Request\r\n");
        assert!(matches!(d.next_frame(), Err(FrameError::NotAManager(_))));
    }

    #[test]
    fn a_message_ends_at_the_empty_line() {
        let frames = all(b"Asterisk Call Manager/11.0.0\r\nResponse: Success\r\nActionID: a\r\nMessage: Authentication accepted\r\n\r\n");
        let Frame::Message(m) = &frames[1] else {
            panic!("{frames:?}")
        };
        assert_eq!(m.get("response"), Some("Success"));
        assert_eq!(m.action_id(), Some("a"));
        assert_eq!(m.get("Message"), Some("Authentication accepted"));
    }

    #[test]
    fn a_bare_line_feed_inside_a_value_does_not_make_an_extra_message() {
        let frames = all(b"Asterisk Call Manager/11.0.0\r\nResponse: Success\r\nActionID: mv\r\nMessage: Message move failed\n\r\n\r\nResponse: Success\r\nActionID: next\r\n\r\n");
        assert_eq!(frames.len(), 3, "{frames:?}");
        let Frame::Message(m) = &frames[1] else {
            panic!()
        };
        assert_eq!(m.get("Message"), Some("Message move failed"));
    }

    #[test]
    fn a_message_split_across_reads_is_put_back_together() {
        let mut d = Decoder::without_banner();
        d.push(b"Response: Succ");
        assert_eq!(d.next_frame(), Ok(None));
        d.push(b"ess\r\n\r\n");
        assert!(matches!(d.next_frame(), Ok(Some(Frame::Message(_)))));
    }

    #[test]
    fn an_endless_line_is_refused_instead_of_buffered() {
        let mut d = Decoder::without_banner();
        d.push(&vec![b'x'; MAX_LINE + 10]);
        assert_eq!(d.next_frame(), Err(FrameError::LineTooLong));
    }

    #[test]
    fn encoding_writes_crlf_lines_and_an_empty_line() {
        let bytes = encode(
            &Message::new()
                .with("Action", "Ping")
                .with("ActionID", "p-1"),
        )
        .expect("valid");
        assert_eq!(bytes, b"Action: Ping\r\nActionID: p-1\r\n\r\n");
    }

    #[test]
    fn a_value_with_a_line_break_is_refused() {
        let err = encode(&Message::new().with("Mailbox", "1001\r\nAction: Logoff"))
            .expect_err("header injection");
        assert_eq!(err.name, "Mailbox");
    }
}
