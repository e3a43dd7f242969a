//! Fax document conversion: page counts, TIFF/F tags, resampling of arbitrary TIFFs,
//! PDF page sizes, limits and bad input. Tags are read back with the `tiff` crate, an
//! implementation independent of ours.

use std::fs::File;
use std::io::{BufWriter, Cursor};
use std::path::Path;

use ringside::media::fax::{
    Compression, FaxError, FaxOptions, Paper, Resolution, count_pages, document_to_fax_tiff,
    fax_tiff_to_pdf,
};
use tiff::decoder::{Decoder, DecodingResult};
use tiff::encoder::{
    Compression as TiffCompression, DeflateLevel, Rational, TiffEncoder, colortype,
};
use tiff::tags::{ResolutionUnit, Tag};

use crate::common::fax_fixtures::{RECEIVED, fixture, no_progress};

fn convert(input: &Path, output: &Path, opts: &FaxOptions) -> Result<u32, FaxError> {
    document_to_fax_tiff(input, output, opts, &no_progress).map(|r| r.pages)
}

/// Every directory's tags, read by the `tiff` crate.
struct Page {
    width: u32,
    height: u32,
    tags: std::collections::HashMap<u16, Vec<u64>>,
    x_res: f64,
    y_res: f64,
}

fn read_pages(path: &Path) -> Vec<Page> {
    let data = std::fs::read(path).expect("output exists");
    let mut decoder = Decoder::new(Cursor::new(data)).expect("valid TIFF");
    let mut pages = Vec::new();
    loop {
        let (width, height) = decoder.dimensions().expect("dimensions");
        let mut tags = std::collections::HashMap::new();
        for tag in [254u16, 258, 259, 262, 266, 277, 278, 292, 293, 296, 297] {
            if let Ok(Some(value)) = decoder.find_tag(Tag::from_u16_exhaustive(tag)) {
                let values = value.into_u64_vec().expect("integer tag");
                tags.insert(tag, values);
            }
        }
        let rational = |v: tiff::decoder::ifd::Value| match v {
            tiff::decoder::ifd::Value::Rational(n, d) => f64::from(n) / f64::from(d),
            other => panic!("resolution is not a rational: {other:?}"),
        };
        let x_res = rational(decoder.find_tag(Tag::XResolution).expect("x").expect("x"));
        let y_res = rational(decoder.find_tag(Tag::YResolution).expect("y").expect("y"));
        pages.push(Page {
            width,
            height,
            tags,
            x_res,
            y_res,
        });
        if !decoder.more_images() {
            break;
        }
        decoder.next_image().expect("next page");
    }
    pages
}

#[test]
fn ten_page_pdf_becomes_ten_fine_a4_group4_pages_with_tiff_f_tags() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("fax.tif");
    let pages = convert(&fixture("mixed-10p.pdf"), &out, &FaxOptions::default()).expect("converts");
    assert_eq!(pages, 10);
    let read = read_pages(&out);
    assert_eq!(read.len(), 10);
    for (i, page) in read.iter().enumerate() {
        assert_eq!((page.width, page.height), (1728, 2292));
        assert_eq!((page.x_res, page.y_res), (204.0, 196.0));
        assert_eq!(page.tags[&254], vec![2], "NewSubfileType page");
        assert_eq!(page.tags[&258], vec![1], "BitsPerSample");
        assert_eq!(page.tags[&259], vec![4], "Compression G4");
        assert_eq!(page.tags[&262], vec![0], "min-is-white");
        assert_eq!(page.tags[&266], vec![1], "FillOrder");
        assert_eq!(page.tags[&278], vec![2292], "RowsPerStrip");
        assert_eq!(page.tags[&296], vec![2], "ResolutionUnit inch");
        assert_eq!(page.tags[&297], vec![i as u64, 10], "PageNumber");
    }
}

#[test]
fn group3_standard_letter_uses_98_lpi_letter_length_and_t4_options() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("fax.tif");
    let opts = FaxOptions {
        resolution: Resolution::Standard,
        paper: Paper::Letter,
        compression: Compression::G3,
        ..FaxOptions::default()
    };
    convert(&fixture("text-10pt.pdf"), &out, &opts).expect("converts");
    let page = &read_pages(&out)[0];
    assert_eq!((page.width, page.height), (1728, 1078));
    assert_eq!(page.y_res, 98.0);
    assert_eq!(page.tags[&259], vec![3]);
    assert_eq!(page.tags[&292], vec![5], "2-D coding, EOLs byte-aligned");
}

