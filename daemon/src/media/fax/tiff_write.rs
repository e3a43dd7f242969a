//! TIFF/F (fax TIFF) container writer: one IFD and one CCITT strip per page, little-endian,
//! with the tags spandsp and libtiff expect. The `tiff` crate cannot write pre-compressed
//! CCITT strips, and the format is small enough to write directly.
//! It does not encode pixels (see `ccitt_encode`).

/// One encoded page, ready for the container.
#[derive(Debug, Clone)]
pub struct EncodedPage {
    pub width: u32,
    pub height: u32,
    pub x_dpi: u32,
    pub y_dpi: u32,
    pub kind: StripKind,
    pub data: Vec<u8>,
}

/// How the strip was coded; decides Compression and T4Options/T6Options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StripKind {
    /// Compression 4.
    Group4,
    /// Compression 3, T4Options 5: two-dimensional, EOLs byte-aligned.
    Group3TwoD,
}

const SOFTWARE: &[u8] = b"ringside\0";

enum Value {
    Short(Vec<u16>),
    Long(u32),
    Rational(u32, u32),
    Ascii(&'static [u8]),
}

/// Serialises the pages as a multi-page TIFF.
pub fn write_fax_tiff(pages: &[EncodedPage]) -> Vec<u8> {
    let data_len: usize = pages.iter().map(|p| p.data.len() + 300).sum();
    let mut out = Vec::with_capacity(8 + data_len);
    out.extend_from_slice(b"II*\0");
    // Offset of the first IFD, patched below.
    out.extend_from_slice(&0u32.to_le_bytes());
    let mut next_ifd_pointer_at = 4usize;
    let total = u16::try_from(pages.len()).unwrap_or(u16::MAX);
    for (index, page) in pages.iter().enumerate() {
        let strip_offset = out.len() as u32;
        out.extend_from_slice(&page.data);
        if out.len() % 2 == 1 {
            out.push(0);
        }
        let (compression, options_tag, options) = match page.kind {
            StripKind::Group4 => (4u16, 293u16, 0u32),
            StripKind::Group3TwoD => (3, 292, 5),
        };
        let page_number = u16::try_from(index).unwrap_or(u16::MAX);
        let mut entries: Vec<(u16, Value)> = vec![
            (254, Value::Long(2)),
            (256, Value::Long(page.width)),
            (257, Value::Long(page.height)),
            (258, Value::Short(vec![1])),
            (259, Value::Short(vec![compression])),
            (262, Value::Short(vec![0])),
            (266, Value::Short(vec![1])),
            (273, Value::Long(strip_offset)),
            (277, Value::Short(vec![1])),
            (278, Value::Long(page.height)),
            (279, Value::Long(page.data.len() as u32)),
            (282, Value::Rational(page.x_dpi, 1)),
            (283, Value::Rational(page.y_dpi, 1)),
            (options_tag, Value::Long(options)),
            (296, Value::Short(vec![2])),
            (297, Value::Short(vec![page_number, total])),
            (305, Value::Ascii(SOFTWARE)),
        ];
        entries.sort_by_key(|(tag, _)| *tag);

        let ifd_offset = out.len();
        out[next_ifd_pointer_at..next_ifd_pointer_at + 4]
            .copy_from_slice(&(ifd_offset as u32).to_le_bytes());
        let ifd_size = 2 + entries.len() * 12 + 4;
        let mut extra_offset = ifd_offset + ifd_size;
        let mut extra: Vec<u8> = Vec::new();
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        for (tag, value) in &entries {
            out.extend_from_slice(&tag.to_le_bytes());
            let (kind, count, inline): (u16, u32, [u8; 4]) = match value {
                Value::Short(values) => {
                    let mut inline = [0u8; 4];
                    for (i, v) in values.iter().take(2).enumerate() {
                        inline[i * 2..i * 2 + 2].copy_from_slice(&v.to_le_bytes());
                    }
                    (3, values.len() as u32, inline)
                }
                Value::Long(v) => (4, 1, v.to_le_bytes()),
                Value::Rational(num, den) => {
                    let at = extra_offset as u32;
                    extra.extend_from_slice(&num.to_le_bytes());
                    extra.extend_from_slice(&den.to_le_bytes());
                    extra_offset += 8;
                    (5, 1, at.to_le_bytes())
                }
                Value::Ascii(text) => {
                    let at = extra_offset as u32;
                    extra.extend_from_slice(text);
                    if text.len() % 2 == 1 {
                        extra.push(0);
                    }
                    extra_offset = ifd_offset + ifd_size + extra.len();
                    (2, text.len() as u32, at.to_le_bytes())
                }
            };
            out.extend_from_slice(&kind.to_le_bytes());
            out.extend_from_slice(&count.to_le_bytes());
            out.extend_from_slice(&inline);
        }
        next_ifd_pointer_at = out.len();
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&extra);
    }
    out
}
