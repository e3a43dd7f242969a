//! Streaming rate conversion of mono audio to 8 kHz, with a steep anti-aliasing filter.
//!
//! Inputs at 22.05 kHz and above are first halved, as often as the rate stays at or above
//! 11.025 kHz, by zero-phase half-band filters: only 4 kHz of the signal survives anyway, so
//! these filters can be short, and the expensive steep stage then runs on a quarter of the
//! samples or fewer. That stage is a polyphase FIR ([`super::polyphase`]: a Kaiser-windowed
//! sinc with one row of coefficients per output phase) where the ratio has few phases, as from
//! 11.025, 12 and 16 kHz, which every common rate halves to; other rates use rubato's
//! synchronous FFT resampler (windowed-sinc filter, squared Blackman-Harris window). Both are
//! sized so the passband is flat past 3.4 kHz and everything from 4 kHz up is far below 16-bit
//! noise. Filter delays are trimmed so output sample 0 lines up with input sample 0. Where the
//! CPU has AVX, the half-band stages run the same arithmetic in wider registers (same output);
//! the polyphase stage's AVX2 and FMA dot product rounds once per tap instead of twice. It is
//! not a general resampler: the output rate is always 8 kHz and the input is mono.

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Indexing, Resampler, WindowFunction};

use super::polyphase::Polyphase;

/// The rate Asterisk plays prompts at (defined with the filters designed for it).
pub use super::polyphase::OUTPUT_RATE;

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
    halvers: Vec<HalfBand>,
    /// Output of each half-band stage, reused between calls.
    halved: Vec<Vec<f32>>,
    stage: Option<LastStage>,
    input_rate: u32,
    frames_in: u64,
    frames_out: u64,
}

