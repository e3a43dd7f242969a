//! The portal as `Daemon::run` serves it: a daemon on a temp data dir and free ports, users
//! made through the store, and plain HTTP requests against the JSON API.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ringside::config::{AgiConfig, AriConfig, Config, PortalConfig, VoicemailConfig};
use ringside::daemon::Daemon;
use ringside::store::{CallerIdMode, FollowMeSettings, NewUser, Store};
use serde_json::{Value, json};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub(crate) fn free_addr() -> SocketAddr {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("probe port");
    probe.local_addr().expect("probe address")
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../media-fixtures/audio")
        .join(name)
}

/// A running daemon that is stopped when dropped.
pub(crate) struct RunningDaemon {
    pub(crate) base: String,
    stop: CancellationToken,
    run: Option<JoinHandle<()>>,
}

impl RunningDaemon {
    pub(crate) async fn stop(mut self) {
        self.stop.cancel();
        if let Some(run) = self.run.take() {
            tokio::time::timeout(Duration::from_secs(10), run)
                .await
                .expect("daemon stops in time")
                .expect("daemon task does not panic");
        }
    }
}

impl Drop for RunningDaemon {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

pub(crate) fn config(dir: &Path, portal: SocketAddr) -> Config {
    Config {
        data_dir: dir.to_owned(),
        // Nothing listens there: the portal must work while Asterisk is away.
        ari: AriConfig {
            url: "http://127.0.0.1:9/ari".into(),
            ..Default::default()
        },
        agi: AgiConfig {
            listen: free_addr(),
        },
        portal: PortalConfig {
            listen: portal,
            secure_cookies: false,
            ..Default::default()
        },
        voicemail: VoicemailConfig {
            spool_dir: dir.join("voicemail"),
            context: "default".into(),
        },
        ..Config::default()
    }
}

/// Opens the daemon's store for setup, then runs the daemon until the portal answers.
pub(crate) async fn start(dir: &Path, setup: impl AsyncFnOnce(&Store)) -> RunningDaemon {
    let portal = free_addr();
    start_with(config(dir, portal), setup).await
}

pub(crate) async fn start_with(config: Config, setup: impl AsyncFnOnce(&Store)) -> RunningDaemon {
    let portal = config.portal.listen;
    let daemon = Daemon::new(config).await.expect("daemon");
    setup(daemon.store()).await;
    let stop = CancellationToken::new();
    let task_stop = stop.clone();
    let run = tokio::spawn(async move {
        daemon.run(task_stop).await.expect("daemon runs");
    });
    let base = format!("http://{portal}");
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if client.get(format!("{base}/login")).send().await.is_ok() {
            return RunningDaemon {
                base,
                stop,
                run: Some(run),
            };
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("portal did not come up on {base}");
}

pub(crate) async fn add_user(store: &Store, ext: &str, password: &str) {
    store
        .create_user(&NewUser {
            password: Some(password.into()),
            portal_enabled: true,
            ..NewUser::new(ext, format!("User {ext}"))
        })
        .await
        .expect("create user");
}

/// A logged-in API client: the session cookie and CSRF token from `POST /api/v1/session`.
pub(crate) struct ApiSession {
    base: String,
    client: reqwest::Client,
    cookie: String,
    csrf: String,
}

impl ApiSession {
    pub(crate) async fn log_in(base: &str, ext: &str, password: &str) -> ApiSession {
        let client = reqwest::Client::new();
        let response = client
            .post(format!("{base}/api/v1/session"))
            .json(&json!({"extension": ext, "password": password}))
            .send()
            .await
            .expect("login request");
        assert_eq!(response.status(), 200, "login of {ext}");
        let cookie = response
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .expect("session cookie")
            .to_owned();
        let body: Value = response.json().await.expect("session json");
        let csrf = body["csrf_token"].as_str().expect("csrf token").to_owned();
        ApiSession {
            base: base.to_owned(),
            client,
            cookie,
            csrf,
        }
    }

    pub(crate) fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .header("x-csrf-token", &self.csrf)
    }

    pub(crate) async fn get_json(&self, path: &str) -> (u16, Value) {
        self.json(reqwest::Method::GET, path).await
    }

    /// A page of the portal as the browser gets it.
    pub(crate) async fn html(&self, path: &str) -> String {
        self.request(reqwest::Method::GET, path)
            .send()
            .await
            .expect("page")
            .text()
            .await
            .expect("html")
    }

    /// A request without a body; the status and the JSON answer (`Null` when there is none).
    pub(crate) async fn json(&self, method: reqwest::Method, path: &str) -> (u16, Value) {
        let response = self.request(method, path).send().await.expect("request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn upload_greeting(&self, slot: &str, file_name: &str, bytes: Vec<u8>) -> (u16, Value) {
        let response = self
            .request(
                reqwest::Method::PUT,
                &format!("/api/v1/greetings/{slot}?file_name={file_name}"),
            )
            .header("content-type", "audio/wav")
            .body(bytes)
            .send()
            .await
            .expect("PUT greeting");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

#[tokio::test]
async fn user_made_in_the_store_logs_in_and_reads_their_followme_as_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    let daemon = start(dir.path(), async |store: &Store| {
        add_user(store, "201", "alice-secret").await;
        store
            .set_followme(&FollowMeSettings {
                confirm: true,
                caller_id: CallerIdMode::Extension,
                ..FollowMeSettings::ringing("201", 5, &[(&["01715550123", "2002"], 25)])
            })
            .await
            .expect("save follow-me");
    })
    .await;

    let alice = ApiSession::log_in(&daemon.base, "201", "alice-secret").await;
    let (status, fm) = alice.get_json("/api/v1/followme").await;
    assert_eq!(status, 200, "{fm}");
    assert_eq!(
        fm,
        json!({
            "enabled": true,
            "initial_ring_secs": 5,
            "steps": [{"numbers": ["01715550123", "2002"], "ring_secs": 25}],
            "confirm": true,
            "moh": "",
            "caller_id": "extension"
        })
    );
    daemon.stop().await;
}

#[tokio::test]
async fn followme_with_a_bad_number_is_refused_naming_the_field_and_nothing_is_saved() {
    let dir = tempfile::tempdir().expect("tempdir");
    let daemon = start(dir.path(), async |store: &Store| {
        add_user(store, "201", "alice-secret").await;
    })
    .await;
    let alice = ApiSession::log_in(&daemon.base, "201", "alice-secret").await;
    let bad = json!({
        "enabled": true, "initial_ring_secs": 5,
        "steps": [{"numbers": ["2002"], "ring_secs": 20}, {"numbers": ["0171-555"], "ring_secs": 20}],
        "confirm": false, "moh": "", "caller_id": "caller"
    });
    let response = alice
        .request(reqwest::Method::PUT, "/api/v1/followme")
        .json(&bad)
        .send()
        .await
        .expect("PUT");
    assert_eq!(response.status(), 422);
    let body = response.text().await.expect("body");
    assert!(body.contains("steps[1].numbers"), "{body}");
    assert!(body.contains("0171-555"), "{body}");
    let (_, fm) = alice.get_json("/api/v1/followme").await;
    assert_eq!(fm["enabled"], false, "{fm}");
    assert_eq!(fm["steps"], json!([]), "{fm}");
    daemon.stop().await;
}

#[tokio::test]
async fn uploaded_mp3_greeting_is_stored_as_8k_wav_in_the_voicemail_spool_and_plays_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let daemon = start(dir.path(), async |store: &Store| {
        add_user(store, "201", "alice-secret").await;
    })
    .await;
    let alice = ApiSession::log_in(&daemon.base, "201", "alice-secret").await;
    let mp3 = std::fs::read(fixture("tone-1k-44k-stereo.mp3")).expect("fixture");
    let (status, info) = alice.upload_greeting("busy", "tone.mp3", mp3).await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["exists"], true);

    let file = dir.path().join("voicemail/default/201/busy.wav");
    let spec = hound::WavReader::open(&file)
        .expect("greeting file in the spool")
        .spec();
    assert_eq!(
        (spec.sample_rate, spec.channels, spec.bits_per_sample),
        (8000, 1, 16)
    );

    let (_, overview) = alice.get_json("/api/v1/greetings").await;
    let busy_heard = overview["heard_now"]
        .as_array()
        .expect("heard_now")
        .iter()
        .find(|h| h["reason"] == "busy")
        .expect("busy reason")
        .clone();
    assert_eq!(busy_heard["slot"], "busy", "{overview}");

    let audio = alice
        .request(reqwest::Method::GET, "/greetings/busy/audio")
        .send()
        .await
        .expect("GET audio");
    assert_eq!(audio.status(), 200);
    assert_eq!(
        audio
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("audio/wav")
    );
    let bytes = audio.bytes().await.expect("audio bytes");
    assert_eq!(
        bytes.as_ref(),
        std::fs::read(&file).expect("file").as_slice()
    );
    daemon.stop().await;
}

#[tokio::test]
async fn greeting_upload_into_an_unusable_mailbox_folder_is_503_in_plain_words_leaving_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let daemon = start(dir.path(), async |store: &Store| {
        add_user(store, "201", "alice-secret").await;
    })
    .await;
    // A plain file where the mailbox's folder belongs: nothing can be written under it.
    let mailbox = dir.path().join("voicemail/default/201");
    std::fs::create_dir_all(mailbox.parent().expect("context folder")).expect("spool");
    std::fs::write(&mailbox, b"not a folder").expect("blocking file");
    let alice = ApiSession::log_in(&daemon.base, "201", "alice-secret").await;
    let wav = std::fs::read(fixture("speech-8k.wav")).expect("fixture");

