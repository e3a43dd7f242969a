//! `ringside wakeup …` run as the real binary against a temp data dir.

use crate::wakeup_support;

use std::path::Path;
use std::process::{Command, Output};

use ringside::store::Store;

fn ringside(data_dir: &Path, args: &[&str]) -> Output {
    ringside_command(data_dir, args)
        .output()
        .expect("run ringside")
}

fn ringside_command(data_dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ringside"));
    command
        .args(["wakeup"])
        .args(args)
        .env("RINGSIDE_DATA_DIR", data_dir)
        .env_remove("RINGSIDE_DATABASE_URL")
        .env_remove("RINGSIDE_CONFIG")
        .env("TZ", "UTC");
    command
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `ringside wakeup ARGS`, asserts it succeeded and returns what it printed.
fn succeeds(data_dir: &Path, args: &[&str]) -> String {
    let out = ringside(data_dir, args);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    stdout
}

/// Runs `ringside wakeup ARGS` and asserts it failed with `message` on stderr.
fn fails_with(data_dir: &Path, args: &[&str], message: &str) {
    let out = ringside(data_dir, args);
    let (_, stderr) = text(&out);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains(message), "{stderr}");
}

/// `ringside wakeup add 1001 ARGS…`, which must fail with `message` on stderr.
fn add_for_1001_fails_with(data_dir: &Path, args: &[&str], message: &str) {
    fails_with(data_dir, &[&["add", "1001"][..], args].concat(), message);
}

/// What `ringside wakeup list 1001` prints.
fn list_1001(data_dir: &Path) -> String {
    succeeds(data_dir, &["list", "1001"])
}

async fn data_dir_with_users(users: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("ringside.db").display()
    );
    let store = Store::connect(&url).await.expect("create database");
    wakeup_support::add_users(&store, users).await;
    store.pool().close().await;
    dir
}

#[tokio::test]
async fn add_one_shot_then_list_shows_the_local_fire_time() {
    let dir = data_dir_with_users(&["1001"]).await;
    let when = ["--at", "2030-12-01 06:30", "--tz", "Europe/Berlin"];
    let args = [&["add", "1001"][..], &when, &["--name", "Flight"]].concat();
    let stdout = succeeds(dir.path(), &args);
    assert!(stdout.starts_with("created wakeup "), "{stdout}");
    let list = list_1001(dir.path());
    assert!(list.contains("\"Flight\""), "{list}");
    assert!(list.contains("next Sun 2030-12-01 06:30 CET"), "{list}");
    assert!(list.contains("members 1001"), "{list}");
}

/// Adds a one-shot wakeup for 1001 at `at` in `tz` and returns what `list` prints; with
/// `zoneinfo`, both commands read time zones from that folder.
fn add_one_shot_then_list(dir: &Path, at: &str, tz: &str, zoneinfo: Option<&Path>) -> String {
    let run = |args: &[&str]| {
        let mut command = ringside_command(dir, args);
        if let Some(zoneinfo) = zoneinfo {
            command.env("TZDIR", zoneinfo);
        }
        command.output().expect("run ringside")
    };
    let added = run(&["add", "1001", "--at", at, "--tz", tz]);
    assert!(added.status.success(), "{}", text(&added).1);
    text(&run(&["list", "1001"])).0
}

#[tokio::test]
async fn zone_names_are_matched_without_case_and_stored_canonically() {
    let dir = data_dir_with_users(&["1001"]).await;
    let list = add_one_shot_then_list(dir.path(), "2030-07-01 06:30", "america/new_york", None);
    assert!(list.contains(" America/New_York "), "{list}");
    assert!(list.contains("next Mon 2030-07-01 06:30 EDT"), "{list}");
}

