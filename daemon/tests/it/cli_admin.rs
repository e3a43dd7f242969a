//! `ringside admin create` run as a real process against a temp data dir.

use crate::common;

use common::cli::ringside;
use ringside::store::Store;

fn database_url(dir: &std::path::Path) -> String {
    format!("sqlite://{}", dir.join("ringside.db").display())
}

#[tokio::test]
async fn admin_with_password_from_stdin_can_log_in() {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = ringside(
        dir.path(),
        &["admin", "create", "root", "--password-stdin"],
        Some("admin-secret-1\n"),
    );
    assert!(run.ok(), "{run:?}");
    assert!(!run.stdout.contains("admin-secret-1"));
    let store = Store::connect(&database_url(dir.path()))
        .await
        .expect("open");
    let admin = store
        .verify_password("root", "admin-secret-1")
        .await
        .expect("admin logs in");
    assert!(admin.is_admin && admin.portal_enabled);
}

#[tokio::test]
async fn admin_without_stdin_gets_a_generated_password_printed_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = ringside(dir.path(), &["admin", "create", "root"], None);
    assert!(run.ok(), "{run:?}");
    let password = run
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("password (shown only now): "))
        .expect("generated password printed");
    let store = Store::connect(&database_url(dir.path()))
        .await
        .expect("open");
    store
        .verify_password("root", password)
        .await
        .expect("generated password works");
}

#[test]
fn admin_with_empty_stdin_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = ringside(
        dir.path(),
        &["admin", "create", "root", "--password-stdin"],
        Some(""),
    );
    assert!(!run.ok(), "{run:?}");
    assert!(run.stderr.contains("no password"), "{run:?}");
}

#[test]
fn admin_login_with_a_blank_is_refused_by_name() {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = ringside(dir.path(), &["admin", "create", "root admin"], None);
    assert!(!run.ok(), "{run:?}");
    assert!(
        run.stderr.contains("login") && run.stderr.contains("root admin"),
        "{run:?}"
    );
}

#[test]
fn second_admin_with_the_same_name_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    assert!(ringside(dir.path(), &["admin", "create", "root"], None).ok());
    let again = ringside(dir.path(), &["admin", "create", "root"], None);
    assert!(!again.ok(), "{again:?}");
    assert!(again.stderr.contains("already exists"), "{again:?}");
}
