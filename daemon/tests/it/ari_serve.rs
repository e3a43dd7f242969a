//! `ringside serve` as a process: waits for Asterisk with a clear log line, takes calls
//! against the simulator using follow-me settings from its database, stops on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use ringside::ari::simulator::{Script, Simulator};
use ringside::store::{FollowMeSettings, Store};

const WAIT: Duration = Duration::from_secs(20);

struct Serve {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Serve {
    fn start(data_dir: &std::path::Path, ari_url: &str) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ringside"))
            .arg("serve")
            .env("RINGSIDE_DATA_DIR", data_dir)
            .env("RINGSIDE_ARI_URL", ari_url)
            .env("RINGSIDE_AGI_LISTEN", "127.0.0.1:0")
            .env("RINGSIDE_PORTAL_LISTEN", "127.0.0.1:0")
            .env("RUST_LOG", "info")
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("ringside starts");
        let stderr = child.stderr.take().expect("stderr piped");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Self { child, lines }
    }

    fn wait_for_line(&self, needle: &str) -> String {
        let deadline = std::time::Instant::now() + WAIT;
        while std::time::Instant::now() < deadline {
            if let Ok(line) = self.lines.recv_timeout(Duration::from_millis(100)) {
                if line.contains(needle) {
                    return line;
                }
            }
        }
        panic!("no log line containing {needle:?}");
    }

    fn terminate(mut self) -> std::process::ExitStatus {
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success());
        let deadline = std::time::Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "serve did not stop on SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

#[test]
fn serve_says_where_it_looks_for_asterisk_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().expect("tempdir");
    let serve = Serve::start(dir.path(), "http://127.0.0.1:9/ari");
    let line = serve.wait_for_line("waiting for Asterisk ARI at");
    assert!(line.contains("http://127.0.0.1:9/ari"), "{line}");
    assert!(serve.terminate().success());
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_runs_follow_me_from_its_database_against_the_simulator() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("ringside.db").display()
    );
    let store = Store::connect(&db).await.expect("store");
    for ext in ["1001", "2001"] {
        sqlx::query("INSERT INTO users (extension, display_name, created_at) VALUES ($1, $2, 0)")
            .bind(ext)
            .bind("Test")
            .execute(store.pool())
            .await
            .expect("user");
    }
    store
        .set_followme(&FollowMeSettings::ringing("1001", 0, &[(&["2001"], 10)]))
        .await
        .expect("settings");
    let sim = Simulator::start_default().await.expect("sim");
    sim.phone("2001", Script::answer_after_ms(50));
    let serve = Serve::start(dir.path(), &sim.base_url());
    assert!(sim.wait_connected("ringside", WAIT).await, "serve connects");
    let caller = sim.inbound_call(
        "ringside",
        &["followme".into(), "1001".into()],
        "555",
        "Bob",
    );
    let bridged = sim
        .wait_until(WAIT, |s| {
            s.channel(&caller).and_then(|c| c.bridge).is_some()
        })
        .await;
    assert!(bridged, "call connected: {:#?}", sim.channels());
    let create = sim
        .rest_calls()
        .into_iter()
        .find(|c| c.path == "/channels/create")
        .expect("a leg was created");
    assert_eq!(
        create.query.get("endpoint").map(String::as_str),
        Some("PJSIP/2001")
    );
    assert!(serve.terminate().success());
}
