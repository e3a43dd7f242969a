//! Quality gate of prompt transcoding, measured on generated tones and sweeps: passband
//! flatness to 3.4 kHz, rejection of everything at or above 4.1 kHz, SINAD of a 1 kHz tone,
//! and no clipping when full-scale stereo is down-mixed.

use std::f64::consts::PI;
use std::path::Path;

use ringside::media::analysis::{fit_tone, rms_db};
use ringside::media::{TranscodeOptions, transcode_file};

/// Writes `seconds` of `signal(t)` (per channel, in [-1, 1]) as an integer PCM WAV.
fn write_wav(
    path: &Path,
    rate: u32,
    channels: u16,
    bits: u16,
    seconds: f64,
    signal: impl Fn(f64, u16) -> f64,
) {
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: bits,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).expect("create test wav");
    let full = f64::from(1u32 << (bits - 1));
    let frames = (seconds * f64::from(rate)) as usize;
    for n in 0..frames {
        let t = n as f64 / f64::from(rate);
        for ch in 0..channels {
            let v = (signal(t, ch) * full).round().clamp(-full, full - 1.0) as i32;
            w.write_sample(v).expect("write sample");
        }
    }
    w.finalize().expect("finalize test wav");
}

/// Converts with default options and returns the 8 kHz output as floats, edges dropped so the
/// filters' start and end transients do not count.
fn convert_and_read(input: &Path) -> Vec<f64> {
    let out = input.with_extension("out.wav");
    transcode_file(input, &out, &TranscodeOptions::default()).expect("transcode");
    let mut r = hound::WavReader::open(&out).expect("open output");
    let spec = r.spec();
    assert_eq!(
        (spec.sample_rate, spec.channels, spec.bits_per_sample),
        (8000, 1, 16)
    );
    let samples: Vec<f64> = r
        .samples::<i16>()
        .map(|s| f64::from(s.expect("sample")) / 32768.0)
        .collect();
    samples[2000..samples.len() - 2000].to_vec()
}

fn tone(freq: f64, amplitude: f64) -> impl Fn(f64, u16) -> f64 {
    move |t, _| amplitude * (2.0 * PI * freq * t).sin()
}

const MINUS_6_DB: f64 = 0.501_187;

fn sinad_of_1k(rate: u32, channels: u16, bits: u16) -> f64 {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("tone.wav");
    write_wav(&input, rate, channels, bits, 3.0, tone(1000.0, MINUS_6_DB));
    let out = convert_and_read(&input);
    fit_tone(&out, 8000.0, 1000.0).sinad_db()
}

#[test]
fn passband_is_flat_within_a_tenth_of_a_db_up_to_3400_hz_from_44100() {
    let dir = tempfile::tempdir().expect("tempdir");
    for freq in [100.0, 300.0, 1000.0, 2000.0, 3000.0, 3400.0] {
        let input = dir.path().join(format!("{freq}.wav"));
        write_wav(&input, 44100, 1, 24, 2.0, tone(freq, MINUS_6_DB));
        let level = fit_tone(&convert_and_read(&input), 8000.0, freq).level_db();
        assert!(
            (level - 20.0 * MINUS_6_DB.log10()).abs() <= 0.1,
            "{freq} Hz came out at {level:.3} dB"
        );
    }
}

#[test]
fn tones_at_and_above_4100_hz_come_out_at_least_80_db_down() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (rate, freq) in [
        (44100, 4100.0),
        (44100, 4500.0),
        (44100, 7900.0),
        (44100, 12000.0),
        (44100, 20000.0),
        (48000, 4100.0),
        (16000, 4100.0),
        (16000, 7000.0),
    ] {
        let input = dir.path().join(format!("{rate}-{freq}.wav"));
        write_wav(&input, rate, 1, 24, 2.0, tone(freq, MINUS_6_DB));
        let level = rms_db(&convert_and_read(&input));
        assert!(
            level <= -6.02 - 80.0,
            "{freq} Hz from {rate} Hz came out at {level:.1} dB"
        );
    }
}

#[test]
fn a_sweep_from_4100_hz_to_nyquist_comes_out_at_least_80_db_down() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("sweep.wav");
    let (f0, f1, len) = (4100.0f64, 22000.0f64, 4.0);
    // Exponential sweep: phase is the integral of f0 * (f1/f0)^(t/len).
    let k = (f1 / f0).ln() / len;
    write_wav(&input, 44100, 1, 24, len, move |t, _| {
        MINUS_6_DB * (2.0 * PI * f0 * ((k * t).exp() - 1.0) / k).sin()
    });
    let level = rms_db(&convert_and_read(&input));
    assert!(level <= -86.02, "sweep came out at {level:.1} dB");
}

#[test]
fn sinad_of_1khz_at_minus_6_dbfs_from_44100_stereo_16_bit_is_at_least_90_db() {
    let sinad = sinad_of_1k(44100, 2, 16);
    assert!(sinad >= 90.0, "SINAD {sinad:.2} dB");
}

#[test]
fn sinad_of_1khz_at_minus_6_dbfs_from_48000_24_bit_is_at_least_90_db() {
    let sinad = sinad_of_1k(48000, 1, 24);
    assert!(sinad >= 90.0, "SINAD {sinad:.2} dB");
}

#[test]
fn sinad_of_1khz_at_minus_6_dbfs_from_16000_16_bit_is_at_least_88_db() {
    let sinad = sinad_of_1k(16000, 1, 16);
    assert!(sinad >= 88.0, "SINAD {sinad:.2} dB");
}

#[test]
fn full_scale_stereo_is_down_mixed_without_clipping() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("loud.wav");
    write_wav(&input, 44100, 2, 16, 2.0, tone(1000.0, 0.999));
    let out = convert_and_read(&input);
    let fit = fit_tone(&out, 8000.0, 1000.0);
    assert!(fit.level_db().abs() < 0.1, "level {:.3} dB", fit.level_db());
    assert!(
        fit.sinad_db() > 80.0,
        "SINAD {:.1} dB: the down-mix clipped",
        fit.sinad_db()
    );
}
