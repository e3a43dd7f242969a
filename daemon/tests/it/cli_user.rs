//! `ringside user …` run as a real process against a temp data dir.

use crate::common;

use std::path::Path;

use common::cli::{Run, ringside};

/// Runs `ringside ARGS` and asserts it succeeded (shared by the other CLI tests).
pub(crate) fn succeeds(dir: &Path, args: &[&str], stdin: Option<&str>) -> Run {
    let run = ringside(dir, args, stdin);
    assert!(run.ok(), "{run:?}");
    run
}

/// Runs `ringside ARGS` and asserts it failed with every one of `reasons` on stderr.
pub(crate) fn fails_naming(dir: &Path, args: &[&str], stdin: Option<&str>, reasons: &[&str]) {
    let run = ringside(dir, args, stdin);
    assert!(!run.ok(), "{run:?}");
    for reason in reasons {
        assert!(run.stderr.contains(reason), "{reason}: {run:?}");
    }
}

/// `ringside user add EXT --name NAME EXTRA…`, which must succeed.
fn add_user_with(dir: &Path, ext: &str, name: &str, extra: &[&str], stdin: Option<&str>) -> Run {
    let args = [&["user", "add", ext, "--name", name][..], extra].concat();
    succeeds(dir, &args, stdin)
}

fn add_user(dir: &Path, ext: &str, name: &str) {
    add_user_with(dir, ext, name, &[], None);
}

#[test]
fn added_user_appears_in_the_list() {
    let dir = tempfile::tempdir().expect("temp dir");
    let email = ["--email", "alice@example.com"];
    add_user_with(dir.path(), "1001", "Alice Example", &email, None);
    let list = succeeds(dir.path(), &["user", "list"], None);
    assert!(list.stdout.contains("1001"), "{list:?}");
    assert!(list.stdout.contains("Alice Example"), "{list:?}");
    assert!(list.stdout.contains("alice@example.com"), "{list:?}");
}

#[test]
fn list_as_json_carries_the_total() {
    let dir = tempfile::tempdir().expect("temp dir");
    for ext in ["1001", "1002"] {
        add_user(dir.path(), ext, "U");
    }
    let list = ringside(
        dir.path(),
        &["user", "list", "--json", "--limit", "1"],
        None,
    );
    let page: serde_json::Value = serde_json::from_str(&list.stdout).expect("json output");
    assert_eq!(page["total"], 2);
    assert_eq!(page["users"].as_array().map(Vec::len), Some(1));
}

#[test]
fn password_from_stdin_is_stored_hashed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let flags = ["--password-stdin", "--portal"];
    let stdin = Some("alice-secret\n");
    let add = add_user_with(dir.path(), "1001", "Alice", &flags, stdin);
    assert!(!add.stdout.contains("alice-secret"));
    // The database file and its WAL/shared-memory companions.
    for entry in std::fs::read_dir(dir.path()).expect("data dir") {
        let path = entry.expect("dir entry").path();
        if path.to_string_lossy().contains("ringside.db") {
            let bytes = std::fs::read(&path).expect("database file");
            let text = String::from_utf8_lossy(&bytes);
            assert!(
                !text.contains("alice-secret"),
                "plain password in {}",
                path.display()
            );
        }
    }
}

#[test]
fn bad_extension_is_named_and_exits_non_zero() {
    let dir = tempfile::tempdir().expect("temp dir");
    let add = ["user", "add", "10a1", "--name", "Bad"];
    fails_naming(dir.path(), &add, None, &["extension", "10a1"]);
}

#[test]
fn short_password_on_stdin_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let add = ["user", "add", "1001", "--name", "A", "--password-stdin"];
    fails_naming(dir.path(), &add, Some("short\n"), &["too short"]);
}

#[test]
fn duplicate_user_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    add_user(dir.path(), "1001", "A");
    let again = ["user", "add", "1001", "--name", "B"];
    fails_naming(dir.path(), &again, None, &["already exists"]);
}

#[test]
fn passwd_without_stdin_generates_and_prints_a_password() {
    let dir = tempfile::tempdir().expect("temp dir");
    add_user(dir.path(), "1001", "A");
    let passwd = succeeds(dir.path(), &["user", "passwd", "1001"], None);
    let password = passwd
        .stdout
        .rsplit(": ")
        .next()
        .map(str::trim)
        .expect("printed password");
    assert_eq!(password.len(), 16, "{passwd:?}");
}

#[test]
fn passwd_of_unknown_user_fails() {
    let dir = tempfile::tempdir().expect("temp dir");
    let passwd = ["user", "passwd", "1999", "--password-stdin"];
    let stdin = Some("long-enough-pw\n");
    fails_naming(dir.path(), &passwd, stdin, &["1999", "not found"]);
}