#[test]
fn group4_output_decodes_to_visible_text_in_libtiff() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("fax.tif");
    convert(&fixture("text-10pt.pdf"), &out, &FaxOptions::default()).expect("converts");
    let Some(share) = black_share(&out, 0, 0, 1728, 0, 2292) else {
        return;
    };
    // Seven lines of 10-pt text: some ink, far from a black page.
    assert!(share > 0.002 && share < 0.05, "black share {share}");
}

#[test]
fn count_pages_reads_pdf_and_tiff_without_converting() {
    assert_eq!(count_pages(&fixture("mixed-10p.pdf")).expect("pdf"), 10);
    assert_eq!(count_pages(&fixture(RECEIVED)).expect("tiff"), 2);
}

#[test]
fn progress_reports_every_page_and_ends_at_the_total() {
    let dir = tempfile::tempdir().expect("tmp");
    let seen = std::sync::Mutex::new(Vec::new());
    let progress = |done: u32, total: u32| seen.lock().expect("lock").push((done, total));
    document_to_fax_tiff(
        &fixture("mixed-10p.pdf"),
        &dir.path().join("f.tif"),
        &FaxOptions::default(),
        &progress,
    )
    .expect("converts");
    let seen = seen.into_inner().expect("lock");
    assert_eq!(seen.first(), Some(&(0, 10)));
    assert_eq!(seen.last(), Some(&(10, 10)));
    assert_eq!(seen.len(), 11);
}

fn write_rgb_tiff(path: &Path, width: u32, height: u32, dpi: u32, compression: TiffCompression) {
    // White page with a black box in the top-left quarter.
    let mut pixels = vec![255u8; (width * height * 3) as usize];
    for y in 0..height / 2 {
        for x in 0..width / 2 {
            let i = ((y * width + x) * 3) as usize;
            pixels[i..i + 3].copy_from_slice(&[0, 0, 0]);
        }
    }
    let file = BufWriter::new(File::create(path).expect("create"));
    let mut encoder = TiffEncoder::new(file)
        .expect("encoder")
        .with_compression(compression);
    let mut image = encoder
        .new_image::<colortype::RGB8>(width, height)
        .expect("image");
    image.resolution(ResolutionUnit::Inch, Rational { n: dpi, d: 1 });
    image.write_data(&pixels).expect("write");
}

/// Decodes page `page` of a TIFF with libtiff (`tiffcp -c none`), an implementation
/// independent of ours, then reads the raw result with the `tiff` crate.
/// Returns width and packed rows (1 = black), or None when libtiff-tools is absent.
fn decode_with_libtiff(path: &Path, page: usize) -> Option<(u32, Vec<u8>)> {
    let dir = tempfile::tempdir().expect("tmp");
    let raw = dir.path().join("raw.tif");
    let status = std::process::Command::new("tiffcp")
        .args(["-c", "none", "-f", "msb2lsb"])
        .arg(format!("{},{page}", path.display()))
        .arg(&raw)
        .status();
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => panic!("tiffcp failed on {}: {s}", path.display()),
        Err(_) => {
            crate::common::missing_dependency("tiffcp (libtiff-tools)");
            return None;
        }
    }
    let mut decoder = Decoder::new(File::open(&raw).expect("raw")).expect("tiff");
    let (w, _) = decoder.dimensions().expect("dims");
    let DecodingResult::U8(bits) = decoder.read_image().expect("decode") else {
        panic!("1-bit image decodes to bytes");
    };
    // The tiff crate normalises min-is-white to 0 = black.
    Some((w, bits.into_iter().map(|b| !b).collect()))
}

