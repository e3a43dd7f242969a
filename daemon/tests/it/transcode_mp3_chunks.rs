//! An MP3 decoded in chunks on two threads gives exactly what one decoder gives: the same
//! samples packet by packet wherever the chunks are cut, the same output bytes, the same
//! refusal of damaged input.

use std::fs::File;
use std::path::{Path, PathBuf};

use ringside::media::mp3_chunks::ChunkedMp3;
use ringside::media::sniff::InputKind;
use ringside::media::source::{ContainerSource, LimitedFile, MonoSource};
use ringside::media::{Threads, TranscodeOptions, transcode_file};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../media-fixtures/audio")
        .join(name)
}

/// Every MP3 fixture: CBR and VBR (Xing/LAME header), with and without ID3v2, 44.1 and
/// 48 kHz stereo, MPEG-2 and MPEG-2.5 mono.
const MP3S: [&str; 6] = [
    "tone-1k-44k-stereo.mp3",
    "tone-1k-44k-stereo-id3.mp3",
    "music-44k-stereo-vbr.mp3",
    "music-48k-stereo-no-xing.mp3",
    "music-22k-mono-mpeg2.mp3",
    "music-8k-mono-mpeg25.mp3",
];

fn open(path: &Path) -> ContainerSource {
    let file = File::open(path).expect("open");
    let (limited, tripped) = LimitedFile::new(file, u64::MAX);
    ContainerSource::open(limited, tripped, InputKind::Mp3).expect("an MP3")
}

/// Each packet's samples (as bits, so that -0.0 and NaN compare exactly), then how it ended.
fn packets(mut source: impl MonoSource) -> (Vec<Vec<u32>>, String) {
    let mut packets = Vec::new();
    loop {
        let mut out = Vec::new();
        match source.next_block(&mut out) {
            Ok(true) => packets.push(out.iter().map(|x| x.to_bits()).collect()),
            Ok(false) => return (packets, "end".into()),
            Err(e) => return (packets, format!("{e:?}")),
        }
    }
}

/// Bytes of `path` without a leading ID3v2 tag.
fn without_id3(path: &Path) -> Vec<u8> {
    let bytes = std::fs::read(path).expect("read");
    if !bytes.starts_with(b"ID3") {
        return bytes;
    }
    let size = bytes[6..10]
        .iter()
        .fold(0usize, |n, &b| n << 7 | usize::from(b & 0x7f));
    bytes[10 + size..].to_vec()
}

/// Twelve seconds of 48 kHz stereo with no length header: four copies of a 3 s fixture, one
/// after the other.
fn twelve_seconds(dir: &Path) -> PathBuf {
    let path = dir.join("music-12s.mp3");
    std::fs::write(
        &path,
        without_id3(&fixture("music-48k-stereo-no-xing.mp3")).repeat(4),
    )
    .expect("write");
    path
}

/// A stream that changes from 48 kHz stereo to `then` after six seconds, which one decoder
/// refuses there.
fn changing(dir: &Path, then: &str) -> PathBuf {
    let path = dir.join(format!("changing-to-{then}"));
    let first = without_id3(&fixture("music-48k-stereo-no-xing.mp3"));
    let mut bytes = first.repeat(2);
    bytes.extend(without_id3(&fixture(then)));
    bytes.extend(first);
    std::fs::write(&path, bytes).expect("write");
    path
}

#[test]
fn mp3_decoded_in_chunks_gives_one_decoders_packets_wherever_the_chunks_are_cut() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut inputs: Vec<PathBuf> = MP3S.iter().map(|name| fixture(name)).collect();
    inputs.push(changing(dir.path(), "music-44k-stereo-vbr.mp3"));
    inputs.push(changing(dir.path(), "music-22k-mono-mpeg2.mp3"));
    for path in &inputs {
        let name = path.file_name().and_then(|n| n.to_str()).expect("name");
        let (reference, end) = packets(open(path));
        let frames_per_packet = (reference[1].len() as u64).max(1);
        let n = reference.len() as u64;
        assert!(n > 20, "{name}: {n} packets");
        // One packet per chunk, small odd sizes, and cuts one packet either side of the end.
        for chunk in [1, 2, 3, 5, 7, 13, n / 2, n - 2, n - 1, n, n + 1] {
            let chunked =
                ChunkedMp3::with_chunk_frames(open(path).into_parts(), chunk * frames_per_packet);
            let (got, got_end) = packets(chunked);
            assert_eq!(
                got.len(),
                reference.len(),
                "{name}, {chunk} packets a chunk"
            );
            for (i, (a, b)) in got.iter().zip(&reference).enumerate() {
                assert!(
                    a == b,
                    "{name}, {chunk} packets a chunk: packet {i} differs"
                );
            }
            assert_eq!(got_end, end, "{name}, {chunk} packets a chunk");
        }
    }
}

