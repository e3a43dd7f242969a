//! Polyphase FIR rate conversion down to 8 kHz by a rational ratio, the steep last step of
//! [`super::resample::ToNarrowband`].
//!
//! One Kaiser-windowed sinc low-pass, flat to 3.4 kHz and at least 100 dB down from 4 kHz,
//! is sampled at every fractional position an output can fall on (one coefficient row per
//! phase), so each output is a single dot product of a row with contiguous input: no FFT
//! blocks, no latency beyond the filter's own half-length, and the cost is taps × outputs.
//! Output 0 is centred on input 0 and the input is taken as silent before it.
//!
//! It is not a general resampler: the output rate is 8 kHz, the input rate must be above it,
//! and ratios with many phases (whose table would not fit in cache) are refused with `None`
//! so that the caller uses rubato's FFT resampler instead. The designs are made once per
//! process and input rate and shared: a batch converts many files at the same rate.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// The rate every filter here is designed for: the rate Asterisk plays prompts at.
pub const OUTPUT_RATE: u32 = 8000;

/// Highest frequency that must come through unchanged (the top of the telephone band).
const PASS_HZ: f64 = 3400.0;

/// Lowest frequency that must be removed: from here up it would fold back below 4 kHz.
const STOP_HZ: f64 = 4000.0;

/// Stop-band attenuation the design aims for; rounding the length up to whole blocks of
/// lanes is spent on more attenuation, never less.
const ATTENUATION_DB: f64 = 100.0;

/// Largest coefficient table, in coefficients (256 KiB of `f32`): rows are read in an order
/// that jumps around the table, which must stay in the second-level cache.
const MAX_TABLE: usize = 64 * 1024;

/// Coefficients per block: the dot product keeps this many independent sums, enough for the
/// compiler to fill several vector registers and hide the additions' latency.
const LANES: usize = 16;

/// A block of coefficients, aligned so that vector loads of it never straddle a cache line.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Block([f32; LANES]);

/// The filter for one input rate, shared by every converter at that rate.
struct Design {
    /// Output phases: outputs fall on `phases` distinct fractions of an input sample.
    phases: usize,
    /// Input samples per `phases` outputs.
    step: usize,
    /// Blocks per row.
    blocks: usize,
    /// Taps per row: a whole number of blocks.
    taps: usize,
    /// `phases` rows of `blocks` blocks; row `p` serves outputs at `p / phases` of a sample
    /// past an input sample.
    rows: Vec<Block>,
    /// For each phase, the next output's phase and how many input samples it moves on.
    next: Vec<(u32, u32)>,
}

/// Streaming converter from one input rate to 8 kHz.
pub struct Polyphase {
    design: Arc<Design>,
    /// Present where the CPU has AVX2 and FMA: half the instructions per output.
    #[cfg(target_arch = "x86_64")]
    fma: Option<fma::Fma>,
    /// Input from the first sample of the next output's window on.
    history: Vec<f32>,
    phase: usize,
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}

impl Polyphase {
    /// A converter from `input_rate`, or `None` when the rate is not above 8 kHz or its table
    /// would be too large.
    pub fn new(input_rate: u32) -> Option<Self> {
        let design = design(input_rate)?;
        // Output 0's window starts half a filter before input 0, on silence.
        let history = vec![0.0; design.taps / 2 - 1];
        Some(Polyphase {
            design,
            #[cfg(target_arch = "x86_64")]
            fma: fma::Fma::detect(),
            history,
            phase: 0,
        })
    }

    /// Feeds input and appends every output whose window is complete.
    pub fn push(&mut self, input: &[f32], out: &mut Vec<f32>) {
        self.history.extend_from_slice(input);
        self.drain(out, usize::MAX);
    }

    /// Appends `owed` more outputs, the input taken as followed by silence.
    pub fn finish(&mut self, out: &mut Vec<f32>, owed: usize) {
        let d = &self.design;
        let reach = (owed * d.step).div_ceil(d.phases) + d.blocks * LANES + 1;
        self.history.resize(self.history.len() + reach, 0.0);
        self.drain(out, owed);
    }

    /// Appends up to `limit` outputs.
    fn drain(&mut self, out: &mut Vec<f32>, limit: usize) {
        let (d, history, phase) = (&*self.design, &self.history[..], &mut self.phase);
        #[cfg(target_arch = "x86_64")]
        let consumed = match self.fma {
            Some(fma) => fma.produce(d, history, phase, limit, out),
            None => produce::<Portable>(d, history, phase, limit, out),
        };
        #[cfg(not(target_arch = "x86_64"))]
        let consumed = produce::<Portable>(d, history, phase, limit, out);
        self.history.drain(..consumed);
    }
}

