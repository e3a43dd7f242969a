//! The document converter the daemon uses: `media::fax` (PDF/TIFF → fax TIFF, fax TIFF → PDF).

use std::path::Path;

use super::ports::DocumentConverter;
use crate::media::fax::{FaxOptions, count_pages, document_to_fax_tiff, fax_tiff_to_pdf};

/// [`DocumentConverter`] over `media::fax` with the given conversion settings.
#[derive(Debug, Clone, Default)]
pub struct MediaConverter {
    pub options: FaxOptions,
}

impl DocumentConverter for MediaConverter {
    fn count_pages(&self, document: &Path) -> Result<u32, String> {
        count_pages(document).map_err(|e| e.to_string())
    }

    fn to_fax_tiff(&self, document: &Path, output: &Path) -> Result<u32, String> {
        timed("fax_tiff", || {
            document_to_fax_tiff(document, output, &self.options, &|_, _| {})
                .map(|r| r.pages)
                .map_err(|e| e.to_string())
        })
    }

    fn fax_tiff_to_pdf(&self, tiff: &Path, output: &Path) -> Result<u32, String> {
        timed("pdf", || {
            fax_tiff_to_pdf(tiff, output, &|_, _| {})
                .map(|r| r.pages)
                .map_err(|e| e.to_string())
        })
    }
}

/// Runs one conversion and counts it, with its time, under `format`.
fn timed<T, E>(format: &'static str, convert: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
    let started = std::time::Instant::now();
    let result = convert();
    crate::telemetry::conversion(format, started.elapsed(), result.is_ok());
    result
}
