//! `ringside followme …` run as a real process against a temp data dir.

use crate::common;

use std::path::Path;

use crate::cli_user::{fails_naming, succeeds};
use common::cli::Run;

fn dir_with_user() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    succeeds(
        dir.path(),
        &["user", "add", "1001", "--name", "Alice"],
        None,
    );
    dir
}

/// `ringside followme set EXT ARGS…`, which must succeed.
fn set(dir: &Path, ext: &str, args: &[&str]) {
    succeeds(dir, &[&["followme", "set", ext][..], args].concat(), None);
}

/// `ringside followme set EXT ARGS…`, which must fail naming every one of `reasons`.
fn set_is_refused(dir: &Path, ext: &str, args: &[&str], reasons: &[&str]) {
    let set = [&["followme", "set", ext][..], args].concat();
    fails_naming(dir, &set, None, reasons);
}

/// `ringside followme show 1001`, which must succeed.
fn show(dir: &Path) -> Run {
    succeeds(dir, &["followme", "show", "1001"], None)
}

#[test]
fn set_then_show_prints_the_steps_with_leading_zeros() {
    let dir = dir_with_user();
    let steps = ["--step", "2001,2002:20", "--step", "0049301234:15"];
    let options = ["--confirm", "--moh", "--caller-id", "extension"];
    set(
        dir.path(),
        "1001",
        &[&["--initial-ring", "5"][..], &steps, &options].concat(),
    );
    let show = show(dir.path());
    for line in [
        "follow-me for 1001: on",
        "initial ring: 5 s",
        "step 1: 2001, 2002 for 20 s",
        "step 2: 0049301234 for 15 s",
        "confirm: yes",
        "music on hold: yes",
        "caller id: extension",
    ] {
        assert!(show.stdout.contains(line), "missing {line:?} in {show:?}");
    }
}

#[test]
fn off_keeps_the_steps_but_disables() {
    let dir = dir_with_user();
    set(dir.path(), "1001", &["--step", "2001:20"]);
    succeeds(dir.path(), &["followme", "off", "1001"], None);
    let show = show(dir.path());
    assert!(show.stdout.contains("follow-me for 1001: off"), "{show:?}");
    assert!(show.stdout.contains("step 1: 2001 for 20 s"), "{show:?}");
}

#[test]
fn show_for_a_user_without_settings_says_off() {
    let dir = dir_with_user();
    let show = show(dir.path());
    assert!(show.stdout.contains("off"), "{show:?}");
}

#[test]
fn set_without_steps_is_refused_naming_step() {
    let dir = dir_with_user();
    let args = ["--initial-ring", "5"];
    set_is_refused(dir.path(), "1001", &args, &["--step", "no steps"]);
}

#[test]
fn out_of_range_initial_ring_is_named() {
    let dir = dir_with_user();
    let args = ["--initial-ring", "301", "--step", "2001:20"];
    set_is_refused(dir.path(), "1001", &args, &["--initial-ring", "301"]);
}

#[test]
fn bad_number_in_a_step_is_named_with_its_step() {
    let dir = dir_with_user();
    let args = ["--step", "2001:20", "--step", "20x2:15"];
    set_is_refused(dir.path(), "1001", &args, &["--step #2", "\"20x2\""]);
}

#[test]
fn zero_step_ring_time_is_refused() {
    let dir = dir_with_user();
    let args = ["--step", "2001:0"];
    set_is_refused(dir.path(), "1001", &args, &["ring time 0 s"]);
}

#[test]
fn malformed_step_argument_is_named() {
    let dir = dir_with_user();
    set_is_refused(dir.path(), "1001", &["--step", "2001"], &["--step"]);
}

#[test]
fn refused_settings_leave_the_old_ones() {
    let dir = dir_with_user();
    set(dir.path(), "1001", &["--step", "2001:20"]);
    set_is_refused(dir.path(), "1001", &["--step", "abc:20"], &[]);
    let show = show(dir.path());
    assert!(show.stdout.contains("step 1: 2001 for 20 s"), "{show:?}");
}

#[test]
fn followme_for_unknown_user_fails() {
    let dir = tempfile::tempdir().expect("temp dir");
    let args = ["--step", "2001:20"];
    set_is_refused(dir.path(), "1999", &args, &["1999", "not found"]);
}
