//! Catch-up from `cdr_csv`'s `Master.csv`: reads what was appended since the offset stored
//! last time, stores the records, and stores the new offset after each batch, so a crash
//! mid-way repeats at most one batch (its records are then duplicates, stored once).
//!
//! The offset is stored with the file's identity (device and inode) and a digest of its first
//! line, so a file rotated away is noticed whatever its new length: renamed (another inode at
//! the name), truncated in place by `copytruncate` (another first line, or shorter than the
//! offset), or replaced. The old file, when it is still beside the new one (`Master.csv.1`:
//! the same inode, or a copy with the same first line), is read to its end from the old
//! offset first, then the new file from its start, so no record written in between is lost.
//! A missing file is an error the caller logs (after the rest of a file rotated away is
//! read, when it is beside); it stops nothing. Not here: when to catch up
//! (see [`super::ingest`]).

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use blake2::{Blake2s256, Digest};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::cdr::master_csv;
use crate::schedule::zone::Zone;
use crate::store::calls::{CdrCursor, FileId, Via};
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

fn file_id(meta: &std::fs::Metadata) -> FileId {
    FileId {
        device: meta.dev(),
        inode: meta.ino(),
    }
}

/// The digest of the first line of `bytes`, if it holds a complete one.
fn head_of(bytes: &[u8]) -> Option<String> {
    let end = bytes.iter().position(|&b| b == b'\n')?;
    let digest = Blake2s256::digest(&bytes[..=end]);
    Some(digest.iter().map(|b| format!("{b:02x}")).collect())
}

/// The digest of the file's first line, read from its start.
async fn head_of_file(file: &mut tokio::fs::File) -> std::io::Result<Option<String>> {
    file.seek(std::io::SeekFrom::Start(0)).await?;
    let mut buf = Vec::with_capacity(1024);
    (&mut *file)
        .take(master_csv::MAX_LINE as u64)
        .read_to_end(&mut buf)
        .await?;
    Ok(head_of(&buf))
}

/// Whether the file now at the name, `current` with `length` bytes, is the one `stored` was
/// read from, grown or not.
fn continues(stored: &CdrCursor, current: &CdrCursor, length: u64) -> bool {
    if stored.file.is_some_and(|f| Some(f) != current.file) {
        return false;
    }
    if stored.head.is_some() && stored.head != current.head {
        return false;
    }
    length >= stored.position
}

/// The file `stored` was read from, now rotated away beside `path` (`Master.csv.1`,
/// `Master.csv-20261206`, …): the same inode (renamed), or else a file with the same first
/// line at least as long as the offset (copied by `copytruncate`).
async fn find_rotated(path: &Path, stored: &CdrCursor) -> Option<(PathBuf, tokio::fs::File)> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty())?;
    let name = path.file_name()?.to_string_lossy().into_owned();
    let mut candidates = Vec::new();
    let mut entries = tokio::fs::read_dir(dir).await.ok()?;
    while let Ok(Some(entry)) = entries.next_entry().await {
        let other = entry.file_name().to_string_lossy().into_owned();
        if other != name && other.starts_with(&name) {
            candidates.push(entry.path());
        }
    }
    candidates.sort();
    let mut copy = None;
    for candidate in candidates {
        let Ok(mut file) = tokio::fs::File::open(&candidate).await else {
            continue;
        };
        let Ok(meta) = file.metadata().await else {
            continue;
        };
        if !meta.is_file() {
            continue;
        }
        if stored.file == Some(file_id(&meta)) {
            return Some((candidate, file));
        }
        if copy.is_none()
            && stored.head.is_some()
            && meta.len() >= stored.position
            && head_of_file(&mut file).await.ok().flatten() == stored.head
        {
            copy = Some((candidate, file));
        }
    }
    copy
}