/// A dot product of a coefficient row with as many samples.
trait DotProduct {
    fn dot(row: &[Block], x: &[f32]) -> f32;
}

/// Appends up to `limit` outputs from `history`, moving `phase` on; returns the input
/// samples consumed.
#[inline(always)]
fn produce<D: DotProduct>(
    d: &Design,
    history: &[f32],
    phase: &mut usize,
    limit: usize,
    out: &mut Vec<f32>,
) -> usize {
    let width = d.blocks * LANES;
    let mut start = 0;
    let mut made = 0;
    while made < limit && start + width <= history.len() {
        let row = &d.rows[*phase * d.blocks..(*phase + 1) * d.blocks];
        out.push(D::dot(row, &history[start..start + width]));
        let (next, advance) = d.next[*phase];
        *phase = next as usize;
        start += advance as usize;
        made += 1;
    }
    start.min(history.len())
}

/// The dot product any CPU runs: see [`dot`].
struct Portable;

impl DotProduct for Portable {
    #[inline(always)]
    fn dot(row: &[Block], x: &[f32]) -> f32 {
        dot(row, x)
    }
}

/// The dot product of a row with `row.len() * LANES` samples. Four sums of four lanes each
/// run side by side (independent additions, one register each) and meet only at the end, so
/// the result does not depend on how the compiler schedules them. Four lanes are what one
/// SSE2 register holds.
fn dot(row: &[Block], x: &[f32]) -> f32 {
    let mut acc = [[0.0f32; 4]; LANES / 4];
    for (c, x) in row.iter().zip(x.chunks_exact(LANES)) {
        for ((a, c), x) in acc
            .iter_mut()
            .zip(c.0.chunks_exact(4))
            .zip(x.chunks_exact(4))
        {
            for ((a, &c), &x) in a.iter_mut().zip(c).zip(x) {
                *a += c * x;
            }
        }
    }
    let [a, b, c, d] = acc;
    let mut sum = a;
    for (((s, b), c), d) in sum.iter_mut().zip(b).zip(c).zip(d) {
        *s += b;
        *s += c;
        *s += d;
    }
    // Left visible, the lane-crossing additions below lead the vectoriser to split every
    // accumulator into halves, doubling the instructions of the loop above.
    let sum = std::hint::black_box(sum);
    (sum[0] + sum[1]) + (sum[2] + sum[3])
}

/// The dot product with AVX2 and FMA: 8 lanes a register, a multiply and an add in one
/// instruction, and one rounding instead of two, so outputs differ in the last bits from the
/// portable path's (the same on every run and block size on one machine).
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod fma {
    use std::arch::x86_64::{
        __m256, _mm_add_ps, _mm_cvtss_f32, _mm_movehl_ps, _mm_shuffle_ps, _mm256_add_ps,
        _mm256_castps256_ps128, _mm256_extractf128_ps, _mm256_fmadd_ps, _mm256_setr_ps,
        _mm256_setzero_ps,
    };

    use super::{Block, Design, DotProduct, LANES, produce};

    // The dot product takes a block as two registers of eight.
    const _: () = assert!(LANES == 16);

    /// Proof that the CPU has AVX2 and FMA: only [`Fma::detect`] makes one.
    #[derive(Clone, Copy)]
    pub(super) struct Fma(());

    impl Fma {
        pub(super) fn detect() -> Option<Self> {
            let has = std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma");
            has.then_some(Fma(()))
        }

        /// [`produce`] with the AVX2 and FMA dot product.
        pub(super) fn produce(
            self,
            d: &Design,
            history: &[f32],
            phase: &mut usize,
            limit: usize,
            out: &mut Vec<f32>,
        ) -> usize {
            // SAFETY: `self` exists, so the CPU has AVX2 and FMA.
            unsafe { produce_fma(d, history, phase, limit, out) }
        }
    }

    #[target_feature(enable = "avx2,fma")]
    fn produce_fma(
        d: &Design,
        history: &[f32],
        phase: &mut usize,
        limit: usize,
        out: &mut Vec<f32>,
    ) -> usize {
        produce::<Avx2Fma>(d, history, phase, limit, out)
    }

    struct Avx2Fma;

    impl DotProduct for Avx2Fma {
        #[inline(always)]
        fn dot(row: &[Block], x: &[f32]) -> f32 {
            // SAFETY: `Avx2Fma` is private to this module and used only by `produce_fma`,
            // which runs only where the CPU has AVX2 and FMA.
            unsafe { dot(row, x) }
        }
    }

    /// Two sums of eight lanes, one per half of a block, meeting at the end. The registers
    /// are filled element by element from slices of known length, which compiles to one
    /// load each and needs no raw pointers.
    #[target_feature(enable = "avx2,fma")]
    fn dot(row: &[Block], x: &[f32]) -> f32 {
        let mut low = _mm256_setzero_ps();
        let mut high = _mm256_setzero_ps();
        for (c, x) in row.iter().zip(x.chunks_exact(LANES)) {
            let (c0, c1) = c.0.split_at(8);
            let (x0, x1) = x.split_at(8);
            low = _mm256_fmadd_ps(eight(c0), eight(x0), low);
            high = _mm256_fmadd_ps(eight(c1), eight(x1), high);
        }
        let sum = _mm256_add_ps(low, high);
        let quad = _mm_add_ps(_mm256_castps256_ps128(sum), _mm256_extractf128_ps::<1>(sum));
        let pair = _mm_add_ps(quad, _mm_movehl_ps(quad, quad));
        let one = _mm_add_ps(pair, _mm_shuffle_ps::<0b01>(pair, pair));
        _mm_cvtss_f32(one)
    }

    /// The first eight floats of `x` in a register.
    #[inline]
    #[target_feature(enable = "avx")]
    fn eight(x: &[f32]) -> __m256 {
        let x = &x[..8];
        _mm256_setr_ps(x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7])
    }
}