    let (status, body) = alice.upload_greeting("greet", "hello.wav", wav).await;
    assert_eq!(status, 503, "{body}");
    let message = body.to_string();
    assert!(message.contains("administrator"), "{message}");
    assert!(
        !message.contains("voicemail/default"),
        "path leaked: {message}"
    );
    assert_eq!(std::fs::read(&mailbox).expect("file kept"), b"not a folder");
    let staged: Vec<_> = std::fs::read_dir(dir.path().join("uploads"))
        .map(|d| d.map(|e| e.expect("entry").file_name()).collect())
        .unwrap_or_default();
    assert!(staged.is_empty(), "staged upload left behind: {staged:?}");
    let (status, body) = alice.get_json("/api/v1/greetings").await;
    assert_eq!(status, 503, "{body}");
    daemon.stop().await;
}

#[tokio::test]
async fn unreadable_upload_is_refused_in_plain_words_and_keeps_the_previous_greeting() {
    let dir = tempfile::tempdir().expect("tempdir");
    let daemon = start(dir.path(), async |store: &Store| {
        add_user(store, "201", "alice-secret").await;
    })
    .await;
    let alice = ApiSession::log_in(&daemon.base, "201", "alice-secret").await;
    let wav = std::fs::read(fixture("speech-8k.wav")).expect("fixture");
    let (status, _) = alice.upload_greeting("greet", "hello.wav", wav).await;
    assert_eq!(status, 200);
    let file = dir.path().join("voicemail/default/201/greet.wav");
    let before = std::fs::read(&file).expect("first greeting");

    let (status, body) = alice
        .upload_greeting(
            "greet",
            "notes.wav",
            b"these are not audio samples".to_vec(),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let message = body.to_string();
    assert!(message.contains("notes.wav"), "{message}");
    assert!(
        !message.contains("uploads"),
        "staging path leaked: {message}"
    );
    assert_eq!(std::fs::read(&file).expect("greeting kept"), before);
    let mailbox_entries = std::fs::read_dir(dir.path().join("voicemail/default/201"))
        .expect("mailbox dir")
        .count();
    assert_eq!(
        mailbox_entries, 1,
        "no half-written file beside the greeting"
    );
    daemon.stop().await;
}

#[tokio::test]
async fn session_survives_a_daemon_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = start(dir.path(), async |store: &Store| {
        add_user(store, "201", "alice-secret").await;
    })
    .await;
    let alice = ApiSession::log_in(&first.base, "201", "alice-secret").await;
    first.stop().await;

    let second = start(dir.path(), async |_: &Store| {}).await;
    let again = ApiSession {
        base: second.base.clone(),
        ..alice
    };
    let (status, body) = again.get_json("/api/v1/session").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["extension"], "201");
    second.stop().await;
}

