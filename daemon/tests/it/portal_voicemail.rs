//! The portal's voicemail menu as `Daemon::run` serves it: a spool laid out as app_voicemail
//! lays it out, the AMI simulator as Asterisk's manager, and plain HTTP against the JSON API
//! and the page.

use std::path::PathBuf;
use std::time::Duration;

use ringside::ami::simulator::AmiSimulator;
use ringside::ami::simulator::mailbox::{SimSpool, sample_message};
use ringside::config::{Config, VoicemailConfig};

use crate::common::ami::{simulator, speech_wav};
use crate::portal_serve::{ApiSession, RunningDaemon, add_user, start_with};
use ringside::store::Store;
use serde_json::{Value, json};

const SECRET: &str = "ringside-ami-secret";
const A: &str = "1796510000-00000000";
const B: &str = "1796510060-00000001";
const OTHER: &str = "1796510120-00000002";

use crate::portal_serve::free_addr;

struct Portal {
    base: String,
    spool: PathBuf,
    sim: AmiSimulator,
    _daemon: RunningDaemon,
    _dir: tempfile::TempDir,
}

impl Drop for Portal {
    fn drop(&mut self) {
        self.sim.shutdown();
    }
}

fn password(ext: &str) -> String {
    format!("secret-{ext}-pass")
}

/// Mailbox 1001 holds A (older) and B in INBOX; mailbox 1002 holds OTHER. Users 1001 and
/// 1002 may log in. `secret` is what Ringside's `[ami]` says.
async fn portal(secret: &str) -> Portal {
    let dir = tempfile::tempdir().expect("tmp");
    let spool_root = dir.path().join("voicemail");
    let spool = SimSpool::new(&spool_root);
    let wav = speech_wav();
    for (mailbox, id, at) in [("1001", A, 0), ("1001", B, 60), ("1002", OTHER, 120)] {
        spool
            .deposit(
                "default",
                mailbox,
                "INBOX",
                &sample_message(id, "5550001", 1_796_510_000 + at, 3),
                Some(("wav", &wav)),
            )
            .expect("deposit");
    }
    let sim = simulator(&spool_root, SECRET).await;
    let listen = free_addr();
    let config = Config {
        voicemail: VoicemailConfig {
            spool_dir: spool_root.clone(),
            context: "default".into(),
        },
        ami: crate::common::ami::config(sim.addr(), secret),
        ..crate::portal_serve::config(dir.path(), listen)
    };
    let daemon = start_with(config, async |store: &Store| {
        for ext in ["1001", "1002"] {
            add_user(store, ext, &password(ext)).await;
        }
    })
    .await;
    Portal {
        base: daemon.base.clone(),
        spool: spool_root,
        sim,
        _daemon: daemon,
        _dir: dir,
    }
}

