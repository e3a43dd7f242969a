//! GSM 06.10 full-rate speech decoder (ETSI RPE-LTP), as Asterisk and sox store it in `.gsm`:
//! 33-byte frames, each 160 samples of 8 kHz mono.
//!
//! A bit-exact fixed-point implementation of the decoder half of the standard (sections 4.3
//! and the shared tables of 4.2). It holds the state one stream needs between frames; it is
//! not an encoder and does not read the WAV-49 (Microsoft GSM) packing.

/// Bytes in one GSM 06.10 frame.
pub const FRAME_BYTES: usize = 33;
/// Samples in one decoded frame.
pub const FRAME_SAMPLES: usize = 160;

/// The 4-bit signature that starts every frame.
const MAGIC: u8 = 0xD;

/// Table 4.3b: decoded LTP gains.
const QLB: [i16; 4] = [3277, 11469, 21299, 32767];
/// Table 4.6: normalised inverse mantissas.
const FAC: [i16; 8] = [18431, 20479, 22527, 24575, 26623, 28671, 30719, 32767];

/// The frame did not start with the GSM 06.10 signature nibble.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a GSM 06.10 frame (signature nibble {found:#x}, expected 0xd)")]
pub struct BadFrame {
    pub found: u8,
}

fn add(a: i16, b: i16) -> i16 {
    a.saturating_add(b)
}

fn sub(a: i16, b: i16) -> i16 {
    a.saturating_sub(b)
}

/// Rounded Q15 product; the only overflow (MIN * MIN) wraps exactly as the reference does.
fn mult_r(a: i16, b: i16) -> i16 {
    ((i32::from(a) * i32::from(b) + 16384) >> 15) as i16
}

fn asr(a: i16, n: i16) -> i16 {
    if n >= 16 {
        -i16::from(a < 0)
    } else if n <= -16 {
        0
    } else if n < 0 {
        ((i32::from(a)) << -n) as i16
    } else {
        a >> n
    }
}

fn asl(a: i16, n: i16) -> i16 {
    if n >= 16 {
        0
    } else if n <= -16 {
        -i16::from(a < 0)
    } else if n < 0 {
        asr(a, -n)
    } else {
        ((i32::from(a)) << n) as i16
    }
}

/// Parameters of one frame as transmitted.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct FrameParams {
    lar: [i16; 8],
    nc: [i16; 4],
    bc: [i16; 4],
    mc: [i16; 4],
    xmaxc: [i16; 4],
    xmc: [[i16; 13]; 4],
}

/// Reads fields most significant bit first, as the frame packs them.
struct BitReader<'a> {
    bytes: &'a [u8],
    bit: usize,
}

impl BitReader<'_> {
    fn take(&mut self, width: usize) -> i16 {
        let mut value = 0i16;
        for _ in 0..width {
            let byte = self.bytes[self.bit / 8];
            let bit = (byte >> (7 - self.bit % 8)) & 1;
            value = (value << 1) | i16::from(bit);
            self.bit += 1;
        }
        value
    }
}

fn unpack(frame: &[u8; FRAME_BYTES]) -> Result<FrameParams, BadFrame> {
    let signature = frame[0] >> 4;
    if signature != MAGIC {
        return Err(BadFrame { found: signature });
    }
    let mut bits = BitReader {
        bytes: frame,
        bit: 4,
    };
    let mut p = FrameParams::default();
    for (lar, width) in p.lar.iter_mut().zip([6, 6, 5, 5, 4, 4, 3, 3]) {
        *lar = bits.take(width);
    }
    for sub in 0..4 {
        p.nc[sub] = bits.take(7);
        p.bc[sub] = bits.take(2);
        p.mc[sub] = bits.take(2);
        p.xmaxc[sub] = bits.take(6);
        for x in p.xmc[sub].iter_mut() {
            *x = bits.take(3);
        }
    }
    Ok(p)
}

/// Decoder state carried from frame to frame.
#[derive(Debug, Clone)]
pub struct GsmDecoder {
    /// Reconstructed short-term residual: 120 samples of history then the current 40.
    dp0: [i16; 280],
    /// Previous valid LTP lag, used when a frame carries an out-of-range one.
    nrp: i16,
    /// Short-term synthesis filter memory.
    v: [i16; 9],
    /// Decoded LARs of the previous and current frame.
    larpp: [[i16; 8]; 2],
    /// Which row of `larpp` is the current frame.
    j: usize,
    /// De-emphasis filter memory.
    msr: i16,
}

impl Default for GsmDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl GsmDecoder {
    pub fn new() -> Self {
        GsmDecoder {
            dp0: [0; 280],
            nrp: 40,
            v: [0; 9],
            larpp: [[0; 8]; 2],
            j: 0,
            msr: 0,
        }
    }