#[tokio::test]
async fn admin_status_shows_asterisk_down_and_the_fastagi_listener_up() {
    let dir = tempfile::tempdir().expect("tempdir");
    let daemon = start(dir.path(), async |store: &Store| {
        store
            .create_admin("root", "Root", "root-secret")
            .await
            .expect("admin");
    })
    .await;
    let root = ApiSession::log_in(&daemon.base, "root", "root-secret").await;
    let (status, body) = root.get_json("/api/v1/admin/status").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ari"]["up"], false, "{body}");
    assert_eq!(body["agi"]["up"], true, "{body}");
    assert!(body["agi"]["since"].is_string(), "{body}");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    daemon.stop().await;
}

#[tokio::test]
async fn admin_created_user_gets_a_generated_password_that_logs_in() {
    let dir = tempfile::tempdir().expect("tempdir");
    let daemon = start(dir.path(), async |store: &Store| {
        store
            .create_admin("root", "Root", "root-secret")
            .await
            .expect("admin");
    })
    .await;
    let root = ApiSession::log_in(&daemon.base, "root", "root-secret").await;
    let response = root
        .request(reqwest::Method::POST, "/api/v1/admin/users")
        .json(&json!({
            "extension": "0301", "name": "Zoe", "email": "zoe@example.org",
            "password": {"kind": "generate"}, "is_admin": false, "portal_enabled": true
        }))
        .send()
        .await
        .expect("POST user");
    let status = response.status();
    let body: Value = response.json().await.expect("json");
    assert!(status.is_success(), "{status} {body}");
    let password = body["generated_password"].as_str().expect("generated");
    let zoe = ApiSession::log_in(&daemon.base, "0301", password).await;
    let (_, me) = zoe.get_json("/api/v1/session").await;
    assert_eq!(me["user"]["email"], "zoe@example.org");
    daemon.stop().await;
}

