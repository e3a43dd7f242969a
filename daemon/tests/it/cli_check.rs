//! `ringside check` run as an operator runs it, against the ARI and AMI simulators and
//! directories in a temp dir: a complete setup passes, and each failure is provoked on its
//! own and reported with its fix and a non-zero exit.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;

use crate::common::cli::{Run, ringside_with_env};
use ringside::ami::simulator::{AmiSimConfig, AmiSimulator, DialplanLine};
use ringside::ari::simulator::{SimConfig, Simulator};
use ringside::config::Config;
use ringside::ops::check::required_contexts;
use ringside::schedule::prompt::DEFAULT_PROMPT;

const ARI_PASSWORD: &str = "ari-secret";
const AMI_SECRET: &str = "ami-secret";

/// A setup where every check passes; tests break one part of it.
struct Setup {
    dir: tempfile::TempDir,
    ari: Simulator,
    ami: AmiSimulator,
    agi_listen: SocketAddr,
    portal_listen: SocketAddr,
    env: Vec<(String, String)>,
}

fn free_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
}

/// Every context Ringside needs, each calling FastAGI at `agi`.
fn dialplan(agi: SocketAddr, without: Option<&str>) -> Vec<DialplanLine> {
    required_contexts(&Config::default())
        .into_iter()
        .filter(|c| Some(c.name.as_str()) != without)
        .map(|c| DialplanLine {
            context: c.name,
            extension: "_X.".into(),
            priority: 1,
            application: "AGI".into(),
            app_data: format!("agi://{agi}/greeting,${{EXTEN}}"),
        })
        .collect()
}

impl Setup {
    async fn new() -> Setup {
        let dir = tempfile::tempdir().expect("temp dir");
        let ari = Simulator::start(SimConfig {
            credentials: Some(("ringside".into(), ARI_PASSWORD.into())),
            ..SimConfig::default()
        })
        .await
        .expect("ARI simulator");
        let spool = dir.path().join("spool/voicemail");
        std::fs::create_dir_all(&spool).expect("spool");
        std::fs::create_dir_all(dir.path().join("spool/fax/incoming")).expect("fax dir");
        let sounds = dir.path().join("sounds");
        std::fs::create_dir_all(&sounds).expect("sounds");
        let data = dir.path().join("data");
        let prompt = data.join("prompts").join(format!("{DEFAULT_PROMPT}.wav"));
        std::fs::create_dir_all(prompt.parent().expect("folder")).expect("prompts");
        std::fs::write(&prompt, b"RIFF").expect("prompt");
        let ami = AmiSimulator::start(AmiSimConfig {
            listen: "127.0.0.1:0".parse().expect("addr"),
            username: "ringside".into(),
            secret: AMI_SECRET.into(),
            spool: spool.clone(),
        })
        .await
        .expect("AMI simulator");
        let agi_listen = free_addr();
        ami.set_dialplan(dialplan(agi_listen, None));
        let portal_listen = free_addr();
        let env = [
            ("RINGSIDE_ARI_URL", ari.base_url()),
            ("RINGSIDE_ARI_USERNAME", "ringside".into()),
            ("RINGSIDE_ARI_PASSWORD", ARI_PASSWORD.into()),
            ("RINGSIDE_AMI_HOST", "127.0.0.1".into()),
            ("RINGSIDE_AMI_PORT", ami.addr().port().to_string()),
            ("RINGSIDE_AMI_USERNAME", "ringside".into()),
            ("RINGSIDE_AMI_SECRET", AMI_SECRET.into()),
            ("RINGSIDE_VOICEMAIL_SPOOL_DIR", spool.display().to_string()),
            ("RINGSIDE_WAKEUP_SOUNDS_DIR", sounds.display().to_string()),
            ("RINGSIDE_AGI_LISTEN", agi_listen.to_string()),
            ("RINGSIDE_PORTAL_LISTEN", portal_listen.to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let setup = Setup {
            dir,
            ari,
            ami,
            agi_listen,
            portal_listen,
            env,
        };
        // A database as the first start leaves it: created and migrated.
        ringside::store::Store::connect(&format!(
            "sqlite://{}?mode=rwc",
            setup.data().join("ringside.db").display()
        ))
        .await
        .expect("database");
        setup
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn spool(&self) -> PathBuf {
        self.dir.path().join("spool/voicemail")
    }

    fn set(&mut self, key: &str, value: &str) {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_owned(), value.to_owned()));
    }

    /// Runs `ringside check` on a blocking thread, so the simulators keep answering.
    async fn check(&self) -> Run {
        let data = self.data();
        let env = self.env.clone();
        tokio::task::spawn_blocking(move || {
            let env: Vec<(&str, &str)> =
                env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            ringside_with_env(&data, &env, &["check"], None)
        })
        .await
        .expect("check ran")
    }
}

/// The printed line of one item, e.g. `[FAIL] ARI  …`.
fn line<'a>(run: &'a Run, name: &str) -> &'a str {
    run.stdout
        .lines()
        .find(|l| l.starts_with('[') && l[6..].trim_start().starts_with(name))
        .unwrap_or_else(|| panic!("no line for {name}: {run:?}"))
}

