//! Call history at scale, on SQLite or PostgreSQL: ingestion rate of CDRs (batches as a
//! catch-up from Master.csv stores them), a user's filtered page (date range + number) with
//! 1,000,000 CDRs stored, and exporting 100,000 calls to CSV and to XLSX, each several times
//! (the median time, CPU time and peak RSS of the export alone: the peak is reset before each
//! through `/proc/self/clear_refs`).
//!
//! `cargo bench -p ringside-benches --bench calls`. Variables:
//! - `RINGSIDE_BENCH_CDRS`: the number of records (default 1,000,000);
//! - `RINGSIDE_BENCH_POSTGRES_URL`: run on this PostgreSQL database instead of a temporary
//!   SQLite file (give it a database of its own);
//! - `RINGSIDE_BENCH_CALLS_DB`: a SQLite file kept after the run;
//! - `RINGSIDE_BENCH_EXPORT_RUNS`: runs of each export (default 3; the median is reported);
//! - `RINGSIDE_BENCH_CALLS_ORDER=random`: records start at random times instead of in the
//!   order they were made. Asterisk writes a CDR when its call ends, so a real `Master.csv` or
//!   stream of `Cdr` events arrives almost in time order (calls overlap by their length only);
//!   random order is the worst case for the time indexes and for an export's reads.
//!
//! A database that already holds exactly the records asked for is measured as it is, without
//! ingesting them again (the records are the same every run), so the reading side can be
//! measured again and again; any other non-empty database is refused.

use std::time::{Duration, Instant};

use ringside::calls::export::{ExportFormat, ExportView, export_to_file};
use ringside::cdr::Cdr;
use ringside::cdr::record::RawCdr;
use ringside::schedule::zone::Zone;
use ringside::store::Store;
use ringside::store::calls::{CallQuery, Via};
use ringside_benches::process_stats::{cpu_time, proc_status_kb};

const USERS: u64 = 1_000;
const DAYS: u64 = 365;

/// A small deterministic generator (no dependency, same data every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

/// When the records start.
#[derive(Clone, Copy)]
enum Order {
    /// Record `i` of `total` starts at `i/total` of the year, give or take a few minutes.
    Time { total: u64 },
    /// Anywhere in the year.
    Random,
}

