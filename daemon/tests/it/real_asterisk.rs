//! Against a real Asterisk 22, when one is running: REST over the event WebSocket, follow-me
//! through Ringside's own dialplan with Local channels standing in for phones, and a fax sent
//! by `ringside serve` through `[ringside-fax-out]` (SendFAX) to `[ringside-fax-in]`
//! (ReceiveFAX), both spandsp.
//!
//! Skipped (each test says so and passes) unless `RINGSIDE_TEST_ASTERISK_ARI_URL` points at an
//! Asterisk started with `daemon/tests/real_asterisk/start-asterisk.sh`, whose configuration
//! (ARI users, `[test-phones]`, `[test-caller]`) these tests rely on. CI has no Asterisk.

use crate::common;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use ringside::ari::connection;
use ringside::ari::{AriClient, AriError, Originate};
use ringside::config::RestTransport;
use ringside::flows::dispatch::Engine;
use ringside::flows::followme::{
    DialTemplates, FollowMeFlow, FollowMeSource, StaticHandlingSource, StaticSource,
};
use ringside::store::{CallHandling, FollowMeSettings, Forward};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

const WAIT: Duration = Duration::from_secs(15);

/// The dialplan sends every call to app `ringside`, so the tests take turns.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn ari_url() -> Option<String> {
    match std::env::var("RINGSIDE_TEST_ASTERISK_ARI_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            eprintln!("skipped: set RINGSIDE_TEST_ASTERISK_ARI_URL to run against a real Asterisk");
            None
        }
    }
}

fn ringside_client(url: &str) -> AriClient {
    AriClient::new(url, "ringside", "ringside-test", "ringside").expect("client")
}

