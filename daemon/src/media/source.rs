//! Decoded audio sources: turn an input file into blocks of mono `f32` samples at the file's
//! own rate, reading it a packet at a time so memory stays flat whatever the length.
//!
//! Containers (WAV, FLAC, Ogg Vorbis, MP3) go through symphonia; headerless µ-law, A-law and
//! GSM 06.10 are read here. Down-mixing (the mean of all channels, so full-scale stereo cannot
//! clip) happens here too. Resampling and output are elsewhere.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use symphonia::core::audio::{Audio, GenericAudioBufferRef};
use symphonia::core::codecs::audio::well_known::CODEC_ID_MP3;
use symphonia::core::codecs::audio::{AudioCodecParameters, AudioDecoder, AudioDecoderOptions};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, TrackType};
use symphonia::core::io::{MediaSource, MediaSourceStream, MediaSourceStreamOptions};
use symphonia::core::meta::MetadataOptions;

use super::g711;
use super::gsm::{self, GsmDecoder};
use super::sniff::InputKind;
use super::wav_header::{WavEncoding, WavFacts};

/// Why a source could not produce audio.
#[derive(Debug)]
pub enum SourceFailure {
    /// The data is damaged or cut short.
    Malformed(String),
    /// The data is valid but uses something not supported.
    Unsupported(String),
    /// More bytes were read than the input limit allows.
    OverByteLimit,
    /// Reading the file failed.
    Io(io::Error),
}

/// What a source is, for reports and duration checks.
#[derive(Debug, Clone)]
pub struct SourceInfo {
    /// E.g. "MP3, 44100 Hz, 2 channels".
    pub description: String,
    pub sample_rate: u32,
    pub channels: usize,
    /// Frames the container says it holds, when it says.
    pub claimed_frames: Option<u64>,
}

/// A stream of mono samples in [-1, 1] at `info().sample_rate`.
pub trait MonoSource: Send {
    fn info(&self) -> &SourceInfo;
    /// Appends the next block to `out`; returns `false` once the input is exhausted.
    fn next_block(&mut self, out: &mut Vec<f32>) -> Result<bool, SourceFailure>;
    /// Whether decoding costs little next to resampling (samples read straight from the
    /// file), so a thread that only decoded would mostly wait.
    fn decodes_cheaply(&self) -> bool {
        false
    }
    /// Whether the source already decodes on a second thread of its own, so the caller
    /// should not start another.
    fn decodes_in_parallel(&self) -> bool {
        false
    }
}

/// A file that refuses to yield more than `limit` bytes, so a size limit holds while streaming
/// even for a file that grows under us.
pub struct LimitedFile {
    file: File,
    limit: u64,
    position: u64,
    tripped: Arc<AtomicBool>,
}

impl LimitedFile {
    pub fn new(file: File, limit: u64) -> (Self, Arc<AtomicBool>) {
        let tripped = Arc::new(AtomicBool::new(false));
        let reader = LimitedFile {
            file,
            limit,
            position: 0,
            tripped: tripped.clone(),
        };
        (reader, tripped)
    }
}

impl Read for LimitedFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read(buf)?;
        self.position += n as u64;
        if self.position > self.limit {
            self.tripped.store(true, Ordering::Relaxed);
            return Err(io::Error::other("input is over the size limit"));
        }
        Ok(n)
    }
}

impl Seek for LimitedFile {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.position = self.file.seek(pos)?;
        Ok(self.position)
    }
}

impl MediaSource for LimitedFile {
    fn is_seekable(&self) -> bool {
        true
    }

    fn byte_len(&self) -> Option<u64> {
        self.file.metadata().ok().map(|m| m.len())
    }
}

/// Symphonia-backed source for WAV, FLAC, Ogg Vorbis and MP3.
pub struct ContainerSource {
    format: Box<dyn FormatReader>,
    decoder: Box<dyn AudioDecoder>,
    track_id: u32,
    params: AudioCodecParameters,
    info: SourceInfo,
    interleaved: Vec<f32>,
    tripped: Arc<AtomicBool>,
}

/// What a [`ContainerSource`] is made of, for a source that decodes its packets differently.
pub struct ContainerParts {
    pub format: Box<dyn FormatReader>,
    pub track_id: u32,
    pub params: AudioCodecParameters,
    pub info: SourceInfo,
    pub tripped: Arc<AtomicBool>,
}

