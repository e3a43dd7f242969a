//! CCITT encoders for bi-level pages: Group 4 (T.6, MMR) and Group 3 two-dimensional
//! (T.4 MR with EOLs byte-aligned, as TIFF T4Options = 5 describes).
//!
//! Works from colour-change lists rather than pixel iterators, so a white fax line costs a
//! few word compares, and a line equal to the one above is a run of V0 bits. Run-length
//! code words come from the `fax` crate's T.4 tables; the mode codes and the coding loop are
//! here. Output bit order is MSB-first (FillOrder 1). Decoding is not here (see
//! `ccitt_decode`).

use fax::maps::{black, white};

use super::bitmap::Bitmap;

/// Which CCITT scheme to produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// T.6, terminated by EOFB.
    Group4,
    /// T.4 two-dimensional: every line starts with a byte-aligned EOL and a tag bit; a
    /// one-dimensional line every `k` lines bounds the damage of a transmission error.
    Group3TwoD { k: u32 },
}

/// Bits not yet written out, most significant first.
#[derive(Debug, Clone, Copy, Default)]
struct Bits {
    acc: u64,
    /// How many low bits of `acc` are pending (fewer than 32).
    len: u32,
}

impl Bits {
    /// Appends `code`, which has `bits` bits (at most 32). Whole 32-bit words go to `out`, so
    /// most code words cost no store at all. Kept apart from the output vector so that a
    /// coding loop holds it in registers.
    #[inline(always)]
    fn put(&mut self, out: &mut Vec<u8>, code: u32, bits: u32) {
        debug_assert!(bits <= 32 && self.len < 32 && u64::from(code) >> bits == 0);
        self.acc = (self.acc << bits) | u64::from(code);
        self.len += bits;
        if self.len >= 32 {
            self.len -= 32;
            let word = (self.acc >> self.len) as u32;
            out.extend_from_slice(&word.to_be_bytes());
        }
    }
}

struct BitWriter {
    out: Vec<u8>,
    bits: Bits,
}

impl BitWriter {
    fn with_capacity(bytes: usize) -> Self {
        BitWriter {
            out: Vec::with_capacity(bytes),
            bits: Bits::default(),
        }
    }

    fn put(&mut self, code: u32, bits: u32) {
        self.bits.put(&mut self.out, code, bits);
    }

    fn bits_to_byte_boundary(&self) -> u32 {
        (8 - self.bits.len % 8) % 8
    }

    fn finish(mut self) -> Vec<u8> {
        let pad = self.bits_to_byte_boundary();
        self.put(0, pad);
        let Bits { acc, mut len } = self.bits;
        while len >= 8 {
            len -= 8;
            self.out.push((acc >> len) as u8);
        }
        self.out
    }
}

const EOL: (u32, u32) = (1, 12);
const PASS: (u32, u32) = (0b0001, 4);
const HORIZONTAL: (u32, u32) = (0b001, 3);
/// Vertical mode codes for a1 - b1 = -3..=3.
const VERTICAL: [(u32, u32); 7] = [
    (0b0000010, 7),
    (0b000010, 6),
    (0b010, 3),
    (0b1, 1),
    (0b011, 3),
    (0b000011, 6),
    (0b0000011, 7),
];

fn put_code(w: &mut BitWriter, (code, bits): (u32, u32)) {
    w.put(code, bits);
}

/// Writes one run: make-up codes (2560 at a time, then a multiple of 64), then a terminating code.
#[inline(always)]
fn put_run(w: &mut Bits, out: &mut Vec<u8>, black_run: bool, mut n: u32) {
    let table = if black_run {
        &black::ENTRIES
    } else {
        &white::ENTRIES
    };
    let mut emit = |n: u32| {
        // Table layout: 0..=63 terminating codes, then make-up codes 64..=2560 in steps of 64.
        let index = if n >= 64 { 63 + n / 64 } else { n } as usize;
        let (_, bits) = table[index];
        w.put(out, u32::from(bits.data), u32::from(bits.len));
    };
    while n >= 2560 {
        emit(2560);
        n -= 2560;
    }
    if n >= 64 {
        emit(n & !63);
        n &= 63;
    }
    emit(n);
}