fn black_share(path: &Path, page: usize, x0: u32, x1: u32, y0: u32, y1: u32) -> Option<f64> {
    let (w, bits) = decode_with_libtiff(path, page)?;
    let stride = w.div_ceil(8);
    let mut black = 0u64;
    for y in y0..y1 {
        for x in x0..x1 {
            let byte = bits[(y * stride + x / 8) as usize];
            black += u64::from(byte & (0x80 >> (x % 8)) != 0);
        }
    }
    Some(black as f64 / (f64::from(x1 - x0) * f64::from(y1 - y0)))
}

#[test]
fn rgb_lzw_tiff_at_300_dpi_is_resampled_onto_the_fax_grid() {
    let dir = tempfile::tempdir().expect("tmp");
    let input = dir.path().join("in.tif");
    // 8 x 10 inches at 300 dpi.
    write_rgb_tiff(&input, 2400, 3000, 300, TiffCompression::Lzw);
    let out = dir.path().join("out.tif");
    convert(&input, &out, &FaxOptions::default()).expect("converts");
    let page = &read_pages(&out)[0];
    assert_eq!((page.width, page.height), (1728, 2292));
    // 8 in across fills the 1728 pixels at 216 px/in; the box covers the left half and the
    // top 5 in (5 * 196 * 216/204 = 1037 rows).
    assert!(black_share(&out, 0, 20, 840, 20, 1000).is_none_or(|s| s > 0.99));
    assert!(black_share(&out, 0, 900, 1700, 20, 1000).is_none_or(|s| s < 0.01));
    assert!(black_share(&out, 0, 20, 840, 1080, 2000).is_none_or(|s| s < 0.01));
}

#[test]
fn grey_deflate_tiff_at_standard_resolution_is_converted() {
    let dir = tempfile::tempdir().expect("tmp");
    let input = dir.path().join("grey.tif");
    let (w, h) = (850u32, 1100u32);
    let pixels: Vec<u8> = (0..w * h)
        .map(|i| if (i / w) < 100 { 0 } else { 255 })
        .collect();
    {
        let file = BufWriter::new(File::create(&input).expect("create"));
        let mut encoder = TiffEncoder::new(file)
            .expect("encoder")
            .with_compression(TiffCompression::Deflate(DeflateLevel::Balanced));
        let mut image = encoder.new_image::<colortype::Gray8>(w, h).expect("image");
        image.resolution(ResolutionUnit::Inch, Rational { n: 100, d: 1 });
        image.write_data(&pixels).expect("write");
    }
    let out = dir.path().join("out.tif");
    let opts = FaxOptions {
        resolution: Resolution::Standard,
        ..FaxOptions::default()
    };
    convert(&input, &out, &opts).expect("converts");
    let page = &read_pages(&out)[0];
    assert_eq!((page.height, page.y_res), (1146, 98.0));
    // The top inch is black: 98 rows at standard resolution (scale 1728/1734).
    assert!(black_share(&out, 0, 100, 1600, 2, 94).is_none_or(|s| s > 0.99));
    assert!(black_share(&out, 0, 100, 1600, 102, 1000).is_none_or(|s| s < 0.01));
}

#[test]
fn received_group3_fax_converts_to_a_group4_fax_tiff_with_the_same_pixels() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("out.tif");
    let pages = convert(&fixture(RECEIVED), &out, &FaxOptions::default()).expect("converts");
    assert_eq!(pages, 2);
    // Already on the fine A4 grid: copied bit for bit, so ink is where the text was.
    assert!(black_share(&out, 0, 0, 1728, 0, 2292).is_none_or(|s| s > 0.001));
    let read = read_pages(&out);
    assert_eq!(read[1].tags[&259], vec![4]);
}

#[test]
fn received_fax_becomes_a_two_page_pdf_at_a4_size() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("fax.pdf");
    let report = fax_tiff_to_pdf(&fixture(RECEIVED), &out, &no_progress).expect("converts");
    assert_eq!(report.pages, 2);
    let pdf = std::fs::read(&out).expect("pdf");
    let text = String::from_utf8_lossy(&pdf);
    // 1728 / 204 * 72 by 2292 / 196 * 72 points.
    assert_eq!(text.matches("/MediaBox [0 0 609.8824 841.9592]").count(), 2);
    assert_eq!(text.matches("/K 4 ").count(), 2, "G3 2-D passed through");
    assert!(text.contains("/EncodedByteAlign true"));
}