impl ContainerSource {
    pub fn open(
        file: LimitedFile,
        tripped: Arc<AtomicBool>,
        kind: InputKind,
    ) -> Result<Self, SourceFailure> {
        let mss = MediaSourceStream::new(Box::new(file), MediaSourceStreamOptions::default());
        let mut hint = Hint::new();
        hint.with_extension(match kind {
            InputKind::Wav => "wav",
            InputKind::Flac => "flac",
            InputKind::Ogg => "ogg",
            _ => "mp3",
        });
        let map = |e| map_error(e, &tripped);
        let format = symphonia::default::get_probe()
            .probe(
                &hint,
                mss,
                FormatOptions::default(),
                MetadataOptions::default(),
            )
            .map_err(map)?;
        let track = format
            .default_track(TrackType::Audio)
            .ok_or_else(|| SourceFailure::Malformed("no audio track".into()))?;
        let params = track
            .codec_params
            .as_ref()
            .and_then(|p| p.audio())
            .ok_or_else(|| SourceFailure::Malformed("no audio track".into()))?
            .clone();
        let track_id = track.id;
        let claimed_frames = track.num_frames;
        let decoder = symphonia::default::get_codecs()
            .make_audio_decoder(&params, &AudioDecoderOptions::default())
            .map_err(|e| map_error(e, &tripped))?;
        let sample_rate = params
            .sample_rate
            .ok_or_else(|| SourceFailure::Malformed("no sample rate in the header".into()))?;
        let channels = params.channels.as_ref().map(|c| c.count()).unwrap_or(0);
        if channels == 0 {
            return Err(SourceFailure::Malformed(
                "the stream declares 0 channels".into(),
            ));
        }
        if !super::wav_header::RATE_RANGE.contains(&sample_rate) {
            return Err(SourceFailure::Unsupported(format!(
                "sample rate {sample_rate} Hz (accepted: 8000 to 192000 Hz)"
            )));
        }
        if channels > usize::from(super::wav_header::MAX_CHANNELS) {
            return Err(SourceFailure::Unsupported(format!(
                "{channels} channels (accepted: 1 to 8)"
            )));
        }
        let codec = decoder.codec_info().short_name;
        let label = match kind {
            InputKind::Wav => format!("WAV ({codec})"),
            InputKind::Flac => "FLAC".to_string(),
            InputKind::Ogg => format!("Ogg ({codec})"),
            _ => "MP3".to_string(),
        };
        let plural = if channels == 1 { "" } else { "s" };
        Ok(ContainerSource {
            format,
            decoder,
            track_id,
            params,
            info: SourceInfo {
                description: format!("{label}, {sample_rate} Hz, {channels} channel{plural}"),
                sample_rate,
                channels,
                claimed_frames,
            },
            interleaved: Vec::new(),
            tripped,
        })
    }
}

impl ContainerSource {
    /// Whether the stream is MPEG Layer III.
    pub fn is_mp3(&self) -> bool {
        self.params.codec == CODEC_ID_MP3
    }

    /// The reader, before any packet was read, and what it takes to make decoders for it.
    pub fn into_parts(self) -> ContainerParts {
        ContainerParts {
            format: self.format,
            track_id: self.track_id,
            params: self.params,
            info: self.info,
            tripped: self.tripped,
        }
    }
}

/// Appends the mono mix of one decoded packet to `out`.
pub fn mix_decoded(
    decoded: &GenericAudioBufferRef<'_>,
    interleaved: &mut Vec<f32>,
    out: &mut Vec<f32>,
) -> Result<(), SourceFailure> {
    let channels = decoded.spec().channels().count();
    if channels == 0 {
        return Err(SourceFailure::Malformed("a packet with 0 channels".into()));
    }
    // MP3 and Vorbis decode to planar f32: mix straight from the planes rather than
    // interleaving first and mixing after (the same sums in the same order).
    if let GenericAudioBufferRef::F32(buf) = decoded {
        match (channels, buf.plane(0), buf.plane(1)) {
            (1, Some(mono), _) => {
                out.extend_from_slice(mono);
                return Ok(());
            }
            (2, Some(left), Some(right)) => {
                out.extend(left.iter().zip(right).map(|(l, r)| (l + r) * 0.5));
                return Ok(());
            }
            _ => {}
        }
    }
    decoded.copy_to_vec_interleaved(interleaved);
    downmix_into(interleaved, channels, out);
    Ok(())
}

