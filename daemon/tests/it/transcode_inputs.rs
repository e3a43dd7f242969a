//! Every accepted input format converts to 8 kHz mono 16-bit; every bad input is refused with
//! an error naming the file and the problem, and leaves no output file behind. Also the
//! `ringside convert` command line, single and batch.

use std::f64::consts::PI;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use ringside::media::analysis::fit_tone;
use ringside::media::{OutputFormat, Threads, TranscodeError, TranscodeOptions, transcode_file};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../media-fixtures/audio")
        .join(name)
}

fn read_output(path: &Path) -> Vec<i16> {
    let mut r = hound::WavReader::open(path).expect("open output");
    let spec = r.spec();
    assert_eq!(
        (spec.sample_rate, spec.channels, spec.bits_per_sample),
        (8000, 1, 16)
    );
    r.samples::<i16>().map(|s| s.expect("sample")).collect()
}

/// Converts `input` to WAV and returns the detected input and the 1 kHz level in dB.
fn convert_tone(input: &Path) -> (String, f64, usize) {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out.wav");
    let report = transcode_file(input, &out, &TranscodeOptions::default()).expect("transcode");
    let samples = read_output(&out);
    assert_eq!(report.output_samples, samples.len() as u64);
    let middle: Vec<f64> = samples[samples.len() / 4..samples.len() * 3 / 4]
        .iter()
        .map(|&s| f64::from(s) / 32768.0)
        .collect();
    (
        report.input,
        fit_tone(&middle, 8000.0, 1000.0).level_db(),
        samples.len(),
    )
}

fn assert_tone(input: &Path, expect_input: &str, expect_len: usize) {
    let (found, level, len) = convert_tone(input);
    assert_eq!(found, expect_input);
    assert!(
        (level + 6.02).abs() < 0.5,
        "{}: 1 kHz at {level:.2} dB",
        input.display()
    );
    assert!(
        len.abs_diff(expect_len) <= 1200,
        "{}: {len} samples, expected about {expect_len}",
        input.display()
    );
}

#[test]
fn mp3_converts() {
    assert_tone(
        &fixture("tone-1k-44k-stereo.mp3"),
        "MP3, 44100 Hz, 2 channels",
        8000,
    );
}

#[test]
fn mp3_behind_an_id3_tag_converts() {
    assert_tone(
        &fixture("tone-1k-44k-stereo-id3.mp3"),
        "MP3, 44100 Hz, 2 channels",
        8000,
    );
}

#[test]
fn flac_converts() {
    assert_tone(
        &fixture("tone-1k-44k-stereo.flac"),
        "FLAC, 44100 Hz, 2 channels",
        8000,
    );
}

#[test]
fn ogg_vorbis_converts() {
    assert_tone(
        &fixture("tone-1k-44k-stereo.ogg"),
        "Ogg (vorbis), 44100 Hz, 2 channels",
        8000,
    );
}

#[test]
fn wav_holding_ulaw_and_alaw_converts() {
    assert_tone(
        &fixture("tone-1k-ulaw.wav"),
        "WAV (pcm_mulaw), 8000 Hz, 1 channel",
        8000,
    );
    assert_tone(
        &fixture("tone-1k-alaw.wav"),
        "WAV (pcm_alaw), 8000 Hz, 1 channel",
        8000,
    );
}

#[test]
fn extensible_24_bit_48k_stereo_wav_converts() {
    assert_tone(
        &fixture("tone-1k-48k-24bit-stereo.wav"),
        "WAV (pcm_s24le), 48000 Hz, 2 channels",
        4000,
    );
}

#[test]
fn headerless_ulaw_and_alaw_convert_by_extension() {
    assert_tone(
        &fixture("tone-1k.ulaw"),
        "raw µ-law, 8000 Hz, 1 channel",
        8000,
    );
    assert_tone(
        &fixture("tone-1k.alaw"),
        "raw A-law, 8000 Hz, 1 channel",
        8000,
    );
}

