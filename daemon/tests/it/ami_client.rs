//! The manager client against sessions recorded from a real Asterisk 22 (`ami-sessions/`):
//! a replay server answers each action with the bytes Asterisk sent, so the parser and the
//! answer rules are checked on real framing (the bare `\n`, `start`/`Start`, `Success` with
//! `Message move failed`, the closed connection after a refused login).

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::common::ami::config;
use ringside::ami::frame::{Decoder, Frame};
use ringside::ami::{AmiClient, AmiError, LinkState, Message, Outcome, Timers};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dir {
    Sent,
    Received,
}

fn sessions_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ami-sessions")
}

/// Reads a recording: `>>>`/`<<<` blocks; `<CRLF>` is `\r\n` on the wire, a line ending
/// without it was a bare `\n`, and empty lines only separate blocks.
fn transcript(name: &str) -> Vec<(Dir, Vec<u8>)> {
    let text = std::fs::read_to_string(sessions_dir().join(name)).expect("recording");
    let mut blocks: Vec<(Dir, Vec<u8>)> = Vec::new();
    for line in text.lines() {
        match line {
            ">>>" => blocks.push((Dir::Sent, Vec::new())),
            "<<<" => blocks.push((Dir::Received, Vec::new())),
            "" => {}
            _ => {
                let (_, bytes) = blocks.last_mut().expect("a block is open");
                match line.strip_suffix("<CRLF>") {
                    Some(content) => {
                        bytes.extend_from_slice(content.as_bytes());
                        bytes.extend_from_slice(b"\r\n");
                    }
                    None => {
                        bytes.extend_from_slice(line.as_bytes());
                        bytes.push(b'\n');
                    }
                }
            }
        }
    }
    blocks
}

fn decode_all(bytes: &[u8]) -> Vec<Frame> {
    let mut decoder = Decoder::new();
    decoder.push(bytes);
    let mut frames = Vec::new();
    while let Some(frame) = decoder.next_frame().expect("Asterisk's bytes parse") {
        frames.push(frame);
    }
    frames
}

fn received_bytes(name: &str) -> Vec<u8> {
    transcript(name)
        .into_iter()
        .filter(|(d, _)| *d == Dir::Received)
        .flat_map(|(_, b)| b)
        .collect()
}

fn messages(name: &str) -> Vec<Message> {
    decode_all(&received_bytes(name))
        .into_iter()
        .filter_map(|f| match f {
            Frame::Message(m) => Some(m),
            Frame::Banner(_) => None,
        })
        .collect()
}

#[test]
fn every_recording_starts_with_the_call_manager_banner() {
    for entry in std::fs::read_dir(sessions_dir()).expect("dir") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "txt") {
            let name = path.file_name().and_then(|n| n.to_str()).expect("name");
            let frames = decode_all(&received_bytes(name));
            assert_eq!(
                frames.first(),
                Some(&Frame::Banner("11.0.0".into())),
                "{name}"
            );
        }
    }
}

#[test]
fn the_move_answers_parse_as_one_message_each_despite_the_bare_line_feed() {
    let all = messages("voicemail-move-remove.txt");
    let texts: Vec<&str> = all.iter().filter_map(|m| m.get("Message")).collect();
    assert_eq!(
        texts,
        vec![
            "Authentication accepted",
            "Message move successful",
            "Mailbox Message Count",
            "Message move failed",
            "Message remove successful",
            "Message remove failed",
            "Mailbox Message Count",
            "Refresh sent",
            "Thanks for all the fish.",
        ]
    );
}

#[test]
fn the_summary_recording_holds_two_details_and_a_complete_marker() {
    let all = messages("voicemail-box-summary.txt");
    let details = all
        .iter()
        .filter(|m| m.get("Event") == Some("VoicemailBoxDetail"))
        .count();
    assert_eq!(details, 2);
    assert!(
        all.iter()
            .any(|m| m.get("EventList") == Some("Complete") && m.get("ListItems") == Some("2"))
    );
}

/// Serves a recording: the banner, then for each action the client sends, the recorded
/// answer with the recorded ActionID replaced by the client's. An action other than the
/// recorded one closes the connection (the test then fails on its answer).
async fn replay(name: &str) -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    let blocks = transcript(name);
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let task = tokio::spawn(async move {
        let Ok((mut stream, _)) = listener.accept().await else {
            return;
        };
        let mut decoder = Decoder::without_banner();
        let mut buf = vec![0u8; 8192];
        let mut i = 0;
        while i < blocks.len() {
            let (dir, bytes) = &blocks[i];
            if *dir == Dir::Received {
                let _ = stream.write_all(bytes).await;
                i += 1;
                continue;
            }
            let recorded =
                decode_all(&[b"Asterisk Call Manager/11.0.0\r\n".as_slice(), bytes].concat());
            let Some(Frame::Message(recorded)) = recorded.get(1).cloned() else {
                return;
            };
            let sent = loop {
                if let Ok(Some(Frame::Message(m))) = decoder.next_frame() {
                    break m;
                }
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => decoder.push(&buf[..n]),
                }
            };
            if sent.get("Action") != recorded.get("Action") {
                return;
            }
            let (from, to) = (
                format!("ActionID: {}\r\n", recorded.action_id().unwrap_or_default()),
                format!("ActionID: {}\r\n", sent.action_id().unwrap_or_default()),
            );
            i += 1;
            while i < blocks.len() && blocks[i].0 == Dir::Received {
                let text = String::from_utf8_lossy(&blocks[i].1).replace(&from, &to);
                let _ = stream.write_all(text.as_bytes()).await;
                i += 1;
            }
        }
        tokio::time::sleep(Duration::from_secs(30)).await;
    });
    (addr, task)
}

