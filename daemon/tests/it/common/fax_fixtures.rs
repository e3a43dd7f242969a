//! The fax fixtures the fax tests share: files under `media-fixtures/fax`, among them a real
//! fax as Asterisk's `ReceiveFAX` wrote it, and small PDFs written object by object.

use std::path::{Path, PathBuf};

/// A 2-page fax received by Asterisk (spandsp, G3-2D, fine, FillOrder 2).
pub const RECEIVED: &str = "received-fax-spandsp-g3-2d-fine-2p.tif";

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../media-fixtures/fax")
        .join(name)
}

/// A progress callback that ignores progress.
pub fn no_progress(_: u32, _: u32) {}

/// A PDF of `objects` (numbered from 1; the first is the catalog) with its cross-reference
/// table, as a PDF writer would lay it out.
pub fn pdf_of(objects: &[&str]) -> Vec<u8> {
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

/// A PDF of `pages` blank A4 pages.
pub fn blank_pages_pdf(pages: usize) -> Vec<u8> {
    let kids: Vec<String> = (0..pages).map(|i| format!("{} 0 R", i + 4)).collect();
    let mut objects = vec![
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        format!(
            "<< /Type /Pages /Kids [{}] /Count {pages} >>",
            kids.join(" ")
        ),
        "<< /Length 0 >>\nstream\n\nendstream".to_owned(),
    ];
    objects.extend((0..pages).map(|_| {
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 3 0 R >>".to_owned()
    }));
    let objects: Vec<&str> = objects.iter().map(String::as_str).collect();
    pdf_of(&objects)
}