/// Writes a WAV of a 1 kHz tone at -6 dBFS in any sample format, header by hand so every
/// format tag (including 64-bit float, which hound cannot write) is covered.
fn write_any_wav(path: &Path, rate: u32, channels: u16, format_tag: u16, bits: u16) {
    let frames = rate as usize;
    let mut data = Vec::new();
    for n in 0..frames {
        let x = 0.501_187 * (2.0 * PI * 1000.0 * n as f64 / f64::from(rate)).sin();
        for _ in 0..channels {
            match (format_tag, bits) {
                (1, 8) => data.push(((x * 128.0).round() + 128.0) as u8),
                (1, 16) => data.extend(((x * 32768.0).round() as i16).to_le_bytes()),
                (1, 24) => data.extend(&((x * 8_388_608.0).round() as i32).to_le_bytes()[..3]),
                (1, 32) => data.extend(((x * 2_147_483_648.0).round() as i32).to_le_bytes()),
                (3, 32) => data.extend((x as f32).to_le_bytes()),
                (3, 64) => data.extend(x.to_le_bytes()),
                other => panic!("no writer for {other:?}"),
            }
        }
    }
    let align = channels * bits / 8;
    let mut v = b"RIFF".to_vec();
    v.extend((36 + data.len() as u32).to_le_bytes());
    v.extend(b"WAVEfmt ");
    v.extend(16u32.to_le_bytes());
    v.extend(format_tag.to_le_bytes());
    v.extend(channels.to_le_bytes());
    v.extend(rate.to_le_bytes());
    v.extend((rate * u32::from(align)).to_le_bytes());
    v.extend(align.to_le_bytes());
    v.extend(bits.to_le_bytes());
    v.extend(b"data");
    v.extend((data.len() as u32).to_le_bytes());
    v.extend(data);
    std::fs::write(path, v).expect("write wav");
}

#[test]
fn wav_in_every_pcm_and_float_width_converts() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (tag, bits, codec) in [
        (1, 8, "pcm_u8"),
        (1, 16, "pcm_s16le"),
        (1, 24, "pcm_s24le"),
        (1, 32, "pcm_s32le"),
        (3, 32, "pcm_f32le"),
        (3, 64, "pcm_f64le"),
    ] {
        let input = dir.path().join(format!("{tag}-{bits}.wav"));
        write_any_wav(&input, 22050, 1, tag, bits);
        assert_tone(&input, &format!("WAV ({codec}), 22050 Hz, 1 channel"), 8000);
    }
}

#[test]
fn six_channel_wav_is_down_mixed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("surround.wav");
    write_any_wav(&input, 48000, 6, 1, 16);
    assert_tone(&input, "WAV (pcm_s16le), 48000 Hz, 6 channels", 8000);
}

#[test]
fn gsm_decoder_matches_sox_within_one_lsb() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("speech.wav");
    let report = transcode_file(&fixture("speech.gsm"), &out, &TranscodeOptions::default())
        .expect("transcode");
    assert_eq!(report.input, "raw GSM 06.10, 8000 Hz, 1 channel");
    let ours = read_output(&out);
    let sox = read_output(&fixture("speech-gsm-decoded-by-sox.wav"));
    assert_eq!(ours.len(), sox.len());
    let worst = ours
        .iter()
        .zip(&sox)
        .map(|(a, b)| (i32::from(*a) - i32::from(*b)).abs())
        .max();
    assert!(
        worst <= Some(1),
        "largest difference from sox: {worst:?} LSB"
    );
    assert!(
        sox.iter().any(|&s| s.abs() > 1000),
        "reference is not silence"
    );
}

#[test]
fn raw_outputs_carry_the_same_samples_as_the_wav() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = fixture("speech-8k.wav");
    let convert = |format: OutputFormat, name: &str| {
        let out = dir.path().join(name);
        let opts = TranscodeOptions {
            format,
            ..TranscodeOptions::default()
        };
        transcode_file(&input, &out, &opts).expect("transcode");
        std::fs::read(out).expect("read output")
    };
    let wav = read_output(&{
        convert(OutputFormat::Wav, "p.wav");
        dir.path().join("p.wav")
    });
    let sln = convert(OutputFormat::Sln, "p.sln");
    let ulaw = convert(OutputFormat::Ulaw, "p.ulaw");
    let alaw = convert(OutputFormat::Alaw, "p.alaw");
    let sln: Vec<i16> = sln
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect();
    assert_eq!(sln, wav);
    let from_ulaw: Vec<u8> = wav
        .iter()
        .map(|&s| ringside::media::g711::linear_to_ulaw(s))
        .collect();
    let from_alaw: Vec<u8> = wav
        .iter()
        .map(|&s| ringside::media::g711::linear_to_alaw(s))
        .collect();
    assert_eq!(ulaw, from_ulaw);
    assert_eq!(alaw, from_alaw);
}

#[test]
fn eight_khz_16_bit_input_passes_through_bit_exact() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("same.wav");
    transcode_file(
        &fixture("speech-8k.wav"),
        &out,
        &TranscodeOptions::default(),
    )
    .expect("transcode");
    assert_eq!(read_output(&out), read_output(&fixture("speech-8k.wav")));
}

