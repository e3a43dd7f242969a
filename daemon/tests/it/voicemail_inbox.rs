//! The voicemail inbox end to end: a spool laid out as app_voicemail lays it out, the AMI
//! simulator changing it as app_voicemail would, and the inbox reading and acting on it.

use std::time::Duration;

use crate::common::ami::{config, simulator, speech_wav};
use ringside::ami::simulator::AmiSimulator;
use ringside::ami::simulator::mailbox::{SimSpool, sample_message};
use ringside::ami::{AmiClient, AmiError, Timers};
use ringside::voicemail::inbox::{Inbox, InboxError, mailbox};
use ringside::voicemail::spool::{Folder, MailboxNumber, Spool};
use tokio_util::sync::CancellationToken;

const SECRET: &str = "ringside-ami-secret";

struct World {
    _dir: tempfile::TempDir,
    root: std::path::PathBuf,
    sim: AmiSimulator,
    inbox: Inbox,
    stop: CancellationToken,
    mb: MailboxNumber,
}

impl Drop for World {
    fn drop(&mut self) {
        self.stop.cancel();
        self.sim.shutdown();
    }
}

fn timers() -> Timers {
    crate::common::ami::timers((Duration::from_millis(20), Duration::from_millis(200)))
}

/// Mailbox 1001 with three INBOX messages (a, b, c; c newest) and one Old (o).
async fn world() -> World {
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path().join("voicemail");
    let spool = SimSpool::new(&root);
    let wav = speech_wav();
    for (i, id) in ["a", "b", "c"].iter().enumerate() {
        spool
            .deposit(
                "default",
                "1001",
                "INBOX",
                &sample_message(
                    &format!("1796510000-0000000{i}-{id}"),
                    &format!("555000{i}"),
                    1_796_510_000 + i as i64 * 60,
                    3,
                ),
                Some(("wav", &wav)),
            )
            .expect("deposit");
    }
    spool
        .deposit(
            "default",
            "1001",
            "Old",
            &sample_message("1796500000-00000009-o", "5559999", 1_796_500_000, 3),
            Some(("wav", &wav)),
        )
        .expect("deposit");
    let sim = simulator(&root, SECRET).await;
    let stop = CancellationToken::new();
    let client = AmiClient::spawn(config(sim.addr(), SECRET), timers(), stop.clone());
    assert!(client.wait_connected(Duration::from_secs(5)).await);
    let inbox = Inbox::new(Spool::new(&root, "default"), client);
    World {
        _dir: dir,
        root,
        sim,
        inbox,
        stop,
        mb: mailbox("1001").expect("valid"),
    }
}

fn id(letter: &str) -> String {
    let i = ["a", "b", "c"]
        .iter()
        .position(|l| *l == letter)
        .expect("known");
    format!("1796510000-0000000{i}-{letter}")
}

#[tokio::test]
async fn the_inbox_lists_newest_first_with_counts_for_every_folder() {
    let w = world().await;
    let listing = w.inbox.list(&w.mb, Folder::Inbox, 1, 10).expect("list");
    let ids: Vec<&str> = listing
        .messages
        .iter()
        .map(|m| m.info.msg_id.as_str())
        .collect();
    assert_eq!(ids, vec![id("c"), id("b"), id("a")]);
    assert_eq!(listing.messages[0].info.caller_number, "5550002");
    assert_eq!(listing.messages[0].info.caller_name, "Caller 5550002");
    assert_eq!(listing.messages[0].info.duration_secs, Some(3));
    let counts: Vec<(Folder, u32)> = listing.counts.clone();
    assert_eq!(counts[0], (Folder::Inbox, 3));
    assert_eq!(counts[1], (Folder::Old, 1));
    assert_eq!(listing.total, 3);
}

#[tokio::test]
async fn pages_split_the_folder() {
    let w = world().await;
    let page2 = w.inbox.list(&w.mb, Folder::Inbox, 2, 2).expect("list");
    assert_eq!(page2.messages.len(), 1);
    assert_eq!(page2.messages[0].info.msg_id, id("a"));
}

#[tokio::test]
async fn marking_read_moves_to_old_and_mailbox_count_agrees() {
    let w = world().await;
    assert!(w.inbox.mark_read(&w.mb, &id("b")).await.expect("marked"));
    let counts = w.inbox.counts(&w.mb).expect("counts");
    assert_eq!(counts[0], (Folder::Inbox, 2));
    assert_eq!(counts[1], (Folder::Old, 2));
    let ami = w
        .inbox
        .ami()
        .mailbox_count("default", "1001")
        .await
        .expect("count");
    assert_eq!((ami.new, ami.old), (2, 2));
    assert_eq!(
        w.inbox.find(&w.mb, &id("b")).expect("found").folder,
        Folder::Old
    );
}

#[tokio::test]
async fn marking_an_old_message_read_does_nothing() {
    let w = world().await;
    assert!(
        !w.inbox
            .mark_read(&w.mb, "1796500000-00000009-o")
            .await
            .expect("ok")
    );
}

