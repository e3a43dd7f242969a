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
        let width = self.width;
        let mut black = false;
        let mut x = 0u32;
        while x < width {
            let byte_index = (x / 8) as usize;
            let byte = row[byte_index];
            // Whole bytes of the current colour are the common case on fax pages.
            if x % 8 == 0 && ((black && byte == 0xff) || (!black && byte == 0)) {
                x += 8;
                continue;
            }
            let bit = byte & (0x80 >> (x % 8)) != 0;
            if bit != black {
                out.push(x);
                black = bit;
            }
            x += 1;
        }
    }
}

fn fill_bits(row: &mut [u8], start: u32, end: u32) {
    let mut x = start;
    while x < end {
        if x % 8 == 0 && end - x >= 8 {
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
    fn fill_row_from_changes_is_the_inverse_of_changes() {
        let mut bitmap = Bitmap::new(1728, 1);
        bitmap.fill_row_from_changes(0, &[0, 9, 100, 1000, 1727]);
        let mut changes = Vec::new();
        bitmap.changes(0, &mut changes);
        assert_eq!(changes, vec![0, 9, 100, 1000, 1727]);
        assert_eq!(bitmap.black_count(), 9 + 900 + 1);
    }
}
