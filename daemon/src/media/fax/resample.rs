//! Puts a decoded image onto the fax grid: optional quarter turn, area-average resampling
//! with separate horizontal and vertical factors (fax pixels are not square), white margins,
//! then binarisation. A bi-level image that already matches the grid is copied bit for bit.

use super::binarize::binarize;
use super::bitmap::Bitmap;
use super::layout::{FaxGrid, Placement};
use super::tiff_read::PageImage;

/// Converts a decoded page to a grid-sized bitmap according to `placement`.
pub fn to_fax_grid(image: PageImage, placement: &Placement, grid: &FaxGrid) -> Bitmap {
    if let PageImage::Bilevel(bitmap) = &image
        && !placement.rotate
        && bitmap.width() == placement.width
        && bitmap.height() == placement.height
    {
        return copy_bilevel(bitmap, placement, grid);
    }
    let (width, height, pixels) = match image {
        PageImage::Gray {
            width,
            height,
            pixels,
        } => (width, height, pixels),
        PageImage::Bilevel(bitmap) => {
            let mut pixels = Vec::with_capacity(bitmap.width() as usize * bitmap.height() as usize);
            for y in 0..bitmap.height() {
                for x in 0..bitmap.width() {
                    pixels.push(if bitmap.is_black(x, y) { 0 } else { 255 });
                }
            }
            (bitmap.width(), bitmap.height(), pixels)
        }
    };
    let (width, height, pixels) = if placement.rotate {
        rotate_clockwise(width, height, &pixels)
    } else {
        (width, height, pixels)
    };
    let scaled = resize(&pixels, width, height, placement.width, placement.height);
    let mut canvas = vec![255u8; grid.width as usize * grid.rows as usize];
    for y in 0..placement.height as usize {
        let dst = (placement.top as usize + y) * grid.width as usize + placement.left as usize;
        let src = y * placement.width as usize;
        canvas[dst..dst + placement.width as usize]
            .copy_from_slice(&scaled[src..src + placement.width as usize]);
    }
    binarize(&canvas, grid.width, grid.rows)
}

fn copy_bilevel(bitmap: &Bitmap, placement: &Placement, grid: &FaxGrid) -> Bitmap {
    let mut out = Bitmap::new(grid.width, grid.rows);
    for y in 0..bitmap.height() {
        if bitmap.row(y).iter().all(|&b| b == 0) {
            continue;
        }
        for x in 0..bitmap.width() {
            if bitmap.is_black(x, y) {
                out.set_black(placement.left + x, placement.top + y);
            }
        }
    }
    out
}

/// A quarter turn clockwise: the left edge becomes the top.
fn rotate_clockwise(width: u32, height: u32, pixels: &[u8]) -> (u32, u32, Vec<u8>) {
    let (w, h) = (width as usize, height as usize);
    let mut out = vec![0u8; w * h];
    // Output is h wide and w tall; output (x, y) comes from input (y, h - 1 - x).
    for y in 0..w {
        for x in 0..h {
            out[y * h + x] = pixels[(h - 1 - x) * w + y];
        }
    }
    (height, width, out)
}

/// For each output index, the source indices it covers and their weights (summing to 1).
fn weights(src: u32, dst: u32) -> Vec<Vec<(usize, f32)>> {
    let scale = f64::from(src) / f64::from(dst);
    (0..dst)
        .map(|i| {
            let start = f64::from(i) * scale;
            let end = (start + scale).min(f64::from(src));
            let mut taps = Vec::new();
            let mut pos = start;
            while pos < end - 1e-9 {
                let index = pos.floor();
                let next = (index + 1.0).min(end);
                taps.push((index as usize, ((next - pos) / scale) as f32));
                pos = next;
            }
            if taps.is_empty() {
                taps.push(((start as usize).min(src as usize - 1), 1.0));
            }
            taps
        })
        .collect()
}

/// Area-average resize of 8-bit luminance.
fn resize(pixels: &[u8], sw: u32, sh: u32, dw: u32, dh: u32) -> Vec<u8> {
    let horizontal = weights(sw, dw);
    let vertical = weights(sh, dh);
    let (sw, dw) = (sw as usize, dw as usize);
    // Horizontal pass, one source row at a time, only for rows the vertical pass needs.
    let mut rows: Vec<Option<Vec<f32>>> = vec![None; sh as usize];
    let mut out = vec![255u8; dw * dh as usize];
    for (y, taps_y) in vertical.iter().enumerate() {
        let mut acc = vec![0f32; dw];
        for &(sy, wy) in taps_y {
            let row = rows[sy].get_or_insert_with(|| {
                let src = &pixels[sy * sw..(sy + 1) * sw];
                horizontal
                    .iter()
                    .map(|taps| taps.iter().map(|&(sx, w)| f32::from(src[sx]) * w).sum())
                    .collect()
            });
            for (a, v) in acc.iter_mut().zip(row.iter()) {
                *a += v * wy;
            }
        }
        // Rows above the current window are no longer needed.
        if let Some(&(first, _)) = taps_y.first() {
            for row in rows.iter_mut().take(first) {
                *row = None;
            }
        }
        for (o, a) in out[y * dw..(y + 1) * dw].iter_mut().zip(acc) {
            *o = a.round().clamp(0.0, 255.0) as u8;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halving_averages_pairs_of_pixels() {
        let pixels = vec![0, 255, 0, 255, 0, 255, 0, 255];
        let out = resize(&pixels, 4, 2, 2, 1);
        assert_eq!(out, vec![128, 128]);
    }

    #[test]
    fn doubling_repeats_pixels() {
        let out = resize(&[10, 200], 2, 1, 4, 2);
        assert_eq!(out, vec![10, 10, 200, 200, 10, 10, 200, 200]);
    }

    #[test]
    fn clockwise_rotation_moves_the_left_edge_to_the_top() {
        // 3 wide, 2 tall: top row a b c, bottom row d e f.
        let (w, h, out) = rotate_clockwise(3, 2, &[1, 2, 3, 4, 5, 6]);
        assert_eq!((w, h), (2, 3));
        assert_eq!(out, vec![4, 1, 5, 2, 6, 3]);
    }
}
