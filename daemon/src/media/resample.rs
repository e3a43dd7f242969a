//! Streaming rate conversion of mono audio to 8 kHz, with a steep anti-aliasing filter.
//!
//! Wraps rubato's synchronous FFT resampler (windowed-sinc filter, squared Blackman-Harris
//! window) sized so the passband is flat past 3.4 kHz and everything from 4 kHz up is far below
//! 16-bit noise. It trims the filter delay so output sample 0 lines up with input sample 0.
//! It is not a general resampler: the output rate is always 8 kHz and the input is mono.

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Indexing, Resampler, WindowFunction};

/// The rate Asterisk plays prompts at.
pub const OUTPUT_RATE: u32 = 8000;

/// Output block of the FFT filter at 8 kHz; longer blocks give a longer, steeper filter.
const FFT_OUTPUT_FRAMES: usize = 640;

/// Rubato refused the rate pair.
#[derive(Debug, thiserror::Error)]
#[error("cannot resample from {rate} Hz: {detail}")]
pub struct ResampleSetupError {
    pub rate: u32,
    pub detail: String,
}

/// A mono converter from `input_rate` to 8 kHz.
pub struct ToNarrowband {
    stage: Option<FftStage>,
    input_rate: u32,
    frames_in: u64,
    frames_out: u64,
}

struct FftStage {
    fft: Fft<f32>,
    pending: Vec<f32>,
    scratch: Vec<f32>,
    /// Output frames still to drop at the start (the filter's delay).
    to_skip: usize,
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

impl ToNarrowband {
    pub fn new(input_rate: u32) -> Result<Self, ResampleSetupError> {
        let stage = if input_rate == OUTPUT_RATE {
            None
        } else {
            let g = gcd(u64::from(input_rate), u64::from(OUTPUT_RATE));
            let min_in = (u64::from(input_rate) / g) as usize;
            let min_out = (u64::from(OUTPUT_RATE) / g) as usize;
            let blocks = FFT_OUTPUT_FRAMES.div_ceil(min_out).max(1);
            let chunk = blocks * min_in;
            let fft = Fft::<f32>::new_custom(
                input_rate as usize,
                OUTPUT_RATE as usize,
                chunk,
                1,
                1,
                WindowFunction::BlackmanHarris2,
                FixedSync::Input,
            )
            .map_err(|e| ResampleSetupError {
                rate: input_rate,
                detail: e.to_string(),
            })?;
            let to_skip = fft.output_delay();
            let scratch = vec![0.0; fft.output_frames_max()];
            Some(FftStage {
                fft,
                pending: Vec::with_capacity(chunk * 2),
                scratch,
                to_skip,
            })
        };
        Ok(ToNarrowband {
            stage,
            input_rate,
            frames_in: 0,
            frames_out: 0,
        })
    }

    /// Output frames the input seen so far should make, rounded to the nearest frame.
    fn expected_out(&self) -> u64 {
        let rate = u64::from(self.input_rate);
        (self.frames_in * u64::from(OUTPUT_RATE) + rate / 2) / rate
    }

    /// Feeds input frames and appends whatever output is ready to `out`.
    pub fn push(&mut self, input: &[f32], out: &mut Vec<f32>) {
        self.frames_in += input.len() as u64;
        match &mut self.stage {
            None => {
                out.extend_from_slice(input);
                self.frames_out += input.len() as u64;
            }
            Some(stage) => {
                stage.pending.extend_from_slice(input);
                let mut consumed = 0;
                loop {
                    let need = stage.fft.input_frames_next();
                    if stage.pending.len() - consumed < need {
                        break;
                    }
                    let produced = run(
                        &mut stage.fft,
                        &mut stage.scratch,
                        &stage.pending[consumed..consumed + need],
                        None,
                    );
                    consumed += need;
                    self.frames_out += stage.emit(produced, out, u64::MAX);
                }
                stage.pending.drain(..consumed);
            }
        }
    }

    /// Flushes the filter and appends the remaining output.
    pub fn finish(&mut self, out: &mut Vec<f32>) {
        let expected = self.expected_out();
        let Some(stage) = &mut self.stage else {
            return;
        };
        let mut remaining = expected.saturating_sub(self.frames_out);
        let mut partial = std::mem::take(&mut stage.pending);
        while remaining > 0 {
            let len = partial.len();
            let need = stage.fft.input_frames_next();
            partial.resize(need, 0.0);
            let produced = run(&mut stage.fft, &mut stage.scratch, &partial, Some(len));
            partial.clear();
            let emitted = stage.emit(produced, out, remaining);
            remaining -= emitted;
            self.frames_out += emitted;
            if produced == 0 {
                break;
            }
        }
    }
}

/// Runs one chunk through the filter into `scratch`; returns the frames produced.
fn run(
    fft: &mut Fft<f32>,
    scratch: &mut [f32],
    input: &[f32],
    partial_len: Option<usize>,
) -> usize {
    let need = input.len();
    let out_len = scratch.len();
    let (Ok(input), Ok(mut output)) = (
        InterleavedSlice::new(input, 1, need),
        InterleavedSlice::new_mut(scratch, 1, out_len),
    ) else {
        return 0;
    };
    let indexing = partial_len.map(|n| Indexing::new().partial_len(n));
    match fft.process_into_buffer(&input, &mut output, indexing.as_ref()) {
        Ok((_, produced)) => produced,
        Err(e) => {
            tracing::error!("resampler rejected a chunk: {e}");
            0
        }
    }
}

impl FftStage {
    /// Appends up to `limit` produced frames after the delay has been skipped.
    fn emit(&mut self, produced: usize, out: &mut Vec<f32>, limit: u64) -> u64 {
        let skip = self.to_skip.min(produced);
        self.to_skip -= skip;
        let available = (produced - skip) as u64;
        let take = available.min(limit) as usize;
        out.extend_from_slice(&self.scratch[skip..skip + take]);
        take as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(rate: u32, input: &[f32], block: usize) -> Vec<f32> {
        let mut r = ToNarrowband::new(rate).expect("valid rate");
        let mut out = Vec::new();
        for chunk in input.chunks(block) {
            r.push(chunk, &mut out);
        }
        r.finish(&mut out);
        out
    }

    #[test]
    fn output_length_is_input_length_times_the_rate_ratio() {
        let input = vec![0.0; 44100 * 2 + 17];
        assert_eq!(convert(44100, &input, 1000).len(), 16003);
        assert_eq!(convert(48000, &vec![0.0; 4800], 333).len(), 800);
    }

    #[test]
    fn eight_khz_input_passes_through_unchanged() {
        let input: Vec<f32> = (0..1000).map(|i| (i as f32 * 0.01).sin()).collect();
        assert_eq!(convert(8000, &input, 77), input);
    }

    #[test]
    fn filter_delay_is_removed() {
        // An impulse at input 4410 (0.1 s) must peak at output 800 (0.1 s).
        let mut input = vec![0.0; 44100];
        input[4410] = 1.0;
        let out = convert(44100, &input, 4096);
        let peak = out
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
            .map(|(i, _)| i);
        assert_eq!(peak, Some(800));
    }

    #[test]
    fn block_size_of_the_caller_does_not_change_the_output() {
        let input: Vec<f32> = (0..20000)
            .map(|i| ((i * 7919) % 1000) as f32 / 1000.0)
            .collect();
        let a = convert(22050, &input, 100);
        let b = convert(22050, &input, 7777);
        assert_eq!(a, b);
    }
}
