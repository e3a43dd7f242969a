//! `ringside fax send | status | list | cancel` as a user runs them: the real binary on a
//! fresh data dir. Bad input gets a clear error and queues nothing.

use std::path::{Path, PathBuf};
use std::process::Command;

struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

fn ringside(data_dir: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_ringside"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", data_dir)
        .env("RINGSIDE_DATA_DIR", data_dir)
        .env("RUST_LOG", "warn")
        .args(args)
        .output()
        .expect("run ringside");
    Run {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn text_pdf() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../media-fixtures/fax/text-10pt.pdf")
}

/// A valid PDF whose page tree is empty.
fn zero_page_pdf(dir: &Path) -> PathBuf {
    let pdf = crate::common::fax_fixtures::pdf_of(&[
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [] /Count 0 >>",
    ]);
    let path = dir.join("empty.pdf");
    std::fs::write(&path, pdf).expect("write pdf");
    path
}

fn nothing_queued(dir: &Path) {
    let list = ringside(dir, &["fax", "list", "1001"]);
    assert!(list.ok, "{}", list.stderr);
    assert!(list.stdout.contains("no faxes"), "{}", list.stdout);
}

/// `ringside fax send --from 1001 --to <to> <doc>`.
fn send_from_1001(data_dir: &Path, to: &str, doc: &Path) -> Run {
    ringside(
        data_dir,
        &[
            "fax",
            "send",
            "--from",
            "1001",
            "--to",
            to,
            &doc.display().to_string(),
        ],
    )
}

/// The command failed saying `why`, and the queue is still empty.
fn refused_and_nothing_queued(dir: &Path, run: &Run, why: &str) {
    assert!(!run.ok);
    assert!(run.stderr.contains(why), "{}", run.stderr);
    nothing_queued(dir);
}

fn last_line(s: &str) -> &str {
    s.lines().last().unwrap_or("")
}

#[test]
fn send_queues_and_prints_the_job_id_on_the_last_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let doc = text_pdf();
    let sent = send_from_1001(dir.path(), "5551234", &doc);
    assert!(sent.ok, "{}", sent.stderr);
    let id: i64 = last_line(&sent.stdout)
        .parse()
        .expect("id on the last line");
    let status = ringside(dir.path(), &["fax", "status", &id.to_string()]);
    assert!(status.ok, "{}", status.stderr);
    assert!(status.stdout.contains("state: queued"), "{}", status.stdout);
    assert!(
        status.stdout.contains("direction: sent"),
        "{}",
        status.stdout
    );
    assert!(status.stdout.contains("to: 5551234"), "{}", status.stdout);
}

#[test]
fn list_shows_direction_state_number_and_pages() {
    let dir = tempfile::tempdir().expect("temp dir");
    let doc = text_pdf();
    let sent = send_from_1001(dir.path(), "5551234", &doc);
    assert!(sent.ok, "{}", sent.stderr);
    let list = ringside(dir.path(), &["fax", "list", "1001"]);
    assert!(list.ok, "{}", list.stderr);
    let row = list
        .stdout
        .lines()
        .find(|l| l.contains("5551234"))
        .unwrap_or_default()
        .to_owned();
    let cols: Vec<&str> = row.split('\t').collect();
    assert_eq!(cols.get(1), Some(&"sent"), "{row}");
    assert_eq!(cols.get(2), Some(&"queued"), "{row}");
    assert_eq!(cols.get(4), Some(&"0/1"), "{row}");
}

#[test]
fn destination_with_letters_is_refused_by_name() {
    let dir = tempfile::tempdir().expect("temp dir");
    let doc = text_pdf();
    let run = send_from_1001(dir.path(), "555FAX", &doc);
    refused_and_nothing_queued(dir.path(), &run, "\"555FAX\" is not a phone number");
}

#[test]
fn empty_destination_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let doc = text_pdf();
    let run = send_from_1001(dir.path(), "", &doc);
    refused_and_nothing_queued(dir.path(), &run, "destination number is empty");
}

#[test]
fn zero_page_pdf_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let doc = zero_page_pdf(dir.path());
    let run = send_from_1001(dir.path(), "5551234", &doc);
    refused_and_nothing_queued(dir.path(), &run, "no pages");
}

#[test]
fn document_over_the_size_limit_is_refused_before_it_is_read() {
    let dir = tempfile::tempdir().expect("temp dir");
    let doc = dir.path().join("huge.pdf");
    let file = std::fs::File::create(&doc).expect("create");
    file.set_len(21 * 1024 * 1024).expect("sparse 21 MB");
    let run = send_from_1001(dir.path(), "5551234", &doc);
    refused_and_nothing_queued(dir.path(), &run, "over the limit");
}

#[test]
fn file_that_is_not_a_document_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let doc = dir.path().join("notes.pdf");
    std::fs::write(&doc, "just some text").expect("write");
    let run = send_from_1001(dir.path(), "5551234", &doc);
    refused_and_nothing_queued(dir.path(), &run, "neither a PDF nor a TIFF");
}

#[test]
fn queued_fax_can_be_cancelled_and_says_so() {
    let dir = tempfile::tempdir().expect("temp dir");
    let doc = text_pdf();
    let sent = send_from_1001(dir.path(), "5551234", &doc);
    let id = last_line(&sent.stdout).to_owned();
    let cancel = ringside(dir.path(), &["fax", "cancel", &id]);
    assert!(cancel.ok, "{}", cancel.stderr);
    let status = ringside(dir.path(), &["fax", "status", &id]);
    assert!(
        status.stdout.contains("state: cancelled"),
        "{}",
        status.stdout
    );
    let again = ringside(dir.path(), &["fax", "cancel", &id]);
    assert!(!again.ok);
    assert!(
        again.stderr.contains("already cancelled"),
        "{}",
        again.stderr
    );
}

#[test]
fn status_of_an_unknown_job_says_so() {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = ringside(dir.path(), &["fax", "status", "4242"]);
    assert!(!run.ok);
    assert!(run.stderr.contains("no fax job 4242"), "{}", run.stderr);
}
