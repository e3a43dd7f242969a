//! Grey to bi-level conversion for fax: text and line art are thresholded so strokes stay
//! crisp, continuous-tone areas (photos, tinted fills) are dithered so they stay readable.
//! The choice is made per 16x16 block from how many mid-tone pixels it holds: anti-aliased
//! text has mid-tones only along glyph edges, a photo has them almost everywhere.
//! Pure pixel logic; no I/O, no resampling.

use super::bitmap::Bitmap;

const BLOCK: usize = 16;
/// Darker than this is black in text areas. Above mid-grey so thin anti-aliased strokes of
/// small type survive at 204 dpi.
const TEXT_THRESHOLD: u8 = 168;
/// A block whose share of mid-tone pixels exceeds this is continuous-tone.
const PHOTO_SHARE: usize = BLOCK * BLOCK * 45 / 100;

/// Clustered-dot ordered dither, 4x4 (about 51 dots per inch at 204 dpi). Clustered dots
/// survive fax transmission and CCITT-code far smaller than dispersed (Bayer) patterns.
const CLUSTER: [[u8; 4]; 4] = [[12, 5, 6, 13], [4, 0, 1, 7], [11, 3, 2, 8], [15, 10, 9, 14]];
/// A block next to a continuous-tone block is continuous-tone too if this share of it is
/// mid-tone: the ragged edge of a photo is not text.
const PHOTO_EDGE_SHARE: usize = BLOCK * BLOCK * 15 / 100;

fn is_mid_tone(v: u8) -> bool {
    (40..=215).contains(&v)
}

/// Per-block statistics gathered in the first pass.
struct BlockStats {
    blocks_x: usize,
    blocks_y: usize,
    /// Mid-tone pixels per block, scaled to a full block width.
    mid: Vec<usize>,
    /// Whether the block holds anything that is not white.
    ink: Vec<bool>,
}

impl BlockStats {
    fn new(width: usize, height: usize) -> Self {
        let blocks_x = width.div_ceil(BLOCK);
        let blocks_y = height.div_ceil(BLOCK);
        BlockStats {
            blocks_x,
            blocks_y,
            mid: vec![0; blocks_x * blocks_y],
            ink: vec![false; blocks_x * blocks_y],
        }
    }

    fn add(&mut self, y: usize, bx: usize, chunk: &[u8]) {
        let mut count = 0usize;
        let mut darkest = 255u8;
        for &v in chunk {
            count += usize::from(is_mid_tone(v));
            darkest = darkest.min(v);
        }
        let i = (y / BLOCK) * self.blocks_x + bx;
        self.mid[i] += count * BLOCK / chunk.len();
        self.ink[i] |= darkest < 250;
    }

    /// Classifies the blocks of block row `by` as continuous-tone or not; needs the
    /// statistics of the rows above and below.
    fn photo_blocks_in_row(&self, by: usize, photo: &mut [bool]) {
        let core = |bx: usize, by: usize| self.mid[by * self.blocks_x + bx] > PHOTO_SHARE;
        for (bx, p) in photo.iter_mut().enumerate() {
            let mid = self.mid[by * self.blocks_x + bx];
            *p = mid > PHOTO_SHARE
                || (mid > PHOTO_EDGE_SHARE
                    && (by.saturating_sub(1)..=(by + 1).min(self.blocks_y - 1)).any(|ny| {
                        (bx.saturating_sub(1)..=(bx + 1).min(self.blocks_x - 1))
                            .any(|nx| core(nx, ny))
                    }));
        }
    }

    /// `add` for a full block row, in a form the compiler vectorises.
    fn add_block(&mut self, y: usize, bx: usize, chunk: &[u8; BLOCK]) {
        let mut count = 0u8;
        let mut darkest = 255u8;
        for &v in chunk {
            count += u8::from(is_mid_tone(v));
            darkest = darkest.min(v);
        }
        let i = (y / BLOCK) * self.blocks_x + bx;
        self.mid[i] += usize::from(count);
        self.ink[i] |= darkest < 250;
    }
}