#[tokio::test]
async fn zones_still_resolve_on_a_machine_without_a_system_zone_database() {
    let dir = data_dir_with_users(&["1001"]).await;
    let empty = tempfile::tempdir().expect("empty zoneinfo dir");
    let list = add_one_shot_then_list(
        dir.path(),
        "2030-12-01 06:30",
        "Asia/Tokyo",
        Some(empty.path()),
    );
    assert!(list.contains("next Sun 2030-12-01 06:30 JST"), "{list}");
}

#[tokio::test]
async fn add_weekly_with_members_and_options() {
    let dir = data_dir_with_users(&["1001", "2001", "2002"]).await;
    let when = [
        "--days",
        "mon,tue",
        "--at",
        "06:30",
        "--tz",
        "America/New_York",
    ];
    let who = ["--members", "2001,2002"];
    let options = [
        "--snooze",
        "9",
        "--retries",
        "2",
        "--retry-interval",
        "3",
        "--ring-time",
        "45",
    ];
    succeeds(
        dir.path(),
        &[&["add", "1001"][..], &when, &who, &options].concat(),
    );
    let list = list_1001(dir.path());
    assert!(
        list.contains("weekly mon,tue 06:30 America/New_York members 2001,2002"),
        "{list}"
    );
    assert!(
        list.contains("ring 45s retries 2x3min snooze 9min"),
        "{list}"
    );
}

#[tokio::test]
async fn february_30_fails_naming_the_date() {
    let dir = data_dir_with_users(&["1001"]).await;
    let args = ["--at", "2030-02-30 06:30", "--tz", "UTC"];
    add_for_1001_fails_with(dir.path(), &args, "\"2030-02-30\"");
}

#[tokio::test]
async fn unknown_time_zone_fails_naming_it() {
    let dir = data_dir_with_users(&["1001"]).await;
    let args = ["--at", "2030-12-01 06:30", "--tz", "Europe/Atlantis"];
    add_for_1001_fails_with(dir.path(), &args, "unknown time zone \"Europe/Atlantis\"");
}

#[tokio::test]
async fn negative_retries_fail_with_the_range() {
    let dir = data_dir_with_users(&["1001"]).await;
    let args = ["--days", "mon", "--at", "06:30", "--retries", "-1"];
    add_for_1001_fails_with(dir.path(), &args, "retries -1 out of range: 0 to 10");
}

#[tokio::test]
async fn rm_deletes_and_a_second_rm_says_not_found() {
    let dir = data_dir_with_users(&["1001"]).await;
    succeeds(
        dir.path(),
        &["add", "1001", "--days", "fri", "--at", "07:00"],
    );
    let list = list_1001(dir.path());
    let id = list
        .split_whitespace()
        .next()
        .expect("an id column")
        .to_owned();
    succeeds(dir.path(), &["rm", &id]);
    let emptied = list_1001(dir.path());
    assert!(emptied.contains("no wakeup calls"), "{emptied}");
    fails_with(dir.path(), &["rm", &id], &format!("wakeup {id} not found"));
}

#[tokio::test]
async fn prompt_file_is_converted_into_the_prompt_directory() {
    let dir = data_dir_with_users(&["1001"]).await;
    let input = dir.path().join("morning-news.wav");
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 44_100,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&input, spec).expect("create wav");
    for i in 0..44_100u32 {
        let s = ((i as f32 * 440.0 * std::f32::consts::TAU / 44_100.0).sin() * 8000.0) as i16;
        w.write_sample(s).expect("sample");
        w.write_sample(s).expect("sample");
    }
    w.finalize().expect("finish wav");
    let prompt = input.to_str().expect("utf-8");
    let args = [
        "--days",
        "mon",
        "--at",
        "06:30",
        "--prompt",
        "prompts/morning-news.wav",
        "converted prompt",
        "prompts/morning-news ",
        "{list}",
        "1001",
        "add",
        "1001",
        "--days",
        "mon",
        "--at",
        "06:30",
        "--members",
        "1001,4242",
    ];
    add_for_1001_fails_with(dir.path(), &args, "member \"4242\" is not an extension");
}
