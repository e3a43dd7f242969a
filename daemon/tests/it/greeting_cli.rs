//! `ringside greeting set/list/rm` run as a user would, against a spool in a temp dir.

use std::path::Path;
use std::process::{Command, Output};

fn ringside(spool: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ringside"))
        .args(args)
        .env("RINGSIDE_VOICEMAIL_SPOOL_DIR", spool)
        .env("RINGSIDE_VOICEMAIL_CONTEXT", "default")
        .env("RINGSIDE_DATA_DIR", spool.join("data"))
        .output()
        .expect("binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../media-fixtures/audio")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn set_then_list_shows_the_greeting_and_what_each_reason_hears() {
    let spool = tempfile::tempdir().expect("tempdir");
    let set = ringside(
        spool.path(),
        &[
            "greeting",
            "set",
            "1001",
            "busy",
            &fixture("tone-1k-44k-stereo.mp3"),
        ],
    );
    assert!(set.status.success(), "{}", stderr(&set));
    assert!(spool.path().join("default/1001/busy.wav").is_file());

    let list = ringside(spool.path(), &["greeting", "list", "1001"]);
    assert!(list.status.success(), "{}", stderr(&list));
    let text = stdout(&list);
    assert!(text.contains("busy → busy.wav"), "{text}");
    assert!(
        text.contains(
            "no_answer → Asterisk default (\"the person at extension 1001 is unavailable\")"
        ),
        "{text}"
    );
}

#[test]
fn rm_removes_the_greeting_and_a_second_rm_fails_naming_it() {
    let spool = tempfile::tempdir().expect("tempdir");
    let dir = spool.path().join("default/1001");
    std::fs::create_dir_all(&dir).expect("mailbox dir");
    std::fs::write(dir.join("temp.wav"), b"x").expect("greeting");

    let first = ringside(spool.path(), &["greeting", "rm", "1001", "temp"]);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(!dir.join("temp.wav").exists());

    let second = ringside(spool.path(), &["greeting", "rm", "1001", "temp"]);
    assert!(!second.status.success());
    assert!(
        stderr(&second).contains("1001 has no temp greeting"),
        "{}",
        stderr(&second)
    );
}

#[test]
fn set_with_a_traversal_mailbox_fails_and_writes_nothing() {
    let spool = tempfile::tempdir().expect("tempdir");
    let out = ringside(
        spool.path(),
        &[
            "greeting",
            "set",
            "../../tmp",
            "busy",
            &fixture("speech-8k.wav"),
        ],
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("digits only"), "{}", stderr(&out));
    assert!(
        std::fs::read_dir(spool.path())
            .expect("readable")
            .next()
            .is_none()
    );
}

#[test]
fn set_with_an_unknown_greeting_name_lists_the_valid_ones() {
    let spool = tempfile::tempdir().expect("tempdir");
    let out = ringside(
        spool.path(),
        &[
            "greeting",
            "set",
            "1001",
            "welcome",
            &fixture("speech-8k.wav"),
        ],
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("use temp, busy, unavail or greet"),
        "{}",
        stderr(&out)
    );
}