/// The shared design for `input_rate`, made on first use.
fn design(input_rate: u32) -> Option<Arc<Design>> {
    static DESIGNS: OnceLock<Mutex<HashMap<u32, Option<Arc<Design>>>>> = OnceLock::new();
    let designs = DESIGNS.get_or_init(|| Mutex::new(HashMap::new()));
    let mut designs = designs
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    designs
        .entry(input_rate)
        .or_insert_with(|| Design::new(input_rate).map(Arc::new))
        .clone()
}

impl Design {
    fn new(input_rate: u32) -> Option<Self> {
        if input_rate <= OUTPUT_RATE {
            return None;
        }
        let g = gcd(input_rate as usize, OUTPUT_RATE as usize);
        let phases = OUTPUT_RATE as usize / g;
        let step = input_rate as usize / g;
        let rate = f64::from(input_rate);
        // Kaiser's estimate of the length for the attenuation, rounded up to whole blocks;
        // the attenuation is then what that length affords over the same transition band.
        let transition = 2.0 * std::f64::consts::PI * (STOP_HZ - PASS_HZ) / rate;
        let min_taps = ((ATTENUATION_DB - 8.0) / (2.285 * transition)).ceil() as usize + 1;
        let blocks = min_taps.div_ceil(LANES);
        if phases * blocks * LANES > MAX_TABLE {
            return None;
        }
        let taps = blocks * LANES;
        let attenuation = 8.0 + 2.285 * transition * (taps - 1) as f64;
        let beta = 0.1102 * (attenuation - 8.7);
        let cutoff = (PASS_HZ + STOP_HZ) / 2.0 / rate;
        let kernel = Kernel::new(cutoff, beta, taps);
        let offsets: Vec<f64> = (0..taps)
            .map(|j| (taps / 2 - 1) as f64 - j as f64)
            .collect();

        // Row `p`, tap `j` multiplies the input sample `j - (taps/2 - 1)` places after the one
        // at or before the output, which lies `p / phases` of a sample past it. The kernel is
        // even, so row `phases - p` is row `p` reversed and only half the rows are computed.
        let mut rows = vec![Block([0.0; LANES]); phases * blocks];
        let mut row = vec![0.0f64; taps];
        let sines = kernel.sines(&offsets);
        for p in 0..=phases / 2 {
            kernel.row(p as f64 / phases as f64, &offsets, &sines, &mut row);
            // Each row sums to exactly 1, so DC passes every phase alike.
            let sum: f64 = row.iter().sum();
            store(&mut rows, p * blocks, row.iter().map(|c| c / sum));
            if p != 0 && p != phases - p {
                store(
                    &mut rows,
                    (phases - p) * blocks,
                    row.iter().rev().map(|c| c / sum),
                );
            }
        }
        let next = (0..phases)
            .map(|p| {
                let t = p + step;
                ((t % phases) as u32, (t / phases) as u32)
            })
            .collect();
        Some(Design {
            phases,
            step,
            blocks,
            taps,
            rows,
            next,
        })
    }
}

