//! A call history exported to CSV or to XLSX (a real spreadsheet, `rust_xlsxwriter` in
//! constant-memory mode): the filtered calls, newest first, read from the store a page at a
//! time so memory stays bounded whatever the number of calls, written to a temporary file
//! beside the target and renamed over it when complete.
//!
//! Reading and writing overlap: the store's pages are read on the caller's task and handed
//! through a channel of a few pages to a blocking thread that formats and writes them, so a
//! page is fetched while the one before is written. In detail mode each call is followed by
//! its CDR rows. Times are shown in the reader's zone. Not here: which calls a user may
//! export (callers build the query).

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

use crate::atomic_file::{AtomicFile, Durability};
use crate::schedule::zone::Zone;
use crate::store::calls::{CallQuery, CallRow};
use crate::store::{Store, StoreError};

/// Rows read from the store per page.
pub const PAGE: u32 = 1_000;
/// Pages read ahead of the writer: enough to keep both sides busy, few enough to bound memory.
const PAGES_AHEAD: usize = 2;
/// Excel's last row.
pub const XLSX_MAX_ROWS: u32 = 1_048_576;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

impl ExportFormat {
    pub fn parse(s: &str) -> Option<ExportFormat> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Some(ExportFormat::Csv),
            "xlsx" => Some(ExportFormat::Xlsx),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Xlsx => "xlsx",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot build the spreadsheet: {0}")]
    Xlsx(#[from] XlsxError),
    #[error(
        "more than {XLSX_MAX_ROWS} rows do not fit in a spreadsheet: narrow the filter or export CSV"
    )]
    TooManyRows,
    #[error("the export's writer stopped unexpectedly: {0}")]
    Writer(String),
}

/// How an export looks.
#[derive(Debug, Clone)]
pub struct ExportView {
    /// The zone times are shown in.
    pub zone: Zone,
    /// Each call followed by its CDR rows.
    pub detail: bool,
}

/// The columns of a call row.
pub const CALL_HEADER: [&str; 12] = [
    "start",
    "direction",
    "status",
    "from",
    "from name",
    "to",
    "answered by",
    "talk seconds",
    "duration seconds",
    "recording",
    "extension",
    "call id",
];

/// The columns of a CDR row in detail mode (after an empty first column).
const CDR_HEADER: [&str; 12] = [
    "cdr start",
    "disposition",
    "source",
    "caller id",
    "destination",
    "channel",
    "destination channel",
    "application",
    "data",
    "billable seconds",
    "duration seconds",
    "uniqueid",
];

/// `t` as `YYYY-MM-DD hh:mm:ss` on the zone's wall clock, appended to `out`. Written field by
/// field: a strftime pattern is parsed again for every cell, which cost more than the rest of
/// the row.
fn push_local(out: &mut String, t: DateTime<Utc>, zone: &Zone) {
    use chrono::{Datelike, Timelike};
    use std::fmt::Write as _;
    let l = t.with_timezone(zone).naive_local();
    // Writing into a String cannot fail.
    let _ = write!(
        out,
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        l.year(),
        l.month(),
        l.day(),
        l.hour(),
        l.minute(),
        l.second()
    );
}

/// One value of a row, kept typed until the format decides how to write it: a spreadsheet
/// gets real times and numbers, CSV their text.
#[derive(Debug, Clone, Copy)]
enum Cell<'a> {
    Text(&'a str),
    Number(i64),
    Time(DateTime<Utc>),
}

fn call_cells(c: &CallRow) -> [Cell<'_>; 12] {
    [
        Cell::Time(c.started),
        Cell::Text(c.direction.map(|d| d.key()).unwrap_or_default()),
        Cell::Text(c.status.key()),
        Cell::Text(&c.caller),
        Cell::Text(&c.caller_name),
        Cell::Text(&c.callee),
        Cell::Text(&c.answered_by),
        Cell::Number(c.talk_secs),
        Cell::Number(c.duration_secs),
        Cell::Text(c.recording.as_deref().unwrap_or_default()),
        Cell::Text(&c.extension),
        Cell::Text(&c.call_id),
    ]
}

fn cdr_cells(r: &crate::cdr::Cdr) -> [Cell<'_>; 12] {
    [
        Cell::Time(r.start),
        Cell::Text(r.disposition.as_str()),
        Cell::Text(&r.source),
        Cell::Text(&r.caller_id),
        Cell::Text(&r.destination),
        Cell::Text(&r.channel),
        Cell::Text(&r.destination_channel),
        Cell::Text(&r.last_application),
        Cell::Text(&r.last_data),
        Cell::Number(r.billable_secs),
        Cell::Number(r.duration_secs),
        Cell::Text(&r.unique_id),
    ]
}

