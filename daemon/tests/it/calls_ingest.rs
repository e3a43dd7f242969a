//! Call-history ingestion end to end: the AMI simulator sends the recorded `Cdr` events, the
//! CSV file holds what cdr_csv wrote; records arrive live, are caught up after a drop, and
//! are stored once when they arrive both ways.

use std::path::{Path, PathBuf};
use std::time::Duration;

use ringside::ami::simulator::cdr::{master_csv_line, recorded_events_with_mappings};
use ringside::ami::simulator::{AmiSimConfig, AmiSimulator};
use ringside::ami::{AmiClient, Timers};
use ringside::calls::catch_up::{CatchUpReport, catch_up};
use ringside::calls::ingest::{IngestConfig, run};
use ringside::config::AmiConfig;
use ringside::schedule::zone::Zone;
use ringside::store::Store;
use tokio_util::sync::CancellationToken;

use crate::common::TestDb;

const SECRET: &str = "ringside-ami-secret";

struct World {
    _dir: tempfile::TempDir,
    _db: TestDb,
    store: Store,
    sim: AmiSimulator,
    csv: PathBuf,
    stop: CancellationToken,
}

impl Drop for World {
    fn drop(&mut self) {
        self.stop.cancel();
        self.sim.shutdown();
    }
}

fn timers() -> Timers {
    Timers {
        keepalive: Duration::from_secs(3600),
        action_timeout: Duration::from_secs(5),
        backoff: (Duration::from_millis(20), Duration::from_millis(100)),
    }
}

/// A simulator, a store, and the ingestion service running with `csv` as Master.csv.
async fn world(csv_lines: &str) -> World {
    let dir = tempfile::tempdir().expect("temp dir");
    let csv = dir.path().join("Master.csv");
    std::fs::write(&csv, csv_lines).expect("write csv");
    let db = TestDb::sqlite().await;
    let store = db.store.clone();
    let sim = AmiSimulator::start(AmiSimConfig {
        listen: "127.0.0.1:0".parse().expect("addr"),
        username: "ringside".into(),
        secret: SECRET.into(),
        spool: dir.path().join("voicemail"),
    })
    .await
    .expect("simulator");
    let stop = CancellationToken::new();
    let ami = AmiClient::spawn(
        AmiConfig {
            host: "127.0.0.1".into(),
            port: sim.addr().port(),
            username: "ringside".into(),
            secret: SECRET.into(),
        },
        timers(),
        stop.clone(),
    );
    assert!(ami.wait_connected(Duration::from_secs(5)).await);
    let config = IngestConfig {
        catch_up_every: Duration::from_secs(3600),
        ..IngestConfig::new(Some(csv.clone()), Zone::utc(), 100_000)
    };
    tokio::spawn(run(store.clone(), ami, config, stop.clone()));
    World {
        _dir: dir,
        _db: db,
        store,
        sim,
        csv,
        stop,
    }
}