/// Codes one line one-dimensionally (Modified Huffman): alternating runs from white.
fn encode_1d(w: &mut BitWriter, changes: &[u32], width: u32) {
    let mut bits = w.bits;
    let mut pos = 0;
    let mut black_run = false;
    for &c in changes.iter().chain(std::iter::once(&width)) {
        put_run(&mut bits, &mut w.out, black_run, c - pos);
        pos = c;
        black_run = !black_run;
    }
    w.bits = bits;
}

/// Colour changes a line list ends with, at the width: they stand for the end of the line
/// wherever the coding looks one or two changes past the last real one.
const SENTINELS: usize = 3;

/// Codes one line against its reference line (T.4 §4.2.1.3 / T.6 two-dimensional coding).
/// Both lists are colour changes (< width), followed by [`SENTINELS`] `width`s.
fn encode_2d(writer: &mut BitWriter, reference: &[u32], current: &[u32], width: u32) {
    // A local copy of the pending bits stays in registers through the loop; the writer's
    // would be stored back after every code word.
    let mut w = writer.bits;
    let out = &mut writer.out;
    if current == reference {
        // Every change sits on the one above it, and so does the end of the line: one V0
        // code (a single 1 bit) each.
        let mut ones = (current.len() - SENTINELS + 1) as u32;
        while ones > 0 {
            let n = ones.min(32);
            w.put(out, u32::MAX >> (32 - n), n);
            ones -= n;
        }
        writer.bits = w;
        return;
    }
    // a0 + 1, the first position a1 and b1 may take: a0 starts left of the line, at -1.
    let mut from = 0u32;
    // a1 is always `current[cur_i]`: a vertical code moves a0 onto it, a horizontal code
    // past it and the next change, a pass code stops short of it. Each change flips the
    // colour, so a0's colour (white first) is black exactly when `cur_i` is odd. The index
    // passes the last real change only when a0 reaches the width and the loop ends.
    let mut cur_i = 0usize;
    // First change on the reference line right of a0. a0 only moves right, so this index
    // does too, and b1 is this change or the one after it.
    let mut ref_i = 0usize;
    // Pairs are read with one range check each; the sentinels guarantee they exist.
    while let Some(&[a1, a2]) = current.get(cur_i..cur_i + 2) {
        // a0 is left of the width here, so the sentinels stop this.
        while reference.get(ref_i).is_some_and(|&r| r < from) {
            ref_i += 1;
        }
        // b1 is of the colour opposite a0's: even indices are changes to black, so b1's
        // index has the parity of a1's. Past the last change both candidates are sentinels.
        let b1_i = ref_i + ((ref_i ^ cur_i) & 1);
        let Some(&[b1, b2]) = reference.get(b1_i..b1_i + 2) else {
            break;
        };
        // a1 - b1 in -3..=3 is 0..=6 here, and anything else far above it.
        let vertical = a1.wrapping_sub(b1).wrapping_add(3);
        if b2 < a1 {
            w.put(out, PASS.0, PASS.1);
            from = b2 + 1;
        } else if let Some(&(code, bits)) = VERTICAL.get(vertical as usize) {
            w.put(out, code, bits);
            from = a1 + 1;
            cur_i += 1;
        } else {
            let black = cur_i & 1 == 1;
            w.put(out, HORIZONTAL.0, HORIZONTAL.1);
            // The first run starts at a0, or at 0 on the first code of the line.
            put_run(&mut w, out, black, a1 - from.saturating_sub(1));
            put_run(&mut w, out, !black, a2 - a1);
            from = a2 + 1;
            cur_i += 2;
        }
        if from > width {
            break;
        }
    }
    writer.bits = w;
}

