//! PDF pages to pixels on the fax grid, rendered with `hayro` (pure Rust).
//! Opening checks encryption and structure; rendering draws one page straight at its final
//! placement (rotation and non-square fax pixels are part of the transform, so nothing is
//! resampled afterwards), on a transparent background (the binariser lays it on white
//! paper), and hands the page on a band of rows at a time. It does not binarise or encode.

use std::ops::Range;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use hayro::hayro_interpret::InterpreterSettings;
use hayro::hayro_interpret::util::TransformExt;
use hayro::hayro_syntax::{LoadPdfError, Pdf};
use hayro::kurbo::Affine;
use hayro::vello_cpu::color::palette::css::TRANSPARENT;
use hayro::vello_cpu::{Pixmap, RasterizerSettings, RenderContext, Resources, TargetInit};
use hayro::{RenderCache, RenderSettings};

use super::FaxError;
use super::layout::{FaxGrid, Placement};

/// Rows rendered at a time: a band of 1728 RGBA pixels is 221 KB, so it is still in the
/// core's cache when the binariser reads it, where a whole page (16 MB) was written out to
/// memory by the renderer and read back. A multiple of the binariser's 16-row blocks; 16 and
/// 64 rows measured the same within noise, 128 slightly slower.
pub const BAND_ROWS: u16 = 32;
// The binariser takes whole 16-row blocks from every band but the page's last.
const _: () = assert!(BAND_ROWS.is_multiple_of(16));

/// Rows of a page as the renderer hands them on.
#[derive(Debug, Clone, Copy)]
pub struct Band<'a> {
    /// The page row the band starts at.
    pub first_row: u32,
    /// Premultiplied RGBA, 4 bytes a pixel, the page's width a row.
    pub rgba: &'a [u8],
    /// For each row, the pixel columns anything was painted in. The pixels outside are
    /// transparent, and their bytes in `rgba` are left over from an earlier band: they must
    /// not be read.
    pub painted: &'a [Range<u16>],
}

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

/// Renders pages on the fax grid a band at a time, keeping its buffers from page to page.
pub struct PageRenderer {
    ctx: RenderContext,
    band: Pixmap,
    resources: Resources,
}

impl PageRenderer {
    pub fn new(grid: &FaxGrid) -> Result<Self, FaxError> {
        let too_large = || FaxError::PageTooLarge {
            page: 1,
            detail: "fax grid larger than the renderer allows".into(),
        };
        let width = u16::try_from(grid.width).map_err(|_| too_large())?;
        let height = u16::try_from(grid.rows).map_err(|_| too_large())?;
        Ok(PageRenderer {
            ctx: RenderContext::new(width, height),
            band: Pixmap::new(width, BAND_ROWS),
            resources: Resources::default(),
        })
    }

    /// Renders page `index`, calling `band` for each band of rows from the top: premultiplied
    /// RGBA on a transparent background, [`BAND_ROWS`] rows a band but the last. Only the
    /// painted columns of a row are rasterised and written (on a fax page, margins and the gaps
    /// between lines are blank paper: about half the area), so each band says which those are.
    ///
    /// Not on white: with an opaque background vello_cpu composites every row holding
    /// anything over a background layer of its own (to keep blend modes right), a fill, a
    /// clear and a blend of the whole row width per four rows. Laying the transparent
    /// render on white afterwards gives the same grey levels exactly (a test checks it).
    pub fn render<'a>(
        &mut self,
        pdf: &'a Pdf,
        cache: &RenderCache<'a>,
        index: usize,
        placement: &Placement,
        band: &mut dyn FnMut(Band<'_>),
    ) -> Result<(), FaxError> {
        self.render_on(
            pdf,
            cache,
            index,
            placement,
            TargetInit::Clear(TRANSPARENT),
            band,
        )
    }

