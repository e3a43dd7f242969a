//! Fax documents: PDF/TIFF to fax TIFF (TIFF/F: 1728 pixels across, 204 x 196 or 204 x 98
//! dpi, 1 bit, CCITT G4 or G3 2-D, one image per page), and fax TIFF to PDF with the CCITT
//! data passed through untouched.
//!
//! Inputs are recognised by content, never by file name. Every limit (bytes, pages, pixels)
//! is checked before the expensive work, and output is written to a temporary file in the
//! destination directory and renamed into place, so a failed conversion leaves nothing.
//! A document's pages are converted on one or two workers ([`FaxOptions::threads`]), each
//! holding its own buffers (for a PDF, a band of rendered rows and the page's bitmap); pages
//! are written in order, and the bytes do not depend on the number of workers.
//! This module converts files; queuing, sending and receiving faxes live in the fax flow.

mod binarize;
mod bitmap;
mod ccitt_decode;
mod ccitt_encode;
mod layout;
mod pdf_write;
mod raster;
mod read_at;
mod resample;
#[cfg(test)]
mod test_rng;
mod tiff_read;
mod tiff_write;

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::io::{Read, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};

/// Threads one conversion uses: the audio path's choice, read for documents as one or two
/// page workers (see [`FaxOptions::threads`]).
pub use super::transcode::Threads;
pub use layout::{FAX_WIDTH, FAX_X_DPI, FaxGrid};

use ccitt_decode::Coding;
use ccitt_encode::Scheme;
use layout::place;
use pdf_write::{CcittImage, ImageData};
use read_at::{FileAt, ReadAt};
use tiff_read::{PageImage, PageInfo};
use tiff_write::{EncodedPage, StripKind};

use crate::atomic_file::{AtomicFile, Durability};

/// Vertical resolution of the fax.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Resolution {
    /// 196 lines per inch.
    #[default]
    Fine,
    /// 98 lines per inch.
    Standard,
}

/// Paper length of each fax page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Paper {
    #[default]
    A4,
    Letter,
}

/// CCITT coding of the fax TIFF.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compression {
    /// T.6 (TIFF Compression 4).
    #[default]
    G4,
    /// T.4 two-dimensional with byte-aligned EOLs (TIFF Compression 3, T4Options 5).
    G3,
}

/// Conversion settings and limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaxOptions {
    pub resolution: Resolution,
    pub paper: Paper,
    pub compression: Compression,
    /// Documents with more pages are refused.
    pub max_pages: u32,
    /// Input files larger than this are refused before they are read.
    pub max_input_bytes: u64,
    /// Largest page, in pixels, at its own size: for a PDF page its area at the fax
    /// resolution, for a TIFF page its stored width x height. Bounds memory and time.
    pub max_pixels: u64,
    /// Threads converting pages: `One` converts on the calling thread, `Two` on two workers,
    /// `Auto` on two when the machine has two cores or more and the document two pages or
    /// more. Each worker holds its own page buffers, and the output is the same whichever is
    /// chosen.
    pub threads: Threads,
}

impl Default for FaxOptions {
    fn default() -> Self {
        FaxOptions {
            resolution: Resolution::Fine,
            paper: Paper::A4,
            compression: Compression::G4,
            max_pages: 100,
            max_input_bytes: 20 * 1024 * 1024,
            // Eight fax pages' worth: an A1 drawing passes, a 200-inch strip does not.
            max_pixels: 32_000_000,
            threads: Threads::Auto,
        }
    }
}

/// What a conversion produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaxReport {
    pub pages: u32,
}

