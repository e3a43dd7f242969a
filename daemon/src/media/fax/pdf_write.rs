//! Minimal PDF writer for fax pages: one page per image, each page exactly the image's
//! physical size, each image an XObject whose CCITT data is stored as-is with
//! `/CCITTFaxDecode`. printpdf 0.12 cannot take a pre-encoded CCITT stream, so the few
//! objects are written here. It does not decode or encode image data.
//!
//! Image data passed through from a TIFF is read from the source file page by page, as the
//! page is written, through one buffer the size of a strip.

use std::borrow::Cow;
use std::io::{self, Write};

use super::read_at::ReadAt;

/// One image page for the PDF.
#[derive(Debug, Clone)]
pub struct CcittImage<'a> {
    pub columns: u32,
    pub rows: u32,
    /// PDF `/K`: -1 Group 4, 0 Group 3 1-D, > 0 Group 3 2-D.
    pub k: i32,
    pub encoded_byte_align: bool,
    pub end_of_line: bool,
    /// True when the data's "black" runs are white on paper (TIFF min-is-black).
    pub black_is_1: bool,
    /// Page size in PDF points.
    pub width_pt: f64,
    pub height_pt: f64,
    pub data: ImageData<'a>,
    /// The data is stored least significant bit first (TIFF FillOrder 2); PDF wants MSB
    /// first, so each byte is bit-reversed on the way out.
    pub lsb_first: bool,
}

/// Where a page's CCITT data is.
#[derive(Debug, Clone)]
pub enum ImageData<'a> {
    /// In memory: a page encoded here.
    Bytes(Cow<'a, [u8]>),
    /// A strip of the source document, read when its page is written.
    Stored { offset: u64, len: u64 },
}

impl ImageData<'_> {
    fn len(&self) -> u64 {
        match self {
            ImageData::Bytes(bytes) => bytes.len() as u64,
            ImageData::Stored { len, .. } => *len,
        }
    }
}

/// Counts what goes through, for the cross-reference table.
struct Counting<W> {
    inner: W,
    written: usize,
}

impl<W: Write> Counting<W> {
    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.inner.write_all(bytes)?;
        self.written += bytes.len();
        Ok(())
    }
}

