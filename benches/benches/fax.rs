//! Fax document conversion throughput: PDF -> fax TIFF (hayro rasteriser, G4) on the
//! 10-page test document, and received G3 2-D fax TIFF -> PDF (CCITT pass-through).
//! Side-by-side figures against ghostscript and tiff2pdf come from `benches/compare-fax.sh`.
//!
//! The `fax_per_page` group times the same conversions in process, as the daemon runs them,
//! on the documents named by `RINGSIDE_BENCH_FAX_TIFF` and `RINGSIDE_BENCH_FAX_PDF` (the
//! committed fixtures when unset), with throughput in pages: `benches/compare-fax-per-page.sh`
//! sets them to 50-page documents and compares the time per page with tiff2pdf's and
//! ghostscript's marginal time per page. The PDF conversion is timed with the default page
//! workers (two on a machine with two cores) and on one thread.

use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ringside::media::fax::{
    FaxOptions, Threads, count_pages, document_to_fax_tiff, fax_tiff_to_pdf,
};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../media-fixtures/fax")
        .join(name)
}

fn no_progress(_: u32, _: u32) {}

fn fax(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut group = c.benchmark_group("fax");
    group.sample_size(10);

    let pdf = fixture("mixed-10p.pdf");
    let tif_out = dir.path().join("out.tif");
    group.throughput(Throughput::Elements(10));
    group.bench_function("pdf_to_fax_tiff_g4_fine_10_pages", |b| {
        b.iter(|| {
            document_to_fax_tiff(&pdf, &tif_out, &FaxOptions::default(), &no_progress)
                .expect("converts")
        })
    });

    let received = fixture("received-fax-spandsp-g3-2d-fine-2p.tif");
    let pdf_out = dir.path().join("out.pdf");
    group.throughput(Throughput::Elements(2));
    group.bench_function("received_g3_tiff_to_pdf_2_pages", |b| {
        b.iter(|| fax_tiff_to_pdf(&received, &pdf_out, &no_progress).expect("converts"))
    });

    group.throughput(Throughput::Elements(2));
    group.bench_function("received_g3_tiff_to_fax_tiff_g4_2_pages", |b| {
        b.iter(|| {
            document_to_fax_tiff(&received, &tif_out, &FaxOptions::default(), &no_progress)
                .expect("converts")
        })
    });
    group.finish();
}

/// The document named by `var`, or the committed fixture.
fn input(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var).map_or_else(|| fixture(default), PathBuf::from)
}

fn fax_per_page(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut group = c.benchmark_group("fax_per_page");
    group.sample_size(10);

    let received = input(
        "RINGSIDE_BENCH_FAX_TIFF",
        "received-fax-spandsp-g3-2d-fine-2p.tif",
    );
    let pages = count_pages(&received).expect("counts the received fax's pages");
    let pdf_out = dir.path().join("out.pdf");
    group.throughput(Throughput::Elements(u64::from(pages)));
    group.bench_function("received_g3_tiff_to_pdf", |b| {
        b.iter(|| fax_tiff_to_pdf(&received, &pdf_out, &no_progress).expect("converts"))
    });

    let pdf = input("RINGSIDE_BENCH_FAX_PDF", "mixed-10p.pdf");
    let pages = count_pages(&pdf).expect("counts the document's pages");
    let tif_out = dir.path().join("out.tif");
    group.throughput(Throughput::Elements(u64::from(pages)));
    group.bench_function("pdf_to_fax_tiff", |b| {
        b.iter(|| {
            document_to_fax_tiff(&pdf, &tif_out, &FaxOptions::default(), &no_progress)
                .expect("converts")
        })
    });
    let one_thread = FaxOptions {
        threads: Threads::One,
        ..FaxOptions::default()
    };
    group.bench_function("pdf_to_fax_tiff_one_thread", |b| {
        b.iter(|| {
            document_to_fax_tiff(&pdf, &tif_out, &one_thread, &no_progress).expect("converts")
        })
    });
    group.finish();
}

criterion_group!(benches, fax, fax_per_page);
criterion_main!(benches);
