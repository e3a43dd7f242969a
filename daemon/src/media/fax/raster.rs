//! PDF pages to grey pixels on the fax grid, rendered with `hayro` (pure Rust).
//! Opening checks encryption and structure; rendering draws one page straight at its final
//! placement (rotation and non-square fax pixels are part of the transform, so nothing is
//! resampled afterwards). It does not binarise or encode.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use hayro::hayro_interpret::InterpreterSettings;
use hayro::hayro_interpret::util::TransformExt;
use hayro::hayro_syntax::{LoadPdfError, Pdf};
use hayro::kurbo::Affine;
use hayro::vello_cpu::color::palette::css::WHITE;
use hayro::vello_cpu::{Pixmap, RasterizerSettings, RenderContext, Resources, TargetInit};
use hayro::{RenderCache, RenderSettings};

use super::FaxError;
use super::layout::{FaxGrid, Placement};

/// Parses a PDF held in memory, mapping hayro's load errors to ours.
pub fn open(data: Arc<Vec<u8>>) -> Result<Pdf, FaxError> {
    // Parsing walks untrusted bytes in third-party code: contain a panic there too.
    let parsed = catch_unwind(AssertUnwindSafe(|| Pdf::new(data)))
        .map_err(|_| FaxError::CorruptPdf("the PDF structure cannot be parsed".into()))?;
    match parsed {
        Ok(pdf) => Ok(pdf),
        Err(LoadPdfError::Decryption(e)) => Err(FaxError::EncryptedPdf(format!("{e:?}"))),
        Err(LoadPdfError::Invalid) => Err(FaxError::CorruptPdf(
            "the file starts like a PDF but its structure cannot be read".into(),
        )),
    }
}

/// Page sizes in inches as displayed (after /Rotate), in page order.
pub fn page_sizes_inches(pdf: &Pdf) -> Vec<(f64, f64)> {
    pdf.pages()
        .iter()
        .map(|page| {
            let (w, h) = page.render_dimensions();
            (f64::from(w) / 72.0, f64::from(h) / 72.0)
        })
        .collect()
}

/// Renders page `index` onto a white grid-sized canvas; returns 8-bit luminance.
pub fn render_page<'a>(
    pdf: &'a Pdf,
    cache: &RenderCache<'a>,
    index: usize,
    placement: &Placement,
    grid: &FaxGrid,
) -> Result<Vec<u8>, FaxError> {
    let pages = pdf.pages();
    let page = pages
        .get(index)
        .ok_or_else(|| FaxError::CorruptPdf(format!("page {} is missing", index + 1)))?;
    let page_h = f64::from(page.render_dimensions().1);
    let initial = page.initial_transform(true).to_kurbo();
    // Quarter turn clockwise in y-down space: (x, y) -> (h - y, x).
    let rotation = if placement.rotate {
        Affine::new([0.0, 1.0, -1.0, 0.0, page_h, 0.0])
    } else {
        Affine::IDENTITY
    };
    let scale = Affine::scale_non_uniform(
        placement.x_pixels_per_inch / 72.0,
        placement.y_pixels_per_inch / 72.0,
    );
    let offset = Affine::translate((f64::from(placement.left), f64::from(placement.top)));
    let transform = offset * scale * rotation * initial;

    let width = u16::try_from(grid.width).map_err(|_| FaxError::PageTooLarge {
        page: index as u32 + 1,
        detail: "fax grid wider than the renderer allows".into(),
    })?;
    let height = u16::try_from(grid.rows).map_err(|_| FaxError::PageTooLarge {
        page: index as u32 + 1,
        detail: "fax grid longer than the renderer allows".into(),
    })?;
    let interpreter = InterpreterSettings::default();
    let render_settings = RenderSettings::default();
    // The renderer is third-party code walking untrusted content; a bug there must cost one
    // conversion, not the daemon.
    let rendered = catch_unwind(AssertUnwindSafe(|| {
        let mut ctx = RenderContext::new(width, height);
        hayro::render_into(
            page,
            cache,
            &interpreter,
            &render_settings,
            &mut ctx,
            transform,
        );
        ctx.flush();
        let mut pixmap = Pixmap::new(width, height);
        ctx.render_with(
            &mut pixmap,
            &mut Resources::default(),
            RasterizerSettings {
                target_init: TargetInit::Clear(WHITE),
                ..Default::default()
            },
        );
        pixmap
    }))
    .map_err(|_| FaxError::CorruptPdf(format!("page {} cannot be rendered", index + 1)))?;

    let rgba = rendered.data_as_u8_slice();
    Ok(rgba
        .chunks_exact(4)
        .map(|p| {
            // Premultiplied over an opaque white clear, so alpha is 255 everywhere.
            ((u32::from(p[0]) * 77 + u32::from(p[1]) * 150 + u32::from(p[2]) * 29) >> 8) as u8
        })
        .collect())
}
