//! Sanity check of a WAV file's RIFF header before any decoding starts.
//!
//! Pure: reads the chunk list from the first bytes of the file and the file's length, and
//! rejects headers no real recorder writes (0 channels, absurd chunk sizes, a data chunk
//! longer than the file) with a message that says which field is wrong. It does not decode
//! audio; the container decoder does that.

/// What the header promises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WavFacts {
    pub channels: u16,
    pub sample_rate: u32,
    pub bits_per_sample: u16,
    /// Frames in the data chunk, when its size is a real count (not a streaming placeholder).
    pub claimed_frames: Option<u64>,
    /// How samples are stored.
    pub encoding: WavEncoding,
    /// Bytes per frame (all channels).
    pub block_align: u16,
    /// Offset of the first audio byte.
    pub data_offset: u64,
}

/// Sample storage of a WAV, from its format tag (or the sub-format of WAVE_FORMAT_EXTENSIBLE).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WavEncoding {
    /// Linear PCM: unsigned 8-bit, or signed 16/24/32-bit little-endian.
    Int,
    /// IEEE float, 32 or 64-bit.
    Float,
    /// G.711 µ-law, 8-bit.
    Ulaw,
    /// G.711 A-law, 8-bit.
    Alaw,
    /// Anything else (ADPCM and friends); left to the general decoder.
    Other,
}

impl WavEncoding {
    /// The codec name used in reports, e.g. `pcm_s24le`; `None` when not read natively.
    pub fn codec_name(self, bits: u16) -> Option<&'static str> {
        Some(match (self, bits) {
            (WavEncoding::Int, 8) => "pcm_u8",
            (WavEncoding::Int, 16) => "pcm_s16le",
            (WavEncoding::Int, 24) => "pcm_s24le",
            (WavEncoding::Int, 32) => "pcm_s32le",
            (WavEncoding::Float, 32) => "pcm_f32le",
            (WavEncoding::Float, 64) => "pcm_f64le",
            (WavEncoding::Ulaw, 8) => "pcm_mulaw",
            (WavEncoding::Alaw, 8) => "pcm_alaw",
            _ => return None,
        })
    }
}

fn encoding_of(tag: u16) -> WavEncoding {
    match tag {
        1 => WavEncoding::Int,
        3 => WavEncoding::Float,
        6 => WavEncoding::Alaw,
        7 => WavEncoding::Ulaw,
        _ => WavEncoding::Other,
    }
}

/// Why the header is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderProblem {
    /// The header is damaged or lies about sizes.
    Malformed(String),
    /// The header is sound but describes something Ringside does not take.
    Unsupported(String),
    /// The data chunk promises more bytes than the file holds.
    Truncated { claimed: u64, present: u64 },
}

