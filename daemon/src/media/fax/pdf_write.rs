//! Minimal PDF writer for fax pages: one page per image, each page exactly the image's
//! physical size, each image an XObject whose CCITT data is stored as-is with
//! `/CCITTFaxDecode`. printpdf 0.12 cannot take a pre-encoded CCITT stream, so the few
//! objects are written here. It does not decode or encode image data.

use std::fmt::Write as _;

/// One image page for the PDF.
#[derive(Debug, Clone)]
pub struct CcittImage {
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
    /// CCITT data, MSB-first.
    pub data: Vec<u8>,
}

/// Serialises a PDF whose pages show the given images full-page.
pub fn write_pdf(images: &[CcittImage]) -> Vec<u8> {
    let size: usize = images.iter().map(|i| i.data.len() + 600).sum();
    let mut out: Vec<u8> = Vec::with_capacity(size + 1024);
    let mut offsets: Vec<usize> = Vec::new();
    out.extend_from_slice(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n");

    // Object numbers: 1 catalog, 2 pages, then per page: page, contents, image.
    let page_obj = |i: usize| 3 + i * 3;
    let begin = |out: &mut Vec<u8>, offsets: &mut Vec<usize>, number: usize| {
        debug_assert_eq!(offsets.len() + 1, number);
        offsets.push(out.len());
        out.extend_from_slice(format!("{number} 0 obj\n").as_bytes());
    };

    begin(&mut out, &mut offsets, 1);
    out.extend_from_slice(b"<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");

    begin(&mut out, &mut offsets, 2);
    let mut kids = String::new();
    for i in 0..images.len() {
        let _ = write!(kids, "{} 0 R ", page_obj(i));
    }
    out.extend_from_slice(
        format!(
            "<< /Type /Pages /Count {} /Kids [ {}] >>\nendobj\n",
            images.len(),
            kids
        )
        .as_bytes(),
    );

    for (i, image) in images.iter().enumerate() {
        let page = page_obj(i);
        let (w, h) = (fmt_num(image.width_pt), fmt_num(image.height_pt));
        begin(&mut out, &mut offsets, page);
        out.extend_from_slice(
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {w} {h}] \
                 /Resources << /XObject << /Im0 {} 0 R >> >> /Contents {} 0 R >>\nendobj\n",
                page + 2,
                page + 1
            )
            .as_bytes(),
        );

        let content = format!("q {w} 0 0 {h} 0 0 cm /Im0 Do Q\n");
        begin(&mut out, &mut offsets, page + 1);
        out.extend_from_slice(
            format!(
                "<< /Length {} >>\nstream\n{content}endstream\nendobj\n",
                content.len()
            )
            .as_bytes(),
        );

        let mut parms = format!(
            "/K {} /Columns {} /Rows {} /EndOfBlock false",
            image.k, image.columns, image.rows
        );
        if image.encoded_byte_align {
            parms.push_str(" /EncodedByteAlign true");
        }
        if image.end_of_line {
            parms.push_str(" /EndOfLine true");
        }
        if image.black_is_1 {
            parms.push_str(" /BlackIs1 true");
        }
        begin(&mut out, &mut offsets, page + 2);
        out.extend_from_slice(
            format!(
                "<< /Type /XObject /Subtype /Image /Width {} /Height {} /ColorSpace /DeviceGray \
                 /BitsPerComponent 1 /Filter /CCITTFaxDecode /DecodeParms << {parms} >> \
                 /Length {} >>\nstream\n",
                image.columns,
                image.rows,
                image.data.len()
            )
            .as_bytes(),
        );
        out.extend_from_slice(&image.data);
        out.extend_from_slice(b"\nendstream\nendobj\n");
    }

    let xref_at = out.len();
    let mut xref = format!("xref\n0 {}\n0000000000 65535 f \n", offsets.len() + 1);
    for offset in &offsets {
        let _ = writeln!(xref, "{offset:010} 00000 n ");
    }
    let _ = write!(
        xref,
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref_at}\n%%EOF\n",
        offsets.len() + 1
    );
    out.extend_from_slice(xref.as_bytes());
    out
}

fn fmt_num(v: f64) -> String {
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xref_offsets_point_at_their_objects() {
        let image = CcittImage {
            columns: 8,
            rows: 1,
            k: -1,
            encoded_byte_align: false,
            end_of_line: false,
            black_is_1: false,
            width_pt: 100.0,
            height_pt: 50.5,
            data: vec![0x80, 0x01, 0x00],
        };
        let pdf = write_pdf(&[image.clone(), image]);
        let text = String::from_utf8_lossy(&pdf);
        let xref = text.find("xref\n").expect("xref");
        let entries: Vec<usize> = text[xref..]
            .lines()
            .skip(3)
            .take(8)
            .map(|l| l[..10].parse().expect("offset"))
            .collect();
        for (i, offset) in entries.iter().enumerate() {
            assert!(pdf[*offset..].starts_with(format!("{} 0 obj", i + 1).as_bytes()));
        }
        assert!(text.contains("/MediaBox [0 0 100 50.5]"));
    }
}