    /// Decodes one 33-byte frame into 160 linear 16-bit samples.
    pub fn decode_frame(
        &mut self,
        frame: &[u8; FRAME_BYTES],
    ) -> Result<[i16; FRAME_SAMPLES], BadFrame> {
        let p = unpack(frame)?;
        let mut wt = [0i16; FRAME_SAMPLES];
        for sub in 0..4 {
            let erp = rpe_decoding(p.xmaxc[sub], p.mc[sub], &p.xmc[sub]);
            self.long_term_synthesis(p.nc[sub], p.bc[sub], &erp);
            wt[sub * 40..sub * 40 + 40].copy_from_slice(&self.dp0[120..160]);
        }
        let mut s = [0i16; FRAME_SAMPLES];
        self.short_term_synthesis(&p.lar, &wt, &mut s);
        self.postprocess(&mut s);
        Ok(s)
    }

    /// 4.3.2: long-term (pitch) synthesis of one 40-sample sub-frame into `dp0[120..160]`.
    fn long_term_synthesis(&mut self, ncr: i16, bcr: i16, erp: &[i16; 40]) {
        let nr = if (40..=120).contains(&ncr) {
            ncr
        } else {
            self.nrp
        };
        self.nrp = nr;
        let brp = QLB[(bcr & 3) as usize];
        let nr = nr as usize;
        for (k, &e) in erp.iter().enumerate() {
            let drpp = mult_r(brp, self.dp0[120 + k - nr]);
            self.dp0[120 + k] = add(e, drpp);
        }
        self.dp0.copy_within(40..160, 0);
    }

    /// 4.2.8 to 4.2.10 (synthesis side): LAR decoding, interpolation and lattice filtering.
    fn short_term_synthesis(&mut self, larc: &[i16; 8], wt: &[i16; 160], s: &mut [i16; 160]) {
        let current = self.j;
        self.j ^= 1;
        self.larpp[current] = decode_lars(larc);
        let prev = self.larpp[self.j];
        let cur = self.larpp[current];

        let mut larp = [0i16; 8];
        for i in 0..8 {
            larp[i] = add(add(prev[i] >> 2, cur[i] >> 2), prev[i] >> 1);
        }
        self.lattice(&lar_to_rp(larp), &wt[0..13], &mut s[0..13]);
        for i in 0..8 {
            larp[i] = add(prev[i] >> 1, cur[i] >> 1);
        }
        self.lattice(&lar_to_rp(larp), &wt[13..27], &mut s[13..27]);
        for i in 0..8 {
            larp[i] = add(add(prev[i] >> 2, cur[i] >> 2), cur[i] >> 1);
        }
        self.lattice(&lar_to_rp(larp), &wt[27..40], &mut s[27..40]);
        self.lattice(&lar_to_rp(cur), &wt[40..160], &mut s[40..160]);
    }

    fn lattice(&mut self, rrp: &[i16; 8], wt: &[i16], sr: &mut [i16]) {
        let v = &mut self.v;
        for (out, &input) in sr.iter_mut().zip(wt) {
            let mut sri = input;
            for i in (0..8).rev() {
                let r = rrp[i];
                let vi = v[i];
                let t = if r == i16::MIN && vi == i16::MIN {
                    i16::MAX
                } else {
                    ((i32::from(r) * i32::from(vi) + 16384) >> 15) as i16
                };
                sri = sub(sri, t);
                let t = if r == i16::MIN && sri == i16::MIN {
                    i16::MAX
                } else {
                    ((i32::from(r) * i32::from(sri) + 16384) >> 15) as i16
                };
                v[i + 1] = add(vi, t);
            }
            v[0] = sri;
            *out = sri;
        }
    }

    /// 4.3.5: de-emphasis, up-scaling and truncation to 13 significant bits.
    fn postprocess(&mut self, s: &mut [i16; 160]) {
        let mut msr = self.msr;
        for sample in s.iter_mut() {
            let tmp = mult_r(msr, 28180);
            msr = add(*sample, tmp);
            *sample = add(msr, msr) & !7;
        }
        self.msr = msr;
    }
}

/// 4.2.8: decoding of the coded log-area ratios.
fn decode_lars(larc: &[i16; 8]) -> [i16; 8] {
    // (B * 2, MIC, INVA) per coefficient, table 4.1 and 4.2 of the standard.
    const STEPS: [(i16, i16, i16); 8] = [
        (0, -32, 13107),
        (0, -32, 13107),
        (4096, -16, 13107),
        (-5120, -16, 13107),
        (188, -8, 19223),
        (-3584, -8, 17476),
        (-682, -4, 31454),
        (-2288, -4, 29708),
    ];
    let mut out = [0i16; 8];
    for (i, &(b2, mic, inva)) in STEPS.iter().enumerate() {
        let t = ((i32::from(add(larc[i], mic))) << 10) as i16;
        let t = sub(t, b2);
        let t = mult_r(inva, t);
        out[i] = add(t, t);
    }
    out
}