/// Lowest and highest input rates accepted.
pub const RATE_RANGE: std::ops::RangeInclusive<u32> = 8000..=192_000;
/// Most channels accepted.
pub const MAX_CHANNELS: u16 = 8;

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Checks the header in `head` (the file's first bytes, a few KiB suffice) of a file that is
/// `file_len` bytes long.
pub fn check(head: &[u8], file_len: u64) -> Result<WavFacts, HeaderProblem> {
    let malformed = |m: String| Err(HeaderProblem::Malformed(m));
    if head.len() < 12 || &head[0..4] != b"RIFF" || &head[8..12] != b"WAVE" {
        return malformed("missing RIFF/WAVE signature".into());
    }
    let mut at = 12usize;
    let mut fmt: Option<(u16, u32, u16, u16, WavEncoding)> = None;
    loop {
        if at + 8 > head.len() {
            return malformed(if fmt.is_none() {
                "no fmt chunk in the header".into()
            } else {
                "no data chunk in the header".into()
            });
        }
        let id = &head[at..at + 4];
        let size = u32_at(head, at + 4);
        let name = String::from_utf8_lossy(id).into_owned();
        let body = at + 8;
        let remaining = file_len.saturating_sub(body as u64);
        if id == b"data" {
            let Some((channels, sample_rate, bits, block_align, encoding)) = fmt else {
                return malformed("data chunk comes before the fmt chunk".into());
            };
            // 0 and 0xFFFFFFFF are what streaming writers leave when they cannot seek back.
            let placeholder = size == 0 || size == u32::MAX;
            let claimed_frames = if placeholder {
                None
            } else {
                Some(u64::from(size) / u64::from(block_align))
            };
            if let Some(frames) = claimed_frames {
                // A header claiming too long a duration is reported as such by the caller; only
                // a plausible claim is also checked against the bytes present.
                if u64::from(size) > remaining && frames / u64::from(sample_rate) < 3600 {
                    return Err(HeaderProblem::Truncated {
                        claimed: u64::from(size),
                        present: remaining,
                    });
                }
            }
            return Ok(WavFacts {
                channels,
                sample_rate,
                bits_per_sample: bits,
                claimed_frames,
                encoding,
                block_align,
                data_offset: body as u64,
            });
        }
        if u64::from(size) > remaining {
            return malformed(format!(
                "chunk '{name}' claims {size} bytes but only {remaining} follow it"
            ));
        }
        if id == b"fmt " {
            if !(16..=1024).contains(&size) {
                return malformed(format!(
                    "fmt chunk size {size} (a real one is 16 to 40 bytes)"
                ));
            }
            if body + 16 > head.len() {
                return malformed("fmt chunk is cut short".into());
            }
            let channels = u16_at(head, body + 2);
            let sample_rate = u32_at(head, body + 4);
            let block_align = u16_at(head, body + 12);
            let bits = u16_at(head, body + 14);
            if channels == 0 {
                return malformed("the header declares 0 channels".into());
            }
            if channels > MAX_CHANNELS {
                return Err(HeaderProblem::Unsupported(format!(
                    "{channels} channels (accepted: 1 to {MAX_CHANNELS})"
                )));
            }
            if !RATE_RANGE.contains(&sample_rate) {
                return Err(HeaderProblem::Unsupported(format!(
                    "sample rate {sample_rate} Hz (accepted: {} to {} Hz)",
                    RATE_RANGE.start(),
                    RATE_RANGE.end()
                )));
            }
            if block_align == 0 {
                return malformed("block align is 0".into());
            }
            let tag = u16_at(head, body);
            let mut encoding = encoding_of(tag);
            if tag == 0xFFFE {
                // WAVE_FORMAT_EXTENSIBLE: the real tag opens the sub-format GUID.
                encoding = if size >= 40 && body + 26 <= head.len() {
                    encoding_of(u16_at(head, body + 24))
                } else {
                    WavEncoding::Other
                };
            }
            let width_ok = encoding.codec_name(bits).is_some_and(|_| {
                u32::from(block_align) == u32::from(channels) * u32::from(bits) / 8
            });
            if !width_ok && encoding != WavEncoding::Other {
                encoding = WavEncoding::Other;
            }
            fmt = Some((channels, sample_rate, bits, block_align, encoding));
        }
        // Chunks are padded to an even length.
        at = body + size as usize + (size as usize & 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wav(channels: u16, rate: u32, data_len: u32, extra: &[u8]) -> Vec<u8> {
        let mut v = b"RIFF\0\0\0\0WAVE".to_vec();
        v.extend_from_slice(extra);
        v.extend_from_slice(b"fmt \x10\0\0\0\x01\0");
        v.extend_from_slice(&channels.to_le_bytes());
        v.extend_from_slice(&rate.to_le_bytes());
        let align = channels.max(1) * 2;
        v.extend_from_slice(&(rate * u32::from(align)).to_le_bytes());
        v.extend_from_slice(&align.to_le_bytes());
        v.extend_from_slice(&16u16.to_le_bytes());
        v.extend_from_slice(b"data");
        v.extend_from_slice(&data_len.to_le_bytes());
        v
    }

    #[test]
    fn sound_header_reports_its_facts() {
        let h = wav(2, 44100, 400, b"");
        let facts = check(&h, h.len() as u64 + 400).expect("valid");
        assert_eq!(
            facts,
            WavFacts {
                channels: 2,
                sample_rate: 44100,
                bits_per_sample: 16,
                claimed_frames: Some(100),
                encoding: WavEncoding::Int,
                block_align: 4,
                data_offset: 44,
            }
        );
    }

    #[test]
    fn zero_channels_is_malformed() {
        let h = wav(0, 8000, 0, b"");
        assert_eq!(
            check(&h, h.len() as u64),
            Err(HeaderProblem::Malformed(
                "the header declares 0 channels".into()
            ))
        );
    }

    #[test]
    fn chunk_larger_than_the_file_is_malformed() {
        let h = wav(1, 8000, 0, b"LIST\xf0\xff\xff\x7f");
        match check(&h, h.len() as u64) {
            Err(HeaderProblem::Malformed(m)) => assert!(m.contains("'LIST' claims"), "{m}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn data_longer_than_the_file_is_truncation() {
        let h = wav(1, 8000, 16000, b"");
        assert_eq!(
            check(&h, h.len() as u64 + 100),
            Err(HeaderProblem::Truncated {
                claimed: 16000,
                present: 100
            })
        );
    }

    #[test]
    fn streaming_placeholder_size_is_accepted_without_a_claim() {
        let h = wav(1, 8000, u32::MAX, b"");
        assert_eq!(
            check(&h, h.len() as u64 + 10)
                .expect("valid")
                .claimed_frames,
            None
        );
    }

    #[test]
    fn out_of_range_rate_and_channel_count_are_unsupported() {
        let h = wav(1, 4000, 0, b"");
        assert!(matches!(check(&h, 100), Err(HeaderProblem::Unsupported(_))));
        let h = wav(9, 8000, 0, b"");
        assert!(matches!(check(&h, 100), Err(HeaderProblem::Unsupported(_))));
    }
}