/// Encodes a whole page into one strip.
pub fn encode(bitmap: &Bitmap, scheme: Scheme) -> Vec<u8> {
    let width = bitmap.width();
    let mut w = BitWriter::with_capacity(bitmap.height() as usize * 8);
    let mut reference: Vec<u32> = vec![width; SENTINELS];
    let mut current: Vec<u32> = Vec::with_capacity(64);
    for y in 0..bitmap.height() {
        bitmap.changes(y, &mut current);
        current.extend_from_slice(&[width; SENTINELS]);
        match scheme {
            Scheme::Group4 => encode_2d(&mut w, &reference, &current, width),
            Scheme::Group3TwoD { k } => {
                // Fill so that the EOL ends on a byte boundary (T4Options bit 2).
                let fill = (w.bits_to_byte_boundary() + 8 - 4) % 8;
                w.put(0, fill);
                put_code(&mut w, EOL);
                let one_d = k <= 1 || y % k == 0;
                w.put(u32::from(one_d), 1);
                if one_d {
                    encode_1d(&mut w, &current[..current.len() - SENTINELS], width);
                } else {
                    encode_2d(&mut w, &reference, &current, width);
                }
            }
        }
        std::mem::swap(&mut reference, &mut current);
    }
    if scheme == Scheme::Group4 {
        put_code(&mut w, EOL);
        put_code(&mut w, EOL);
    }
    w.finish()
}

/// The encoder the fast one replaced, whole (bit writer, code tables, coding loop) and on
/// pixel-by-pixel change lists: the specification the output must match byte for byte.
#[cfg(test)]
mod reference {
    use fax::maps::{black, white};

    use super::Scheme;
    use crate::media::fax::bitmap::Bitmap;

    struct BitWriter {
        out: Vec<u8>,
        acc: u64,
        len: u32,
    }

    impl BitWriter {
        fn with_capacity(bytes: usize) -> Self {
            BitWriter {
                out: Vec::with_capacity(bytes),
                acc: 0,
                len: 0,
            }
        }

        /// Appends the low `bits` (at most 32) bits of `code`. Whole 32-bit words go to the
        /// output, so most code words cost no store at all.
        #[inline]
        fn put(&mut self, code: u32, bits: u32) {
            debug_assert!(bits <= 32 && self.len < 32);
            let mask = (1u64 << bits) - 1;
            self.acc = (self.acc << bits) | (u64::from(code) & mask);
            self.len += bits;
            if self.len >= 32 {
                self.len -= 32;
                let word = (self.acc >> self.len) as u32;
                self.out.extend_from_slice(&word.to_be_bytes());
            }
        }

        fn bits_to_byte_boundary(&self) -> u32 {
            (8 - self.len % 8) % 8
        }

        fn finish(mut self) -> Vec<u8> {
            let pad = self.bits_to_byte_boundary();
            self.put(0, pad);
            while self.len >= 8 {
                self.len -= 8;
                self.out.push((self.acc >> self.len) as u8);
            }
            self.out
        }
    }

    const EOL: (u32, u32) = (1, 12);
    const PASS: (u32, u32) = (0b0001, 4);
    const HORIZONTAL: (u32, u32) = (0b001, 3);
    /// Vertical mode codes for a1 - b1 = -3..=3.
    const VERTICAL: [(u32, u32); 7] = [
        (0b0000010, 7),
        (0b000010, 6),
        (0b010, 3),
        (0b1, 1),
        (0b011, 3),
        (0b000011, 6),
        (0b0000011, 7),
    ];

    fn put_code(w: &mut BitWriter, (code, bits): (u32, u32)) {
        w.put(code, bits);
    }

    /// Writes one run: make-up codes (2560 at a time, then a multiple of 64), then a terminating code.
    fn put_run(w: &mut BitWriter, black_run: bool, mut n: u32) {
        let table = if black_run {
            &black::ENTRIES
        } else {
            &white::ENTRIES
        };
        let mut emit = |n: u32| {
            // Table layout: 0..=63 terminating codes, then make-up codes 64..=2560 in steps of 64.
            let index = if n >= 64 { 63 + n / 64 } else { n } as usize;
            let (_, bits) = table[index];
            w.put(u32::from(bits.data), u32::from(bits.len));
        };
        while n >= 2560 {
            emit(2560);
            n -= 2560;
        }
        if n >= 64 {
            emit(n & !63);
            n &= 63;
        }
        emit(n);
    }

    /// Codes one line one-dimensionally (Modified Huffman): alternating runs from white.
    fn encode_1d(w: &mut BitWriter, changes: &[u32], width: u32) {
        let mut pos = 0;
        let mut black_run = false;
        for &c in changes.iter().chain(std::iter::once(&width)) {
            put_run(w, black_run, c - pos);
            pos = c;
            black_run = !black_run;
        }
    }

