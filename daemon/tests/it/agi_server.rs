//! The FastAGI server over real TCP, driven by a client that speaks as Asterisk 22 does
//! (header and replies copied from a FastAGI session recorded with a real Asterisk 22).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ringside::agi::{
    AgiError, AgiHandler, AgiServer, AgiSession, Reply, ServerLimits, SessionLimits,
};
use ringside::config::AgiConfig;
use ringside::flows::greeting::GreetingHandler;
use ringside::voicemail::greetings::GreetingFiles;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How long the test client waits for the server before calling it stuck.
const PATIENCE: Duration = Duration::from_secs(5);

/// The header Asterisk 22 sent in the recorded session, minus the arguments.
const REAL_HEADER: &str = "agi_network: yes
agi_network_script: {script}
agi_request: agi://127.0.0.1:4599/{script}
agi_channel: Local/1001@agi-test-00000016;2
agi_language: en
agi_type: Local
agi_uniqueid: 1795426287.44
agi_version: 22.11.0-rc1
agi_callerid: unknown
agi_calleridname: unknown
agi_callingpres: 67
agi_callingani2: 0
agi_callington: 0
agi_callingtns: 0
agi_dnid: unknown
agi_rdnis: unknown
agi_context: agi-test
agi_extension: 1001
agi_priority: 2
agi_enhanced: 0.0
agi_accountcode: 
agi_threadid: 140161429362368
";

fn header(script: &str, args: &[&str]) -> String {
    let mut text = REAL_HEADER.replace("{script}", script);
    for (i, arg) in args.iter().enumerate() {
        text.push_str(&format!("agi_arg_{}: {arg}\n", i + 1));
    }
    text.push('\n');
    text
}

/// The Asterisk side of one connection.
struct FakeAsterisk {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
}

impl FakeAsterisk {
    async fn connect(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).await.expect("server accepts");
        let (read, writer) = stream.into_split();
        Self {
            reader: BufReader::new(read),
            writer,
        }
    }

    async fn start(addr: SocketAddr, script: &str, args: &[&str]) -> Self {
        let mut asterisk = Self::connect(addr).await;
        asterisk.send(&header(script, args)).await;
        asterisk
    }

    async fn send(&mut self, text: &str) {
        self.writer
            .write_all(text.as_bytes())
            .await
            .expect("server reads");
    }

    /// The next command line the server sends.
    async fn command(&mut self) -> String {
        let mut line = String::new();
        let n = tokio::time::timeout(PATIENCE, self.reader.read_line(&mut line))
            .await
            .expect("server sends a command in time")
            .expect("readable");
        assert!(
            n > 0,
            "server closed the connection instead of sending a command"
        );
        assert!(
            line.ends_with('\n'),
            "command ends with a newline: {line:?}"
        );
        line.trim_end_matches('\n').to_owned()
    }

    async fn reply(&mut self, line: &str) {
        self.send(&format!("{line}\n")).await;
    }

    /// Answers every `SET VARIABLE` with `200 result=1` until the server hangs up; returns
    /// the commands it sent.
    async fn accept_all_until_closed(&mut self) -> Vec<String> {
        let mut commands = Vec::new();
        loop {
            let mut line = String::new();
            let n = tokio::time::timeout(PATIENCE, self.reader.read_line(&mut line))
                .await
                .expect("server sends or closes in time")
                .expect("readable");
            if n == 0 {
                return commands;
            }
            commands.push(line.trim_end_matches('\n').to_owned());
            self.reply("200 result=1").await;
        }
    }

    /// Whether the server closes the connection within `limit` without sending anything.
    async fn closed_silently_within(&mut self, limit: Duration) -> bool {
        let mut sink = Vec::new();
        match tokio::time::timeout(limit, self.reader.read_to_end(&mut sink)).await {
            Ok(Ok(_)) | Ok(Err(_)) => sink.is_empty(),
            Err(_) => false,
        }
    }

    /// Waits until the server closes the connection (ignoring anything it still sends).
    async fn closed_within(&mut self, limit: Duration) -> bool {
        let mut sink = Vec::new();
        matches!(
            tokio::time::timeout(limit, self.reader.read_to_end(&mut sink)).await,
            Ok(Ok(_)) | Ok(Err(_))
        )
    }
}

struct RunningServer {
    addr: SocketAddr,
    shutdown: CancellationToken,
    task: JoinHandle<std::io::Result<()>>,
}

async fn start(server: AgiServer) -> RunningServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a free port");
    let addr = listener.local_addr().expect("bound address");
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(server.serve(listener, shutdown.clone()));
    RunningServer {
        addr,
        shutdown,
        task,
    }
}

