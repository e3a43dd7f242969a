//! Feature codes end to end: the `feature` FastAGI script as Asterisk's `ringside-features`
//! context runs it (dialled code, calling extension), answered like Asterisk answers SET
//! VARIABLE, with the settings read back from the store.

use std::sync::Arc;
use std::time::Duration;

use ringside::agi::AgiServer;
use ringside::config::{AgiConfig, FeaturesConfig};
use ringside::flows::features::FeatureHandler;
use ringside::store::{FollowMeSettings, ForwardKind, NewUser, Store};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

struct Rig {
    store: Store,
    addr: std::net::SocketAddr,
    stop: CancellationToken,
    dnd_changed: Arc<Notify>,
}

impl Rig {
    async fn new() -> Self {
        let store = Store::connect("sqlite::memory:").await.expect("store");
        store
            .create_user(&NewUser::new("1001", "Alice"))
            .await
            .expect("user");
        let dnd_changed = Arc::new(Notify::new());
        let server = AgiServer::new(&AgiConfig::default()).route(
            "feature",
            FeatureHandler::new(
                store.clone(),
                FeaturesConfig::default(),
                dnd_changed.clone(),
            ),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let stop = CancellationToken::new();
        tokio::spawn(server.serve(listener, stop.clone()));
        Self {
            store,
            addr,
            stop,
            dnd_changed,
        }
    }

    /// Dials `code` from `caller` as the dialplan does; the channel variables Ringside set.
    async fn dial(&self, code: &str, caller: &str) -> Vec<(String, String)> {
        let header = format!(
            "agi_network: yes\nagi_network_script: feature\nagi_request: agi://{addr}/feature\n\
             agi_channel: PJSIP/{caller}-00000001\nagi_language: en\nagi_type: PJSIP\n\
             agi_uniqueid: 1795426300.1\nagi_version: 22.11.0\nagi_callerid: {caller}\n\
             agi_calleridname: Alice\nagi_context: ringside-feature-apply\nagi_extension: s\n\
             agi_priority: 3\nagi_enhanced: 0.0\nagi_accountcode: \nagi_threadid: 1\n\
             agi_arg_1: {code}\nagi_arg_2: {caller}\n\n",
            addr = self.addr
        );
        let socket = tokio::net::TcpStream::connect(self.addr)
            .await
            .expect("connect");
        let (read, mut write) = socket.into_split();
        write.write_all(header.as_bytes()).await.expect("header");
        let mut lines = BufReader::new(read).lines();
        let mut set = Vec::new();
        while let Ok(Ok(Some(line))) =
            tokio::time::timeout(Duration::from_secs(5), lines.next_line()).await
        {
            if let Some(rest) = line.strip_prefix("SET VARIABLE ") {
                let mut parts = rest.splitn(2, ' ');
                let name = parts.next().unwrap_or("").to_owned();
                let value = parts.next().unwrap_or("").trim_matches('"').to_owned();
                set.push((name, value));
            }
            write.write_all(b"200 result=1\n").await.expect("reply");
        }
        set
    }

    fn stop(&self) {
        self.stop.cancel();
    }
}

fn var<'a>(set: &'a [(String, String)], name: &str) -> Option<&'a str> {
    set.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn star_76_turns_dnd_on_and_the_caller_hears_activated() {
    let rig = Rig::new().await;
    let set = rig.dial("*76", "1001").await;
    assert_eq!(var(&set, "RINGSIDE_FEATURE_SOUND"), Some("activated"));
    assert_eq!(var(&set, "RINGSIDE_FEATURE_STATUS"), Some("OK"));
    let h = rig.store.call_handling("1001").await.expect("read");
    assert!(h.is_some_and(|h| h.dnd));
    rig.stop();
}