    /// Codes one line against its reference line (T.4 §4.2.1.3 / T.6 two-dimensional coding).
    /// Both lists are colour changes (< width), followed by two `width` sentinels.
    fn encode_2d(w: &mut BitWriter, reference: &[u32], current: &[u32], width: u32) {
        let width_i = i64::from(width);
        let mut a0: i64 = -1;
        // Colour of the run starting at a0: false = white.
        let mut black = false;
        let mut cur_i = 0usize;
        let mut ref_i = 0usize;
        loop {
            // a1: first change on the coding line right of a0.
            while i64::from(current[cur_i]) <= a0 && current[cur_i] < width {
                cur_i += 1;
            }
            let a1 = i64::from(current[cur_i]);
            // b1: first change on the reference line right of a0 and of the colour opposite
            // a0's colour; even indices are changes to black.
            while ref_i > 0 && i64::from(reference[ref_i - 1]) > a0 {
                ref_i -= 1;
            }
            while i64::from(reference[ref_i]) <= a0 && reference[ref_i] < width {
                ref_i += 1;
            }
            if (ref_i % 2 == 1) != black && reference[ref_i] < width {
                ref_i += 1;
            }
            let b1 = i64::from(reference[ref_i]);
            let b2 = i64::from(reference[(ref_i + 1).min(reference.len() - 1)]);

            if b2 < a1 {
                put_code(w, PASS);
                a0 = b2;
            } else if (a1 - b1).abs() <= 3 {
                put_code(w, VERTICAL[(a1 - b1 + 3) as usize]);
                a0 = a1;
                black = !black;
            } else {
                let a2 = i64::from(current[(cur_i + 1).min(current.len() - 1)]);
                put_code(w, HORIZONTAL);
                let start = a0.max(0);
                put_run(w, black, (a1 - start) as u32);
                put_run(w, !black, (a2 - a1) as u32);
                a0 = a2;
            }
            if a0 >= width_i {
                break;
            }
        }
    }

    /// Encodes a whole page into one strip, as [`super::encode`] must.
    pub(super) fn encode(bitmap: &Bitmap, scheme: Scheme) -> Vec<u8> {
        let width = bitmap.width();
        let mut w = BitWriter::with_capacity(bitmap.height() as usize * 8);
        let mut reference: Vec<u32> = vec![width, width];
        let mut current: Vec<u32> = Vec::with_capacity(64);
        for y in 0..bitmap.height() {
            changes(bitmap, y, &mut current);
            current.push(width);
            current.push(width);
            match scheme {
                Scheme::Group4 => encode_2d(&mut w, &reference, &current, width),
                Scheme::Group3TwoD { k } => {
                    // Fill so that the EOL ends on a byte boundary (T4Options bit 2).
                    let fill = (w.bits_to_byte_boundary() + 8 - 4) % 8;
                    w.put(0, fill);
                    put_code(&mut w, EOL);
                    let one_d = k <= 1 || y % k == 0;
                    w.put(u32::from(one_d), 1);
                    if one_d {
                        encode_1d(&mut w, &current[..current.len() - 2], width);
                    } else {
                        encode_2d(&mut w, &reference, &current, width);
                    }
                }
            }
            std::mem::swap(&mut reference, &mut current);
        }
        if scheme == Scheme::Group4 {
            put_code(&mut w, EOL);
            put_code(&mut w, EOL);
        }
        w.finish()
    }

