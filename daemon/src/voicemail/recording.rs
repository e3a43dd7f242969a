//! A voicemail recording served as a WAV any browser plays: 16-bit mono PCM with a plain
//! 44-byte header, whatever app_voicemail stored (`format=` in voicemail.conf):
//! `wav` (PCM, copied through), `WAV` (GSM 06.10 in WAV, "wav49", Microsoft's packing of
//! two frames in 65 bytes) or `gsm` (raw 33-byte frames), decoded with [`crate::media::gsm`].
//!
//! Any byte range of the output can be produced without building the whole file, so HTTP
//! range requests (the player seeking) and the first byte of a long message are cheap.
//! GSM carries decoder state from frame to frame, so a range inside GSM audio is decoded
//! from the first frame on (output before the range is dropped) and every range agrees
//! byte for byte with the whole file. Not here: HTTP, and finding which message is which.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::media::gsm::{FRAME_BYTES, FRAME_SAMPLES, GsmDecoder};

/// Bytes of the WAV header written in front of the samples.
pub const HEADER_LEN: u64 = 44;
/// Bytes of one WAV-49 block: two GSM frames of 260 bits each.
pub const WAV49_BLOCK: usize = 65;
/// Output bytes handed to the sink at a time.
const CHUNK: usize = 64 * 1024;

/// The extensions app_voicemail gives a recording, in the order they are tried.
pub const EXTENSIONS: [&str; 3] = ["wav", "WAV", "gsm"];

#[derive(Debug, thiserror::Error)]
pub enum RecordingError {
    #[error("the message has no recording (no msgNNNN.wav, .WAV or .gsm)")]
    Missing,
    #[error("the recording {file} is not audio: {reason}")]
    NotAudio { file: String, reason: String },
    #[error("the recording {file} is in a format Ringside does not play: {reason}")]
    Unsupported { file: String, reason: String },
    /// Not a `source`: the message already names the cause, and error chains would say it twice.
    #[error("cannot read the recording: {0}")]
    Io(std::io::Error),
}

impl From<std::io::Error> for RecordingError {
    fn from(e: std::io::Error) -> Self {
        RecordingError::Io(e)
    }
}

/// How the samples are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Signed 16-bit little-endian PCM at `data_offset`, `data_len` bytes.
    Pcm16,
    /// GSM 06.10 frames, standard packing.
    Gsm,
    /// GSM 06.10, Microsoft WAV-49 packing.
    Wav49,
}

/// An opened recording and what its WAV will look like.
#[derive(Debug)]
pub struct Recording {
    file: File,
    path: PathBuf,
    encoding: Encoding,
    sample_rate: u32,
    data_offset: u64,
    /// Bytes of encoded audio used (whole frames / blocks / samples only).
    data_len: u64,
}

/// The 44-byte header of a 16-bit mono PCM WAV with `data_len` bytes of samples.
pub fn wav_header(sample_rate: u32, data_len: u32) -> [u8; 44] {
    let mut h = [0u8; 44];
    h[0..4].copy_from_slice(b"RIFF");
    h[4..8].copy_from_slice(&data_len.saturating_add(36).to_le_bytes());
    h[8..12].copy_from_slice(b"WAVE");
    h[12..16].copy_from_slice(b"fmt ");
    h[16..20].copy_from_slice(&16u32.to_le_bytes());
    h[20..22].copy_from_slice(&1u16.to_le_bytes());
    h[22..24].copy_from_slice(&1u16.to_le_bytes());
    h[24..28].copy_from_slice(&sample_rate.to_le_bytes());
    h[28..32].copy_from_slice(&sample_rate.saturating_mul(2).to_le_bytes());
    h[32..34].copy_from_slice(&2u16.to_le_bytes());
    h[34..36].copy_from_slice(&16u16.to_le_bytes());
    h[36..40].copy_from_slice(b"data");
    h[40..44].copy_from_slice(&data_len.to_le_bytes());
    h
}

/// What the RIFF chunks of a WAV say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WavLayout {
    pub format_tag: u16,
    pub channels: u16,
    pub sample_rate: u32,
    pub bits: u16,
    pub block_align: u16,
    pub data_offset: u64,
    /// Clamped to what the file holds (a recording cut short keeps its whole part).
    pub data_len: u64,
}