fn header_cells(names: &[&'static str; 12]) -> [Cell<'static>; 12] {
    names.map(Cell::Text)
}

/// One CSV field: quoted when needed; a leading `=`, `@`, or `+`/`-` not followed by a digit
/// gets a `'`, so a caller name cannot become a formula in a spreadsheet.
pub fn csv_field(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    push_csv_field(&mut out, value);
    out
}

/// [`csv_field`] appended to `out`.
fn push_csv_field(out: &mut String, value: &str) {
    let mut chars = value.chars();
    let first = chars.next();
    let second = chars.next();
    let formula = match first {
        Some('=') | Some('@') => true,
        Some('+') | Some('-') => !second.is_some_and(|c| c.is_ascii_digit()),
        _ => false,
    };
    let prefix = if formula { "'" } else { "" };
    if value.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(prefix);
        for (i, part) in value.split('"').enumerate() {
            if i > 0 {
                out.push_str("\"\"");
            }
            out.push_str(part);
        }
        out.push('"');
    } else {
        out.push_str(prefix);
        out.push_str(value);
    }
}

/// One CSV line into `line` (cleared first), reused from row to row.
fn csv_line(line: &mut String, cells: &[Cell<'_>], zone: &Zone, prefix: bool) {
    use std::fmt::Write as _;
    line.clear();
    if prefix {
        line.push(',');
    }
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        match *cell {
            Cell::Text(text) => push_csv_field(line, text),
            // Writing into a String cannot fail.
            Cell::Number(n) => {
                let _ = write!(line, "{n}");
            }
            Cell::Time(t) => push_local(line, t, zone),
        }
    }
    line.push_str("\r\n");
}

/// Where rows go.
trait Sink: Send {
    /// One row; `detail` rows (a call's records) start one column to the right.
    fn row(&mut self, cells: &[Cell<'_>], detail: bool) -> Result<(), ExportError>;
}

struct CsvSink<'a, W: Write> {
    out: W,
    path: &'a Path,
    line: String,
    zone: Zone,
}

impl<W: Write + Send> Sink for CsvSink<'_, W> {
    fn row(&mut self, cells: &[Cell<'_>], detail: bool) -> Result<(), ExportError> {
        csv_line(&mut self.line, cells, &self.zone, detail);
        self.out
            .write_all(self.line.as_bytes())
            .map_err(|source| ExportError::Io {
                path: self.path.to_owned(),
                source,
            })
    }
}

struct XlsxSink<'a> {
    sheet: &'a mut Worksheet,
    row: u32,
    date: Format,
    zone: Zone,
}

impl Sink for XlsxSink<'_> {
    fn row(&mut self, cells: &[Cell<'_>], detail: bool) -> Result<(), ExportError> {
        use chrono::{Datelike, Timelike};
        if self.row >= XLSX_MAX_ROWS {
            return Err(ExportError::TooManyRows);
        }
        let shift = u16::from(detail);
        for (i, cell) in cells.iter().enumerate() {
            let col = i as u16 + shift;
            match *cell {
                Cell::Text(text) => self.sheet.write_string(self.row, col, text)?,
                Cell::Number(n) => self.sheet.write_number(self.row, col, n as f64)?,
                Cell::Time(t) => {
                    let l = t.with_timezone(&self.zone).naive_local();
                    let dt =
                        ExcelDateTime::from_ymd(l.year() as u16, l.month() as u8, l.day() as u8)?
                            .and_hms(l.hour() as u16, l.minute() as u8, l.second())?;
                    self.sheet
                        .write_datetime_with_format(self.row, col, &dt, &self.date)?
                }
            };
        }
        self.row += 1;
        Ok(())
    }
}

/// What the reader hands the writer: a call, and in detail mode its records after it.
enum Item {
    Call(CallRow),
    Cdr(crate::cdr::Cdr),
}

/// Reads the calls `query` selects, a page at a time, into `pages`; stops early when the
/// writer has gone (its error is the one reported).
async fn read_pages(
    store: &Store,
    query: &CallQuery,
    detail: bool,
    pages: tokio::sync::mpsc::Sender<Vec<Item>>,
) -> Result<(), ExportError> {
    let mut q = CallQuery {
        limit: PAGE,
        offset: 0,
        ..query.clone()
    };
    let mut walk = store.call_walk().await?;
    let read = 'walk: loop {
        let (calls, more) = match walk.page(&q).await {
            Ok(page) => page,
            Err(err) => break Err(err.into()),
        };
        let next = match calls.last() {
            Some(last) if more => Some((last.started, last.call_id.clone())),
            _ => None,
        };
        let mut page = Vec::with_capacity(calls.len());
        for c in calls {
            let id = detail.then(|| c.call_id.clone());
            page.push(Item::Call(c));
            if let Some(id) = id {
                match store.call_detail(&id).await {
                    Ok(Some((_, cdrs))) => page.extend(cdrs.into_iter().map(Item::Cdr)),
                    Ok(None) => {}
                    Err(err) => break 'walk Err(err.into()),
                }
            }
        }
        if pages.send(page).await.is_err() {
            break Ok(());
        }
        match next {
            Some(before) => q.before = Some(before),
            None => break Ok(()),
        }
    };
    walk.finish().await;
    read
}

