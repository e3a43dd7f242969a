//! The FastAGI wire format as Asterisk 22 speaks it, as pure functions over text lines.
//!
//! Covers the `agi_*` request header, the replies (`200 result=N (data) endpos=N`, `510`,
//! `511`, the multi-line `520-…` usage reply), the `HANGUP` notice and the quoting of
//! command arguments. No I/O here: [`super::session`] feeds lines in and writes lines out.

use std::collections::BTreeMap;

/// Why a line from the peer, or a command we were asked to send, is not valid FastAGI.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    #[error("header line {0:?} is not `agi_<name>: <value>`")]
    BadHeaderLine(String),
    #[error("request header has no script (neither agi_network_script nor agi_request)")]
    NoScript,
    #[error("reply {0:?} is not a FastAGI reply (`<code> result=…`)")]
    BadReply(String),
    #[error("command argument {0:?} contains a line break")]
    LineBreakInArgument(String),
}

/// The request header Asterisk sends when a FastAGI session opens.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Request {
    /// Every `agi_*` variable, keyed without the `agi_` prefix (`channel`, `uniqueid`, …).
    pub vars: BTreeMap<String, String>,
    /// The script name used for routing: `greeting` for `agi://host:port/greeting`.
    pub script: String,
    /// `agi_arg_1`, `agi_arg_2`, … in order (a gap ends the list, as Asterisk never leaves one).
    pub args: Vec<String>,
}

impl Request {
    /// Builds the request from the header lines (without the terminating blank line).
    pub fn from_lines<'a>(lines: impl IntoIterator<Item = &'a str>) -> Result<Self, ProtocolError> {
        let mut vars = BTreeMap::new();
        for line in lines {
            let (name, value) = parse_header_line(line)?;
            vars.insert(name.to_owned(), value.to_owned());
        }
        let script = vars
            .get("network_script")
            .map(|s| script_name(s))
            .filter(|s| !s.is_empty())
            .or_else(|| vars.get("request").and_then(|r| script_from_url(r)))
            .filter(|s| !s.is_empty())
            .ok_or(ProtocolError::NoScript)?;
        let args = (1..)
            .map_while(|n| vars.get(&format!("arg_{n}")).cloned())
            .collect();
        Ok(Self { vars, script, args })
    }

    /// An `agi_*` variable by its name without the prefix.
    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// The `n`th argument, counting from 1 like `agi_arg_N`.
    pub fn arg(&self, n: usize) -> Option<&str> {
        n.checked_sub(1)
            .and_then(|i| self.args.get(i))
            .map(String::as_str)
    }
}

/// Splits `agi_name: value`. Asterisk writes exactly one space after the colon; the value may
/// be empty (`agi_accountcode: `) and may itself contain colons.
pub fn parse_header_line(line: &str) -> Result<(&str, &str), ProtocolError> {
    let bad = || ProtocolError::BadHeaderLine(truncate_for_error(line));
    let (name, value) = line.split_once(':').ok_or_else(bad)?;
    let name = name.strip_prefix("agi_").ok_or_else(bad)?;
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(bad());
    }
    Ok((name, value.strip_prefix(' ').unwrap_or(value)))
}

/// `agi_network_script` is everything after the host's `/`; a query string or surrounding
/// slashes are not part of the name we route on.
fn script_name(raw: &str) -> String {
    let without_query = raw.split(['?', '#']).next().unwrap_or_default();
    without_query.trim_matches('/').to_owned()
}

fn script_from_url(url: &str) -> Option<String> {
    let rest = url.strip_prefix("agi://")?;
    let (_, path) = rest.split_once('/')?;
    Some(script_name(path))
}

/// One reply to a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// `200 result=N [(data)] [endpos=N]`.
    Success {
        result: i64,
        data: Option<String>,
        endpos: Option<u64>,
    },
    /// `510 Invalid or unknown command`.
    InvalidCommand,
    /// `511 Command Not Permitted on a dead channel or intercept routine`.
    DeadChannel,
    /// `520 …`: invalid syntax; the usage text Asterisk sent, if any.
    Usage(String),
}

