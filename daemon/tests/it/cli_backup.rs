//! `ringside backup` and `ringside restore` run as an operator runs them: a round trip to
//! another data dir (another machine) reads back through the store; a non-empty data dir is
//! refused without `--force`; a truncated or damaged archive is refused and nothing is
//! written; PostgreSQL is pointed to `pg_dump`.

use std::path::{Path, PathBuf};

use crate::common::cli::{Run, ringside, ringside_with_env};

const PROMPT: &[u8] = b"RIFF prompt bytes";
const FAX: &[u8] = b"%PDF-1.4 a received fax";

/// A data dir with a user in its database, an uploaded prompt and a received fax.
fn installation(root: &Path) -> PathBuf {
    let data = root.join("data");
    let run = ringside(
        &data,
        &["user", "add", "1001", "--name", "Alice Example"],
        None,
    );
    assert!(run.ok(), "{run:?}");
    std::fs::create_dir_all(data.join("prompts")).expect("prompts");
    std::fs::write(data.join("prompts/morning.wav"), PROMPT).expect("prompt");
    std::fs::create_dir_all(data.join("fax/received")).expect("fax dir");
    std::fs::write(data.join("fax/received/7.pdf"), FAX).expect("fax");
    data
}

fn backup(data: &Path, archive: &Path) -> Run {
    let run = ringside(data, &["backup", archive.to_str().expect("utf-8")], None);
    assert!(run.ok(), "{run:?}");
    run
}

fn restore(data: &Path, archive: &Path, force: bool) -> Run {
    let mut args = vec!["restore", archive.to_str().expect("utf-8")];
    if force {
        args.push("--force");
    }
    ringside(data, &args, None)
}

async fn display_name(data: &Path, extension: &str) -> Option<String> {
    let url = format!("sqlite://{}", data.join("ringside.db").display());
    let store = ringside::store::Store::connect(&url).await.expect("store");
    let user = store.user(extension).await.expect("query");
    store.pool().close().await;
    user.map(|u| u.display_name)
}

/// Names of the entries of `dir`, sorted (empty when it does not exist).
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[tokio::test]
async fn a_backup_restored_on_another_machine_reads_back_through_the_store() {
    let root = tempfile::tempdir().expect("temp dir");
    let data = installation(root.path());
    let archive = root.path().join("ringside.tar");
    backup(&data, &archive);
    std::fs::remove_dir_all(&data).expect("wipe");
    let elsewhere = root.path().join("other-machine/data");
    let run = restore(&elsewhere, &archive, false);
    assert!(run.ok(), "{run:?}");
    assert_eq!(
        display_name(&elsewhere, "1001").await.as_deref(),
        Some("Alice Example")
    );
    assert_eq!(
        std::fs::read(elsewhere.join("prompts/morning.wav")).expect("prompt"),
        PROMPT
    );
    assert_eq!(
        std::fs::read(elsewhere.join("fax/received/7.pdf")).expect("fax"),
        FAX
    );
}

#[tokio::test]
async fn a_restore_leaves_no_staging_directory_behind() {
    let root = tempfile::tempdir().expect("temp dir");
    let data = installation(root.path());
    let archive = root.path().join("ringside.tar");
    backup(&data, &archive);
    let target = root.path().join("restored");
    assert!(restore(&target, &archive, false).ok());
    assert_eq!(entries(&target), ["fax", "prompts", "ringside.db"]);
}

#[test]
fn a_restore_into_a_non_empty_data_dir_is_refused_without_force() {
    let root = tempfile::tempdir().expect("temp dir");
    let data = installation(root.path());
    let archive = root.path().join("ringside.tar");
    backup(&data, &archive);
    std::fs::write(data.join("prompts/morning.wav"), b"changed since").expect("write");
    let run = restore(&data, &archive, false);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stderr.contains("--force"), "{run:?}");
    assert_eq!(
        std::fs::read(data.join("prompts/morning.wav")).expect("prompt"),
        b"changed since"
    );
}

#[tokio::test]
async fn a_forced_restore_replaces_the_data_dir_and_the_database() {
    let root = tempfile::tempdir().expect("temp dir");
    let data = installation(root.path());
    let archive = root.path().join("ringside.tar");
    backup(&data, &archive);
    assert!(ringside(&data, &["user", "add", "1002", "--name", "Bob"], None).ok());
    std::fs::write(data.join("stray.txt"), b"made after the backup").expect("write");
    let run = restore(&data, &archive, true);
    assert!(run.ok(), "{run:?}");
    assert_eq!(display_name(&data, "1002").await, None);
    assert_eq!(
        display_name(&data, "1001").await.as_deref(),
        Some("Alice Example")
    );
    assert!(!data.join("stray.txt").exists());
}

#[test]
fn a_truncated_archive_is_refused_and_nothing_is_written() {
    let root = tempfile::tempdir().expect("temp dir");
    let data = installation(root.path());
    let archive = root.path().join("ringside.tar");
    backup(&data, &archive);
    let bytes = std::fs::read(&archive).expect("archive");
    std::fs::write(&archive, &bytes[..bytes.len() / 2]).expect("truncate");
    let target = root.path().join("restored");
    let run = restore(&target, &archive, false);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stderr.contains("not a complete Ringside backup"),
        "{run:?}"
    );
    assert!(entries(&target).is_empty(), "{:?}", entries(&target));
}

#[test]
fn a_damaged_file_in_the_archive_is_refused_and_nothing_is_written() {
    let root = tempfile::tempdir().expect("temp dir");
    let data = installation(root.path());
    let archive = root.path().join("ringside.tar");
    backup(&data, &archive);
    let mut bytes = std::fs::read(&archive).expect("archive");
    let at = bytes
        .windows(FAX.len())
        .position(|w| w == FAX)
        .expect("the fax's bytes are in the archive");
    bytes[at + 5] ^= 0x20;
    std::fs::write(&archive, &bytes).expect("damage");
    let target = root.path().join("restored");
    let run = restore(&target, &archive, false);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stderr.contains("fax/received/7.pdf"), "{run:?}");
    assert!(entries(&target).is_empty(), "{:?}", entries(&target));
}

#[test]
fn a_backup_of_a_postgresql_database_points_to_pg_dump() {
    let root = tempfile::tempdir().expect("temp dir");
    let archive = root.path().join("ringside.tar");
    let run = ringside_with_env(
        root.path(),
        &[(
            "RINGSIDE_DATABASE_URL",
            "postgres://ringside@127.0.0.1:1/none",
        )],
        &["backup", archive.to_str().expect("utf-8")],
        None,
    );
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stderr.contains("pg_dump"), "{run:?}");
    assert!(!archive.exists());
}