    /// Colour changes of row `y`, pixel by pixel.
    fn changes(bitmap: &Bitmap, y: u32, out: &mut Vec<u32>) {
        out.clear();
        let mut before = false;
        for x in 0..bitmap.width() {
            let black = bitmap.is_black(x, y);
            if black != before {
                out.push(x);
            }
            before = black;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::fax::binarize::binarize;
    use crate::media::fax::ccitt_decode::{Coding, decode};

    use crate::media::fax::test_rng::Rng;

    const SCHEMES: [Scheme; 4] = [
        Scheme::Group4,
        Scheme::Group3TwoD { k: 1 },
        Scheme::Group3TwoD { k: 2 },
        Scheme::Group3TwoD { k: 4 },
    ];

    /// Widths around every word, chunk and byte boundary, and past two make-up codes.
    const WIDTHS: [u32; 19] = [
        1, 2, 7, 8, 9, 15, 16, 17, 63, 64, 65, 127, 128, 129, 200, 1728, 1729, 2561, 5200,
    ];

    fn assert_encodes_like_the_reference(page: &Bitmap, what: &str) {
        for scheme in SCHEMES {
            assert_eq!(
                encode(page, scheme),
                reference::encode(page, scheme),
                "{what}, {} x {}, {scheme:?}",
                page.width(),
                page.height()
            );
        }
    }

    fn page_where(width: u32, height: u32, black: impl Fn(u32, u32) -> bool) -> Bitmap {
        let mut page = Bitmap::new(width, height);
        for y in 0..height {
            for x in (0..width).filter(|&x| black(x, y)) {
                page.set_black(x, y);
            }
        }
        page
    }

    /// Runs of random length: `mean` pixels on average, each line independent of the last.
    fn random_runs(rng: &mut Rng, width: u32, height: u32, mean: u64) -> Bitmap {
        let mut page = Bitmap::new(width, height);
        for y in 0..height {
            let mut black = rng.below(2) == 0;
            for x in 0..width {
                if rng.below(mean) == 0 {
                    black = !black;
                }
                if black {
                    page.set_black(x, y);
                }
            }
        }
        page
    }

    #[test]
    fn run_length_code_words_fit_their_lengths() {
        // The bit writer appends code words unmasked.
        for (_, bits) in white::ENTRIES.iter().chain(black::ENTRIES.iter()) {
            assert_eq!(u32::from(bits.data) >> bits.len, 0, "{bits:?}");
        }
    }

    #[test]
    fn random_pages_encode_like_the_reference() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for width in WIDTHS {
            for mean in [1, 2, 5, 30, 400] {
                let page = random_runs(&mut rng, width, 12, mean);
                assert_encodes_like_the_reference(&page, &format!("mean run {mean}"));
            }
        }
    }

    #[test]
    fn lines_that_change_a_little_from_the_one_above_encode_like_the_reference() {
        // Edges that drift by a few pixels from line to line: vertical, pass and horizontal
        // codes all occur, as on scanned text.
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        for width in WIDTHS {
            let mut page = Bitmap::new(width, 40);
            let mut edges: Vec<u32> = Vec::new();
            for y in 0..40 {
                if rng.below(6) == 0 || edges.is_empty() {
                    edges = (0..rng.below(12))
                        .map(|_| rng.below(u64::from(width)) as u32)
                        .collect();
                }
                for e in &mut edges {
                    *e = (*e + rng.below(9) as u32).saturating_sub(4).min(width);
                }
                edges.sort_unstable();
                edges.dedup();
                page.fill_row_from_changes(y, &edges);
            }
            assert_encodes_like_the_reference(&page, "drifting edges");
        }
    }

    #[test]
    fn lines_repeating_the_one_above_encode_like_the_reference() {
        let mut rng = Rng(0x0bad_cafe_f00d_d00d);
        for width in WIDTHS {
            let lines = random_runs(&mut rng, width, 3, 4);
            let mut page = Bitmap::new(width, 12);
            for y in 0..12 {
                page.row_mut(y).copy_from_slice(lines.row(y / 5));
            }
            assert_encodes_like_the_reference(&page, "repeated lines");
        }
    }

    #[test]
    fn uniform_pages_encode_like_the_reference() {
        for width in WIDTHS {
            assert_encodes_like_the_reference(&Bitmap::new(width, 5), "white");
            assert_encodes_like_the_reference(&page_where(width, 5, |_, _| true), "black");
        }
    }

    #[test]
    fn alternating_pixels_encode_like_the_reference() {
        for width in WIDTHS {
            let checker = page_where(width, 6, |x, y| (x + y) % 2 == 0);
            assert_encodes_like_the_reference(&checker, "checkerboard");
            let stripes = page_where(width, 6, |x, _| x % 2 == 1);
            assert_encodes_like_the_reference(&stripes, "one-pixel stripes");
        }
    }

    #[test]
    fn thin_strokes_encode_like_the_reference() {
        for width in WIDTHS {
            let page = page_where(width, 30, |x, y| {
                x == y || x + y == width || x % 61 == 3 || y % 11 == 0 && x % 7 < 3
            });
            assert_encodes_like_the_reference(&page, "thin strokes");
        }
    }

    #[test]
    fn runs_across_word_boundaries_encode_like_the_reference() {
        for width in [64, 65, 128, 200, 1728] {
            for start in [0, 1, 62, 63, 64, 65, 127] {
                let page = page_where(width, 4, |x, y| {
                    x >= start && x < start + 1 + y * 63 || x + 1 == width && y == 3
                });
                assert_encodes_like_the_reference(&page, &format!("run from {start}"));
            }
        }
    }

    #[test]
    fn runs_longer_than_the_largest_make_up_code_encode_like_the_reference() {
        let page = page_where(9000, 6, |x, y| match y {
            0 => x >= 2560,
            1 => x < 2560 * 2 + 64,
            2 => (100..2700).contains(&x) || x >= 5121,
            3 => x == 8999,
            4 => x >= 10,
            _ => false,
        });
        assert_encodes_like_the_reference(&page, "long runs");
    }

    #[test]
    fn dithered_photos_encode_like_the_reference() {
        let (width, height) = (1001u32, 48u32);
        let gray: Vec<u8> = (0..width * height)
            .map(|i| ((i % width) * 255 / width + (i / width) * 3) as u8)
            .collect();
        let page = binarize(&gray, width, height);
        assert_encodes_like_the_reference(&page, "dithered gradient");
    }

    fn sample_page() -> Bitmap {
        let mut page = Bitmap::new(1728, 64);
        for y in 0..64u32 {
            for x in 0..1728u32 {
                let diagonal = (x + y) % 97 < 3;
                let block = (100..1700).contains(&x) && (20..30).contains(&y);
                let checker = x < 64 && (x / 2 + y) % 2 == 0;
                if diagonal || block || checker || x == 1727 {
                    page.set_black(x, y);
                }
            }
        }
        page
    }

    #[test]
    fn group4_round_trips_through_an_independent_decoder() {
        let page = sample_page();
        let data = encode(&page, Scheme::Group4);
        let decoded = decode(&data, 1728, 64, Coding::Group4).expect("decodes");
        assert_eq!(decoded, page);
    }

    #[test]
    fn group4_output_is_read_identically_by_the_fax_crate_decoder() {
        let page = sample_page();
        let data = encode(&page, Scheme::Group4);
        let mut decoded = Bitmap::new(1728, 64);
        let mut y = 0;
        fax::decoder::decode_g4(data.into_iter(), 1728, Some(64), |changes| {
            decoded.fill_row_from_changes(y, changes);
            y += 1;
        })
        .expect("fax crate decodes");
        assert_eq!(y, 64);
        assert_eq!(decoded, page);
    }

    #[test]
    fn group3_two_d_round_trips_through_an_independent_decoder() {
        let page = sample_page();
        let data = encode(&page, Scheme::Group3TwoD { k: 4 });
        let coding = Coding::Group3 {
            two_d: true,
            byte_aligned: true,
        };
        let decoded = decode(&data, 1728, 64, coding).expect("decodes");
        assert_eq!(decoded, page);
    }

    #[test]
    fn group3_lines_start_with_an_eol_ending_on_a_byte_boundary() {
        let page = Bitmap::new(1728, 2);
        let data = encode(&page, Scheme::Group3TwoD { k: 2 });
        // Line 1: 4 fill bits + EOL (0000 0000 0000 0001), tag 1, white 1728 (make-up 1728
        // = 010011011, terminating 0 = 00110101)...
        assert_eq!(&data[..2], &[0x00, 0x01]);
    }

    #[test]
    fn white_page_encodes_to_a_few_bytes_per_line_in_group4() {
        let page = Bitmap::new(1728, 2292);
        let data = encode(&page, Scheme::Group4);
        // One V0 bit per line plus EOFB.
        assert_eq!(data.len(), 2292usize.div_ceil(8) + 3);
    }
}
