//! TIFF reading: a bounds-checked directory walker for classic TIFF (enough to pass CCITT
//! strips straight into a PDF and to decode Group 3, which the `tiff` crate cannot), and
//! page decoding to grey or bi-level pixels for every other compression via the `tiff` crate.
//! It does not resample or binarise (see `resample` and `binarize`).

use std::cell::RefCell;
use std::io::Cursor;

use super::FaxError;
use super::bitmap::Bitmap;
use super::ccitt_decode::{self, Coding};
use super::read_at::ReadAt;

/// What one TIFF directory says about its image.
#[derive(Debug, Clone, Default)]
pub struct PageInfo {
    pub width: u32,
    pub height: u32,
    pub bits_per_sample: u16,
    pub samples_per_pixel: u16,
    pub compression: u16,
    pub photometric: u16,
    pub fill_order: u16,
    pub t4_options: u32,
    pub rows_per_strip: u32,
    pub strip_offsets: Vec<u64>,
    pub strip_byte_counts: Vec<u64>,
    pub tiled: bool,
    x_resolution: Option<f64>,
    y_resolution: Option<f64>,
    resolution_unit: u16,
    pub color_map: Vec<u16>,
}

impl PageInfo {
    /// Pixels per inch across and down. Missing resolutions are taken as fax fine
    /// (204 x 196) for 1728-wide images and 200 dpi square otherwise.
    pub fn dpi(&self) -> (f64, f64) {
        let to_inch = match self.resolution_unit {
            3 => 2.54,
            _ => 1.0,
        };
        let valid = |v: Option<f64>| v.filter(|v| v.is_finite() && *v >= 1.0 && *v <= 10_000.0);
        let fallback = if self.width == 1728 {
            (204.0, 196.0)
        } else {
            (200.0, 200.0)
        };
        // ResolutionUnit 1 ("no unit") gives only an aspect ratio; keep the fallback scale.
        if self.resolution_unit == 1 {
            return fallback;
        }
        match (valid(self.x_resolution), valid(self.y_resolution)) {
            (Some(x), Some(y)) => (x * to_inch, y * to_inch),
            (Some(x), None) => (x * to_inch, x * to_inch),
            (None, Some(y)) => (y * to_inch, y * to_inch),
            (None, None) => fallback,
        }
    }

    /// CCITT coding of this page, if it is a bi-level CCITT image.
    pub fn ccitt_coding(&self) -> Option<Coding> {
        if self.bits_per_sample > 1 || self.samples_per_pixel > 1 || self.tiled {
            return None;
        }
        match self.compression {
            2 => Some(Coding::ModifiedHuffman),
            3 => Some(Coding::Group3 {
                two_d: self.t4_options & 1 != 0,
                byte_aligned: self.t4_options & 4 != 0,
            }),
            4 => Some(Coding::Group4),
            _ => None,
        }
    }
}

/// A decoded page before it is put on the fax grid.
#[derive(Debug)]
pub enum PageImage {
    Bilevel(Bitmap),
    /// 8-bit luminance, 0 = black, row-major, no padding.
    Gray {
        width: u32,
        height: u32,
        pixels: Vec<u8>,
    },
}

/// Reads a TIFF's structure through a window: a directory's entries and the values stored
/// next to them cost one read of the file, not one per entry.
struct Reader<'a> {
    src: &'a dyn ReadAt,
    little: bool,
    window: RefCell<Window>,
}

#[derive(Default)]
struct Window {
    at: u64,
    bytes: Vec<u8>,
}

/// Directories with their values fit in this many bytes in the files fax machines and libtiff
/// write; larger requests read exactly what they ask for.
const WINDOW: u64 = 4096;

impl<'a> Reader<'a> {
    fn new(src: &'a dyn ReadAt, little: bool) -> Self {
        Self {
            src,
            little,
            window: RefCell::default(),
        }
    }

