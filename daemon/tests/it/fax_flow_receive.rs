//! Received faxes: the real fax `ReceiveFAX` wrote (spandsp, G3 2-D, 2 pages) through the
//! receive path into TIFF + PDF and a record, failed and partial receptions kept visible, and
//! the `fax-received` FastAGI script driven the way Asterisk drives it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ringside::agi::AgiServer;
use ringside::config::AgiConfig;
use ringside::flows::fax::agi::FaxReceivedScript;
use ringside::flows::fax::{
    DocumentConverter, MediaConverter, ReceivedFaxReport, record_received_fax,
};
use ringside::store::Store;
use ringside::store::fax::{Direction, JobState};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

/// A real fax received by Asterisk 22's ReceiveFAX (spandsp): G3 2-D, FillOrder 2, 2 pages.
fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../media-fixtures/fax/received-fax-spandsp-g3-2d-fine-2p.tif")
}

struct Rig {
    dir: tempfile::TempDir,
    store: Store,
}

impl Rig {
    async fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("db.sqlite").display());
        let store = Store::connect(&url).await.expect("store");
        std::fs::create_dir_all(dir.path().join("spool")).expect("spool");
        Self { dir, store }
    }

    fn spool(&self, name: &str) -> PathBuf {
        self.dir.path().join("spool").join(name)
    }

    fn received_dir(&self) -> PathBuf {
        self.dir.path().join("fax/received")
    }

    fn report(&self, spool: PathBuf, status: &str, error: &str, pages: u32) -> ReceivedFaxReport {
        ReceivedFaxReport {
            recipient: "1001".into(),
            caller_id: "5551234".into(),
            spool_tiff: spool,
            status: status.into(),
            error: error.into(),
            status_string: if status == "SUCCESS" {
                "OK".into()
            } else {
                "remote channel hungup".into()
            },
            pages,
            remote_station_id: "SENDER".into(),
        }
    }

    fn leftovers(&self) -> Vec<String> {
        std::fs::read_dir(self.received_dir())
            .map(|d| {
                d.filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.starts_with('.'))
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn converter() -> Arc<dyn DocumentConverter> {
    Arc::new(MediaConverter::default())
}

#[tokio::test]
async fn real_received_fax_is_kept_as_tiff_and_a_two_page_pdf() {
    let rig = Rig::new().await;
    let spool = rig.spool("1795426287.44.tif");
    std::fs::copy(fixture(), &spool).expect("spool the fixture");
    let job = record_received_fax(
        &rig.store,
        converter(),
        &rig.received_dir(),
        &rig.report(spool.clone(), "SUCCESS", "", 2),
    )
    .await
    .expect("recorded");
    assert_eq!(job.state, JobState::Received);
    assert_eq!(job.direction, Direction::Received);
    assert_eq!(job.caller_id.as_deref(), Some("5551234"));
    assert_eq!(job.pages_total, 2);
    let tiff = PathBuf::from(job.tiff_path.clone().expect("tiff kept"));
    assert_eq!(
        std::fs::read(&tiff).expect("kept tiff"),
        std::fs::read(fixture()).expect("fixture"),
        "TIFF kept byte for byte"
    );
    let pdf = PathBuf::from(job.pdf_path.clone().expect("pdf made"));
    assert!(std::fs::read(&pdf).expect("pdf").starts_with(b"%PDF-"));
    assert_eq!(MediaConverter::default().count_pages(&pdf), Ok(2));
    assert!(!spool.exists(), "spool file moved out");
    assert!(rig.leftovers().is_empty(), "{:?}", rig.leftovers());
}

#[tokio::test]
async fn partial_reception_stays_visible_with_its_error_and_pdf() {
    let rig = Rig::new().await;
    let spool = rig.spool("partial.tif");
    std::fs::copy(fixture(), &spool).expect("spool");
    let job = record_received_fax(
        &rig.store,
        converter(),
        &rig.received_dir(),
        &rig.report(spool, "FAILED", "HANGUP", 1),
    )
    .await
    .expect("recorded");
    assert_eq!(job.state, JobState::Failed);
    assert_eq!(job.fax_error.as_deref(), Some("HANGUP"));
    let error = job.error.clone().unwrap_or_default();
    assert!(
        error.contains("after 1 page") && error.contains("HANGUP"),
        "{error}"
    );
    assert!(job.pdf_path.is_some(), "partial fax readable as PDF");
    let listed = rig.store.fax_jobs_of("1001").await.expect("list");
    assert_eq!(listed.len(), 1);
}

#[tokio::test]
async fn reception_that_wrote_no_file_is_recorded_with_asterisks_error() {
    let rig = Rig::new().await;
    let job = record_received_fax(
        &rig.store,
        converter(),
        &rig.received_dir(),
        &rig.report(rig.spool("never-written.tif"), "FAILED", "NO_FAX", 0),
    )
    .await
    .expect("recorded");
    assert_eq!(job.state, JobState::Failed);
    assert_eq!(job.tiff_path, None);
    assert!(job.error.unwrap_or_default().contains("NO_FAX"));
}

#[tokio::test]
async fn garbage_in_the_spool_is_kept_and_the_pdf_failure_named_without_half_files() {
    let rig = Rig::new().await;
    let spool = rig.spool("garbage.tif");
    std::fs::write(&spool, b"this is not a TIFF at all").expect("spool");
    let job = record_received_fax(
        &rig.store,
        converter(),
        &rig.received_dir(),
        &rig.report(spool, "SUCCESS", "", 1),
    )
    .await
    .expect("recorded");
    assert_eq!(job.pdf_path, None);
    assert!(
        job.error
            .clone()
            .unwrap_or_default()
            .contains("PDF copy could not be made"),
        "{job:?}"
    );
    assert!(rig.leftovers().is_empty(), "{:?}", rig.leftovers());
}

fn uri(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn fax_received_agi_script_records_the_fax_asterisk_reports() {
    let rig = Rig::new().await;
    let spool = rig.spool("1795426300.51.tif");
    std::fs::copy(fixture(), &spool).expect("spool");
    let server = AgiServer::new(&AgiConfig::default()).route(
        "fax-received",
        FaxReceivedScript {
            store: rig.store.clone(),
            converter: converter(),
            received_dir: rig.received_dir(),
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let stop = CancellationToken::new();
    let serving = tokio::spawn(server.serve(listener, stop.clone()));

    // What Asterisk sends when the hangup handler runs AGI(agi://…/fax-received,…).
    let args = [
        uri("1001"),
        uri(&spool.display().to_string()),
        uri("SUCCESS"),
        uri("2"),
        uri(""),
        uri("OK"),
        uri("+49 30 1234"),
        uri("5551234"),
    ];
    let mut header = format!(
        "agi_network: yes\nagi_network_script: fax-received\nagi_request: agi://{addr}/fax-received\n\
         agi_channel: PJSIP/trunk-00000007\nagi_language: en\nagi_type: PJSIP\n\
         agi_uniqueid: 1795426300.51\nagi_version: 22.11.0\nagi_callerid: 5551234\n\
         agi_calleridname: unknown\nagi_context: ringside-fax-in\nagi_extension: report\n\
         agi_priority: 1\nagi_enhanced: 0.0\nagi_accountcode: \nagi_threadid: 140161429362368\n"
    );
    for (i, a) in args.iter().enumerate() {
        header.push_str(&format!("agi_arg_{}: {a}\n", i + 1));
    }
    header.push('\n');
    let mut socket = tokio::net::TcpStream::connect(addr).await.expect("connect");
    socket
        .write_all(header.as_bytes())
        .await
        .expect("send header");
    let mut rest = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), socket.read_to_end(&mut rest)).await;

    let mut recorded = Vec::new();
    for _ in 0..100 {
        recorded = rig.store.fax_jobs_of("1001").await.expect("list");
        if !recorded.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.cancel();
    let _ = serving.await;
    assert_eq!(recorded.len(), 1, "one fax recorded");
    let job = &recorded[0];
    assert_eq!(job.state, JobState::Received);
    assert_eq!(job.remote_station_id.as_deref(), Some("+49 30 1234"));
    assert_eq!(job.caller_id.as_deref(), Some("5551234"));
    assert_eq!(job.pages_total, 2);
}