/// Serialises a PDF whose pages show the given images full-page into `out`. Image data is
/// streamed from where it lies (`Stored` data from `source`), bit-reversed through a small
/// buffer where needed, never gathered into one document-sized buffer.
pub fn write_pdf(
    out: &mut dyn Write,
    images: &[CcittImage<'_>],
    source: &dyn ReadAt,
) -> io::Result<()> {
    let mut out = Counting {
        inner: out,
        written: 0,
    };
    let mut offsets: Vec<usize> = Vec::with_capacity(2 + images.len() * 3);
    // Object dictionaries are built here and written in one piece each.
    let mut text: Vec<u8> = Vec::with_capacity(512);
    out.put(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")?;

    // Object numbers: 1 catalog, 2 pages, then per page: page, contents, image.
    let page_obj = |i: usize| 3 + i * 3;

    offsets.push(out.written);
    out.put(b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n")?;

    offsets.push(out.written);
    text.clear();
    text.extend_from_slice(b"2 0 obj\n<< /Type /Pages /Count ");
    push_int(&mut text, images.len() as i64);
    text.extend_from_slice(b" /Kids [ ");
    for i in 0..images.len() {
        push_int(&mut text, page_obj(i) as i64);
        text.extend_from_slice(b" 0 R ");
    }
    text.extend_from_slice(b"] >>\nendobj\n");
    out.put(&text)?;

    let mut content: Vec<u8> = Vec::with_capacity(64);
    let mut flipped = Vec::new();
    for (i, image) in images.iter().enumerate() {
        let page = page_obj(i);
        content.clear();
        content.extend_from_slice(b"q ");
        push_num(&mut content, image.width_pt);
        content.extend_from_slice(b" 0 0 ");
        push_num(&mut content, image.height_pt);
        content.extend_from_slice(b" 0 0 cm /Im0 Do Q\n");

        begin_object(&mut offsets, out.written, &mut text, page);
        text.extend_from_slice(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ");
        push_num(&mut text, image.width_pt);
        text.push(b' ');
        push_num(&mut text, image.height_pt);
        text.extend_from_slice(b"] /Resources << /XObject << /Im0 ");
        push_int(&mut text, page as i64 + 2);
        text.extend_from_slice(b" 0 R >> >> /Contents ");
        push_int(&mut text, page as i64 + 1);
        text.extend_from_slice(b" 0 R >>\nendobj\n");
        out.put(&text)?;

        begin_object(&mut offsets, out.written, &mut text, page + 1);
        text.extend_from_slice(b"<< /Length ");
        push_int(&mut text, content.len() as i64);
        text.extend_from_slice(b" >>\nstream\n");
        text.extend_from_slice(&content);
        text.extend_from_slice(b"endstream\nendobj\n");
        out.put(&text)?;

        begin_object(&mut offsets, out.written, &mut text, page + 2);
        text.extend_from_slice(b"<< /Type /XObject /Subtype /Image /Width ");
        push_int(&mut text, i64::from(image.columns));
        text.extend_from_slice(b" /Height ");
        push_int(&mut text, i64::from(image.rows));
        text.extend_from_slice(
            b" /ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /CCITTFaxDecode /DecodeParms << /K ",
        );
        push_int(&mut text, i64::from(image.k));
        text.extend_from_slice(b" /Columns ");
        push_int(&mut text, i64::from(image.columns));
        text.extend_from_slice(b" /Rows ");
        push_int(&mut text, i64::from(image.rows));
        text.extend_from_slice(b" /EndOfBlock false");
        if image.encoded_byte_align {
            text.extend_from_slice(b" /EncodedByteAlign true");
        }
        if image.end_of_line {
            text.extend_from_slice(b" /EndOfLine true");
        }
        if image.black_is_1 {
            text.extend_from_slice(b" /BlackIs1 true");
        }
        text.extend_from_slice(b" >> /Length ");
        push_int(
            &mut text,
            i64::try_from(image.data.len()).unwrap_or(i64::MAX),
        );
        text.extend_from_slice(b" >>\nstream\n");
        out.put(&text)?;
        match &image.data {
            ImageData::Bytes(bytes) if image.lsb_first => {
                for chunk in bytes.chunks(FLIP_CHUNK) {
                    flipped.clear();
                    flipped.extend_from_slice(chunk);
                    reverse_bits_in_bytes(&mut flipped);
                    out.put(&flipped)?;
                }
            }
            ImageData::Bytes(bytes) => out.put(bytes)?,
            ImageData::Stored { offset, len } => {
                let len = usize::try_from(*len)
                    .map_err(|_| io::Error::from(io::ErrorKind::OutOfMemory))?;
                flipped.resize(len, 0);
                source
                    .read_exact_at(&mut flipped, *offset)
                    .map_err(|e| io::Error::new(e.kind(), format!("reading the input: {e}")))?;
                if image.lsb_first {
                    reverse_bits_in_bytes(&mut flipped);
                }
                out.put(&flipped)?;
            }
        }
        out.put(b"\nendstream\nendobj\n")?;
    }

    let xref_at = out.written;
    text.clear();
    text.extend_from_slice(b"xref\n0 ");
    push_int(&mut text, offsets.len() as i64 + 1);
    text.extend_from_slice(b"\n0000000000 65535 f \n");
    for &offset in &offsets {
        push_padded(&mut text, offset as u64, 10);
        text.extend_from_slice(b" 00000 n \n");
    }
    text.extend_from_slice(b"trailer\n<< /Size ");
    push_int(&mut text, offsets.len() as i64 + 1);
    text.extend_from_slice(b" /Root 1 0 R >>\nstartxref\n");
    push_int(&mut text, xref_at as i64);
    text.extend_from_slice(b"\n%%EOF\n");
    out.put(&text)?;
    out.inner.flush()
}

/// Notes where object `number` starts (for the cross-reference table) and starts its text
/// afresh with the object header.
fn begin_object(offsets: &mut Vec<usize>, at: usize, text: &mut Vec<u8>, number: usize) {
    offsets.push(at);
    text.clear();
    push_int(text, number as i64);
    text.extend_from_slice(b" 0 obj\n");
}

/// Bit-reversed data goes out in pieces this size: cache-sized, and a page's strip is
/// never copied whole.
const FLIP_CHUNK: usize = 16 * 1024;

/// Reverses the bit order inside every byte (FillOrder 2 to 1). A plain loop: the compiler
/// turns it into table lookups sixteen bytes at a time.
fn reverse_bits_in_bytes(bytes: &mut [u8]) {
    for b in bytes {
        *b = b.reverse_bits();
    }
}

fn push_int(text: &mut Vec<u8>, v: i64) {
    push_padded_signed(text, v, 1);
}

fn push_padded_signed(text: &mut Vec<u8>, v: i64, width: usize) {
    if v < 0 {
        text.push(b'-');
    }
    push_padded(text, v.unsigned_abs(), width);
}

/// Decimal digits of `v`, zero-padded to at least `width`. Hand-rolled because the xref
/// table alone formats three numbers per page and `fmt` costs more than the page's data.
fn push_padded(text: &mut Vec<u8>, mut v: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    let start = at.min(digits.len().saturating_sub(width));
    text.extend_from_slice(&digits[start..]);
}

/// A non-negative length in points with at most four decimals and no trailing zeros.
fn push_num(text: &mut Vec<u8>, v: f64) {
    // Page sizes come from checked resolutions; anything else is a bug upstream, and a
    // zero keeps the PDF well-formed.
    let scaled = if v.is_finite() && v > 0.0 {
        (v * 10_000.0).round() as u64
    } else {
        0
    };
    push_padded(text, scaled / 10_000, 1);
    let mut frac = scaled % 10_000;
    if frac == 0 {
        return;
    }
    let mut places = 4;
    while frac % 10 == 0 {
        frac /= 10;
        places -= 1;
    }
    text.push(b'.');
    push_padded(text, frac, places);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(data: Vec<u8>, lsb_first: bool) -> CcittImage<'static> {
        CcittImage {
            columns: 8,
            rows: 1,
            k: -1,
            encoded_byte_align: false,
            end_of_line: false,
            black_is_1: false,
            width_pt: 100.0,
            height_pt: 50.5,
            data: ImageData::Bytes(Cow::Owned(data)),
            lsb_first,
        }
    }

    fn pdf_of(images: &[CcittImage<'_>]) -> Vec<u8> {
        let mut pdf = Vec::new();
        write_pdf(&mut pdf, images, &&[][..]).expect("writes to memory");
        pdf
    }

    #[test]
    fn xref_offsets_point_at_their_objects() {
        let one = image(vec![0x80, 0x01, 0x00], false);
        let pdf = pdf_of(&[one.clone(), one]);
        let text = String::from_utf8_lossy(&pdf);
        let xref = text.find("xref\n").expect("xref");
        let entries: Vec<usize> = text[xref..]
            .lines()
            .skip(3)
            .take(8)
            .map(|l| l[..10].parse().expect("offset"))
            .collect();
        assert_eq!(entries.len(), 8);
        for (i, offset) in entries.iter().enumerate() {
            assert!(pdf[*offset..].starts_with(format!("{} 0 obj", i + 1).as_bytes()));
        }
        assert!(text.contains("/MediaBox [0 0 100 50.5]"));
        let startxref: usize = text[text.find("startxref\n").expect("startxref") + 10..]
            .lines()
            .next()
            .and_then(|l| l.parse().ok())
            .expect("startxref value");
        assert!(pdf[startxref..].starts_with(b"xref\n"));
    }

    #[test]
    fn lsb_first_data_is_stored_msb_first() {
        let data: Vec<u8> = (0..=255u8).cycle().take(FLIP_CHUNK + 13).collect();
        let pdf = pdf_of(&[image(data.clone(), true)]);
        let expected: Vec<u8> = data.iter().map(|b| b.reverse_bits()).collect();
        let start = pdf
            .windows(10)
            .rposition(|w| w == b">>\nstream\n")
            .expect("image stream")
            + 10;
        assert_eq!(&pdf[start..start + expected.len()], &expected[..]);
    }

    #[test]
    fn stored_data_is_read_from_the_source_and_bit_reversed() {
        let source: Vec<u8> = (0..=255u8).collect();
        let mut stored = image(Vec::new(), true);
        stored.data = ImageData::Stored {
            offset: 16,
            len: 32,
        };
        let mut pdf = Vec::new();
        write_pdf(&mut pdf, &[stored], &source.as_slice()).expect("writes to memory");
        let expected: Vec<u8> = source[16..48].iter().map(|b| b.reverse_bits()).collect();
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("/Length 32 >>\nstream\n"), "{text}");
        let start = pdf
            .windows(10)
            .rposition(|w| w == b">>\nstream\n")
            .expect("image stream")
            + 10;
        assert_eq!(&pdf[start..start + 32], &expected[..]);
        assert_eq!(&pdf[start + 32..start + 43], b"\nendstream\n");
    }

    #[test]
    fn stored_data_past_the_end_of_the_source_is_an_error() {
        let mut stored = image(Vec::new(), false);
        stored.data = ImageData::Stored {
            offset: 250,
            len: 32,
        };
        let source: Vec<u8> = vec![0; 256];
        let err = write_pdf(&mut Vec::new(), &[stored], &source.as_slice()).expect_err("short");
        assert!(err.to_string().contains("reading the input"), "{err}");
    }

    #[test]
    fn lengths_in_points_keep_four_decimals_without_trailing_zeros() {
        let shown = |v: f64| {
            let mut s = Vec::new();
            push_num(&mut s, v);
            String::from_utf8(s).expect("ASCII")
        };
        assert_eq!(shown(1728.0 / 204.0 * 72.0), "609.8824");
        assert_eq!(shown(2292.0 / 196.0 * 72.0), "841.9592");
        assert_eq!(shown(50.5), "50.5");
        assert_eq!(shown(0.05), "0.05");
        assert_eq!(shown(612.0), "612");
    }

    #[test]
    fn negative_integers_keep_their_sign() {
        let mut s = Vec::new();
        push_int(&mut s, -1);
        push_padded(&mut s, 417, 10);
        assert_eq!(s, b"-10000000417");
    }
}
