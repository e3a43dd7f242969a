//! Fax conversion on one and on two page workers: the same bytes come out, and bad input
//! fails the same way, whichever is chosen.

use std::path::Path;

use ringside::media::fax::{
    Compression, FaxError, FaxOptions, Resolution, Threads, document_to_fax_tiff,
};

use crate::common::fax_fixtures::{RECEIVED, fixture, no_progress};

fn converted(input: &Path, opts: &FaxOptions, threads: Threads) -> Result<Vec<u8>, FaxError> {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("out.tif");
    let opts = FaxOptions {
        threads,
        ..opts.clone()
    };
    document_to_fax_tiff(input, &out, &opts, &no_progress)?;
    Ok(std::fs::read(&out).expect("output"))
}

#[test]
fn multi_page_pdf_gives_the_same_bytes_on_one_and_on_two_threads() {
    let pdf = fixture("mixed-10p.pdf");
    for opts in [
        FaxOptions::default(),
        FaxOptions {
            compression: Compression::G3,
            resolution: Resolution::Standard,
            ..FaxOptions::default()
        },
    ] {
        let one = converted(&pdf, &opts, Threads::One).expect("converts on one thread");
        let two = converted(&pdf, &opts, Threads::Two).expect("converts on two threads");
        let auto = converted(&pdf, &opts, Threads::Auto).expect("converts");
        assert!(one == two, "one and two threads differ ({opts:?})");
        assert!(one == auto, "one thread and the default differ ({opts:?})");
    }
}

#[test]
fn multi_page_tiff_gives_the_same_bytes_on_one_and_on_two_threads() {
    let tif = fixture(RECEIVED);
    let opts = FaxOptions::default();
    let one = converted(&tif, &opts, Threads::One).expect("converts on one thread");
    let two = converted(&tif, &opts, Threads::Two).expect("converts on two threads");
    assert!(one == two, "one and two threads differ");
}

#[test]
fn encrypted_pdf_is_refused_alike_on_one_and_on_two_threads() {
    for threads in [Threads::One, Threads::Two] {
        let err = converted(&fixture("encrypted.pdf"), &FaxOptions::default(), threads)
            .expect_err("refused");
        assert!(
            matches!(err, FaxError::EncryptedPdf(_)),
            "{threads:?}: {err}"
        );
    }
}
