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

/// 8x8 Bayer matrix, values 0..64.
const BAYER: [[u8; 8]; 8] = [
    [0, 32, 8, 40, 2, 34, 10, 42],
    [48, 16, 56, 24, 50, 18, 58, 26],
    [12, 44, 4, 36, 14, 46, 6, 38],
    [60, 28, 52, 20, 62, 30, 54, 22],
    [3, 35, 11, 43, 1, 33, 9, 41],
    [51, 19, 59, 27, 49, 17, 57, 25],
    [15, 47, 7, 39, 13, 45, 5, 37],
    [63, 31, 55, 23, 61, 29, 53, 21],
];

fn is_mid_tone(v: u8) -> bool {
    (40..=215).contains(&v)
}

/// Converts 8-bit luminance (0 = black) of `width` x `height` into a bitmap.
pub fn binarize(gray: &[u8], width: u32, height: u32) -> Bitmap {
    let w = width as usize;
    let h = height as usize;
    let mut out = Bitmap::new(width, height);
    let blocks_x = w.div_ceil(BLOCK);
    for by in 0..h.div_ceil(BLOCK) {
        let y0 = by * BLOCK;
        let y1 = (y0 + BLOCK).min(h);
        // Mid-tone count per block in this band, gathered in one pass over the rows.
        let mut mid = vec![0usize; blocks_x];
        let mut any_ink = vec![false; blocks_x];
        for y in y0..y1 {
            let row = &gray[y * w..(y + 1) * w];
            for (bx, chunk) in row.chunks(BLOCK).enumerate() {
                for &v in chunk {
                    mid[bx] += usize::from(is_mid_tone(v));
                    any_ink[bx] |= v < 250;
                }
            }
        }
        for y in y0..y1 {
            let row = &gray[y * w..(y + 1) * w];
            let out_row = out.row_mut(y as u32);
            for bx in 0..blocks_x {
                if !any_ink[bx] {
                    continue;
                }
                let x0 = bx * BLOCK;
                let x1 = (x0 + BLOCK).min(w);
                let cells = (x1 - x0) * (y1 - y0);
                let photo = mid[bx] * BLOCK * BLOCK > PHOTO_SHARE * cells;
                for x in x0..x1 {
                    let v = row[x];
                    let black = if photo {
                        // Scale 0..255 to 0..64 and compare against the matrix cell.
                        (u32::from(v) * 65 / 256) < u32::from(BAYER[y % 8][x % 8]) + 1
                    } else {
                        v < TEXT_THRESHOLD
                    };
                    if black {
                        out_row[x / 8] |= 0x80 >> (x % 8);
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
