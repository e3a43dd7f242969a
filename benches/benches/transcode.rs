//! Throughput of `transcode_file` for each input format, in input audio samples per second.
//! Inputs are the committed fixtures plus a generated 10 s 44.1 kHz stereo WAV.

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ringside::media::{TranscodeOptions, transcode_file};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../media-fixtures/audio")
        .join(name)
}

/// A 44.1 kHz stereo 16-bit WAV of a 1 kHz tone, `seconds` long.
fn cd_quality_wav(path: &Path, seconds: u32) {
    let frames = 44100 * seconds;
    let mut v = b"RIFF".to_vec();
    v.extend((36 + frames * 4).to_le_bytes());
    v.extend(b"WAVEfmt \x10\0\0\0\x01\0\x02\0");
    v.extend(44100u32.to_le_bytes());
    v.extend((44100u32 * 4).to_le_bytes());
    v.extend(b"\x04\0\x10\0data");
    v.extend((frames * 4).to_le_bytes());
    for n in 0..frames {
        let x =
            (16000.0 * (2.0 * std::f64::consts::PI * 1000.0 * f64::from(n) / 44100.0).sin()) as i16;
        v.extend(x.to_le_bytes());
        v.extend(x.to_le_bytes());
    }
    if let Err(e) = std::fs::write(path, v) {
        panic!("cannot write bench input {}: {e}", path.display());
    }
}

fn bench_formats(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("ringside-bench-{}", std::process::id()));
    if let Err(e) = std::fs::create_dir_all(&dir) {
        panic!("cannot create {}: {e}", dir.display());
    }
    let wav = dir.join("cd-10s.wav");
    cd_quality_wav(&wav, 10);
    let inputs: Vec<(&str, PathBuf, u64)> = vec![
        ("wav-44k1-stereo-16bit", wav, 441_000),
        (
            "wav-48k-stereo-24bit",
            fixture("tone-1k-48k-24bit-stereo.wav"),
            24_000,
        ),
        (
            "mp3-44k1-stereo-128k",
            fixture("tone-1k-44k-stereo.mp3"),
            44_100,
        ),
        (
            "flac-44k1-stereo",
            fixture("tone-1k-44k-stereo.flac"),
            44_100,
        ),
        (
            "ogg-vorbis-44k1-stereo",
            fixture("tone-1k-44k-stereo.ogg"),
            44_100,
        ),
        ("wav-ulaw-8k", fixture("tone-1k-ulaw.wav"), 8_000),
        ("raw-ulaw-8k", fixture("tone-1k.ulaw"), 8_000),
        ("raw-gsm-8k", fixture("speech.gsm"), 27_840),
    ];
    let out = dir.join("out.wav");
    let opts = TranscodeOptions::default();
    let mut group = c.benchmark_group("transcode");
    for (name, input, frames) in &inputs {
        group.throughput(Throughput::Elements(*frames));
        group.bench_function(*name, |b| {
            b.iter(|| black_box(transcode_file(input, &out, &opts)).is_ok())
        });
    }
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench_formats);
criterion_main!(benches);