fn quick_limits() -> ServerLimits {
    ServerLimits {
        session: SessionLimits {
            header_timeout: Duration::from_millis(500),
            reply_timeout: Duration::from_secs(2),
            max_line: 8 * 1024,
            max_header_lines: 512,
        },
        max_sessions: 8,
        shutdown_grace: Duration::from_secs(1),
    }
}

fn greeting_server(spool: &Path) -> AgiServer {
    let files = GreetingFiles::new(spool, "default").expect("valid context");
    AgiServer::new(&AgiConfig::default())
        .with_limits(quick_limits())
        .route("greeting", GreetingHandler::new(files))
}

fn record_greeting(spool: &Path, mailbox: &str, name: &str) {
    let dir = spool.join("default").join(mailbox);
    std::fs::create_dir_all(&dir).expect("mailbox dir");
    std::fs::write(dir.join(format!("{name}.wav")), b"RIFF").expect("greeting file");
}

/// Replays the commands of the recorded session and keeps the replies the session parsed.
#[derive(Default, Clone)]
struct ReplayHandler {
    replies: Arc<Mutex<Vec<Reply>>>,
    hung_up: Arc<Mutex<Option<bool>>>,
}

#[async_trait::async_trait]
impl AgiHandler for ReplayHandler {
    async fn handle(&self, session: &mut AgiSession) -> Result<(), AgiError> {
        for command in [
            "GET VARIABLE CALLERID(num)",
            "BOGUS COMMAND",
            "STREAM FILE nonexistent-file \"\"",
            "HANGUP",
        ] {
            let reply = session.command(command).await?;
            self.replies.lock().expect("not poisoned").push(reply);
        }
        // Asterisk's HANGUP notice follows the last reply; a further command sees it first.
        let after = session.command("NOOP").await?;
        self.replies.lock().expect("not poisoned").push(after);
        *self.hung_up.lock().expect("not poisoned") = Some(session.hung_up());
        Ok(())
    }
}

#[tokio::test]
async fn real_session_replies_are_parsed() {
    let handler = ReplayHandler::default();
    let server = start(
        AgiServer::new(&AgiConfig::default())
            .with_limits(quick_limits())
            .route("replay", handler.clone()),
    )
    .await;
    let mut asterisk = FakeAsterisk::start(server.addr, "replay", &["1001", "busy"]).await;
    assert_eq!(asterisk.command().await, "GET VARIABLE CALLERID(num)");
    asterisk.reply("200 result=1 ()").await;
    assert_eq!(asterisk.command().await, "BOGUS COMMAND");
    asterisk.reply("510 Invalid or unknown command").await;
    assert_eq!(
        asterisk.command().await,
        "STREAM FILE nonexistent-file \"\""
    );
    asterisk.reply("200 result=-1 endpos=0").await;
    assert_eq!(asterisk.command().await, "HANGUP");
    asterisk.reply("200 result=1").await;
    asterisk.reply("HANGUP").await;
    assert_eq!(asterisk.command().await, "NOOP");
    asterisk
        .reply("511 Command Not Permitted on a dead channel or intercept routine")
        .await;
    assert!(asterisk.closed_within(PATIENCE).await);
    assert_eq!(
        *handler.replies.lock().expect("not poisoned"),
        vec![
            Reply::Success {
                result: 1,
                data: Some(String::new()),
                endpos: None
            },
            Reply::InvalidCommand,
            Reply::Success {
                result: -1,
                data: None,
                endpos: Some(0)
            },
            Reply::Success {
                result: 1,
                data: None,
                endpos: None
            },
            Reply::DeadChannel,
        ]
    );
    assert_eq!(*handler.hung_up.lock().expect("not poisoned"), Some(true));
}

#[tokio::test]
async fn greeting_for_busy_with_busy_file_lets_voicemail_play_it_with_b() {
    let spool = tempfile::tempdir().expect("tempdir");
    record_greeting(spool.path(), "1001", "busy");
    let server = start(greeting_server(spool.path())).await;
    let mut asterisk = FakeAsterisk::start(server.addr, "greeting", &["1001", "busy"]).await;
    assert_eq!(
        asterisk.accept_all_until_closed().await,
        vec![
            "SET VARIABLE RINGSIDE_GREETING \"\"",
            "SET VARIABLE RINGSIDE_GREETING_DEFAULT \"\"",
            "SET VARIABLE RINGSIDE_VM_MAILBOX \"1001@default\"",
            "SET VARIABLE RINGSIDE_VM_OPTS \"b\"",
            "SET VARIABLE RINGSIDE_GREETING_STATUS \"OK\"",
        ]
    );
}

