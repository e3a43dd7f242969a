//! `ringside dnd …`, `ringside forward …` and `ringside user set --ring-time` run as a real
//! process against a temp data dir.

use std::path::Path;

use crate::cli_user::{fails_naming, succeeds};
use crate::common::cli::{Run, ringside_with_env};
use ringside::ari::simulator::Simulator;

fn dir_with_user() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    run_ok(&dir, &["user", "add", "1001", "--name", "Alice"]);
    dir
}

/// Runs `args` on `dir`'s data and expects success.
fn run_ok(dir: &tempfile::TempDir, args: &[&str]) -> Run {
    succeeds(dir.path(), args, None)
}

/// Runs `args` on `dir`'s data and expects a failure naming each of `names`.
fn refused_naming(dir: &tempfile::TempDir, args: &[&str], names: &[&str]) {
    fails_naming(dir.path(), args, None, names);
}

fn show(dir: &Path) -> Run {
    succeeds(dir, &["forward", "show", "1001"], None)
}

fn shows(dir: &Path, line: &str) {
    let run = show(dir);
    assert!(run.stdout.contains(line), "missing {line:?} in {run:?}");
}

#[test]
fn dnd_on_with_allowed_callers_shows_them() {
    let dir = dir_with_user();
    run_ok(
        &dir,
        &[
            "dnd", "on", "1001", "--allow", "5551234", "--allow", "5550001",
        ],
    );
    let run = run_ok(&dir, &["dnd", "show", "1001"]);
    assert!(run.stdout.contains("do-not-disturb: on"), "{run:?}");
    assert!(
        run.stdout.contains("allowed callers: 5551234, 5550001"),
        "{run:?}"
    );
}

#[test]
fn dnd_off_keeps_the_allow_list() {
    let dir = dir_with_user();
    run_ok(&dir, &["dnd", "on", "1001", "--allow", "5551234"]);
    run_ok(&dir, &["dnd", "off", "1001"]);
    shows(dir.path(), "do-not-disturb: off");
    shows(dir.path(), "allowed callers: 5551234");
}

#[test]
fn dnd_allow_entry_that_is_not_a_number_is_refused_naming_it() {
    let dir = dir_with_user();
    refused_naming(
        &dir,
        &["dnd", "on", "1001", "--allow", "boss"],
        &["allow-list", "\"boss\""],
    );
    shows(dir.path(), "do-not-disturb: off");
}

#[test]
fn dnd_with_a_schedule_shows_the_window_and_zone() {
    let dir = dir_with_user();
    run_ok(
        &dir,
        &[
            "dnd",
            "on",
            "1001",
            "--schedule",
            "sat,sun,00:00-24:00",
            "--tz",
            "Europe/Berlin",
        ],
    );
    shows(
        dir.path(),
        "do-not-disturb: on (inside sat,sun,00:00-24:00, Europe/Berlin)",
    );
}

#[test]
fn dnd_for_an_unknown_user_fails() {
    let dir = dir_with_user();
    refused_naming(&dir, &["dnd", "on", "1999"], &["1999"]);
}

#[test]
fn forward_set_always_then_show() {
    let dir = dir_with_user();
    run_ok(&dir, &["forward", "set", "1001", "--always", "01705550000"]);
    shows(dir.path(), "forward always: on to 01705550000");
    shows(dir.path(), "forward busy: off");
}

#[test]
fn forward_with_schedule_outside_is_shown_as_outside() {
    let dir = dir_with_user();
    run_ok(
        &dir,
        &[
            "forward",
            "set",
            "1001",
            "--no-answer",
            "0170555",
            "--schedule",
            "mon-fri,08:00-18:00",
            "--outside",
        ],
    );
    shows(
        dir.path(),
        "forward no answer: on to 0170555 (outside mon,tue,wed,thu,fri,08:00-18:00, UTC)",
    );
}

#[test]
fn forward_to_an_invalid_number_is_refused_naming_the_option_and_number() {
    let dir = dir_with_user();
    refused_naming(
        &dir,
        &["forward", "set", "1001", "--busy", "12ab"],
        &["--busy", "\"12ab\""],
    );
}

