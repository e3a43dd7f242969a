//! Upload to playable: the time from a greeting upload's last byte to the converted greeting
//! in place under its app_voicemail name, over 100 uploads of a 30 s MP3; prints p50, p99
//! and the worst. Each upload takes the portal's steps after the body is in memory: stage the
//! bytes in a fresh directory, convert them with the media path's `Transcoder` into a
//! temporary file beside the greeting, install it durably (fsync, rename, fsync of the
//! directory), remove the stage. The HTTP request and the blocking-thread hop are not in it.
//!
//! The MP3 is `RINGSIDE_BENCH_GREETING_MP3` (`benches/greeting-upload.sh` makes a 30 s one
//! with ffmpeg); the spool is a temporary directory, or one under `RINGSIDE_BENCH_SPOOL` to
//! measure another file system. Run: `cargo bench -p ringside-benches --bench greeting_upload`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use ringside::voicemail::greeting_rule::GreetingKind;
use ringside::voicemail::greetings::{GreetingFiles, Mailbox, Transcoder};

const UPLOADS: usize = 100;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn main() {
    let Some(mp3) = std::env::var_os("RINGSIDE_BENCH_GREETING_MP3").map(PathBuf::from) else {
        eprintln!(
            "greeting_upload: set RINGSIDE_BENCH_GREETING_MP3 to a 30 s MP3 \
             (benches/greeting-upload.sh makes one)"
        );
        return;
    };
    let audio = std::fs::read(&mp3).expect("reads the MP3");
    let root = match std::env::var_os("RINGSIDE_BENCH_SPOOL") {
        Some(dir) => tempfile::tempdir_in(dir),
        None => tempfile::tempdir(),
    }
    .expect("temporary spool");
    let files = GreetingFiles::new(root.path().join("spool"), "default").expect("spool");
    let staging = root.path().join("uploads");
    let mailbox = Mailbox::parse("1001").expect("mailbox");
    let converter = Transcoder::default();

    let mut times = Vec::with_capacity(UPLOADS);
    for _ in 0..UPLOADS {
        let started = Instant::now();
        std::fs::create_dir_all(&staging).expect("staging directory");
        let stage = tempfile::Builder::new()
            .prefix(".greeting-")
            .tempdir_in(&staging)
            .expect("stage");
        let staged = stage.path().join("greeting.mp3");
        std::fs::write(&staged, &audio).expect("stages the upload");
        let installed = files
            .upload(&mailbox, GreetingKind::Unavail, &staged, &converter)
            .expect("converts and installs");
        drop(stage);
        times.push(started.elapsed());
        let seconds = installed.duration.map_or(0.0, |d| d.as_secs_f64());
        assert!(
            (seconds - 30.0).abs() < 0.1,
            "the installed greeting lasts {seconds} s"
        );
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "upload to playable, {UPLOADS} uploads of {} ({} bytes): p50 {:.1} ms, p99 {:.1} ms, \
         worst {:.1} ms (goal: within 100 ms)",
        mp3.display(),
        audio.len(),
        ms(percentile(&times, 50.0)),
        ms(percentile(&times, 99.0)),
        ms(percentile(&times, 100.0)),
    );
}