/// Why a conversion failed. Messages name the problem for the person who sent the file.
#[derive(Debug, thiserror::Error)]
pub enum FaxError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("input is {size} bytes, more than the {limit}-byte limit")]
    InputTooLarge { size: u64, limit: u64 },
    #[error("document has more than the {limit}-page limit")]
    TooManyPages { limit: u32 },
    #[error("document has no pages")]
    NoPages,
    #[error("input is neither a PDF nor a TIFF")]
    UnknownFormat,
    #[error("input is a {found}, expected a {expected}")]
    WrongFormat {
        found: &'static str,
        expected: &'static str,
    },
    /// Detail is the reader's reason, e.g. `PasswordProtected`.
    #[error("PDF is encrypted and cannot be opened without its password ({0})")]
    EncryptedPdf(String),
    #[error("PDF is damaged: {0}")]
    CorruptPdf(String),
    #[error("image is damaged: {0}")]
    CorruptImage(String),
    #[error("not supported: {0}")]
    Unsupported(String),
    #[error("page {page} is too large: {detail}")]
    PageTooLarge { page: u32, detail: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Pdf,
    Tiff,
}

fn sniff(data: &[u8]) -> Option<Kind> {
    if tiff_read::looks_like_tiff(data) {
        return Some(Kind::Tiff);
    }
    // PDF readers accept a header anywhere in the first kilobyte.
    let head = &data[..data.len().min(1024)];
    head.windows(5).any(|w| w == b"%PDF-").then_some(Kind::Pdf)
}

fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, FaxError> {
    let read_err = |source| FaxError::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read_err)?;
    let size = file.metadata().map_err(read_err)?.len();
    if size > limit {
        return Err(FaxError::InputTooLarge { size, limit });
    }
    // One read for the size the file has, then one more to notice growth: `read_to_end`
    // alone would read in doubling steps (seven calls for a 400 KB fax).
    let mut data = vec![0u8; size as usize];
    let mut filled = 0;
    while filled < data.len() {
        match (&file).read(&mut data[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(read_err(e)),
        }
    }
    data.truncate(filled);
    // The file may grow while it is read; never take more than the limit.
    (&file)
        .take(limit + 1 - filled as u64)
        .read_to_end(&mut data)
        .map_err(read_err)?;
    if data.len() as u64 > limit {
        return Err(FaxError::InputTooLarge {
            size: data.len() as u64,
            limit,
        });
    }
    Ok(data)
}

/// Writes what `write` produces to a temporary file beside `output` (through a buffer, so
/// a document goes out in a few large writes) and renames it into place.
fn write_atomically(
    output: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), FaxError> {
    let write_err = |source| FaxError::Write {
        path: output.to_path_buf(),
        source,
    };
    let tmp = AtomicFile::create(output).map_err(write_err)?;
    let mut buffered = std::io::BufWriter::with_capacity(OUTPUT_BUFFER, tmp);
    write(&mut buffered).map_err(write_err)?;
    let tmp = buffered
        .into_inner()
        .map_err(|e| write_err(e.into_error()))?;
    // Not durable: a document lost in a power cut is converted again from its source, and
    // the two flushes would cost more than the whole TIFF -> PDF conversion. The daemon copies
    // what it keeps durably.
    tmp.commit(Durability::AtomicOnly).map_err(write_err)?;
    Ok(())
}

/// Output goes to the file in pieces this size: few system calls, and the buffer stays in
/// cache instead of growing to the size of the document.
const OUTPUT_BUFFER: usize = 32 * 1024;

/// Counts the pages of a PDF or TIFF without rendering or decoding any of them.
pub fn count_pages(input: &Path) -> Result<u32, FaxError> {
    let data = read_limited(input, FaxOptions::default().max_input_bytes)?;
    match sniff(&data).ok_or(FaxError::UnknownFormat)? {
        Kind::Pdf => {
            let pdf = raster::open(Arc::new(data))?;
            Ok(pdf.pages().len() as u32)
        }
        Kind::Tiff => Ok(tiff_read::read_directories(&data.as_slice(), u32::MAX)?.len() as u32),
    }
}