#[test]
fn tiff_page_that_cannot_pass_through_is_reencoded_at_its_physical_size() {
    let dir = tempfile::tempdir().expect("tmp");
    let input = dir.path().join("scan.tif");
    // 8 x 10 inches at 300 dpi, RGB: decoded, binarised and encoded as Group 4.
    write_rgb_tiff(&input, 2400, 3000, 300, TiffCompression::Lzw);
    let out = dir.path().join("scan.pdf");
    let report = fax_tiff_to_pdf(&input, &out, &no_progress).expect("converts");
    assert_eq!(report.pages, 1);
    let text = String::from_utf8_lossy(&std::fs::read(&out).expect("pdf")).into_owned();
    assert!(text.contains("/MediaBox [0 0 576 720]"), "{text}");
    assert!(text.contains("/K -1 /Columns 2400 /Rows 3000"), "{text}");
}

/// The received fixture with its first page's StripByteCounts set to `count`.
fn received_fax_with_strip_byte_count(count: u32) -> Vec<u8> {
    let mut data = std::fs::read(fixture(RECEIVED)).expect("fixture");
    let le_u32 = |d: &[u8], at: usize| u32::from_le_bytes([d[at], d[at + 1], d[at + 2], d[at + 3]]);
    let ifd = le_u32(&data, 4) as usize;
    let entries = u16::from_le_bytes([data[ifd], data[ifd + 1]]) as usize;
    let entry = (0..entries)
        .map(|i| ifd + 2 + i * 12)
        .find(|&e| u16::from_le_bytes([data[e], data[e + 1]]) == 279)
        .expect("StripByteCounts entry");
    data[entry + 8..entry + 12].copy_from_slice(&count.to_le_bytes());
    data
}

#[test]
fn received_fax_whose_strip_runs_past_the_end_is_refused_without_output() {
    let dir = tempfile::tempdir().expect("tmp");
    let input = dir.path().join("in").join("bad.tif");
    std::fs::create_dir(input.parent().expect("parent")).expect("mkdir");
    std::fs::write(&input, received_fax_with_strip_byte_count(0x7fff_ffff)).expect("w");
    let out = dir.path().join("out.pdf");
    let err = fax_tiff_to_pdf(&input, &out, &no_progress).expect_err("must fail");
    assert!(
        err.to_string()
            .contains("page 1 strip lies outside the file"),
        "{err}"
    );
    let left: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").collect();
    assert_eq!(left.len(), 1, "only the input folder remains");
}

#[test]
fn pdf_to_tiff_to_pdf_keeps_page_count_and_page_size() {
    let dir = tempfile::tempdir().expect("tmp");
    let tif = dir.path().join("fax.tif");
    let pdf = dir.path().join("fax.pdf");
    let opts = FaxOptions {
        resolution: Resolution::Standard,
        ..FaxOptions::default()
    };
    convert(&fixture("mixed-10p.pdf"), &tif, &opts).expect("to tiff");
    let report = fax_tiff_to_pdf(&tif, &pdf, &no_progress).expect("to pdf");
    assert_eq!(report.pages, 10);
    assert_eq!(count_pages(&pdf).expect("count"), 10);
    let text = String::from_utf8_lossy(&std::fs::read(&pdf).expect("pdf")).into_owned();
    // 1146 rows at 98 lpi is the A4 length.
    assert_eq!(
        text.matches("/MediaBox [0 0 609.8824 841.9592]").count(),
        10
    );
}

fn assert_fails_without_output(
    input: &Path,
    opts: &FaxOptions,
    check: impl Fn(&FaxError) -> bool,
) -> String {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("out.tif");
    let err = convert(input, &out, opts).expect_err("must fail");
    assert!(check(&err), "unexpected error: {err:?}");
    assert!(!out.exists(), "no output on failure");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").collect();
    assert!(leftovers.is_empty(), "no temporary files left");
    err.to_string()
}

#[test]
fn encrypted_pdf_is_refused_with_a_clear_error() {
    let msg = assert_fails_without_output(&fixture("encrypted.pdf"), &FaxOptions::default(), |e| {
        matches!(e, FaxError::EncryptedPdf(_))
    });
    assert!(msg.contains("password"), "{msg}");
}