#[tokio::test]
async fn greeting_for_no_answer_with_greet_file_names_its_full_path() {
    let spool = tempfile::tempdir().expect("tempdir");
    record_greeting(spool.path(), "1001", "greet");
    let server = start(greeting_server(spool.path())).await;
    let mut asterisk = FakeAsterisk::start(server.addr, "greeting", &["1001", "no_answer"]).await;
    let commands = asterisk.accept_all_until_closed().await;
    let expected = format!(
        "SET VARIABLE RINGSIDE_GREETING \"{}\"",
        spool.path().join("default/1001/greet").display()
    );
    assert_eq!(commands.first(), Some(&expected));
    assert_eq!(
        commands.get(3).map(String::as_str),
        Some("SET VARIABLE RINGSIDE_VM_OPTS \"\"")
    );
}

#[tokio::test]
async fn greeting_with_unknown_reason_is_treated_as_no_answer() {
    let spool = tempfile::tempdir().expect("tempdir");
    record_greeting(spool.path(), "1001", "greet");
    record_greeting(spool.path(), "1001", "busy");
    let server = start(greeting_server(spool.path())).await;
    let mut asterisk = FakeAsterisk::start(server.addr, "greeting", &["1001", "lunch"]).await;
    let commands = asterisk.accept_all_until_closed().await;
    assert!(
        commands[0].ends_with("/default/1001/greet\""),
        "{commands:?}"
    );
    assert_eq!(commands[4], "SET VARIABLE RINGSIDE_GREETING_STATUS \"OK\"");
}

#[tokio::test]
async fn greeting_with_path_traversal_mailbox_only_reports_an_error() {
    let spool = tempfile::tempdir().expect("tempdir");
    let server = start(greeting_server(spool.path())).await;
    let mut asterisk =
        FakeAsterisk::start(server.addr, "greeting", &["../../../etc", "busy"]).await;
    assert_eq!(
        asterisk.accept_all_until_closed().await,
        vec!["SET VARIABLE RINGSIDE_GREETING_STATUS \"ERROR\""]
    );
}

#[tokio::test]
async fn greeting_without_arguments_only_reports_an_error() {
    let spool = tempfile::tempdir().expect("tempdir");
    let server = start(greeting_server(spool.path())).await;
    let mut asterisk = FakeAsterisk::start(server.addr, "greeting", &[]).await;
    assert_eq!(
        asterisk.accept_all_until_closed().await,
        vec!["SET VARIABLE RINGSIDE_GREETING_STATUS \"ERROR\""]
    );
}

#[tokio::test]
async fn unknown_script_is_reported_on_the_asterisk_console_and_closed() {
    let spool = tempfile::tempdir().expect("tempdir");
    let server = start(greeting_server(spool.path())).await;
    let mut asterisk = FakeAsterisk::start(server.addr, "nosuch", &[]).await;
    assert_eq!(
        asterisk.accept_all_until_closed().await,
        vec!["VERBOSE \"Ringside has no FastAGI script named \\\"nosuch\\\"\" 1"]
    );
}

/// After a misbehaving peer the server must still serve a normal session.
async fn assert_still_serves(addr: SocketAddr) {
    let mut asterisk = FakeAsterisk::start(addr, "greeting", &["1001", "busy"]).await;
    let commands = asterisk.accept_all_until_closed().await;
    assert_eq!(
        commands.last().map(String::as_str),
        Some("SET VARIABLE RINGSIDE_GREETING_STATUS \"OK\"")
    );
}

#[tokio::test]
async fn garbage_instead_of_a_header_is_closed_and_the_server_goes_on() {
    let spool = tempfile::tempdir().expect("tempdir");
    let server = start(greeting_server(spool.path())).await;
    let mut peer = FakeAsterisk::connect(server.addr).await;
    peer.send("GET / HTTP/1.1\r\nHost: pbx\r\n\r\n").await;
    assert!(peer.closed_within(PATIENCE).await);
    assert_still_serves(server.addr).await;
}

#[tokio::test]
async fn header_without_blank_line_is_closed_after_the_header_timeout() {
    let spool = tempfile::tempdir().expect("tempdir");
    let server = start(greeting_server(spool.path())).await;
    let mut peer = FakeAsterisk::connect(server.addr).await;
    peer.send("agi_network: yes\nagi_network_script: greeting\n")
        .await;
    assert!(peer.closed_within(PATIENCE).await);
    assert_still_serves(server.addr).await;
}

#[tokio::test]
async fn megabyte_line_is_refused_and_the_server_goes_on() {
    let spool = tempfile::tempdir().expect("tempdir");
    let server = start(greeting_server(spool.path())).await;
    let mut peer = FakeAsterisk::connect(server.addr).await;
    let huge = format!("agi_network_script: {}\n\n", "x".repeat(1024 * 1024));
    // The server may close while we are still writing; that is the point.
    let _ = peer.writer.write_all(huge.as_bytes()).await;
    assert!(peer.closed_within(PATIENCE).await);
    assert_still_serves(server.addr).await;
}