/// Converts a PDF or any TIFF into a fax TIFF.
pub fn document_to_fax_tiff(
    input: &Path,
    output: &Path,
    opts: &FaxOptions,
    progress: &dyn Fn(u32, u32),
) -> Result<FaxReport, FaxError> {
    let data = read_limited(input, opts.max_input_bytes)?;
    let grid = FaxGrid::new(opts.resolution, opts.paper);
    let pages = match sniff(&data).ok_or(FaxError::UnknownFormat)? {
        Kind::Pdf => pdf_to_pages(Arc::new(data), opts, &grid, progress)?,
        Kind::Tiff => tiff_to_pages(&data, opts, &grid, progress)?,
    };
    let bytes = tiff_write::write_fax_tiff(&pages);
    write_atomically(output, |out| out.write_all(&bytes))?;
    tracing::info!(input = %input.display(), output = %output.display(), pages = pages.len(), "fax TIFF written");
    Ok(FaxReport {
        pages: pages.len() as u32,
    })
}

fn encode_page(bitmap: &bitmap::Bitmap, grid: &FaxGrid, compression: Compression) -> EncodedPage {
    let (scheme, kind) = match compression {
        Compression::G4 => (Scheme::Group4, StripKind::Group4),
        Compression::G3 => {
            // T.4 limits runs of 2-D lines: K = 2 at standard, 4 at fine resolution.
            let k = if grid.y_dpi >= 196 { 4 } else { 2 };
            (Scheme::Group3TwoD { k }, StripKind::Group3TwoD)
        }
    };
    EncodedPage {
        width: bitmap.width(),
        height: bitmap.height(),
        x_dpi: grid.x_dpi,
        y_dpi: grid.y_dpi,
        kind,
        data: ccitt_encode::encode(bitmap, scheme),
    }
}

fn check_page_count(count: usize, max_pages: u32) -> Result<(), FaxError> {
    if count == 0 {
        return Err(FaxError::NoPages);
    }
    if count as u64 > u64::from(max_pages) {
        return Err(FaxError::TooManyPages { limit: max_pages });
    }
    Ok(())
}

fn pdf_to_pages(
    data: Arc<Vec<u8>>,
    opts: &FaxOptions,
    grid: &FaxGrid,
    progress: &dyn Fn(u32, u32),
) -> Result<Vec<EncodedPage>, FaxError> {
    let sizes = {
        let pdf = raster::open(data.clone())?;
        raster::page_sizes_inches(&pdf)
    };
    check_page_count(sizes.len(), opts.max_pages)?;
    for (i, &(w, h)) in sizes.iter().enumerate() {
        let pixels = (w * f64::from(grid.x_dpi)).ceil() * (h * f64::from(grid.y_dpi)).ceil();
        if !pixels.is_finite() || pixels > opts.max_pixels as f64 {
            return Err(FaxError::PageTooLarge {
                page: i as u32 + 1,
                detail: format!(
                    "{w:.1} x {h:.1} in is {pixels:.0} pixels at fax resolution, more than the {} limit",
                    opts.max_pixels
                ),
            });
        }
    }
    let placements: Vec<_> = sizes.iter().map(|&(w, h)| place(w, h, grid)).collect();
    let compression = opts.compression;
    let workers = worker_count(opts.threads, sizes.len());
    let panicked =
        |index: usize| FaxError::CorruptPdf(format!("page {} cannot be rendered", index + 1));
    parallel_pages(sizes.len(), workers, progress, &panicked, &|claim, send| {
        // hayro's document and caches are single-threaded (`Rc` inside, not `Send`); each
        // worker parses its own copy of the shared bytes.
        let pdf = match raster::open(data.clone()) {
            Ok(pdf) => pdf,
            Err(e) => {
                if let Some(index) = claim() {
                    send(index, Err(e));
                }
                return;
            }
        };
        let cache = hayro::RenderCache::new();
        let mut renderer = match raster::PageRenderer::new(grid) {
            Ok(r) => r,
            Err(e) => {
                if let Some(index) = claim() {
                    send(index, Err(e));
                }
                return;
            }
        };
        // Reused from page to page: a fresh bitmap is half a megabyte of page faults.
        let mut scratch = binarize::Scratch::default();
        let mut bitmap = bitmap::Bitmap::new(grid.width, grid.rows);
        while let Some(index) = claim() {
            let mut page =
                binarize::RgbaBinarizer::new(grid.width, grid.rows, &mut scratch, &mut bitmap);
            let rendered = renderer.render(&pdf, &cache, index, &placements[index], &mut |band| {
                page.band(band.first_row, band.rgba, band.painted)
            });
            page.finish();
            send(
                index,
                rendered.map(|()| encode_page(&bitmap, grid, compression)),
            );
        }
    })
}

