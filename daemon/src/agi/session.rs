//! One FastAGI session on one connection: reads the request header, then sends commands and
//! reads their replies, with a line-length cap and timeouts so a misbehaving peer can neither
//! stall nor exhaust the daemon.
//!
//! Not the server (accepting, routing, limits on sessions): that is [`super::server`]. The
//! session works over any byte stream, so it is tested without a socket.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};

use super::protocol::{self, ProtocolError, Reply, ReplyLine, Request};

/// A byte stream a session can run over (a TCP connection, or an in-memory pipe in tests).
pub trait AgiStream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> AgiStream for T {}

/// Bounds on what one peer may make a session wait for or buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLimits {
    /// The whole request header must arrive within this time.
    pub header_timeout: Duration,
    /// Each reply to a command must arrive within this time (Asterisk answers most at once;
    /// commands that play audio take as long as the audio).
    pub reply_timeout: Duration,
    /// Longest line accepted from the peer, in bytes, without the newline.
    pub max_line: usize,
    /// Most `agi_*` lines accepted in a header (Asterisk sends about 25 plus the arguments).
    pub max_header_lines: usize,
}

impl Default for SessionLimits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            reply_timeout: Duration::from_secs(30),
            max_line: 8 * 1024,
            max_header_lines: 512,
        }
    }
}

/// Why a session could not go on.
#[derive(Debug, thiserror::Error)]
pub enum AgiError {
    #[error("connection error: {0}")]
    Io(#[from] std::io::Error),
    #[error("peer closed the connection while we waited for {0}")]
    Closed(&'static str),
    #[error("peer sent nothing usable within {timeout:?} while we waited for {waiting_for}")]
    Timeout {
        waiting_for: &'static str,
        timeout: Duration,
    },
    #[error("peer sent a line longer than {max} bytes")]
    LineTooLong { max: usize },
    #[error("peer sent a line that is not UTF-8")]
    NotUtf8,
    #[error("request header has more than {max} lines")]
    HeaderTooLong { max: usize },
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    #[error("variable name {0:?} is not a valid channel variable name")]
    BadVariableName(String),
    #[error("command `{command}` was refused: {reply:?}")]
    Refused { command: String, reply: Reply },
    #[error("{0}")]
    Handler(String),
}

/// An open FastAGI session: the request that started it and the channel to talk to Asterisk.
pub struct AgiSession {
    stream: BufReader<Box<dyn AgiStream>>,
    request: Request,
    limits: SessionLimits,
    hung_up: bool,
}

impl std::fmt::Debug for AgiSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgiSession")
            .field("request", &self.request)
            .field("hung_up", &self.hung_up)
            .finish_non_exhaustive()
    }
}

impl AgiSession {
    /// Reads the request header (up to the blank line) from a freshly accepted stream.
    pub async fn open(
        stream: impl AgiStream + 'static,
        limits: SessionLimits,
    ) -> Result<Self, AgiError> {
        let mut stream = BufReader::new(Box::new(stream) as Box<dyn AgiStream>);
        let lines = tokio::time::timeout(
            limits.header_timeout,
            read_header_lines(&mut stream, &limits),
        )
        .await
        .map_err(|_| AgiError::Timeout {
            waiting_for: "the request header",
            timeout: limits.header_timeout,
        })??;
        let request = Request::from_lines(lines.iter().map(String::as_str))?;
        Ok(Self {
            stream,
            request,
            limits,
            hung_up: false,
        })
    }

    pub fn request(&self) -> &Request {
        &self.request
    }

    /// Whether Asterisk has told us (with the `HANGUP` notice) that the channel hung up.
    /// Commands still get replies afterwards, mostly `511`.
    pub fn hung_up(&self) -> bool {
        self.hung_up
    }

    /// Sends one command line and reads its reply.
    pub async fn command(&mut self, command: &str) -> Result<Reply, AgiError> {
        if command.contains(['\n', '\r']) {
            return Err(ProtocolError::LineBreakInArgument(command.to_owned()).into());
        }
        let timeout = self.limits.reply_timeout;
        tokio::time::timeout(timeout, self.exchange(command))
            .await
            .map_err(|_| AgiError::Timeout {
                waiting_for: "a reply",
                timeout,
            })?
    }

