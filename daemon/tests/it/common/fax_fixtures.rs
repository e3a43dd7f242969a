//! The fax fixtures the fax tests share: files under `media-fixtures/fax`, among them a real
//! fax as Asterisk's `ReceiveFAX` wrote it.

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