fn convert(input: &Path, threads: Threads) -> Result<Vec<u8>, String> {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out.wav");
    let opts = TranscodeOptions {
        threads,
        ..TranscodeOptions::default()
    };
    let result = transcode_file(input, &out, &opts)
        .map(|_| std::fs::read(&out).expect("read output"))
        .map_err(|e| e.to_string());
    if result.is_err() {
        let left: Vec<_> = std::fs::read_dir(dir.path()).expect("list").collect();
        assert!(left.is_empty(), "files left behind: {left:?}");
    }
    result
}

#[test]
fn mp3s_convert_to_the_same_bytes_on_one_thread_and_on_two() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut inputs: Vec<PathBuf> = MP3S.iter().map(|name| fixture(name)).collect();
    inputs.push(twelve_seconds(dir.path()));
    for input in &inputs {
        let one = convert(input, Threads::One).expect("converts");
        assert!(one.len() > 1000, "{}", input.display());
        for threads in [Threads::Two, Threads::Auto] {
            assert!(
                convert(input, threads).expect("converts") == one,
                "{}: {threads:?} wrote different bytes from one thread",
                input.display()
            );
        }
    }
}

#[test]
fn damaged_mp3_gives_the_same_result_on_one_thread_and_on_two() {
    let dir = tempfile::tempdir().expect("tempdir");
    let whole = std::fs::read(twelve_seconds(dir.path())).expect("read");
    let mut noise = 0x2545_f491_u32;
    let mut garbage = |len: usize| -> Vec<u8> {
        (0..len)
            .map(|_| {
                noise ^= noise << 13;
                noise ^= noise >> 17;
                noise ^= noise << 5;
                noise as u8
            })
            .collect()
    };
    let mut cases = Vec::new();
    // Cut in the middle of a frame, a third and three quarters of the way in.
    for keep in [0.34, 0.77] {
        cases.push(whole[..(whole.len() as f64 * keep) as usize].to_vec());
    }
    // Noise over a stretch of frames, and over single bytes here and there (side
    // information and main data alike).
    for (at, len) in [(40_000, 3_000), (90_000, 400)] {
        let mut bytes = whole.clone();
        bytes.splice(at..at + len, garbage(len));
        cases.push(bytes);
    }
    let mut sprinkled = whole.clone();
    for at in (5_000..whole.len()).step_by(7_919) {
        sprinkled[at] = garbage(1)[0];
    }
    cases.push(sprinkled);
    // A change of sample rate, or of channel count and MPEG version, mid-stream.
    for then in ["music-44k-stereo-vbr.mp3", "music-22k-mono-mpeg2.mp3"] {
        cases.push(std::fs::read(changing(dir.path(), then)).expect("read"));
    }
    for (i, bytes) in cases.iter().enumerate() {
        let path = dir.path().join(format!("damaged-{i}.mp3"));
        std::fs::write(&path, bytes).expect("write");
        let one = convert(&path, Threads::One);
        assert!(
            convert(&path, Threads::Two) == one,
            "case {i}: two threads differ from one ({:?})",
            one.as_ref().map(Vec::len)
        );
    }
}

/// FNV-1a over every sample's bits, packet by packet, and how the stream ended.
fn fingerprint((packets, end): (Vec<Vec<u32>>, String)) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    let mut eat = |word: u32| {
        for byte in word.to_le_bytes() {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    };
    for packet in packets {
        eat(packet.len() as u32);
        packet.into_iter().for_each(&mut eat);
    }
    end.bytes().for_each(|b| eat(u32::from(b)));
    hash
}

/// The repository builds symphonia's MP3 synthesis for AVX2 as well (`vendor/`), which must
/// change nothing: every fixture decodes (and down-mixes) to the samples the released
/// symphonia-bundle-mp3 0.6.1 gives, whose fingerprints these are. Should the down-mix change
/// on purpose, take them again with the `[patch]` entry for the decoder removed.
#[test]
fn every_mp3_fixture_decodes_to_the_samples_of_the_released_decoder() {
    let released: [u64; 6] = [
        9581010639948139133,
        6717142872815695496,
        2272128992370994699,
        3768105734946424598,
        1348782815527807254,
        5568878460601434442,
    ];
    let decoded: Vec<u64> = MP3S
        .iter()
        .map(|name| fingerprint(packets(open(&fixture(name)))))
        .collect();
    assert_eq!(decoded, released, "fingerprints of {MP3S:?}");
}