fn timers() -> Timers {
    crate::common::ami::timers((Duration::from_millis(50), Duration::from_secs(5)))
}

async fn connected(name: &str) -> (AmiClient, CancellationToken) {
    let (addr, _task) = replay(name).await;
    let stop = CancellationToken::new();
    let client = AmiClient::spawn(config(addr, "ringside-ami-secret"), timers(), stop.clone());
    assert!(
        client.wait_connected(Duration::from_secs(5)).await,
        "login accepted"
    );
    (client, stop)
}

#[tokio::test]
async fn box_summary_lists_the_recorded_messages_and_none_for_a_missing_mailbox() {
    let (client, stop) = connected("voicemail-box-summary.txt").await;
    let details = client
        .voicemail_box_summary("default", "1003")
        .await
        .expect("answer")
        .expect("mailbox exists");
    let ids: Vec<&str> = details.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, vec!["1796510422-00000000", "1796510443-00000001"]);
    assert_eq!(details[0].date, "Sat Dec  5 10:40:22 PM UTC 2026");
    let counts = client
        .mailbox_count("default", "1003")
        .await
        .expect("count");
    assert_eq!((counts.new, counts.old, counts.urgent), (2, 0, 0));
    assert_eq!(
        client
            .voicemail_box_summary("default", "9999")
            .await
            .expect("answer"),
        None
    );
    stop.cancel();
}

#[tokio::test]
async fn a_second_move_or_remove_of_the_same_message_means_it_is_gone() {
    let (client, stop) = connected("voicemail-move-remove.txt").await;
    let id = "1796510422-00000000";
    let mv = |c: AmiClient| async move {
        c.voicemail_move("default", "1003", "INBOX", id, "Old")
            .await
    };
    assert_eq!(mv(client.clone()).await, Ok(Outcome::Done));
    let counts = client
        .mailbox_count("default", "1003")
        .await
        .expect("count");
    assert_eq!((counts.new, counts.old), (1, 1));
    assert_eq!(mv(client.clone()).await, Ok(Outcome::MessageGone));
    assert_eq!(
        client.voicemail_remove("default", "1003", "Old", id).await,
        Ok(Outcome::Done)
    );
    assert_eq!(
        client.voicemail_remove("default", "1003", "Old", id).await,
        Ok(Outcome::MessageGone)
    );
    let counts = client
        .mailbox_count("default", "1003")
        .await
        .expect("count");
    assert_eq!((counts.new, counts.old), (1, 0));
    client
        .voicemail_refresh("default", "1003")
        .await
        .expect("refresh");
    stop.cancel();
}

#[tokio::test]
async fn a_list_marked_start_with_a_capital_is_collected_too() {
    let (client, stop) = connected("fax-session-progress.txt").await;
    let reply = client
        .send(Message::new().with("Action", "FAXSessions"))
        .await
        .expect("list");
    assert_eq!(reply.events.len(), 4);
    assert!(
        reply
            .events
            .iter()
            .all(|e| e.get("Event") == Some("FAXSessionsEntry"))
    );
    stop.cancel();
}

#[tokio::test]
async fn an_error_response_is_reported_with_asterisks_words() {
    let (client, stop) = connected("showdialplan.txt").await;
    let found = client
        .send(
            Message::new()
                .with("Action", "ShowDialPlan")
                .with("Context", "ringside-voicemail"),
        )
        .await
        .expect("list");
    assert!(found.events.len() > 5);
    let missing = client
        .send(
            Message::new()
                .with("Action", "ShowDialPlan")
                .with("Context", "nope"),
        )
        .await;
    match missing {
        Err(AmiError::Refused(text)) => assert!(text.contains("Did not find context"), "{text}"),
        other => panic!("{other:?}"),
    }
    stop.cancel();
}

#[tokio::test]
async fn events_that_answer_no_action_are_published_typed_or_raw() {
    let (addr, _task) = replay("cdr-events.txt").await;
    let stop = CancellationToken::new();
    let client = AmiClient::spawn(config(addr, "ringside-ami-secret"), timers(), stop.clone());
    let mut events = client.events();
    let first = tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .expect("in time")
        .expect("an event");
    assert_eq!(first.name(), "Cdr");
    stop.cancel();
}

#[tokio::test]
async fn a_refused_login_is_reported_and_actions_say_the_link_is_not_available() {
    let (addr, _task) = replay("login-refused.txt").await;
    let stop = CancellationToken::new();
    let client = AmiClient::spawn(config(addr, "wrong"), timers(), stop.clone());
    let mut state = client.state();
    let refused = tokio::time::timeout(
        Duration::from_secs(5),
        state.wait_for(|s| matches!(s, LinkState::LoginRefused { .. })),
    )
    .await
    .expect("in time")
    .expect("state")
    .clone();
    assert!(
        refused
            .unavailable_reason()
            .contains("Authentication failed"),
        "{refused:?}"
    );
    let err = client
        .voicemail_refresh("default", "1003")
        .await
        .expect_err("no link");
    assert!(
        err.to_string().starts_with("manager link not available"),
        "{err}"
    );
    stop.cancel();
}

#[tokio::test]
async fn nothing_listening_leaves_the_client_retrying_without_failing() {
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("probe");
        probe.local_addr().expect("addr").port()
    };
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let stop = CancellationToken::new();
    let client = AmiClient::spawn(config(addr, "x"), timers(), stop.clone());
    assert!(!client.wait_connected(Duration::from_millis(300)).await);
    assert!(matches!(
        client.mailbox_count("default", "1001").await,
        Err(AmiError::NotAvailable(_))
    ));
    stop.cancel();
}
