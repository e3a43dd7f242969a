//! Grey to bi-level conversion for fax: text and line art are thresholded so strokes stay
//! crisp, continuous-tone areas (photos, tinted fills) are dithered so they stay readable.
//! The choice is made per 16x16 block from how many mid-tone pixels it holds: anti-aliased
//! text has mid-tones only along glyph edges, a photo has them almost everywhere.
//! Pure pixel logic; no I/O, no resampling.
//!
//! One pass over the pixels: each 16-pixel chunk of a row becomes both its thresholded and
//! its dithered bits at once, plus its mid-tone count, and grey levels are never stored. A
//! block's class depends on the blocks below it, so the dithered bits of the last two block
//! rows wait in a small buffer and replace the thresholded ones in continuous-tone blocks.

use std::ops::Range;

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

/// Grey level of a premultiplied RGBA pixel laid on white paper. Pages are rendered on a
/// transparent background (the renderer then skips compositing every row over an opaque
/// one), and over white each channel gains `255 - alpha`. The luma weights sum to 256, so
/// the luma of the composite is the pixel's own luma plus `255 - alpha`, exactly as if the
/// renderer had painted the white itself. Colour above alpha (not premultiplied, which no
/// renderer makes) is clamped to white.
#[inline]
fn grey_over_white(px: &[u8]) -> u8 {
    let luma = (u32::from(px[0]) * 77 + u32::from(px[1]) * 150 + u32::from(px[2]) * 29) >> 8;
    (luma + 255 - u32::from(px[3])).min(255) as u8
}

/// Smallest grey level that stays white against dither screen value `screen` (0..=15).
fn dither_limit(screen: u8) -> u8 {
    ((u32::from(screen) + 1) * 256).div_ceil(17) as u8
}

/// What one chunk of up to 16 pixels of a row contributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ChunkBits {
    /// Packed bytes of the row (most significant bit first) as text.
    text: [u8; 2],
    /// The same bytes as continuous tone.
    dither: [u8; 2],
    /// Mid-tone pixels, scaled to a full chunk.
    mid: u32,
}

/// A chunk in which nothing is dark enough to be black either way, nor mid-tone.
const WHITE_CHUNK: ChunkBits = ChunkBits {
    text: [0; 2],
    dither: [0; 2],
    mid: 0,
};

/// The dither screen of one row, repeated across a chunk.
#[derive(Clone, Copy)]
struct RowScreen {
    /// Per pixel of a chunk, the grey level below which it is black.
    limits: [u8; BLOCK],
    #[cfg(target_arch = "x86_64")]
    vector: sse2::Screen,
}

impl RowScreen {
    fn new(y: usize) -> Self {
        let cluster_row = &CLUSTER[y % 4];
        let limits = std::array::from_fn(|k| dither_limit(cluster_row[k % 4]));
        RowScreen {
            limits,
            #[cfg(target_arch = "x86_64")]
            vector: sse2::Screen::new(&limits),
        }
    }
}

/// Buffers kept from page to page by a worker, so a page allocates nothing.
#[derive(Debug, Default)]
pub struct Scratch {
    /// Dithered bits of two block rows, the one being classified and the one below it.
    dither: Vec<u8>,
    /// Mid-tone pixels per block, scaled to a full block width.
    mid: Vec<u32>,
    photo: Vec<bool>,
}

/// Converts premultiplied RGBA on a transparent background (as the PDF renderer produces),
/// laid on white paper, into `out`, which is resized to the page if it is not already and
/// overwritten whole. Blank chunks (all bytes zero), most of a fax page, are recognised on
/// the RGBA bytes and never converted to grey. The whole page at once, which the tests
/// compare with the reference; the renderer feeds [`RgbaBinarizer`] a band at a time.
#[cfg(test)]
pub fn binarize_rgba(
    rgba: &[u8],
    width: u32,
    height: u32,
    scratch: &mut Scratch,
    out: &mut Bitmap,
) {
    let mut page = RgbaBinarizer::new(width, height, scratch, out);
    let whole_rows = vec![0..width as u16; height as usize];
    page.band(0, rgba, &whole_rows);
    page.finish();
}

/// [`binarize_rgba`] fed a band of rows at a time, top to bottom, as the renderer finishes
/// them, so each band is read while it is still in cache.
pub struct RgbaBinarizer<'a> {
    page: Binarizing<'a>,
}

impl<'a> RgbaBinarizer<'a> {
    pub fn new(width: u32, height: u32, scratch: &'a mut Scratch, out: &'a mut Bitmap) -> Self {
        RgbaBinarizer {
            page: Binarizing::new(width, height, scratch, out),
        }
    }

    /// Rows `first_row..` of the page as RGBA, `4 * width` bytes a row, of which only the
    /// columns `painted[row]` are read: the rest is white paper (the renderer leaves those
    /// bytes stale). Bands come in page order and each starts on a block row (a multiple of
    /// 16) and ends on one or at the page's end.
    // Out of line, so that profiles show binarising as a stage of its own.
    #[inline(never)]
    pub fn band(&mut self, first_row: u32, rgba: &[u8], painted: &[Range<u16>]) {
        let row_len = self.page.width * 4;
        let first = first_row as usize;
        let rows = rgba.len() / row_len;
        debug_assert!(first.is_multiple_of(BLOCK) && first == self.page.next_block_row * BLOCK);
        debug_assert!(rows.is_multiple_of(BLOCK) || first + rows == self.page.height);
        debug_assert_eq!(painted.len(), rows);
        for by in first / BLOCK..(first + rows).div_ceil(BLOCK) {
            self.page.block_row(by, |y, screen, text, dither, mid| {
                let at = (y - first) * row_len;
                let columns = painted.get(y - first).cloned().unwrap_or(0..0);
                let columns = usize::from(columns.start)..usize::from(columns.end);
                rgba_row_painted(&rgba[at..at + row_len], columns, screen, text, dither, mid);
            });
        }
    }