#[tokio::test]
async fn mark_unread_brings_a_message_back_to_the_inbox() {
    let w = world().await;
    assert!(
        w.inbox
            .mark_unread(&w.mb, "1796500000-00000009-o")
            .await
            .expect("ok")
    );
    assert_eq!(w.inbox.new_count(&w.mb).expect("count"), 4);
}

#[tokio::test]
async fn deleting_removes_the_message_and_its_recording() {
    let w = world().await;
    w.inbox.remove(&w.mb, &id("a")).await.expect("deleted");
    assert!(matches!(
        w.inbox.find(&w.mb, &id("a")),
        Err(InboxError::MessageGone)
    ));
    let ami = w
        .inbox
        .ami()
        .mailbox_count("default", "1001")
        .await
        .expect("count");
    assert_eq!(ami.new, 2);
    let inbox_dir = w.root.join("default/1001/INBOX");
    assert!(
        !inbox_dir.join("msg0002.wav").exists(),
        "renumbered, nothing left over"
    );
}

#[tokio::test]
async fn a_message_deleted_by_phone_meanwhile_is_reported_gone_and_nothing_else_changes() {
    let w = world().await;
    let listing = w.inbox.list(&w.mb, Folder::Inbox, 1, 10).expect("list");
    let target = listing.messages[2].info.msg_id.clone(); // "a", file msg0000
    // The phone deletes it: app_voicemail renumbers, so msg0000 is now another message.
    assert!(SimSpool::new(&w.root).remove_message("default", "1001", "INBOX", &target));
    let err = w.inbox.remove(&w.mb, &target).await.expect_err("gone");
    assert_eq!(err.to_string(), "message no longer exists");
    let left = w.inbox.list(&w.mb, Folder::Inbox, 1, 10).expect("list");
    let ids: Vec<&str> = left
        .messages
        .iter()
        .map(|m| m.info.msg_id.as_str())
        .collect();
    assert_eq!(
        ids,
        vec![id("c"), id("b")],
        "the other messages are untouched"
    );
}

#[tokio::test]
async fn a_message_heard_on_the_phone_meanwhile_is_still_deleted_in_its_new_folder() {
    let w = world().await;
    let spool = SimSpool::new(&w.root);
    // The inbox located it in INBOX; the phone then moves it to Old before the action.
    let target = id("b");
    let located = w.inbox.find(&w.mb, &target).expect("found");
    assert_eq!(located.folder, Folder::Inbox);
    assert!(spool.move_message("default", "1001", "INBOX", &target, "Old"));
    w.inbox
        .remove(&w.mb, &target)
        .await
        .expect("deleted where it is now");
    assert!(matches!(
        w.inbox.find(&w.mb, &target),
        Err(InboxError::MessageGone)
    ));
}

#[tokio::test]
async fn deleting_several_reports_the_ones_already_gone() {
    let w = world().await;
    SimSpool::new(&w.root).remove_message("default", "1001", "INBOX", &id("a"));
    let report = w
        .inbox
        .remove_many(&w.mb, &[id("a"), id("b")])
        .await
        .expect("report");
    assert_eq!(report.removed, vec![id("b")]);
    assert_eq!(report.gone, vec![id("a")]);
}

#[tokio::test]
async fn moving_to_a_folder_and_back_keeps_the_id() {
    let w = world().await;
    let from = w
        .inbox
        .move_to(&w.mb, &id("c"), Folder::Work)
        .await
        .expect("moved");
    assert_eq!(from, Folder::Inbox);
    assert_eq!(
        w.inbox.find(&w.mb, &id("c")).expect("found").folder,
        Folder::Work
    );
    w.inbox
        .move_to(&w.mb, &id("c"), Folder::Inbox)
        .await
        .expect("back");
    assert_eq!(
        w.inbox.find(&w.mb, &id("c")).expect("found").folder,
        Folder::Inbox
    );
}

#[tokio::test]
async fn a_message_left_by_phone_appears_without_a_restart() {
    let w = world().await;
    assert_eq!(w.inbox.new_count(&w.mb).expect("count"), 3);
    SimSpool::new(&w.root)
        .deposit(
            "default",
            "1001",
            "INBOX",
            &sample_message("1796600000-0000000a", "5551234", 1_796_600_000, 5),
            Some(("wav", &speech_wav())),
        )
        .expect("deposit");
    let listing = w.inbox.list(&w.mb, Folder::Inbox, 1, 10).expect("list");
    assert_eq!(listing.messages[0].info.msg_id, "1796600000-0000000a");
    assert_eq!(w.inbox.new_count(&w.mb).expect("count"), 4);
}

