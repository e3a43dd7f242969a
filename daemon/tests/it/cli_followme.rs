//! `ringside followme …` run as a real process against a temp data dir.

use crate::common;

use common::cli::ringside;

fn dir_with_user() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let add = ringside(
        dir.path(),
        &["user", "add", "1001", "--name", "Alice"],
        None,
    );
    assert!(add.ok(), "{add:?}");
    dir
}

#[test]
fn set_then_show_prints_the_steps_with_leading_zeros() {
    let dir = dir_with_user();
    let set = ringside(
        dir.path(),
        &[
            "followme",
            "set",
            "1001",
            "--initial-ring",
            "5",
            "--step",
            "2001,2002:20",
            "--step",
            "0049301234:15",
            "--confirm",
            "--moh",
            "--caller-id",
            "extension",
        ],
        None,
    );
    assert!(set.ok(), "{set:?}");
    let show = ringside(dir.path(), &["followme", "show", "1001"], None);
    assert!(show.ok(), "{show:?}");
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
    assert!(
        ringside(
            dir.path(),
            &["followme", "set", "1001", "--step", "2001:20"],
            None
        )
        .ok()
    );
    let off = ringside(dir.path(), &["followme", "off", "1001"], None);
    assert!(off.ok(), "{off:?}");
    let show = ringside(dir.path(), &["followme", "show", "1001"], None);
    assert!(show.stdout.contains("follow-me for 1001: off"), "{show:?}");
    assert!(show.stdout.contains("step 1: 2001 for 20 s"), "{show:?}");
}

#[test]
fn show_for_a_user_without_settings_says_off() {
    let dir = dir_with_user();
    let show = ringside(dir.path(), &["followme", "show", "1001"], None);
    assert!(show.ok(), "{show:?}");
    assert!(show.stdout.contains("off"), "{show:?}");
}

#[test]
fn set_without_steps_is_refused_naming_step() {
    let dir = dir_with_user();
    let set = ringside(
        dir.path(),
        &["followme", "set", "1001", "--initial-ring", "5"],
        None,
    );
    assert!(!set.ok(), "{set:?}");
    assert!(
        set.stderr.contains("--step") && set.stderr.contains("no steps"),
        "{set:?}"
    );
}

#[test]
fn out_of_range_initial_ring_is_named() {
    let dir = dir_with_user();
    let set = ringside(
        dir.path(),
        &[
            "followme",
            "set",
            "1001",
            "--initial-ring",
            "301",
            "--step",
            "2001:20",
        ],
        None,
    );
    assert!(!set.ok(), "{set:?}");
    assert!(
        set.stderr.contains("--initial-ring") && set.stderr.contains("301"),
        "{set:?}"
    );
}

#[test]
fn bad_number_in_a_step_is_named_with_its_step() {
    let dir = dir_with_user();
    let set = ringside(
        dir.path(),
        &[
            "followme", "set", "1001", "--step", "2001:20", "--step", "20x2:15",
        ],
        None,
    );
    assert!(!set.ok(), "{set:?}");
    assert!(
        set.stderr.contains("--step #2") && set.stderr.contains("\"20x2\""),
        "{set:?}"
    );
}

#[test]
fn zero_step_ring_time_is_refused() {
    let dir = dir_with_user();
    let set = ringside(
        dir.path(),
        &["followme", "set", "1001", "--step", "2001:0"],
        None,
    );
    assert!(!set.ok(), "{set:?}");
    assert!(set.stderr.contains("ring time 0 s"), "{set:?}");
}

#[test]
fn malformed_step_argument_is_named() {
    let dir = dir_with_user();
    let set = ringside(
        dir.path(),
        &["followme", "set", "1001", "--step", "2001"],
        None,
    );
    assert!(!set.ok(), "{set:?}");
    assert!(set.stderr.contains("--step"), "{set:?}");
}

#[test]
fn refused_settings_leave_the_old_ones() {
    let dir = dir_with_user();
    assert!(
        ringside(
            dir.path(),
            &["followme", "set", "1001", "--step", "2001:20"],
            None
        )
        .ok()
    );
    let bad = ringside(
        dir.path(),
        &["followme", "set", "1001", "--step", "abc:20"],
        None,
    );
    assert!(!bad.ok(), "{bad:?}");
    let show = ringside(dir.path(), &["followme", "show", "1001"], None);
    assert!(show.stdout.contains("step 1: 2001 for 20 s"), "{show:?}");
}

#[test]
fn followme_for_unknown_user_fails() {
    let dir = tempfile::tempdir().expect("temp dir");
    let set = ringside(
        dir.path(),
        &["followme", "set", "1999", "--step", "2001:20"],
        None,
    );
    assert!(!set.ok(), "{set:?}");
    assert!(
        set.stderr.contains("1999") && set.stderr.contains("not found"),
        "{set:?}"
    );
}