pub(super) fn map_error(err: SymphoniaError, tripped: &AtomicBool) -> SourceFailure {
    if tripped.load(Ordering::Relaxed) {
        return SourceFailure::OverByteLimit;
    }
    match err {
        SymphoniaError::IoError(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
            SourceFailure::Malformed("the file ends in the middle of the audio (truncated)".into())
        }
        SymphoniaError::IoError(e) => SourceFailure::Io(e),
        SymphoniaError::DecodeError(m) => SourceFailure::Malformed(m.to_string()),
        SymphoniaError::Unsupported(m) => SourceFailure::Unsupported(m.to_string()),
        SymphoniaError::LimitError(m) => SourceFailure::Malformed(format!("limit reached: {m}")),
        other => SourceFailure::Malformed(other.to_string()),
    }
}

impl MonoSource for ContainerSource {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    fn next_block(&mut self, out: &mut Vec<f32>) -> Result<bool, SourceFailure> {
        loop {
            let packet = match self.format.next_packet() {
                Ok(Some(packet)) => packet,
                Ok(None) | Err(SymphoniaError::ResetRequired) => return Ok(false),
                Err(e) => return Err(map_error(e, &self.tripped)),
            };
            if packet.track_id != self.track_id {
                continue;
            }
            let decoded = self
                .decoder
                .decode(&packet)
                .map_err(|e| map_error(e, &self.tripped))?;
            mix_decoded(&decoded, &mut self.interleaved, out)?;
            return Ok(true);
        }
    }
}

/// Appends the per-frame mean of interleaved `samples` to `out`.
pub fn downmix_into(samples: &[f32], channels: usize, out: &mut Vec<f32>) {
    match channels {
        1 => out.extend_from_slice(samples),
        2 => out.extend(samples.chunks_exact(2).map(|f| (f[0] + f[1]) * 0.5)),
        n => {
            let scale = 1.0 / n as f32;
            out.extend(
                samples
                    .chunks_exact(n)
                    .map(|f| f.iter().sum::<f32>() * scale),
            );
        }
    }
}

/// Native reader for linear PCM, float and G.711 WAVs: the data chunk is read in large blocks
/// and converted and down-mixed in one pass, which is several times faster than the general
/// container path for the WAVs users actually upload.
pub struct PcmWavSource {
    reader: LimitedFile,
    tripped: Arc<AtomicBool>,
    info: SourceInfo,
    facts: WavFacts,
    /// Data bytes still expected, when the header gave a real size.
    remaining: Option<u64>,
    bytes: Vec<u8>,
    /// Bytes of an incomplete frame carried over from the previous read.
    carry: usize,
}

/// Frames read per block.
const WAV_BLOCK_FRAMES: usize = 8192;

impl PcmWavSource {
    pub fn open(
        mut reader: LimitedFile,
        tripped: Arc<AtomicBool>,
        facts: WavFacts,
    ) -> Result<Self, SourceFailure> {
        let codec = facts
            .encoding
            .codec_name(facts.bits_per_sample)
            .ok_or_else(|| SourceFailure::Unsupported("this WAV sample format".into()))?;
        reader
            .seek(SeekFrom::Start(facts.data_offset))
            .map_err(SourceFailure::Io)?;
        let channels = usize::from(facts.channels);
        let plural = if channels == 1 { "" } else { "s" };
        Ok(PcmWavSource {
            reader,
            tripped,
            info: SourceInfo {
                description: format!(
                    "WAV ({codec}), {} Hz, {channels} channel{plural}",
                    facts.sample_rate
                ),
                sample_rate: facts.sample_rate,
                channels,
                claimed_frames: facts.claimed_frames,
            },
            remaining: facts
                .claimed_frames
                .map(|f| f * u64::from(facts.block_align)),
            bytes: vec![0; WAV_BLOCK_FRAMES * usize::from(facts.block_align)],
            carry: 0,
            facts,
        })
    }
}