/// Writes `values` as consecutive coefficients from block `at` on.
fn store(rows: &mut [Block], at: usize, values: impl Iterator<Item = f64>) {
    let flat = rows[at..].iter_mut().flat_map(|b| b.0.iter_mut());
    for (c, v) in flat.zip(values) {
        *c = v as f32;
    }
}

/// The continuous prototype: a sinc cut off at `cutoff` (a fraction of the input rate) under a
/// Kaiser window `taps` samples wide, as a function of the distance in input samples.
struct Kernel {
    cutoff: f64,
    half_width: f64,
    /// The window as a polynomial in `u = 1 - (t / half_width)^2`: `I0(beta * sqrt(u))`'s
    /// power series, `I0(beta)` divided out, to the precision `f32` coefficients can hold.
    /// A table has tens of thousands of coefficients and is made while the user waits;
    /// Horner's rule on this polynomial is several times cheaper than summing the series
    /// anew for each.
    window: Vec<f64>,
}

impl Kernel {
    fn new(cutoff: f64, beta: f64, taps: usize) -> Self {
        let q = beta * beta / 4.0;
        let mut window = vec![1.0];
        let mut term = 1.0;
        let mut sum = 1.0;
        for k in 1..100 {
            let k = k as f64;
            term *= q / (k * k);
            sum += term;
            window.push(term);
            if term < sum * 1e-13 {
                break;
            }
        }
        window.iter_mut().for_each(|a| *a /= sum);
        Kernel {
            cutoff,
            half_width: taps as f64 / 2.0,
            window,
        }
    }

    /// The window at `t` input samples from the centre.
    fn window(&self, t: f64) -> f64 {
        let r = t / self.half_width;
        if r.abs() >= 1.0 {
            return 0.0;
        }
        let u = 1.0 - r * r;
        self.window.iter().rev().fold(0.0, |acc, &a| acc * u + a)
    }

    /// The kernel at `t` input samples from the centre.
    #[cfg(test)]
    fn at(&self, t: f64) -> f64 {
        let x = std::f64::consts::PI * 2.0 * self.cutoff * t;
        let sinc = if x == 0.0 { 1.0 } else { x.sin() / x };
        2.0 * self.cutoff * sinc * self.window(t)
    }

    /// The sine and cosine of the sinc's phase at each of `offsets`, for [`Kernel::row`].
    fn sines(&self, offsets: &[f64]) -> Vec<(f64, f64)> {
        let w = std::f64::consts::PI * 2.0 * self.cutoff;
        offsets.iter().map(|&o| (w * o).sin_cos()).collect()
    }

