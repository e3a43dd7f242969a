//! Input detection: decides what an upload is from its first bytes, falling back to the file
//! name's extension only for the headerless telephony formats.
//!
//! Pure: it looks at a byte prefix and a file name, it opens nothing. It does not validate a
//! whole file; the decoders do that while streaming.

use std::fmt;
use std::path::Path;

/// What an input looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// A RIFF/WAVE container.
    Wav,
    /// A native FLAC stream.
    Flac,
    /// An Ogg container (Vorbis is the codec Ringside decodes from it).
    Ogg,
    /// MPEG audio, possibly behind an ID3v2 tag.
    Mp3,
    /// Headerless G.711 µ-law, 8 kHz mono.
    RawUlaw,
    /// Headerless G.711 A-law, 8 kHz mono.
    RawAlaw,
    /// Headerless GSM 06.10 frames, 8 kHz mono.
    RawGsm,
}

impl fmt::Display for InputKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            InputKind::Wav => "WAV",
            InputKind::Flac => "FLAC",
            InputKind::Ogg => "Ogg",
            InputKind::Mp3 => "MP3",
            InputKind::RawUlaw => "raw µ-law",
            InputKind::RawAlaw => "raw A-law",
            InputKind::RawGsm => "raw GSM 06.10",
        })
    }
}

/// The formats accepted, in words, for error messages.
pub const ACCEPTED: &str = "accepted: WAV (PCM 8/16/24/32-bit, float, µ-law, A-law), MP3, FLAC, \
                            Ogg Vorbis, or headerless .ulaw, .alaw, .gsm";

/// Why an input was not recognised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unrecognised {
    /// The file has no bytes at all.
    Empty,
    /// The bytes match no container and the extension names no raw format.
    Unknown { found: String },
}

/// Number of leading bytes [`detect`] wants to see.
pub const SNIFF_LEN: usize = 64;

/// Decides the input kind from up to [`SNIFF_LEN`] leading bytes and the file name.
pub fn detect(head: &[u8], file_name: &Path) -> Result<InputKind, Unrecognised> {
    if head.is_empty() {
        return Err(Unrecognised::Empty);
    }
    if head.len() >= 12 && &head[0..4] == b"RIFF" && &head[8..12] == b"WAVE" {
        return Ok(InputKind::Wav);
    }
    if head.starts_with(b"fLaC") {
        return Ok(InputKind::Flac);
    }
    if head.starts_with(b"OggS") {
        return Ok(InputKind::Ogg);
    }
    if head.starts_with(b"ID3") || is_mpeg_audio_sync(head) {
        return Ok(InputKind::Mp3);
    }
    let extension = file_name
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("ulaw" | "ul" | "mulaw" | "pcmu") => Ok(InputKind::RawUlaw),
        Some("alaw" | "al" | "pcma") => Ok(InputKind::RawAlaw),
        Some("gsm") => Ok(InputKind::RawGsm),
        _ => Err(Unrecognised::Unknown {
            found: describe_unknown(head, extension.as_deref()),
        }),
    }
}

/// An MPEG audio frame header: 11 sync bits, a valid version, layer, bitrate and rate.
fn is_mpeg_audio_sync(head: &[u8]) -> bool {
    if head.len() < 4 || head[0] != 0xFF || head[1] & 0xE0 != 0xE0 {
        return false;
    }
    let version = (head[1] >> 3) & 0x03;
    let layer = (head[1] >> 1) & 0x03;
    let bitrate = head[2] >> 4;
    let rate = (head[2] >> 2) & 0x03;
    version != 0x01 && layer != 0x00 && bitrate != 0x0F && rate != 0x03
}

/// A short human description of bytes that matched nothing.
fn describe_unknown(head: &[u8], extension: Option<&str>) -> String {
    let named = match extension {
        Some(ext) => format!("a .{ext} file"),
        None => "a file without extension".to_string(),
    };
    let content = if head.starts_with(b"%PDF") {
        "a PDF document".to_string()
    } else if head.len() >= 8 && &head[4..8] == b"ftyp" {
        "an MP4/M4A container (not supported; convert to MP3 or WAV)".to_string()
    } else if head.starts_with(b"RIFF") {
        "a RIFF file that is not WAVE".to_string()
    } else if head
        .iter()
        .take(SNIFF_LEN)
        .all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace())
    {
        "plain text".to_string()
    } else {
        let hex: Vec<String> = head.iter().take(4).map(|b| format!("{b:02x}")).collect();
        format!("unknown data starting {}", hex.join(" "))
    };
    format!("{named} containing {content}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(head: &[u8], name: &str) -> Result<InputKind, Unrecognised> {
        detect(head, Path::new(name))
    }

    #[test]
    fn riff_wave_is_wav_whatever_the_name() {
        assert_eq!(kind(b"RIFF\x24\0\0\0WAVEfmt ", "x.mp3"), Ok(InputKind::Wav));
    }

    #[test]
    fn flac_ogg_and_id3_signatures_are_recognised() {
        assert_eq!(kind(b"fLaC\0\0\0\x22", "a.wav"), Ok(InputKind::Flac));
        assert_eq!(kind(b"OggS\0\x02", "a"), Ok(InputKind::Ogg));
        assert_eq!(kind(b"ID3\x04\0\0", "a.ogg"), Ok(InputKind::Mp3));
    }

    #[test]
    fn bare_mpeg_frame_sync_is_mp3() {
        // MPEG-1 layer III, 128 kbit/s, 44.1 kHz.
        assert_eq!(kind(&[0xFF, 0xFB, 0x90, 0x64], "song"), Ok(InputKind::Mp3));
    }

    #[test]
    fn sync_bits_with_reserved_fields_are_not_mp3() {
        assert!(kind(&[0xFF, 0xFF, 0xFF, 0xFF], "noise.bin").is_err());
    }

    #[test]
    fn headerless_formats_come_from_the_extension() {
        assert_eq!(kind(&[0x7F; 16], "p.ULAW"), Ok(InputKind::RawUlaw));
        assert_eq!(kind(&[0xD5; 16], "p.alaw"), Ok(InputKind::RawAlaw));
        assert_eq!(kind(&[0xD0; 33], "p.gsm"), Ok(InputKind::RawGsm));
    }

    #[test]
    fn empty_input_is_reported_as_empty() {
        assert_eq!(kind(b"", "a.wav"), Err(Unrecognised::Empty));
    }

    #[test]
    fn text_renamed_mp3_is_described_as_text() {
        match kind(b"hello, this is not audio\n", "song.mp3") {
            Err(Unrecognised::Unknown { found }) => {
                assert_eq!(found, "a .mp3 file containing plain text")
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