/// Walks the chunks in `head` (the file's first bytes) of a file `file_len` bytes long.
pub fn parse_wav(head: &[u8], file_len: u64) -> Result<WavLayout, String> {
    if head.len() < 12 || &head[0..4] != b"RIFF" || &head[8..12] != b"WAVE" {
        return Err("no RIFF/WAVE signature".into());
    }
    let u16_at = |at: usize| u16::from_le_bytes([head[at], head[at + 1]]);
    let u32_at =
        |at: usize| u32::from_le_bytes([head[at], head[at + 1], head[at + 2], head[at + 3]]);
    let mut at = 12usize;
    let mut fmt = None;
    while at + 8 <= head.len() {
        let id = &head[at..at + 4];
        let size = u64::from(u32_at(at + 4));
        let body = at + 8;
        if id == b"fmt " {
            if size < 16 || body + 16 > head.len() {
                return Err("the fmt chunk is too short".into());
            }
            fmt = Some((
                u16_at(body),
                u16_at(body + 2),
                u32_at(body + 4),
                u16_at(body + 12),
                u16_at(body + 14),
            ));
        } else if id == b"data" {
            let Some((format_tag, channels, sample_rate, block_align, bits)) = fmt else {
                return Err("the data chunk comes before the fmt chunk".into());
            };
            let present = file_len.saturating_sub(body as u64);
            // 0 and 0xFFFFFFFF are what a writer leaves when it could not seek back.
            let data_len = if size == 0 || size == u64::from(u32::MAX) {
                present
            } else {
                size.min(present)
            };
            return Ok(WavLayout {
                format_tag,
                channels,
                sample_rate,
                bits,
                block_align,
                data_offset: body as u64,
                data_len,
            });
        }
        // Chunks are padded to an even size.
        let next = (body as u64).saturating_add(size).saturating_add(size & 1);
        at = usize::try_from(next).unwrap_or(usize::MAX);
    }
    Err(if fmt.is_none() {
        "no fmt chunk".into()
    } else {
        "no data chunk".into()
    })
}

/// LSB-first bit reader over a WAV-49 block.
struct LsbBits<'a> {
    bytes: &'a [u8],
    bit: usize,
}

impl LsbBits<'_> {
    fn take(&mut self, width: usize) -> u16 {
        let mut value = 0u16;
        for i in 0..width {
            let bit = (self.bytes[self.bit / 8] >> (self.bit % 8)) & 1;
            value |= u16::from(bit) << i;
            self.bit += 1;
        }
        value
    }
}

/// MSB-first bit writer for a standard 33-byte frame.
struct MsbWriter {
    bytes: [u8; FRAME_BYTES],
    bit: usize,
}

impl MsbWriter {
    fn put(&mut self, value: u16, width: usize) {
        for i in (0..width).rev() {
            if (value >> i) & 1 == 1 {
                self.bytes[self.bit / 8] |= 0x80 >> (self.bit % 8);
            }
            self.bit += 1;
        }
    }
}

/// The widths of a frame's 76 fields in transmission order (both packings share it).
fn field_widths() -> impl Iterator<Item = usize> {
    let lar = [6, 6, 5, 5, 4, 4, 3, 3].into_iter();
    let sub = [7, 2, 2, 6].into_iter().chain(std::iter::repeat_n(3, 13));
    lar.chain(sub.clone().chain(sub.clone()).chain(sub.clone()).chain(sub))
}

/// Repacks one WAV-49 block into the two standard frames it holds.
pub fn wav49_to_frames(block: &[u8; WAV49_BLOCK]) -> [[u8; FRAME_BYTES]; 2] {
    let mut reader = LsbBits {
        bytes: block,
        bit: 0,
    };
    let mut frames = [[0u8; FRAME_BYTES]; 2];
    for frame in &mut frames {
        let mut w = MsbWriter {
            bytes: [0; FRAME_BYTES],
            bit: 0,
        };
        w.put(0xD, 4);
        for width in field_widths() {
            w.put(reader.take(width), width);
        }
        *frame = w.bytes;
    }
    frames
}