    /// The kernel at `frac + offsets[j]` for every `j`, into `row`. The sine of each sum
    /// comes from the angle-addition formula: two sine evaluations per row, not one per tap.
    fn row(&self, frac: f64, offsets: &[f64], sines: &[(f64, f64)], row: &mut [f64]) {
        let w = std::f64::consts::PI * 2.0 * self.cutoff;
        let (sin_f, cos_f) = (w * frac).sin_cos();
        for ((c, &o), &(sin_o, cos_o)) in row.iter_mut().zip(offsets).zip(sines) {
            let t = frac + o;
            let x = w * t;
            let sinc = if t == 0.0 {
                1.0
            } else {
                (sin_f * cos_o + cos_f * sin_o) / x
            };
            *c = 2.0 * self.cutoff * sinc * self.window(t);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(rate: u32, input: &[f32], block: usize) -> Vec<f32> {
        let mut p = Polyphase::new(rate).expect("a table");
        let mut out = Vec::new();
        for chunk in input.chunks(block) {
            p.push(chunk, &mut out);
        }
        let owed = (input.len() * OUTPUT_RATE as usize).div_ceil(rate as usize);
        let made = out.len();
        p.finish(&mut out, owed - made);
        out
    }

    fn noise(len: usize) -> Vec<f32> {
        (0..len)
            .map(|i| ((i * 7919) % 1000) as f32 / 1000.0 - 0.5)
            .collect()
    }

    #[test]
    fn output_does_not_depend_on_the_block_size() {
        let input = noise(20000);
        for rate in [11025, 12000, 16000] {
            let whole = convert(rate, &input, input.len());
            for block in [1, 13, 441, 4096] {
                assert_eq!(
                    convert(rate, &input, block),
                    whole,
                    "{rate} Hz, block of {block}"
                );
            }
        }
    }

    #[test]
    fn output_is_a_direct_convolution_with_the_designed_kernel() {
        // Output k is centred on input k * rate / 8000, input 0 outside the signal, and each
        // phase's taps are scaled to sum to 1.
        let input = noise(3000);
        for rate in [11025, 12000, 16000, 18900] {
            let out = convert(rate, &input, 500);
            let d = design(rate).expect("a table");
            let g = gcd(rate as usize, OUTPUT_RATE as usize);
            let taps = d.blocks * LANES;
            let transition = 2.0 * std::f64::consts::PI * (STOP_HZ - PASS_HZ) / f64::from(rate);
            let attenuation = 8.0 + 2.285 * transition * (taps - 1) as f64;
            let kernel = Kernel::new(
                (PASS_HZ + STOP_HZ) / 2.0 / f64::from(rate),
                0.1102 * (attenuation - 8.7),
                taps,
            );
            let len = (input.len() * OUTPUT_RATE as usize).div_ceil(rate as usize);
            assert_eq!(out.len(), len, "{rate} Hz");
            for (k, &y) in out.iter().enumerate() {
                let centre = (k * rate as usize / g) as f64 / (OUTPUT_RATE as usize / g) as f64;
                let (mut acc, mut sum) = (0.0, 0.0);
                let first = centre as isize - taps as isize;
                for n in first..first + 2 * taps as isize {
                    let c = kernel.at(centre - n as f64);
                    sum += c;
                    let x = usize::try_from(n).ok().and_then(|n| input.get(n));
                    acc += c * f64::from(x.copied().unwrap_or(0.0));
                }
                let expected = acc / sum;
                assert!(
                    (f64::from(y) - expected).abs() < 2e-6,
                    "{rate} Hz, output {k}: {y} against {expected}"
                );
            }
        }
    }

    /// RMS over one second of output, from a quarter of a second in, of a unit sine at `freq`.
    fn tone_rms(rate: u32, freq: f64) -> f64 {
        let w = 2.0 * std::f64::consts::PI * freq / f64::from(rate);
        let input: Vec<f32> = (0..rate as usize * 3 / 2)
            .map(|i| (w * i as f64).sin() as f32)
            .collect();
        let out = convert(rate, &input, 4096);
        let second = &out[2000..2000 + OUTPUT_RATE as usize];
        (second.iter().map(|&y| f64::from(y).powi(2)).sum::<f64>() / second.len() as f64).sqrt()
    }

    #[test]
    fn passband_is_flat_to_3400_hz_and_everything_from_4000_hz_is_100_db_down() {
        for rate in [11025, 12000, 16000] {
            for freq in [100.0, 1000.0, 3000.0, 3400.0] {
                let db = 20.0 * (tone_rms(rate, freq) * 2f64.sqrt()).log10();
                assert!(
                    db.abs() < 0.001,
                    "{rate} Hz: {freq} Hz comes out at {db} dB"
                );
            }
            let nyquist = f64::from(rate) / 2.0;
            for freq in [4000.0, 4100.0, 4500.0, 5000.0, nyquist - 100.0] {
                let db = 20.0 * (tone_rms(rate, freq) * 2f64.sqrt()).log10();
                assert!(db < -100.0, "{rate} Hz: {freq} Hz comes out at {db} dB");
            }
        }
    }

    #[test]
    fn the_fma_and_portable_dot_products_agree() {
        let input = noise(20000);
        for rate in [11025, 12000, 16000] {
            let mut fma = Polyphase::new(rate).expect("a table");
            #[cfg(target_arch = "x86_64")]
            if fma.fma.is_none() {
                // Nothing to compare on this CPU.
                return;
            }
            let mut portable = Polyphase::new(rate).expect("a table");
            #[cfg(target_arch = "x86_64")]
            {
                portable.fma = None;
            }
            let (mut a, mut b) = (Vec::new(), Vec::new());
            fma.push(&input, &mut a);
            portable.push(&input, &mut b);
            assert_eq!(a.len(), b.len());
            for (k, (x, y)) in a.iter().zip(&b).enumerate() {
                assert!(
                    (x - y).abs() < 1e-6,
                    "{rate} Hz, output {k}: {x} against {y}"
                );
            }
        }
    }

    #[test]
    fn rates_with_too_many_phases_or_not_above_8_khz_are_refused() {
        assert!(Polyphase::new(11014).is_none());
        assert!(Polyphase::new(8000).is_none());
        assert!(Polyphase::new(6000).is_none());
        assert!(Polyphase::new(11025).is_some());
    }
}