/// The fix printed under the failed item `name`.
fn fix_of<'a>(run: &'a Run, name: &str) -> &'a str {
    let item = line(run, name);
    let mut lines = run.stdout.lines().skip_while(|l| *l != item);
    lines.next();
    lines
        .next()
        .and_then(|l| l.trim_start().strip_prefix("fix: "))
        .unwrap_or_else(|| panic!("no fix under {name}: {run:?}"))
}

fn assert_only_failure(run: &Run, name: &str) {
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(line(run, name).starts_with("[FAIL]"), "{run:?}");
    let failures = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("[FAIL]"))
        .count();
    assert_eq!(failures, 1, "{run:?}");
}

#[tokio::test]
async fn a_complete_setup_passes_every_check_and_exits_zero() {
    let setup = Setup::new().await;
    let run = setup.check().await;
    assert!(run.ok(), "{run:?}");
    assert!(!run.stdout.contains("[FAIL]"), "{run:?}");
    assert!(!run.stdout.contains("[skip]"), "{run:?}");
    assert!(line(&run, "Asterisk version").contains("22."), "{run:?}");
}

#[tokio::test]
async fn a_wrong_ari_password_fails_the_ari_check_with_its_fix() {
    let mut setup = Setup::new().await;
    setup.set("RINGSIDE_ARI_PASSWORD", "wrong");
    let run = setup.check().await;
    assert_only_failure(&run, "ARI");
    assert!(
        fix_of(&run, "ARI").contains("[ari] username and password"),
        "{run:?}"
    );
    assert!(
        line(&run, "Asterisk version").starts_with("[skip]"),
        "{run:?}"
    );
}

#[tokio::test]
async fn an_asterisk_older_than_22_fails_the_version_check() {
    let setup = Setup::new().await;
    setup.ari.set_asterisk_version("20.14.0");
    let run = setup.check().await;
    assert_only_failure(&run, "Asterisk version");
    assert!(
        fix_of(&run, "Asterisk version").contains("upgrade Asterisk"),
        "{run:?}"
    );
}

#[tokio::test]
async fn a_missing_dialplan_context_is_named_with_the_include_fix() {
    let setup = Setup::new().await;
    setup
        .ami
        .set_dialplan(dialplan(setup.agi_listen, Some("ringside-fax-in")));
    let run = setup.check().await;
    assert_only_failure(&run, "dialplan contexts");
    assert!(
        line(&run, "dialplan contexts").contains("ringside-fax-in"),
        "{run:?}"
    );
    assert!(
        fix_of(&run, "dialplan contexts").contains("extensions_ringside.conf"),
        "{run:?}"
    );
}

#[tokio::test]
async fn an_agi_call_to_another_port_than_agi_listen_fails_the_fastagi_check() {
    let mut setup = Setup::new().await;
    let elsewhere = free_addr();
    setup.set("RINGSIDE_AGI_LISTEN", &elsewhere.to_string());
    let run = setup.check().await;
    assert_only_failure(&run, "FastAGI address");
    assert!(
        line(&run, "FastAGI address").contains(&setup.agi_listen.to_string()),
        "{run:?}"
    );
}

#[tokio::test]
async fn a_refused_manager_login_fails_the_ami_check_and_skips_the_dialplan() {
    let mut setup = Setup::new().await;
    setup.set("RINGSIDE_AMI_SECRET", "wrong");
    let run = setup.check().await;
    assert_only_failure(&run, "AMI");
    assert!(fix_of(&run, "AMI").contains("manager.conf"), "{run:?}");
    assert!(
        line(&run, "dialplan contexts").starts_with("[skip]"),
        "{run:?}"
    );
}

#[tokio::test]
async fn without_a_manager_login_the_dialplan_checks_are_skipped_not_failed() {
    let mut setup = Setup::new().await;
    setup.set("RINGSIDE_AMI_SECRET", "");
    let run = setup.check().await;
    assert!(run.ok(), "{run:?}");
    assert!(
        line(&run, "dialplan contexts").starts_with("[skip]"),
        "{run:?}"
    );
    assert!(
        line(&run, "FastAGI address").starts_with("[skip]"),
        "{run:?}"
    );
}

#[tokio::test]
async fn a_missing_voicemail_spool_fails_the_spool_check() {
    let mut setup = Setup::new().await;
    let gone = setup.dir.path().join("no-such-spool");
    setup.set("RINGSIDE_VOICEMAIL_SPOOL_DIR", &gone.display().to_string());
    let run = setup.check().await;
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        line(&run, "voicemail spool").starts_with("[FAIL]"),
        "{run:?}"
    );
    assert!(
        fix_of(&run, "voicemail spool").contains("spool_dir"),
        "{run:?}"
    );
}

