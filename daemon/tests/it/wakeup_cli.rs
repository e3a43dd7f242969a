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

/// `wakeup add 1001 --days mon --at 06:30 --prompt PROMPT`, ready to run.
fn monday_wakeup_with_prompt(data_dir: &Path, prompt: &str) -> Command {
    ringside_command(
        data_dir,
        &[
            "add", "1001", "--days", "mon", "--at", "06:30", "--prompt", prompt,
        ],
    )
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
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
    let out = ringside(
        dir.path(),
        &[
            "add",
            "1001",
            "--at",
            "2030-12-01 06:30",
            "--tz",
            "Europe/Berlin",
            "--name",
            "Flight",
        ],
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.starts_with("created wakeup "), "{stdout}");
    let (list, _) = text(&ringside(dir.path(), &["list", "1001"]));
    assert!(list.contains("\"Flight\""), "{list}");
    assert!(list.contains("next Sun 2030-12-01 06:30 CET"), "{list}");
    assert!(list.contains("members 1001"), "{list}");
}

#[tokio::test]
async fn add_without_a_zone_uses_the_owners_own_zone() {
    let dir = data_dir_with_users(&["1001"]).await;
    let url = format!("sqlite://{}", dir.path().join("ringside.db").display());
    let store = Store::connect(&url).await.expect("open database");
    store
        .set_user_time_zone("1001", "Asia/Tokyo")
        .await
        .expect("set zone");
    store.pool().close().await;
    let out = ringside(dir.path(), &["add", "1001", "--at", "2030-12-01 06:30"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("Asia/Tokyo"), "{stdout}");
    assert!(stdout.contains("06:30 JST"), "{stdout}");
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
    let out = ringside(
        dir.path(),
        &[
            "add",
            "1001",
            "--days",
            "mon,tue",
            "--at",
            "06:30",
            "--tz",
            "America/New_York",
            "--members",
            "2001,2002",
            "--snooze",
            "9",
            "--retries",
            "2",
            "--retry-interval",
            "3",
            "--ring-time",
            "45",
        ],
    );
    assert!(out.status.success(), "{}", text(&out).1);
    let (list, _) = text(&ringside(dir.path(), &["list", "1001"]));
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
    let out = ringside(
        dir.path(),
        &["add", "1001", "--at", "2030-02-30 06:30", "--tz", "UTC"],
    );
    let (_, stderr) = text(&out);
    assert!(!out.status.success());
    assert!(stderr.contains("\"2030-02-30\""), "{stderr}");
}

#[tokio::test]
async fn unknown_time_zone_fails_naming_it() {
    let dir = data_dir_with_users(&["1001"]).await;
    let out = ringside(
        dir.path(),
        &[
            "add",
            "1001",
            "--at",
            "2030-12-01 06:30",
            "--tz",
            "Europe/Atlantis",
        ],
    );
    assert!(!out.status.success());
    assert!(
        text(&out)
            .1
            .contains("unknown time zone \"Europe/Atlantis\""),
        "{}",
        text(&out).1
    );
}

#[tokio::test]
async fn negative_retries_fail_with_the_range() {
    let dir = data_dir_with_users(&["1001"]).await;
    let out = ringside(
        dir.path(),
        &[
            "add",
            "1001",
            "--days",
            "mon",
            "--at",
            "06:30",
            "--retries",
            "-1",
        ],
    );
    assert!(!out.status.success());
    assert!(
        text(&out).1.contains("retries -1 out of range: 0 to 10"),
        "{}",
        text(&out).1
    );
}

#[tokio::test]
async fn rm_deletes_and_a_second_rm_says_not_found() {
    let dir = data_dir_with_users(&["1001"]).await;
    assert!(
        ringside(
            dir.path(),
            &["add", "1001", "--days", "fri", "--at", "07:00"]
        )
        .status
        .success()
    );
    let list = text(&ringside(dir.path(), &["list", "1001"])).0;
    let id = list
        .split_whitespace()
        .next()
        .expect("an id column")
        .to_owned();
    assert!(ringside(dir.path(), &["rm", &id]).status.success());
    assert!(
        text(&ringside(dir.path(), &["list", "1001"]))
            .0
            .contains("no wakeup calls")
    );
    let again = ringside(dir.path(), &["rm", &id]);
    assert!(!again.status.success());
    assert!(
        text(&again).1.contains(&format!("wakeup {id} not found")),
        "{}",
        text(&again).1
    );
}

#[tokio::test]
async fn prompt_file_is_converted_into_the_prompt_directory() {
    let dir = data_dir_with_users(&["1001"]).await;
    let input = dir.path().join("morning-news.wav");
    crate::common::audio::write_cd_wav(&input, 44_100, |i| {
        let s = ((i as f32 * 440.0 * std::f32::consts::TAU / 44_100.0).sin() * 8000.0) as i16;
        (s, s)
    });
    let out = monday_wakeup_with_prompt(dir.path(), input.to_str().expect("utf-8"))
        .output()
        .expect("run ringside");
    assert!(out.status.success(), "{}", text(&out).1);
    let converted = dir.path().join("prompts/morning-news.wav");
    let r = hound::WavReader::open(&converted).expect("converted prompt");
    assert_eq!(
        (
            r.spec().sample_rate,
            r.spec().channels,
            r.spec().bits_per_sample
        ),
        (8000, 1, 16)
    );
    let list = text(&ringside(dir.path(), &["list", "1001"])).0;
    assert!(list.contains("prompts/morning-news "), "{list}");
}

#[tokio::test]
async fn a_users_uploaded_prompt_is_found_in_the_configured_sounds_folder() {
    let dir = data_dir_with_users(&["1001"]).await;
    let sounds = dir.path().join("asterisk-sounds");
    let prompt = sounds.join("ringside/users/1001/morning.wav");
    std::fs::create_dir_all(prompt.parent().expect("folder")).expect("folder");
    crate::common::audio::write_cd_wav(&prompt, 8_000, |_| (0, 0));
    let add = |sounds_dir: &Path| {
        monday_wakeup_with_prompt(dir.path(), "ringside/users/1001/morning")
            .env("RINGSIDE_WAKEUP_SOUNDS_DIR", sounds_dir)
            .output()
            .expect("run ringside")
    };
    let other = dir.path().join("other-sounds");
    std::fs::create_dir_all(&other).expect("another sounds folder");
    let elsewhere = add(&other);
    assert!(!elsewhere.status.success(), "not found there");
    let out = add(&sounds);
    assert!(out.status.success(), "{}", text(&out).1);
    let list = text(&ringside(dir.path(), &["list", "1001"])).0;
    assert!(list.contains("ringside/users/1001/morning"), "{list}");
}

#[tokio::test]
async fn member_that_is_not_an_extension_fails_naming_it() {
    let dir = data_dir_with_users(&["1001"]).await;
    let out = ringside(
        dir.path(),
        &[
            "add",
            "1001",
            "--days",
            "mon",
            "--at",
            "06:30",
            "--members",
            "1001,4242",
        ],
    );
    assert!(!out.status.success());
    assert!(
        text(&out).1.contains("member \"4242\" is not an extension"),
        "{}",
        text(&out).1
    );
}