    /// Settles the last block row; the bitmap is complete.
    pub fn finish(self) {
        self.page.finish();
    }
}

/// Converts 8-bit luminance (0 = black) of `width` x `height` into a bitmap.
pub fn binarize(gray: &[u8], width: u32, height: u32) -> Bitmap {
    let w = width as usize;
    let mut out = Bitmap::new(width, height);
    let mut scratch = Scratch::default();
    binarize_with(
        width,
        height,
        &mut scratch,
        &mut out,
        |y, screen, text, dither, mid| {
            gray_row(&gray[y * w..(y + 1) * w], screen, text, dither, mid);
        },
    );
    out
}

/// Runs `row_bits(y, screen, text_row, dither_row, block_mid)` on every row, which writes the
/// row's thresholded and dithered bytes and adds its chunks' mid-tone counts to the blocks of
/// its block row; then puts the dithered bytes of continuous-tone blocks in place.
fn binarize_with(
    width: u32,
    height: u32,
    scratch: &mut Scratch,
    out: &mut Bitmap,
    mut row_bits: impl FnMut(usize, &RowScreen, &mut [u8], &mut [u8], &mut [u32]),
) {
    let mut page = Binarizing::new(width, height, scratch, out);
    for by in 0..page.height.div_ceil(BLOCK) {
        page.block_row(by, &mut row_bits);
    }
    page.finish();
}

/// A page being binarised a block row (16 rows) at a time. A block's class depends on the
/// blocks below it, so each block row is settled once the next one has been read.
struct Binarizing<'a> {
    width: usize,
    height: usize,
    stride: usize,
    blocks_x: usize,
    blocks_y: usize,
    scratch: &'a mut Scratch,
    out: &'a mut Bitmap,
    screens: [RowScreen; 4],
    next_block_row: usize,
}

impl<'a> Binarizing<'a> {
    fn new(width: u32, height: u32, scratch: &'a mut Scratch, out: &'a mut Bitmap) -> Self {
        if out.width() != width || out.height() != height {
            *out = Bitmap::new(width, height);
        }
        let (w, h) = (width as usize, height as usize);
        let stride = w.div_ceil(8);
        let blocks_x = w.div_ceil(BLOCK);
        let blocks_y = h.div_ceil(BLOCK);
        let Scratch { dither, mid, photo } = &mut *scratch;
        // Every row of a band is written before it is read, so stale bytes need no clearing.
        dither.resize(2 * BLOCK * stride, 0);
        mid.clear();
        mid.resize(blocks_x * blocks_y, 0);
        photo.clear();
        photo.resize(blocks_x, false);
        Binarizing {
            width: w,
            height: h,
            stride,
            blocks_x,
            blocks_y,
            scratch,
            out,
            screens: std::array::from_fn(RowScreen::new),
            next_block_row: 0,
        }
    }

    /// Where block row `by`'s dithered bytes wait: one of two slots.
    fn slot(&self, by: usize) -> usize {
        (by % 2) * BLOCK * self.stride
    }

    /// Reads block row `by` (the next one) through `row_bits`, then settles the one above.
    fn block_row(
        &mut self,
        by: usize,
        mut row_bits: impl FnMut(usize, &RowScreen, &mut [u8], &mut [u8], &mut [u32]),
    ) {
        debug_assert_eq!(by, self.next_block_row);
        let (stride, blocks_x, slot) = (self.stride, self.blocks_x, self.slot(by));
        let Scratch { dither, mid, .. } = &mut *self.scratch;
        let block_mid = &mut mid[by * blocks_x..(by + 1) * blocks_x];
        for y in by * BLOCK..((by + 1) * BLOCK).min(self.height) {
            let dither_row = &mut dither[slot + (y % BLOCK) * stride..][..stride];
            row_bits(
                y,
                &self.screens[y % 4],
                self.out.row_mut(y as u32),
                dither_row,
                block_mid,
            );
        }
        self.next_block_row = by + 1;
        // Block row `by - 1` now has the counts of its neighbours below.
        if let Some(done) = by.checked_sub(1) {
            self.settle(done);
        }
    }

    /// Puts the dithered bytes of block row `by`'s continuous-tone blocks in place.
    fn settle(&mut self, by: usize) {
        let (stride, slot) = (self.stride, self.slot(by));
        let Scratch { dither, mid, photo } = &mut *self.scratch;
        photo_blocks_in_row(mid, self.blocks_x, self.blocks_y, by, photo);
        for (bx, _) in photo.iter().enumerate().filter(|(_, p)| **p) {
            let bytes = bx * 2..(bx * 2 + 2).min(stride);
            for y in by * BLOCK..((by + 1) * BLOCK).min(self.height) {
                let dither_row = &dither[slot + (y % BLOCK) * stride..][..stride];
                self.out.row_mut(y as u32)[bytes.clone()]
                    .copy_from_slice(&dither_row[bytes.clone()]);
            }
        }
    }