#[tokio::test]
async fn megabyte_reply_line_ends_the_session_and_the_server_goes_on() {
    let spool = tempfile::tempdir().expect("tempdir");
    let server = start(greeting_server(spool.path())).await;
    let mut asterisk = FakeAsterisk::start(server.addr, "greeting", &["1001", "busy"]).await;
    asterisk.command().await;
    let _ = asterisk
        .writer
        .write_all(format!("200 result=1 ({})\n", "y".repeat(1024 * 1024)).as_bytes())
        .await;
    assert!(asterisk.closed_within(PATIENCE).await);
    assert_still_serves(server.addr).await;
}

#[tokio::test]
async fn peer_hanging_up_mid_command_leaves_the_server_serving() {
    let spool = tempfile::tempdir().expect("tempdir");
    let server = start(greeting_server(spool.path())).await;
    let mut asterisk = FakeAsterisk::start(server.addr, "greeting", &["1001", "busy"]).await;
    asterisk.command().await;
    drop(asterisk);
    assert_still_serves(server.addr).await;
}

#[tokio::test]
async fn garbage_reply_ends_the_session_and_the_server_goes_on() {
    let spool = tempfile::tempdir().expect("tempdir");
    let server = start(greeting_server(spool.path())).await;
    let mut asterisk = FakeAsterisk::start(server.addr, "greeting", &["1001", "busy"]).await;
    asterisk.command().await;
    asterisk.reply("\u{1b}[2Jhello there").await;
    assert!(asterisk.closed_within(PATIENCE).await);
    assert_still_serves(server.addr).await;
}

/// Keeps its session open until Asterisk answers one `NOOP`.
struct HoldHandler;

#[async_trait::async_trait]
impl AgiHandler for HoldHandler {
    async fn handle(&self, session: &mut AgiSession) -> Result<(), AgiError> {
        session.command("NOOP").await.map(drop)
    }
}

#[tokio::test]
async fn sessions_beyond_the_limit_are_closed_at_once() {
    let spool = tempfile::tempdir().expect("tempdir");
    let limits = ServerLimits {
        max_sessions: 1,
        session: SessionLimits {
            reply_timeout: Duration::from_secs(30),
            ..quick_limits().session
        },
        ..quick_limits()
    };
    let server = start(
        greeting_server(spool.path())
            .with_limits(limits)
            .route("hold", HoldHandler),
    )
    .await;
    let mut holder = FakeAsterisk::start(server.addr, "hold", &[]).await;
    // Once the command arrives the holder's session surely has the only slot.
    assert_eq!(holder.command().await, "NOOP");
    let mut refused = FakeAsterisk::start(server.addr, "greeting", &["1001", "busy"]).await;
    assert!(refused.closed_silently_within(Duration::from_secs(1)).await);
    holder.reply("200 result=0").await;
    assert!(holder.closed_within(PATIENCE).await);
    // The slot is given back just after the socket closes.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_still_serves(server.addr).await;
}

#[tokio::test]
async fn shutdown_stops_accepting_and_returns() {
    let spool = tempfile::tempdir().expect("tempdir");
    let server = start(greeting_server(spool.path())).await;
    server.shutdown.cancel();
    let result = tokio::time::timeout(PATIENCE, server.task)
        .await
        .expect("serve returns after shutdown")
        .expect("task not panicked");
    assert!(result.is_ok());
    assert!(TcpStream::connect(server.addr).await.is_err());
}

#[tokio::test]
async fn shutdown_lets_a_running_session_finish() {
    let spool = tempfile::tempdir().expect("tempdir");
    let server = start(greeting_server(spool.path())).await;
    let mut asterisk = FakeAsterisk::start(server.addr, "greeting", &["1001", "busy"]).await;
    let first = asterisk.command().await;
    server.shutdown.cancel();
    asterisk.reply("200 result=1").await;
    let mut rest = asterisk.accept_all_until_closed().await;
    rest.insert(0, first);
    assert_eq!(rest.len(), 5, "{rest:?}");
    tokio::time::timeout(PATIENCE, server.task)
        .await
        .expect("serve returns")
        .expect("task not panicked")
        .expect("no error");
}

/// A handler with a bug.
struct PanickingHandler;

#[async_trait::async_trait]
impl AgiHandler for PanickingHandler {
    async fn handle(&self, _session: &mut AgiSession) -> Result<(), AgiError> {
        panic!("handler bug")
    }
}

#[tokio::test]
async fn panicking_handler_ends_only_its_session() {
    let spool = tempfile::tempdir().expect("tempdir");
    let server = start(greeting_server(spool.path()).route("buggy", PanickingHandler)).await;
    let mut asterisk = FakeAsterisk::start(server.addr, "buggy", &[]).await;
    assert!(asterisk.closed_within(PATIENCE).await);
    assert_still_serves(server.addr).await;
}
