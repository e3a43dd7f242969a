//! Fax document conversion throughput: PDF -> fax TIFF (hayro rasteriser, G4) on the
//! 10-page test document, and received G3 2-D fax TIFF -> PDF (CCITT pass-through).
//! Side-by-side figures against ghostscript and tiff2pdf come from `benches/compare-fax.sh`.

use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ringside::media::fax::{FaxOptions, document_to_fax_tiff, fax_tiff_to_pdf};

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

criterion_group!(benches, fax);
criterion_main!(benches);
