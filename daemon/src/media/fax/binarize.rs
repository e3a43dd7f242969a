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

/// Converts 8-bit luminance (0 = black) of `width` x `height` into a bitmap.
pub fn binarize(gray: &[u8], width: u32, height: u32) -> Bitmap {
    let w = width as usize;
    let h = height as usize;
    let mut out = Bitmap::new(width, height);
    let blocks_x = w.div_ceil(BLOCK);
    let blocks_y = h.div_ceil(BLOCK);
    // Per block: mid-tone pixels (scaled to a full block) and whether anything is not white.
    let mut mid = vec![0usize; blocks_x * blocks_y];
    let mut ink = vec![false; blocks_x * blocks_y];
    for y in 0..h {
        let by = y / BLOCK;
        let row = &gray[y * w..(y + 1) * w];
        for (bx, chunk) in row.chunks(BLOCK).enumerate() {
            let i = by * blocks_x + bx;
            let mut count = 0;
            let mut any = false;
            for &v in chunk {
                count += usize::from(is_mid_tone(v));
                any |= v < 250;
            }
            mid[i] += count * BLOCK / chunk.len();
            ink[i] |= any;
        }
    }
    let photo_core: Vec<bool> = mid.iter().map(|&m| m > PHOTO_SHARE).collect();
    let photo: Vec<bool> = (0..blocks_x * blocks_y)
        .map(|i| {
            if photo_core[i] {
                return true;
            }
            if mid[i] <= PHOTO_EDGE_SHARE {
                return false;
            }
            let (bx, by) = ((i % blocks_x) as isize, (i / blocks_x) as isize);
            (-1..=1).any(|dy| {
                (-1..=1).any(|dx| {
                    let (nx, ny) = (bx + dx, by + dy);
                    nx >= 0
                        && ny >= 0
                        && (nx as usize) < blocks_x
                        && (ny as usize) < blocks_y
                        && photo_core[ny as usize * blocks_x + nx as usize]
                })
            })
        })
        .collect();
    for y in 0..h {
        let by = y / BLOCK;
        let row = &gray[y * w..(y + 1) * w];
        let out_row = out.row_mut(y as u32);
        for bx in 0..blocks_x {
            let i = by * blocks_x + bx;
            if !ink[i] {
                continue;
            }
            let x0 = bx * BLOCK;
            let x1 = (x0 + BLOCK).min(w);
            for (x, &v) in row.iter().enumerate().take(x1).skip(x0) {
                let black = if photo[i] {
                    (u32::from(v) * 17 / 256) <= u32::from(CLUSTER[y % 4][x % 4])
                } else {
                    v < TEXT_THRESHOLD
                };
                if black {
                    out_row[x / 8] |= 0x80 >> (x % 8);
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