impl ApiSession {
    pub(crate) async fn send_fax(
        &self,
        number: &str,
        file_name: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> (u16, Value) {
        let response = self
            .request(
                reqwest::Method::POST,
                &format!("/api/v1/fax/jobs?number={number}&file_name={file_name}"),
            )
            .header("content-type", content_type)
            .body(bytes)
            .send()
            .await
            .expect("POST fax");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

pub(crate) fn fax_fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../media-fixtures/fax")
            .join(name),
    )
    .expect("fax fixture")
}

#[tokio::test]
async fn fax_to_a_number_with_letters_is_refused_on_the_number_field_and_nothing_is_queued() {
    let dir = tempfile::tempdir().expect("tempdir");
    let daemon = start(dir.path(), async |store: &Store| {
        add_user(store, "201", "alice-secret").await;
    })
    .await;
    let alice = ApiSession::log_in(&daemon.base, "201", "alice-secret").await;
    let (status, body) = alice
        .send_fax(
            "555-CALL-ME",
            "letter.pdf",
            "application/pdf",
            fax_fixture("text-10pt.pdf"),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("number"), "{body}");
    let (_, jobs) = alice.get_json("/api/v1/fax/jobs").await;
    assert_eq!(jobs, json!([]));
    daemon.stop().await;
}

#[tokio::test]
async fn text_sent_as_a_pdf_is_refused_in_plain_words() {
    let dir = tempfile::tempdir().expect("tempdir");
    let daemon = start(dir.path(), async |store: &Store| {
        add_user(store, "201", "alice-secret").await;
    })
    .await;
    let alice = ApiSession::log_in(&daemon.base, "201", "alice-secret").await;
    let (status, body) = alice
        .send_fax(
            "5551234",
            "letter.pdf",
            "application/pdf",
            b"Dear Sir, this is plain text".to_vec(),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let message = body.to_string();
    assert!(
        message.contains("letter.pdf: the file is not a PDF document"),
        "{message}"
    );
    daemon.stop().await;
}

#[tokio::test]
async fn queued_fax_is_listed_as_the_senders_job_with_its_page_count() {
    let dir = tempfile::tempdir().expect("tempdir");
    let daemon = start(dir.path(), async |store: &Store| {
        add_user(store, "201", "alice-secret").await;
    })
    .await;
    let alice = ApiSession::log_in(&daemon.base, "201", "alice-secret").await;
    let (status, job) = alice
        .send_fax(
            "0301234",
            "memo.pdf",
            "application/pdf",
            fax_fixture("mixed-10p.pdf"),
        )
        .await;
    assert_eq!(status, 201, "{job}");
    assert_eq!(job["number"], "0301234");
    assert_eq!(job["pages_total"], 10);
    let (_, jobs) = alice.get_json("/api/v1/fax/jobs").await;
    assert_eq!(jobs[0]["id"], job["id"]);
    daemon.stop().await;
}

#[tokio::test]
async fn wakeup_with_an_unknown_prompt_is_refused_on_the_prompt_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    let daemon = start(dir.path(), async |store: &Store| {
        add_user(store, "201", "alice-secret").await;
    })
    .await;
    let alice = ApiSession::log_in(&daemon.base, "201", "alice-secret").await;
    let spec = |prompt: &str| {
        json!({
            "name": "Early", "prompt": prompt,
            "schedule": {"kind": "weekly", "days": ["Mon", "Tue"], "time": "06:30:00"},
            "time_zone": "Europe/Berlin", "members": ["201"], "enabled": true
        })
    };
    let response = alice
        .request(reqwest::Method::POST, "/api/v1/wakeups")
        .json(&spec("no-such-sound"))
        .send()
        .await
        .expect("POST wakeup");
    assert_eq!(response.status(), 422);
    let body = response.text().await.expect("body");
    assert!(body.contains("\"prompt\""), "{body}");
    assert!(body.contains("no-such-sound"), "{body}");

    let response = alice
        .request(reqwest::Method::POST, "/api/v1/wakeups")
        .json(&spec("this-is-yr-wakeup-call"))
        .send()
        .await
        .expect("POST wakeup");
    assert_eq!(response.status(), 201);
    let (_, list) = alice.get_json("/api/v1/wakeups").await;
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    assert!(list[0]["next_due"].is_string(), "{list}");
    daemon.stop().await;
}

async fn login_cookie_attributes(base: &str) -> String {
    reqwest::Client::new()
        .post(format!("{base}/api/v1/session"))
        .json(&json!({"extension": "201", "password": "alice-secret"}))
        .send()
        .await
        .expect("login")
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .expect("session cookie")
        .to_owned()
}

#[tokio::test]
async fn session_cookie_is_secure_only_when_configured() {
    let plain_dir = tempfile::tempdir().expect("tempdir");
    let plain = start(plain_dir.path(), async |store: &Store| {
        add_user(store, "201", "alice-secret").await;
    })
    .await;
    let cookie = login_cookie_attributes(&plain.base).await;
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(
        !cookie.contains("Secure"),
        "plain HTTP on a LAN must work: {cookie}"
    );
    plain.stop().await;

    let secure_dir = tempfile::tempdir().expect("tempdir");
    let mut secure_config = config(secure_dir.path(), free_addr());
    secure_config.portal.secure_cookies = true;
    let secure = start_with(secure_config, async |store: &Store| {
        add_user(store, "201", "alice-secret").await;
    })
    .await;
    let cookie = login_cookie_attributes(&secure.base).await;
    assert!(cookie.contains("Secure"), "{cookie}");
    secure.stop().await;
}

#[tokio::test]
async fn greeting_recorded_by_phone_as_gsm_plays_in_the_browser_as_wav() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mailbox = dir.path().join("voicemail/default/201");
    std::fs::create_dir_all(&mailbox).expect("mailbox dir");
    std::fs::copy(fixture("speech.gsm"), mailbox.join("unavail.gsm")).expect("recorded greeting");
    let daemon = start(dir.path(), async |store: &Store| {
        add_user(store, "201", "alice-secret").await;
    })
    .await;
    let alice = ApiSession::log_in(&daemon.base, "201", "alice-secret").await;
    let (_, overview) = alice.get_json("/api/v1/greetings").await;
    let unavail = overview["slots"]
        .as_array()
        .expect("slots")
        .iter()
        .find(|s| s["slot"] == "unavail")
        .expect("unavail slot")
        .clone();
    assert_eq!(unavail["exists"], true, "{overview}");

