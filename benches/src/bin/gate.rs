//! `gate`: prints the quality-gate figures of a converted 16-bit WAV, for the side-by-side
//! comparison script. `gate level FILE FREQ` prints the tone's level in dB; `gate sinad FILE
//! FREQ` its SINAD in dB; `gate rms FILE` the overall level in dB (full-scale sine = 0 dB).
//! The first and last quarter second are left out so filter start-up does not count.

use std::path::Path;
use std::process::ExitCode;

use ringside::media::analysis::{fit_tone, read_pcm16_wav, rms_db};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (what, file) = match (args.first(), args.get(1)) {
        (Some(w), Some(f)) => (w.as_str(), f),
        _ => {
            eprintln!("usage: gate level|sinad FILE FREQ | gate rms FILE");
            return ExitCode::FAILURE;
        }
    };
    let (rate, samples) = match read_pcm16_wav(Path::new(file)) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("gate: {file}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let edge = (rate / 4) as usize;
    if samples.len() <= 2 * edge {
        eprintln!("gate: {file}: too short to measure");
        return ExitCode::FAILURE;
    }
    let body = &samples[edge..samples.len() - edge];
    let freq = args
        .get(2)
        .and_then(|f| f.parse::<f64>().ok())
        .unwrap_or(1000.0);
    let value = match what {
        "level" => fit_tone(body, f64::from(rate), freq).level_db(),
        "sinad" => fit_tone(body, f64::from(rate), freq).sinad_db(),
        "rms" => rms_db(body),
        other => {
            eprintln!("gate: unknown measure '{other}'");
            return ExitCode::FAILURE;
        }
    };
    println!("{value:.2}");
    ExitCode::SUCCESS
}