/// Packs two standard frames into one WAV-49 block (the inverse of [`wav49_to_frames`]);
/// used to make WAV-49 files for tests and benchmarks.
pub fn frames_to_wav49(frames: &[[u8; FRAME_BYTES]; 2]) -> [u8; WAV49_BLOCK] {
    let mut block = [0u8; WAV49_BLOCK];
    let mut out_bit = 0usize;
    for frame in frames {
        let mut in_bit = 4usize;
        for width in field_widths() {
            let mut value = 0u16;
            for _ in 0..width {
                let bit = (frame[in_bit / 8] >> (7 - in_bit % 8)) & 1;
                value = (value << 1) | u16::from(bit);
                in_bit += 1;
            }
            for i in 0..width {
                if (value >> i) & 1 == 1 {
                    block[out_bit / 8] |= 1 << (out_bit % 8);
                }
                out_bit += 1;
            }
        }
    }
    block
}

/// The WAV-49 header Asterisk's `format_wav_gsm` writes (60 bytes), for `blocks` blocks.
pub fn wav49_header(blocks: u32) -> Vec<u8> {
    let data_len = blocks.saturating_mul(WAV49_BLOCK as u32);
    let mut h = Vec::with_capacity(60);
    h.extend_from_slice(b"RIFF");
    h.extend_from_slice(&data_len.saturating_add(52).to_le_bytes());
    h.extend_from_slice(b"WAVEfmt ");
    h.extend_from_slice(&20u32.to_le_bytes());
    h.extend_from_slice(&0x31u16.to_le_bytes());
    h.extend_from_slice(&1u16.to_le_bytes());
    h.extend_from_slice(&8000u32.to_le_bytes());
    h.extend_from_slice(&1625u32.to_le_bytes());
    h.extend_from_slice(&65u16.to_le_bytes());
    h.extend_from_slice(&0u16.to_le_bytes());
    h.extend_from_slice(&2u16.to_le_bytes());
    h.extend_from_slice(&320u16.to_le_bytes());
    h.extend_from_slice(b"fact");
    h.extend_from_slice(&4u32.to_le_bytes());
    h.extend_from_slice(&blocks.saturating_mul(320).to_le_bytes());
    h.extend_from_slice(b"data");
    h.extend_from_slice(&data_len.to_le_bytes());
    h
}