/// 4.2.9.2: interpolated LARs to reflection coefficients.
fn lar_to_rp(mut larp: [i16; 8]) -> [i16; 8] {
    for value in larp.iter_mut() {
        let magnitude = if *value == i16::MIN {
            i16::MAX
        } else {
            value.abs()
        };
        let mapped = if magnitude < 11059 {
            magnitude << 1
        } else if magnitude < 20070 {
            magnitude + 11059
        } else {
            add(magnitude >> 2, 26112)
        };
        *value = if *value < 0 { -mapped } else { mapped };
    }
    larp
}

/// 4.2.15 to 4.2.17 (decoder side): APCM inverse quantisation and RPE grid positioning.
fn rpe_decoding(xmaxc: i16, mc: i16, xmc: &[i16; 13]) -> [i16; 40] {
    let (exp, mant) = xmaxc_to_exp_mant(xmaxc);
    let temp1 = FAC[mant as usize];
    let temp2 = sub(6, exp);
    let temp3 = asl(1, sub(temp2, 1));
    let mut erp = [0i16; 40];
    for (i, &code) in xmc.iter().enumerate() {
        let temp = ((code << 1) - 7) << 12;
        let temp = mult_r(temp1, temp);
        let temp = add(temp, temp3);
        erp[(mc & 3) as usize + 3 * i] = asr(temp, temp2);
    }
    erp
}

/// 4.2.15: exponent and mantissa of the block maximum.
fn xmaxc_to_exp_mant(xmaxc: i16) -> (i16, i16) {
    let mut exp = 0i16;
    if xmaxc > 15 {
        exp = (xmaxc >> 3) - 1;
    }
    let mut mant = xmaxc - (exp << 3);
    if mant == 0 {
        exp = -4;
        mant = 7;
    } else {
        while mant <= 7 {
            mant = (mant << 1) | 1;
            exp -= 1;
        }
        mant -= 8;
    }
    (exp, mant)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pack(p: &FrameParams) -> [u8; FRAME_BYTES] {
        let mut fields: Vec<(i16, usize)> = vec![(i16::from(MAGIC), 4)];
        for (lar, width) in p.lar.iter().zip([6, 6, 5, 5, 4, 4, 3, 3]) {
            fields.push((*lar, width));
        }
        for sub in 0..4 {
            fields.push((p.nc[sub], 7));
            fields.push((p.bc[sub], 2));
            fields.push((p.mc[sub], 2));
            fields.push((p.xmaxc[sub], 6));
            for x in p.xmc[sub] {
                fields.push((x, 3));
            }
        }
        let mut out = [0u8; FRAME_BYTES];
        let mut bit = 0;
        for (value, width) in fields {
            for b in (0..width).rev() {
                if (value >> b) & 1 == 1 {
                    out[bit / 8] |= 0x80 >> (bit % 8);
                }
                bit += 1;
            }
        }
        assert_eq!(bit, FRAME_BYTES * 8);
        out
    }

    #[test]
    fn unpack_reads_every_field_in_transmission_order() {
        let mut p = FrameParams {
            lar: [63, 1, 31, 2, 15, 3, 7, 4],
            ..FrameParams::default()
        };
        for sub in 0..4 {
            p.nc[sub] = 40 + sub as i16 * 20;
            p.bc[sub] = sub as i16;
            p.mc[sub] = 3 - sub as i16;
            p.xmaxc[sub] = 60 - sub as i16;
            for (i, x) in p.xmc[sub].iter_mut().enumerate() {
                *x = ((i + sub) % 8) as i16;
            }
        }
        assert_eq!(unpack(&pack(&p)), Ok(p));
    }

    #[test]
    fn frame_without_signature_is_rejected() {
        let frame = [0u8; FRAME_BYTES];
        assert_eq!(
            GsmDecoder::new().decode_frame(&frame),
            Err(BadFrame { found: 0 })
        );
    }

    #[test]
    fn exponent_and_mantissa_follow_table_4_5() {
        assert_eq!(xmaxc_to_exp_mant(0), (-4, 7));
        assert_eq!(xmaxc_to_exp_mant(15), (0, 7));
        assert_eq!(xmaxc_to_exp_mant(16), (1, 0));
        assert_eq!(xmaxc_to_exp_mant(63), (6, 7));
    }

    #[test]
    fn minimal_parameters_decode_to_near_silence() {
        let p = FrameParams {
            lar: [32, 32, 16, 16, 8, 8, 4, 4],
            xmc: [[4; 13]; 4],
            nc: [40; 4],
            ..FrameParams::default()
        };
        let frame = pack(&p);
        let mut decoder = GsmDecoder::new();
        for _ in 0..3 {
            let out = decoder.decode_frame(&frame).expect("valid frame");
            assert!(out.iter().all(|&s| s.abs() <= 32), "{out:?}");
        }
    }
}