    let audio = alice
        .request(reqwest::Method::GET, "/api/v1/greetings/unavail/audio")
        .send()
        .await
        .expect("GET audio");
    assert_eq!(audio.status(), 200);
    let bytes = audio.bytes().await.expect("audio");
    let wav = hound::WavReader::new(std::io::Cursor::new(bytes.to_vec())).expect("a WAV file");
    assert_eq!(wav.spec().sample_rate, 8000);
    assert!(wav.duration() > 8000, "more than a second of speech");
    assert!(
        !mailbox.join("unavail.wav").exists(),
        "playing does not change the recorded greeting"
    );
    daemon.stop().await;
}

#[tokio::test]
async fn admin_with_a_bad_email_is_refused_and_not_created() {
    let dir = tempfile::tempdir().expect("tempdir");
    let daemon = start(dir.path(), async |store: &Store| {
        store
            .create_admin("root", "Root", "root-secret")
            .await
            .expect("admin");
    })
    .await;
    let root = ApiSession::log_in(&daemon.base, "root", "root-secret").await;
    let response = root
        .request(reqwest::Method::POST, "/api/v1/admin/users")
        .json(&json!({
            "extension": "helpdesk", "name": "Help Desk", "email": "not-an-address",
            "password": {"kind": "generate"}, "is_admin": true, "portal_enabled": true
        }))
        .send()
        .await
        .expect("POST user");
    assert_eq!(response.status(), 422);
    let body = response.text().await.expect("body");
    assert!(body.contains("\"email\""), "{body}");
    let (status, _) = root.get_json("/api/v1/admin/users/helpdesk").await;
    assert_eq!(status, 404, "nothing half created");
    daemon.stop().await;
}