/// Converts whole interleaved frames of `bytes` to mono and appends them to `out`.
fn pcm_frames_to_mono(bytes: &[u8], facts: &WavFacts, out: &mut Vec<f32>) {
    let channels = usize::from(facts.channels);
    let scale = 1.0 / channels as f32;
    let frame_len = usize::from(facts.block_align);
    macro_rules! mix {
        ($width:expr, $convert:expr) => {{
            let convert = $convert;
            out.extend(bytes.chunks_exact(frame_len).map(|frame| {
                let sum: f32 = frame.chunks_exact($width).map(&convert).sum();
                sum * scale
            }))
        }};
    }
    match (facts.encoding, facts.bits_per_sample) {
        // The common uploads, as plain loops the compiler vectorises. Exact: a sum of two
        // 16-bit samples fits an f32's mantissa and the scales are powers of two, so these
        // give the same values as the general path below.
        (WavEncoding::Int, 16) if channels == 1 && frame_len == 2 => out.extend(
            bytes
                .chunks_exact(2)
                .map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])) * (1.0 / 32768.0)),
        ),
        (WavEncoding::Int, 16) if channels == 2 && frame_len == 4 => {
            out.extend(bytes.chunks_exact(4).map(|b| {
                let left = f32::from(i16::from_le_bytes([b[0], b[1]]));
                let right = f32::from(i16::from_le_bytes([b[2], b[3]]));
                (left + right) * (1.0 / 65536.0)
            }))
        }
        (WavEncoding::Int, 8) => mix!(1, |b: &[u8]| (f32::from(b[0]) - 128.0) / 128.0),
        (WavEncoding::Int, 16) => {
            mix!(2, |b: &[u8]| f32::from(i16::from_le_bytes([b[0], b[1]]))
                / 32768.0)
        }
        (WavEncoding::Int, 24) => mix!(3, |b: &[u8]| {
            (i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8) as f32 / 8_388_608.0
        }),
        (WavEncoding::Int, 32) => mix!(4, |b: &[u8]| {
            (f64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]])) / 2_147_483_648.0) as f32
        }),
        (WavEncoding::Float, 32) => {
            mix!(4, |b: &[u8]| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        }
        (WavEncoding::Float, 64) => mix!(8, |b: &[u8]| {
            f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]) as f32
        }),
        (WavEncoding::Ulaw, 8) => {
            mix!(1, |b: &[u8]| f32::from(g711::ulaw_to_linear(b[0]))
                / 32768.0)
        }
        (WavEncoding::Alaw, 8) => {
            mix!(1, |b: &[u8]| f32::from(g711::alaw_to_linear(b[0]))
                / 32768.0)
        }
        _ => {}
    }
}

impl MonoSource for PcmWavSource {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    fn decodes_cheaply(&self) -> bool {
        true
    }

    fn next_block(&mut self, out: &mut Vec<f32>) -> Result<bool, SourceFailure> {
        let want = match self.remaining {
            Some(r) => (self.bytes.len() as u64).min(r + self.carry as u64) as usize,
            None => self.bytes.len(),
        };
        let mut filled = self.carry;
        while filled < want {
            match self.reader.read(&mut self.bytes[filled..want]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    return Err(if self.tripped.load(Ordering::Relaxed) {
                        SourceFailure::OverByteLimit
                    } else {
                        SourceFailure::Io(e)
                    });
                }
            }
        }
        let fresh = (filled - self.carry) as u64;
        if let Some(r) = self.remaining.as_mut() {
            *r -= fresh.min(*r);
        }
        let frame_len = usize::from(self.facts.block_align);
        let whole = filled / frame_len * frame_len;
        if whole == 0 {
            return Ok(false);
        }
        pcm_frames_to_mono(&self.bytes[..whole], &self.facts, out);
        self.bytes.copy_within(whole..filled, 0);
        self.carry = filled - whole;
        Ok(true)
    }
}

/// Headerless 8 kHz mono telephony formats.
pub struct RawSource {
    reader: LimitedFile,
    tripped: Arc<AtomicBool>,
    kind: InputKind,
    info: SourceInfo,
    bytes: Vec<u8>,
    gsm: GsmDecoder,
    gsm_frames: u64,
}

/// Bytes read per block: 0.5 s of G.711, or 125 GSM frames.
const RAW_BLOCK: usize = 4125;

impl RawSource {
    pub fn open(
        reader: LimitedFile,
        tripped: Arc<AtomicBool>,
        kind: InputKind,
        file_len: u64,
    ) -> Result<Self, SourceFailure> {
        let claimed_frames = match kind {
            InputKind::RawGsm => {
                if !file_len.is_multiple_of(gsm::FRAME_BYTES as u64) {
                    return Err(SourceFailure::Malformed(format!(
                        "raw GSM 06.10 is made of 33-byte frames, but the file is {file_len} \
                         bytes ({} frames and {} bytes left over)",
                        file_len / 33,
                        file_len % 33
                    )));
                }
                file_len / gsm::FRAME_BYTES as u64 * gsm::FRAME_SAMPLES as u64
            }
            _ => file_len,
        };
        Ok(RawSource {
            reader,
            tripped,
            kind,
            info: SourceInfo {
                description: format!("{kind}, 8000 Hz, 1 channel"),
                sample_rate: 8000,
                channels: 1,
                claimed_frames: Some(claimed_frames),
            },
            bytes: vec![0; RAW_BLOCK],
            gsm: GsmDecoder::new(),
            gsm_frames: 0,
        })
    }