async fn wait_for_count(store: &Store, n: i64) -> i64 {
    let mut last = 0;
    for _ in 0..200 {
        last = store.cdr_count().await.expect("count");
        if last == n {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    last
}

fn append(path: &Path, text: &str) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .expect("open csv");
    f.write_all(text.as_bytes()).expect("append");
}

/// Waits until the client logged in `n` times (so it listens again after a drop).
async fn wait_for_logins(sim: &AmiSimulator, n: usize) {
    for _ in 0..200 {
        if sim.logins() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the client did not log in again");
}

/// Sends events until the simulator has a session listening, then the rest.
async fn emit_all(sim: &AmiSimulator, events: &[ringside::ami::Message]) {
    for _ in 0..200 {
        if sim.emit(&events[0]) > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    for e in &events[1..] {
        sim.emit(e);
    }
}

#[tokio::test]
async fn live_cdr_events_are_stored() {
    let w = world("").await;
    let events = recorded_events_with_mappings();
    emit_all(&w.sim, &events).await;
    assert_eq!(wait_for_count(&w.store, 7).await, 7);
}

#[tokio::test]
async fn records_written_while_the_link_was_down_are_caught_up_from_the_csv() {
    let w = world("").await;
    let events = recorded_events_with_mappings();
    w.sim.drop_connections();
    // Asterisk kept writing Master.csv while Ringside was not listening.
    let lines: String = events.iter().map(|e| master_csv_line(e, true)).collect();
    append(&w.csv, &lines);
    assert_eq!(wait_for_count(&w.store, 7).await, 7);
}

#[tokio::test]
async fn records_arriving_live_and_in_the_csv_are_stored_once() {
    let events = recorded_events_with_mappings();
    let lines: String = events.iter().map(|e| master_csv_line(e, true)).collect();
    let w = world(&lines).await;
    assert_eq!(wait_for_count(&w.store, 7).await, 7);
    emit_all(&w.sim, &events).await;
    w.sim.drop_connections();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(wait_for_count(&w.store, 7).await, 7);
}

#[tokio::test]
async fn csv_records_without_linkedid_columns_are_stored_once_beside_live_ones() {
    let events = recorded_events_with_mappings();
    let lines: String = events.iter().map(|e| master_csv_line(e, false)).collect();
    let w = world(&lines).await;
    assert_eq!(wait_for_count(&w.store, 7).await, 7);
    emit_all(&w.sim, &events).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(w.store.cdr_count().await.expect("count"), 7);
}

#[tokio::test]
async fn a_truncated_last_line_is_stored_once_complete() {
    let events = recorded_events_with_mappings();
    let full = master_csv_line(&events[0], true);
    let (head, tail) = full.split_at(40);
    let w = world(head).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(w.store.cdr_count().await.expect("count"), 0);
    append(&w.csv, tail);
    w.sim.drop_connections();
    assert_eq!(wait_for_count(&w.store, 1).await, 1);
}

#[tokio::test]
async fn malformed_csv_rows_are_skipped_and_the_rest_stored() {
    let events = recorded_events_with_mappings();
    let good = master_csv_line(&events[0], true);
    let bad = good.replace("\"ANSWERED\"", "\"PERHAPS\"");
    let w = world(&format!("not,a,cdr\n{bad}{good}")).await;
    assert_eq!(wait_for_count(&w.store, 1).await, 1);
}

#[tokio::test]
async fn a_missing_csv_file_leaves_live_events_working() {
    let w = world("").await;
    std::fs::remove_file(&w.csv).expect("remove");
    w.sim.drop_connections();
    wait_for_logins(&w.sim, 2).await;
    let events = recorded_events_with_mappings();
    emit_all(&w.sim, &events).await;
    assert_eq!(wait_for_count(&w.store, 7).await, 7);
}

#[tokio::test]
async fn without_a_manager_link_the_csv_is_still_caught_up() {
    let dir = tempfile::tempdir().expect("temp dir");
    let csv = dir.path().join("Master.csv");
    let lines: String = recorded_events_with_mappings()
        .iter()
        .map(|e| master_csv_line(e, true))
        .collect();
    std::fs::write(&csv, lines).expect("write csv");
    let db = TestDb::sqlite().await;
    let stop = CancellationToken::new();
    let config = IngestConfig::new(Some(csv), Zone::utc(), 100_000);
    tokio::spawn(run(
        db.store.clone(),
        AmiClient::unavailable(),
        config,
        stop.clone(),
    ));
    assert_eq!(wait_for_count(&db.store, 7).await, 7);
    stop.cancel();
}

/// The recorded calls' seven `Master.csv` lines.
fn csv_lines() -> Vec<String> {
    recorded_events_with_mappings()
        .iter()
        .map(|e| master_csv_line(e, true))
        .collect()
}

/// A store and a directory for `Master.csv`, caught up by hand.
async fn rotation_world() -> (tempfile::TempDir, TestDb, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let csv = dir.path().join("Master.csv");
    (dir, TestDb::sqlite().await, csv)
}

async fn catch_up_now(db: &TestDb, csv: &Path) -> CatchUpReport {
    catch_up(&db.store, csv, &Zone::utc())
        .await
        .expect("catch up")
}

#[tokio::test]
async fn a_file_renamed_away_is_read_to_its_end_before_the_new_one() {
    let lines = csv_lines();
    let (dir, db, csv) = rotation_world().await;
    std::fs::write(&csv, lines[..2].concat()).expect("write");
    assert_eq!(catch_up_now(&db, &csv).await.inserted, 2);
    // Written after the last catch-up, then logrotate renames the file and Asterisk starts a
    // new one.
    append(&csv, &lines[2..4].concat());
    std::fs::rename(&csv, dir.path().join("Master.csv.1")).expect("rotate");
    std::fs::write(&csv, lines[4..].concat()).expect("write");
    let report = catch_up_now(&db, &csv).await;
    assert_eq!((report.inserted, report.duplicates), (5, 0));
    assert_eq!(db.store.cdr_count().await.expect("count"), 7);
    let again = catch_up_now(&db, &csv).await;
    assert_eq!((again.inserted, again.duplicates), (0, 0));
}

#[tokio::test]
async fn a_file_renamed_away_is_read_to_its_end_before_any_new_one_is_written() {
    let lines = csv_lines();
    let (dir, db, csv) = rotation_world().await;
    std::fs::write(&csv, lines[..2].concat()).expect("write");
    assert_eq!(catch_up_now(&db, &csv).await.inserted, 2);
    append(&csv, &lines[2..4].concat());
    std::fs::rename(&csv, dir.path().join("Master.csv.1")).expect("rotate");
    assert!(catch_up(&db.store, &csv, &Zone::utc()).await.is_err());
    assert_eq!(db.store.cdr_count().await.expect("count"), 4);
    std::fs::write(&csv, lines[4..].concat()).expect("write");
    let report = catch_up_now(&db, &csv).await;
    assert_eq!((report.inserted, report.duplicates), (3, 0));
}

#[tokio::test]
async fn a_file_truncated_by_copytruncate_is_read_from_its_copy_then_from_its_start() {
    let lines = csv_lines();
    let (dir, db, csv) = rotation_world().await;
    std::fs::write(&csv, lines[..2].concat()).expect("write");
    let before = catch_up_now(&db, &csv).await;
    append(&csv, &lines[2..4].concat());
    std::fs::copy(&csv, dir.path().join("Master.csv.1")).expect("copy");
    std::fs::OpenOptions::new()
        .write(true)
        .open(&csv)
        .and_then(|f| f.set_len(0))
        .expect("truncate");
    // More than was read before: only the first line tells the file was truncated.
    append(&csv, &lines[4..].concat());
    assert!(std::fs::metadata(&csv).expect("metadata").len() > before.position);
    let report = catch_up_now(&db, &csv).await;
    assert_eq!((report.inserted, report.duplicates), (5, 0));
    assert_eq!(db.store.cdr_count().await.expect("count"), 7);
    let again = catch_up_now(&db, &csv).await;
    assert_eq!((again.inserted, again.duplicates), (0, 0));
}

#[tokio::test]
async fn a_file_replaced_by_a_shorter_one_is_read_from_its_start() {
    let lines = csv_lines();
    let (_dir, db, csv) = rotation_world().await;
    std::fs::write(&csv, lines[..5].concat()).expect("write");
    assert_eq!(catch_up_now(&db, &csv).await.inserted, 5);
    std::fs::remove_file(&csv).expect("remove");
    std::fs::write(&csv, &lines[5]).expect("write");
    let report = catch_up_now(&db, &csv).await;
    assert_eq!((report.inserted, report.duplicates), (1, 0));
    // Truncated in place, with no copy left beside it.
    std::fs::OpenOptions::new()
        .write(true)
        .open(&csv)
        .and_then(|f| f.set_len(0))
        .expect("truncate");
    append(&csv, &lines[6]);
    let report = catch_up_now(&db, &csv).await;
    assert_eq!((report.inserted, report.duplicates), (1, 0));
    assert_eq!(db.store.cdr_count().await.expect("count"), 7);
}

#[tokio::test]
async fn a_file_grown_since_the_last_catch_up_is_read_from_where_it_was_left() {
    let lines = csv_lines();
    let (_dir, db, csv) = rotation_world().await;
    std::fs::write(&csv, lines[..3].concat()).expect("write");
    assert_eq!(catch_up_now(&db, &csv).await.inserted, 3);
    append(&csv, &lines[3..].concat());
    let report = catch_up_now(&db, &csv).await;
    assert_eq!((report.inserted, report.duplicates), (4, 0));
}
