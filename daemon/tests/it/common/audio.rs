//! Audio inputs the tests write on the fly, when a committed fixture would be too large.

use std::path::Path;

/// Writes a 44.1 kHz 16-bit stereo WAV of `frames` frames, frame `n` being `frame(n)`
/// (left, right).
pub fn write_cd_wav(path: &Path, frames: u32, frame: impl Fn(u32) -> (i16, i16)) {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 44_100,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).expect("create wav");
    for n in 0..frames {
        let (left, right) = frame(n);
        w.write_sample(left).expect("sample");
        w.write_sample(right).expect("sample");
    }
    w.finalize().expect("finish wav");
}