/// What one reply line means while a reply is being read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyLine {
    /// A complete reply.
    Reply(Reply),
    /// `520-…`: a usage reply starts; lines follow until `520 End of proper usage.`.
    UsageStart,
    /// The channel hung up; the actual reply still follows.
    HangupNotice,
}

/// Parses the first line of a reply (or the `HANGUP` notice that may come before it).
pub fn parse_reply_line(line: &str) -> Result<ReplyLine, ProtocolError> {
    let bad = || ProtocolError::BadReply(truncate_for_error(line));
    if line == "HANGUP" {
        return Ok(ReplyLine::HangupNotice);
    }
    if line.starts_with("520-") {
        return Ok(ReplyLine::UsageStart);
    }
    let (code, rest) = line.split_once(' ').unwrap_or((line, ""));
    match code {
        "200" => parse_success(rest).map(ReplyLine::Reply).ok_or_else(bad),
        "510" => Ok(ReplyLine::Reply(Reply::InvalidCommand)),
        "511" => Ok(ReplyLine::Reply(Reply::DeadChannel)),
        "520" => Ok(ReplyLine::Reply(Reply::Usage(rest.to_owned()))),
        _ => Err(bad()),
    }
}

/// The line that ends a multi-line `520-` usage reply.
pub fn is_usage_end(line: &str) -> bool {
    line.starts_with("520 ")
}

fn parse_success(rest: &str) -> Option<Reply> {
    let rest = rest.strip_prefix("result=")?;
    let digits_end = rest
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || (i == 0 && c == '-')))
        .map_or(rest.len(), |(i, _)| i);
    let result: i64 = rest[..digits_end].parse().ok()?;
    let mut tail = rest[digits_end..].trim_start();
    let mut data = None;
    if let Some(inner) = tail.strip_prefix('(') {
        // The data is raw (a variable's value may hold parentheses), so it runs to the last
        // `)`; only `endpos=N` can follow it and that never contains one.
        let close = inner.rfind(')')?;
        data = Some(inner[..close].to_owned());
        tail = inner[close + 1..].trim_start();
    }
    let mut endpos = None;
    for field in tail.split_whitespace() {
        let (key, value) = field.split_once('=')?;
        if key == "endpos" {
            endpos = Some(value.parse().ok()?);
        }
    }
    Some(Reply::Success {
        result,
        data,
        endpos,
    })
}

/// Quotes one command argument the way res_agi's argument parser reads it back: inside
/// double quotes, with `"` and `\` escaped by a backslash. A line break would end the command
/// early and let the rest be read as another command, so it is refused.
pub fn quote_arg(arg: &str) -> Result<String, ProtocolError> {
    if arg.contains(['\n', '\r']) {
        return Err(ProtocolError::LineBreakInArgument(truncate_for_error(arg)));
    }
    let mut out = String::with_capacity(arg.len() + 2);
    out.push('"');
    for c in arg.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    Ok(out)
}