    /// Settles the last block row.
    fn finish(mut self) {
        if let Some(last) = self.next_block_row.checked_sub(1) {
            self.settle(last);
        }
    }
}

/// Classifies the blocks of block row `by` as continuous-tone or not; needs the counts of
/// the rows above and below.
fn photo_blocks_in_row(
    mid: &[u32],
    blocks_x: usize,
    blocks_y: usize,
    by: usize,
    photo: &mut [bool],
) {
    let count = |bx: usize, by: usize| mid[by * blocks_x + bx] as usize;
    for (bx, p) in photo.iter_mut().enumerate() {
        let own = count(bx, by);
        *p = own > PHOTO_SHARE
            || (own > PHOTO_EDGE_SHARE
                && (by.saturating_sub(1)..=(by + 1).min(blocks_y - 1)).any(|ny| {
                    (bx.saturating_sub(1)..=(bx + 1).min(blocks_x - 1))
                        .any(|nx| count(nx, ny) > PHOTO_SHARE)
                }));
    }
}

/// One row of RGBA (`4 * width` bytes) into packed text and dither bytes and mid-tone counts.
fn rgba_row(src: &[u8], screen: &RowScreen, text: &mut [u8], dither: &mut [u8], mid: &mut [u32]) {
    #[cfg(target_arch = "x86_64")]
    sse2::rgba_row(src, screen, text, dither, mid);
    #[cfg(not(target_arch = "x86_64"))]
    rgba_row_with(src, screen, text, dither, mid, |px| {
        if is_blank(px) {
            WHITE_CHUNK
        } else {
            rgba_chunk_scalar(px, screen)
        }
    });
}

/// [`rgba_row`] of a row painted only in the pixel columns `painted`: the others are white
/// paper and are not read. The chunks at the ends of the painted columns are copied with the
/// unpainted pixels cleared, since their bytes are stale.
fn rgba_row_painted(
    src: &[u8],
    painted: Range<usize>,
    screen: &RowScreen,
    text: &mut [u8],
    dither: &mut [u8],
    mid: &mut [u32],
) {
    let width = src.len() / 4;
    let end = painted.end.min(width);
    let start = painted.start.min(end);
    if start == end {
        text.fill(0);
        dither.fill(0);
        return;
    }
    // Chunk `c` is pixels `c * BLOCK..`, packed into bytes `2 * c..`.
    let bytes_to = |chunk: usize| (chunk * BLOCK).min(width).div_ceil(8);
    let (mut first, mut last) = (start / BLOCK, end.div_ceil(BLOCK));
    text[..2 * first].fill(0);
    dither[..2 * first].fill(0);
    text[bytes_to(last)..].fill(0);
    dither[bytes_to(last)..].fill(0);
    let masked = |chunk: usize, text: &mut [u8], dither: &mut [u8], mid: &mut [u32]| {
        let (from, to) = (chunk * BLOCK, ((chunk + 1) * BLOCK).min(width));
        let mut px = [0u8; BLOCK * 4];
        let (keep_from, keep_to) = (start.max(from), end.min(to));
        px[(keep_from - from) * 4..(keep_to - from) * 4]
            .copy_from_slice(&src[keep_from * 4..keep_to * 4]);
        let bytes = 2 * chunk..bytes_to(chunk + 1);
        rgba_row(
            &px[..(to - from) * 4],
            screen,
            &mut text[bytes.clone()],
            &mut dither[bytes],
            &mut mid[chunk..=chunk],
        );
    };
    // A chunk cut at both ends is the first one here, and is left with nothing for the second.
    if !start.is_multiple_of(BLOCK) {
        masked(first, text, dither, mid);
        first += 1;
    }
    if first < last && end < (last * BLOCK).min(width) {
        last -= 1;
        masked(last, text, dither, mid);
    }
    if first < last {
        let bytes = 2 * first..bytes_to(last);
        rgba_row(
            &src[first * BLOCK * 4..(last * BLOCK).min(width) * 4],
            screen,
            &mut text[bytes.clone()],
            &mut dither[bytes],
            &mut mid[first..last],
        );
    }
}

/// Chunks tested for white together before any is looked at alone: on a blank stretch of a
/// line one test covers 64 pixels.
const GROUP: usize = 4;

/// [`rgba_row`] with `full_chunk` for the chunks of 16 pixels.
#[inline(always)]
fn rgba_row_with(
    src: &[u8],
    screen: &RowScreen,
    text: &mut [u8],
    dither: &mut [u8],
    mid: &mut [u32],
    mut full_chunk: impl FnMut(&[u8; BLOCK * 4]) -> ChunkBits,
) {
    let grouped = src.len() / (GROUP * BLOCK * 4) * GROUP;
    let (group_src, rest_src) = src.split_at(grouped * BLOCK * 4);
    let (group_text, rest_text) = text.split_at_mut(grouped * 2);
    let (group_dither, rest_dither) = dither.split_at_mut(grouped * 2);
    let (group_mid, rest_mid) = mid.split_at_mut(grouped);
    let groups = group_src
        .chunks_exact(GROUP * BLOCK * 4)
        .zip(group_text.chunks_exact_mut(GROUP * 2))
        .zip(group_dither.chunks_exact_mut(GROUP * 2))
        .zip(group_mid.chunks_exact_mut(GROUP));
    for (((px, t), d), m) in groups {
        if is_blank(px) {
            t.fill(0);
            d.fill(0);
        } else {
            rgba_chunks(px, screen, t, d, m, &mut full_chunk);
        }
    }
    rgba_chunks(
        rest_src,
        screen,
        rest_text,
        rest_dither,
        rest_mid,
        &mut full_chunk,
    );
}