#[tokio::test]
async fn star_76_again_turns_dnd_off_and_the_caller_hears_de_activated() {
    let rig = Rig::new().await;
    rig.dial("*76", "1001").await;
    let set = rig.dial("*76", "1001").await;
    assert_eq!(var(&set, "RINGSIDE_FEATURE_SOUND"), Some("de-activated"));
    let h = rig.store.call_handling("1001").await.expect("read");
    assert!(h.is_some_and(|h| !h.dnd));
    rig.stop();
}

#[tokio::test]
async fn dnd_change_by_code_nudges_the_lamp() {
    let rig = Rig::new().await;
    let nudged = rig.dnd_changed.notified();
    rig.dial("*78", "1001").await;
    assert!(
        tokio::time::timeout(Duration::from_secs(1), nudged)
            .await
            .is_ok()
    );
    rig.stop();
}

#[tokio::test]
async fn star_72_with_a_number_forwards_every_call_there() {
    let rig = Rig::new().await;
    let set = rig.dial("*720170555", "1001").await;
    assert_eq!(var(&set, "RINGSIDE_FEATURE_SOUND"), Some("activated"));
    let h = rig
        .store
        .call_handling("1001")
        .await
        .expect("read")
        .expect("saved");
    assert!(h.forward(ForwardKind::Always).enabled);
    assert_eq!(h.forward(ForwardKind::Always).number, "0170555");
    rig.stop();
}

#[tokio::test]
async fn star_91_turns_forward_busy_off() {
    let rig = Rig::new().await;
    rig.dial("*902001", "1001").await;
    let set = rig.dial("*91", "1001").await;
    assert_eq!(var(&set, "RINGSIDE_FEATURE_SOUND"), Some("de-activated"));
    let h = rig
        .store
        .call_handling("1001")
        .await
        .expect("read")
        .expect("saved");
    assert!(!h.forward_busy.enabled);
    rig.stop();
}

#[tokio::test]
async fn star_52_forwards_unanswered_calls() {
    let rig = Rig::new().await;
    rig.dial("*522002", "1001").await;
    let h = rig
        .store
        .call_handling("1001")
        .await
        .expect("read")
        .expect("saved");
    assert_eq!(
        (
            h.forward_no_answer.enabled,
            h.forward_no_answer.number.as_str()
        ),
        (true, "2002")
    );
    rig.stop();
}

#[tokio::test]
async fn forward_to_oneself_by_code_is_refused_with_the_error_sound() {
    let rig = Rig::new().await;
    let set = rig.dial("*721001", "1001").await;
    assert_eq!(var(&set, "RINGSIDE_FEATURE_STATUS"), Some("ERROR"));
    assert_eq!(
        var(&set, "RINGSIDE_FEATURE_SOUND"),
        Some("an-error-has-occured")
    );
    assert_eq!(rig.store.call_handling("1001").await.expect("read"), None);
    rig.stop();
}

#[tokio::test]
async fn code_from_an_unknown_extension_is_refused() {
    let rig = Rig::new().await;
    let set = rig.dial("*76", "1999").await;
    assert_eq!(var(&set, "RINGSIDE_FEATURE_STATUS"), Some("ERROR"));
    rig.stop();
}

#[tokio::test]
async fn star_21_toggles_followme_keeping_its_steps() {
    let rig = Rig::new().await;
    let settings = FollowMeSettings {
        enabled: false,
        ..FollowMeSettings::ringing("1001", 5, &[(&["0170555"], 20)])
    };
    rig.store.set_followme(&settings).await.expect("save");
    let set = rig.dial("*21", "1001").await;
    assert_eq!(var(&set, "RINGSIDE_FEATURE_SOUND"), Some("activated"));
    let now = rig
        .store
        .followme("1001")
        .await
        .expect("read")
        .expect("some");
    assert!(now.enabled);
    assert_eq!(now.steps, settings.steps);
    rig.stop();
}

#[tokio::test]
async fn star_21_without_followme_steps_is_refused() {
    let rig = Rig::new().await;
    let set = rig.dial("*21", "1001").await;
    assert_eq!(var(&set, "RINGSIDE_FEATURE_STATUS"), Some("ERROR"));
    rig.stop();
}