#[test]
fn forward_to_oneself_is_refused() {
    let dir = dir_with_user();
    refused_naming(
        &dir,
        &["forward", "set", "1001", "--always", "1001"],
        &["--always", "extension itself"],
    );
}

#[test]
fn forward_schedule_that_does_not_parse_is_refused_naming_it() {
    let dir = dir_with_user();
    refused_naming(
        &dir,
        &[
            "forward",
            "set",
            "1001",
            "--always",
            "2001",
            "--schedule",
            "weekdays,8-18",
        ],
        &["--schedule", "\"weekdays,8-18\""],
    );
    shows(dir.path(), "forward always: off");
}

#[test]
fn forward_off_one_kind_leaves_the_others_on() {
    let dir = dir_with_user();
    run_ok(&dir, &["forward", "set", "1001", "--busy", "2001"]);
    run_ok(&dir, &["forward", "set", "1001", "--no-answer", "2002"]);
    run_ok(&dir, &["forward", "off", "1001", "--busy"]);
    shows(dir.path(), "forward busy: off (was 2001)");
    shows(dir.path(), "forward no answer: on to 2002");
}

#[test]
fn forward_off_without_a_kind_turns_every_forward_off() {
    let dir = dir_with_user();
    run_ok(&dir, &["forward", "set", "1001", "--busy", "2001"]);
    run_ok(&dir, &["forward", "set", "1001", "--always", "2002"]);
    run_ok(&dir, &["forward", "off", "1001"]);
    shows(dir.path(), "forward busy: off (was 2001)");
    shows(dir.path(), "forward always: off (was 2002)");
}

#[test]
fn forward_set_needs_exactly_one_kind() {
    let dir = dir_with_user();
    refused_naming(
        &dir,
        &[
            "forward", "set", "1001", "--busy", "2001", "--always", "2002",
        ],
        &["--always"],
    );
}

#[test]
fn user_set_ring_time_is_shown() {
    let dir = dir_with_user();
    run_ok(&dir, &["user", "set", "1001", "--ring-time", "25"]);
    shows(dir.path(), "ring time: 25 s");
}

#[test]
fn ring_time_out_of_range_is_refused_naming_the_option() {
    let dir = dir_with_user();
    refused_naming(
        &dir,
        &["user", "set", "1001", "--ring-time", "0"],
        &["--ring-time", "out of range"],
    );
}

#[test]
fn ring_time_defaults_to_twenty_seconds() {
    let dir = dir_with_user();
    shows(dir.path(), "ring time: 20 s (default)");
}

/// `ringside ARGS` with Asterisk's ARI at `ari_url`, in a blocking thread (the simulator runs
/// on the test's runtime).
async fn run_with_ari(dir: &tempfile::TempDir, ari_url: &str, args: &[&str]) -> Run {
    let (dir, url) = (dir.path().to_owned(), ari_url.to_owned());
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        ringside_with_env(&dir, &[("RINGSIDE_ARI_URL", &url)], &args, None)
    })
    .await
    .expect("cli runs")
}

#[tokio::test(flavor = "multi_thread")]
async fn dnd_on_and_off_set_the_busy_lamp_at_once() {
    let sim = Simulator::start_default().await.expect("sim");
    let dir = dir_with_user();
    let on = run_with_ari(&dir, &sim.base_url(), &["dnd", "on", "1001"]).await;
    assert!(on.ok(), "{on:?}");
    assert_eq!(sim.device_state("Stasis:DND1001").as_deref(), Some("BUSY"));
    let off = run_with_ari(&dir, &sim.base_url(), &["dnd", "off", "1001"]).await;
    assert!(off.ok(), "{off:?}");
    assert_eq!(
        sim.device_state("Stasis:DND1001").as_deref(),
        Some("NOT_INUSE")
    );
}

#[test]
fn dnd_on_without_asterisk_still_saves_and_says_the_lamp_waits() {
    let dir = dir_with_user();
    let run = ringside_with_env(
        dir.path(),
        &[("RINGSIDE_ARI_URL", "http://127.0.0.1:9/ari")],
        &["dnd", "on", "1001"],
        None,
    );
    assert!(run.ok(), "{run:?}");
    assert!(run.stderr.contains("not set now"), "{run:?}");
    shows(dir.path(), "do-not-disturb: on");
}