#[test]
fn corrupt_pdf_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let input = dir.path().join("bad.pdf");
    std::fs::write(
        &input,
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 9 0 R\ngarbage",
    )
    .expect("w");
    assert_fails_without_output(&input, &FaxOptions::default(), |e| {
        matches!(e, FaxError::CorruptPdf(_) | FaxError::NoPages)
    });
}

#[test]
fn page_200_inches_long_is_refused_as_too_large() {
    let msg = assert_fails_without_output(
        &fixture("long-page-200in.pdf"),
        &FaxOptions::default(),
        |e| matches!(e, FaxError::PageTooLarge { page: 1, .. }),
    );
    assert!(msg.contains("200.0 in"), "{msg}");
}

#[test]
fn tiff_claiming_100000_by_100000_pixels_is_refused_before_decoding() {
    let dir = tempfile::tempdir().expect("tmp");
    let input = dir.path().join("huge.tif");
    // A 1-entry-per-tag header that claims a 100000 x 100000 8-bit image and has no data.
    let mut t = b"II*\0\x08\0\0\0".to_vec();
    let entries: [(u16, u16, u32); 6] = [
        (256, 4, 100_000),
        (257, 4, 100_000),
        (258, 3, 8),
        (262, 3, 1),
        (273, 4, 200),
        (279, 4, 100),
    ];
    t.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    for (tag, kind, value) in entries {
        t.extend_from_slice(&tag.to_le_bytes());
        t.extend_from_slice(&kind.to_le_bytes());
        t.extend_from_slice(&1u32.to_le_bytes());
        t.extend_from_slice(&value.to_le_bytes());
    }
    t.extend_from_slice(&0u32.to_le_bytes());
    std::fs::write(&input, &t).expect("w");
    let msg = assert_fails_without_output(&input, &FaxOptions::default(), |e| {
        matches!(e, FaxError::PageTooLarge { .. })
    });
    assert!(msg.contains("100000 x 100000"), "{msg}");
}

#[test]
fn more_pages_than_the_limit_is_refused() {
    let opts = FaxOptions {
        max_pages: 3,
        ..FaxOptions::default()
    };
    assert_fails_without_output(&fixture("mixed-10p.pdf"), &opts, |e| {
        matches!(e, FaxError::TooManyPages { limit: 3 })
    });
}

#[test]
fn input_larger_than_the_byte_limit_is_refused() {
    let opts = FaxOptions {
        max_input_bytes: 1000,
        ..FaxOptions::default()
    };
    assert_fails_without_output(&fixture("mixed-10p.pdf"), &opts, |e| {
        matches!(e, FaxError::InputTooLarge { limit: 1000, .. })
    });
}

#[test]
fn file_that_is_neither_pdf_nor_tiff_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let input = dir.path().join("notes.pdf");
    std::fs::write(&input, b"just some text, despite the name").expect("w");
    assert_fails_without_output(&input, &FaxOptions::default(), |e| {
        matches!(e, FaxError::UnknownFormat)
    });
}

#[test]
fn truncated_received_fax_is_refused_as_damaged() {
    let dir = tempfile::tempdir().expect("tmp");
    let input = dir.path().join("cut.tif");
    let data = std::fs::read(fixture(RECEIVED)).expect("fixture");
    std::fs::write(&input, &data[..3000]).expect("w");
    assert_fails_without_output(&input, &FaxOptions::default(), |e| {
        matches!(e, FaxError::CorruptImage(_))
    });
}

#[test]
fn failed_conversion_leaves_an_existing_output_untouched() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("out.tif");
    std::fs::write(&out, b"previous").expect("w");
    convert(&fixture("encrypted.pdf"), &out, &FaxOptions::default()).expect_err("fails");
    assert_eq!(std::fs::read(&out).expect("read"), b"previous");
}

#[test]
fn pdf_given_to_the_tiff_to_pdf_direction_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let err = fax_tiff_to_pdf(
        &fixture("text-10pt.pdf"),
        &dir.path().join("o.pdf"),
        &no_progress,
    )
    .expect_err("fails");
    assert!(matches!(err, FaxError::WrongFormat { .. }), "{err:?}");
}
