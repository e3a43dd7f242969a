//! The portal in a real headless Chromium against the real `ringside serve` binary, with the
//! ARI simulator standing in for Asterisk. Users are made with the CLI, as an operator would.
//!
//! Screenshots (desktop 1280 px and phone 390 px wide) land in `target/portal-screenshots/`.
//! Without Chromium the tests say so and pass, except under CI (`CI` set), where they fail.

use crate::cdp;
use crate::common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use cdp::{Browser, Page};
use common::cli::ringside_with_env;
use ringside::ami::simulator::AmiSimulator;
use ringside::ami::simulator::fax::FaxOperation;
use ringside::ari::simulator::{FarFax, Simulator};

const WAIT: Duration = Duration::from_secs(15);

/// A child process that is killed and reaped when dropped, so no daemon outlives a test.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_addr() -> SocketAddr {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("probe port");
    probe.local_addr().expect("probe address")
}

fn repo_file(path: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root");
    root.join(path)
}

fn screenshot_dir() -> PathBuf {
    let dir = repo_file("target/portal-screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

/// The Chromium binary; `None` (after saying why) when the machine has none and this is not CI.
fn chromium() -> Option<PathBuf> {
    match cdp::chromium_path() {
        Some(path) => Some(path),
        None => {
            crate::common::missing_dependency("Chromium (the Debian package `chromium`)");
            None
        }
    }
}

/// `ringside serve` with its ARI simulator, on a temp data dir and free ports.
struct Portal {
    base: String,
    data_dir: tempfile::TempDir,
    env: Vec<(&'static str, String)>,
    _serve: Option<KillOnDrop>,
    _ari_sim: Option<KillOnDrop>,
}

impl Portal {
    /// With the standalone simulator (`ringside ari-sim`) as Asterisk.
    fn start() -> Portal {
        let ari_addr = free_addr();
        let ari_sim = KillOnDrop(
            Command::new(env!("CARGO_BIN_EXE_ringside"))
                .args(["ari-sim", "--listen", &ari_addr.to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start the ARI simulator"),
        );
        Portal::with_ari(format!("http://{ari_addr}/ari"), Some(ari_sim))
    }

    fn with_ari(ari_url: String, ari_sim: Option<KillOnDrop>) -> Portal {
        let data_dir = tempfile::tempdir().expect("data dir");
        let portal_addr = free_addr();
        let env = vec![
            ("RINGSIDE_ARI_URL", ari_url),
            ("RINGSIDE_AGI_LISTEN", free_addr().to_string()),
            ("RINGSIDE_PORTAL_LISTEN", portal_addr.to_string()),
            (
                "RINGSIDE_VOICEMAIL_SPOOL_DIR",
                data_dir.path().join("voicemail").display().to_string(),
            ),
            (
                "RINGSIDE_WAKEUP_SOUNDS_DIR",
                data_dir.path().join("sounds").display().to_string(),
            ),
        ];
        Portal {
            base: format!("http://{portal_addr}"),
            data_dir,
            env,
            _serve: None,
            _ari_sim: ari_sim,
        }
    }

    /// Logs in to `ami` as Asterisk's manager interface.
    fn use_ami(&mut self, ami: &AmiSimulator, secret: &str) {
        self.env.extend([
            ("RINGSIDE_AMI_HOST", "127.0.0.1".to_owned()),
            ("RINGSIDE_AMI_PORT", ami.addr().port().to_string()),
            ("RINGSIDE_AMI_USERNAME", "ringside".to_owned()),
            ("RINGSIDE_AMI_SECRET", secret.to_owned()),
        ]);
    }

    fn env_pairs(&self) -> Vec<(&str, &str)> {
        self.env.iter().map(|(k, v)| (*k, v.as_str())).collect()
    }

    /// Runs a `ringside` CLI command against this portal's data dir.
    fn cli(&self, args: &[&str], stdin: Option<&str>) {
        let run = ringside_with_env(self.data_dir.path(), &self.env_pairs(), args, stdin);
        assert!(run.ok(), "ringside {args:?}: {run:?}");
    }

    fn add_user(&self, ext: &str, name: &str, password: &str) {
        self.cli(
            &[
                "user",
                "add",
                ext,
                "--name",
                name,
                "--password-stdin",
                "--portal",
            ],
            Some(&format!("{password}\n")),
        );
    }

    fn add_admin(&self, login: &str, password: &str) {
        self.cli(
            &["admin", "create", login, "--password-stdin"],
            Some(&format!("{password}\n")),
        );
    }

    /// Starts `ringside serve` and waits until the portal answers.
    async fn serve(&mut self) {
        let log = std::fs::File::create(self.data_dir.path().join("serve.log")).expect("log");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ringside"));
        cmd.arg("serve")
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.data_dir.path())
            .env("RINGSIDE_DATA_DIR", self.data_dir.path())
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        self._serve = Some(KillOnDrop(cmd.spawn().expect("start ringside serve")));
        let client = reqwest::Client::new();
        for _ in 0..400 {
            if client
                .get(format!("{}/login", self.base))
                .send()
                .await
                .is_ok()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("portal did not come up: {}", self.serve_log());
    }

    fn serve_log(&self) -> String {
        std::fs::read_to_string(self.data_dir.path().join("serve.log")).unwrap_or_default()
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

async fn open_browser() -> Option<(Browser, Page)> {
    let binary = chromium()?;
    let browser = Browser::launch(&binary).await.expect("launch Chromium");
    let page = browser.page().await.expect("page");
    Some((browser, page))
}

async fn log_in(page: &Page, portal: &Portal, login: &str, password: &str) {
    page.goto(&portal.url("/login")).await.expect("login page");
    page.fill("#extension", login).await.expect("extension");
    page.fill("#password", password).await.expect("password");
    page.click_and_wait("#login").await.expect("log in");
    let url = page.url().await.expect("url");
    assert!(
        !url.ends_with("/login"),
        "still on the login page after logging in as {login}"
    );
}

/// A served portal with user 201 (Alice, `alice-secret`) and administrator `root`
/// (`root-secret`), who is logged in on `page`.
async fn alice_and_root_logged_in(page: &Page) -> Portal {
    users_and_root_logged_in(page, Portal::start(), &[]).await
}

/// `portal` served with user 201 (Alice, `alice-secret`), the `others` (extension, name,
/// password) and administrator `root` (`root-secret`), who is logged in on `page`.
async fn users_and_root_logged_in(
    page: &Page,
    mut portal: Portal,
    others: &[(&str, &str, &str)],
) -> Portal {
    portal.add_user("201", "Alice Example", "alice-secret");
    for (ext, name, password) in others {
        portal.add_user(ext, name, password);
    }
    portal.add_admin("root", "root-secret");
    portal.serve().await;
    log_in(page, &portal, "root", "root-secret").await;
    portal
}

async fn log_out(page: &Page) {
    page.click_and_wait("#logout").await.expect("log out");
}

/// Saves the page as it looks on a desktop and on a phone.
async fn shoot(page: &Page, name: &str) {
    let dir = screenshot_dir();
    for (suffix, width, height, mobile) in
        [("desktop", 1280, 900, false), ("phone", 390, 844, true)]
    {
        page.set_viewport(width, height, mobile)
            .await
            .expect("viewport");
        page.screenshot(&dir.join(format!("{name}-{suffix}.png")))
            .await
            .expect("screenshot");
    }
    page.set_viewport(1280, 900, false).await.expect("viewport");
}

async fn value_of(page: &Page, selector: &str) -> String {
    page.eval(&format!("document.querySelector('{selector}').value"))
        .await
        .expect("value")
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn user_logs_in_sets_followme_and_sees_it_saved() {
    let Some((_browser, page)) = open_browser().await else {
        return;
    };
    let mut portal = Portal::start();
    portal.add_user("201", "Alice Example", "alice-secret");
    portal.serve().await;

    page.goto(&portal.url("/login")).await.expect("login page");
    shoot(&page, "login").await;
    log_in(&page, &portal, "201", "alice-secret").await;
    shoot(&page, "home").await;

    page.goto(&portal.url("/followme"))
        .await
        .expect("follow-me page");
    page.set_checked("#enabled", true).await.expect("enable");
    page.fill("#initial_ring_secs", "8")
        .await
        .expect("initial ring");
    page.fill("#step-0-numbers", "0171 5550123, 2002")
        .await
        .expect("numbers");
    page.fill("#step-0-ring", "25").await.expect("ring");
    page.fill("#step-1-numbers", "0301234")
        .await
        .expect("numbers");
    page.click_and_wait("#save-followme").await.expect("save");

    // A fresh load shows what the daemon stored, not what the form still held.
    page.goto(&portal.url("/followme")).await.expect("reload");
    assert_eq!(
        value_of(&page, "#step-0-numbers").await,
        "01715550123, 2002"
    );
    assert_eq!(value_of(&page, "#step-0-ring").await, "25");
    assert_eq!(value_of(&page, "#step-1-numbers").await, "0301234");
    assert_eq!(value_of(&page, "#initial_ring_secs").await, "8");
    let enabled = page
        .eval("document.querySelector('#enabled').checked")
        .await
        .expect("checked");
    assert_eq!(enabled, true);
    shoot(&page, "followme").await;
}

#[tokio::test]
async fn followme_with_a_bad_number_shows_the_message_next_to_the_field() {
    let Some((_browser, page)) = open_browser().await else {
        return;
    };
    let mut portal = Portal::start();
    portal.add_user("201", "Alice Example", "alice-secret");
    portal.serve().await;
    log_in(&page, &portal, "201", "alice-secret").await;

    page.goto(&portal.url("/followme"))
        .await
        .expect("follow-me page");
    page.set_checked("#enabled", true).await.expect("enable");
    page.fill("#step-0-numbers", "2002, 0171#x")
        .await
        .expect("numbers");
    page.click_and_wait("#save-followme").await.expect("save");
    let cell = page
        .text("#followme-form tbody tr:first-child td")
        .await
        .expect("first step cell");
    assert!(
        cell.contains("0171#x"),
        "message next to the numbers: {cell}"
    );
    shoot(&page, "followme-error").await;
}

#[tokio::test]
async fn uploaded_greeting_plays_in_the_browser() {
    let Some((_browser, page)) = open_browser().await else {
        return;
    };
    let mut portal = Portal::start();
    portal.add_user("201", "Alice Example", "alice-secret");
    portal.serve().await;
    log_in(&page, &portal, "201", "alice-secret").await;

    page.goto(&portal.url("/greetings"))
        .await
        .expect("greetings page");
    page.set_file(
        "#file-busy",
        &repo_file("media-fixtures/audio/speech-8k.wav"),
    )
    .await
    .expect("pick file");
    page.click_and_wait("#upload-busy").await.expect("upload");
    if let Err(err) = page
        .wait_for("document.querySelector('#play-busy') !== null", WAIT)
        .await
    {
        let body = format!(
            "{} {}",
            page.url().await.unwrap_or_default(),
            page.text("body").await.unwrap_or_default()
        );
        panic!(
            "no player after upload ({err}): {body}\n{}",
            portal.serve_log()
        );
    }

    let answer = page
        .eval(
            "fetch(document.querySelector('#play-busy').src)\
             .then(r => r.status + ' ' + r.headers.get('content-type'))",
        )
        .await
        .expect("fetch audio");
    assert_eq!(answer, "200 audio/wav");
    // The browser decodes it: the player learns the greeting's length.
    let duration = page
        .eval(
            "new Promise((ok, fail) => { const a = document.querySelector('#play-busy'); \
             a.preload = 'auto'; a.addEventListener('loadedmetadata', () => ok(a.duration)); \
             a.addEventListener('error', () => fail('cannot decode')); a.load(); \
             setTimeout(() => fail('no metadata'), 10000); })",
        )
        .await
        .expect("audio metadata");
    let seconds = duration.as_f64().expect("duration in seconds");
    assert!(seconds > 1.0, "greeting lasts {seconds} s");
    let heard = page.text("#heard-busy").await.expect("heard-busy line");
    assert!(heard.to_lowercase().contains("busy"), "{heard}");
    shoot(&page, "greetings").await;
}

#[tokio::test]
async fn admin_makes_followme_read_only_and_the_user_can_no_longer_save() {
    let Some((_browser, page)) = open_browser().await else {
        return;
    };
    let portal = alice_and_root_logged_in(&page).await;
    page.goto(&portal.url("/admin/users")).await.expect("users");
    shoot(&page, "admin-users").await;
    // The daemon reaches the simulator shortly after start; the page shows it once it has.
    let mut ari_up = false;
    for _ in 0..40 {
        page.goto(&portal.url("/admin/status"))
            .await
            .expect("status");
        ari_up = page.exists("#status-ari .badge-on").await.expect("badge");
        if ari_up {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(ari_up, "ARI shown connected: {}", portal.serve_log());
    assert!(page.exists("#status-agi .badge-on").await.expect("badge"));
    shoot(&page, "admin-status").await;
    page.goto(&portal.url("/admin/users/201"))
        .await
        .expect("edit user");
    page.click("#access-followme-read")
        .await
        .expect("read access");
    page.click_and_wait("#save-user").await.expect("save user");
    shoot(&page, "admin-user").await;
    log_out(&page).await;

    log_in(&page, &portal, "201", "alice-secret").await;
    page.goto(&portal.url("/followme"))
        .await
        .expect("follow-me page");
    let disabled = page
        .eval(
            "['#enabled', '#initial_ring_secs', '#step-0-numbers', '#save-followme']\
             .every(s => document.querySelector(s).matches(':disabled'))",
        )
        .await
        .expect("inputs");
    assert_eq!(disabled, true, "every input is disabled");
    let status = page
        .eval(
            "fetch('/followme', {method: 'POST', body: new URLSearchParams({\
             csrf_token: document.querySelector('input[name=csrf_token]').value, \
             enabled: 'on', initial_ring_secs: '5', step_numbers: '2002', step_ring_secs: '20', \
             caller_id: 'caller', moh: ''})}).then(r => r.status)",
        )
        .await
        .expect("POST");
    assert_eq!(status, 403);
    shoot(&page, "followme-read-only").await;
}

/// Asserts the page's address ends with `path` (what the user sees in the address bar).
async fn assert_at(page: &Page, path: &str) {
    let url = page.url().await.expect("url");
    assert!(
        url.ends_with(path),
        "at {url}, expected {path}: {}",
        page.text("main").await.unwrap_or_default()
    );
}

#[tokio::test]
async fn new_user_is_walked_through_password_time_zone_and_follow_me_once() {
    let Some((_browser, page)) = open_browser().await else {
        return;
    };
    let mut portal = Portal::start();
    portal.add_user("201", "Alice Example", "alice-secret");
    portal.serve().await;

    log_in(&page, &portal, "201", "alice-secret").await;
    assert_at(&page, "/welcome/password").await;
    let progress = page.text("#walkthrough-progress").await.expect("progress");
    assert!(progress.contains("Step 1 of 4"), "{progress}");
    shoot(&page, "walkthrough-password").await;
    page.fill("#old_password", "alice-secret")
        .await
        .expect("old");
    page.fill("#new_password", "alice-own-secret")
        .await
        .expect("new");
    page.click_and_wait("#change-password")
        .await
        .expect("change");

    assert_at(&page, "/welcome/time-zone").await;
    page.fill("#time_zone", "Asia/Tokyo").await.expect("zone");
    page.click_and_wait("#save-time-zone")
        .await
        .expect("save zone");

    assert_at(&page, "/welcome/greeting").await;
    shoot(&page, "walkthrough-greeting").await;
    page.click_and_wait("#walkthrough-skip")
        .await
        .expect("skip the greeting");

    assert_at(&page, "/welcome/followme").await;
    page.set_checked("#enabled", true).await.expect("enable");
    page.fill("#step-0-numbers", "0301234")
        .await
        .expect("numbers");
    page.click_and_wait("#save-followme")
        .await
        .expect("save follow-me");
    assert_at(&page, "/welcome/done").await;
    log_out(&page).await;

    // The second login goes straight to the portal, with everything saved.
    log_in(&page, &portal, "201", "alice-own-secret").await;
    assert_at(&page, "/profile").await;
    assert_eq!(value_of(&page, "#time_zone").await, "Asia/Tokyo");
    page.goto(&portal.url("/followme"))
        .await
        .expect("follow-me page");
    assert_eq!(value_of(&page, "#step-0-numbers").await, "0301234");
}

#[tokio::test]
async fn admin_turns_the_walkthrough_off_and_the_user_starts_in_the_portal() {
    let Some((_browser, page)) = open_browser().await else {
        return;
    };
    let portal = alice_and_root_logged_in(&page).await;
    page.goto(&portal.url("/admin/users/201"))
        .await
        .expect("edit user");
    page.set_checked("#walkthrough", false)
        .await
        .expect("walk-through off");
    page.click_and_wait("#save-user").await.expect("save user");
    log_out(&page).await;

    log_in(&page, &portal, "201", "alice-secret").await;
    assert_at(&page, "/profile").await;
}

#[tokio::test]
async fn user_schedules_a_weekday_wakeup_and_sees_its_next_call() {
    let Some((_browser, page)) = open_browser().await else {
        return;
    };
    let mut portal = Portal::start();
    portal.add_user("201", "Alice Example", "alice-secret");
    portal.serve().await;
    log_in(&page, &portal, "201", "alice-secret").await;

    page.goto(&portal.url("/wakeups/new"))
        .await
        .expect("new wakeup");
    page.fill("#name", "Weekday alarm").await.expect("name");
    // The form's default prompt is left as it is: it must be one the daemon accepts.
    page.fill("#time", "06:30").await.expect("time");
    page.fill("#time_zone", "Europe/Berlin")
        .await
        .expect("zone");
    shoot(&page, "wakeup-new").await;
    page.click_and_wait("#save-wakeup").await.expect("save");

    page.goto(&portal.url("/wakeups")).await.expect("wakeups");
    let list = page.text("#wakeups").await.expect("wakeup list");
    assert!(list.contains("Weekday alarm"), "{list}");
    assert!(list.contains("Europe/Berlin"), "{list}");
    let next = page
        .text("#wakeups tbody tr:first-child td:nth-child(3)")
        .await
        .expect("next call cell");
    assert!(
        next.contains("06:30") || next.contains(':'),
        "next call shown: {next}"
    );
    assert!(
        !next.contains('—'),
        "a weekly wakeup has a next call: {next}"
    );
    shoot(&page, "wakeups").await;
}

#[tokio::test]
async fn user_uploads_a_prompt_and_picks_it_for_a_wakeup() {
    let Some((_browser, page)) = open_browser().await else {
        return;
    };
    let mut portal = Portal::start();
    portal.add_user("201", "Alice Example", "alice-secret");
    portal.add_user("202", "Bob Example", "bob-secret");
    portal.serve().await;
    log_in(&page, &portal, "201", "alice-secret").await;

    page.goto(&portal.url("/wakeups")).await.expect("wakeups");
    page.fill("#prompt-name", "morning").await.expect("name");
    page.set_file(
        "#prompt-file",
        &repo_file("media-fixtures/audio/tone-1k-44k-stereo.mp3"),
    )
    .await
    .expect("pick file");
    page.click_and_wait("#upload-prompt").await.expect("upload");
    let listed = page.exists("#own-prompt-morning").await.expect("list");
    assert!(
        listed,
        "prompt listed: {}",
        page.text("body").await.unwrap_or_default()
    );
    shoot(&page, "wakeup-prompts").await;

    let sound = "ringside/users/201/morning";
    page.goto(&portal.url("/wakeups/new"))
        .await
        .expect("new wakeup");
    page.fill("#name", "Own prompt").await.expect("name");
    page.fill("#prompt", sound).await.expect("prompt");
    page.fill("#time", "06:30").await.expect("time");
    page.fill("#time_zone", "Europe/Berlin")
        .await
        .expect("zone");
    page.click_and_wait("#save-wakeup").await.expect("save");
    let url = page.url().await.expect("url");
    assert!(
        url.contains("done=created"),
        "saved: {url} {}",
        page.text("body").await.unwrap_or_default()
    );
    let edit = page
        .eval("document.querySelector('#wakeups tbody tr:first-child a').href")
        .await
        .expect("link to the wakeup");
    page.goto(edit.as_str().unwrap_or_default())
        .await
        .expect("open the wakeup");
    assert_eq!(value_of(&page, "#prompt").await, sound);
    log_out(&page).await;

    // Another user is not offered it.
    log_in(&page, &portal, "202", "bob-secret").await;
    page.goto(&portal.url("/wakeups/new"))
        .await
        .expect("new wakeup");
    let offered = page
        .eval(&format!(
            "[...document.querySelectorAll('#prompt option')].some(o => o.value === '{sound}')"
        ))
        .await
        .expect("options");
    assert_eq!(offered, false);
}

/// The zone chosen in the profile is where a new wakeup starts, and its next call is shown on
/// that zone's wall clock with the zone's abbreviation.
#[tokio::test]
async fn user_chooses_a_time_zone_and_sees_the_next_wakeup_in_it() {
    let Some((_browser, page)) = open_browser().await else {
        return;
    };
    let mut portal = Portal::start();
    portal.add_user("201", "Alice Example", "alice-secret");
    portal.serve().await;
    log_in(&page, &portal, "201", "alice-secret").await;

    page.goto(&portal.url("/profile")).await.expect("profile");
    page.fill("#time_zone", "Asia/Tokyo").await.expect("zone");
    page.click_and_wait("#save-time-zone")
        .await
        .expect("save zone");
    assert_eq!(value_of(&page, "#time_zone").await, "Asia/Tokyo");

    page.goto(&portal.url("/wakeups/new"))
        .await
        .expect("new wakeup");
    assert_eq!(value_of(&page, "#time_zone").await, "Asia/Tokyo");
    page.fill("#name", "Tokyo alarm").await.expect("name");
    page.fill("#time", "06:30").await.expect("time");
    page.click_and_wait("#save-wakeup").await.expect("save");

    page.goto(&portal.url("/wakeups")).await.expect("wakeups");
    let next = page
        .text("#wakeups tbody tr:first-child td:nth-child(3)")
        .await
        .expect("next call cell");
    assert!(next.contains("06:30 JST"), "next call shown: {next}");
    shoot(&page, "wakeups-own-zone").await;
}

/// Front desk 201 (Alice) logged in on `page`, after the administrator ticked "Wakeup calls
/// for other extensions" on 201's page; guest 202 (Bob) is another user.
async fn front_desk_granted_by_the_admin(page: &Page, portal: Portal) -> Portal {
    let portal =
        users_and_root_logged_in(page, portal, &[("202", "Bob Example", "bob-secret")]).await;
    page.goto(&portal.url("/admin/users/201"))
        .await
        .expect("edit user");
    page.set_checked("#wakeup_others", true)
        .await
        .expect("grant wakeups for others");
    page.click_and_wait("#save-user").await.expect("save user");
    log_out(page).await;
    log_in(page, &portal, "201", "alice-secret").await;
    portal
}

/// The front desk schedules wakeup `name` at 06:30 for `member` alone, ticking it in the
/// member picker and unticking its own extension (ticked on a new form); returns its id.
async fn schedule_with_the_member_picker(
    page: &Page,
    portal: &Portal,
    name: &str,
    member: &str,
) -> i64 {
    page.goto(&portal.url("/wakeups/new"))
        .await
        .expect("new wakeup");
    page.fill("#name", name).await.expect("name");
    page.fill("#time", "06:30").await.expect("time");
    page.set_checked("#member-201", false)
        .await
        .expect("untick own extension");
    page.set_checked(&format!("#member-{member}"), true)
        .await
        .expect("tick the member");
    page.click_and_wait("#save-wakeup").await.expect("save");
    let url = page.url().await.expect("url");
    assert!(
        url.contains("done=created"),
        "saved: {url} {}",
        page.text("main").await.unwrap_or_default()
    );
    let row = page
        .eval("document.querySelector('#wakeups tbody tr').id")
        .await
        .expect("row id");
    let id = row
        .as_str()
        .unwrap_or_default()
        .trim_start_matches("wakeup-");
    id.parse()
        .unwrap_or_else(|_| panic!("wakeup row id: {row}"))
}

#[tokio::test]
async fn front_desk_granted_by_the_admin_wakes_another_extension_picked_from_the_members() {
    let Some((_browser, page)) = open_browser().await else {
        return;
    };
    let portal = front_desk_granted_by_the_admin(&page, Portal::start()).await;

    page.goto(&portal.url("/wakeups/new"))
        .await
        .expect("new wakeup");
    let bob = page
        .text("#member-picker")
        .await
        .expect("a member picker, not only a text box");
    assert!(bob.contains("202 Bob Example"), "{bob}");
    shoot(&page, "wakeup-member-picker").await;
    let id = schedule_with_the_member_picker(&page, &portal, "Room 202", "202").await;

    let list = page.text("#wakeups").await.expect("wakeup list");
    assert!(list.contains("Room 202"), "{list}");
    page.goto(&portal.url(&format!("/wakeups/{id}")))
        .await
        .expect("open the wakeup");
    let ticked = page
        .eval("[...document.querySelectorAll('#member-picker input:checked')].map(i => i.value)")
        .await
        .expect("ticked members");
    assert_eq!(ticked, serde_json::json!(["202"]));
    assert_eq!(value_of(&page, "#members").await, "");
}

/// The guest's phone answers and the guest presses 2: the front desk's outcomes page lists
/// the call under the wakeup, with the guest's extension and "dismissed".
#[tokio::test]
async fn front_desk_sees_the_outcome_of_a_wakeup_it_scheduled_for_another_extension() {
    use ringside::ari::simulator::Script;
    let Some((_browser, page)) = open_browser().await else {
        return;
    };
    let sim = Simulator::start_default().await.expect("ARI simulator");
    sim.phone("202", Script::answer_after_ms(200).then_press("2", 500));
    let portal =
        front_desk_granted_by_the_admin(&page, Portal::with_ari(sim.base_url(), None)).await;
    let id = schedule_with_the_member_picker(&page, &portal, "Room 202", "202").await;
    // 06:30 comes now.
    let store = ringside::store::Store::connect(&format!(
        "sqlite://{}",
        portal.data_dir.path().join("ringside.db").display()
    ))
    .await
    .expect("store");
    crate::wakeup_support::make_due(&store, id, chrono::Utc::now()).await;

    page.click_and_wait("#wakeup-outcomes")
        .await
        .expect("outcomes link");
    assert_at(&page, "/wakeups/outcomes").await;
    let row = format!("#outcomes-{id} tbody tr");
    assert!(
        reload_until(&page, &portal, "/wakeups/outcomes", &row).await,
        "no call listed: {}\n{}",
        page.text("main").await.unwrap_or_default(),
        portal.serve_log()
    );
    let call = page.text(&row).await.expect("call row");
    assert!(call.contains("202") && call.contains("dismissed"), "{call}");
    shoot(&page, "wakeup-outcomes").await;
    sim.shutdown();
}

#[tokio::test]
async fn user_without_the_grant_can_wake_only_their_own_extension() {
    let Some((_browser, page)) = open_browser().await else {
        return;
    };
    let mut portal = Portal::start();
    portal.add_user("201", "Alice Example", "alice-secret");
    portal.add_user("202", "Bob Example", "bob-secret");
    portal.serve().await;
    log_in(&page, &portal, "201", "alice-secret").await;

    page.goto(&portal.url("/wakeups")).await.expect("wakeups");
    assert!(!page.exists("#wakeup-outcomes").await.expect("query"));
    page.goto(&portal.url("/wakeups/new"))
        .await
        .expect("new wakeup");
    assert!(!page.exists("#member-picker").await.expect("query"));
    assert_eq!(value_of(&page, "#members").await, "201");
    page.fill("#name", "Bob's alarm").await.expect("name");
    page.fill("#time", "06:30").await.expect("time");
    page.fill("#members", "202").await.expect("members");
    page.click_and_wait("#save-wakeup").await.expect("save");
    let refused = page.text("#members-error").await.expect("members message");
    assert!(
        refused.contains("\"202\" is not an extension you may call"),
        "{refused}"
    );

    page.goto(&portal.url("/wakeups")).await.expect("wakeups");
    assert!(page.exists("#no-wakeups").await.expect("query"));
}

#[tokio::test]
async fn user_sends_a_pdf_fax_and_watches_it_reach_sent() {
    let Some((_browser, page)) = open_browser().await else {
        return;
    };
    let sim = Simulator::start_default().await.expect("ARI simulator");
    // A fax machine that answers at once and takes the page in half a second.
    sim.fax_machine(
        "5551234",
        100,
        Duration::from_millis(500),
        FarFax::Receives {
            pages: 1,
            station_id: "+49 30 1234".into(),
        },
    );
    let mut portal = Portal::with_ari(sim.base_url(), None);
    portal.add_user("201", "Alice Example", "alice-secret");
    portal.serve().await;
    log_in(&page, &portal, "201", "alice-secret").await;

    page.goto(&portal.url("/fax")).await.expect("fax page");
    page.fill("#number", "555 1234").await.expect("number");
    page.set_file("#document", &repo_file("media-fixtures/fax/text-10pt.pdf"))
        .await
        .expect("pick document");
    shoot(&page, "fax-send").await;
    page.click_and_wait("#send-fax").await.expect("send");
    assert!(
        page.url().await.expect("url").contains("/fax/jobs/"),
        "on the job's progress page"
    );
    if let Err(err) = page
        .wait_for(
            "document.querySelector('#fax-state').innerText.trim() === 'sent'",
            Duration::from_secs(90),
        )
        .await
    {
        let state = page.text("#fax-progress").await.unwrap_or_default();
        panic!("fax not sent ({err}): {state}\n{}", portal.serve_log());
    }
    let pages = page.text("#fax-pages").await.expect("pages");
    assert!(pages.contains('1'), "{pages}");
    shoot(&page, "fax-sent").await;

    page.goto(&portal.url("/fax")).await.expect("fax page");
    let pdf = page
        .eval(
            "fetch(document.querySelector('[id^=sent-] a[href$=\"/pdf\"]').href)\
             .then(r => r.status + ' ' + r.headers.get('content-type'))",
        )
        .await
        .expect("download");
    assert_eq!(pdf, "200 application/pdf");
    shoot(&page, "fax").await;
    sim.shutdown();
}

/// While the far fax machine takes page 2 of 3 (res_fax's session, as the AMI simulator
/// reports it), the job's page says so with the bit rate; once the fax is through it shows
/// the final state and no transfer.
#[tokio::test]
async fn user_watches_a_three_page_fax_go_out_page_by_page() {
    let Some((_browser, page)) = open_browser().await else {
        return;
    };
    let sim = Simulator::start_default().await.expect("ARI simulator");
    // Long enough to look at page 2 before the machine has every page.
    sim.fax_machine(
        "5551234",
        100,
        Duration::from_secs(12),
        FarFax::Receives {
            pages: 3,
            station_id: "+49 30 1234".into(),
        },
    );
    let mut portal = Portal::with_ari(sim.base_url(), None);
    let ami = common::ami::simulator(portal.data_dir.path(), "browser-ami-secret").await;
    portal.use_ami(&ami, "browser-ami-secret");
    portal.add_user("201", "Alice Example", "alice-secret");
    portal.serve().await;
    log_in(&page, &portal, "201", "alice-secret").await;

    let document = portal.data_dir.path().join("three-pages.pdf");
    std::fs::write(&document, common::fax_fixtures::blank_pages_pdf(3)).expect("document");
    page.goto(&portal.url("/fax")).await.expect("fax page");
    page.fill("#number", "5551234").await.expect("number");
    page.set_file("#document", &document)
        .await
        .expect("pick document");
    page.click_and_wait("#send-fax").await.expect("send");

    // SendFAX starts once the call is continued into the fax-out context.
    let mut sending = None;
    for _ in 0..200 {
        sending = sim.channels().into_iter().find(|c| {
            c.continued
                .as_ref()
                .is_some_and(|t| t.context == "ringside-fax-out")
        });
        if sending.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let Some(sending) = sending else {
        panic!("SendFAX never started:\n{}", portal.serve_log());
    };
    let session = ami.start_fax_session(
        &sending.channel.name,
        FaxOperation::Send,
        "/var/spool/asterisk/fax/outgoing/three-pages.tif",
    );
    assert!(ami.set_fax_page(session, 2, 1));
    let on_page_2 =
        "document.querySelector('#fax-transfer').innerText.trim() === 'page 2 of 3, 14400 bit/s'";
    if let Err(err) = page.wait_for(on_page_2, WAIT).await {
        let shown = page.text("#fax-progress").await.unwrap_or_default();
        panic!("page 2 not shown ({err}): {shown}\n{}", portal.serve_log());
    }
    assert_eq!(
        page.eval("document.querySelector('#fax-pages-bar').value")
            .await
            .expect("bar"),
        1,
        "the bar counts the page through"
    );
    assert_eq!(
        page.text("#fax-pages").await.expect("pages").trim(),
        "1 of 3 pages"
    );
    assert_eq!(
        page.text("#fax-state").await.expect("state").trim(),
        "sending"
    );
    shoot(&page, "fax-sending-page-2").await;

    ami.end_fax_session(session);
    if let Err(err) = page
        .wait_for(
            "document.querySelector('#fax-state').innerText.trim() === 'sent'",
            Duration::from_secs(60),
        )
        .await
    {
        let shown = page.text("#fax-progress").await.unwrap_or_default();
        panic!("fax not sent ({err}): {shown}\n{}", portal.serve_log());
    }
    assert_eq!(
        page.text("#fax-pages").await.expect("pages").trim(),
        "3 of 3 pages"
    );
    assert_eq!(
        page.text("#fax-transfer").await.expect("transfer").trim(),
        ""
    );
    sim.shutdown();
}

/// Reloads `path` until `selector` is on it, for states the page does not update by itself
/// (the page as it is counts first).
async fn reload_until(page: &Page, portal: &Portal, path: &str, selector: &str) -> bool {
    for _ in 0..50 {
        if page.exists(selector).await.expect("query") {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(400)).await;
        page.goto(&portal.url(path)).await.expect("page");
    }
    false
}

/// With Asterisk unreachable the fax waits in the queue: the user cancels it, then deletes it,
/// and it is gone from the list with the name of the file they uploaded.
#[tokio::test]
async fn user_cancels_a_waiting_fax_and_deletes_it() {
    let Some((_browser, page)) = open_browser().await else {
        return;
    };
    let mut portal = Portal::with_ari(format!("http://{}/ari", free_addr()), None);
    portal.add_user("201", "Alice Example", "alice-secret");
    portal.serve().await;
    log_in(&page, &portal, "201", "alice-secret").await;

    page.goto(&portal.url("/fax")).await.expect("fax page");
    page.fill("#number", "5551234").await.expect("number");
    page.set_file("#document", &repo_file("media-fixtures/fax/text-10pt.pdf"))
        .await
        .expect("pick document");
    page.click_and_wait("#send-fax").await.expect("send");
    let url = page.url().await.expect("url");
    let id = url.rsplit('/').next().unwrap_or_default().to_owned();
    assert!(id.parse::<i64>().is_ok(), "on the job's page: {url}");

    assert!(
        reload_until(&page, &portal, "/fax", &format!("#cancel-{id}")).await,
        "no cancel button: {}",
        page.text("body").await.unwrap_or_default()
    );
    let file = page
        .text(&format!("#sent-{id} td:nth-child(3)"))
        .await
        .expect("document cell");
    assert_eq!(file.trim(), "text-10pt.pdf");
    // The page asks before each action; the user says yes.
    page.eval("window.confirm = () => true; true")
        .await
        .expect("answer the confirmation");
    page.click_and_wait(&format!("#cancel-{id}"))
        .await
        .expect("cancel");
    assert!(
        reload_until(&page, &portal, "/fax", &format!("#delete-{id}")).await,
        "cancelled fax offers no delete: {}\n{}",
        page.text("body").await.unwrap_or_default(),
        portal.serve_log()
    );
    page.eval("window.confirm = () => true; true")
        .await
        .expect("answer the confirmation");
    if let Err(err) = page.click_and_wait(&format!("#delete-{id}")).await {
        panic!(
            "delete: {err}: {} {}\n{}",
            page.url().await.unwrap_or_default(),
            page.text("body").await.unwrap_or_default(),
            portal.serve_log()
        );
    }
    assert!(
        !page.exists(&format!("#sent-{id}")).await.expect("query"),
        "deleted fax still listed"
    );
}

/// A message app_voicemail left in 201's INBOX: the user plays it in the browser (a WAV the
/// player decodes) and deletes it; the deletion goes through the manager interface, and the
/// message is gone from the spool and from the page.
#[tokio::test]
async fn user_plays_a_voicemail_message_and_deletes_it() {
    use ringside::ami::simulator::mailbox::{SimSpool, sample_message};

    let Some((_browser, page)) = open_browser().await else {
        return;
    };
    let mut portal = Portal::start();
    let spool_root = portal.data_dir.path().join("voicemail");
    let message = "1796510000-00000001";
    SimSpool::new(&spool_root)
        .deposit(
            "default",
            "201",
            "INBOX",
            &sample_message(message, "5550123", 1_796_510_000, 3),
            Some(("wav", &common::ami::speech_wav())),
        )
        .expect("deposit a message");
    let ami = common::ami::simulator(&spool_root, "browser-ami-secret").await;
    portal.use_ami(&ami, "browser-ami-secret");
    portal.add_user("201", "Alice Example", "alice-secret");
    portal.serve().await;
    log_in(&page, &portal, "201", "alice-secret").await;

    page.goto(&portal.url("/voicemail"))
        .await
        .expect("voicemail page");
    let row = format!("#msg-{message}");
    if let Err(err) = page
        .wait_for(&format!("document.querySelector('{row}') !== null"), WAIT)
        .await
    {
        panic!(
            "message not listed ({err}): {}\n{}",
            page.text("body").await.unwrap_or_default(),
            portal.serve_log()
        );
    }
    let player = format!("#play-{message}");
    let answer = page
        .eval(&format!(
            "fetch(document.querySelector('{player}').src)\
             .then(r => r.status + ' ' + r.headers.get('content-type'))"
        ))
        .await
        .expect("fetch audio");
    assert_eq!(answer, "200 audio/wav");
    let duration = page
        .eval(&format!(
            "new Promise((ok, fail) => {{ const a = document.querySelector('{player}'); \
             a.preload = 'auto'; a.addEventListener('loadedmetadata', () => ok(a.duration)); \
             a.addEventListener('error', () => fail('cannot decode')); a.load(); \
             setTimeout(() => fail('no metadata'), 10000); }})"
        ))
        .await
        .expect("audio metadata");
    let seconds = duration.as_f64().expect("duration in seconds");
    assert!(seconds > 1.0, "message lasts {seconds} s");
    shoot(&page, "voicemail").await;

    // The page asks before deleting; the user says yes.
    page.eval("window.confirm = () => true; true")
        .await
        .expect("answer the confirmation");
    page.click_and_wait(&format!("#delete-{message}"))
        .await
        .expect("delete");
    page.wait_for(&format!("document.querySelector('{row}') === null"), WAIT)
        .await
        .expect("message gone from the page");
    let left = std::fs::read_dir(spool_root.join("default/201/INBOX"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(left, 0, "message files removed from the spool");
    drop(ami);
}

/// Two calls to 201 as `cdr_csv` writes them (Asterisk 22, `newcdrcolumns`): one answered from
/// 5550123, one from 5550999 that nobody answered.
const TWO_CALLS_CSV: &str = concat!(
    "\"\",\"5550123\",\"201\",\"from-trunk\",\"\"\"Ann\"\" <5550123>\",\"PJSIP/trunk-00000001\",\"PJSIP/201-00000002\",\"Dial\",\"PJSIP/201,20\",\"2026-12-01 09:00:00\",\"2026-12-01 09:00:05\",\"2026-12-01 09:02:05\",125,120,\"ANSWERED\",\"DOCUMENTATION\",\"1796461200.1\",\"\",\"\",\"1796461200.1\",1\n",
    "\"\",\"5550999\",\"201\",\"from-trunk\",\"\"\"Bob\"\" <5550999>\",\"PJSIP/trunk-00000003\",\"PJSIP/201-00000004\",\"Dial\",\"PJSIP/201,20\",\"2026-12-02 10:00:00\",\"\",\"2026-12-02 10:00:20\",20,0,\"NO ANSWER\",\"DOCUMENTATION\",\"1796551200.3\",\"\",\"\",\"1796551200.3\",1\n",
);

#[tokio::test]
async fn user_filters_the_call_history_and_exports_it_to_a_spreadsheet() {
    use calamine::{Reader, Xlsx};

    let Some((_browser, page)) = open_browser().await else {
        return;
    };
    let mut portal = Portal::start();
    let master_csv = portal.data_dir.path().join("Master.csv");
    std::fs::write(&master_csv, TWO_CALLS_CSV).expect("Master.csv");
    portal.env.extend([
        (
            "RINGSIDE_CALLS_MASTER_CSV",
            master_csv.display().to_string(),
        ),
        ("RINGSIDE_CALLS_CDR_TIME_ZONE", "UTC".to_owned()),
    ]);
    portal.add_user("201", "Alice Example", "alice-secret");
    portal.serve().await;
    log_in(&page, &portal, "201", "alice-secret").await;

    // The catch-up from Master.csv runs as the daemon starts.
    let rows = "document.querySelectorAll('#calls tr.call').length";
    let mut listed = false;
    for _ in 0..50 {
        page.goto(&portal.url("/calls")).await.expect("calls page");
        if page.eval(rows).await.expect("rows") == 2 {
            listed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        listed,
        "calls not listed: {}\n{}",
        page.text("body").await.unwrap_or_default(),
        portal.serve_log()
    );

    page.fill("#number", "5550999")
        .await
        .expect("number filter");
    page.click_and_wait("#apply-filter").await.expect("filter");
    assert_eq!(page.eval(rows).await.expect("rows"), 1);
    assert_eq!(
        page.eval("document.querySelector('#calls tr.call').dataset.status")
            .await
            .expect("status"),
        "missed"
    );
    shoot(&page, "calls").await;

    // What "Export XLSX" submits, fetched by the page itself so the bytes can be read here.
    let encoded = page
        .eval(
            "(() => { const f = document.querySelector('#export'); const d = new FormData(f); \
             d.set('format', 'xlsx'); \
             return fetch(f.action, {method: 'POST', body: new URLSearchParams(d)}) \
             .then(r => r.arrayBuffer()) \
             .then(b => { let s = ''; for (const x of new Uint8Array(b)) s += String.fromCharCode(x); \
             return btoa(s); }); })()",
        )
        .await
        .expect("export");
    let bytes = base64_decode(encoded.as_str().expect("base64 text"));
    let mut book = Xlsx::new(std::io::Cursor::new(bytes)).expect("a real spreadsheet");
    let sheet = book.worksheet_range("Calls").expect("sheet Calls");
    let cells: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(
        cells.len(),
        2,
        "the header and the one call the filter kept: {cells:?}"
    );
    assert_eq!(cells[0][0], "start");
    assert_eq!(cells[1][2], "missed", "{cells:?}");
    assert_eq!(cells[1][3], "5550999", "{cells:?}");
}

/// Standard base64 (what the browser's `btoa` writes).
fn base64_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for byte in text.bytes().filter(|b| *b != b'=') {
        let value = ALPHABET
            .iter()
            .position(|a| *a == byte)
            .expect("base64 character") as u32;
        acc = (acc << 6) | value;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}