fn tiff_to_pages(
    data: &[u8],
    opts: &FaxOptions,
    grid: &FaxGrid,
    progress: &dyn Fn(u32, u32),
) -> Result<Vec<EncodedPage>, FaxError> {
    let infos = tiff_read::read_directories(&data, opts.max_pages)?;
    check_page_count(infos.len(), opts.max_pages)?;
    for (i, info) in infos.iter().enumerate() {
        check_page_size(i, info, opts)?;
    }
    let compression = opts.compression;
    let workers = worker_count(opts.threads, infos.len());
    let panicked =
        |index: usize| FaxError::CorruptImage(format!("page {} cannot be decoded", index + 1));
    parallel_pages(infos.len(), workers, progress, &panicked, &|claim, send| {
        while let Some(index) = claim() {
            let info = &infos[index];
            let result = tiff_read::decode_page(data, info, index).map(|image| {
                let (x_dpi, y_dpi) = info.dpi();
                let placement = place(
                    f64::from(info.width) / x_dpi,
                    f64::from(info.height) / y_dpi,
                    grid,
                );
                let bitmap = resample::to_fax_grid(image, &placement, grid);
                encode_page(&bitmap, grid, compression)
            });
            send(index, result);
        }
    })
}

/// Page workers for a document of `pages` pages. Two at most: each holds its page buffers
/// (for a PDF page, a band of RGBA and the page's bitmap), and a third would only compete
/// with the daemon's other work on the small machines it runs on.
fn worker_count(threads: Threads, pages: usize) -> usize {
    let wanted = match threads {
        Threads::One => 1,
        Threads::Two => 2,
        Threads::Auto => {
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            if cores >= 2 { 2 } else { 1 }
        }
    };
    wanted.min(pages).max(1)
}

type Claim<'a> = &'a dyn Fn() -> Option<usize>;
type Send<'a, T> = &'a dyn Fn(usize, Result<T, FaxError>);
type Worker<'a, T> = dyn Fn(Claim<'_>, Send<'_, T>) + Sync + 'a;

/// Runs `worker` on `workers` threads, or on the calling thread alone when that is one.
/// Workers claim page indices one at a time, in page order, and send back one result per
/// claimed page; results are kept in page order whichever worker produced them, and progress
/// is reported from the calling thread as pages finish. The first error (by page) stops
/// further claims and is returned. A panic in a worker becomes `panicked(page)` for the page
/// it was converting and ends that worker; it never reaches the caller.
fn parallel_pages<T: std::marker::Send>(
    count: usize,
    workers: usize,
    progress: &dyn Fn(u32, u32),
    panicked: &(dyn Fn(usize) -> FaxError + Sync),
    worker: &Worker<'_, T>,
) -> Result<Vec<T>, FaxError> {
    let claims = Claims {
        next: AtomicUsize::new(0),
        stop: AtomicBool::new(false),
        count,
    };
    let mut collected = Collected::new(count, progress);
    if workers <= 1 {
        let collected = RefCell::new(&mut collected);
        claims.run(worker, panicked, &|index, result| {
            collected.borrow_mut().accept(index, result, &claims.stop);
        });
    } else {
        let (tx, rx) = mpsc::channel::<(usize, Result<T, FaxError>)>();
        std::thread::scope(|scope| {
            for _ in 0..workers {
                let tx = tx.clone();
                let claims = &claims;
                scope.spawn(move || {
                    claims.run(worker, panicked, &|index, result| {
                        // The receiver lives until every worker has finished.
                        let _ = tx.send((index, result));
                    });
                });
            }
            drop(tx);
            for (index, result) in rx {
                collected.accept(index, result, &claims.stop);
            }
        });
    }
    collected.finish()
}