    /// `SET VARIABLE name "value"`; anything but `200 result=1` is an error.
    pub async fn set_variable(&mut self, name: &str, value: &str) -> Result<(), AgiError> {
        check_variable_name(name)?;
        let command = format!("SET VARIABLE {name} {}", protocol::quote_arg(value)?);
        match self.command(&command).await? {
            Reply::Success { result: 1, .. } => Ok(()),
            reply => Err(AgiError::Refused { command, reply }),
        }
    }

    /// `GET VARIABLE name`: `Some(value)` when set, `None` when Asterisk says it is not.
    pub async fn get_variable(&mut self, name: &str) -> Result<Option<String>, AgiError> {
        check_variable_name(name)?;
        let command = format!("GET VARIABLE {name}");
        match self.command(&command).await? {
            Reply::Success {
                result: 1, data, ..
            } => Ok(Some(data.unwrap_or_default())),
            Reply::Success { result: 0, .. } => Ok(None),
            reply => Err(AgiError::Refused { command, reply }),
        }
    }

    /// `VERBOSE "message" level`: a line in the Asterisk console/log for the operator.
    pub async fn verbose(&mut self, message: &str, level: u8) -> Result<(), AgiError> {
        let command = format!("VERBOSE {} {level}", protocol::quote_arg(message)?);
        match self.command(&command).await? {
            Reply::Success { .. } => Ok(()),
            reply => Err(AgiError::Refused { command, reply }),
        }
    }

    async fn exchange(&mut self, command: &str) -> Result<Reply, AgiError> {
        let mut line = Vec::with_capacity(command.len() + 1);
        line.extend_from_slice(command.as_bytes());
        line.push(b'\n');
        self.stream.get_mut().write_all(&line).await?;
        self.stream.get_mut().flush().await?;
        loop {
            let line = read_line(&mut self.stream, self.limits.max_line, "a reply").await?;
            match protocol::parse_reply_line(&line)? {
                ReplyLine::Reply(reply) => return Ok(reply),
                ReplyLine::HangupNotice => {
                    tracing::debug!(script = %self.request.script, "channel hung up");
                    self.hung_up = true;
                }
                ReplyLine::UsageStart => return self.read_usage().await,
            }
        }
    }

    async fn read_usage(&mut self) -> Result<Reply, AgiError> {
        let mut usage = Vec::new();
        for _ in 0..self.limits.max_header_lines {
            let line = read_line(&mut self.stream, self.limits.max_line, "a usage reply").await?;
            if protocol::is_usage_end(&line) {
                return Ok(Reply::Usage(usage.join("\n")));
            }
            usage.push(line);
        }
        Err(AgiError::HeaderTooLong {
            max: self.limits.max_header_lines,
        })
    }
}

fn check_variable_name(name: &str) -> Result<(), AgiError> {
    let valid = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'(' | b')' | b'-'));
    if valid {
        Ok(())
    } else {
        Err(AgiError::BadVariableName(name.to_owned()))
    }
}

async fn read_header_lines(
    stream: &mut BufReader<Box<dyn AgiStream>>,
    limits: &SessionLimits,
) -> Result<Vec<String>, AgiError> {
    let mut lines = Vec::new();
    loop {
        let line = read_line(stream, limits.max_line, "the request header").await?;
        if line.is_empty() {
            return Ok(lines);
        }
        if lines.len() == limits.max_header_lines {
            return Err(AgiError::HeaderTooLong {
                max: limits.max_header_lines,
            });
        }
        lines.push(line);
    }
}

