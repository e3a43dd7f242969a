//! G.711 µ-law and A-law companding (ITU-T G.711), sample by sample.
//!
//! Pure conversions between 8-bit companded codes and 16-bit linear PCM, used for raw
//! `.ulaw`/`.alaw` prompts and for the `ulaw`/`alaw` output formats. Not a file reader: WAVs
//! that carry G.711 are decoded by the container path.

/// Linear value of every µ-law code, built once at compile time.
static ULAW_TO_LINEAR: [i16; 256] = build_ulaw_table();
/// Linear value of every A-law code, built once at compile time.
static ALAW_TO_LINEAR: [i16; 256] = build_alaw_table();

const fn build_ulaw_table() -> [i16; 256] {
    let mut table = [0i16; 256];
    let mut code = 0;
    while code < 256 {
        let u = !(code as u8);
        let exponent = ((u >> 4) & 0x07) as i32;
        let mantissa = (u & 0x0F) as i32;
        let magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
        table[code] = if u & 0x80 != 0 {
            -magnitude as i16
        } else {
            magnitude as i16
        };
        code += 1;
    }
    table
}

const fn build_alaw_table() -> [i16; 256] {
    let mut table = [0i16; 256];
    let mut code = 0;
    while code < 256 {
        let a = (code as u8) ^ 0x55;
        let segment = ((a & 0x70) >> 4) as i32;
        let mut magnitude = ((a & 0x0F) as i32) << 4;
        magnitude = match segment {
            0 => magnitude + 8,
            1 => magnitude + 0x108,
            _ => (magnitude + 0x108) << (segment - 1),
        };
        table[code] = if a & 0x80 != 0 {
            magnitude as i16
        } else {
            -magnitude as i16
        };
        code += 1;
    }
    table
}

/// Decodes one µ-law code to linear 16-bit PCM.
pub fn ulaw_to_linear(code: u8) -> i16 {
    ULAW_TO_LINEAR[code as usize]
}

/// Decodes one A-law code to linear 16-bit PCM.
pub fn alaw_to_linear(code: u8) -> i16 {
    ALAW_TO_LINEAR[code as usize]
}

/// Index of the segment whose upper bound holds `value`, or 8 when it is above them all.
fn segment(value: i32, ends: &[i32; 8]) -> i32 {
    ends.iter().position(|&end| value <= end).unwrap_or(8) as i32
}

/// Encodes linear 16-bit PCM to µ-law (the G.711 reference algorithm, 14-bit magnitude).
pub fn linear_to_ulaw(sample: i16) -> u8 {
    const BIAS: i32 = 0x21;
    const CLIP: i32 = 8159;
    const ENDS: [i32; 8] = [0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF];
    let mut value = i32::from(sample) >> 2;
    let mask: u8 = if value < 0 {
        value = -value;
        0x7F
    } else {
        0xFF
    };
    value = value.min(CLIP) + BIAS;
    let seg = segment(value, &ENDS);
    if seg >= 8 {
        return 0x7F ^ mask;
    }
    let code = ((seg << 4) | ((value >> (seg + 1)) & 0x0F)) as u8;
    code ^ mask
}

/// Encodes linear 16-bit PCM to A-law (the G.711 reference algorithm, 13-bit magnitude).
pub fn linear_to_alaw(sample: i16) -> u8 {
    const ENDS: [i32; 8] = [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF];
    let mut value = i32::from(sample) >> 3;
    let mask: u8 = if value >= 0 {
        0xD5
    } else {
        value = -value - 1;
        0x55
    };
    let seg = segment(value, &ENDS);
    if seg >= 8 {
        return 0x7F ^ mask;
    }
    let mantissa = if seg < 2 {
        (value >> 1) & 0x0F
    } else {
        (value >> seg) & 0x0F
    };
    ((seg << 4) as u8 | mantissa as u8) ^ mask
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_ulaw_code_survives_decode_then_encode() {
        for code in 0..=255u8 {
            let back = linear_to_ulaw(ulaw_to_linear(code));
            // 0x7F is µ-law's "negative zero"; it decodes to 0, which encodes as 0xFF.
            let expected = if code == 0x7F { 0xFF } else { code };
            assert_eq!(back, expected, "code {code:#04x}");
        }
    }

    #[test]
    fn every_alaw_code_survives_decode_then_encode() {
        for code in 0..=255u8 {
            assert_eq!(
                linear_to_alaw(alaw_to_linear(code)),
                code,
                "code {code:#04x}"
            );
        }
    }

    #[test]
    fn ulaw_reaches_the_g711_extremes() {
        assert_eq!(ulaw_to_linear(0x00), -32124);
        assert_eq!(ulaw_to_linear(0x80), 32124);
        assert_eq!(ulaw_to_linear(0xFF), 0);
        assert_eq!(linear_to_ulaw(i16::MAX), 0x80);
        assert_eq!(linear_to_ulaw(i16::MIN), 0x00);
    }

    #[test]
    fn alaw_reaches_the_g711_extremes() {
        assert_eq!(alaw_to_linear(0xAA), 32256);
        assert_eq!(alaw_to_linear(0x2A), -32256);
        assert_eq!(alaw_to_linear(0xD5), 8);
        assert_eq!(linear_to_alaw(i16::MAX), 0xAA);
        assert_eq!(linear_to_alaw(i16::MIN), 0x2A);
    }

    #[test]
    fn companding_error_stays_within_half_a_step() {
        for sample in (i16::MIN..=i16::MAX).step_by(7) {
            let u = ulaw_to_linear(linear_to_ulaw(sample));
            let a = alaw_to_linear(linear_to_alaw(sample));
            let s = i32::from(sample);
            // The largest G.711 segment step is 1024 (µ-law) / 1024 (A-law).
            assert!((i32::from(u) - s).abs() <= 1024, "ulaw {sample} -> {u}");
            assert!((i32::from(a) - s).abs() <= 1024, "alaw {sample} -> {a}");
        }
    }
}