#[test]
fn removed_user_is_no_longer_listed() {
    let dir = tempfile::tempdir().expect("temp dir");
    add_user(dir.path(), "1001", "Alice");
    succeeds(dir.path(), &["user", "rm", "1001"], None);
    let list = ringside(dir.path(), &["user", "list"], None);
    assert!(!list.stdout.contains("Alice"), "{list:?}");
}

#[test]
fn user_set_time_zone_is_stored_in_its_canonical_spelling() {
    let dir = tempfile::tempdir().expect("temp dir");
    add_user(dir.path(), "1001", "Alice");
    let set = ["user", "set", "1001", "--time-zone", "europe/berlin"];
    let run = succeeds(dir.path(), &set, None);
    assert!(run.stdout.contains("time zone Europe/Berlin"), "{run:?}");
    let list = succeeds(dir.path(), &["user", "list", "--json"], None);
    let page: serde_json::Value = serde_json::from_str(&list.stdout).expect("json output");
    assert_eq!(page["users"][0]["time_zone"], "Europe/Berlin");
}

#[test]
fn user_set_unknown_time_zone_is_refused_naming_the_option_and_the_zone() {
    let dir = tempfile::tempdir().expect("temp dir");
    add_user(dir.path(), "1001", "Alice");
    let set = ["user", "set", "1001", "--time-zone", "Mars/Olympus"];
    fails_naming(dir.path(), &set, None, &["--time-zone", "Mars/Olympus"]);
}

#[test]
fn user_set_time_zone_default_follows_the_portal_default_again() {
    let dir = tempfile::tempdir().expect("temp dir");
    add_user(dir.path(), "1001", "Alice");
    succeeds(
        dir.path(),
        &["user", "set", "1001", "--time-zone", "Asia/Tokyo"],
        None,
    );
    let run = succeeds(
        dir.path(),
        &["user", "set", "1001", "--time-zone", "default"],
        None,
    );
    assert!(
        run.stdout.contains("follows the portal's default"),
        "{run:?}"
    );
    let list = succeeds(dir.path(), &["user", "list", "--json"], None);
    let page: serde_json::Value = serde_json::from_str(&list.stdout).expect("json output");
    assert_eq!(page["users"][0]["time_zone"], "");
}

fn listed_walkthrough(dir: &Path) -> serde_json::Value {
    let list = succeeds(dir, &["user", "list", "--json"], None);
    let page: serde_json::Value = serde_json::from_str(&list.stdout).expect("json output");
    page["users"][0]["walkthrough"].clone()
}

#[test]
fn new_user_gets_the_portal_walkthrough() {
    let dir = tempfile::tempdir().expect("temp dir");
    add_user(dir.path(), "1001", "Alice");
    assert_eq!(listed_walkthrough(dir.path()), true);
}

#[test]
fn user_set_walkthrough_off_turns_it_off() {
    let dir = tempfile::tempdir().expect("temp dir");
    add_user(dir.path(), "1001", "Alice");
    let set = ["user", "set", "1001", "--walkthrough", "off"];
    let run = succeeds(dir.path(), &set, None);
    assert!(run.stdout.contains("walk-through is off"), "{run:?}");
    assert_eq!(listed_walkthrough(dir.path()), false);
}

#[test]
fn import_reports_accepted_and_rejected_rows() {
    let dir = tempfile::tempdir().expect("temp dir");
    let csv = dir.path().join("users.csv");
    std::fs::write(&csv, "1001,Alice,,generate\nabc,Bad,,generate\n").expect("write csv");
    let csv = csv.to_str().expect("utf-8 path");
    let run = succeeds(dir.path(), &["user", "import", csv], None);
    assert!(run.stdout.contains("1 imported, 1 rejected"), "{run:?}");
    assert!(run.stderr.contains("line 2"), "{run:?}");
}

#[test]
fn user_commands_work_against_postgres_too() {
    let Ok(admin_url) = std::env::var(common::POSTGRES_URL_VAR) else {
        common::missing_dependency(&format!(
            "PostgreSQL ({} is not set)",
            common::POSTGRES_URL_VAR
        ));
        return;
    };
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let db = rt
        .block_on(common::TestDb::postgres())
        .expect("postgres db");
    let dir = tempfile::tempdir().expect("temp dir");
    let env = [("RINGSIDE_DATABASE_URL", db.url.as_str())];
    let add = common::cli::ringside_with_env(
        dir.path(),
        &env,
        &["user", "add", "1001", "--name", "Alice PG"],
        None,
    );
    let list = common::cli::ringside_with_env(dir.path(), &env, &["user", "list"], None);
    rt.block_on(db.cleanup());
    assert!(add.ok(), "{add:?} (admin url {admin_url})");
    assert!(list.stdout.contains("Alice PG"), "{list:?}");
    assert!(
        !dir.path().join("ringside.db").exists(),
        "used SQLite instead"
    );
}