/// The chunks of a stretch of row one by one, `full_chunk` for those of 16 pixels; the
/// stretch ends either on a chunk boundary or at the end of the row.
#[inline(always)]
fn rgba_chunks(
    src: &[u8],
    screen: &RowScreen,
    text: &mut [u8],
    dither: &mut [u8],
    mid: &mut [u32],
    mut full_chunk: impl FnMut(&[u8; BLOCK * 4]) -> ChunkBits,
) {
    let mut chunks = src.chunks_exact(BLOCK * 4);
    let full = text
        .chunks_exact_mut(2)
        .zip(dither.chunks_exact_mut(2))
        .zip(mid.iter_mut());
    for (((t, d), m), px) in full.zip(chunks.by_ref()) {
        let bits = match <&[u8; BLOCK * 4]>::try_from(px) {
            Ok(px) => full_chunk(px),
            Err(_) => rgba_chunk_scalar(px, screen),
        };
        t.copy_from_slice(&bits.text);
        d.copy_from_slice(&bits.dither);
        *m += bits.mid;
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let bits = rgba_chunk_scalar(rest, screen);
        put_ragged(rest.len() / 4, bits, text, dither, mid);
    }
}

/// True when every byte is 0 (nothing painted, so white paper). Eight bytes at a time and
/// without an early exit, so it compiles to a few vector ORs.
#[inline(always)]
fn is_blank(bytes: &[u8]) -> bool {
    let words = bytes.chunks_exact(8);
    let tail_blank = words.remainder().iter().all(|&b| b == 0);
    let any = words.fold(0, |acc, w| {
        acc | u64::from_ne_bytes(w.try_into().unwrap_or([0xff; 8]))
    });
    tail_blank && any == 0
}

/// The ragged chunk at the right edge: only the bytes it covers exist in the row.
fn put_ragged(pixels: usize, bits: ChunkBits, text: &mut [u8], dither: &mut [u8], mid: &mut [u32]) {
    let bytes = pixels.div_ceil(8);
    let first = text.len() - bytes;
    text[first..].copy_from_slice(&bits.text[..bytes]);
    dither[first..].copy_from_slice(&bits.dither[..bytes]);
    if let Some(m) = mid.last_mut() {
        *m += bits.mid;
    }
}

/// Up to 16 RGBA pixels, one at a time.
fn rgba_chunk_scalar(px: &[u8], screen: &RowScreen) -> ChunkBits {
    chunk_from_levels(px.chunks_exact(4).map(grey_over_white), screen)
}

/// Up to 16 grey levels: the bits of each rule and the mid-tone count scaled to a full chunk.
fn chunk_from_levels(levels: impl Iterator<Item = u8>, screen: &RowScreen) -> ChunkBits {
    let (mut text, mut dither, mut count, mut len) = (0u16, 0u16, 0u32, 0u32);
    for (k, v) in levels.enumerate() {
        let bit = (BLOCK - 1 - k) as u32;
        text |= u16::from(v < TEXT_THRESHOLD) << bit;
        dither |= u16::from(v < screen.limits[k]) << bit;
        count += u32::from(is_mid_tone(v));
        len += 1;
    }
    if len == 0 {
        return WHITE_CHUNK;
    }
    ChunkBits {
        text: text.to_be_bytes(),
        dither: dither.to_be_bytes(),
        mid: count * BLOCK as u32 / len,
    }
}

/// One row of grey levels into packed text and dither bytes and mid-tone counts.
fn gray_row(src: &[u8], screen: &RowScreen, text: &mut [u8], dither: &mut [u8], mid: &mut [u32]) {
    let mut chunks = src.chunks_exact(BLOCK);
    let full = text
        .chunks_exact_mut(2)
        .zip(dither.chunks_exact_mut(2))
        .zip(mid.iter_mut());
    for (((t, d), m), px) in full.zip(chunks.by_ref()) {
        let bits = chunk_from_levels(px.iter().copied(), screen);
        t.copy_from_slice(&bits.text);
        d.copy_from_slice(&bits.dither);
        *m += bits.mid;
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let bits = chunk_from_levels(rest.iter().copied(), screen);
        put_ragged(rest.len(), bits, text, dither, mid);
    }
}