/// Keeps error messages readable when the peer sent something huge.
fn truncate_for_error(text: &str) -> String {
    const MAX: usize = 80;
    match text.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The header of a real Asterisk 22 session (`fastagi-session.txt`).
    const REAL_HEADER: &[&str] = &[
        "agi_network: yes",
        "agi_network_script: greeting",
        "agi_request: agi://127.0.0.1:4599/greeting",
        "agi_channel: Local/1001@agi-test-00000016;2",
        "agi_language: en",
        "agi_uniqueid: 1795426287.44",
        "agi_version: 22.11.0-rc1",
        "agi_accountcode: ",
        "agi_arg_1: 1001",
        "agi_arg_2: busy",
    ];

    #[test]
    fn real_header_yields_script_and_ordered_args() {
        let req = Request::from_lines(REAL_HEADER.iter().copied()).expect("valid header");
        assert_eq!(req.script, "greeting");
        assert_eq!(req.args, vec!["1001", "busy"]);
        assert_eq!(req.var("channel"), Some("Local/1001@agi-test-00000016;2"));
        assert_eq!(req.var("accountcode"), Some(""));
        assert_eq!(req.arg(2), Some("busy"));
        assert_eq!(req.arg(0), None);
    }

    #[test]
    fn script_comes_from_request_url_when_network_script_is_absent() {
        let req = Request::from_lines(["agi_request: agi://pbx:4573/fax-received?x=1"])
            .expect("valid header");
        assert_eq!(req.script, "fax-received");
    }

    #[test]
    fn empty_network_script_falls_back_to_the_request_url() {
        let req = Request::from_lines(["agi_network_script: ", "agi_request: agi://pbx/greeting"])
            .expect("valid header");
        assert_eq!(req.script, "greeting");
    }

    #[test]
    fn query_string_and_slashes_are_not_part_of_the_script_name() {
        let req = Request::from_lines(["agi_network_script: /greeting/?v=2"]).expect("valid");
        assert_eq!(req.script, "greeting");
    }

    #[test]
    fn header_without_script_is_rejected() {
        let err = Request::from_lines(["agi_channel: PJSIP/1001-1"]).expect_err("no script");
        assert_eq!(err, ProtocolError::NoScript);
    }

    #[test]
    fn header_line_without_agi_prefix_is_rejected() {
        let err = parse_header_line("GET / HTTP/1.1").expect_err("garbage");
        assert!(matches!(err, ProtocolError::BadHeaderLine(_)), "{err}");
    }

    #[test]
    fn header_value_keeps_its_own_colons() {
        assert_eq!(
            parse_header_line("agi_request: agi://h:1/x").expect("valid"),
            ("request", "agi://h:1/x")
        );
    }

    #[test]
    fn success_reply_with_empty_data() {
        assert_eq!(
            parse_reply_line("200 result=1 ()").expect("valid"),
            ReplyLine::Reply(Reply::Success {
                result: 1,
                data: Some(String::new()),
                endpos: None
            })
        );
    }

    #[test]
    fn success_reply_with_negative_result_and_endpos() {
        assert_eq!(
            parse_reply_line("200 result=-1 endpos=0").expect("valid"),
            ReplyLine::Reply(Reply::Success {
                result: -1,
                data: None,
                endpos: Some(0)
            })
        );
    }

    #[test]
    fn success_reply_data_may_contain_parentheses() {
        assert_eq!(
            parse_reply_line("200 result=1 (a (b) c) endpos=1600").expect("valid"),
            ReplyLine::Reply(Reply::Success {
                result: 1,
                data: Some("a (b) c".into()),
                endpos: Some(1600)
            })
        );
    }

    #[test]
    fn unknown_command_reply_is_510() {
        assert_eq!(
            parse_reply_line("510 Invalid or unknown command").expect("valid"),
            ReplyLine::Reply(Reply::InvalidCommand)
        );
    }

    #[test]
    fn dead_channel_reply_is_511() {
        assert_eq!(
            parse_reply_line("511 Command Not Permitted on a dead channel or intercept routine")
                .expect("valid"),
            ReplyLine::Reply(Reply::DeadChannel)
        );
    }

    #[test]
    fn usage_reply_starts_with_520_dash_and_ends_with_520_space() {
        assert_eq!(
            parse_reply_line("520-Invalid command syntax.  Proper usage follows:").expect("ok"),
            ReplyLine::UsageStart
        );
        assert!(is_usage_end("520 End of proper usage."));
        assert!(!is_usage_end(" Usage: SET VARIABLE <variablename> <value>"));
    }

    #[test]
    fn hangup_notice_is_recognised() {
        assert_eq!(
            parse_reply_line("HANGUP").expect("valid"),
            ReplyLine::HangupNotice
        );
    }

    #[test]
    fn garbage_reply_is_rejected() {
        for line in ["", "hello", "200 ok", "200 result=abc", "999 result=1"] {
            let err = parse_reply_line(line).expect_err(line);
            assert!(matches!(err, ProtocolError::BadReply(_)), "{line}: {err}");
        }
    }

    #[test]
    fn arguments_are_quoted_with_escapes() {
        assert_eq!(quote_arg(r#"a "b" \c"#).expect("valid"), r#""a \"b\" \\c""#);
        assert_eq!(quote_arg("").expect("valid"), r#""""#);
    }

    #[test]
    fn argument_with_line_break_is_refused() {
        let err = quote_arg("x\nHANGUP").expect_err("injection");
        assert!(matches!(err, ProtocolError::LineBreakInArgument(_)));
    }
}