#[test]
fn normalize_raises_the_peak_to_just_below_full_scale() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("loud.wav");
    let opts = TranscodeOptions {
        normalize: true,
        ..TranscodeOptions::default()
    };
    transcode_file(&fixture("tone-1k.ulaw"), &out, &opts).expect("transcode");
    let peak = read_output(&out)
        .iter()
        .map(|s| i32::from(*s).abs())
        .max()
        .unwrap_or(0);
    assert!((32300..=32767).contains(&peak), "peak {peak}");
}

#[test]
fn trim_silence_removes_leading_and_trailing_silence() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("padded.ulaw");
    let mut bytes = vec![0xFFu8; 8000];
    bytes.extend(std::fs::read(fixture("tone-1k.ulaw")).expect("fixture"));
    bytes.extend(vec![0xFFu8; 16000]);
    std::fs::write(&input, bytes).expect("write");
    let out = dir.path().join("trimmed.wav");
    let opts = TranscodeOptions {
        trim_silence: true,
        ..TranscodeOptions::default()
    };
    let report = transcode_file(&input, &out, &opts).expect("transcode");
    assert_eq!(report.output_samples, 8000 + 160);
    assert_eq!(read_output(&out).len(), 8160);
}

// ---- bad input -------------------------------------------------------------------------

/// Converts `input` expecting failure; checks no output (nor temporary file) is left.
fn refuse(input: &Path, opts: &TranscodeOptions) -> TranscodeError {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out.wav");
    let err = transcode_file(input, &out, opts).expect_err("must be refused");
    let left: Vec<_> = std::fs::read_dir(dir.path()).expect("list").collect();
    assert!(left.is_empty(), "files left behind: {left:?}");
    let name = input.file_name().and_then(|n| n.to_str()).expect("name");
    assert!(
        err.to_string().contains(name),
        "error does not name the file: {err}"
    );
    err
}

fn scratch(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("write input");
    (dir, path)
}

#[test]
fn zero_byte_file_is_refused_as_empty() {
    let (_d, p) = scratch("empty.wav", b"");
    let err = refuse(&p, &TranscodeOptions::default());
    assert!(matches!(err, TranscodeError::Empty { .. }), "{err}");
    assert!(err.to_string().contains("accepted:"), "{err}");
}

#[test]
fn text_renamed_mp3_is_refused_naming_what_it_is() {
    let (_d, p) = scratch("song.mp3", b"This is just a note, not a song.\n");
    let err = refuse(&p, &TranscodeOptions::default());
    assert!(err.to_string().contains("plain text"), "{err}");
}

fn truncated(name: &str, keep: f64) -> (tempfile::TempDir, PathBuf) {
    let bytes = std::fs::read(fixture(name)).expect("fixture");
    scratch(
        &format!("cut-{name}"),
        &bytes[..(bytes.len() as f64 * keep) as usize],
    )
}

#[test]
fn truncated_mp3_is_refused() {
    let (_d, p) = truncated("tone-1k-44k-stereo.mp3", 0.5);
    let err = refuse(&p, &TranscodeOptions::default());
    assert!(
        err.to_string().contains("truncated") || err.to_string().contains("damaged"),
        "{err}"
    );
}

#[test]
fn truncated_flac_is_refused() {
    let (_d, p) = truncated("tone-1k-44k-stereo.flac", 0.5);
    let err = refuse(&p, &TranscodeOptions::default());
    assert!(matches!(err, TranscodeError::Malformed { .. }), "{err}");
}

#[test]
fn truncated_wav_is_refused() {
    let (_d, p) = truncated("speech-8k.wav", 0.5);
    let err = refuse(&p, &TranscodeOptions::default());
    assert!(err.to_string().contains("truncated"), "{err}");
}

fn wav_header(channels: u16, fmt_size: u32, data_size: u32) -> Vec<u8> {
    let mut v = b"RIFF\x00\x10\x00\x00WAVEfmt ".to_vec();
    v.extend(fmt_size.to_le_bytes());
    v.extend(1u16.to_le_bytes());
    v.extend(channels.to_le_bytes());
    v.extend(8000u32.to_le_bytes());
    v.extend(16000u32.to_le_bytes());
    v.extend((channels.max(1) * 2).to_le_bytes());
    v.extend(16u16.to_le_bytes());
    v.extend(b"data");
    v.extend(data_size.to_le_bytes());
    v
}