/// Reads one `\n`-terminated line (a trailing `\r` is dropped), refusing to buffer more than
/// `max` bytes so a peer that never sends a newline cannot grow memory without bound.
async fn read_line(
    stream: &mut BufReader<Box<dyn AgiStream>>,
    max: usize,
    waiting_for: &'static str,
) -> Result<String, AgiError> {
    let mut line = Vec::new();
    loop {
        let available = stream.fill_buf().await?;
        if available.is_empty() {
            return Err(AgiError::Closed(waiting_for));
        }
        let (chunk, found_newline) = match available.iter().position(|&b| b == b'\n') {
            Some(pos) => (&available[..pos], true),
            None => (available, false),
        };
        if line.len() + chunk.len() > max {
            return Err(AgiError::LineTooLong { max });
        }
        line.extend_from_slice(chunk);
        let consumed = chunk.len() + usize::from(found_newline);
        stream.consume(consumed);
        if found_newline {
            break;
        }
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    String::from_utf8(line).map_err(|_| AgiError::NotUtf8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, DuplexStream};

    const HEADER: &str = "agi_network: yes\nagi_network_script: greeting\nagi_arg_1: 1001\n\n";

    fn limits() -> SessionLimits {
        SessionLimits {
            header_timeout: Duration::from_millis(500),
            reply_timeout: Duration::from_millis(500),
            max_line: 256,
            max_header_lines: 8,
        }
    }

    async fn open_with(peer_sends: &[u8]) -> (Result<AgiSession, AgiError>, DuplexStream) {
        let (ours, mut theirs) = tokio::io::duplex(64 * 1024);
        theirs.write_all(peer_sends).await.expect("write to pipe");
        (AgiSession::open(ours, limits()).await, theirs)
    }

    async fn read_available(peer: &mut DuplexStream) -> String {
        let mut buf = vec![0; 4096];
        let n = peer.read(&mut buf).await.expect("read from pipe");
        String::from_utf8_lossy(&buf[..n]).into_owned()
    }

    #[tokio::test]
    async fn header_with_crlf_line_ends_is_accepted() {
        let (session, _peer) = open_with(HEADER.replace('\n', "\r\n").as_bytes()).await;
        let session = session.expect("valid header");
        assert_eq!(session.request().script, "greeting");
        assert_eq!(session.request().args, vec!["1001"]);
    }

    #[tokio::test]
    async fn header_without_blank_line_times_out() {
        let (session, _peer) = open_with(b"agi_network: yes\nagi_network_script: x\n").await;
        let err = session.expect_err("no blank line");
        assert!(matches!(err, AgiError::Timeout { .. }), "{err}");
    }

    #[tokio::test]
    async fn overlong_header_line_is_refused() {
        let mut bytes = b"agi_network_script: ".to_vec();
        bytes.extend(std::iter::repeat_n(b'x', 10_000));
        let (session, _peer) = open_with(&bytes).await;
        let err = session.expect_err("too long");
        assert!(matches!(err, AgiError::LineTooLong { max: 256 }), "{err}");
    }

    #[tokio::test]
    async fn too_many_header_lines_are_refused() {
        let bytes = "agi_x: y\n".repeat(20);
        let (session, _peer) = open_with(bytes.as_bytes()).await;
        let err = session.expect_err("too many");
        assert!(matches!(err, AgiError::HeaderTooLong { max: 8 }), "{err}");
    }

    #[tokio::test]
    async fn garbage_header_is_a_protocol_error() {
        let (session, _peer) = open_with(b"GET / HTTP/1.1\nHost: x\n\n").await;
        let err = session.expect_err("garbage");
        assert!(
            matches!(err, AgiError::Protocol(ProtocolError::BadHeaderLine(_))),
            "{err}"
        );
    }

    #[tokio::test]
    async fn binary_header_is_refused_as_not_utf8() {
        let (session, _peer) = open_with(b"agi_\xff\xfe: x\n\n").await;
        let err = session.expect_err("binary");
        assert!(matches!(err, AgiError::NotUtf8), "{err}");
    }

    #[tokio::test]
    async fn peer_closing_during_header_is_reported_as_closed() {
        let (ours, mut theirs) = tokio::io::duplex(1024);
        theirs
            .write_all(b"agi_network: yes\n")
            .await
            .expect("write");
        drop(theirs);
        let err = AgiSession::open(ours, limits()).await.expect_err("closed");
        assert!(
            matches!(err, AgiError::Closed("the request header")),
            "{err}"
        );
    }

    #[tokio::test]
    async fn set_variable_sends_quoted_value_and_accepts_result_1() {
        let (session, mut peer) = open_with(HEADER.as_bytes()).await;
        let mut session = session.expect("valid header");
        let asterisk = tokio::spawn(async move {
            let sent = read_available(&mut peer).await;
            peer.write_all(b"200 result=1\n").await.expect("reply");
            sent
        });
        session
            .set_variable("RINGSIDE_GREETING", "/spool/default/1001/busy")
            .await
            .expect("accepted");
        assert_eq!(
            asterisk.await.expect("peer task"),
            "SET VARIABLE RINGSIDE_GREETING \"/spool/default/1001/busy\"\n"
        );
    }

    #[tokio::test]
    async fn get_variable_returns_data_or_none() {
        let (session, mut peer) = open_with(HEADER.as_bytes()).await;
        let mut session = session.expect("valid header");
        peer.write_all(b"200 result=1 (1001)\n200 result=0\n")
            .await
            .expect("replies");
        assert_eq!(
            session.get_variable("CALLERID(num)").await.expect("reply"),
            Some("1001".into())
        );
        assert_eq!(session.get_variable("UNSET").await.expect("reply"), None);
    }

    #[tokio::test]
    async fn hangup_notice_before_a_reply_marks_the_session_hung_up() {
        let (session, mut peer) = open_with(HEADER.as_bytes()).await;
        let mut session = session.expect("valid header");
        peer.write_all(
            b"HANGUP\n511 Command Not Permitted on a dead channel or intercept routine\n",
        )
        .await
        .expect("replies");
        let reply = session.command("ANSWER").await.expect("reply");
        assert_eq!(reply, Reply::DeadChannel);
        assert!(session.hung_up());
    }

    #[tokio::test]
    async fn multi_line_usage_reply_is_read_to_its_end() {
        let (session, mut peer) = open_with(HEADER.as_bytes()).await;
        let mut session = session.expect("valid header");
        peer.write_all(
            b"520-Invalid command syntax.  Proper usage follows:\n Usage: SET VARIABLE x y\n520 End of proper usage.\n200 result=1\n",
        )
        .await
        .expect("replies");
        assert_eq!(
            session.command("SET VARIABLE").await.expect("reply"),
            Reply::Usage(" Usage: SET VARIABLE x y".into())
        );
        assert!(matches!(
            session.command("NOOP").await.expect("next reply"),
            Reply::Success { result: 1, .. }
        ));
    }

    #[tokio::test]
    async fn refused_set_variable_is_an_error_naming_the_command() {
        let (session, mut peer) = open_with(HEADER.as_bytes()).await;
        let mut session = session.expect("valid header");
        peer.write_all(b"510 Invalid or unknown command\n")
            .await
            .expect("reply");
        let err = session.set_variable("A", "b").await.expect_err("refused");
        assert!(err.to_string().contains("SET VARIABLE A"), "{err}");
    }

    #[tokio::test]
    async fn silent_peer_makes_the_command_time_out() {
        let (session, _peer) = open_with(HEADER.as_bytes()).await;
        let mut session = session.expect("valid header");
        let err = session.command("NOOP").await.expect_err("no reply");
        assert!(
            matches!(
                err,
                AgiError::Timeout {
                    waiting_for: "a reply",
                    ..
                }
            ),
            "{err}"
        );
    }

    #[tokio::test]
    async fn peer_closing_mid_command_is_reported_as_closed() {
        let (session, peer) = open_with(HEADER.as_bytes()).await;
        let mut session = session.expect("valid header");
        drop(peer);
        let err = session.command("NOOP").await.expect_err("closed");
        assert!(
            matches!(err, AgiError::Closed(_) | AgiError::Io(_)),
            "{err}"
        );
    }

    #[tokio::test]
    async fn command_with_line_break_is_not_sent() {
        let (session, _peer) = open_with(HEADER.as_bytes()).await;
        let mut session = session.expect("valid header");
        let err = session
            .command("NOOP\nHANGUP")
            .await
            .expect_err("injection");
        assert!(matches!(err, AgiError::Protocol(_)), "{err}");
    }

    #[tokio::test]
    async fn odd_variable_name_is_refused_before_sending() {
        let (session, _peer) = open_with(HEADER.as_bytes()).await;
        let mut session = session.expect("valid header");
        let err = session
            .set_variable("A B", "x")
            .await
            .expect_err("bad name");
        assert!(matches!(err, AgiError::BadVariableName(_)), "{err}");
    }
}