/// The page indices handed out to workers.
struct Claims {
    next: AtomicUsize,
    stop: AtomicBool,
    count: usize,
}

impl Claims {
    /// Runs one worker, turning a panic into the error for the page it was on (or, when it
    /// had none, for the next page, so that the document never comes out short).
    fn run<T>(
        &self,
        worker: &Worker<'_, T>,
        panicked: &(dyn Fn(usize) -> FaxError + Sync),
        send: Send<'_, T>,
    ) {
        let current = Cell::new(None);
        let claim = || {
            if self.stop.load(Ordering::Relaxed) {
                return None;
            }
            let index = self.next.fetch_add(1, Ordering::Relaxed);
            let claimed = (index < self.count).then_some(index);
            current.set(claimed);
            claimed
        };
        let sent = |index: usize, result: Result<T, FaxError>| {
            current.set(None);
            send(index, result);
        };
        if catch_unwind(AssertUnwindSafe(|| worker(&claim, &sent))).is_err() {
            if let Some(index) = current.get().or_else(claim) {
                tracing::warn!(page = index + 1, "page worker panicked");
                send(index, Err(panicked(index)));
            }
        }
    }
}

/// Converted pages by index, and the first failure.
struct Collected<'p, T> {
    slots: Vec<Option<T>>,
    done: u32,
    first_error: Option<(usize, FaxError)>,
    progress: &'p dyn Fn(u32, u32),
}

impl<'p, T> Collected<'p, T> {
    fn new(count: usize, progress: &'p dyn Fn(u32, u32)) -> Self {
        progress(0, count as u32);
        Collected {
            slots: (0..count).map(|_| None).collect(),
            done: 0,
            first_error: None,
            progress,
        }
    }

    fn accept(&mut self, index: usize, result: Result<T, FaxError>, stop: &AtomicBool) {
        match result {
            Ok(page) => {
                if let Some(slot) = self.slots.get_mut(index) {
                    *slot = Some(page);
                    self.done += 1;
                    (self.progress)(self.done, self.slots.len() as u32);
                }
            }
            Err(e) => {
                stop.store(true, Ordering::Relaxed);
                if self.first_error.as_ref().is_none_or(|(i, _)| index < *i) {
                    self.first_error = Some((index, e));
                }
            }
        }
    }

    fn finish(self) -> Result<Vec<T>, FaxError> {
        if let Some((_, e)) = self.first_error {
            return Err(e);
        }
        self.slots
            .into_iter()
            .enumerate()
            .map(|(i, slot)| {
                slot.ok_or_else(|| FaxError::CorruptPdf(format!("page {} was not produced", i + 1)))
            })
            .collect()
    }
}