#[tokio::test]
async fn an_unwritable_voicemail_spool_fails_the_spool_check() {
    use std::os::unix::fs::PermissionsExt;
    let setup = Setup::new().await;
    std::fs::set_permissions(setup.spool(), std::fs::Permissions::from_mode(0o555)).expect("chmod");
    if tempfile::tempfile_in(setup.spool()).is_ok() {
        // Root (or CAP_DAC_OVERRIDE) writes through the mode bits: nothing to provoke.
        eprintln!("skipped: this user can write to a read-only directory");
        return;
    }
    let run = setup.check().await;
    std::fs::set_permissions(setup.spool(), std::fs::Permissions::from_mode(0o755))
        .expect("chmod back");
    assert_only_failure(&run, "voicemail spool");
    assert!(
        line(&run, "voicemail spool").contains("not writable"),
        "{run:?}"
    );
}

#[tokio::test]
async fn a_missing_fax_incoming_dir_fails_with_the_command_that_creates_it() {
    let setup = Setup::new().await;
    std::fs::remove_dir(setup.dir.path().join("spool/fax/incoming")).expect("rmdir");
    let run = setup.check().await;
    assert_only_failure(&run, "fax incoming dir");
    assert!(
        fix_of(&run, "fax incoming dir").contains("install -d"),
        "{run:?}"
    );
}

#[tokio::test]
async fn a_missing_wakeup_prompt_fails_the_prompt_check() {
    let setup = Setup::new().await;
    let prompts = setup.data().join("prompts");
    std::fs::remove_file(prompts.join(format!("{DEFAULT_PROMPT}.wav"))).expect("rm");
    let sounds = ringside::schedule::prompt::SoundDirs::standard(&setup.data());
    if sounds.has_sound_file(DEFAULT_PROMPT) == Some(true) {
        eprintln!("skipped: this host's Asterisk sounds have the default prompt");
        return;
    }
    let run = setup.check().await;
    assert_only_failure(&run, "wakeup prompt");
    assert!(
        line(&run, "wakeup prompt").contains(DEFAULT_PROMPT),
        "{run:?}"
    );
}

#[tokio::test]
async fn a_sounds_folder_where_prompts_cannot_be_written_fails_the_upload_check() {
    let setup = Setup::new().await;
    std::fs::write(
        setup.dir.path().join("sounds/ringside"),
        b"a file in the way",
    )
    .expect("file");
    let run = setup.check().await;
    assert_only_failure(&run, "prompt uploads");
    assert!(
        fix_of(&run, "prompt uploads").contains("install -d"),
        "{run:?}"
    );
}

#[tokio::test]
async fn a_sounds_folder_elsewhere_skips_the_upload_check() {
    let mut setup = Setup::new().await;
    let away = setup.dir.path().join("no-such-sounds");
    setup.set("RINGSIDE_WAKEUP_SOUNDS_DIR", &away.display().to_string());
    let run = setup.check().await;
    assert!(run.ok(), "{run:?}");
    assert!(
        line(&run, "prompt uploads").starts_with("[skip]"),
        "{run:?}"
    );
}

#[tokio::test]
async fn a_manager_user_without_the_call_class_skips_fax_progress_saying_what_it_costs() {
    let setup = Setup::new().await;
    setup.ami.deny_actions(&["FAXSessions"]);
    let run = setup.check().await;
    assert!(run.ok(), "optional, so no failure: {run:?}");
    let item = line(&run, "fax progress");
    assert!(item.starts_with("[skip]"), "{run:?}");
    assert!(item.contains("`call`"), "{run:?}");
}

#[tokio::test]
async fn a_taken_portal_port_fails_the_listen_check() {
    let setup = Setup::new().await;
    let _taken = TcpListener::bind(setup.portal_listen).expect("take the port");
    let run = setup.check().await;
    assert_only_failure(&run, "portal listen");
    assert!(
        fix_of(&run, "portal listen").contains("[portal] listen"),
        "{run:?}"
    );
}

#[tokio::test]
async fn a_database_migrated_by_a_newer_ringside_fails_the_database_check() {
    let setup = Setup::new().await;
    let db = setup.data().join("ringside.db");
    let store = ringside::store::Store::connect(&format!("sqlite://{}", db.display()))
        .await
        .expect("database");
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (99990101000000, 'from the future', TRUE, x'00', 0)",
    )
    .execute(store.pool())
    .await
    .expect("insert");
    store.pool().close().await;
    let run = setup.check().await;
    assert_only_failure(&run, "database");
    assert!(line(&run, "database").contains("newer Ringside"), "{run:?}");
}
