//! Catch-up from `cdr_csv`'s `Master.csv`: reads what was appended since the offset stored
//! last time, stores the records, and stores the new offset after each batch, so a crash
//! mid-way repeats at most one batch (its records are then duplicates, stored once).
//!
//! A file shorter than the stored offset was rotated or truncated: it is read again from
//! its start. A missing file is an error the caller logs; it stops nothing. Not here: when
//! to catch up (see [`super::ingest`]).

use std::path::{Path, PathBuf};

use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::cdr::master_csv;
use crate::schedule::zone::Zone;
use crate::store::calls::Via;
use crate::store::{Store, StoreError};

/// How much of the file is read per batch.
pub const CHUNK: usize = 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum CatchUpError {
    #[error("cannot read the CDR file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What one catch-up did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CatchUpReport {
    pub inserted: usize,
    pub duplicates: usize,
    pub skipped: usize,
    /// The offset stored at the end.
    pub position: u64,
}

/// The cursor's name for a file.
pub fn source_name(path: &Path) -> String {
    format!("csv:{}", path.display())
}

/// Reads `path` from its stored offset to its last complete line.
pub async fn catch_up(
    store: &Store,
    path: &Path,
    zone: &Zone,
) -> Result<CatchUpReport, CatchUpError> {
    let io = |source| CatchUpError::Io {
        path: path.to_owned(),
        source,
    };
    let source = source_name(path);
    let mut position = store.cdr_cursor(&source).await?;
    let mut file = tokio::fs::File::open(path).await.map_err(io)?;
    let len = file.metadata().await.map_err(io)?.len();
    if len < position {
        tracing::warn!(
            file = %path.display(),
            stored = position,
            length = len,
            "the CDR file is shorter than where it was left: rotated or truncated, reading it again from the start"
        );
        position = 0;
    }
    file.seek(std::io::SeekFrom::Start(position))
        .await
        .map_err(io)?;
    let mut report = CatchUpReport {
        position,
        ..CatchUpReport::default()
    };
    let mut buf: Vec<u8> = Vec::with_capacity(CHUNK);
    loop {
        let start = buf.len();
        buf.resize(start + CHUNK, 0);
        let n = file.read(&mut buf[start..]).await.map_err(io)?;
        buf.truncate(start + n);
        if n == 0 && buf.len() <= master_csv::MAX_LINE {
            break;
        }
        let parsed = master_csv::parse(&buf, position, zone);
        let mut batch = Vec::with_capacity(parsed.lines.len());
        for line in parsed.lines {
            match line.result {
                Ok(cdr) => batch.push(cdr),
                Err(problem) => {
                    report.skipped += 1;
                    tracing::warn!(
                        file = %path.display(),
                        row_offset = line.offset,
                        %problem,
                        "skipped a CDR row of {} at byte {}: {problem}",
                        path.display(),
                        line.offset
                    );
                }
            }
        }
        let stored = store.insert_cdrs(&batch, Via::Csv).await?;
        report.inserted += stored.inserted;
        report.duplicates += stored.duplicates;
        position += parsed.consumed as u64;
        store.set_cdr_cursor(&source, position).await?;
        report.position = position;
        buf.drain(..parsed.consumed);
        if n == 0 {
            break;
        }
    }
    Ok(report)
}