/// Converts a fax TIFF (any TIFF, in fact) to a PDF with one page per image at the image's
/// physical size. Single-strip CCITT pages are copied into the PDF without re-encoding, read
/// from the file as their page is written; the file is loaded whole only when a page has to
/// be decoded.
pub fn fax_tiff_to_pdf(
    input: &Path,
    output: &Path,
    progress: &dyn Fn(u32, u32),
) -> Result<FaxReport, FaxError> {
    let opts = FaxOptions::default();
    let read_err = |source| FaxError::Read {
        path: input.to_path_buf(),
        source,
    };
    let file = FileAt::open(input).map_err(read_err)?;
    if file.size() > opts.max_input_bytes {
        return Err(FaxError::InputTooLarge {
            size: file.size(),
            limit: opts.max_input_bytes,
        });
    }
    let mut head = vec![0u8; file.size().min(1024) as usize];
    file.read_exact_at(&mut head, 0).map_err(read_err)?;
    match sniff(&head) {
        Some(Kind::Tiff) => {}
        Some(Kind::Pdf) => {
            return Err(FaxError::WrongFormat {
                found: "PDF",
                expected: "TIFF",
            });
        }
        None => return Err(FaxError::UnknownFormat),
    }
    let infos = tiff_read::read_directories(&file, opts.max_pages)?;
    let total = infos.len() as u32;
    progress(0, total);
    let mut whole: Option<Vec<u8>> = None;
    let mut images = Vec::with_capacity(infos.len());
    for (index, info) in infos.iter().enumerate() {
        let image = match passed_through(info, index, file.size())? {
            Some(image) => image,
            None => {
                let data = match &mut whole {
                    Some(data) => data,
                    empty => empty.insert(file.read_all().map_err(read_err)?),
                };
                reencoded(data, info, index, &opts)?
            }
        };
        images.push(image);
        progress(index as u32 + 1, total);
    }
    write_atomically(output, |out| pdf_write::write_pdf(out, &images, &file))?;
    tracing::info!(input = %input.display(), output = %output.display(), pages = total, "PDF written");
    Ok(FaxReport { pages: total })
}

/// Physical page size in points of a TIFF page.
fn page_points(info: &PageInfo) -> (f64, f64) {
    let (x_dpi, y_dpi) = info.dpi();
    (
        f64::from(info.width) / x_dpi * 72.0,
        f64::from(info.height) / y_dpi * 72.0,
    )
}

/// A single-strip CCITT page as it stands in the file, or `None` when the page has to be
/// decoded and encoded again.
fn passed_through(
    info: &PageInfo,
    index: usize,
    file_size: u64,
) -> Result<Option<CcittImage<'static>>, FaxError> {
    let single_strip = info.strip_offsets.len() == 1 && info.strip_byte_counts.len() == 1;
    let (Some(coding), true) = (info.ccitt_coding(), single_strip) else {
        return Ok(None);
    };
    let (offset, len) = (info.strip_offsets[0], info.strip_byte_counts[0]);
    if offset.checked_add(len).is_none_or(|end| end > file_size) {
        return Err(FaxError::CorruptImage(format!(
            "page {} strip lies outside the file",
            index + 1
        )));
    }
    let (k, encoded_byte_align, end_of_line) = match coding {
        Coding::ModifiedHuffman => (0, true, false),
        // Any K > 0 selects mixed 1-D/2-D decoding; the tag bit after each EOL decides.
        Coding::Group3 {
            two_d,
            byte_aligned,
        } => (if two_d { 4 } else { 0 }, byte_aligned, true),
        Coding::Group4 => (-1, false, false),
    };
    let (width_pt, height_pt) = page_points(info);
    Ok(Some(CcittImage {
        columns: info.width,
        rows: info.height,
        k,
        encoded_byte_align,
        end_of_line,
        black_is_1: info.photometric == 1,
        width_pt,
        height_pt,
        data: ImageData::Stored { offset, len },
        lsb_first: info.fill_order == 2,
    }))
}

/// Refuses page `index` (from 0) when decoding it would take more than the pixel limit.
fn check_page_size(index: usize, info: &PageInfo, opts: &FaxOptions) -> Result<(), FaxError> {
    let pixels = u64::from(info.width) * u64::from(info.height);
    if pixels > opts.max_pixels {
        return Err(FaxError::PageTooLarge {
            page: index as u32 + 1,
            detail: format!(
                "{} x {} is {pixels} pixels, more than the {} limit",
                info.width, info.height, opts.max_pixels
            ),
        });
    }
    Ok(())
}