/// Reads `path` from its stored offset to its last complete line; if it was rotated away
/// since, the rest of the old file first.
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
    let stored = store.cdr_cursor(&source).await?;
    let mut file = match tokio::fs::File::open(path).await {
        Ok(file) => file,
        Err(err) => {
            if err.kind() == std::io::ErrorKind::NotFound && stored.position > 0 {
                // Rotated away, and Asterisk has written no record since: what the old file
                // got after the last read is read now, not at the next record.
                let mut report = CatchUpReport::default();
                let rotated =
                    finish_rotated(store, &source, path, &stored, zone, &mut report).await?;
                if let Some(old_path) = rotated.filter(|_| report.inserted > 0) {
                    tracing::info!(
                        file = %path.display(),
                        rotated = %old_path.display(),
                        inserted = report.inserted,
                        "the CDR file was rotated and no new one written yet: read the rest of {}",
                        old_path.display()
                    );
                }
            }
            return Err(io(err));
        }
    };
    let meta = file.metadata().await.map_err(io)?;
    let current = CdrCursor {
        position: 0,
        file: Some(file_id(&meta)),
        head: head_of_file(&mut file).await.map_err(io)?,
    };
    let mut report = CatchUpReport::default();
    let mut cursor = if stored.position == 0 {
        current
    } else if continues(&stored, &current, meta.len()) {
        CdrCursor {
            position: stored.position,
            ..current
        }
    } else {
        match finish_rotated(store, &source, path, &stored, zone, &mut report).await? {
            Some(old_path) => tracing::info!(
                file = %path.display(),
                rotated = %old_path.display(),
                stored = stored.position,
                "the CDR file was rotated: read the rest of {} from byte {}, now the new file from its start",
                old_path.display(),
                stored.position
            ),
            None => tracing::warn!(
                file = %path.display(),
                stored = stored.position,
                length = meta.len(),
                "the CDR file was rotated, truncated or replaced and its old content is not beside it (keep the last rotated file uncompressed): reading the new file from its start; records written to the old one after byte {} are only there if the manager link delivered them",
                stored.position
            ),
        }
        current
    };
    // Stored now, so the old file is not looked for again.
    if cursor != stored {
        store.set_cdr_cursor(&source, &cursor).await?;
    }
    read_rest(
        store,
        &source,
        path,
        &mut file,
        &mut cursor,
        zone,
        &mut report,
    )
    .await?;
    report.position = cursor.position;
    Ok(report)
}

/// Reads the rest of the file `stored` was read from, if it was rotated away beside `path`;
/// answers where it was found.
async fn finish_rotated(
    store: &Store,
    source: &str,
    path: &Path,
    stored: &CdrCursor,
    zone: &Zone,
    report: &mut CatchUpReport,
) -> Result<Option<PathBuf>, CatchUpError> {
    let Some((old_path, mut old)) = find_rotated(path, stored).await else {
        return Ok(None);
    };
    let mut cursor = stored.clone();
    read_rest(
        store,
        source,
        &old_path,
        &mut old,
        &mut cursor,
        zone,
        report,
    )
    .await?;
    Ok(Some(old_path))
}

/// Reads `file` from `cursor.position` to its last complete line, storing its records and,
/// after each batch, the cursor.
async fn read_rest(
    store: &Store,
    source: &str,
    path: &Path,
    file: &mut tokio::fs::File,
    cursor: &mut CdrCursor,
    zone: &Zone,
    report: &mut CatchUpReport,
) -> Result<(), CatchUpError> {
    let io = |source| CatchUpError::Io {
        path: path.to_owned(),
        source,
    };
    file.seek(std::io::SeekFrom::Start(cursor.position))
        .await
        .map_err(io)?;
    let mut buf: Vec<u8> = Vec::with_capacity(CHUNK);
    loop {
        let start = buf.len();
        buf.resize(start + CHUNK, 0);
        let n = file.read(&mut buf[start..]).await.map_err(io)?;
        buf.truncate(start + n);
        if n == 0 && buf.len() <= master_csv::MAX_LINE {
            break;
        }
        let parsed = master_csv::parse(&buf, cursor.position, zone);
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
        if cursor.position == 0 && cursor.head.is_none() {
            // The file had no complete line when it was first looked at.
            cursor.head = head_of(&buf[..parsed.consumed]);
        }
        cursor.position += parsed.consumed as u64;
        store.set_cdr_cursor(source, cursor).await?;
        buf.drain(..parsed.consumed);
        if n == 0 {
            break;
        }
    }
    Ok(())
}