/// Writes the header, then every row handed over until the reader is done; answers the
/// number of calls.
fn write_rows(
    view: &ExportView,
    sink: &mut dyn Sink,
    pages: &mut tokio::sync::mpsc::Receiver<Vec<Item>>,
) -> Result<u64, ExportError> {
    sink.row(&header_cells(&CALL_HEADER), false)?;
    if view.detail {
        sink.row(&header_cells(&CDR_HEADER), true)?;
    }
    let mut count = 0;
    while let Some(page) = pages.blocking_recv() {
        for item in &page {
            match item {
                Item::Call(c) => {
                    sink.row(&call_cells(c), false)?;
                    count += 1;
                }
                Item::Cdr(r) => {
                    sink.row(&cdr_cells(r), true)?;
                }
            }
        }
    }
    Ok(count)
}

/// The writer's side: every row into `file` in `format`; answers the file, ready to commit.
fn write_file(
    mut file: AtomicFile,
    format: ExportFormat,
    view: &ExportView,
    mut pages: tokio::sync::mpsc::Receiver<Vec<Item>>,
) -> Result<(AtomicFile, u64), ExportError> {
    let target = file.target().to_owned();
    let io = |source| ExportError::Io {
        path: target.clone(),
        source,
    };
    let count = match format {
        ExportFormat::Csv => {
            let mut sink = CsvSink {
                out: std::io::BufWriter::new(file.file_mut()),
                path: &target,
                line: String::new(),
                zone: view.zone.clone(),
            };
            let n = write_rows(view, &mut sink, &mut pages)?;
            sink.out.flush().map_err(io)?;
            n
        }
        ExportFormat::Xlsx => {
            let mut workbook = Workbook::new();
            // Constant-memory sheets spill rows to temporary files: keep them beside the target.
            if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
                workbook.set_tempdir(dir)?;
            }
            let sheet = workbook.add_worksheet_with_constant_memory();
            sheet.set_name("Calls")?;
            let mut sink = XlsxSink {
                sheet,
                row: 0,
                date: Format::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
                zone: view.zone.clone(),
            };
            let n = write_rows(view, &mut sink, &mut pages)?;
            workbook.save_to_writer(std::io::BufWriter::new(file.file_mut()))?;
            n
        }
    };
    Ok((file, count))
}

/// Exports the calls `query` selects (its limit and offset are ignored) to `target`, which
/// appears only when complete. Returns the number of calls written.
pub async fn export_to_file(
    store: &Store,
    query: &CallQuery,
    view: &ExportView,
    format: ExportFormat,
    target: &Path,
) -> Result<u64, ExportError> {
    let io = |source| ExportError::Io {
        path: target.to_owned(),
        source,
    };
    let file = AtomicFile::create(target).map_err(io)?;
    let (pages, received) = tokio::sync::mpsc::channel(PAGES_AHEAD);
    let writer_view = view.clone();
    let writer =
        tokio::task::spawn_blocking(move || write_file(file, format, &writer_view, received));
    let read = read_pages(store, query, view.detail, pages).await;
    let written = writer
        .await
        .map_err(|e| ExportError::Writer(e.to_string()))?;
    // A failed read leaves the writer with a file that looks complete: it is dropped, never
    // committed.
    read?;
    let (file, count) = written?;
    file.commit(Durability::AtomicOnly).map_err(io)?;
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_with_a_comma_or_quote_is_quoted() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("\"Alice\" <1001>"), "\"\"\"Alice\"\" <1001>\"");
    }

    #[test]
    fn a_formula_like_name_is_defused() {
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_field("-x"), "'-x");
        assert_eq!(csv_field("=a,\"b\""), "\"'=a,\"\"b\"\"\"");
    }

    #[test]
    fn a_plain_field_stays_as_it_is() {
        assert_eq!(csv_field("Caller 1001"), "Caller 1001");
        assert_eq!(csv_field(""), "");
    }

    #[test]
    fn an_international_number_stays_as_it_is() {
        assert_eq!(csv_field("+4930123456"), "+4930123456");
    }

    fn local(t: DateTime<Utc>, zone: &Zone) -> String {
        let mut out = String::new();
        push_local(&mut out, t, zone);
        out
    }

    #[test]
    fn times_are_written_on_the_zones_wall_clock() {
        let t = DateTime::parse_from_rfc3339("2026-03-29T01:05:09Z")
            .expect("time")
            .with_timezone(&Utc);
        let berlin = Zone::parse("Europe/Berlin").expect("zone");
        assert_eq!(local(t, &berlin), "2026-03-29 03:05:09");
        assert_eq!(local(t, &Zone::utc()), "2026-03-29 01:05:09");
    }

    #[test]
    fn formats_are_read_by_name() {
        assert_eq!(ExportFormat::parse("XLSX"), Some(ExportFormat::Xlsx));
        assert_eq!(ExportFormat::parse("pdf"), None);
    }
}