/// Converts premultiplied RGBA over an opaque background (as the PDF renderer produces)
/// into a bitmap, reusing `luma` as scratch space between pages. Pure-white runs, most of a
/// fax page, are recognised on the RGBA bytes and never converted.
///
/// Works one band of block rows at a time: a band's grey levels are thresholded while they
/// are still in cache, one band behind the statistics (a block's class depends on the
/// blocks below it), so the scratch holds two bands instead of a page.
pub fn binarize_rgba(rgba: &[u8], width: u32, height: u32, luma: &mut Vec<u8>) -> Bitmap {
    let (w, h) = (width as usize, height as usize);
    let band_len = BLOCK * w;
    luma.clear();
    luma.resize(2 * band_len, 255);
    let mut stats = BlockStats::new(w, h);
    let mut out = Bitmap::new(width, height);
    let mut photo_row = vec![false; stats.blocks_x];
    let slot = |by: usize| (by % 2) * band_len;
    for by in 0..=stats.blocks_y {
        if by < stats.blocks_y {
            let band = &mut luma[slot(by)..slot(by) + band_len];
            band.fill(255);
            luma_band(rgba, w, h, by, band, &mut stats);
        }
        // Band `by - 1` now has the statistics of its neighbours below.
        if let Some(done) = by.checked_sub(1) {
            stats.photo_blocks_in_row(done, &mut photo_row);
            let band = &luma[slot(done)..slot(done) + band_len];
            threshold_band(
                |y| &band[(y % BLOCK) * w..][..w],
                done,
                &stats,
                &photo_row,
                &mut out,
            );
        }
    }
    out
}

/// Converts block row `by` of the RGBA page into `band` (16 rows of luminance, white where
/// the page is white) and records its block statistics.
fn luma_band(rgba: &[u8], w: usize, h: usize, by: usize, band: &mut [u8], stats: &mut BlockStats) {
    for y in by * BLOCK..((by + 1) * BLOCK).min(h) {
        let src_row = &rgba[y * w * 4..(y + 1) * w * 4];
        let dst_row = &mut band[(y % BLOCK) * w..][..w];
        for (bx, (src, dst)) in src_row
            .chunks(BLOCK * 4)
            .zip(dst_row.chunks_mut(BLOCK))
            .enumerate()
        {
            if is_white_rgba(src) {
                continue;
            }
            // Full blocks go through fixed-size arrays, which the compiler turns into vector
            // code; a ragged block at the right edge takes the general loop.
            match (
                <&[u8; BLOCK * 4]>::try_from(src),
                <&mut [u8; BLOCK]>::try_from(&mut *dst),
            ) {
                (Ok(src), Ok(dst)) => {
                    luma_block(src, dst);
                    stats.add_block(y, bx, dst);
                }
                _ => {
                    for (d, p) in dst.iter_mut().zip(src.chunks_exact(4)) {
                        *d = luma_of(p[0], p[1], p[2]);
                    }
                    stats.add(y, bx, dst);
                }
            }
        }
    }
}

#[inline]
fn luma_of(r: u8, g: u8, b: u8) -> u8 {
    // The weights sum to 256, so the sum fits 16 bits and vectorises in 16-bit lanes.
    ((u16::from(r) * 77 + u16::from(g) * 150 + u16::from(b) * 29) >> 8) as u8
}

fn luma_block(rgba: &[u8; BLOCK * 4], luma: &mut [u8; BLOCK]) {
    for (k, d) in luma.iter_mut().enumerate() {
        *d = luma_of(rgba[k * 4], rgba[k * 4 + 1], rgba[k * 4 + 2]);
    }
}

/// True when every byte is 255 (opaque white). Eight bytes at a time and without an early
/// exit, so it compiles to a few vector ANDs: most of a fax page takes this path.
fn is_white_rgba(rgba: &[u8]) -> bool {
    let words = rgba.chunks_exact(8);
    let tail_white = words.remainder().iter().all(|&b| b == 255);
    let all = words.fold(u64::MAX, |acc, w| {
        acc & u64::from_ne_bytes(w.try_into().unwrap_or([0; 8]))
    });
    tail_white && all == u64::MAX
}

/// Converts 8-bit luminance (0 = black) of `width` x `height` into a bitmap.
pub fn binarize(gray: &[u8], width: u32, height: u32) -> Bitmap {
    let (w, h) = (width as usize, height as usize);
    let mut stats = BlockStats::new(w, h);
    for y in 0..h {
        for (bx, chunk) in gray[y * w..(y + 1) * w].chunks(BLOCK).enumerate() {
            stats.add(y, bx, chunk);
        }
    }
    let mut out = Bitmap::new(width, height);
    let mut photo_row = vec![false; stats.blocks_x];
    for by in 0..stats.blocks_y {
        stats.photo_blocks_in_row(by, &mut photo_row);
        threshold_band(
            |y| &gray[y * w..(y + 1) * w],
            by,
            &stats,
            &photo_row,
            &mut out,
        );
    }
    out
}

/// Smallest grey level that stays white against dither screen value `screen` (0..=15).
fn dither_limit(screen: u8) -> u8 {
    ((u32::from(screen) + 1) * 256).div_ceil(17) as u8
}