    /// Hands the `len` bytes at `at` to `f`; an error if they run past the end of the file.
    fn with_bytes<T>(&self, at: u64, len: u64, f: impl FnOnce(&[u8]) -> T) -> Result<T, FaxError> {
        let end = at.checked_add(len).ok_or_else(truncated)?;
        if end > self.src.size() {
            return Err(truncated());
        }
        if let Some(data) = self.src.as_slice() {
            return slice_at(data, at, len).map(f);
        }
        let mut window = self.window.borrow_mut();
        let cached = at >= window.at && end <= window.at + window.bytes.len() as u64;
        if !cached {
            let size = len.max(WINDOW).min(self.src.size() - at);
            window
                .bytes
                .resize(usize::try_from(size).map_err(|_| truncated())?, 0);
            self.src
                .read_exact_at(&mut window.bytes, at)
                .map_err(|e| FaxError::CorruptImage(format!("TIFF cannot be read: {e}")))?;
            window.at = at;
        }
        let start = (at - window.at) as usize;
        Ok(f(&window.bytes[start..start + len as usize]))
    }

    fn u16(&self, at: u64) -> Result<u16, FaxError> {
        let b = self.with_bytes(at, 2, |b| [b[0], b[1]])?;
        Ok(if self.little {
            u16::from_le_bytes(b)
        } else {
            u16::from_be_bytes(b)
        })
    }