/// The steep step to 8 kHz.
enum LastStage {
    Polyphase(Polyphase),
    Fft(Box<FftStage>),
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
        let mut halvers = Vec::new();
        let mut fft_rate = input_rate;
        while fft_rate.is_multiple_of(2) && fft_rate / 2 >= HALVED_RATE_MIN {
            halvers.push(HalfBand::new(fft_rate));
            fft_rate /= 2;
        }
        let stage = if fft_rate == OUTPUT_RATE {
            None
        } else if let Some(polyphase) = Polyphase::new(fft_rate) {
            Some(LastStage::Polyphase(polyphase))
        } else {
            let g = gcd(u64::from(fft_rate), u64::from(OUTPUT_RATE));
            let min_in = (u64::from(fft_rate) / g) as usize;
            let min_out = (u64::from(OUTPUT_RATE) / g) as usize;
            let blocks = FFT_OUTPUT_FRAMES.div_ceil(min_out).max(1);
            let chunk = blocks * min_in;
            let fft = Fft::<f32>::new_custom(
                fft_rate as usize,
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
            Some(LastStage::Fft(Box::new(FftStage {
                fft,
                pending: Vec::with_capacity(chunk * 2),
                scratch,
                to_skip,
            })))
        };
        Ok(ToNarrowband {
            halved: vec![Vec::new(); halvers.len()],
            halvers,
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
        self.push_after_half_bands(input, input.len(), out);
    }

    /// Takes the half-band stages out so that they can run on another thread, ahead of the
    /// last stage; `None` when the rate needs none. Their state goes with them, so a split in
    /// the middle of a stream changes nothing: from then on, feed what they make (their
    /// `finish` tail included) to [`ToNarrowband::push_after_half_bands`] and the result is the
    /// same, sample for sample, as pushing the input here.
    pub fn split_half_bands(&mut self) -> Option<HalfBandStages> {
        if self.halvers.is_empty() {
            return None;
        }
        Some(HalfBandStages {
            stages: std::mem::take(&mut self.halvers),
            halved: std::mem::take(&mut self.halved),
        })
    }

    /// Feeds what the split-off half-band stages made of `input_frames` input frames (of
    /// their tail: 0), or, before any split, the input itself.
    pub fn push_after_half_bands(
        &mut self,
        input: &[f32],
        input_frames: usize,
        out: &mut Vec<f32>,
    ) {
        self.frames_in += input_frames as u64;
        let mut input = input;
        for (halver, halved) in self.halvers.iter_mut().zip(self.halved.iter_mut()) {
            halved.clear();
            halver.push(input, halved);
            input = halved;
        }
        self.frames_out += push_last(self.stage.as_mut(), input, out);
    }

    /// Flushes the filter and appends the remaining output.
    pub fn finish(&mut self, out: &mut Vec<f32>) {
        let expected = self.expected_out();
        // Each half-band stage's tail feeds the stages after it, then the last stage.
        for i in 0..self.halvers.len() {
            let mut tail = Vec::new();
            self.halvers[i].finish(&mut tail);
            for (halver, halved) in self.halvers[i + 1..]
                .iter_mut()
                .zip(self.halved[i + 1..].iter_mut())
            {
                halved.clear();
                halver.push(&tail, halved);
                std::mem::swap(&mut tail, halved);
            }
            self.frames_out += push_last(self.stage.as_mut(), &tail, out);
        }
        let mut remaining = expected.saturating_sub(self.frames_out);
        let stage = match &mut self.stage {
            None => return,
            Some(LastStage::Polyphase(polyphase)) => {
                let owed = usize::try_from(remaining).unwrap_or(usize::MAX);
                let start = out.len();
                polyphase.finish(out, owed);
                self.frames_out += (out.len() - start) as u64;
                return;
            }
            Some(LastStage::Fft(stage)) => stage,
        };
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

/// Feeds the last stage (or passes 8 kHz input through); returns the frames appended to `out`.
fn push_last(stage: Option<&mut LastStage>, input: &[f32], out: &mut Vec<f32>) -> u64 {
    match stage {
        None => {
            out.extend_from_slice(input);
            input.len() as u64
        }
        Some(LastStage::Polyphase(polyphase)) => {
            let start = out.len();
            polyphase.push(input, out);
            (out.len() - start) as u64
        }
        Some(LastStage::Fft(stage)) => push_fft(stage, input, out),
    }
}

/// Feeds the FFT stage; returns the frames appended to `out`.
fn push_fft(stage: &mut FftStage, input: &[f32], out: &mut Vec<f32>) -> u64 {
    stage.pending.extend_from_slice(input);
    let mut consumed = 0;
    let mut emitted = 0;
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
        emitted += stage.emit(produced, out, u64::MAX);
    }
    stage.pending.drain(..consumed);
    emitted
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

/// The half-band stages of a [`ToNarrowband`], split off by
/// [`ToNarrowband::split_half_bands`].
pub struct HalfBandStages {
    stages: Vec<HalfBand>,
    /// Output of each stage, reused between calls.
    halved: Vec<Vec<f32>>,
}

impl HalfBandStages {
    /// Feeds input frames and appends what the last stage has ready to `out`.
    pub fn push(&mut self, input: &[f32], out: &mut Vec<f32>) {
        let Some((last, first)) = self.stages.split_last_mut() else {
            out.extend_from_slice(input);
            return;
        };
        let mut input = input;
        for (halver, halved) in first.iter_mut().zip(self.halved.iter_mut()) {
            halved.clear();
            halver.push(input, halved);
            input = halved;
        }
        last.push(input, out);
    }

    /// Appends the outputs still owed for the input seen, as if it were followed by silence:
    /// each stage's tail goes through the stages after it, as in [`ToNarrowband::finish`].
    pub fn finish(&mut self, out: &mut Vec<f32>) {
        for i in 0..self.stages.len() {
            let mut tail = Vec::new();
            self.stages[i].finish(&mut tail);
            for (halver, halved) in self.stages[i + 1..]
                .iter_mut()
                .zip(self.halved[i + 1..].iter_mut())
            {
                halved.clear();
                halver.push(&tail, halved);
                std::mem::swap(&mut tail, halved);
            }
            out.extend_from_slice(&tail);
        }
    }
}

/// Lowest rate a half-band stage may produce: at 11.025 kHz the band that folds onto 0-4 kHz
/// still starts 3 kHz above the passband, so the filter stays short.
const HALVED_RATE_MIN: u32 = 11025;

/// Highest frequency a half-band stage must keep intact; the last stage removes 4 kHz and up.
const HALF_BAND_PASS_HZ: f64 = 4000.0;

/// Stop-band attenuation of the half-band stages, well below what 16-bit output can show.
const HALF_BAND_ATTENUATION_DB: f64 = 120.0;

/// A zero-phase half-band low-pass that keeps every second sample: output `m` is centred on
/// input `2m`, so it adds no delay. Only what would fold onto 0-4 kHz must be removed, which
/// leaves a wide transition band and a short filter; every second tap of a half-band filter
/// is zero, so only the odd ones are stored.
struct HalfBand {
    /// Taps at offsets 1, 3, 5, ... from the centre (the centre tap is 0.5).
    odd_taps: Vec<f32>,
    /// Taps either side of the centre: the filter reaches this far into the future.
    reach: usize,
    /// Input not yet consumed, starting `reach` samples before the next output's centre,
    /// split into its even and odd samples as it arrives (`even` is as long as `odd` or one
    /// longer). Output `m` is centred on an odd sample while its non-zero taps fall on even
    /// ones, so each tap becomes a pass over contiguous slices, which the compiler
    /// vectorises.
    even: Vec<f32>,
    odd: Vec<f32>,
    /// Present where the CPU has AVX: the same arithmetic, eight lanes at a time.
    #[cfg(target_arch = "x86_64")]
    avx: Option<avx::Avx>,
    frames_in: u64,
    frames_out: u64,
}

impl HalfBand {
    fn new(rate: u32) -> Self {
        let rate = f64::from(rate);
        // Kaiser's estimates for the window's shape and the filter's length.
        let a = HALF_BAND_ATTENUATION_DB;
        let beta = 0.1102 * (a - 8.7);
        let transition = 2.0 * std::f64::consts::PI * (rate / 2.0 - 2.0 * HALF_BAND_PASS_HZ) / rate;
        let taps = ((a - 8.0) / (2.285 * transition)).ceil() as usize + 1;
        // Offsets from the centre: the last non-zero tap of a half-band filter is odd.
        let reach = (taps / 2) | 1;
        let i0_beta = bessel_i0(beta);
        let odd_taps = (1..=reach)
            .step_by(2)
            .map(|k| {
                let x = k as f64;
                let r = x / (reach as f64 + 1.0);
                let window = bessel_i0(beta * (1.0 - r * r).sqrt()) / i0_beta;
                let sinc = (std::f64::consts::FRAC_PI_2 * x).sin() / (std::f64::consts::PI * x);
                (sinc * window) as f32
            })
            .collect();
        let mut h = HalfBand {
            odd_taps,
            reach,
            even: Vec::new(),
            odd: Vec::new(),
            #[cfg(target_arch = "x86_64")]
            avx: avx::Avx::detect(),
            frames_in: 0,
            frames_out: 0,
        };
        h.append(&vec![0.0; reach]);
        h
    }

    /// Feeds input and appends every output whose taps are all known.
    fn push(&mut self, input: &[f32], out: &mut Vec<f32>) {
        self.frames_in += input.len() as u64;
        self.append(input);
        self.drain(out, u64::MAX);
    }

    /// Appends the outputs still owed for the input seen, as if it were followed by silence.
    fn finish(&mut self, out: &mut Vec<f32>) {
        let owed = self.frames_in.div_ceil(2);
        self.append(&vec![0.0; self.reach + 1]);
        self.drain(out, owed);
    }

    /// Appends samples to the history, each to `even` or `odd` by its place there.
    fn append(&mut self, mut input: &[f32]) {
        if self.even.len() > self.odd.len() {
            let Some((&first, rest)) = input.split_first() else {
                return;
            };
            self.odd.push(first);
            input = rest;
        }
        let pairs = input.chunks_exact(2);
        self.even.extend(pairs.clone().map(|p| p[0]));
        self.odd.extend(pairs.clone().map(|p| p[1]));
        self.even.extend_from_slice(pairs.remainder());
    }

    /// Appends up to `limit` outputs in total.
    fn drain(&mut self, out: &mut Vec<f32>, limit: u64) {
        let reach = self.reach;
        let len = self.even.len() + self.odd.len();
        let Some(spare) = len.checked_sub(2 * reach + 1) else {
            return;
        };
        let owed = limit.saturating_sub(self.frames_out);
        let n = (spare / 2 + 1).min(usize::try_from(owed).unwrap_or(usize::MAX));
        if n == 0 {
            return;
        }
        let a = (reach - 1) / 2;
        let start = out.len();
        out.extend(self.odd[a..a + n].iter().map(|&x| 0.5 * x));
        let acc = &mut out[start..];
        let even = &self.even[..n + 2 * a + 1];
        #[cfg(target_arch = "x86_64")]
        match self.avx {
            Some(avx) => avx.add_taps(acc, even, &self.odd_taps),
            None => add_taps_portable(acc, even, &self.odd_taps),
        }
        #[cfg(not(target_arch = "x86_64"))]
        add_taps_portable(acc, even, &self.odd_taps);
        self.frames_out += n as u64;
        self.even.drain(..n);
        self.odd.drain(..n);
    }
}

/// [`add_taps`] compiled for any CPU. Not inlined: as a function of its own, its arguments
/// are known not to overlap, which lets the compiler vectorise without run-time checks.
#[inline(never)]
fn add_taps_portable(acc: &mut [f32], even: &[f32], taps: &[f32]) {
    add_taps(acc, even, taps);
}

/// Adds each tap's share to the sums `acc` of a half-band stage: `acc[m]` gets
/// `taps[i] * (even[a + m - i] + even[a + 1 + m + i])` for each tap in turn, `a` being the
/// number of taps less one. Two taps a pass, in order, so the rounding is that of one tap a
/// pass with half the loads and stores of `acc`.
#[inline(always)]
fn add_taps(acc: &mut [f32], even: &[f32], taps: &[f32]) {
    let n = acc.len();
    let a = taps.len() - 1;
    let mut pairs = taps.chunks_exact(2);
    for (k, pair) in (&mut pairs).enumerate() {
        let i = 2 * k;
        let (t0, t1) = (pair[0], pair[1]);
        let (l0, l1) = (&even[a - i..][..n], &even[a - i - 1..][..n]);
        let (r0, r1) = (&even[a + 1 + i..][..n], &even[a + 2 + i..][..n]);
        for m in 0..n {
            acc[m] = (acc[m] + t0 * (l0[m] + r0[m])) + t1 * (l1[m] + r1[m]);
        }
    }
    if let [tap] = *pairs.remainder() {
        let i = taps.len() - 1;
        let (l, r) = (&even[a - i..][..n], &even[a + 1 + i..][..n]);
        for m in 0..n {
            acc[m] += tap * (l[m] + r[m]);
        }
    }
}

/// The half-band stages' sums with AVX: the portable code's arithmetic, in registers twice as
/// wide, so the outputs are the same bit for bit.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod avx {
    /// Proof that the CPU has AVX: only [`Avx::detect`] makes one.
    #[derive(Clone, Copy)]
    pub(super) struct Avx(());

    impl Avx {
        pub(super) fn detect() -> Option<Self> {
            std::arch::is_x86_feature_detected!("avx").then_some(Avx(()))
        }

        /// [`super::add_taps`] with AVX.
        pub(super) fn add_taps(self, acc: &mut [f32], even: &[f32], taps: &[f32]) {
            // SAFETY: `self` exists, so the CPU has AVX.
            unsafe { add_taps(acc, even, taps) }
        }
    }

    #[target_feature(enable = "avx")]
    fn add_taps(acc: &mut [f32], even: &[f32], taps: &[f32]) {
        super::add_taps(acc, even, taps);
    }
}

/// The zeroth-order modified Bessel function of the first kind, by its power series.
fn bessel_i0(x: f64) -> f64 {
    let mut sum = 1.0;
    let mut term = 1.0;
    let half = x / 2.0;
    for k in 1..64 {
        term *= (half / k as f64) * (half / k as f64);
        sum += term;
        if term < sum * 1e-17 {
            break;
        }
    }
    sum
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

    /// The half-band stage computed the obvious way: every tap, input zero outside the file.
    fn half_band_direct(h: &HalfBand, input: &[f32]) -> Vec<f32> {
        let at = |i: isize| {
            usize::try_from(i)
                .ok()
                .and_then(|i| input.get(i))
                .copied()
                .unwrap_or(0.0)
        };
        (0..input.len().div_ceil(2))
            .map(|m| {
                let c = 2 * m as isize;
                let mut acc = 0.5 * at(c);
                for (i, &tap) in h.odd_taps.iter().enumerate() {
                    let k = 2 * i as isize + 1;
                    acc += tap * (at(c - k) + at(c + k));
                }
                acc
            })
            .collect()
    }

    #[test]
    fn half_band_stage_streams_the_same_as_a_direct_convolution() {
        let input: Vec<f32> = (0..5001)
            .map(|i| ((i * 7919) % 1000) as f32 / 1000.0 - 0.5)
            .collect();
        for block in [1, 7, 64, 5001] {
            let mut h = HalfBand::new(44100);
            let mut out = Vec::new();
            for chunk in input.chunks(block) {
                h.push(chunk, &mut out);
            }
            h.finish(&mut out);
            assert_eq!(out, half_band_direct(&h, &input), "block of {block}");
        }
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn half_band_stage_makes_the_same_samples_with_and_without_avx() {
        let input: Vec<f32> = (0..5001)
            .map(|i| ((i * 7919) % 1000) as f32 / 1000.0 - 0.5)
            .collect();
        for rate in [22050, 44100, 48000] {
            let mut avx = HalfBand::new(rate);
            let mut portable = HalfBand::new(rate);
            portable.avx = None;
            let (mut a, mut b) = (Vec::new(), Vec::new());
            for chunk in input.chunks(1000) {
                avx.push(chunk, &mut a);
                portable.push(chunk, &mut b);
            }
            avx.finish(&mut a);
            portable.finish(&mut b);
            assert_eq!(a, b, "{rate} Hz");
        }
    }

    #[test]
    fn half_band_stage_keeps_the_passband_and_removes_what_would_fold_onto_it() {
        // Steady-state gain of a tone: DC and 4 kHz pass, 7.025 kHz (which 11.025 kHz would
        // fold onto 4 kHz) is gone.
        let gain = |rate: u32, freq: f64| {
            let h = HalfBand::new(rate);
            let w = 2.0 * std::f64::consts::PI * freq / f64::from(rate);
            let taps = h.odd_taps.iter().enumerate();
            0.5 + taps
                .map(|(i, &t)| 2.0 * f64::from(t) * (w * (2 * i + 1) as f64).cos())
                .sum::<f64>()
        };
        for rate in [22050, 24000, 44100, 48000, 96000, 192000] {
            assert!((gain(rate, 0.0) - 1.0).abs() < 1e-5, "{rate} Hz: DC");
            assert!((gain(rate, 4000.0) - 1.0).abs() < 1e-5, "{rate} Hz: 4 kHz");
            let folded = f64::from(rate) / 2.0 - 4000.0;
            assert!(gain(rate, folded).abs() < 1e-5, "{rate} Hz: {folded} Hz");
        }
    }

    #[test]
    fn splitting_off_the_half_band_stages_mid_stream_changes_no_sample() {
        let input: Vec<f32> = (0..30000)
            .map(|i| ((i * 7919) % 1000) as f32 / 1000.0 - 0.5)
            .collect();
        for rate in [22050, 44100, 48000, 96000] {
            let whole = convert(rate, &input, 4096);
            let mut r = ToNarrowband::new(rate).expect("valid rate");
            let mut out = Vec::new();
            let (before, after) = input.split_at(5000);
            r.push(before, &mut out);
            let mut half_bands = r.split_half_bands().expect("half-band stages");
            let mut halved = Vec::new();
            for chunk in after.chunks(4096) {
                halved.clear();
                half_bands.push(chunk, &mut halved);
                r.push_after_half_bands(&halved, chunk.len(), &mut out);
            }
            halved.clear();
            half_bands.finish(&mut halved);
            r.push_after_half_bands(&halved, 0, &mut out);
            r.finish(&mut out);
            assert_eq!(out, whole, "{rate} Hz");
        }
        assert!(
            ToNarrowband::new(16000)
                .expect("valid")
                .split_half_bands()
                .is_none()
        );
    }

    #[test]
    fn block_size_of_the_caller_does_not_change_the_output() {
        let input: Vec<f32> = (0..20000)
            .map(|i| ((i * 7919) % 1000) as f32 / 1000.0)
            .collect();
        for rate in [22050, 44100, 48000] {
            let a = convert(rate, &input, 100);
            let b = convert(rate, &input, 7777);
            assert_eq!(a, b, "{rate} Hz");
        }
    }

    #[test]
    fn common_rates_take_the_polyphase_stage_and_others_the_fft_stage_equally_aligned() {
        let polyphase = |rate| {
            matches!(
                ToNarrowband::new(rate).expect("valid rate").stage,
                Some(LastStage::Polyphase(_))
            )
        };
        for rate in [
            11025, 12000, 16000, 22050, 32000, 44100, 48000, 88200, 96000,
        ] {
            assert!(polyphase(rate), "{rate} Hz");
        }
        // 44.056 kHz halves to 22.028 kHz: 2000 phases against 8 kHz, too many for a table.
        assert!(!polyphase(44056));
        let mut input = vec![0.0; 44056];
        input[22028] = 1.0;
        let out = convert(44056, &input, 4096);
        assert_eq!(out.len(), 8000);
        let peak = out
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
            .map(|(i, _)| i);
        assert_eq!(peak, Some(4000));
    }
}
