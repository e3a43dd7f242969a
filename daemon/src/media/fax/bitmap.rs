//! Bi-level page image: packed rows, most significant bit first, 1 = black.
//!
//! This is the in-memory form every fax page passes through between decoding or
//! rasterising and CCITT encoding. It is not a general image type: no colour, no alpha.

/// A 1-bit image; bit set means a black pixel (TIFF min-is-white after inversion of nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bitmap {
    width: u32,
    height: u32,
    stride: usize,
    bits: Vec<u8>,
}

impl Bitmap {
    /// An all-white image.
    pub fn new(width: u32, height: u32) -> Self {
        let stride = (width as usize).div_ceil(8);
        Bitmap {
            width,
            height,
            stride,
            bits: vec![0; stride * height as usize],
        }
    }

    pub fn width(&self) -> u32 {
        self.width
    }

    pub fn height(&self) -> u32 {
        self.height
    }

    pub fn row(&self, y: u32) -> &[u8] {
        let start = y as usize * self.stride;
        &self.bits[start..start + self.stride]
    }

    pub fn row_mut(&mut self, y: u32) -> &mut [u8] {
        let start = y as usize * self.stride;
        &mut self.bits[start..start + self.stride]
    }

    pub fn is_black(&self, x: u32, y: u32) -> bool {
        self.row(y)[x as usize / 8] & (0x80 >> (x % 8)) != 0
    }

    pub fn set_black(&mut self, x: u32, y: u32) {
        self.row_mut(y)[x as usize / 8] |= 0x80 >> (x % 8);
    }

    /// Number of black pixels.
    #[cfg(test)]
    pub fn black_count(&self) -> u64 {
        self.bits.iter().map(|b| u64::from(b.count_ones())).sum()
    }

    /// Fills a row from a list of colour changes (first run white), as CCITT decoders report them.
    pub fn fill_row_from_changes(&mut self, y: u32, changes: &[u32]) {
        let width = self.width;
        let row = self.row_mut(y);
        row.fill(0);
        let mut i = 0;
        while i < changes.len() {
            let start = changes[i].min(width);
            let end = changes.get(i + 1).copied().unwrap_or(width).min(width);
            fill_bits(row, start, end);
            i += 2;
        }
    }

    /// Colour-change positions of a row: each index where the colour differs from the pixel
    /// before it, with an imaginary white pixel before column 0.
    pub fn changes(&self, y: u32, out: &mut Vec<u32>) {
        out.clear();
        let row = self.row(y);
        // Sixty-four pixels at a time: a word XORed with itself shifted by one pixel has a bit
        // set at each change, so a white stretch costs a shift and a compare per word, and
        // each change one count of leading zeros.
        let mut before = 0u64;
        let mut start = 0u32;
        let mut words = row.chunks_exact(8);
        for word in words.by_ref() {
            let word = load_be_word(word);
            push_changes(word ^ (word >> 1 | before << 63), start, out);
            before = word & 1;
            start += 64;
        }
        let word = load_be_word(words.remainder());
        push_changes(word ^ (word >> 1 | before << 63), start, out);
        // Padding bits past the width are not pixels.
        while out.last().is_some_and(|&c| c >= self.width) {
            out.pop();
        }
    }
}

/// Appends `start` plus the position of each set bit of `changes`, from the top bit down.
#[inline]
fn push_changes(mut changes: u64, start: u32, out: &mut Vec<u32>) {
    while changes != 0 {
        let at = changes.leading_zeros();
        out.push(start + at);
        changes ^= (1 << 63) >> at;
    }
}

/// Eight bytes as a big-endian word (pixel 0 in the top bit), zero-padded at the row's end.
#[inline]
fn load_be_word(bytes: &[u8]) -> u64 {
    if let Some(chunk) = bytes.first_chunk::<8>() {
        u64::from_be_bytes(*chunk)
    } else {
        let mut padded = [0u8; 8];
        padded[..bytes.len()].copy_from_slice(bytes);
        u64::from_be_bytes(padded)
    }
}

fn fill_bits(row: &mut [u8], start: u32, end: u32) {
    let mut x = start;
    while x < end {
        if x.is_multiple_of(8) && end - x >= 8 {
            row[(x / 8) as usize] = 0xff;
            x += 8;
        } else {
            row[(x / 8) as usize] |= 0x80 >> (x % 8);
            x += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_list_runs_starting_with_white() {
        let mut bitmap = Bitmap::new(20, 1);
        for x in [3, 4, 5, 17, 18, 19] {
            bitmap.set_black(x, 0);
        }
        let mut changes = Vec::new();
        bitmap.changes(0, &mut changes);
        assert_eq!(changes, vec![3, 6, 17]);
    }

    #[test]
    fn changes_match_a_pixel_by_pixel_scan() {
        // Widths that end mid-word and mid-byte, rows from solid to noisy.
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for width in [1u32, 7, 64, 65, 100, 1728] {
            for density in [0u64, 1, 8, 32, 63, 64] {
                let mut bitmap = Bitmap::new(width, 1);
                let mut black = false;
                for x in 0..width {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    if seed % 64 < density {
                        black = !black;
                    }
                    if black {
                        bitmap.set_black(x, 0);
                    }
                }
                let expected: Vec<u32> = (0..width)
                    .filter(|&x| {
                        let before = x > 0 && bitmap.is_black(x - 1, 0);
                        bitmap.is_black(x, 0) != before
                    })
                    .collect();
                let mut changes = Vec::new();
                bitmap.changes(0, &mut changes);
                assert_eq!(changes, expected, "width {width}, density {density}");
            }
        }
    }

    #[test]
    fn changes_ignore_bits_past_the_width() {
        let mut bitmap = Bitmap::new(10, 1);
        bitmap.row_mut(0).copy_from_slice(&[0x00, 0xff]);
        let mut changes = Vec::new();
        bitmap.changes(0, &mut changes);
        assert_eq!(changes, vec![8]);
    }

    #[test]
    fn changes_match_a_pixel_by_pixel_scan_at_every_width_up_to_200() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for width in 1u32..=200 {
            for run in [1u64, 3, 64] {
                let mut bitmap = Bitmap::new(width, 1);
                let mut black = width % 2 == 0;
                for x in 0..width {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    if seed.is_multiple_of(run) {
                        black = !black;
                    }
                    if black {
                        bitmap.set_black(x, 0);
                    }
                }
                let expected: Vec<u32> = (0..width)
                    .filter(|&x| (x > 0 && bitmap.is_black(x - 1, 0)) != bitmap.is_black(x, 0))
                    .collect();
                let mut changes = vec![7, 7, 7];
                bitmap.changes(0, &mut changes);
                assert_eq!(changes, expected, "width {width}, run {run}");
            }
        }
    }

    #[test]
    fn black_run_to_the_end_of_the_row_has_no_change_at_the_width() {
        let mut bitmap = Bitmap::new(70, 1);
        for x in 60..70 {
            bitmap.set_black(x, 0);
        }
        let mut changes = Vec::new();
        bitmap.changes(0, &mut changes);
        assert_eq!(changes, vec![60]);
    }

    #[test]
    fn fill_row_from_changes_is_the_inverse_of_changes() {
        let mut bitmap = Bitmap::new(1728, 1);
        bitmap.fill_row_from_changes(0, &[0, 9, 100, 1000, 1727]);
        let mut changes = Vec::new();
        bitmap.changes(0, &mut changes);
        assert_eq!(changes, vec![0, 9, 100, 1000, 1727]);
        assert_eq!(bitmap.black_count(), 9 + 900 + 1);
    }
}