async fn folder_of(session: &ApiSession, id: &str) -> Option<String> {
    let (status, body) = session
        .json(
            reqwest::Method::GET,
            &format!("/api/v1/voicemail/messages/{id}"),
        )
        .await;
    (status == 200).then(|| body["folder"].as_str().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn the_inbox_lists_own_messages_newest_first_with_counts() {
    let p = portal(SECRET).await;
    let s = ApiSession::log_in(&p.base, "1001", &password("1001")).await;
    let (status, page) = s.json(reqwest::Method::GET, "/api/v1/voicemail").await;
    assert_eq!(status, 200, "{page}");
    let ids: Vec<&str> = page["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter_map(|m| m["id"].as_str())
        .collect();
    assert_eq!(ids, vec![B, A]);
    assert_eq!(page["folders"][0], json!({"folder": "INBOX", "count": 2}));
    assert_eq!(page["messages"][0]["caller_number"], "5550001");
    let (_, count) = s
        .json(reqwest::Method::GET, "/api/v1/voicemail/count")
        .await;
    assert_eq!(count, json!({"new": 2}));
}

#[tokio::test]
async fn audio_answers_a_range_with_206_and_the_same_bytes_as_the_whole_file() {
    let p = portal(SECRET).await;
    let s = ApiSession::log_in(&p.base, "1001", &password("1001")).await;
    let path = format!("/api/v1/voicemail/messages/{A}/audio");
    let whole = s
        .request(reqwest::Method::GET, &path)
        .send()
        .await
        .expect("audio");
    assert_eq!(whole.status(), 200);
    assert_eq!(whole.headers()["content-type"], "audio/wav");
    assert_eq!(whole.headers()["accept-ranges"], "bytes");
    let whole = whole.bytes().await.expect("body");
    assert_eq!(&whole[..4], b"RIFF");
    let part = s
        .request(reqwest::Method::GET, &path)
        .header("range", "bytes=1000-1999")
        .send()
        .await
        .expect("range");
    assert_eq!(part.status(), 206);
    assert_eq!(
        part.headers()["content-range"],
        format!("bytes 1000-1999/{}", whole.len()).as_str()
    );
    assert_eq!(part.bytes().await.expect("body"), whole[1000..2000]);
}

#[tokio::test]
async fn listening_from_the_start_marks_the_message_heard() {
    let p = portal(SECRET).await;
    let s = ApiSession::log_in(&p.base, "1001", &password("1001")).await;
    let response = s
        .request(
            reqwest::Method::GET,
            &format!("/api/v1/voicemail/messages/{A}/audio"),
        )
        .send()
        .await
        .expect("audio");
    assert_eq!(response.status(), 200);
    let _ = response.bytes().await;
    let mut folder = None;
    for _ in 0..100 {
        folder = folder_of(&s, A).await;
        if folder.as_deref() == Some("Old") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(folder.as_deref(), Some("Old"));
    let (_, count) = s
        .json(reqwest::Method::GET, "/api/v1/voicemail/count")
        .await;
    assert_eq!(count, json!({"new": 1}));
}

#[tokio::test]
async fn a_seek_does_not_mark_the_message_heard() {
    let p = portal(SECRET).await;
    let s = ApiSession::log_in(&p.base, "1001", &password("1001")).await;
    let response = s
        .request(
            reqwest::Method::GET,
            &format!("/api/v1/voicemail/messages/{A}/audio"),
        )
        .header("range", "bytes=5000-")
        .send()
        .await
        .expect("audio");
    assert_eq!(response.status(), 206);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(folder_of(&s, A).await.as_deref(), Some("INBOX"));
}

#[tokio::test]
async fn deleting_twice_says_the_message_no_longer_exists() {
    let p = portal(SECRET).await;
    let s = ApiSession::log_in(&p.base, "1001", &password("1001")).await;
    let path = format!("/api/v1/voicemail/messages/{A}");
    let (status, _) = s.json(reqwest::Method::DELETE, &path).await;
    assert_eq!(status, 204);
    let (status, body) = s.json(reqwest::Method::DELETE, &path).await;
    assert_eq!(status, 410, "{body}");
    assert_eq!(body["message"], "message no longer exists");
    let (_, page) = s.json(reqwest::Method::GET, "/api/v1/voicemail").await;
    assert_eq!(page["total"], 1, "the other message is untouched");
}

#[tokio::test]
async fn moving_and_marking_new_go_through_the_manager() {
    let p = portal(SECRET).await;
    let s = ApiSession::log_in(&p.base, "1001", &password("1001")).await;
    let response = s
        .request(
            reqwest::Method::PUT,
            &format!("/api/v1/voicemail/messages/{B}/folder"),
        )
        .json(&json!({"folder": "Work"}))
        .send()
        .await
        .expect("move");
    assert_eq!(response.status(), 204);
    assert_eq!(folder_of(&s, B).await.as_deref(), Some("Work"));
    let response = s
        .request(
            reqwest::Method::PUT,
            &format!("/api/v1/voicemail/messages/{B}/read"),
        )
        .json(&json!({"read": false}))
        .send()
        .await
        .expect("unread");
    assert_eq!(response.status(), 204);
    assert_eq!(folder_of(&s, B).await.as_deref(), Some("INBOX"));
    assert!(
        p.sim
            .actions()
            .iter()
            .any(|a| a.get("Action") == Some("VoicemailMove") && a.get("ToFolder") == Some("Work"))
    );
}

#[tokio::test]
async fn another_users_message_cannot_be_seen_or_deleted() {
    let p = portal(SECRET).await;
    let s = ApiSession::log_in(&p.base, "1001", &password("1001")).await;
    let (status, _) = s
        .json(
            reqwest::Method::GET,
            &format!("/api/v1/voicemail/messages/{OTHER}"),
        )
        .await;
    assert_eq!(status, 410);
    let (status, _) = s
        .json(
            reqwest::Method::DELETE,
            &format!("/api/v1/voicemail/messages/{OTHER}"),
        )
        .await;
    assert_eq!(status, 410);
    let owner = ApiSession::log_in(&p.base, "1002", &password("1002")).await;
    assert_eq!(folder_of(&owner, OTHER).await.as_deref(), Some("INBOX"));
    assert!(
        !p.sim
            .actions()
            .iter()
            .any(|a| a.get("Action") == Some("VoicemailRemove")),
        "nothing was sent to the manager"
    );
}

#[tokio::test]
async fn deleting_several_reports_the_ones_gone() {
    let p = portal(SECRET).await;
    let s = ApiSession::log_in(&p.base, "1001", &password("1001")).await;
    let response = s
        .request(reqwest::Method::POST, "/api/v1/voicemail/delete")
        .json(&json!({"ids": [A, "1796599999-00000099"]}))
        .send()
        .await
        .expect("bulk");
    assert_eq!(response.status(), 200);
    let report: Value = response.json().await.expect("json");
    assert_eq!(
        report,
        json!({"deleted": [A], "gone": ["1796599999-00000099"]})
    );
}

#[tokio::test]
async fn a_refused_manager_login_leaves_listing_and_says_why_changes_fail() {
    let p = portal("wrong-secret").await;
    let s = ApiSession::log_in(&p.base, "1001", &password("1001")).await;
    let (status, _) = s.json(reqwest::Method::GET, "/api/v1/voicemail").await;
    assert_eq!(status, 200);
    let (status, body) = s
        .json(
            reqwest::Method::DELETE,
            &format!("/api/v1/voicemail/messages/{A}"),
        )
        .await;
    assert_eq!(status, 503, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("manager link not available"),
        "{body}"
    );
    assert!(
        p.spool.join("default/1001/INBOX/msg0000.txt").exists(),
        "nothing lost"
    );
}

#[tokio::test]
async fn the_page_lists_messages_with_players_and_the_count_in_the_navigation() {
    let p = portal(SECRET).await;
    let s = ApiSession::log_in(&p.base, "1001", &password("1001")).await;
    let html = s.html("/voicemail").await;
    assert!(html.contains(&format!("id=\"play-{A}\"")), "{html}");
    assert!(html.contains(&format!("src=\"/voicemail/{B}/audio\"")));
    assert!(html.contains("id=\"voicemail-new\""));
    assert!(html.contains("id=\"count-INBOX\">2<"));
}

#[tokio::test]
async fn the_first_page_status_panel_counts_new_voicemail() {
    let p = portal(SECRET).await;
    let s = ApiSession::log_in(&p.base, "1001", &password("1001")).await;
    let html = s.html("/profile").await;
    assert!(
        html.contains("<dd id=\"status-voicemail\"><a href=\"/voicemail\">2</a></dd>"),
        "{html}"
    );
}

#[tokio::test]
async fn the_voicemail_api_is_in_the_openapi_document() {
    let p = portal(SECRET).await;
    let doc: Value = reqwest::get(format!("{}/api/v1/openapi.json", p.base))
        .await
        .expect("doc")
        .json()
        .await
        .expect("json");
    assert!(doc["paths"]["/api/v1/voicemail"]["get"].is_object());
    assert!(doc["paths"]["/api/v1/voicemail/messages/{id}/audio"]["get"].is_object());
}