#[test]
fn wav_with_zero_channels_is_refused() {
    let mut bytes = wav_header(0, 16, 1000);
    bytes.extend(vec![0u8; 1000]);
    let (_d, p) = scratch("nochannels.wav", &bytes);
    let err = refuse(&p, &TranscodeOptions::default());
    assert!(err.to_string().contains("0 channels"), "{err}");
}

#[test]
fn wav_with_absurd_chunk_size_is_refused() {
    let mut bytes = wav_header(1, 0xFFFF_FFF0, 1000);
    bytes.extend(vec![0u8; 1000]);
    let (_d, p) = scratch("hugefmt.wav", &bytes);
    let err = refuse(&p, &TranscodeOptions::default());
    assert!(err.to_string().contains("fmt"), "{err}");
}

#[test]
fn six_megabyte_upload_is_refused_before_decoding() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("big.ulaw");
    let f = std::fs::File::create(&p).expect("create");
    f.set_len(6_000_000).expect("sparse file");
    let err = refuse(&p, &TranscodeOptions::default());
    assert!(
        matches!(
            err,
            TranscodeError::TooLarge {
                size: Some(6_000_000),
                limit: 5_000_000,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn two_hour_wav_is_refused_from_its_header() {
    // The header claims two hours of 8 kHz 16-bit audio; the file itself is sparse.
    let data = 2 * 3600 * 16000u32;
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("long.wav");
    std::fs::write(&p, wav_header(1, 16, data)).expect("write");
    std::fs::OpenOptions::new()
        .write(true)
        .open(&p)
        .expect("open")
        .set_len(44 + u64::from(data))
        .expect("sparse");
    let opts = TranscodeOptions {
        max_input_bytes: u64::MAX,
        ..TranscodeOptions::default()
    };
    let err = refuse(&p, &opts);
    assert!(err.to_string().contains("2:00:00"), "{err}");
}

#[test]
fn duration_limit_holds_while_streaming_headerless_audio() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("long.alaw");
    std::fs::write(&p, vec![0xD5u8; 8000 * 3]).expect("write");
    let opts = TranscodeOptions {
        max_duration: Duration::from_secs(2),
        ..TranscodeOptions::default()
    };
    let err = refuse(&p, &opts);
    assert!(matches!(err, TranscodeError::TooLong { .. }), "{err}");
}

#[test]
fn gsm_whose_length_is_not_a_multiple_of_33_is_refused() {
    let bytes = std::fs::read(fixture("speech.gsm")).expect("fixture");
    let (_d, p) = scratch("odd.gsm", &bytes[..bytes.len() - 5]);
    let err = refuse(&p, &TranscodeOptions::default());
    assert!(err.to_string().contains("33-byte frames"), "{err}");
}

#[test]
fn gsm_output_is_refused_while_no_encoder_is_built_in() {
    let opts = TranscodeOptions {
        format: OutputFormat::Gsm,
        ..TranscodeOptions::default()
    };
    let err = refuse(&fixture("tone-1k.ulaw"), &opts);
    assert!(
        matches!(err, TranscodeError::OutputUnavailable { .. }),
        "{err}"
    );
}

// ---- command line ----------------------------------------------------------------------

fn ringside() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ringside"))
}

#[test]
fn cli_converts_one_file_to_the_requested_format() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("tone.ulaw");
    let status = ringside()
        .args(["convert", "--format", "ulaw"])
        .arg(fixture("tone-1k-44k-stereo.mp3"))
        .arg(&out)
        .output()
        .expect("run ringside");
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let len = std::fs::metadata(&out).expect("output").len();
    assert!(len.abs_diff(8000) < 1200, "{len} bytes");
}

#[test]
fn cli_exits_non_zero_and_names_the_file_on_bad_input() {
    let (_d, bad) = scratch("notes.mp3", b"plain words\n");
    let out = bad.with_file_name("out.wav");
    let result = ringside()
        .arg("convert")
        .arg(&bad)
        .arg(&out)
        .output()
        .expect("run ringside");
    assert!(!result.status.success());
    assert!(String::from_utf8_lossy(&result.stderr).contains("notes.mp3"));
    assert!(!out.exists());
}