/// The chunk kernel in SSE2, which every x86-64 processor has: four pixels a register,
/// luminance by multiply-add on 16-bit lanes, and each rule a byte compare and a movemask.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod sse2 {
    use std::arch::x86_64::{
        __m128i, _mm_add_epi32, _mm_and_si128, _mm_cmpeq_epi8, _mm_cvtsi128_si32,
        _mm_extract_epi16, _mm_madd_epi16, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_packs_epi32, _mm_packus_epi16, _mm_sad_epu8, _mm_set_epi64x, _mm_set1_epi8,
        _mm_set1_epi16, _mm_set1_epi32, _mm_setr_epi8, _mm_setzero_si128, _mm_shuffle_epi32,
        _mm_srai_epi32, _mm_srli_epi16, _mm_sub_epi8,
    };

    use super::{BLOCK, ChunkBits, RowScreen, TEXT_THRESHOLD, WHITE_CHUNK, rgba_row_with};

    /// A row's dither limits minus one, in the lane order the kernel produces grey levels.
    #[derive(Clone, Copy)]
    pub(super) struct Screen(__m128i);

    impl Screen {
        pub(super) fn new(limits: &[u8; BLOCK]) -> Self {
            // SAFETY: SSE2 is part of x86-64, so every processor this code runs on has it.
            unsafe { Self::new_sse2(limits) }
        }

        #[target_feature(enable = "sse2")]
        fn new_sse2(limits: &[u8; BLOCK]) -> Self {
            // `v < limit` is `min(v, limit - 1) == v`: SSE2 compares bytes unsigned only
            // through min and max. Limits are 16 at least, so nothing wraps.
            let l = |k: usize| limits[k].wrapping_sub(1) as i8;
            Screen(_mm_setr_epi8(
                l(7),
                l(6),
                l(5),
                l(4),
                l(3),
                l(2),
                l(1),
                l(0),
                l(15),
                l(14),
                l(13),
                l(12),
                l(11),
                l(10),
                l(9),
                l(8),
            ))
        }
    }

    /// [`super::rgba_row`] with the SSE2 chunk kernel.
    pub(super) fn rgba_row(
        src: &[u8],
        screen: &RowScreen,
        text: &mut [u8],
        dither: &mut [u8],
        mid: &mut [u32],
    ) {
        // SAFETY: SSE2 is part of x86-64, so every processor this code runs on has it.
        unsafe { rgba_row_sse2(src, screen, text, dither, mid) }
    }

    #[target_feature(enable = "sse2")]
    fn rgba_row_sse2(
        src: &[u8],
        screen: &RowScreen,
        text: &mut [u8],
        dither: &mut [u8],
        mid: &mut [u32],
    ) {
        rgba_row_with(src, screen, text, dither, mid, |px| {
            rgba_chunk(px, &screen.vector)
        });
    }

    /// Sixteen bytes in a register; from two words, which compiles to one unaligned load.
    #[inline]
    #[target_feature(enable = "sse2")]
    fn load(bytes: &[u8; 64], at: usize) -> __m128i {
        let word = |i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&bytes[i..i + 8]);
            i64::from_le_bytes(w)
        };
        _mm_set_epi64x(word(at + 8), word(at))
    }

    /// Grey levels on white paper of four RGBA pixels as 32-bit lanes, last pixel first
    /// (the scalar `grey_over_white`; above 255 where colour exceeds alpha, which the packs
    /// that follow saturate to white).
    #[inline]
    #[target_feature(enable = "sse2")]
    fn grey4(q: __m128i) -> __m128i {
        // Even bytes are red and blue, odd bytes green and alpha; one multiply-add weighs a
        // pair. Alpha weighs -256, so the arithmetic shift yields luma minus alpha exactly.
        let even = _mm_and_si128(q, _mm_set1_epi16(0x00ff));
        let odd = _mm_srli_epi16::<8>(q);
        let red_blue = _mm_madd_epi16(even, _mm_set1_epi32(77 | (29 << 16)));
        let green_alpha = _mm_madd_epi16(odd, _mm_set1_epi32(150 | (-256 << 16)));
        let luma_minus_alpha = _mm_srai_epi32::<8>(_mm_add_epi32(red_blue, green_alpha));
        let grey = _mm_add_epi32(luma_minus_alpha, _mm_set1_epi32(255));
        _mm_shuffle_epi32::<0b00_01_10_11>(grey)
    }

    /// `v <= max` per byte, as a movemask.
    #[inline]
    #[target_feature(enable = "sse2")]
    fn at_most(v: __m128i, max: __m128i) -> i32 {
        _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(v, max), v))
    }

    #[inline]
    #[target_feature(enable = "sse2")]
    fn rgba_chunk(px: &[u8; 64], screen: &Screen) -> ChunkBits {
        let q = [load(px, 0), load(px, 16), load(px, 32), load(px, 48)];
        let any = _mm_or_si128(_mm_or_si128(q[0], q[1]), _mm_or_si128(q[2], q[3]));
        if _mm_movemask_epi8(_mm_cmpeq_epi8(any, _mm_setzero_si128())) == 0xffff {
            return WHITE_CHUNK;
        }
        // Pixels 7..0 then 15..8, so that each half's movemask is a packed row byte, most
        // significant bit first.
        let low = _mm_packs_epi32(grey4(q[1]), grey4(q[0]));
        let high = _mm_packs_epi32(grey4(q[3]), grey4(q[2]));
        let v = _mm_packus_epi16(low, high);
        let text = at_most(v, _mm_set1_epi8((TEXT_THRESHOLD - 1) as i8));
        let dither = at_most(v, screen.0);
        // Mid-tone is 40..=215: shifted down by 40 (wrapping), at most 175.
        let shifted = _mm_sub_epi8(v, _mm_set1_epi8(40));
        let mid = _mm_cmpeq_epi8(_mm_min_epu8(shifted, _mm_set1_epi8(175u8 as i8)), shifted);
        let ones = _mm_and_si128(mid, _mm_set1_epi8(1));
        let sums = _mm_sad_epu8(ones, _mm_setzero_si128());
        let count = _mm_cvtsi128_si32(sums) + _mm_extract_epi16::<4>(sums);
        ChunkBits {
            text: (text as u16).to_le_bytes(),
            dither: (dither as u16).to_le_bytes(),
            mid: count as u32,
        }
    }
}