#[tokio::test]
async fn a_garbled_message_file_is_reported_and_the_rest_still_listed() {
    let w = world().await;
    let dir = w.root.join("default/1001/INBOX");
    std::fs::write(dir.join("msg0003.txt"), b"\xff\xfe[mess\0age]\nmsg_i").expect("garble");
    let listing = w.inbox.list(&w.mb, Folder::Inbox, 1, 10).expect("list");
    assert_eq!(listing.messages.len(), 3);
    assert_eq!(listing.unreadable.len(), 1);
    assert_eq!(listing.unreadable[0].file, "msg0003.txt");
    assert!(
        listing.unreadable[0].reason.contains("msg_id"),
        "{:?}",
        listing.unreadable
    );
}

#[tokio::test]
async fn a_missing_recording_is_a_clear_error() {
    let w = world().await;
    std::fs::remove_file(w.root.join("default/1001/INBOX/msg0001.wav")).expect("rm");
    let err = w
        .inbox
        .open_recording(&w.mb, &id("b"))
        .expect_err("no audio");
    assert!(err.to_string().contains("has no recording"), "{err}");
}

#[tokio::test]
async fn a_recording_that_is_not_audio_is_a_clear_error() {
    let w = world().await;
    std::fs::write(
        w.root.join("default/1001/INBOX/msg0001.wav"),
        b"<html>oops</html>",
    )
    .expect("write");
    let err = w
        .inbox
        .open_recording(&w.mb, &id("b"))
        .expect_err("not audio");
    assert!(err.to_string().contains("is not audio"), "{err}");
}

#[tokio::test]
async fn listening_does_not_need_the_manager_but_changing_does() {
    let w = world().await;
    w.sim.shutdown();
    w.sim.drop_connections();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(w.inbox.open_recording(&w.mb, &id("b")).is_ok());
    let err = w
        .inbox
        .remove(&w.mb, &id("b"))
        .await
        .expect_err("no manager");
    assert!(
        err.to_string().contains("manager link not available"),
        "{err}"
    );
    assert!(w.inbox.find(&w.mb, &id("b")).is_ok(), "nothing was lost");
}

#[tokio::test]
async fn a_connection_dropped_mid_list_fails_that_action_and_the_link_comes_back() {
    let w = world().await;
    w.sim.drop_next_list_after(1);
    let err = w
        .inbox
        .ami()
        .voicemail_box_summary("default", "1001")
        .await
        .expect_err("cut off");
    assert_eq!(err, AmiError::ConnectionLost);
    assert!(
        w.inbox.ami().wait_connected(Duration::from_secs(5)).await,
        "reconnected"
    );
    let mut details = None;
    for _ in 0..50 {
        match w.inbox.ami().voicemail_box_summary("default", "1001").await {
            Ok(d) => {
                details = d;
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    assert_eq!(details.expect("summary").len(), 4);
    assert!(w.sim.logins() >= 2);
}

#[tokio::test]
async fn a_refused_login_keeps_the_inbox_readable_and_says_why_changes_fail() {
    let w = world().await;
    let stop = CancellationToken::new();
    let refused = AmiClient::spawn(config(w.sim.addr(), "wrong"), timers(), stop.clone());
    let inbox = Inbox::new(Spool::new(&w.root, "default"), refused);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        inbox.list(&w.mb, Folder::Inbox, 1, 10).expect("list").total,
        3
    );
    let err = inbox.mark_read(&w.mb, &id("a")).await.expect_err("refused");
    assert!(err.to_string().contains("refused the login"), "{err}");
    stop.cancel();
}

#[tokio::test]
async fn only_the_named_message_is_ever_addressed() {
    let w = world().await;
    w.inbox.remove(&w.mb, &id("b")).await.expect("deleted");
    let actions = w.sim.actions();
    let removes: Vec<_> = actions
        .iter()
        .filter(|a| a.get("Action") == Some("VoicemailRemove"))
        .collect();
    assert_eq!(removes.len(), 1);
    assert_eq!(removes[0].get("ID"), Some(id("b").as_str()));
}

#[test]
fn a_message_file_written_as_voicemail_writes_it_reads_back_whole() {
    let dir = tempfile::tempdir().expect("tmp");
    let spool = SimSpool::new(dir.path());
    let mut msg = sample_message("1796510422-00000000", "5550001", 1_796_510_422, 16);
    msg.flag = "Urgent".into();
    spool
        .deposit("default", "1003", "Urgent", &msg, None)
        .expect("deposit");
    let text = std::fs::read_to_string(dir.path().join("default/1003/Urgent/msg0000.txt"))
        .expect("written");
    let info = ringside::voicemail::message_file::parse(&text).expect("parses");
    assert_eq!(info.msg_id, "1796510422-00000000");
    assert_eq!(
        (info.caller_name.as_str(), info.caller_number.as_str()),
        ("Caller 5550001", "5550001")
    );
    assert_eq!(info.origtime, Some(1_796_510_422));
    assert_eq!(info.origdate, "Sat Dec  5 10:40:22 PM UTC 2026");
    assert_eq!(info.duration_secs, Some(16));
    assert!(info.urgent);
}