    fn render_on<'a>(
        &mut self,
        pdf: &'a Pdf,
        cache: &RenderCache<'a>,
        index: usize,
        placement: &Placement,
        background: TargetInit,
        band: &mut dyn FnMut(Band<'_>),
    ) -> Result<(), FaxError> {
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

        let interpreter = InterpreterSettings::default();
        // Anti-aliased, so hayro draws text from its glyph cache (each glyph rasterised once
        // per size and sub-pixel offset, then copied) instead of filling every outline; with
        // an aliasing threshold it fills each glyph as a path, which cost more than the
        // thresholding saved. `binarize` turns the grey edges into solid strokes.
        let render_settings = RenderSettings::default();
        let PageRenderer {
            ctx,
            band: band_buffer,
            resources,
        } = self;
        // The renderer is third-party code walking untrusted content; a bug there must cost
        // one conversion, not the daemon.
        catch_unwind(AssertUnwindSafe(|| {
            ctx.reset();
            hayro::render_into(page, cache, &interpreter, &render_settings, ctx, transform);
            ctx.flush();
            ctx.render_in_bands(
                band_buffer,
                resources,
                RasterizerSettings {
                    target_init: background,
                    ..Default::default()
                },
                &mut |first_row, rgba, painted| {
                    band(Band {
                        first_row: u32::from(first_row),
                        rgba,
                        painted,
                    })
                },
            );
        }))
        .map_err(|_| FaxError::CorruptPdf(format!("page {} cannot be rendered", index + 1)))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use hayro::kurbo::Rect;
    use hayro::vello_cpu::color::palette::css::WHITE;
    use hayro::vello_cpu::color::{AlphaColor, Srgb};
    use hayro::vello_cpu::peniko::{BlendMode, Compose, Mix};

    use super::*;
    use crate::media::fax::layout::{FaxGrid, place};
    use crate::media::fax::{Paper, Resolution};

    const ROW_BYTES: usize = 1728 * 4;

    /// A band sink that appends the bands of a 1728-pixel-wide page to `page`, checking that
    /// they come in order, with the pixels outside the painted columns transparent (their
    /// bytes in the band are left over from earlier bands), and counts the painted pixels.
    fn collect<'p>(page: &'p mut Vec<u8>, painted: &'p mut usize) -> impl FnMut(Band<'_>) + 'p {
        move |band| {
            assert_eq!(
                band.first_row as usize * ROW_BYTES,
                page.len(),
                "bands in order"
            );
            assert_eq!(
                band.painted.len() * ROW_BYTES,
                band.rgba.len(),
                "a range a row"
            );
            for (row, columns) in band.rgba.chunks(ROW_BYTES).zip(band.painted) {
                let (start, end) = (usize::from(columns.start), usize::from(columns.end));
                let at = page.len();
                page.resize(at + ROW_BYTES, 0);
                page[at + start * 4..at + end * 4].copy_from_slice(&row[start * 4..end * 4]);
                *painted += end.saturating_sub(start);
            }
        }
    }

    /// Grey levels of premultiplied RGBA laid on white, as the binariser reads them.
    fn on_white(rgba: &[u8]) -> Vec<u8> {
        rgba.chunks_exact(4)
            .map(|p| {
                let paper = 255 - u32::from(p[3]);
                let [r, g, b] = [p[0], p[1], p[2]].map(|c| u32::from(c) + paper);
                ((r * 77 + g * 150 + b * 29) >> 8) as u8
            })
            .collect()
    }

    fn opaque_luma(rgba: &[u8]) -> Vec<u8> {
        rgba.chunks_exact(4)
            .map(|p| {
                assert_eq!(p[3], 255, "a page rendered on white is opaque");
                ((u32::from(p[0]) * 77 + u32::from(p[1]) * 150 + u32::from(p[2]) * 29) >> 8) as u8
            })
            .collect()
    }

    /// A 64 x 16 scene recorded by `draw`, rasterised whole on a transparent background.
    fn rasterised(draw: impl FnOnce(&mut RenderContext)) -> Vec<u8> {
        let mut ctx = RenderContext::new(64, 16);
        draw(&mut ctx);
        ctx.flush();
        let mut pixmap = Pixmap::new(64, 16);
        let settings = RasterizerSettings {
            target_init: TargetInit::Clear(TRANSPARENT),
            ..Default::default()
        };
        ctx.render_with(&mut pixmap, &mut Resources::default(), settings);
        pixmap.data_as_u8_slice().to_vec()
    }

    fn fill(ctx: &mut RenderContext, colour: AlphaColor<Srgb>, x: (f64, f64)) {
        ctx.set_paint(colour);
        ctx.fill_rect(&Rect::new(x.0, 1.5, x.1, 14.5));
    }

    /// hayro wraps every image in a layer of plain source-over at full opacity, which the
    /// renderer (as patched) leaves out when everything in it composites source-over too.
    #[test]
    fn a_plain_layer_of_source_over_content_renders_as_the_content_drawn_without_it() {
        let red = AlphaColor::from_rgba8(200, 0, 0, 255);
        let translucent_blue = AlphaColor::from_rgba8(0, 0, 200, 128);
        let content = |ctx: &mut RenderContext| {
            fill(ctx, translucent_blue, (10.3, 40.6));
            ctx.push_opacity_layer(0.5);
            fill(ctx, red, (30.0, 50.2));
            ctx.pop_layer();
        };
        let in_layer = rasterised(|ctx| {
            fill(ctx, red, (0.0, 20.0));
            ctx.push_layer(None, None, None, None, None);
            content(ctx);
            ctx.pop_layer();
        });
        let direct = rasterised(|ctx| {
            fill(ctx, red, (0.0, 20.0));
            content(ctx);
        });
        assert!(in_layer.iter().any(|&b| b != 0), "something was drawn");
        assert_eq!(in_layer, direct);
    }

    /// hayro draws an image with a mask of another size as a layer of the image and, inside
    /// it, a `DestIn` layer of the mask: the mask must cut the image only, not the page
    /// under it.
    #[test]
    fn a_plain_layer_holding_a_dest_in_layer_cuts_only_its_own_content() {
        let red = AlphaColor::from_rgba8(200, 0, 0, 255);
        let blue = AlphaColor::from_rgba8(0, 0, 200, 255);
        let pixels = rasterised(|ctx| {
            fill(ctx, red, (0.0, 64.0));
            ctx.push_layer(None, None, None, None, None);
            fill(ctx, blue, (0.0, 64.0));
            ctx.push_layer(
                None,
                Some(BlendMode::new(Mix::Normal, Compose::DestIn)),
                None,
                None,
                None,
            );
            fill(ctx, blue, (0.0, 32.0));
            ctx.pop_layer();
            ctx.pop_layer();
        });
        let at = |x: usize| &pixels[(8 * 64 + x) * 4..][..4];
        assert_eq!(at(10), [0, 0, 200, 255], "image kept inside the mask");
        assert_eq!(at(50), [200, 0, 0, 255], "page kept outside the mask");
    }

    /// The premises of the renderer, on every page of the mixed test document (text, rules,
    /// tints, a photo, a rotated page): the bands' painted columns put together, transparent
    /// elsewhere, are the page vello_cpu rasterises whole, byte for byte; and laid on white,
    /// every pixel has the grey level vello_cpu gives when it paints the white itself.
    #[test]
    fn a_page_rendered_in_bands_and_laid_on_white_is_the_page_rendered_whole_on_white() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../media-fixtures/fax/mixed-10p.pdf"
        );
        let data = Arc::new(std::fs::read(path).expect("fixture"));
        let pdf = open(data).expect("parses");
        let cache = RenderCache::new();
        let grid = FaxGrid::new(Resolution::Fine, Paper::A4);
        let mut renderer = PageRenderer::new(&grid).expect("renderer");
        for (index, (w, h)) in page_sizes_inches(&pdf).into_iter().enumerate() {
            let placement = place(w, h, &grid);
            let (mut rgba, mut painted) = (Vec::new(), 0);
            renderer
                .render(
                    &pdf,
                    &cache,
                    index,
                    &placement,
                    &mut collect(&mut rgba, &mut painted),
                )
                .expect("renders");
            // Margins and the gaps between lines are not rasterised.
            assert!(
                painted < 1728 * grid.rows as usize * 3 / 4,
                "page {index}: {painted} pixels painted"
            );
            assert_eq!(
                rgba.len(),
                1728 * grid.rows as usize * 4,
                "page {index} whole"
            );
            // The same recorded scene rasterised whole, as vello_cpu does unpatched.
            let mut whole = Pixmap::new(1728, grid.rows as u16);
            let settings = RasterizerSettings {
                target_init: TargetInit::Clear(TRANSPARENT),
                ..Default::default()
            };
            renderer
                .ctx
                .render_with(&mut whole, &mut renderer.resources, settings);
            assert!(
                whole.data_as_u8_slice() == rgba.as_slice(),
                "page {index}: bands differ from the whole page"
            );
            let transparent = on_white(&rgba);
            let (mut rgba, mut painted) = (Vec::new(), 0);
            let white = TargetInit::Clear(WHITE);
            renderer
                .render_on(
                    &pdf,
                    &cache,
                    index,
                    &placement,
                    white,
                    &mut collect(&mut rgba, &mut painted),
                )
                .expect("renders");
            assert_eq!(painted, 1728 * grid.rows as usize, "on white, every pixel");
            let white = opaque_luma(&rgba);
            assert!(transparent.iter().any(|&v| v < 128), "page {index} has ink");
            let differing = transparent
                .iter()
                .zip(&white)
                .filter(|(a, b)| a != b)
                .count();
            assert_eq!(differing, 0, "page {index}: pixels that differ");
        }
    }
}
