//! Objective measurements of a converted prompt: the level of a known tone and the SINAD
//! (signal to noise-and-distortion ratio) around it, by least-squares fitting of that tone.
//!
//! Used by the quality-gate tests and the comparison benchmark. Pure arithmetic on samples;
//! it is not a spectrum analyser and measures one known frequency at a time.

/// Result of fitting `a·sin(ωn) + b·cos(ωn) + c` to a signal.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ToneFit {
    /// Peak amplitude of the fitted tone (1.0 = full scale).
    pub amplitude: f64,
    /// Mean power of what the tone does not explain (noise, distortion, aliases).
    pub residual_power: f64,
}

impl ToneFit {
    /// Tone level in dB relative to a full-scale sine.
    pub fn level_db(&self) -> f64 {
        20.0 * self.amplitude.max(1e-300).log10()
    }

    /// Signal power over residual power, in dB.
    pub fn sinad_db(&self) -> f64 {
        let signal = self.amplitude * self.amplitude / 2.0;
        10.0 * (signal / self.residual_power.max(1e-300)).log10()
    }
}

/// Fits a tone of `freq` Hz to `samples` taken at `rate` Hz.
pub fn fit_tone(samples: &[f64], rate: f64, freq: f64) -> ToneFit {
    let w = 2.0 * std::f64::consts::PI * freq / rate;
    // Normal equations of the 3-parameter sine fit (IEEE 1057), accumulated in one pass.
    let mut m = [[0.0f64; 3]; 3];
    let mut v = [0.0f64; 3];
    for (n, &y) in samples.iter().enumerate() {
        let (s, c) = (w * n as f64).sin_cos();
        let basis = [s, c, 1.0];
        for i in 0..3 {
            v[i] += basis[i] * y;
            for j in 0..3 {
                m[i][j] += basis[i] * basis[j];
            }
        }
    }
    let coef = solve3(m, v);
    let mut residual = 0.0;
    for (n, &y) in samples.iter().enumerate() {
        let (s, c) = (w * n as f64).sin_cos();
        let e = y - (coef[0] * s + coef[1] * c + coef[2]);
        residual += e * e;
    }
    ToneFit {
        amplitude: coef[0].hypot(coef[1]),
        residual_power: residual / samples.len().max(1) as f64,
    }
}

/// Gaussian elimination with partial pivoting for a 3x3 system.
fn solve3(mut m: [[f64; 3]; 3], mut v: [f64; 3]) -> [f64; 3] {
    for col in 0..3 {
        let pivot = (col..3)
            .max_by(|&a, &b| m[a][col].abs().total_cmp(&m[b][col].abs()))
            .unwrap_or(col);
        m.swap(col, pivot);
        v.swap(col, pivot);
        let p = m[col][col];
        if p.abs() < 1e-300 {
            return [0.0; 3];
        }
        for row in col + 1..3 {
            let f = m[row][col] / p;
            let pivot_row = m[col];
            for (cell, &above) in m[row].iter_mut().zip(&pivot_row).skip(col) {
                *cell -= f * above;
            }
            v[row] -= f * v[col];
        }
    }
    let mut x = [0.0; 3];
    for row in (0..3).rev() {
        let mut acc = v[row];
        for k in row + 1..3 {
            acc -= m[row][k] * x[k];
        }
        x[row] = acc / m[row][row];
    }
    x
}

/// Root-mean-square level in dB relative to a full-scale sine (so a full-scale sine is 0 dB).
pub fn rms_db(samples: &[f64]) -> f64 {
    let power = samples.iter().map(|s| s * s).sum::<f64>() / samples.len().max(1) as f64;
    10.0 * (power * 2.0).max(1e-300).log10()
}

/// Reads a 16-bit PCM WAV and returns its sample rate and its first channel as floats.
pub fn read_pcm16_wav(path: &std::path::Path) -> Result<(u32, Vec<f64>), hound::Error> {
    let mut reader = hound::WavReader::open(path)?;
    let spec = reader.spec();
    if spec.bits_per_sample != 16 || spec.sample_format != hound::SampleFormat::Int {
        return Err(hound::Error::Unsupported);
    }
    let channels = usize::from(spec.channels.max(1));
    let samples = reader
        .samples::<i16>()
        .step_by(channels)
        .map(|s| s.map(|v| f64::from(v) / 32768.0))
        .collect::<Result<Vec<f64>, _>>()?;
    Ok((spec.sample_rate, samples))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(amplitude: f64, freq: f64, rate: f64, n: usize) -> Vec<f64> {
        (0..n)
            .map(|i| amplitude * (2.0 * std::f64::consts::PI * freq * i as f64 / rate + 0.3).sin())
            .collect()
    }

    #[test]
    fn fit_recovers_amplitude_of_a_clean_tone() {
        let fit = fit_tone(&sine(0.5, 1000.0, 8000.0, 8000), 8000.0, 1000.0);
        assert!((fit.level_db() - (-6.0206)).abs() < 1e-3, "{fit:?}");
        assert!(fit.sinad_db() > 200.0, "{fit:?}");
    }

    #[test]
    fn sinad_of_a_tone_plus_known_interferer_matches_their_power_ratio() {
        let mut s = sine(0.5, 1000.0, 8000.0, 16000);
        for (x, y) in s.iter_mut().zip(sine(0.005, 2500.0, 8000.0, 16000)) {
            *x += y;
        }
        let fit = fit_tone(&s, 8000.0, 1000.0);
        assert!((fit.sinad_db() - 40.0).abs() < 0.05, "{fit:?}");
    }

    #[test]
    fn rms_of_full_scale_sine_is_zero_db() {
        assert!(rms_db(&sine(1.0, 440.0, 8000.0, 8000)).abs() < 1e-3);
    }
}