    fn fill(&mut self) -> Result<usize, SourceFailure> {
        let mut filled = 0;
        while filled < self.bytes.len() {
            match self.reader.read(&mut self.bytes[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(if self.tripped.load(Ordering::Relaxed) {
                        SourceFailure::OverByteLimit
                    } else {
                        SourceFailure::Io(e)
                    });
                }
            }
        }
        Ok(filled)
    }
}

impl MonoSource for RawSource {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    fn next_block(&mut self, out: &mut Vec<f32>) -> Result<bool, SourceFailure> {
        const SCALE: f32 = 1.0 / 32768.0;
        let n = self.fill()?;
        if n == 0 {
            return Ok(false);
        }
        let bytes = &self.bytes[..n];
        match self.kind {
            InputKind::RawUlaw => out.extend(
                bytes
                    .iter()
                    .map(|&b| f32::from(g711::ulaw_to_linear(b)) * SCALE),
            ),
            InputKind::RawAlaw => out.extend(
                bytes
                    .iter()
                    .map(|&b| f32::from(g711::alaw_to_linear(b)) * SCALE),
            ),
            _ => {
                if n % gsm::FRAME_BYTES != 0 {
                    return Err(SourceFailure::Malformed(
                        "raw GSM 06.10 ends in the middle of a 33-byte frame".into(),
                    ));
                }
                for chunk in bytes.chunks_exact(gsm::FRAME_BYTES) {
                    let mut frame = [0u8; gsm::FRAME_BYTES];
                    frame.copy_from_slice(chunk);
                    let index = self.gsm_frames;
                    self.gsm_frames += 1;
                    let samples = self.gsm.decode_frame(&frame).map_err(|e| {
                        SourceFailure::Malformed(format!(
                            "frame {index}: {e}; the file was taken as raw GSM because of its \
                             .gsm extension, as no audio container header was found"
                        ))
                    })?;
                    out.extend(samples.iter().map(|&s| f32::from(s) * SCALE));
                }
            }
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(encoding: WavEncoding, bits: u16, channels: u16) -> WavFacts {
        WavFacts {
            channels,
            sample_rate: 8000,
            bits_per_sample: bits,
            claimed_frames: None,
            encoding,
            block_align: channels * bits / 8,
            data_offset: 44,
        }
    }

    #[test]
    fn signed_24_bit_samples_keep_their_sign_and_scale() {
        let mut out = Vec::new();
        // -1 (0xFFFFFF), most negative (0x800000), most positive (0x7FFFFF).
        let bytes = [0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x80, 0xFF, 0xFF, 0x7F];
        pcm_frames_to_mono(&bytes, &facts(WavEncoding::Int, 24, 1), &mut out);
        assert_eq!(
            out,
            vec![-1.0 / 8_388_608.0, -1.0, 8_388_607.0 / 8_388_608.0]
        );
    }

    #[test]
    fn unsigned_8_bit_centre_is_silence_and_frames_are_averaged() {
        let mut out = Vec::new();
        pcm_frames_to_mono(
            &[128, 128, 255, 1],
            &facts(WavEncoding::Int, 8, 2),
            &mut out,
        );
        assert_eq!(out, vec![0.0, 0.0]);
    }

    #[test]
    fn downmix_averages_so_full_scale_stereo_stays_in_range() {
        let mut out = Vec::new();
        downmix_into(&[1.0, 1.0, -1.0, -1.0, 1.0, -1.0], 2, &mut out);
        assert_eq!(out, vec![1.0, -1.0, 0.0]);
    }

    #[test]
    fn downmix_of_many_channels_is_their_mean() {
        let mut out = Vec::new();
        downmix_into(&[0.3, 0.6, 0.9, 0.0, 0.0, 0.3], 3, &mut out);
        assert!(
            (out[0] - 0.6).abs() < 1e-6 && (out[1] - 0.1).abs() < 1e-6,
            "{out:?}"
        );
    }
}