/// Any other page, decoded from the whole file and encoded as Group 4.
fn reencoded(
    data: &[u8],
    info: &PageInfo,
    index: usize,
    opts: &FaxOptions,
) -> Result<CcittImage<'static>, FaxError> {
    let (width_pt, height_pt) = page_points(info);
    check_page_size(index, info, opts)?;
    let bitmap = match tiff_read::decode_page(data, info, index)? {
        PageImage::Bilevel(bitmap) => bitmap,
        PageImage::Gray {
            width,
            height,
            pixels,
        } => binarize::binarize(&pixels, width, height),
    };
    Ok(CcittImage {
        columns: bitmap.width(),
        rows: bitmap.height(),
        k: -1,
        encoded_byte_align: false,
        end_of_line: false,
        black_is_1: false,
        width_pt,
        height_pt,
        data: ImageData::Bytes(Cow::Owned(ccitt_encode::encode(&bitmap, Scheme::Group4))),
        lsb_first: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `count` pages on `workers` workers; page `i` produces `i * i`, except that page
    /// `fail` fails and page `panic` panics.
    fn run_pages(
        workers: usize,
        count: usize,
        fail: Option<usize>,
        panic: Option<usize>,
    ) -> Result<Vec<usize>, FaxError> {
        let panicked =
            |index: usize| FaxError::CorruptPdf(format!("page {} cannot be rendered", index + 1));
        parallel_pages(count, workers, &|_, _| {}, &panicked, &|claim, send| {
            while let Some(index) = claim() {
                assert_ne!(Some(index), panic, "a renderer bug");
                let result = if Some(index) == fail {
                    Err(FaxError::CorruptPdf(format!(
                        "page {} is broken",
                        index + 1
                    )))
                } else {
                    Ok(index * index)
                };
                send(index, result);
            }
        })
    }

    #[test]
    fn pages_come_back_in_page_order_on_one_and_on_two_workers() {
        let expected: Vec<usize> = (0..37).map(|i| i * i).collect();
        for workers in [1, 2] {
            let pages = run_pages(workers, 37, None, None).expect("all pages convert");
            assert_eq!(pages, expected, "{workers} workers");
        }
    }

    #[test]
    fn a_panic_while_converting_a_page_is_that_pages_error_on_one_and_on_two_workers() {
        for workers in [1, 2] {
            let err = run_pages(workers, 9, None, Some(4)).expect_err("page 5 panics");
            assert_eq!(
                err.to_string(),
                "PDF is damaged: page 5 cannot be rendered",
                "{workers} workers"
            );
        }
    }

    #[test]
    fn the_first_failing_page_is_the_error_reported() {
        for workers in [1, 2] {
            let err = run_pages(workers, 20, Some(3), Some(12)).expect_err("page 4 fails");
            assert_eq!(
                err.to_string(),
                "PDF is damaged: page 4 is broken",
                "{workers} workers"
            );
        }
    }

    #[test]
    fn progress_counts_every_page_up_to_the_total_on_two_workers() {
        let seen = std::sync::Mutex::new(Vec::new());
        let progress = |done: u32, total: u32| seen.lock().expect("lock").push((done, total));
        let panicked = |index: usize| FaxError::CorruptPdf(format!("page {index}"));
        parallel_pages(5, 2, &progress, &panicked, &|claim, send| {
            while let Some(index) = claim() {
                send(index, Ok(index));
            }
        })
        .expect("converts");
        let seen = seen.into_inner().expect("lock");
        assert_eq!(seen, (0..=5).map(|done| (done, 5)).collect::<Vec<_>>());
    }

    #[test]
    fn two_workers_at_most_and_one_for_a_single_page() {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        assert_eq!(worker_count(Threads::One, 50), 1);
        assert_eq!(worker_count(Threads::Two, 50), 2);
        assert_eq!(worker_count(Threads::Two, 1), 1);
        assert_eq!(worker_count(Threads::Auto, 1), 1);
        assert_eq!(worker_count(Threads::Auto, 50), cores.clamp(1, 2));
    }
}