/// The pixel-by-pixel binariser the fast one replaced, kept as the specification it must
/// match bit for bit.
#[cfg(test)]
mod reference {
    use super::{
        BLOCK, CLUSTER, PHOTO_EDGE_SHARE, PHOTO_SHARE, TEXT_THRESHOLD, dither_limit,
        grey_over_white, is_mid_tone,
    };
    use crate::media::fax::bitmap::Bitmap;

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
    }

    /// Converts premultiplied RGBA laid on white paper into a bitmap, reusing `luma` as
    /// scratch space between pages; every pixel is converted, one at a time.
    ///
    /// Works one band of block rows at a time: a band's grey levels are thresholded while they
    /// are still in cache, one band behind the statistics (a block's class depends on the
    /// blocks below it), so the scratch holds two bands instead of a page.
    pub(super) fn binarize_rgba(
        rgba: &[u8],
        width: u32,
        height: u32,
        luma: &mut Vec<u8>,
    ) -> Bitmap {
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

    /// Converts block row `by` of the RGBA page into `band` (16 rows of grey levels) and
    /// records its block statistics.
    fn luma_band(
        rgba: &[u8],
        w: usize,
        h: usize,
        by: usize,
        band: &mut [u8],
        stats: &mut BlockStats,
    ) {
        for y in by * BLOCK..((by + 1) * BLOCK).min(h) {
            let src_row = &rgba[y * w * 4..(y + 1) * w * 4];
            let dst_row = &mut band[(y % BLOCK) * w..][..w];
            for (bx, (src, dst)) in src_row
                .chunks(BLOCK * 4)
                .zip(dst_row.chunks_mut(BLOCK))
                .enumerate()
            {
                for (d, p) in dst.iter_mut().zip(src.chunks_exact(4)) {
                    *d = grey_over_white(p);
                }
                stats.add(y, bx, dst);
            }
        }
    }

    /// Converts 8-bit luminance (0 = black) of `width` x `height` into a bitmap.
    pub(super) fn binarize(gray: &[u8], width: u32, height: u32) -> Bitmap {
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
            let photo_limits: [u8; BLOCK] =
                std::array::from_fn(|k| dither_limit(cluster_row[k % 4]));
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
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::media::fax::test_rng::Rng;

    /// Opaque RGBA of grey level `v`.
    fn grey(v: u8) -> [u8; 4] {
        [v, v, v, 255]
    }

    /// A random colour of random opacity, premultiplied as the renderer stores it.
    fn translucent(rng: &mut Rng) -> [u8; 4] {
        let alpha = rng.byte();
        let channel = |c: u8| (u16::from(c) * u16::from(alpha) / 255) as u8;
        [
            channel(rng.byte()),
            channel(rng.byte()),
            channel(rng.byte()),
            alpha,
        ]
    }

    /// Premultiplied RGBA composited over opaque white, channel by channel, as a renderer
    /// painting the paper itself would store it.
    fn over_white(px: &[u8]) -> [u8; 4] {
        let paper = 255 - px[3];
        [px[0] + paper, px[1] + paper, px[2] + paper, 255]
    }

    /// A page painted like a rendered document: blank (transparent), with text-like strokes
    /// of anti-aliased edges, a few photo-like gradients and noisy and translucent patches,
    /// and pixels near each threshold. Pixels are chosen per 16-pixel chunk so that white chunks, mixed
    /// chunks and busy chunks all occur, at every alignment of a ragged right edge.
    fn document_page(rng: &mut Rng, width: usize, height: usize) -> Vec<u8> {
        let mut rgba = vec![0u8; width * height * 4];
        let mut put = |x: usize, y: usize, px: [u8; 4]| {
            rgba[(y * width + x) * 4..][..4].copy_from_slice(&px);
        };
        let near_edges = [
            0u8, 39, 40, 41, 166, 167, 168, 169, 214, 215, 216, 249, 250, 254,
        ];
        for y in 0..height {
            for x in 0..width {
                let region = ((x / 16) * 7 + (y / 16) * 13 + (x / 40)) % 9;
                let px = match region {
                    0..=2 => continue,
                    3 => grey(((x * 3 + y * 5) % 256) as u8),
                    4 => [rng.byte(), rng.byte(), rng.byte(), 255],
                    5 if x % 5 == 0 || y % 7 == 0 => grey(near_edges[rng.below(14) as usize]),
                    6 => translucent(rng),
                    7 if rng.below(4) == 0 => grey(rng.byte() | 0xf0),
                    8 => grey(((x + y) % 2 * 255) as u8),
                    _ => continue,
                };
                put(x, y, px);
            }
        }
        rgba
    }

    /// The fast binariser's bitmap for an RGBA page, on fresh buffers.
    fn fast_rgba(rgba: &[u8], width: usize, height: usize) -> Bitmap {
        let mut out = Bitmap::new(1, 1);
        binarize_rgba(
            rgba,
            width as u32,
            height as u32,
            &mut Scratch::default(),
            &mut out,
        );
        out
    }

    fn reference_rgba(rgba: &[u8], width: usize, height: usize) -> Bitmap {
        reference::binarize_rgba(rgba, width as u32, height as u32, &mut Vec::new())
    }

    /// The fast binariser gives `reference_rgba`'s bitmap for this page; `case` names it.
    fn assert_matches_reference(rgba: &[u8], width: usize, height: usize, case: &str) {
        assert_eq!(
            fast_rgba(rgba, width, height),
            reference_rgba(rgba, width, height),
            "{case}"
        );
    }

    const WIDTHS: [usize; 14] = [1, 5, 8, 13, 16, 17, 31, 33, 64, 70, 100, 129, 250, 1728];
    const HEIGHTS: [usize; 6] = [1, 7, 16, 17, 40, 65];

    #[test]
    fn rgba_document_pages_match_the_reference_at_every_ragged_width() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for width in WIDTHS {
            for height in HEIGHTS {
                let rgba = document_page(&mut rng, width, height);
                assert_matches_reference(&rgba, width, height, &format!("{width} x {height}"));
            }
        }
    }

    #[test]
    fn rgba_random_noise_matches_the_reference() {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        for width in [16, 45, 96, 333] {
            let height = 50;
            let rgba: Vec<u8> = (0..width * height * 4).map(|_| rng.byte()).collect();
            assert_matches_reference(&rgba, width, height, &format!("width {width}"));
        }
    }

    #[test]
    fn rgba_every_grey_level_in_every_lane_matches_the_reference() {
        // Each row holds all 256 levels, shifted by one lane per row, over a photo-like
        // background so that both the text and the dither rule see every level.
        let (width, height) = (256, 64);
        let rgba: Vec<u8> = (0..height)
            .flat_map(|y| (0..width).flat_map(move |x| grey(((x + y * 17) % 256) as u8)))
            .collect();
        assert_matches_reference(&rgba, width, height, "");
    }

    #[test]
    fn rgba_uniform_pages_match_the_reference() {
        for (name, px) in [
            ("blank", [0; 4]),
            ("opaque white", [255; 4]),
            ("black", grey(0)),
            ("mid grey", grey(128)),
            ("half-transparent black", [0, 0, 0, 128]),
            ("colour above alpha", [255, 255, 255, 0]),
        ] {
            let (width, height) = (100, 37);
            let rgba = px.repeat(width * height);
            assert_matches_reference(&rgba, width, height, name);
        }
    }

    #[test]
    fn grey_over_white_is_the_luma_of_the_pixel_composited_over_white() {
        let mut rng = Rng(0x5851_f42d_4c95_7f2d);
        for alpha in 0..=255u8 {
            for _ in 0..64 {
                let mut px = translucent(&mut rng);
                px[3] = alpha;
                px[..3].iter_mut().for_each(|c| *c = (*c).min(alpha));
                let [r, g, b, _] = over_white(&px);
                let luma = (u32::from(r) * 77 + u32::from(g) * 150 + u32::from(b) * 29) >> 8;
                assert_eq!(u32::from(grey_over_white(&px)), luma, "{px:?}");
            }
        }
    }

    #[test]
    fn a_page_on_a_transparent_background_binarises_as_the_same_page_painted_on_white() {
        let mut rng = Rng(0x3c6e_f372_fe94_f82b);
        for (width, height) in [(1728, 48), (333, 65), (17, 17)] {
            let rgba = document_page(&mut rng, width, height);
            let painted: Vec<u8> = rgba.chunks_exact(4).flat_map(over_white).collect();
            assert_eq!(
                fast_rgba(&rgba, width, height),
                fast_rgba(&painted, width, height),
                "{width} x {height}"
            );
        }
    }

    #[test]
    fn rgba_alternating_pixels_match_the_reference() {
        let (width, height) = (77, 33);
        let rgba: Vec<u8> = (0..width * height)
            .flat_map(|i| {
                grey(if (i % width + i / width) % 2 == 0 {
                    0
                } else {
                    255
                })
            })
            .collect();
        assert_matches_reference(&rgba, width, height, "");
    }

    #[test]
    fn rgba_one_dark_pixel_on_a_blank_line_matches_the_reference_wherever_it_is() {
        let (width, height) = (203, 203);
        let mut rgba = [0u8; 4].repeat(width * height);
        for y in 0..height {
            rgba[(y * width + y) * 4..][..4].copy_from_slice(&grey((y * 37 % 200) as u8));
        }
        assert_matches_reference(&rgba, width, height, "");
    }

    #[test]
    fn a_page_fed_in_bands_binarises_as_the_whole_page() {
        let mut rng = Rng(0x6a09_e667_f3bc_c908);
        // 150 rows: nine whole block rows and a short one, so the last band is ragged.
        let (width, height) = (333, 150);
        let rgba = document_page(&mut rng, width, height);
        let whole = reference_rgba(&rgba, width, height);
        for band_rows in [16, 32, 64, 144, 160] {
            let mut scratch = Scratch::default();
            let mut out = Bitmap::new(1, 1);
            let mut page = RgbaBinarizer::new(width as u32, height as u32, &mut scratch, &mut out);
            for (i, band) in rgba.chunks(band_rows * width * 4).enumerate() {
                let painted = vec![0..width as u16; band.len() / (width * 4)];
                page.band((i * band_rows) as u32, band, &painted);
            }
            page.finish();
            assert_eq!(out, whole, "bands of {band_rows} rows");
        }
    }

    /// Painted columns for each row: none (an empty range anywhere), the whole row, and spans
    /// starting and ending at every alignment to the 16-pixel chunks, within one chunk, and
    /// to the ragged right edge.
    fn painted_columns(rng: &mut Rng, width: usize, height: usize) -> Vec<Range<u16>> {
        (0..height)
            .map(|y| {
                let (a, b) = match y % 6 {
                    0 => {
                        let at = rng.below(width as u64 + 1) as usize;
                        (at, at)
                    }
                    1 => (0, width),
                    2 => (rng.below(width as u64) as usize, width),
                    3 => {
                        let start = rng.below(width as u64) as usize;
                        (start, (start + rng.below(16) as usize + 1).min(width))
                    }
                    _ => {
                        let a = rng.below(width as u64 + 1) as usize;
                        let b = rng.below(width as u64 + 1) as usize;
                        (a.min(b), a.max(b))
                    }
                };
                a as u16..b as u16
            })
            .collect()
    }

    #[test]
    fn only_the_painted_columns_of_a_row_are_read() {
        let mut rng = Rng(0xbb67_ae85_84ca_a73b);
        for width in [333, 1728] {
            let height = 150;
            let page = document_page(&mut rng, width, height);
            let painted = painted_columns(&mut rng, width, height);
            // What the renderer hands over: the page where painted, stale bytes elsewhere;
            // and the page it stands for, transparent outside the painted columns.
            let mut stale = page.clone();
            let mut meant = page;
            for (y, columns) in painted.iter().enumerate() {
                for x in (0..width).filter(|x| !columns.contains(&(*x as u16))) {
                    let at = (y * width + x) * 4;
                    stale[at..at + 4].copy_from_slice(&[0, 0, 0, 255]);
                    meant[at..at + 4].fill(0);
                }
            }
            // Buffers as a worker has them after a black page: every bit left set.
            let mut scratch = Scratch::default();
            let mut out = Bitmap::new(1, 1);
            let black = [0, 0, 0, 255].repeat(width * height);
            binarize_rgba(&black, width as u32, height as u32, &mut scratch, &mut out);
            let mut binarizer =
                RgbaBinarizer::new(width as u32, height as u32, &mut scratch, &mut out);
            for (i, band) in stale.chunks(32 * width * 4).enumerate() {
                let rows = i * 32..i * 32 + band.len() / (width * 4);
                binarizer.band(rows.start as u32, band, &painted[rows]);
            }
            binarizer.finish();
            assert_eq!(out, reference_rgba(&meant, width, height), "width {width}");
        }
    }

    #[test]
    fn reused_buffers_carry_nothing_from_one_page_to_the_next() {
        let mut rng = Rng(0x1234_5678_9abc_def1);
        let (width, height) = (200, 90);
        let busy: Vec<u8> = (0..width * height * 4).map(|_| rng.byte()).collect();
        let sparse = document_page(&mut rng, width, height);
        let mut scratch = Scratch::default();
        let mut out = Bitmap::new(width as u32, height as u32);
        for rgba in [&busy, &sparse, &busy] {
            binarize_rgba(rgba, width as u32, height as u32, &mut scratch, &mut out);
            assert_eq!(out, reference_rgba(rgba, width, height));
        }
    }

    #[test]
    fn a_bitmap_of_another_size_is_replaced_by_one_of_the_page_size() {
        let rgba = grey(0).repeat(40 * 20);
        let mut out = Bitmap::new(1728, 3);
        binarize_rgba(&rgba, 40, 20, &mut Scratch::default(), &mut out);
        assert_eq!((out.width(), out.height()), (40, 20));
        assert_eq!(out.black_count(), 40 * 20);
    }

    #[test]
    fn grey_pages_match_the_reference() {
        let mut rng = Rng(0x0bad_cafe_f00d_d00d);
        for width in WIDTHS {
            for height in [1, 16, 33] {
                let rgba = document_page(&mut rng, width, height);
                let gray: Vec<u8> = rgba.chunks_exact(4).map(grey_over_white).collect();
                assert_eq!(
                    binarize(&gray, width as u32, height as u32),
                    reference::binarize(&gray, width as u32, height as u32),
                    "{width} x {height}"
                );
            }
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn sse2_chunk_kernel_matches_the_scalar_one() {
        let mut rng = Rng(0xfeed_face_dead_beef);
        for y in 0..4000 {
            let screen = RowScreen::new(y);
            let px: [u8; 64] = std::array::from_fn(|i| match y % 4 {
                0 => rng.byte(),
                1 if i % 4 == 3 => 255,
                1 => 160u8.wrapping_add(rng.byte() % 64),
                _ => rng.byte() | 0xc0,
            });
            let mut fast = ([0u8; 2], [0u8; 2], [0u32]);
            sse2::rgba_row(&px, &screen, &mut fast.0, &mut fast.1, &mut fast.2);
            let slow = rgba_chunk_scalar(&px, &screen);
            assert_eq!(
                (fast.0, fast.1, fast.2[0]),
                (slow.text, slow.dither, slow.mid),
                "{px:?}"
            );
        }
    }

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