#[test]
fn cli_batch_converts_the_good_files_and_reports_each_failure_on_one_line() {
    let (dir, bad) = scratch("broken.flac", b"fLaC but nothing else");
    let out_dir = dir.path().join("out");
    let result = ringside()
        .args(["convert", "--out-dir"])
        .arg(&out_dir)
        .arg(fixture("tone-1k.ulaw"))
        .arg(&bad)
        .arg(fixture("tone-1k-44k-stereo.ogg"))
        .output()
        .expect("run ringside");
    assert!(!result.status.success());
    let stderr = String::from_utf8_lossy(&result.stderr);
    let failures: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(failures.len(), 1, "{stderr}");
    assert!(failures[0].contains("broken.flac"), "{stderr}");
    assert!(out_dir.join("tone-1k.wav").exists());
    assert!(out_dir.join("tone-1k-44k-stereo.wav").exists());
    assert!(!out_dir.join("broken.wav").exists());
}

#[test]
fn gsm_extension_on_other_content_says_it_was_taken_as_raw_by_extension() {
    let (_d, p) = scratch("prompt.gsm", &[0x11u8; 66]);
    let err = refuse(&p, &TranscodeOptions::default());
    let text = err.to_string();
    assert!(
        text.contains("not a GSM 06.10 frame") && text.contains(".gsm extension"),
        "{text}"
    );
}

#[test]
fn wav_chunks_after_the_audio_are_not_played_as_audio() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("tagged.wav");
    write_any_wav(&input, 8000, 1, 1, 16);
    let mut bytes = std::fs::read(&input).expect("read");
    bytes.extend(b"LIST\x10\0\0\0INFOISFT\x04\0\0\0abc\0");
    let riff_len = (bytes.len() - 8) as u32;
    bytes[4..8].copy_from_slice(&riff_len.to_le_bytes());
    std::fs::write(&input, bytes).expect("write");
    let out = dir.path().join("out.wav");
    let report = transcode_file(&input, &out, &TranscodeOptions::default()).expect("transcode");
    assert_eq!(report.output_samples, 8000);
    assert_eq!(read_output(&out).len(), 8000);
}

// ---- threads -----------------------------------------------------------------------------

/// Converts `input` with each `Threads` choice; returns the output files' bytes.
fn convert_with_each_thread_choice(input: &Path, opts: &TranscodeOptions) -> Vec<Vec<u8>> {
    let dir = tempfile::tempdir().expect("tempdir");
    [Threads::One, Threads::Two, Threads::Auto]
        .into_iter()
        .map(|threads| {
            let out = dir.path().join(format!("out-{threads:?}.wav"));
            let opts = TranscodeOptions {
                threads,
                ..opts.clone()
            };
            transcode_file(input, &out, &opts).expect("transcode");
            std::fs::read(&out).expect("read output")
        })
        .collect()
}

#[test]
fn mp3_and_wav_convert_to_the_same_bytes_on_one_thread_and_on_two() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Ten seconds of 44.1 kHz stereo: about fifty blocks through the decoding thread.
    let long_wav = dir.path().join("cd-10s.wav");
    crate::common::audio::write_cd_wav(&long_wav, 441_000, |n| {
        let t = f64::from(n) / 44_100.0;
        let left = 0.5 * (2.0 * PI * 1000.0 * t).sin();
        let right = 0.3 * (2.0 * PI * (300.0 + 300.0 * t) * t).sin();
        let sample = |x: f64| (x * 32767.0).round() as i16;
        (sample(left), sample(right))
    });
    // MP3s are decoded in chunks on both threads (more inputs in `transcode_mp3_chunks`).
    let inputs = [
        fixture("tone-1k-44k-stereo.mp3"),
        fixture("music-44k-stereo-vbr.mp3"),
        fixture("music-22k-mono-mpeg2.mp3"),
        fixture("tone-1k-48k-24bit-stereo.wav"),
        long_wav,
    ];
    for input in &inputs {
        for opts in [
            TranscodeOptions::default(),
            TranscodeOptions {
                normalize: true,
                format: OutputFormat::Ulaw,
                ..TranscodeOptions::default()
            },
        ] {
            let outputs = convert_with_each_thread_choice(input, &opts);
            assert!(outputs[0].len() > 1000, "{}: empty output", input.display());
            for (threads, bytes) in ["two", "auto"].iter().zip(&outputs[1..]) {
                assert!(
                    *bytes == outputs[0],
                    "{}: {threads} threads wrote different bytes from one",
                    input.display()
                );
            }
        }
    }
}

#[test]
fn truncated_mp3_is_refused_alike_with_a_decoding_thread_and_leaves_nothing() {
    let (_d, p) = truncated("tone-1k-44k-stereo.mp3", 0.5);
    let refused = |threads| {
        refuse(
            &p,
            &TranscodeOptions {
                threads,
                ..TranscodeOptions::default()
            },
        )
        .to_string()
    };
    assert_eq!(refused(Threads::Two), refused(Threads::One));
}