impl Recording {
    /// Opens the recording of the message whose files start with `stem` (`…/msg0003`).
    pub fn open_stem(stem: &Path) -> Result<Recording, RecordingError> {
        for ext in EXTENSIONS {
            let path = stem.with_extension(ext);
            match File::open(&path) {
                Ok(file) => return Recording::open_file(file, path, ext),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(RecordingError::Missing)
    }

    fn open_file(mut file: File, path: PathBuf, ext: &str) -> Result<Recording, RecordingError> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let file_len = file.metadata()?.len();
        let mut head = vec![0u8; 4096];
        let mut got = 0;
        while got < head.len() {
            let n = file.read(&mut head[got..])?;
            if n == 0 {
                break;
            }
            got += n;
        }
        head.truncate(got);
        let not_audio = |reason: &str| RecordingError::NotAudio {
            file: name.clone(),
            reason: reason.to_owned(),
        };
        let unsupported = |reason: String| RecordingError::Unsupported {
            file: name.clone(),
            reason,
        };
        let (encoding, sample_rate, data_offset, data_len) = if ext == "gsm" {
            if head.len() < FRAME_BYTES || head[0] >> 4 != 0xD {
                return Err(not_audio("it does not start with a GSM 06.10 frame"));
            }
            let frames = file_len / FRAME_BYTES as u64;
            (Encoding::Gsm, 8000, 0, frames * FRAME_BYTES as u64)
        } else {
            let layout = parse_wav(&head, file_len).map_err(|r| not_audio(&r))?;
            if layout.channels != 1 {
                return Err(unsupported(format!("{} channels", layout.channels)));
            }
            match (layout.format_tag, layout.bits, layout.block_align) {
                (1, 16, _) => {
                    if !(4000..=96_000).contains(&layout.sample_rate) {
                        return Err(unsupported(format!("{} Hz", layout.sample_rate)));
                    }
                    (
                        Encoding::Pcm16,
                        layout.sample_rate,
                        layout.data_offset,
                        layout.data_len & !1,
                    )
                }
                (0x31, _, 65) => {
                    let blocks = layout.data_len / WAV49_BLOCK as u64;
                    (
                        Encoding::Wav49,
                        8000,
                        layout.data_offset,
                        blocks * WAV49_BLOCK as u64,
                    )
                }
                (tag, bits, _) => {
                    return Err(unsupported(format!(
                        "WAV format tag {tag:#x} with {bits} bits per sample"
                    )));
                }
            }
        };
        Ok(Recording {
            file,
            path,
            encoding,
            sample_rate,
            data_offset,
            data_len,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// Bytes of PCM samples in the served WAV.
    pub fn pcm_len(&self) -> u64 {
        match self.encoding {
            Encoding::Pcm16 => self.data_len,
            Encoding::Gsm => self.data_len / FRAME_BYTES as u64 * FRAME_SAMPLES as u64 * 2,
            Encoding::Wav49 => self.data_len / WAV49_BLOCK as u64 * 2 * FRAME_SAMPLES as u64 * 2,
        }
    }

    /// Length of the whole served WAV.
    pub fn wav_len(&self) -> u64 {
        HEADER_LEN + self.pcm_len()
    }

    /// Playing time in milliseconds.
    pub fn duration_ms(&self) -> u64 {
        self.pcm_len() / 2 * 1000 / u64::from(self.sample_rate.max(1))
    }

    /// Produces bytes `range` of the served WAV (clamped to its length), handing them to
    /// `sink` in chunks; `sink` returns `false` to stop early (the client went away).
    pub fn read_range(
        &mut self,
        range: Range<u64>,
        sink: &mut dyn FnMut(&[u8]) -> bool,
    ) -> Result<(), RecordingError> {
        let end = range.end.min(self.wav_len());
        let mut pos = range.start;
        if pos >= end {
            return Ok(());
        }
        if pos < HEADER_LEN {
            let pcm_len = u32::try_from(self.pcm_len()).unwrap_or(u32::MAX);
            let header = wav_header(self.sample_rate, pcm_len);
            let stop = end.min(HEADER_LEN);
            if !sink(&header[pos as usize..stop as usize]) {
                return Ok(());
            }
            pos = stop;
        }
        if pos >= end {
            return Ok(());
        }
        let pcm = (pos - HEADER_LEN)..(end - HEADER_LEN);
        match self.encoding {
            Encoding::Pcm16 => self.copy_pcm(pcm, sink),
            Encoding::Gsm | Encoding::Wav49 => self.decode_gsm(pcm, sink),
        }
    }

    fn copy_pcm(
        &mut self,
        pcm: Range<u64>,
        sink: &mut dyn FnMut(&[u8]) -> bool,
    ) -> Result<(), RecordingError> {
        self.file
            .seek(SeekFrom::Start(self.data_offset + pcm.start))?;
        let mut left = pcm.end - pcm.start;
        let mut buf = vec![0u8; CHUNK];
        while left > 0 {
            let want = usize::try_from(left.min(CHUNK as u64)).unwrap_or(CHUNK);
            let n = self.file.read(&mut buf[..want])?;
            if n == 0 {
                // The file shrank under us; what was promised is padded with silence so
                // the response keeps its announced length.
                buf[..want].fill(0);
                if !sink(&buf[..want]) {
                    return Ok(());
                }
                left -= want as u64;
                continue;
            }
            if !sink(&buf[..n]) {
                return Ok(());
            }
            left -= n as u64;
        }
        Ok(())
    }

    fn decode_gsm(
        &mut self,
        pcm: Range<u64>,
        sink: &mut dyn FnMut(&[u8]) -> bool,
    ) -> Result<(), RecordingError> {
        const FRAME_PCM: u64 = (FRAME_SAMPLES * 2) as u64;
        self.file.seek(SeekFrom::Start(self.data_offset))?;
        let mut reader = std::io::BufReader::with_capacity(CHUNK, &mut self.file);
        let mut decoder = GsmDecoder::new();
        let mut out: Vec<u8> = Vec::with_capacity(CHUNK + FRAME_PCM as usize * 2);
        let mut at = 0u64; // PCM offset of the next decoded frame
        let last_frame_end = pcm.end.div_ceil(FRAME_PCM) * FRAME_PCM;
        let mut bad_frames = 0u32;
        let mut decode = |frame: &[u8; FRAME_BYTES], decoder: &mut GsmDecoder| {
            decoder.decode_frame(frame).unwrap_or_else(|_| {
                bad_frames += 1;
                [0i16; FRAME_SAMPLES]
            })
        };
        while at < last_frame_end {
            let frames: Vec<[u8; FRAME_BYTES]> = match self.encoding {
                Encoding::Wav49 => {
                    let mut block = [0u8; WAV49_BLOCK];
                    if read_full(&mut reader, &mut block)? {
                        wav49_to_frames(&block).to_vec()
                    } else {
                        break;
                    }
                }
                _ => {
                    let mut frame = [0u8; FRAME_BYTES];
                    if read_full(&mut reader, &mut frame)? {
                        vec![frame]
                    } else {
                        break;
                    }
                }
            };
            for frame in &frames {
                let samples = decode(frame, &mut decoder);
                emit(&samples, at, &pcm, &mut out);
                at += FRAME_PCM;
            }
            if out.len() >= CHUNK {
                if !sink(&out) {
                    return Ok(());
                }
                out.clear();
            }
        }
        // A file that shrank under us is padded with silence to the announced length.
        let produced_to = at.min(pcm.end);
        if produced_to < pcm.end && produced_to >= pcm.start {
            out.resize(out.len() + (pcm.end - produced_to) as usize, 0);
        }
        if !out.is_empty() {
            sink(&out);
        }
        if bad_frames > 0 {
            tracing::warn!(file = %self.path.display(), bad_frames, "damaged GSM frames played as silence");
        }
        Ok(())
    }
}

/// Appends the part of one decoded frame (starting at PCM offset `at`) that lies in `pcm`.
fn emit(samples: &[i16; FRAME_SAMPLES], at: u64, pcm: &Range<u64>, out: &mut Vec<u8>) {
    let frame_end = at + (FRAME_SAMPLES * 2) as u64;
    if frame_end <= pcm.start || at >= pcm.end {
        return;
    }
    let mut bytes = [0u8; FRAME_SAMPLES * 2];
    for (pair, s) in bytes.chunks_exact_mut(2).zip(samples) {
        pair.copy_from_slice(&s.to_le_bytes());
    }
    let from = pcm.start.saturating_sub(at) as usize;
    let to = (pcm.end.min(frame_end) - at) as usize;
    out.extend_from_slice(&bytes[from..to]);
}

/// Fills `buf` completely; `false` at a clean or partial end of file.
fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> std::io::Result<bool> {
    let mut got = 0;
    while got < buf.len() {
        let n = reader.read(&mut buf[got..])?;
        if n == 0 {
            return Ok(false);
        }
        got += n;
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../media-fixtures/audio")
            .join(name)
    }

    fn whole(rec: &mut Recording) -> Vec<u8> {
        let mut out = Vec::new();
        rec.read_range(0..u64::MAX, &mut |b| {
            out.extend_from_slice(b);
            true
        })
        .expect("read");
        out
    }

    fn gsm_frames() -> Vec<[u8; FRAME_BYTES]> {
        let bytes = std::fs::read(fixture("speech.gsm")).expect("fixture");
        bytes
            .chunks_exact(FRAME_BYTES)
            .map(|c| c.try_into().expect("33 bytes"))
            .collect()
    }

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, bytes).expect("write");
        path.with_extension("")
    }

    #[test]
    fn wav49_packing_round_trips_standard_frames() {
        let frames = gsm_frames();
        for pair in frames.chunks_exact(2) {
            let pair: [[u8; FRAME_BYTES]; 2] = [pair[0], pair[1]];
            assert_eq!(wav49_to_frames(&frames_to_wav49(&pair)), pair);
        }
    }

    #[test]
    fn wav49_fields_are_read_least_significant_bit_first() {
        // LARc[0] = 0b000001 is the first bit of the block; the frame puts it after the
        // signature nibble, most significant bit first.
        let mut block = [0u8; WAV49_BLOCK];
        block[0] = 0b0000_0001;
        let [first, _] = wav49_to_frames(&block);
        assert_eq!(first[0], 0xD0);
        assert_eq!(first[1] >> 6, 0b01);
    }

    #[test]
    fn gsm_and_the_same_frames_in_wav49_decode_to_the_same_samples() {
        let dir = tempfile::tempdir().expect("tmp");
        let frames = gsm_frames();
        let even = &frames[..frames.len() / 2 * 2];
        let gsm: Vec<u8> = even.iter().flatten().copied().collect();
        let mut wav49 = wav49_header((even.len() / 2) as u32);
        for pair in even.chunks_exact(2) {
            wav49.extend_from_slice(&frames_to_wav49(&[pair[0], pair[1]]));
        }
        let mut a = Recording::open_stem(&write(dir.path(), "a.gsm", &gsm)).expect("gsm");
        let mut b = Recording::open_stem(&write(dir.path(), "b.WAV", &wav49)).expect("wav49");
        assert_eq!(b.encoding(), Encoding::Wav49);
        let (wa, wb) = (whole(&mut a), whole(&mut b));
        assert_eq!(wa.len() as u64, a.wav_len());
        assert_eq!(wa, wb);
        assert!(
            wa[44..].iter().any(|&x| x != 0),
            "decoded speech is not silence"
        );
    }

    #[test]
    fn a_pcm_wav_is_served_with_its_samples_unchanged() {
        let dir = tempfile::tempdir().expect("tmp");
        let src = std::fs::read(fixture("speech-8k.wav")).expect("fixture");
        let stem = write(dir.path(), "msg0000.wav", &src);
        let mut rec = Recording::open_stem(&stem).expect("open");
        let layout = parse_wav(&src, src.len() as u64).expect("layout");
        let out = whole(&mut rec);
        let data = &src[layout.data_offset as usize..][..layout.data_len as usize & !1];
        assert_eq!(&out[44..], data);
        assert_eq!(&out[0..4], b"RIFF");
    }

    #[test]
    fn every_range_matches_the_same_bytes_of_the_whole_file() {
        let dir = tempfile::tempdir().expect("tmp");
        let gsm: Vec<u8> = gsm_frames().iter().flatten().copied().collect();
        let mut rec = Recording::open_stem(&write(dir.path(), "m.gsm", &gsm)).expect("gsm");
        let all = whole(&mut rec);
        for range in [
            0..1,
            0..44,
            10..500,
            44..45,
            1000..1001,
            5001..20_003,
            300..all.len() as u64,
        ] {
            let mut part = Vec::new();
            rec.read_range(range.clone(), &mut |b| {
                part.extend_from_slice(b);
                true
            })
            .expect("read");
            assert_eq!(
                part,
                all[range.start as usize..range.end as usize],
                "{range:?}"
            );
        }
    }

    #[test]
    fn a_missing_recording_says_so() {
        let dir = tempfile::tempdir().expect("tmp");
        let err = Recording::open_stem(&dir.path().join("msg0000")).expect_err("none");
        assert!(matches!(err, RecordingError::Missing), "{err}");
    }

    #[test]
    fn a_text_file_named_wav_is_not_audio() {
        let dir = tempfile::tempdir().expect("tmp");
        let stem = write(dir.path(), "msg0000.wav", b"this is not a recording");
        let err = Recording::open_stem(&stem).expect_err("not audio");
        assert!(err.to_string().contains("is not audio"), "{err}");
    }

    #[test]
    fn a_file_named_gsm_without_gsm_frames_is_not_audio() {
        let dir = tempfile::tempdir().expect("tmp");
        let stem = write(dir.path(), "msg0000.gsm", &[0u8; 330]);
        assert!(matches!(
            Recording::open_stem(&stem),
            Err(RecordingError::NotAudio { .. })
        ));
    }

    #[test]
    fn a_stereo_wav_is_refused_as_unsupported() {
        let dir = tempfile::tempdir().expect("tmp");
        let src = std::fs::read(fixture("tone-1k-48k-24bit-stereo.wav")).expect("fixture");
        let stem = write(dir.path(), "msg0000.wav", &src);
        assert!(matches!(
            Recording::open_stem(&stem),
            Err(RecordingError::Unsupported { .. })
        ));
    }

    #[test]
    fn a_truncated_wav_plays_the_part_that_is_there() {
        let dir = tempfile::tempdir().expect("tmp");
        let src = std::fs::read(fixture("speech-8k.wav")).expect("fixture");
        let stem = write(dir.path(), "msg0000.wav", &src[..src.len() / 2]);
        let rec = Recording::open_stem(&stem).expect("open");
        assert!(rec.wav_len() < src.len() as u64);
        assert!(rec.duration_ms() > 0);
    }
}