fn cdr(i: u64, rng: &mut Lcg, start_day: chrono::NaiveDate, order: Order) -> Cdr {
    let ext = 1000 + rng.next() % USERS;
    let other = format!("0{}", 300_000_000 + rng.next() % 699_999_999);
    let incoming = rng.next().is_multiple_of(2);
    let day = rng.next() % DAYS;
    let secs = rng.next() % 86_000;
    let offset = match order {
        Order::Random => day * 86_400 + secs,
        Order::Time { total } => (i * DAYS * 86_400 / total.max(1)).saturating_sub(secs % 600),
    };
    let start = start_day.and_hms_opt(0, 0, 0).expect("midnight")
        + chrono::Duration::seconds(offset as i64);
    let (disposition, talk) = match rng.next() % 10 {
        0..=5 => ("ANSWERED", 1 + rng.next() % 300),
        6..=7 => ("NO ANSWER", 0),
        8 => ("BUSY", 0),
        _ => ("FAILED", 0),
    };
    let ring = rng.next() % 20;
    let start_s = start.format("%Y-%m-%d %H:%M:%S").to_string();
    let answer_s = (start + chrono::Duration::seconds(ring as i64))
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    let end_s = (start + chrono::Duration::seconds((ring + talk) as i64))
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    let ext_s = ext.to_string();
    let (src, dst, chan, dchan) = if incoming {
        (
            other.clone(),
            ext_s.clone(),
            "PJSIP/trunk-00000001".to_owned(),
            format!("PJSIP/{ext}-0000a{i:x}"),
        )
    } else {
        (
            ext_s.clone(),
            other.clone(),
            format!("PJSIP/{ext}-0000b{i:x}"),
            "PJSIP/trunk-00000002".to_owned(),
        )
    };
    let unique = format!("1796000000.{i}");
    let clid = format!("\"Caller {src}\" <{src}>");
    let duration = (ring + talk).to_string();
    let billable = talk.to_string();
    RawCdr {
        source: &src,
        destination: &dst,
        destination_context: "phones",
        caller_id: &clid,
        channel: &chan,
        destination_channel: &dchan,
        last_application: "Dial",
        last_data: "PJSIP/x,30",
        start: &start_s,
        answer: if talk > 0 { &answer_s } else { "" },
        end: &end_s,
        duration: &duration,
        billable: &billable,
        disposition,
        ama_flags: "DOCUMENTATION",
        unique_id: &unique,
        ..RawCdr::default()
    }
    .check(&Zone::utc())
    .expect("generated record is valid")
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this binary without it,
    // and a million records are no test.
    if !std::env::args().any(|a| a == "--bench") {
        println!(
            "call history benchmark: run it with `cargo bench -p ringside-benches --bench calls`"
        );
        return;
    }
    let total: u64 = std::env::var("RINGSIDE_BENCH_CDRS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let (url, engine) = match std::env::var("RINGSIDE_BENCH_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => (url, "PostgreSQL"),
        _ => {
            let file = std::env::var("RINGSIDE_BENCH_CALLS_DB")
                .ok()
                .filter(|f| !f.is_empty())
                .map(std::path::PathBuf::from)
                .unwrap_or_else(|| dir.path().join("bench.db"));
            (format!("sqlite://{}?mode=rwc", file.display()), "SQLite")
        }
    };
    let store = Store::connect(&url).await.expect("store");
    let first_day = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
    let mut rng = Lcg(42);
    let order = match std::env::var("RINGSIDE_BENCH_CALLS_ORDER").as_deref() {
        Ok("random") => Order::Random,
        _ => Order::Time { total },
    };

    println!(
        "calls: {total} CDRs on {engine} ({USERS} users, {DAYS} days, {}), load average {}",
        match order {
            Order::Random => "random start times",
            Order::Time { .. } => "in time order",
        },
        load_average()
    );
    let stored = store.cdr_count().await.expect("count");
    if stored == total as i64 {
        println!("  ingestion                  skipped: the database holds the {total} records");
    } else {
        assert_eq!(
            stored, 0,
            "the database holds {stored} records, not {total}: give the bench an empty one"
        );
        let batch_size = 5_000;
        let started = Instant::now();
        let mut i = 0;
        while i < total {
            let n = batch_size.min(total - i);
            let batch: Vec<Cdr> = (i..i + n)
                .map(|k| cdr(k, &mut rng, first_day, order))
                .collect();
            store.insert_cdrs(&batch, Via::Csv).await.expect("insert");
            i += n;
        }
        let took = started.elapsed();
        println!(
            "  ingestion                  {:>10.0} CDRs/s ({total} in {:.1} s, batches of {batch_size})",
            total as f64 / took.as_secs_f64(),
            took.as_secs_f64()
        );
    }

    // A user's page: 30 days, number contains 3 digits, 50 rows.
    let mut times = Vec::new();
    let mut rows = 0;
    for k in 0..300u64 {
        let ext = 1000 + (k * 37) % USERS;
        let from_day = first_day + chrono::Days::new((k * 11) % (DAYS - 30));
        let from = from_day.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
        let q = CallQuery {
            extension: Some(ext.to_string()),
            from: Some(from),
            to: Some(from + chrono::Duration::days(30)),
            number: Some(format!("{}", 100 + k % 900)),
            limit: 50,
            ..CallQuery::default()
        };
        let t = Instant::now();
        let (page, _) = store.calls_page(&q).await.expect("page");
        times.push(t.elapsed());
        rows += page.len();
    }
    times.sort();
    println!(
        "  user page (30 days + number, 50 rows): p50 {:.2} ms, p99 {:.2} ms ({} rows over {} pages)",
        percentile(&times, 0.5).as_secs_f64() * 1e3,
        percentile(&times, 0.99).as_secs_f64() * 1e3,
        rows,
        times.len()
    );

    // Export: the most recent 100,000 calls of all users (the admin view).
    let (newest, _) = store
        .calls_page(&CallQuery {
            limit: 1,
            offset: 99_999.min(total as u32 - 1),
            ..CallQuery::default()
        })
        .await
        .expect("page");
    let from = newest.first().map(|c| c.started);
    let q = CallQuery {
        from,
        ..CallQuery::default()
    };
    let runs: usize = std::env::var("RINGSIDE_BENCH_EXPORT_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(3);
    for format in [ExportFormat::Csv, ExportFormat::Xlsx] {
        let out = dir.path().join(format!("export.{}", format.extension()));
        let mut times = Vec::with_capacity(runs);
        // The first run's peak: later runs start from the memory the allocator kept from the
        // runs before them, which says more about the allocator than about an export.
        let (mut cpu_max, mut first_peak, mut first_before, mut n, mut size) =
            (Duration::ZERO, 0, 0, 0, 0);
        for run in 0..runs {
            reset_peak_rss();
            let before = proc_status_kb("VmHWM:");
            let t = Instant::now();
            let cpu = cpu_time();
            n = export_to_file(
                &store,
                &q,
                &ExportView {
                    zone: Zone::utc(),
                    detail: false,
                },
                format,
                &out,
            )
            .await
            .expect("export");
            times.push(t.elapsed());
            cpu_max = cpu_max.max(cpu_time().saturating_sub(cpu));
            if run == 0 {
                first_peak = proc_status_kb("VmHWM:");
                first_before = before;
            }
            size = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
        }
        times.sort();
        println!(
            "  export {:<4} {n} calls       median {:>5.2} s of {runs} (min {:.2}, max {:.2}; CPU at most {:.2} s), first run's peak RSS {:.1} MB (before {:.1} MB), file {:.1} MB",
            format.extension(),
            percentile(&times, 0.5).as_secs_f64(),
            times[0].as_secs_f64(),
            times[times.len() - 1].as_secs_f64(),
            cpu_max.as_secs_f64(),
            first_peak as f64 / 1024.0,
            first_before as f64 / 1024.0,
            size as f64 / 1e6
        );
    }
    println!("  load average at the end {}", load_average());
}