/// Thresholds or dithers each inked block of block row `by`; `row(y)` gives page row `y`.
fn threshold_band<'g>(
    row: impl Fn(usize) -> &'g [u8],
    by: usize,
    stats: &BlockStats,
    photo: &[bool],
    out: &mut Bitmap,
) {
    let w = out.width() as usize;
    let h = out.height() as usize;
    // Per row, the grey level below which a pixel is black: flat for text, the dither
    // screen's row for photos. `level <= screen` with `level = v * 17 / 256` is the same as
    // `v < ceil((screen + 1) * 256 / 17)`, so both become one byte compare per pixel.
    let text_limits = [TEXT_THRESHOLD; BLOCK];
    let ink = &stats.ink[by * stats.blocks_x..(by + 1) * stats.blocks_x];
    for y in by * BLOCK..((by + 1) * BLOCK).min(h) {
        let row = row(y);
        let out_row = out.row_mut(y as u32);
        let cluster_row = &CLUSTER[y % 4];
        let photo_limits: [u8; BLOCK] = std::array::from_fn(|k| dither_limit(cluster_row[k % 4]));
        for (bx, (&inked, &photo)) in ink.iter().zip(photo).enumerate() {
            if !inked {
                continue;
            }
            let limits = if photo { &photo_limits } else { &text_limits };
            // Blocks are 16 pixels, so each starts on a byte of the packed row.
            let x0 = bx * BLOCK;
            let x1 = (x0 + BLOCK).min(w);
            if let (Ok(pixels), Some(bytes)) = (
                <&[u8; BLOCK]>::try_from(&row[x0..x1]),
                out_row.get_mut(x0 / 8..x0 / 8 + 2),
            ) {
                let mut bits = 0u16;
                for k in 0..BLOCK {
                    bits |= u16::from(pixels[k] < limits[k]) << (BLOCK - 1 - k);
                }
                bytes.copy_from_slice(&bits.to_be_bytes());
                continue;
            }
            for byte_x in (x0..x1).step_by(8) {
                let pixels = &row[byte_x..(byte_x + 8).min(x1)];
                let mut byte = 0u8;
                for (k, &v) in pixels.iter().enumerate() {
                    byte |= u8::from(v < limits[byte_x - x0 + k]) << (7 - k);
                }
                out_row[byte_x / 8] = byte;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dither_limit_is_the_screen_comparison_of_the_quantised_level() {
        for screen in 0..16u8 {
            for v in 0..=255u8 {
                let level = u32::from(v) * 17 / 256;
                assert_eq!(
                    v < dither_limit(screen),
                    level <= u32::from(screen),
                    "grey {v}, screen {screen}"
                );
            }
        }
    }

    #[test]
    fn ragged_right_edge_is_thresholded_like_full_blocks() {
        // 21 pixels: one full block and five pixels of a second one.
        let mut gray = vec![255u8; 21 * 16];
        for y in 0..16 {
            gray[y * 21 + 3] = 0;
            gray[y * 21 + 19] = 0;
        }
        let bitmap = binarize(&gray, 21, 16);
        assert!((0..16).all(|y| bitmap.is_black(3, y) && bitmap.is_black(19, y)));
        assert_eq!(bitmap.black_count(), 32);
    }

    #[test]
    fn white_stays_white_and_black_stays_black() {
        let mut gray = vec![255u8; 64 * 64];
        gray[..64 * 32].fill(0);
        let bitmap = binarize(&gray, 64, 64);
        assert_eq!(bitmap.black_count(), 64 * 32);
    }

    #[test]
    fn flat_mid_grey_is_dithered_to_about_half_black() {
        let gray = vec![128u8; 128 * 128];
        let bitmap = binarize(&gray, 128, 128);
        let share = bitmap.black_count() as f64 / (128.0 * 128.0);
        assert!((share - 0.5).abs() < 0.05, "black share {share}");
    }

    #[test]
    fn light_grey_gradient_keeps_its_tone_order() {
        let gray: Vec<u8> = (0..256 * 64).map(|i| ((i % 256) as u8).max(30)).collect();
        let bitmap = binarize(&gray, 256, 64);
        let black_in = |x0: u32| {
            (0..64)
                .flat_map(|y| (x0..x0 + 32).map(move |x| (x, y)))
                .filter(|&(x, y)| bitmap.is_black(x, y))
                .count()
        };
        assert!(black_in(32) > black_in(128));
        assert!(black_in(128) > black_in(200));
    }

    #[test]
    fn thin_anti_aliased_stroke_is_kept_solid() {
        // A one-pixel vertical line rendered at 60 % coverage, as small type looks.
        let mut gray = vec![255u8; 32 * 32];
        for y in 0..32 {
            gray[y * 32 + 10] = 100;
        }
        let bitmap = binarize(&gray, 32, 32);
        assert!((0..32).all(|y| bitmap.is_black(10, y)));
        assert_eq!(bitmap.black_count(), 32);
    }
}
