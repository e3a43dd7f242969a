//! Fax output checked by the tools that will read it: libtiff (`tiffinfo -D`, `tiffcp`),
//! poppler (`pdftoppm`), ghostscript and tesseract OCR. Each test prints why and returns
//! early when its tool is not installed, and fails under CI (which installs all of them).

use std::path::Path;
use std::process::Command;

use ringside::media::fax::{
    Compression, FaxOptions, Paper, Resolution, document_to_fax_tiff, fax_tiff_to_pdf,
};

use crate::common::fax_fixtures::{RECEIVED, fixture, no_progress};

fn have(tool: &str) -> bool {
    let found = Command::new(tool).arg("--version").output().is_ok()
        || Command::new(tool).arg("-v").output().is_ok();
    if !found {
        crate::common::missing_dependency(tool);
    }
    found
}

fn run(cmd: &mut Command) -> std::process::Output {
    let out = cmd.output().expect("tool runs");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn to_fax(input: &Path, output: &Path, opts: &FaxOptions) {
    document_to_fax_tiff(input, output, opts, &no_progress).expect("converts");
}

fn assert_tiffinfo_clean(path: &Path, pages: usize) {
    let out = run(Command::new("tiffinfo").arg("-D").arg(path));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.trim().is_empty(), "tiffinfo complains: {stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.matches("TIFF Directory at offset").count(), pages);
}

#[test]
fn tiffinfo_reads_every_group4_and_group3_tiff_we_write_without_warnings() {
    if !have("tiffinfo") {
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let cases = [
        (
            "mixed-10p.pdf",
            Compression::G4,
            Resolution::Fine,
            Paper::A4,
            10,
        ),
        (
            "mixed-10p.pdf",
            Compression::G3,
            Resolution::Standard,
            Paper::Letter,
            10,
        ),
        (RECEIVED, Compression::G4, Resolution::Fine, Paper::A4, 2),
        (
            RECEIVED,
            Compression::G3,
            Resolution::Standard,
            Paper::A4,
            2,
        ),
    ];
    for (i, (input, compression, resolution, paper, pages)) in cases.into_iter().enumerate() {
        let out = dir.path().join(format!("{i}.tif"));
        let opts = FaxOptions {
            compression,
            resolution,
            paper,
            ..FaxOptions::default()
        };
        to_fax(&fixture(input), &out, &opts);
        assert_tiffinfo_clean(&out, pages);
    }
}

/// Grey 8-bit image from a binary PGM.
struct Gray {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

fn read_pgm(path: &Path) -> Gray {
    let data = std::fs::read(path).expect("pgm");
    let mut fields = Vec::new();
    let mut pos = 0;
    while fields.len() < 4 {
        while data[pos].is_ascii_whitespace() {
            pos += 1;
        }
        if data[pos] == b'#' {
            while data[pos] != b'\n' {
                pos += 1;
            }
            continue;
        }
        let start = pos;
        while !data[pos].is_ascii_whitespace() {
            pos += 1;
        }
        fields.push(String::from_utf8_lossy(&data[start..pos]).into_owned());
    }
    assert_eq!(fields[0], "P5");
    let width = fields[1].parse().expect("w");
    let height = fields[2].parse().expect("h");
    Gray {
        width,
        height,
        pixels: data[pos + 1..].to_vec(),
    }
}

/// Page `page` of a TIFF decoded by libtiff to a 0/255 grey image (via an uncompressed copy).
fn libtiff_page(path: &Path, page: usize, dir: &Path) -> Gray {
    let raw = dir.join(format!("raw{page}.tif"));
    run(Command::new("tiffcp")
        .args(["-c", "none", "-f", "msb2lsb"])
        .arg(format!("{},{page}", path.display()))
        .arg(&raw));
    let file = std::fs::File::open(&raw).expect("raw");
    let mut decoder = tiff::decoder::Decoder::new(file).expect("tiff");
    let (w, h) = decoder.dimensions().expect("dims");
    let tiff::decoder::DecodingResult::U8(bits) = decoder.read_image().expect("decode") else {
        panic!("1-bit image decodes to bytes");
    };
    let stride = (w as usize).div_ceil(8);
    let mut pixels = Vec::with_capacity(w as usize * h as usize);
    for y in 0..h as usize {
        for x in 0..w as usize {
            // The tiff crate normalises to 0 = black.
            let white = bits[y * stride + x / 8] & (0x80 >> (x % 8)) != 0;
            pixels.push(if white { 255 } else { 0 });
        }
    }
    Gray {
        width: w as usize,
        height: h as usize,
        pixels,
    }
}

/// Share of pixels whose black/white state differs, over the common area. Renderers round
/// the page size up, so one extra row or column is allowed.
fn mismatch(a: &Gray, b: &Gray) -> f64 {
    assert!(
        a.width.abs_diff(b.width) <= 1 && a.height.abs_diff(b.height) <= 1,
        "raster sizes {}x{} and {}x{}",
        a.width,
        a.height,
        b.width,
        b.height
    );
    let (w, h) = (a.width.min(b.width), a.height.min(b.height));
    let mut differ = 0usize;
    for y in 0..h {
        for x in 0..w {
            let pa = a.pixels[y * a.width + x] < 128;
            let pb = b.pixels[y * b.width + x] < 128;
            differ += usize::from(pa != pb);
        }
    }
    differ as f64 / (w * h) as f64
}

fn black_pixels(g: &Gray) -> usize {
    g.pixels.iter().filter(|&&p| p < 128).count()
}

/// Renders page `page` (1-based) of a PDF at the fax grid with poppler and ghostscript.
/// Poppler is given the exact pixel size: its rounding of 609.88 pt at 204 dpi to 1729
/// columns would resample the image and shift dither patterns.
fn renders(
    pdf: &Path,
    page: usize,
    size: (usize, usize),
    y_dpi: u32,
    dir: &Path,
) -> Vec<(&'static str, Gray)> {
    let mut out = Vec::new();
    let prefix = dir.join(format!("poppler{page}"));
    run(Command::new("pdftoppm")
        .args(["-gray", "-aaVector", "no", "-scale-to-x"])
        .arg(size.0.to_string())
        .arg("-scale-to-y")
        .arg(size.1.to_string())
        .args([
            "-f",
            &page.to_string(),
            "-l",
            &page.to_string(),
            "-singlefile",
        ])
        .arg(pdf)
        .arg(&prefix));
    out.push(("pdftoppm", read_pgm(&prefix.with_extension("pgm"))));
    let gs_out = dir.join(format!("gs{page}.pgm"));
    run(Command::new("gs")
        .args(["-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pgmraw"])
        .arg(format!("-r204x{y_dpi}"))
        .arg(format!("-dFirstPage={page}"))
        .arg(format!("-dLastPage={page}"))
        .arg(format!("-sOutputFile={}", gs_out.display()))
        .arg(pdf));
    out.push(("gs", read_pgm(&gs_out)));
    out
}

fn assert_pdf_matches_tiff(tif: &Path, pdf: &Path, pages: usize, y_dpi: u32) {
    let dir = tempfile::tempdir().expect("tmp");
    for page in 0..pages {
        let reference = libtiff_page(tif, page, dir.path());
        assert!(
            black_pixels(&reference) > 1000,
            "reference page has content"
        );
        let size = (reference.width, reference.height);
        for (tool, render) in renders(pdf, page + 1, size, y_dpi, dir.path()) {
            let m = mismatch(&reference, &render);
            assert!(
                m < 0.001,
                "{tool} page {}: {:.4} % of pixels differ",
                page + 1,
                m * 100.0
            );
        }
    }
}

#[test]
fn received_g3_2d_fax_pdf_renders_pixel_for_pixel_like_libtiff_decodes_it() {
    if !(have("tiffcp") && have("pdftoppm") && have("gs")) {
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let pdf = dir.path().join("fax.pdf");
    let report = fax_tiff_to_pdf(&fixture(RECEIVED), &pdf, &no_progress).expect("converts");
    assert_eq!(report.pages, 2);
    assert_pdf_matches_tiff(&fixture(RECEIVED), &pdf, 2, 196);
}

#[test]
fn our_group3_standard_tiff_passes_through_to_a_pdf_that_renders_like_libtiff_decodes_it() {
    assert_pass_through_renders_like_libtiff(
        &FaxOptions {
            compression: Compression::G3,
            resolution: Resolution::Standard,
            ..FaxOptions::default()
        },
        98,
    );
}

#[test]
fn our_group4_tiff_passes_through_to_a_pdf_that_renders_like_libtiff_decodes_it() {
    assert_pass_through_renders_like_libtiff(
        &FaxOptions {
            paper: Paper::Letter,
            ..FaxOptions::default()
        },
        196,
    );
}

/// Renders a text page to a fax TIFF with `opts`, passes that through to a PDF and checks
/// that the PDF renders like libtiff decodes the TIFF. Text and rules only: poppler smooths
/// 1-bit images even at (almost) 1:1 scale, which moves dither dots of photo areas across
/// the 50 % threshold.
fn assert_pass_through_renders_like_libtiff(opts: &FaxOptions, y_dpi: u32) {
    if !(have("tiffcp") && have("pdftoppm") && have("gs")) {
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let tif = dir.path().join("fax.tif");
    let pdf = dir.path().join("fax.pdf");
    to_fax(&fixture("text-10pt.pdf"), &tif, opts);
    fax_tiff_to_pdf(&tif, &pdf, &no_progress).expect("to pdf");
    assert_pdf_matches_tiff(&tif, &pdf, 1, y_dpi);
}

/// Share of the expected words that OCR found (each found word used once).
fn word_accuracy(expected: &str, ocr: &str) -> f64 {
    let words = |s: &str| -> Vec<String> {
        s.split_whitespace()
            .map(|w| {
                w.chars()
                    .filter(|c| c.is_alphanumeric())
                    .collect::<String>()
                    .to_lowercase()
            })
            .filter(|w| !w.is_empty())
            .collect()
    };
    let expected = words(expected);
    let mut found = words(ocr);
    let mut hits = 0;
    for word in &expected {
        if let Some(i) = found.iter().position(|f| f == word) {
            found.swap_remove(i);
            hits += 1;
        }
    }
    hits as f64 / expected.len() as f64
}

fn ocr(image: &Path) -> String {
    let out = run(Command::new("tesseract").arg(image).arg("stdout"));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn ten_point_text_is_as_legible_to_ocr_as_ghostscript_tiffg4() {
    if !(have("tesseract") && have("gs")) {
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let expected = std::fs::read_to_string(fixture("text-10pt.txt")).expect("text");
    let ours = dir.path().join("ours.tif");
    to_fax(&fixture("text-10pt.pdf"), &ours, &FaxOptions::default());
    let theirs = dir.path().join("gs.tif");
    run(Command::new("gs")
        .args([
            "-q",
            "-dNOPAUSE",
            "-dBATCH",
            "-dSAFER",
            "-sDEVICE=tiffg4",
            "-r204x196",
        ])
        .arg(format!("-sOutputFile={}", theirs.display()))
        .arg(fixture("text-10pt.pdf")));
    let ours_accuracy = word_accuracy(&expected, &ocr(&ours));
    let gs_accuracy = word_accuracy(&expected, &ocr(&theirs));
    eprintln!("OCR word accuracy: ringside {ours_accuracy:.3}, ghostscript {gs_accuracy:.3}");
    assert!(
        ours_accuracy >= gs_accuracy,
        "ours {ours_accuracy} < gs {gs_accuracy}"
    );
    assert!(ours_accuracy >= 0.9, "ours {ours_accuracy}");
}

#[test]
fn word_accuracy_counts_each_expected_word_once() {
    assert_eq!(word_accuracy("the cat, the dog", "The dog cat"), 0.75);
}