    fn u32(&self, at: u64) -> Result<u32, FaxError> {
        let b = self.with_bytes(at, 4, |b| [b[0], b[1], b[2], b[3]])?;
        Ok(if self.little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    }

    fn u8(&self, at: u64) -> Result<u8, FaxError> {
        self.with_bytes(at, 1, |b| b[0])
    }
}

/// The `len` bytes at `at` of `data`, bounds-checked.
fn slice_at(data: &[u8], at: u64, len: u64) -> Result<&[u8], FaxError> {
    let start = usize::try_from(at).map_err(|_| truncated())?;
    let len = usize::try_from(len).map_err(|_| truncated())?;
    let end = start.checked_add(len).ok_or_else(truncated)?;
    data.get(start..end).ok_or_else(truncated)
}

fn truncated() -> FaxError {
    FaxError::CorruptImage("TIFF structure points past the end of the file".into())
}

/// True when the bytes start like a classic or BigTIFF file.
pub fn looks_like_tiff(data: &[u8]) -> bool {
    data.starts_with(b"II*\0")
        || data.starts_with(b"MM\0*")
        || data.starts_with(b"II+\0")
        || data.starts_with(b"MM\0+")
}

/// Reads every directory of a classic TIFF. Stops with an error after `max_pages` pages so
/// a looping or enormous directory chain costs nothing.
pub fn read_directories(src: &dyn ReadAt, max_pages: u32) -> Result<Vec<PageInfo>, FaxError> {
    let mut head = [0u8; 4];
    src.read_exact_at(&mut head, 0)
        .map_err(|_| FaxError::UnknownFormat)?;
    if head == *b"II+\0" || head == *b"MM\0+" {
        return Err(FaxError::Unsupported("BigTIFF files".into()));
    }
    if !looks_like_tiff(&head) {
        return Err(FaxError::UnknownFormat);
    }
    let r = Reader::new(src, head[0] == b'I');
    let mut offset = u64::from(r.u32(4)?);
    let mut pages = Vec::new();
    // Ordered, not hashed: no random seed to draw for a set that usually holds a few entries.
    let mut seen = std::collections::BTreeSet::new();
    while offset != 0 {
        if !seen.insert(offset) {
            return Err(FaxError::CorruptImage("TIFF directory chain loops".into()));
        }
        if pages.len() as u32 >= max_pages {
            return Err(FaxError::TooManyPages { limit: max_pages });
        }
        let (page, next) = read_directory(&r, offset)?;
        pages.push(page);
        offset = next;
    }
    if pages.is_empty() {
        return Err(FaxError::CorruptImage("TIFF has no images".into()));
    }
    Ok(pages)
}

fn read_directory(r: &Reader<'_>, offset: u64) -> Result<(PageInfo, u64), FaxError> {
    let count = u64::from(r.u16(offset)?);
    let mut page = PageInfo {
        bits_per_sample: 1,
        samples_per_pixel: 1,
        compression: 1,
        photometric: 0,
        fill_order: 1,
        resolution_unit: 2,
        rows_per_strip: u32::MAX,
        ..PageInfo::default()
    };
    for i in 0..count {
        let entry = offset + 2 + i * 12;
        let tag = r.u16(entry)?;
        let kind = r.u16(entry + 2)?;
        let n = u64::from(r.u32(entry + 4)?);
        let size = match kind {
            1 | 2 | 6 | 7 => 1,
            3 | 8 => 2,
            4 | 9 | 11 => 4,
            5 | 10 | 12 => 8,
            _ => continue,
        };
        let total = n.checked_mul(size).ok_or_else(truncated)?;
        let at = if total <= 4 {
            entry + 8
        } else {
            u64::from(r.u32(entry + 8)?)
        };
        let ints = |limit: u64| -> Result<Vec<u64>, FaxError> {
            if n > limit {
                return Err(FaxError::CorruptImage(format!(
                    "TIFF tag {tag} has {n} values"
                )));
            }
            (0..n)
                .map(|k| match kind {
                    1 | 7 => r.u8(at + k).map(u64::from),
                    3 => r.u16(at + k * 2).map(u64::from),
                    4 => r.u32(at + k * 4).map(u64::from),
                    _ => Err(FaxError::CorruptImage(format!(
                        "TIFF tag {tag} has type {kind}"
                    ))),
                })
                .collect()
        };
        // Scalar tags are read in place: directories are walked for every page of every
        // document, and most of their entries hold one value.
        let first = |limit: u64| -> Result<u64, FaxError> {
            if n > limit {
                return Err(FaxError::CorruptImage(format!(
                    "TIFF tag {tag} has {n} values"
                )));
            }
            if n == 0 {
                return Err(FaxError::CorruptImage(format!("TIFF tag {tag} is empty")));
            }
            r.with_bytes(at, total, |_| ())?;
            match kind {
                1 | 7 => r.u8(at).map(u64::from),
                3 => r.u16(at).map(u64::from),
                4 => r.u32(at).map(u64::from),
                _ => Err(FaxError::CorruptImage(format!(
                    "TIFF tag {tag} has type {kind}"
                ))),
            }
        };
        let rational = || -> Result<Option<f64>, FaxError> {
            if kind != 5 || n == 0 {
                return Ok(None);
            }
            let num = r.u32(at)?;
            let den = r.u32(at + 4)?;
            Ok((den != 0).then(|| f64::from(num) / f64::from(den)))
        };
        let small = |v: u64| u16::try_from(v).unwrap_or(u16::MAX);
        let long = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
        match tag {
            256 => page.width = long(first(1)?),
            257 => page.height = long(first(1)?),
            258 => page.bits_per_sample = small(first(16)?),
            259 => page.compression = small(first(1)?),
            262 => page.photometric = small(first(1)?),
            266 => page.fill_order = small(first(1)?),
            273 => page.strip_offsets = ints(1 << 20)?,
            277 => page.samples_per_pixel = small(first(1)?),
            278 => page.rows_per_strip = long(first(1)?),
            279 => page.strip_byte_counts = ints(1 << 20)?,
            282 => page.x_resolution = rational()?,
            283 => page.y_resolution = rational()?,
            292 => page.t4_options = long(first(1)?),
            296 => page.resolution_unit = small(first(1)?),
            320 => page.color_map = ints(3 * 65536)?.into_iter().map(small).collect(),
            322..=325 => page.tiled = true,
            _ => {}
        }
    }
    let next = u64::from(r.u32(offset + 2 + count * 12)?);
    if page.width == 0 || page.height == 0 {
        return Err(FaxError::CorruptImage(
            "TIFF image has no width or height".into(),
        ));
    }
    Ok((page, next))
}

/// Returns the concatenated strip bytes of a page, checked against the file.
fn strip(data: &[u8], page: &PageInfo, index: usize) -> Result<Vec<u8>, FaxError> {
    let offset = page
        .strip_offsets
        .get(index)
        .copied()
        .ok_or_else(|| FaxError::CorruptImage("TIFF strip offsets missing".into()))?;
    let len = page
        .strip_byte_counts
        .get(index)
        .copied()
        .ok_or_else(|| FaxError::CorruptImage("TIFF strip byte counts missing".into()))?;
    let bytes = slice_at(data, offset, len)?;
    Ok(if page.fill_order == 2 {
        bytes.iter().map(|b| b.reverse_bits()).collect()
    } else {
        bytes.to_vec()
    })
}

/// Decodes a CCITT page strip by strip; each strip is coded independently.
pub fn decode_ccitt_page(data: &[u8], page: &PageInfo, coding: Coding) -> Result<Bitmap, FaxError> {
    let rows_per_strip = page.rows_per_strip.clamp(1, page.height);
    let strips = page.height.div_ceil(rows_per_strip) as usize;
    let mut bitmap = Bitmap::new(page.width, page.height);
    for index in 0..strips {
        let first_row = index as u32 * rows_per_strip;
        let rows = rows_per_strip.min(page.height - first_row);
        let bytes = strip(data, page, index)?;
        let part = ccitt_decode::decode(&bytes, page.width, rows, coding)?;
        for y in 0..rows {
            bitmap.row_mut(first_row + y).copy_from_slice(part.row(y));
        }
    }
    if page.photometric == 1 {
        for y in 0..bitmap.height() {
            for byte in bitmap.row_mut(y) {
                *byte = !*byte;
            }
        }
        // Bits past the width in the last byte must stay white.
        let spare = (8 - page.width % 8) % 8;
        if spare > 0 {
            let mask = !((1u8 << spare) - 1);
            for y in 0..bitmap.height() {
                if let Some(last) = bitmap.row_mut(y).last_mut() {
                    *last &= mask;
                }
            }
        }
    }
    Ok(bitmap)
}

/// Decodes page `index` of any supported TIFF to pixels.
pub fn decode_page(data: &[u8], page: &PageInfo, index: usize) -> Result<PageImage, FaxError> {
    if let Some(coding) = page.ccitt_coding() {
        return decode_ccitt_page(data, page, coding).map(PageImage::Bilevel);
    }
    decode_with_tiff_crate(data, page, index)
}

fn decode_with_tiff_crate(
    data: &[u8],
    page: &PageInfo,
    index: usize,
) -> Result<PageImage, FaxError> {
    use tiff::ColorType;
    use tiff::decoder::{Decoder, DecodingResult};

    let corrupt =
        |e: tiff::TiffError| FaxError::CorruptImage(format!("TIFF page {}: {e}", index + 1));
    let mut decoder = Decoder::new(Cursor::new(data)).map_err(corrupt)?;
    decoder.seek_to_image(index).map_err(corrupt)?;
    let color = decoder.colortype().map_err(corrupt)?;
    let (width, height) = decoder.dimensions().map_err(corrupt)?;
    let image = decoder.read_image().map_err(|e| match e {
        tiff::TiffError::UnsupportedError(u) => {
            FaxError::Unsupported(format!("TIFF page {}: {u}", index + 1))
        }
        other => corrupt(other),
    })?;
    let pixel_count = width as usize * height as usize;
    let samples: Vec<u8> = match image {
        DecodingResult::U8(v) => v,
        DecodingResult::U16(v) => v.into_iter().map(|s| (s >> 8) as u8).collect(),
        _ => {
            return Err(FaxError::Unsupported(format!(
                "TIFF page {} sample format",
                index + 1
            )));
        }
    };
    // The tiff crate hands back min-is-white data already inverted: 0 is black throughout.
    let gray: Vec<u8> = match color {
        ColorType::Gray(1) => {
            let mut bitmap = Bitmap::new(width, height);
            let stride = (width as usize).div_ceil(8);
            let spare = (8 - width % 8) % 8;
            let last_mask = !((1u16 << spare) - 1) as u8;
            for y in 0..height {
                let src = samples
                    .get(y as usize * stride..(y as usize + 1) * stride)
                    .ok_or_else(truncated)?;
                let row = bitmap.row_mut(y);
                for (d, s) in row.iter_mut().zip(src) {
                    *d = !*s;
                }
                if let Some(last) = row.last_mut() {
                    *last &= last_mask;
                }
            }
            return Ok(PageImage::Bilevel(bitmap));
        }
        ColorType::Gray(8) | ColorType::Gray(16) => {
            samples.iter().take(pixel_count).copied().collect()
        }
        ColorType::GrayA(8) | ColorType::GrayA(16) => samples
            .chunks_exact(2)
            .map(|p| blend_on_white(p[0], p[1]))
            .collect(),
        ColorType::RGB(8) | ColorType::RGB(16) => samples
            .chunks_exact(3)
            .map(|p| luma(p[0], p[1], p[2]))
            .collect(),
        ColorType::RGBA(8) | ColorType::RGBA(16) => samples
            .chunks_exact(4)
            .map(|p| blend_on_white(luma(p[0], p[1], p[2]), p[3]))
            .collect(),
        ColorType::CMYK(8) => samples
            .chunks_exact(4)
            .map(|p| {
                let k = 255 - u32::from(p[3]);
                let c = |v: u8| ((255 - u32::from(v)) * k / 255) as u8;
                luma(c(p[0]), c(p[1]), c(p[2]))
            })
            .collect(),
        ColorType::Palette(bits) if bits <= 8 => {
            palette_to_gray(&samples, width, height, bits, page)?
        }
        other => {
            return Err(FaxError::Unsupported(format!(
                "TIFF page {} colour type {other:?}",
                index + 1
            )));
        }
    };
    if gray.len() < pixel_count {
        return Err(truncated());
    }
    Ok(PageImage::Gray {
        width,
        height,
        pixels: gray,
    })
}

fn palette_to_gray(
    samples: &[u8],
    width: u32,
    height: u32,
    bits: u8,
    page: &PageInfo,
) -> Result<Vec<u8>, FaxError> {
    let entries = 1usize << bits;
    if page.color_map.len() < 3 * entries {
        return Err(FaxError::CorruptImage("TIFF palette is missing".into()));
    }
    let map = &page.color_map;
    let lut: Vec<u8> = (0..entries)
        .map(|i| {
            luma(
                (map[i] >> 8) as u8,
                (map[entries + i] >> 8) as u8,
                (map[2 * entries + i] >> 8) as u8,
            )
        })
        .collect();
    let stride = (width as usize * bits as usize).div_ceil(8);
    let mut gray = Vec::with_capacity(width as usize * height as usize);
    for y in 0..height as usize {
        let row = samples
            .get(y * stride..(y + 1) * stride)
            .ok_or_else(truncated)?;
        for x in 0..width as usize {
            let bit = x * bits as usize;
            let byte = row[bit / 8];
            let index = if bits == 8 {
                byte as usize
            } else {
                let shift = 8 - bits as usize - bit % 8;
                (byte as usize >> shift) & (entries - 1)
            };
            gray.push(lut[index]);
        }
    }
    Ok(gray)
}

fn luma(r: u8, g: u8, b: u8) -> u8 {
    ((u32::from(r) * 77 + u32::from(g) * 150 + u32::from(b) * 29) >> 8) as u8
}

fn blend_on_white(v: u8, alpha: u8) -> u8 {
    let a = u32::from(alpha);
    ((u32::from(v) * a + 255 * (255 - a)) / 255) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(width: u32, x: Option<f64>, y: Option<f64>, unit: u16) -> PageInfo {
        PageInfo {
            width,
            x_resolution: x,
            y_resolution: y,
            resolution_unit: unit,
            ..PageInfo::default()
        }
    }

    #[test]
    fn centimetre_resolutions_are_converted_to_inches() {
        let (x, y) = info(800, Some(80.0), Some(40.0), 3).dpi();
        assert!((x - 203.2).abs() < 1e-9 && (y - 101.6).abs() < 1e-9);
    }

    #[test]
    fn fax_width_without_resolution_is_taken_as_fine() {
        assert_eq!(info(1728, None, None, 2).dpi(), (204.0, 196.0));
        assert_eq!(info(1000, None, None, 2).dpi(), (200.0, 200.0));
    }

    #[test]
    fn directory_chain_that_loops_is_refused() {
        // Header pointing at an IFD whose next-IFD pointer points at itself.
        let mut t = b"II*\0\x08\0\0\0".to_vec();
        t.extend_from_slice(&2u16.to_le_bytes());
        for (tag, value) in [(256u16, 8u32), (257, 8)] {
            t.extend_from_slice(&tag.to_le_bytes());
            t.extend_from_slice(&4u16.to_le_bytes());
            t.extend_from_slice(&1u32.to_le_bytes());
            t.extend_from_slice(&value.to_le_bytes());
        }
        t.extend_from_slice(&8u32.to_le_bytes());
        let err = read_directories(&t.as_slice(), 100).expect_err("loops");
        assert!(err.to_string().contains("loops"), "{err}");
    }

    #[test]
    fn directory_pointing_past_the_end_is_refused() {
        let t = b"II*\0\xff\xff\0\0".to_vec();
        assert!(matches!(
            read_directories(&t.as_slice(), 100),
            Err(FaxError::CorruptImage(_))
        ));
    }
}