#[tokio::test]
async fn do_not_disturb_set_in_the_portal_lights_its_lamp_without_waiting_for_the_tick() {
    let sim = ringside::ari::simulator::Simulator::start_default()
        .await
        .expect("sim");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = config(dir.path(), free_addr());
    config.ari.url = sim.base_url();
    let daemon = start_with(config, async |store: &Store| {
        add_user(store, "1001", "correct horse battery").await;
    })
    .await;
    assert!(
        sim.wait_connected("ringside", Duration::from_secs(10))
            .await
    );
    let lamp_is = |state: &'static str| {
        move |s: &ringside::ari::simulator::Simulator| {
            s.device_state("Stasis:DND1001").as_deref() == Some(state)
        }
    };
    assert_ne!(sim.device_state("Stasis:DND1001").as_deref(), Some("BUSY"));
    let session = ApiSession::log_in(&daemon.base, "1001", "correct horse battery").await;
    let status = session
        .request(reqwest::Method::PUT, "/api/v1/call-handling")
        .json(&json!({
            "dnd": true,
            "dnd_allow": [],
            "dnd_schedule": null,
            "forward_always": {"enabled": false, "number": "", "schedule": null},
            "forward_busy": {"enabled": false, "number": "", "schedule": null},
            "forward_no_answer": {"enabled": false, "number": "", "schedule": null},
            "ring_secs": 25,
            "time_zone": "UTC",
        }))
        .send()
        .await
        .expect("put")
        .status();
    assert_eq!(status, 200);
    // The lamps' tick is 15 s: a lamp lit well before that was nudged by the change.
    assert!(
        sim.wait_until(Duration::from_secs(3), lamp_is("BUSY"))
            .await,
        "lamp still {:?}",
        sim.device_state("Stasis:DND1001")
    );
}
