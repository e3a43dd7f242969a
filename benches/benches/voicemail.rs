//! Voicemail inbox figures: listing one page of a 1,000-message mailbox (target < 20 ms), and
//! the first byte of a 5-minute message's WAV (target < 50 ms) for each stored format, plus
//! the cost of a range at the end of a GSM message (decoded from its first frame).
//!
//! Run: `cargo bench -p ringside-benches --bench voicemail`.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use ringside::ami::AmiClient;
use ringside::ami::simulator::mailbox::{SimSpool, sample_message};
use ringside::media::gsm::FRAME_BYTES;
use ringside::voicemail::inbox::{Inbox, mailbox};
use ringside::voicemail::recording::{frames_to_wav49, wav49_header};
use ringside::voicemail::spool::{Folder, Spool};

const MESSAGES: usize = 1000;
/// Five minutes of GSM: 50 frames a second.
const FRAMES: usize = 5 * 60 * 50;

fn gsm_frames() -> Vec<[u8; FRAME_BYTES]> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../media-fixtures/audio/speech.gsm");
    let bytes = std::fs::read(path).expect("fixture");
    let one: Vec<[u8; FRAME_BYTES]> = bytes
        .chunks_exact(FRAME_BYTES)
        .map(|c| c.try_into().expect("frame"))
        .collect();
    one.iter().cycle().take(FRAMES).copied().collect()
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tmp");
    let spool = SimSpool::new(dir.path());
    for i in 0..MESSAGES {
        let info = sample_message(
            &format!("1796500000-{i:08}"),
            "5550001",
            1_796_500_000 + i as i64,
            20,
        );
        spool
            .deposit("default", "1001", "INBOX", &info, None)
            .expect("deposit");
    }
    let frames = gsm_frames();
    let gsm: Vec<u8> = frames.iter().flatten().copied().collect();
    let mut wav49 = wav49_header((FRAMES / 2) as u32);
    for pair in frames.chunks_exact(2) {
        wav49.extend_from_slice(&frames_to_wav49(&[pair[0], pair[1]]));
    }
    let mut pcm = ringside::voicemail::recording::wav_header(8000, (FRAMES * 320) as u32).to_vec();
    pcm.resize(44 + FRAMES * 320, 0);
    for (id, ext, bytes) in [
        ("long-gsm", "gsm", &gsm),
        ("long-wav49", "WAV", &wav49),
        ("long-pcm", "wav", &pcm),
    ] {
        let info = sample_message(id, "5550002", 1_700_000_000, 300);
        spool
            .deposit("default", "2002", "Old", &info, Some((ext, bytes)))
            .expect("deposit");
    }
    // Long messages live in their own mailbox so the listing bench reads 1,000 files only.
    let inbox = Inbox::new(Spool::new(dir.path(), "default"), AmiClient::unavailable());
    let mb = mailbox("1001").expect("mailbox");

    c.bench_function("voicemail list page (20 of 1,000 messages)", |b| {
        b.iter(|| black_box(inbox.list(&mb, Folder::Inbox, 3, 20).expect("list")))
    });
    let long = Inbox::new(Spool::new(dir.path(), "default"), AmiClient::unavailable());
    let long_mb = mailbox("2002").expect("mailbox");
    for id in ["long-pcm", "long-wav49", "long-gsm"] {
        c.bench_function(
            &format!("voicemail first byte of 5-minute message ({id})"),
            |b| {
                b.iter(|| {
                    let (_, mut rec) = long.open_recording(&long_mb, id).expect("open");
                    let mut got = 0;
                    rec.read_range(0..rec.wav_len(), &mut |chunk| {
                        got = chunk.len();
                        false
                    })
                    .expect("read");
                    black_box(got)
                })
            },
        );
    }
    c.bench_function(
        "voicemail last second of 5-minute GSM message (range request)",
        |b| {
            b.iter(|| {
                let (_, mut rec) = long.open_recording(&long_mb, "long-gsm").expect("open");
                let len = rec.wav_len();
                let mut got = 0;
                rec.read_range(len - 16_000..len, &mut |chunk| {
                    got += chunk.len();
                    true
                })
                .expect("read");
                black_box(got)
            })
        },
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