/// Every event Asterisk publishes, as seen by a read-only `subscribeAll` observer.
struct Observer {
    events: Arc<Mutex<Vec<Value>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Observer {
    async fn start(url: &str) -> Self {
        let ws = url.replacen("http://", "ws://", 1);
        let url =
            format!("{ws}/events?app=observer&subscribeAll=true&api_key=observer:observer-test");
        let (socket, _) = tokio_tungstenite::connect_async(url.as_str())
            .await
            .expect("observer connects");
        let events = Arc::new(Mutex::new(Vec::new()));
        let sink = events.clone();
        let task = tokio::spawn(async move {
            let mut socket = socket;
            while let Some(Ok(frame)) = socket.next().await {
                if let Ok(text) = frame.to_text()
                    && let Ok(v) = serde_json::from_str::<Value>(text)
                {
                    sink.lock().expect("events").push(v);
                }
            }
        });
        Self { events, task }
    }

    async fn wait_for(&self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            if let Some(v) = self.events.lock().expect("events").iter().find(|e| pred(e)) {
                return v.clone();
            }
            assert!(tokio::time::Instant::now() < deadline, "no event: {what}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Observer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A follow-me engine for one user, legs dialled as `Local/<ext>@test-phones`.
struct Daemon {
    client: AriClient,
    stop: CancellationToken,
}

impl Daemon {
    async fn start(url: &str, settings: FollowMeSettings, extensions: &[&str]) -> Self {
        Self::start_with(url, Arc::new(static_source(vec![settings], extensions))).await
    }

    /// Call handling settings (no follow-me) for users `extensions`.
    async fn start_handling(url: &str, handling: Vec<CallHandling>, extensions: &[&str]) -> Self {
        let source = StaticHandlingSource {
            base: static_source(Vec::new(), extensions),
            handling,
            now: chrono::Utc::now(),
        };
        Self::start_with(url, Arc::new(source)).await
    }

    async fn start_with(url: &str, source: Arc<dyn FollowMeSource>) -> Self {
        let client = ringside_client(url);
        let flow = Arc::new(FollowMeFlow {
            source,
            templates: DialTemplates {
                extension: "Local/{ext}@test-phones".into(),
                external: "Local/{number}@ringside-outbound".into(),
            },
            second: Duration::from_secs(1),
            moh_class: None,
            latency: None,
        });
        let stop = CancellationToken::new();
        let conn = connection::spawn(client.clone(), stop.clone());
        let mut state = conn.state.clone();
        let engine = Engine::builder(client.clone())
            .route("followme", flow)
            .build();
        tokio::spawn(engine.run(conn.items, stop.clone()));
        tokio::time::timeout(WAIT, state.wait_for(|s| s.is_connected()))
            .await
            .expect("connects in time")
            .expect("connected");
        Self { client, stop }
    }

    /// A caller for `ext`: the `;2` half of `Local/<ext>@ringside-inbound` (id `<id>-in`)
    /// runs Ringside's dialplan; the `;1` half waits in `[test-caller]`.
    async fn call(&self, ext: &str, id: &str) -> String {
        let caller = format!("{id}-in");
        self.client
            .originate(&Originate {
                endpoint: format!("Local/{ext}@ringside-inbound"),
                channel_id: Some(id.to_owned()),
                other_channel_id: Some(caller.clone()),
                context: Some("test-caller".into()),
                extension: Some("s".into()),
                priority: Some(1),
                timeout_secs: Some(30),
                ..Originate::default()
            })
            .await
            .expect("originate");
        caller
    }

    async fn finish(self, channels: &[&str]) {
        for id in channels {
            let _ = self
                .client
                .hangup(id, ringside::ari::HangupReason::Normal)
                .await;
        }
        self.stop.cancel();
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

fn static_source(settings: Vec<FollowMeSettings>, extensions: &[&str]) -> StaticSource {
    StaticSource {
        settings,
        extensions: extensions
            .iter()
            .map(|e| (*e).to_owned())
            .collect::<HashSet<_>>(),
    }
}

/// Waits until the caller is in `[ringside-voicemail]` for `mailbox` with `reason`.
async fn wait_voicemail(observer: &Observer, caller: &str, mailbox: &str, reason: &str) {
    observer
        .wait_for("RINGSIDE_REASON on the caller", |e| {
            e["type"] == "ChannelVarset"
                && e["channel"]["id"] == caller
                && e["variable"] == "RINGSIDE_REASON"
                && e["value"] == reason
        })
        .await;
    observer
        .wait_for("caller in [ringside-voicemail]", |e| {
            e["channel"]["id"] == caller
                && e["channel"]["dialplan"]["context"] == "ringside-voicemail"
                && e["channel"]["dialplan"]["exten"] == mailbox
        })
        .await;
}

fn one_step(ext: &str, numbers: &[&str]) -> FollowMeSettings {
    FollowMeSettings::ringing(ext, 0, &[(numbers, 15)])
}

#[tokio::test]
async fn rest_calls_travel_over_the_websocket_on_this_asterisk() {
    let Some(url) = ari_url() else { return };
    let _turn = ONE_AT_A_TIME.lock().await;
    let client = ringside_client(&url).with_rest_transport(RestTransport::Auto);
    let stop = CancellationToken::new();
    let conn = connection::spawn(client.clone(), stop.clone());
    let mut state = conn.state.clone();
    tokio::time::timeout(WAIT, state.wait_for(|s| s.is_connected()))
        .await
        .expect("connects in time")
        .expect("connected");
    assert!(
        client.rest_over_ws().is_attached(),
        "22.4+ takes REST on the socket"
    );
    let pong = client.ping().await.expect("ping over the socket");
    assert_eq!(pong.ping, "pong");
    let gone = client.answer("no-such-channel").await;
    assert!(matches!(gone, Err(AriError::NotFound(_))), "{gone:?}");
    stop.cancel();
}

#[tokio::test]
async fn followme_bridges_the_leg_that_answers_and_hangs_up_the_other() {
    let Some(url) = ari_url() else { return };
    let _turn = ONE_AT_A_TIME.lock().await;
    let observer = Observer::start(&url).await;
    let daemon = Daemon::start(&url, one_step("1001", &["2003", "2001"]), &["2001", "2003"]).await;
    let caller = daemon.call("1001", "e2e-fm-bridge").await;
    let answered_leg = format!("{caller}-fm1");
    let other_leg = format!("{caller}-fm0");
    observer
        .wait_for("caller and answering leg in one bridge", |e| {
            e["type"] == "ChannelEnteredBridge"
                && e["channel"]["id"] == answered_leg.as_str()
                && e["bridge"]["channels"]
                    .as_array()
                    .is_some_and(|c| c.iter().any(|x| x == caller.as_str()))
        })
        .await;
    observer
        .wait_for("the ringing leg hung up", |e| {
            e["type"] == "ChannelDestroyed" && e["channel"]["id"] == other_leg.as_str()
        })
        .await;
    daemon.finish(&[&caller, &answered_leg]).await;
}

#[tokio::test]
async fn busy_leg_sends_the_caller_to_voicemail_with_reason_busy() {
    let Some(url) = ari_url() else { return };
    let _turn = ONE_AT_A_TIME.lock().await;
    let observer = Observer::start(&url).await;
    let daemon = Daemon::start(&url, one_step("1002", &["2002"]), &["2002"]).await;
    let caller = daemon.call("1002", "e2e-fm-busy").await;
    let leg = format!("{caller}-fm0");
    observer
        .wait_for("Asterisk reports the leg busy", |e| {
            e["type"] == "Dial" && e["peer"]["id"] == leg.as_str() && e["dialstatus"] == "BUSY"
        })
        .await;
    observer
        .wait_for("RINGSIDE_REASON=busy on the caller", |e| {
            e["type"] == "ChannelVarset"
                && e["channel"]["id"] == caller.as_str()
                && e["variable"] == "RINGSIDE_REASON"
                && e["value"] == "busy"
        })
        .await;
    observer
        .wait_for("caller in [ringside-voicemail]", |e| {
            e["channel"]["id"] == caller.as_str()
                && e["channel"]["dialplan"]["context"] == "ringside-voicemail"
        })
        .await;
    daemon.finish(&[&caller]).await;
}

/// `ringside serve` as a child process, killed when dropped.
struct Serve(std::process::Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn fax_sent_through_asterisk_arrives_in_the_receivers_inbox() {
    let Some(url) = ari_url() else { return };
    let _turn = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path();
    assert!(common::cli::ringside(data, &["user", "add", "1001", "--name", "Alice"], None).ok());
    let env = [
        ("RINGSIDE_ARI_URL", url.as_str()),
        ("RINGSIDE_ARI_USERNAME", "ringside"),
        ("RINGSIDE_ARI_PASSWORD", "ringside-test"),
        // The fax machine at 5550100 receives for 1001 through [ringside-fax-in].
        ("RINGSIDE_DIAL_EXTERNAL", "Local/{number}@test-fax"),
        // [ringside-fax-in] reports to FastAGI on 127.0.0.1:4573.
        ("RINGSIDE_AGI_LISTEN", "127.0.0.1:4573"),
        ("RINGSIDE_PORTAL_LISTEN", "127.0.0.1:0"),
    ];
    let mut serve = std::process::Command::new(env!("CARGO_BIN_EXE_ringside"));
    serve
        .arg("serve")
        .env("RINGSIDE_DATA_DIR", data)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null());
    for (k, v) in env {
        serve.env(k, v);
    }
    let _serve = Serve(serve.spawn().expect("ringside serve starts"));
    let client = ringside_client(&url);
    let deadline = tokio::time::Instant::now() + WAIT;
    while client.application("ringside").await.is_err() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "serve never connected"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let pdf = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../media-fixtures/fax/text-10pt.pdf"
    );
    let queued = common::cli::ringside_with_env(
        data,
        &env,
        &["fax", "send", "--from", "1001", "--to", "5550100", pdf],
        None,
    );
    assert!(queued.ok(), "{queued:?}");
    // A page at fax speed takes about half a minute in real time.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(240);
    loop {
        let list = common::cli::ringside_with_env(data, &env, &["fax", "list", "1001"], None);
        let rows: Vec<Vec<&str>> = list
            .stdout
            .lines()
            .skip(1)
            .map(|l| l.split('\t').collect())
            .collect();
        let sent = rows.iter().find(|r| r.get(1) == Some(&"sent"));
        let received = rows.iter().find(|r| r.get(1) == Some(&"received"));
        if let (Some(sent), Some(received)) = (sent, received)
            && sent.get(2) == Some(&"sent")
        {
            assert_eq!(sent.get(4), Some(&"1/1"), "{}", list.stdout);
            assert!(
                received.get(4).is_some_and(|p| p.starts_with('1')),
                "{}",
                list.stdout
            );
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "fax not through in time:\n{}",
            list.stdout
        );
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// `ringside serve` on `data` against this Asterisk, phones as `Local/<ext>@test-phones`,
/// faxes to `Local/<number>@test-fax`.
fn serve_command(url: &str, data: &std::path::Path) -> std::process::Command {
    let mut serve = std::process::Command::new(env!("CARGO_BIN_EXE_ringside"));
    serve
        .arg("serve")
        .env("RINGSIDE_DATA_DIR", data)
        .env("RUST_LOG", "info")
        .env("RINGSIDE_ARI_URL", url)
        .env("RINGSIDE_ARI_USERNAME", "ringside")
        .env("RINGSIDE_ARI_PASSWORD", "ringside-test")
        .env("RINGSIDE_DIAL_EXTENSION", "Local/{ext}@test-phones")
        .env("RINGSIDE_DIAL_EXTERNAL", "Local/{number}@test-fax")
        // [ringside-fax-in] reports to FastAGI on 127.0.0.1:4573.
        .env("RINGSIDE_AGI_LISTEN", "127.0.0.1:4573")
        .env("RINGSIDE_PORTAL_LISTEN", "127.0.0.1:0")
        .stdout(std::process::Stdio::null())
        .stderr(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(data.join("serve.log"))
                .expect("serve log"),
        );
    serve
}

/// Starts `ringside serve` and waits until it says its ARI link is up (the application stays
/// registered in Asterisk after a daemon dies, so asking Asterisk would not tell).
async fn start_serve(url: &str, data: &std::path::Path) -> Serve {
    let log = data.join("serve.log");
    let before = std::fs::read_to_string(&log)
        .map(|t| t.matches("ARI connected").count())
        .unwrap_or(0);
    let serve = Serve(
        serve_command(url, data)
            .spawn()
            .expect("ringside serve starts"),
    );
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let now = std::fs::read_to_string(&log)
            .map(|t| t.matches("ARI connected").count())
            .unwrap_or(0);
        if now > before {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "serve never connected"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    serve
}

/// `kill -9`: the process ends at once, nothing handed back.
fn kill_9(mut serve: Serve) {
    let _ = serve.0.kill();
    let _ = serve.0.wait();
    std::mem::forget(serve);
}

/// Every wakeup call Asterisk created, by wakeup id: the `;1` halves `wakeup-<wakeup>-<call>`.
fn wakeup_calls_created(observer: &Observer) -> std::collections::BTreeMap<String, usize> {
    let mut calls = std::collections::BTreeMap::new();
    for e in observer.events.lock().expect("events").iter() {
        if e["type"] != "ChannelCreated" {
            continue;
        }
        let id = e["channel"]["id"].as_str().unwrap_or_default();
        let Some(rest) = id.strip_prefix("wakeup-") else {
            continue;
        };
        if id.contains(';') {
            continue;
        }
        let wakeup = rest.split('-').next().unwrap_or_default().to_owned();
        *calls.entry(wakeup).or_insert(0) += 1;
    }
    calls
}

/// Ten wakeups fall due together; the daemon is killed 50 ms after the due instant and
/// restarted 0.5 s later. Every member's phone rings once: the calls placed before the kill
/// are adopted, the others placed by the restarted daemon.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wakeups_due_when_the_daemon_is_killed_ring_once_each_after_a_restart() {
    let Some(url) = ari_url() else { return };
    let _turn = ONE_AT_A_TIME.lock().await;
    const WAKEUPS: usize = 10;
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path();
    assert!(common::cli::ringside(data, &["user", "add", "2001", "--name", "Guest"], None).ok());
    let store = ringside::store::Store::connect(&format!(
        "sqlite://{}",
        data.join("ringside.db").display()
    ))
    .await
    .expect("store");
    let observer = Observer::start(&url).await;
    let first = start_serve(&url, data).await;

    let due = chrono::Utc::now() + chrono::Duration::seconds(4);
    for i in 0..WAKEUPS {
        let mut spec = crate::wakeup_support::spec(
            "2001",
            &format!(
                "once {}",
                (due + chrono::Duration::days(1)).format("%Y-%m-%d %H:%M")
            ),
            "UTC",
        );
        spec.name = format!("w{i}");
        spec.prompt = "beep".into();
        spec.retries = 0;
        let wakeup = store
            .create_wakeup(&spec, &crate::wakeup_support::prompts(), chrono::Utc::now())
            .await
            .expect("wakeup");
        crate::wakeup_support::make_due(&store, wakeup.id, due).await;
    }

    let kill_at = due + chrono::Duration::milliseconds(50);
    tokio::time::sleep((kill_at - chrono::Utc::now()).to_std().unwrap_or_default()).await;
    kill_9(first);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let _second = start_serve(&url, data).await;

    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let row = sqlx::query("SELECT COUNT(*) FROM wakeup_attempts WHERE outcome IS NOT NULL")
            .fetch_one(store.pool())
            .await
            .expect("attempts");
        let ended: i64 = sqlx::Row::try_get(&row, 0).expect("count");
        if ended as usize >= WAKEUPS {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {ended} of {WAKEUPS} wakeups ended; calls: {:?}\n{}",
            wakeup_calls_created(&observer),
            std::fs::read_to_string(data.join("serve.log")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let calls = wakeup_calls_created(&observer);
    assert_eq!(calls.len(), WAKEUPS, "every wakeup called: {calls:?}");
    assert!(
        calls.values().all(|&n| n == 1),
        "a wakeup called twice: {calls:?}"
    );
}

/// `ringside serve` on this Asterisk with one user, `guest`, whose phone is
/// `Local/<guest>@test-phones`, and the store it schedules that guest's wakeups from.
struct WakeupRig {
    dir: tempfile::TempDir,
    store: ringside::store::Store,
    guest: String,
    _serve: Serve,
}

impl WakeupRig {
    async fn start(url: &str, guest: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path();
        assert!(common::cli::ringside(data, &["user", "add", guest, "--name", "Guest"], None).ok());
        let store = ringside::store::Store::connect(&format!(
            "sqlite://{}",
            data.join("ringside.db").display()
        ))
        .await
        .expect("store");
        let serve = start_serve(url, data).await;
        Self {
            dir,
            store,
            guest: guest.to_owned(),
            _serve: serve,
        }
    }

    /// Schedules a wakeup (tomorrow, no retries) for the guest that plays `prompt`.
    async fn wakeup(&self, prompt: &str) -> i64 {
        let tomorrow = chrono::Utc::now() + chrono::Duration::days(1);
        let mut spec = crate::wakeup_support::spec(
            &self.guest,
            &format!("once {}", tomorrow.format("%Y-%m-%d %H:%M")),
            "UTC",
        );
        spec.prompt = prompt.to_owned();
        spec.retries = 0;
        self.store
            .create_wakeup(&spec, &crate::wakeup_support::prompts(), chrono::Utc::now())
            .await
            .expect("wakeup scheduled")
            .id
    }

    /// Makes wakeup `id` due now and returns its call once it has ended.
    async fn call_now(&self, id: i64) -> ringside::store::wakeups::Attempt {
        crate::wakeup_support::make_due(&self.store, id, chrono::Utc::now()).await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let history = self
                .store
                .wakeup_history(None, id, 10)
                .await
                .expect("history");
            if let Some(ended) = history.into_iter().find(|a| a.outcome.is_some()) {
                return ended;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the wakeup call did not end: {}",
                self.serve_log()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    fn serve_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("serve.log")).unwrap_or_default()
    }
}

/// The operator's converted prompt of a wakeup is deleted after the wakeup was scheduled.
/// Asterisk cannot play it; the guest hears the fallback tone instead, and the snooze key
/// pressed 4 s after answering still counts: the call ends snoozed, not hung up at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wakeup_whose_prompt_is_missing_plays_a_tone_and_hears_the_snooze_key() {
    let Some(url) = ari_url() else { return };
    let _turn = ONE_AT_A_TIME.lock().await;
    let rig = WakeupRig::start(&url, "2011").await;
    let prompt = rig.dir.path().join("hotel-morning");
    let file = prompt.with_extension("wav");
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../dialplan/sounds/ringside/wakeup-call.wav"
        ),
        &file,
    )
    .expect("converted prompt");
    let id = rig.wakeup(&prompt.display().to_string()).await;
    std::fs::remove_file(&file).expect("prompt deleted");

    let call = rig.call_now(id).await;
    assert_eq!(
        call.outcome,
        Some(ringside::schedule::Outcome::Snoozed),
        "{call:?}\n{}",
        rig.serve_log()
    );
    assert!(call.detail.contains("a tone played instead"), "{call:?}");
    let lasted = call.ended_at.expect("ended") - call.started_at;
    assert!(lasted >= chrono::Duration::seconds(4), "{call:?}");
}

/// Ringside's own default prompt, installed in this Asterisk's sounds the way the package
/// installs it, plays through to its end (about 6.7 s) and starts again; the guest presses 1
/// after 8 s and the call ends snoozed, without the fallback tone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_wakeup_prompt_plays_through_on_this_asterisk() {
    let Some(url) = ari_url() else { return };
    let _turn = ONE_AT_A_TIME.lock().await;
    let observer = Observer::start(&url).await;
    let rig = WakeupRig::start(&url, "2012").await;
    let id = rig.wakeup(ringside::schedule::prompt::DEFAULT_PROMPT).await;

    let call = rig.call_now(id).await;
    assert_eq!(
        call.outcome,
        Some(ringside::schedule::Outcome::Snoozed),
        "{call:?}\n{}",
        rig.serve_log()
    );
    assert_eq!(call.detail, "pressed 1");
    let media = format!("sound:{}", ringside::schedule::prompt::DEFAULT_PROMPT);
    let at = |e: &Value| {
        chrono::DateTime::parse_from_str(
            e["timestamp"].as_str().unwrap_or_default(),
            "%Y-%m-%dT%H:%M:%S%.3f%z",
        )
        .expect("event time")
    };
    let first_play = |kind: &'static str| {
        let media = media.clone();
        move |e: &Value| {
            e["type"] == kind
                && e["playback"]["media_uri"] == media.as_str()
                && e["playback"]["id"]
                    .as_str()
                    .is_some_and(|id| id.ends_with("-play-1"))
        }
    };
    let started = observer
        .wait_for("the prompt starts", first_play("PlaybackStarted"))
        .await;
    let finished = observer
        .wait_for("the prompt ends", first_play("PlaybackFinished"))
        .await;
    assert_eq!(finished["playback"]["state"], "done", "{finished}");
    let played = at(&finished) - at(&started);
    assert!(
        played >= chrono::Duration::seconds(6),
        "played {played} of the prompt"
    );
}

/// The daemon is killed while the fax goes out and restarted at once. The transmission goes
/// on in Asterisk's dialplan; the restarted daemon takes the job over and ends it `sent`
/// (from the report Asterisk kept, or by sending again if the call was cut), and the
/// receiver has the fax once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fax_whose_daemon_is_killed_mid_transmission_arrives_once() {
    let Some(url) = ari_url() else { return };
    let _turn = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path();
    assert!(common::cli::ringside(data, &["user", "add", "1001", "--name", "Alice"], None).ok());
    let first = start_serve(&url, data).await;
    let pdf = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../media-fixtures/fax/text-10pt.pdf"
    );
    let queued = common::cli::ringside(
        data,
        &["fax", "send", "--from", "1001", "--to", "5550100", pdf],
        None,
    );
    assert!(queued.ok(), "{queued:?}");
    let rows = |data: &std::path::Path| -> Vec<Vec<String>> {
        common::cli::ringside(data, &["fax", "list", "1001"], None)
            .stdout
            .lines()
            .skip(1)
            .map(|l| l.split('\t').map(str::to_owned).collect())
            .collect()
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !rows(data).iter().any(|r| {
        r.get(1).map(String::as_str) == Some("sent")
            && r.get(2).map(String::as_str) == Some("sending")
    }) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "never sending: {:?}",
            rows(data)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // A few seconds into the transmission.
    tokio::time::sleep(Duration::from_secs(3)).await;
    kill_9(first);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let _second = start_serve(&url, data).await;

    let deadline = tokio::time::Instant::now() + Duration::from_secs(300);
    loop {
        let list = rows(data);
        let sent = list
            .iter()
            .find(|r| r.get(1).map(String::as_str) == Some("sent"))
            .cloned();
        let received: Vec<Vec<String>> = list
            .iter()
            .filter(|r| r.get(1).map(String::as_str) == Some("received"))
            .filter(|r| r.get(4).is_some_and(|p| !p.starts_with('0')))
            .cloned()
            .collect();
        if let Some(sent) = &sent
            && sent.get(2).map(String::as_str) == Some("sent")
            && !received.is_empty()
        {
            // Give a second copy, had one gone out, time to arrive before counting.
            tokio::time::sleep(Duration::from_secs(40)).await;
            let received = rows(data)
                .into_iter()
                .filter(|r| r.get(1).map(String::as_str) == Some("received"))
                .filter(|r| r.get(4).is_some_and(|p| !p.starts_with('0')))
                .count();
            assert_eq!(received, 1, "the fax arrived once: {:?}", rows(data));
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "fax not through in time: {list:?}\n{}",
            std::fs::read_to_string(data.join("serve.log")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

#[tokio::test]
async fn dnd_sends_the_caller_to_voicemail_busy_through_ringsides_dialplan() {
    let Some(url) = ari_url() else { return };
    let _turn = ONE_AT_A_TIME.lock().await;
    let observer = Observer::start(&url).await;
    let mut h = CallHandling::new("2001");
    h.dnd = true;
    let daemon = Daemon::start_handling(&url, vec![h], &["2001"]).await;
    let caller = daemon.call("2001", "e2e-ch-dnd").await;
    wait_voicemail(&observer, &caller, "2001", "busy").await;
    daemon.finish(&[&caller]).await;
}

#[tokio::test]
async fn forward_busy_rings_the_forward_target_through_ringsides_dialplan() {
    let Some(url) = ari_url() else { return };
    let _turn = ONE_AT_A_TIME.lock().await;
    let observer = Observer::start(&url).await;
    let mut h = CallHandling::new("2002");
    h.forward_busy = Forward::to("2001");
    let daemon = Daemon::start_handling(&url, vec![h], &["2001", "2002"]).await;
    let caller = daemon.call("2002", "e2e-ch-busy").await;
    let forwarded = format!("{caller}-s1-fm0");
    observer
        .wait_for("caller bridged with the forward target", |e| {
            e["type"] == "ChannelEnteredBridge" && e["channel"]["id"] == forwarded.as_str()
        })
        .await;
    daemon.finish(&[&caller, &forwarded]).await;
}

#[tokio::test]
async fn forward_no_answer_rings_the_forward_target_after_the_ring_time() {
    let Some(url) = ari_url() else { return };
    let _turn = ONE_AT_A_TIME.lock().await;
    let observer = Observer::start(&url).await;
    let mut h = CallHandling::new("2003");
    h.forward_no_answer = Forward::to("2001");
    h.ring_secs = Some(3);
    let daemon = Daemon::start_handling(&url, vec![h], &["2001", "2003"]).await;
    let caller = daemon.call("2003", "e2e-ch-noanswer").await;
    let forwarded = format!("{caller}-s1-fm0");
    observer
        .wait_for("caller bridged with the forward target", |e| {
            e["type"] == "ChannelEnteredBridge" && e["channel"]["id"] == forwarded.as_str()
        })
        .await;
    daemon.finish(&[&caller, &forwarded]).await;
}

/// Originates `endpoint` over ARI (the test's own credentials); its other half runs `s@context`.
async fn originate_into(url: &str, endpoint: &str, context: &str) {
    let answer = reqwest::Client::new()
        .post(format!("{url}/channels"))
        .basic_auth("ringside", Some("ringside-test"))
        .query(&[
            ("endpoint", endpoint),
            ("context", context),
            ("extension", "s"),
            ("priority", "1"),
        ])
        .send()
        .await
        .expect("originate");
    assert!(answer.status().is_success(), "{answer:?}");
}

/// The spool directory of the Asterisk under test (`start-asterisk.sh` prints it).
fn asterisk_spool() -> Option<std::path::PathBuf> {
    match std::env::var("RINGSIDE_TEST_ASTERISK_SPOOL") {
        Ok(dir) if !dir.is_empty() => Some(dir.into()),
        _ => {
            eprintln!("skipped: set RINGSIDE_TEST_ASTERISK_SPOOL to the spool of that Asterisk");
            None
        }
    }
}

/// Ringside's manager user in `daemon/tests/real_asterisk/etc/manager.conf`.
fn asterisk_ami() -> ringside::config::AmiConfig {
    ringside::config::AmiConfig {
        host: "127.0.0.1".into(),
        port: 15038,
        username: "ringside".into(),
        secret: "ringside-test".into(),
    }
}

/// What app_voicemail itself says mailbox 1003 holds, asked over the manager interface.
async fn mailbox_1003(ami: &ringside::ami::AmiClient) -> (u32, u32) {
    let counts = ami
        .mailbox_count("default", "1003")
        .await
        .expect("MailboxCount");
    (counts.new, counts.old)
}

#[tokio::test]
async fn a_voicemail_left_on_asterisk_is_listed_played_marked_heard_and_deleted_in_the_portal() {
    let Some(url) = ari_url() else { return };
    let Some(spool) = asterisk_spool() else {
        return;
    };
    let _turn = ONE_AT_A_TIME.lock().await;
    let stop = CancellationToken::new();
    let ami = ringside::ami::AmiClient::spawn(
        asterisk_ami(),
        common::ami::timers((Duration::from_millis(200), Duration::from_secs(1))),
        stop.clone(),
    );
    assert!(ami.wait_connected(WAIT).await, "manager login refused");
    let (new_before, old_before) = mailbox_1003(&ami).await;

    // A caller leaves a short message: VoiceMail() on one half of a Local channel, a prompt
    // played into it from the other.
    originate_into(&url, "Local/1003@test-leave-vm", "test-vm-speaker").await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while mailbox_1003(&ami).await.0 == new_before {
        assert!(tokio::time::Instant::now() < deadline, "no message left");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = crate::portal_serve::config(dir.path(), crate::portal_serve::free_addr());
    config.voicemail.spool_dir = spool.join("voicemail");
    config.ami = asterisk_ami();
    let daemon = crate::portal_serve::start_with(config, async |store: &ringside::store::Store| {
        crate::portal_serve::add_user(store, "1003", "voicemail tester pass").await;
    })
    .await;
    let user =
        crate::portal_serve::ApiSession::log_in(&daemon.base, "1003", "voicemail tester pass")
            .await;
    let mut listed = Value::Null;
    for _ in 0..100 {
        listed = user.get_json("/api/v1/voicemail").await.1;
        if listed["folders"][0]["count"] == new_before + 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(listed["folders"][0]["folder"], "INBOX", "{listed}");
    assert_eq!(listed["folders"][0]["count"], new_before + 1, "{listed}");
    let newest = &listed["messages"][0];
    let id = newest["id"].as_str().expect("message id").to_owned();
    assert!(newest["duration_secs"].as_u64().is_some(), "{newest}");

    let audio = user
        .request(
            reqwest::Method::GET,
            &format!("/api/v1/voicemail/messages/{id}/audio"),
        )
        .send()
        .await
        .expect("audio");
    assert_eq!(audio.status(), 200);
    let wav = audio.bytes().await.expect("audio body");
    assert_eq!(&wav[..4], b"RIFF");
    assert!(wav.len() > 8_000, "a second or more of 8 kHz audio");
    // Listening from the start marks it heard: app_voicemail moves it to Old.
    let deadline = tokio::time::Instant::now() + WAIT;
    while mailbox_1003(&ami).await != (new_before, old_before + 1) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "not marked heard: {:?}",
            mailbox_1003(&ami).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (_, message) = user
        .get_json(&format!("/api/v1/voicemail/messages/{id}"))
        .await;
    assert_eq!(message["folder"], "Old", "{message}");

    let deleted = user
        .request(
            reqwest::Method::DELETE,
            &format!("/api/v1/voicemail/messages/{id}"),
        )
        .send()
        .await
        .expect("delete");
    assert_eq!(deleted.status(), 204);
    assert_eq!(mailbox_1003(&ami).await, (new_before, old_before));
    let (status, _) = user
        .get_json(&format!("/api/v1/voicemail/messages/{id}"))
        .await;
    assert_eq!(status, 410, "a deleted message is gone, and says so");
    stop.cancel();
}

/// A 2-page fax sent by the daemon through `[ringside-fax-out]` to `[ringside-fax-in]`: while
/// it goes out, the portal's progress shows the page in transfer of the 2 pages and a bit
/// rate, found through the manager interface on the half of the Local pair running SendFAX
/// (the other half runs ReceiveFAX with its own session); once sent, no transfer.
#[tokio::test]
async fn a_two_page_fax_shows_its_page_in_transfer_while_it_is_sent() {
    let Some(url) = ari_url() else { return };
    let _turn = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = crate::portal_serve::config(dir.path(), crate::portal_serve::free_addr());
    config.ari.url = url.clone();
    config.ari.username = "ringside".into();
    config.ari.password = "ringside-test".into();
    // The fax machine at 5550100 receives for 1001 through [ringside-fax-in], which reports to
    // FastAGI on 127.0.0.1:4573.
    config.dial.external = "Local/{number}@test-fax".into();
    config.agi.listen = "127.0.0.1:4573".parse().expect("address");
    config.ami = asterisk_ami();
    let daemon = crate::portal_serve::start_with(config, async |store: &ringside::store::Store| {
        crate::portal_serve::add_user(store, "1001", "fax progress pass").await;
    })
    .await;
    let user =
        crate::portal_serve::ApiSession::log_in(&daemon.base, "1001", "fax progress pass").await;
    let tiff = std::fs::read(common::fax_fixtures::fixture(
        common::fax_fixtures::RECEIVED,
    ))
    .expect("2-page fax");
    let queued = user
        .request(
            reqwest::Method::POST,
            "/api/v1/fax/jobs?number=5550100&file_name=two-pages.tif",
        )
        .header("content-type", "image/tiff")
        .body(tiff)
        .send()
        .await
        .expect("send");
    assert_eq!(queued.status(), 201);
    let job: Value = queued.json().await.expect("job");
    let id = job["id"].as_i64().expect("job id");

    // A page at fax speed takes several seconds: asking three times a second sees each.
    let mut pages_seen = std::collections::BTreeSet::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(240);
    let last = loop {
        let (status, progress) = user
            .get_json(&format!("/api/v1/fax/jobs/{id}/progress"))
            .await;
        assert_eq!(status, 200, "{progress}");
        let transfer = &progress["transfer"];
        if !transfer.is_null() {
            assert_eq!(progress["job"]["state"], "sending", "{progress}");
            assert_eq!(transfer["pages_total"], 2, "{progress}");
            assert_eq!(transfer["bit_rate"], 14400, "{progress}");
            pages_seen.insert(transfer["page"].as_u64().expect("page"));
        }
        if matches!(progress["job"]["state"].as_str(), Some("sent" | "failed")) {
            break progress;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "fax not through in time: {progress}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert_eq!(last["job"]["state"], "sent", "{last}");
    assert_eq!(last["job"]["pages_sent"], 2, "{last}");
    assert!(last["transfer"].is_null(), "{last}");
    assert_eq!(
        pages_seen.into_iter().collect::<Vec<_>>(),
        [1, 2],
        "every page seen in transfer"
    );
}

/// `ringside calls list EXT` on `data`: one line per call.
fn call_lines(data: &std::path::Path, ext: &str) -> Vec<String> {
    common::cli::ringside(data, &["calls", "list", ext], None)
        .stdout
        .lines()
        .filter(|l| l.contains(" -> "))
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn a_call_between_two_users_is_in_both_histories_once_across_a_restart() {
    let Some(url) = ari_url() else { return };
    let Some(spool) = asterisk_spool() else {
        return;
    };
    let _turn = ONE_AT_A_TIME.lock().await;
    let master_csv = spool.join("../log/cdr-csv/Master.csv");
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path();
    for (ext, name) in [("1001", "Alice"), ("2005", "Bob")] {
        assert!(common::cli::ringside(data, &["user", "add", ext, "--name", name], None).ok());
    }
    let with_history = |mut serve: std::process::Command| {
        serve
            .env("RINGSIDE_AMI_PORT", "15038")
            .env("RINGSIDE_AMI_SECRET", "ringside-test")
            .env("RINGSIDE_CALLS_MASTER_CSV", &master_csv);
        serve
    };
    let first = Serve(
        with_history(serve_command(&url, data))
            .spawn()
            .expect("ringside serve starts"),
    );
    // Connected to the manager: its Cdr events are what this call is recorded from.
    let log = data.join("serve.log");
    let deadline = tokio::time::Instant::now() + WAIT;
    while !std::fs::read_to_string(&log).is_ok_and(|t| t.contains("manager link up")) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no manager link: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Calls of earlier runs come in first, from Master.csv; this run's is the one more.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let alice_before = call_lines(data, "1001");
    let bob_before = call_lines(data, "2005");
    // 1001 dials 2005 through a Local channel pair; 2005 talks for a second.
    originate_into(&url, "Local/2005@test-internal", "test-caller").await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while call_lines(data, "1001").len() == alice_before.len()
        || call_lines(data, "2005").len() == bob_before.len()
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "call not in the history: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let alice = call_lines(data, "1001");
    let bob = call_lines(data, "2005");
    assert_eq!(alice.len(), alice_before.len() + 1, "{alice:?}");
    assert_eq!(bob.len(), bob_before.len() + 1, "{bob:?}");
    // Newest first: this call heads both lists.
    assert!(
        alice[0].contains("internal") && alice[0].contains("answered"),
        "{alice:?}"
    );
    assert!(
        alice[0].contains("1001") && alice[0].contains("-> 2005"),
        "{alice:?}"
    );
    assert!(bob[0].contains("answered"), "{bob:?}");

    // Killed and restarted: the catch-up from Master.csv finds the same call and stores
    // nothing twice.
    kill_9(first);
    let _second = Serve(
        with_history(serve_command(&url, data))
            .spawn()
            .expect("ringside serve starts again"),
    );
    let deadline = tokio::time::Instant::now() + WAIT;
    while std::fs::read_to_string(&log)
        .map(|t| t.matches("manager link up").count())
        .unwrap_or(0)
        < 2
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no manager link after restart"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(call_lines(data, "1001"), alice);
    assert_eq!(call_lines(data, "2005"), bob);
}
