//! `ringside calls list|export` run as a real process over a database holding the recorded
//! calls and a few calls from outside; the XLSX export is read back as a spreadsheet.

use calamine::{Data, Reader, Xlsx, open_workbook};
use ringside::store::Store;
use ringside::store::calls::Via;

use crate::calls_store::{outside_call, recorded_cdrs};
use crate::cli_user::{fails_naming, succeeds};

/// A data dir whose database holds the two recorded calls of 1001 and three outside calls.
async fn data_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("ringside.db").display()
    );
    let store = Store::connect(&url).await.expect("store");
    store
        .insert_cdrs(&recorded_cdrs(true), Via::Ami)
        .await
        .expect("insert");
    let outside = [
        outside_call(
            1,
            "1001",
            "5551234",
            true,
            "2026-12-01 09:00:00",
            "NO ANSWER",
        ),
        outside_call(
            2,
            "1001",
            "5559876",
            false,
            "2026-12-02 09:00:00",
            "ANSWERED",
        ),
        outside_call(
            3,
            "1001",
            "0301111",
            true,
            "2026-11-20 09:00:00",
            "ANSWERED",
        ),
    ];
    store.insert_cdrs(&outside, Via::Csv).await.expect("insert");
    store.pool().close().await;
    dir
}

#[tokio::test]
async fn list_shows_only_missed_calls_with_the_status_filter() {
    let dir = data_dir().await;
    let run = succeeds(
        dir.path(),
        &["calls", "list", "1001", "--status", "missed", "--tz", "UTC"],
        None,
    );
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{run:?}");
    assert!(
        lines[0].starts_with("2026-12-01 09:00:00  incoming  missed    5551234 (Bob) -> 1001"),
        "{run:?}"
    );
}

#[tokio::test]
async fn list_filters_by_date_range_and_number() {
    let dir = data_dir().await;
    let args = [
        "calls",
        "list",
        "1001",
        "--since",
        "2026-12-01",
        "--until",
        "2026-12-05",
        "--number",
        "555",
        "--tz",
        "UTC",
    ];
    let run = succeeds(dir.path(), &args, None);
    assert_eq!(run.stdout.lines().count(), 2, "{run:?}");
    assert!(!run.stdout.contains("0301111"), "{run:?}");
}

#[tokio::test]
async fn list_refuses_a_date_that_does_not_parse() {
    let dir = data_dir().await;
    fails_naming(
        dir.path(),
        &["calls", "list", "1001", "--since", "05/12/2026"],
        None,
        &["since \"05/12/2026\" is not a date like 2026-12-05"],
    );
}

#[tokio::test]
async fn list_refuses_an_unknown_status() {
    let dir = data_dir().await;
    fails_naming(
        dir.path(),
        &["calls", "list", "1001", "--status", "lost"],
        None,
        &["status \"lost\" is not one of answered, missed, busy, failed"],
    );
}

#[tokio::test]
async fn export_csv_writes_a_header_and_one_line_per_call() {
    let dir = data_dir().await;
    let out = dir.path().join("calls.csv");
    let out_s = out.to_str().expect("utf-8 path");
    succeeds(
        dir.path(),
        &[
            "calls", "export", "1001", "--format", "csv", "--tz", "UTC", out_s,
        ],
        None,
    );
    let text = std::fs::read_to_string(&out).expect("csv written");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "start,direction,status,from,from name,to,answered by,talk seconds,duration seconds,recording,extension,call id"
    );
    assert_eq!(lines.len(), 6, "{text}");
    assert!(
        lines[1].starts_with("2026-12-05 22:50:36,outgoing,busy,1001,Alice,2002,"),
        "{text}"
    );
}

#[tokio::test]
async fn export_xlsx_is_a_spreadsheet_with_the_filtered_calls() {
    let dir = data_dir().await;
    let out = dir.path().join("calls.xlsx");
    let out_s = out.to_str().expect("utf-8 path");
    succeeds(
        dir.path(),
        &[
            "calls", "export", "1001", "--format", "xlsx", "--status", "answered", "--tz", "UTC",
            out_s,
        ],
        None,
    );
    let mut book: Xlsx<_> = open_workbook(&out).expect("an XLSX file");
    let sheet = book.worksheet_range("Calls").expect("sheet Calls");
    let rows: Vec<&[Data]> = sheet.rows().collect();
    assert_eq!(rows.len(), 4, "header + 3 answered calls");
    assert_eq!(rows[0][0], Data::String("start".into()));
    assert_eq!(rows[1][2], Data::String("answered".into()));
    assert_eq!(rows[1][5], Data::String("2001".into()));
    assert!(matches!(rows[1][0], Data::DateTime(_)), "{:?}", rows[1][0]);
    assert_eq!(rows[1][7], Data::Float(3.0), "talk seconds as a number");
}

#[tokio::test]
async fn export_in_detail_mode_follows_each_call_with_its_records() {
    let dir = data_dir().await;
    let out = dir.path().join("detail.csv");
    let out_s = out.to_str().expect("utf-8 path");
    succeeds(
        dir.path(),
        &[
            "calls", "export", "1001", "--status", "busy", "--detail", "--tz", "UTC", out_s,
        ],
        None,
    );
    let text = std::fs::read_to_string(&out).expect("csv written");
    let records = text
        .lines()
        .filter(|l| l.starts_with(",2026-12-05 22:50:36,"))
        .count();
    assert_eq!(records, 4, "{text}");
}

#[tokio::test]
async fn export_refuses_an_unknown_format_and_writes_nothing() {
    let dir = data_dir().await;
    let out = dir.path().join("calls.pdf");
    let out_s = out.to_str().expect("utf-8 path");
    fails_naming(
        dir.path(),
        &["calls", "export", "1001", "--format", "pdf", out_s],
        None,
        &["unknown format \"pdf\": use csv or xlsx"],
    );
    assert!(!out.exists());
}
