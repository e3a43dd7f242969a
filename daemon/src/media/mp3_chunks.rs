//! MP3 decoding spread over two threads: the stream is cut into chunks of a couple of seconds
//! of frames, each chunk is decoded by a fresh decoder on whichever thread is free, and the
//! decoded chunks are handed out strictly in stream order, one packet at a time, exactly as
//! [`ContainerSource`] hands them out. The samples are bit-for-bit those of one decoder run
//! from the start.
//!
//! A Layer III decoder carries state from frame to frame: the bit reservoir (a frame's main
//! data may start up to 511 bytes back, in earlier frames), the IMDCT overlap (one granule)
//! and the polyphase synthesis window (16 of a granule's 18 steps). A fresh decoder therefore
//! first decodes a few frames before its chunk, whose output is discarded: a made-up frame
//! ([`primer`]) that puts the main data just before the first of them in its reservoir, then
//! at least two granules of real frames, the first rebuilding the overlap and the second the
//! synthesis window. That reproduces the state exactly provided the first real frame had its
//! main data whole in a decoder run from the start, which is worked out from each frame's
//! side information by replaying the reservoir's bookkeeping ([`Reservoir`]), so it is
//! proved before the chunk is decoded, not hoped for.
//!
//! Where it cannot be proved (a frame whose side information does not parse, a warm-up frame
//! the fresh decoder rejects, a change of sample rate, channel count or MPEG version), the
//! chunk is not decoded on its own: the decoder that finished the chunk before it carries on
//! into it, which is exactly the one-thread path. Errors, panics and the end of the stream
//! surface at the packet where one decoder would have met them.
//!
//! This is not a demuxer: packets (and the Xing/LAME frame, encoder delay and padding, junk
//! between frames) come from symphonia's MP3 reader as on one thread, and the audio from
//! symphonia's decoder. Layer I and II streams, and every other format, stay on
//! [`ContainerSource`].

use std::any::Any;
use std::collections::{BTreeMap, VecDeque};
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

use symphonia::core::codecs::audio::{AudioCodecParameters, AudioDecoder, AudioDecoderOptions};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::FormatReader;
use symphonia::core::packet::Packet;

#[cfg(doc)]
use super::source::ContainerSource;
use super::source::{
    ContainerParts, MonoSource, SourceFailure, SourceInfo, map_error, mix_decoded,
};

/// Seconds of audio per chunk: long enough that the warm-up frames (usually two or three,
/// about 2 % of a chunk) cost little, short enough that both threads stay busy to the end.
const CHUNK_SECONDS: u32 = 2;

/// Chunks read but not yet handed out. Bounds memory (a chunk of 44.1 kHz audio is about
/// 350 KB decoded) whatever the input's length.
const IN_FLIGHT: usize = 3;

/// Frames remembered before a chunk, for its warm-up and the main data that primes it: 511
/// bytes of reservoir span at most about eight frames of MPEG-1 and twenty of MPEG-2 at their
/// lowest bit rates.
const HISTORY: usize = 32;

/// Most real frames decoded before a chunk. Two granules' worth are needed (one MPEG-1 frame,
/// two MPEG-2 ones), more only where the frame they would start at was not whole in a decoder
/// run from the start, which a well-formed stream never has.
const MAX_WARM_UP: usize = 4;

/// Instructions to decode one sample frame of one channel, and to resample and write one
/// sample frame of the mono mix (callgrind, a minute of 44.1 kHz stereo at 128 kbit/s: 603 M
/// and, with the polyphase last stage, 110 M).
const DECODE_COST: f64 = 114.0;
const RESAMPLE_COST: f64 = 42.0;

/// Largest bit reservoir the decoder keeps; a frame claiming more is rejected.
const RESERVOIR_BYTES: usize = 2048;

/// What a Layer III frame's header and side information say about the bit reservoir.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameFacts {
    /// Header fields a decoder must see unchanged: MPEG version, sample rate index, mono.
    pub kind: u32,
    /// Bytes of main data taken from earlier frames.
    pub main_data_begin: usize,
    /// Bytes of main data this frame brings.
    pub main_data_len: usize,
    /// Bits of scale factors and Huffman data per granule and channel.
    pub part2_3_bits: [[u32; 2]; 2],
    pub granules: usize,
    pub channels: usize,
}

/// Reads `frame` (header included, as symphonia's MP3 reader packs it). `None` for anything
/// that is not a well-formed Layer III frame.
pub fn frame_facts(frame: &[u8]) -> Option<FrameFacts> {
    let header = u32::from_be_bytes(frame.get(..4)?.try_into().ok()?);
    let version = (header >> 19) & 3;
    let layer = (header >> 17) & 3;
    let rate = (header >> 10) & 3;
    if header >> 21 != 0x7ff || version == 1 || layer != 1 || rate == 3 {
        return None;
    }
    let mpeg1 = version == 3;
    let mono = (header >> 6) & 3 == 3;
    let side_info_len = match (mpeg1, mono) {
        (true, true) => 17,
        (true, false) => 32,
        (false, true) => 9,
        (false, false) => 17,
    };
    let start = if header & 0x1_0000 == 0 { 6 } else { 4 };
    let side_info = frame.get(start..start + side_info_len)?;
    let mut bits = Bits {
        bytes: side_info,
        at: 0,
    };
    let channels = if mono { 1 } else { 2 };
    let granules = if mpeg1 { 2 } else { 1 };
    let main_data_begin = if mpeg1 {
        let begin = bits.take(9)?;
        bits.skip(if mono { 5 } else { 3 })?;
        bits.skip(4 * channels as u32)?;
        begin
    } else {
        let begin = bits.take(8)?;
        bits.skip(if mono { 1 } else { 2 })?;
        begin
    };
    let mut part2_3_bits = [[0; 2]; 2];
    for granule in part2_3_bits.iter_mut().take(granules) {
        for channel in granule.iter_mut().take(channels) {
            *channel = bits.take(12)?;
            // The decoder rejects these; a frame it rejects proves nothing.
            if bits.take(9)? > 288 {
                return None;
            }
            bits.skip(8)?;
            bits.skip(if mpeg1 { 4 } else { 9 })?;
            if bits.take(1)? == 1 {
                if bits.take(2)? == 0 {
                    return None;
                }
                bits.skip(20)?;
            } else {
                bits.skip(22)?;
            }
            bits.skip(if mpeg1 { 3 } else { 2 })?;
        }
    }
    Some(FrameFacts {
        kind: header & 0x001E_0C00 | u32::from(mono),
        main_data_begin: main_data_begin as usize,
        main_data_len: frame.len() - start - side_info_len,
        part2_3_bits,
        granules,
        channels,
    })
}

/// A big-endian bit reader over the side information.
struct Bits<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Bits<'_> {
    /// The next `n` bits (at most 24) as a number.
    fn take(&mut self, n: u32) -> Option<u32> {
        let first = self.at / 8;
        let window = (0..4).fold(0u32, |w, i| {
            w << 8 | u32::from(self.bytes.get(first + i).copied().unwrap_or(0))
        });
        let value = (window << (self.at % 8)) >> (32 - n);
        self.skip(n)?;
        Some(value)
    }

    fn skip(&mut self, n: u32) -> Option<()> {
        self.at += n as usize;
        (self.at <= self.bytes.len() * 8).then_some(())
    }
}

/// The bookkeeping of symphonia's bit reservoir (bytes held, bytes read), replayed from side
/// information alone, for a decoder that meets no error.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reservoir {
    len: usize,
    consumed: usize,
}

impl Reservoir {
    /// Takes in one frame; returns whether its main data was whole (all the bytes it refers
    /// back to were there), `None` if the decoder would reject the frame.
    pub fn take(&mut self, frame: &FrameFacts) -> Option<bool> {
        let begin = frame.main_data_begin;
        if begin + frame.main_data_len > RESERVOIR_BYTES {
            return None;
        }
        let unread = self.len - self.consumed;
        let (whole, missing_bits) = if begin <= unread {
            self.len = begin + frame.main_data_len;
            (true, 0)
        } else {
            self.len = unread + frame.main_data_len;
            (false, 8 * (begin - unread) as u32)
        };
        // Granules whose bits are missing are skipped; reading resumes where the first
        // complete one starts.
        let (mut read, mut skipped) = (0u32, 0u32);
        for granule in &frame.part2_3_bits[..frame.granules] {
            let bits: u32 = granule[..frame.channels].iter().sum();
            if skipped < missing_bits {
                skipped += bits;
                if skipped > missing_bits {
                    read = skipped - missing_bits;
                }
                continue;
            }
            read += bits;
        }
        self.consumed = self.len.min(read.div_ceil(8) as usize);
        Some(whole)
    }
}

/// Frames of warm-up, taken from the end of `history` (the frames just before a chunk, oldest
/// first, each with whether a decoder run from the start had its main data whole), that
/// bring a fresh decoder to exactly that decoder's state once it is primed with the main data
/// before the first of them ([`primer`]); `None` when no number of them within `history` is
/// proved to do it.
pub fn warm_up_frames(history: &[(Option<FrameFacts>, Option<bool>)]) -> Option<usize> {
    (1..=history.len().min(MAX_WARM_UP)).find(|&count| {
        let first = history.len() - count;
        let (Some(frame), Some(true)) = history[first] else {
            return false;
        };
        // The first granule after the primer rebuilds the IMDCT overlap; only the second
        // feeds the synthesis filterbank what it had (an MPEG-2 frame holds one granule).
        let granules: usize = history[first..]
            .iter()
            .map(|(facts, _)| facts.map_or(0, |f| f.granules))
            .sum();
        granules >= 2 && main_data_before(history, first, frame.main_data_begin).is_some()
    })
}

/// How many frames before `history[at]` hold the last `wanted` bytes of main data.
fn main_data_before(
    history: &[(Option<FrameFacts>, Option<bool>)],
    at: usize,
    wanted: usize,
) -> Option<usize> {
    let mut available = 0;
    let mut frames = 0;
    for (facts, _) in history[..at].iter().rev() {
        if available >= wanted {
            break;
        }
        available += facts.as_ref()?.main_data_len;
        frames += 1;
    }
    (available >= wanted).then_some(frames)
}

/// A Layer III frame with the version, sample rate and channel count of `header` that fills a
/// fresh decoder's bit reservoir with `tail` (the main data just before the next frame it is
/// to decode) and nothing else: it refers back to nothing, codes no spectrum and uses no
/// joint stereo, so it decodes to silence and leaves all of its main data unread. `None` when
/// `tail` does not fit or `header` is not Layer III.
pub fn primer(header: u32, tail: &[u8]) -> Option<Vec<u8>> {
    let version = (header >> 19) & 3;
    let rate_index = (header >> 10) & 3;
    let mono = (header >> 6) & 3 == 3;
    let rate = match (version, rate_index) {
        (_, 3) | (1, _) => return None,
        (3, i) => [44_100, 48_000, 32_000][i as usize],
        (2, i) => [22_050, 24_000, 16_000][i as usize],
        (_, i) => [11_025, 12_000, 8_000][i as usize],
    };
    let mpeg1 = version == 3;
    // The highest bit rate (index 14) makes the largest frame, room for any reservoir.
    let size = if mpeg1 {
        144 * 320_000 / rate
    } else {
        72 * 160_000 / rate
    };
    let side_info_len = match (mpeg1, mono) {
        (true, true) => 17,
        (true, false) => 32,
        (false, true) => 9,
        (false, false) => 17,
    };
    let room = size - 4 - side_info_len;
    if tail.len() > room || (header >> 17) & 3 != 1 {
        return None;
    }
    // Sync, version, Layer III, no CRC, bit rate index 14, the rate; stereo or mono.
    let word = 0xFFE0_0000
        | header & 0x0018_0000
        | 0x0003_0000
        | 0xE000
        | header & 0x0C00
        | if mono { 0xC0 } else { 0 };
    let mut frame = Vec::with_capacity(size);
    frame.extend_from_slice(&word.to_be_bytes());
    frame.resize(size - tail.len(), 0);
    frame.extend_from_slice(tail);
    Some(frame)
}

/// How a chunk's packets end.
enum End {
    /// The next chunk follows.
    More,
    /// The stream ends after these packets.
    Eof,
    /// Reading the next packet failed.
    Failed(SourceFailure),
    /// The reader or decoder panicked; the payload is re-raised in stream order.
    Panicked(Box<dyn Any + Send>),
}

/// A run of packets to decode.
struct Chunk {
    index: usize,
    /// Frames decoded first and thrown away; empty when the chunk cannot start a decoder of
    /// its own.
    warm_up: Vec<Packet>,
    body: Vec<Packet>,
    /// Whether a fresh decoder fed `warm_up` reaches the state the stream's decoder has.
    standalone: bool,
    end: End,
}

/// A decoded chunk, handed out packet by packet.
struct Decoded {
    samples: Vec<f32>,
    /// Mono samples per packet, in order.
    packets: VecDeque<usize>,
    offset: usize,
    end: End,
    /// The decoder, as it stands after the last packet, for a chunk that must carry on from it.
    decoder: Option<Box<dyn AudioDecoder>>,
}

enum Slot {
    Decoded(Decoded),
    /// To be decoded by the decoder that finished the chunk before (see the module doc).
    CarryOn(Chunk),
}

/// The MP3 reader and what it takes to cut its packets into chunks.
struct Planner {
    format: Box<dyn FormatReader>,
    track_id: u32,
    target_frames: u64,
    /// The last frames read: the packet, its facts, and whether a decoder run from the start
    /// had its main data whole there (`None`: not known).
    history: VecDeque<(Packet, Option<FrameFacts>, Option<bool>)>,
    /// The reservoir of a decoder run from the start, while it is known.
    from_start: Option<Reservoir>,
    /// The first frame's header fields; a change makes the chunks carry on.
    kind: Option<u32>,
    next_index: usize,
    finished: bool,
    tripped: Arc<AtomicBool>,
}

impl Planner {
    /// The packets that bring a fresh decoder to the state the stream's decoder has after the
    /// frames read so far: a primer, then the last few frames.
    fn warm_up(&self) -> Option<Vec<Packet>> {
        let facts: Vec<_> = self.history.iter().map(|(_, f, w)| (*f, *w)).collect();
        let first = self.history.len() - warm_up_frames(&facts)?;
        let (packet, frame, _) = &self.history[first];
        let wanted = frame.as_ref()?.main_data_begin;
        let before = main_data_before(&facts, first, wanted)?;
        let mut tail = Vec::with_capacity(wanted + 2048);
        for (earlier, facts, _) in self.history.range(first - before..first) {
            let len = facts.as_ref()?.main_data_len;
            tail.extend_from_slice(earlier.data.get(earlier.data.len() - len..)?);
        }
        let header = u32::from_be_bytes(packet.data.get(..4)?.try_into().ok()?);
        let primer = primer(header, tail.get(tail.len().checked_sub(wanted)?..)?)?;
        let mut packets = vec![Packet::new(packet.track_id, packet.pts, packet.dur, primer)];
        packets.extend(self.history.range(first..).map(|(p, ..)| p.clone()));
        Some(packets)
    }

    /// Reads the next chunk's packets.
    fn next_chunk(&mut self) -> Chunk {
        let index = self.next_index;
        self.next_index += 1;
        let (warm_up, mut standalone) = if index == 0 {
            // The stream's own decoder starts here too.
            (Vec::new(), true)
        } else {
            match self.warm_up() {
                Some(packets) => (packets, true),
                None => (Vec::new(), false),
            }
        };
        let mut body = Vec::new();
        let mut frames = 0u64;
        let end = loop {
            if frames >= self.target_frames {
                break End::More;
            }
            let packet = match panic::catch_unwind(AssertUnwindSafe(|| self.format.next_packet())) {
                Ok(Ok(Some(packet))) => packet,
                Ok(Ok(None) | Err(SymphoniaError::ResetRequired)) => break End::Eof,
                Ok(Err(e)) => break End::Failed(map_error(e, &self.tripped)),
                Err(payload) => break End::Panicked(payload),
            };
            if packet.track_id != self.track_id {
                continue;
            }
            let facts = frame_facts(&packet.data);
            let kind = facts.map(|f| f.kind);
            if self.kind.is_none() {
                self.kind = kind;
            }
            // The stream's first chunk starts where its own decoder would; any other chunk
            // that sees the stream change is left to the decoder that saw the change coming.
            if index > 0 && (kind.is_none() || kind != self.kind) {
                standalone = false;
            }
            let whole = match (facts, self.from_start.as_mut()) {
                (None, _) => {
                    self.from_start = None;
                    None
                }
                (Some(f), Some(reservoir)) => reservoir.take(&f),
                // A frame that refers back to nothing is whole whatever came before.
                (Some(f), None) if f.main_data_begin == 0 => {
                    let mut reservoir = Reservoir::default();
                    let whole = reservoir.take(&f);
                    self.from_start = Some(reservoir);
                    whole
                }
                (Some(_), None) => None,
            };
            if whole.is_none() {
                self.from_start = None;
            }
            frames += facts.map_or(1152, |f| 576 * f.granules as u64);
            if self.history.len() == HISTORY {
                self.history.pop_front();
            }
            self.history.push_back((packet.clone(), facts, whole));
            body.push(packet);
        };
        self.finished = !matches!(end, End::More);
        Chunk {
            index,
            warm_up,
            body,
            standalone,
            end,
        }
    }
}

/// What the two threads share.
struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

struct State {
    planner: Planner,
    /// Chunks read and not yet handed out.
    in_flight: usize,
    /// Chunks the calling thread decoded, and the part of them it should.
    decoded_by_caller: usize,
    caller_share: f64,
    done: BTreeMap<usize, Slot>,
    stop: bool,
}

impl State {
    /// Whether the calling thread has decoded fewer chunks than its share.
    fn caller_owed(&self) -> bool {
        (self.decoded_by_caller as f64) < self.caller_share * self.planner.next_index as f64
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics while holding the lock (reading and decoding catch their panics), so
        // a poisoned lock still guards consistent data.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reads the next chunk if one is due and memory allows. The decoding thread leaves the
    /// last free place to the calling thread while that one is behind on its share, or it
    /// would take every chunk whenever it runs ahead.
    fn claim(state: &mut State, by_caller: bool) -> Option<Chunk> {
        let limit = if by_caller || !state.caller_owed() {
            IN_FLIGHT
        } else {
            IN_FLIGHT - 1
        };
        if state.planner.finished || state.in_flight >= limit {
            return None;
        }
        state.in_flight += 1;
        if by_caller {
            state.decoded_by_caller += 1;
        }
        Some(state.planner.next_chunk())
    }
}

/// How to make decoders for the chunks.
#[derive(Clone)]
struct DecoderFactory {
    params: AudioCodecParameters,
    tripped: Arc<AtomicBool>,
}

impl DecoderFactory {
    fn make(&self) -> Result<Box<dyn AudioDecoder>, SourceFailure> {
        symphonia::default::get_codecs()
            .make_audio_decoder(&self.params, &AudioDecoderOptions::default())
            .map_err(|e| map_error(e, &self.tripped))
    }

    /// Decodes `chunk` with a fresh decoder, or leaves it for the previous chunk's decoder.
    fn decode(&self, chunk: Chunk) -> Slot {
        if !chunk.standalone {
            return Slot::CarryOn(chunk);
        }
        let mut decoder = match self.make() {
            Ok(decoder) => decoder,
            Err(_) => return Slot::CarryOn(chunk),
        };
        let warmed = panic::catch_unwind(AssertUnwindSafe(|| {
            // A warm-up frame the fresh decoder rejects leaves it in a state nobody proved.
            chunk.warm_up.iter().all(|p| decoder.decode(p).is_ok())
        }));
        if warmed.ok() != Some(true) {
            return Slot::CarryOn(chunk);
        }
        Slot::Decoded(self.carry_on(decoder, chunk))
    }

    /// Decodes `chunk`'s body with `decoder`, stopping at the first failure.
    fn carry_on(&self, mut decoder: Box<dyn AudioDecoder>, chunk: Chunk) -> Decoded {
        let mut decoded = Decoded {
            samples: Vec::with_capacity(chunk.body.len() * 1152),
            packets: VecDeque::with_capacity(chunk.body.len()),
            offset: 0,
            end: chunk.end,
            decoder: None,
        };
        let mut interleaved = Vec::new();
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
            for packet in &chunk.body {
                let before = decoded.samples.len();
                let result = decoder
                    .decode(packet)
                    .map_err(|e| map_error(e, &self.tripped))
                    .and_then(|audio| mix_decoded(&audio, &mut interleaved, &mut decoded.samples));
                if let Err(failure) = result {
                    decoded.samples.truncate(before);
                    return Err(failure);
                }
                decoded.packets.push_back(decoded.samples.len() - before);
            }
            Ok(())
        }));
        match outcome {
            Ok(Ok(())) => decoded.decoder = Some(decoder),
            Ok(Err(failure)) => decoded.end = End::Failed(failure),
            Err(payload) => decoded.end = End::Panicked(payload),
        }
        decoded
    }
}

/// An MP3 source that decodes on the calling thread and one more (see the module doc).
pub struct ChunkedMp3 {
    info: SourceInfo,
    shared: Arc<Shared>,
    factory: DecoderFactory,
    worker: Option<JoinHandle<()>>,
    current: Option<Decoded>,
    /// Index of the next chunk to hand out.
    next: usize,
    /// Chunks that had to carry on from the one before rather than start a decoder of their
    /// own; many of them mean the stream defeats the parallel decoding.
    carried_on: usize,
}

impl ChunkedMp3 {
    /// Takes over a Layer III stream ([`ContainerSource::is_mp3`]) before its first packet.
    pub fn start(parts: ContainerParts) -> Self {
        let seconds = CHUNK_SECONDS * parts.info.sample_rate;
        Self::with_chunk_frames(parts, u64::from(seconds))
    }

    /// As [`ChunkedMp3::start`], with chunks of at least `chunk_frames` frames.
    pub fn with_chunk_frames(parts: ContainerParts, chunk_frames: u64) -> Self {
        let factory = DecoderFactory {
            params: parts.params,
            tripped: parts.tripped.clone(),
        };
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                planner: Planner {
                    format: parts.format,
                    track_id: parts.track_id,
                    target_frames: chunk_frames.max(1),
                    history: VecDeque::with_capacity(HISTORY),
                    from_start: Some(Reservoir::default()),
                    kind: None,
                    next_index: 0,
                    finished: false,
                    tripped: parts.tripped,
                },
                in_flight: 0,
                decoded_by_caller: 0,
                caller_share: caller_share(parts.info.channels),
                done: BTreeMap::new(),
                stop: false,
            }),
            changed: Condvar::new(),
        });
        let worker = {
            let shared = shared.clone();
            let factory = factory.clone();
            std::thread::Builder::new()
                .name("mp3-decode".into())
                .spawn(move || decode_chunks(&shared, &factory))
                .ok()
        };
        if worker.is_none() {
            tracing::warn!("could not start a decoding thread; decoding on one");
        }
        ChunkedMp3 {
            info: parts.info,
            shared,
            factory,
            worker,
            current: None,
            next: 0,
            carried_on: 0,
        }
    }

    /// The next chunk in stream order. This thread decodes chunks too: its share of them
    /// (which it would otherwise spend waiting at the end), and any while it would wait.
    fn take_next(&mut self) -> Decoded {
        let mut state = self.shared.lock();
        loop {
            if state.caller_owed() || !state.done.contains_key(&self.next) {
                if let Some(chunk) = Shared::claim(&mut state, true) {
                    drop(state);
                    let index = chunk.index;
                    let slot = self.factory.decode(chunk);
                    state = self.shared.lock();
                    state.done.insert(index, slot);
                    continue;
                }
            }
            if let Some(slot) = state.done.remove(&self.next) {
                state.in_flight -= 1;
                drop(state);
                self.shared.changed.notify_all();
                self.next += 1;
                return match slot {
                    Slot::Decoded(decoded) => decoded,
                    Slot::CarryOn(chunk) => {
                        self.carried_on += 1;
                        self.carry_on(chunk)
                    }
                };
            }
            state = self
                .shared
                .changed
                .wait(state)
                .unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Decodes `chunk` with the decoder the previous chunk ended with.
    fn carry_on(&mut self, chunk: Chunk) -> Decoded {
        let previous = self.current.take().and_then(|d| d.decoder);
        let decoder = match previous.map_or_else(|| self.factory.make(), Ok) {
            Ok(decoder) => decoder,
            Err(failure) => {
                return Decoded {
                    samples: Vec::new(),
                    packets: VecDeque::new(),
                    offset: 0,
                    end: End::Failed(failure),
                    decoder: None,
                };
            }
        };
        self.factory.carry_on(decoder, chunk)
    }
}

/// The part of the chunks the calling thread should decode so that it, which also resamples
/// and writes, and the decoding thread finish together.
fn caller_share(channels: usize) -> f64 {
    let decode = DECODE_COST * channels as f64;
    ((decode - RESAMPLE_COST) / (2.0 * decode)).clamp(0.0, 0.5)
}

/// The second thread: decodes chunks as long as there are some to read and room for them.
fn decode_chunks(shared: &Shared, factory: &DecoderFactory) {
    let mut state = shared.lock();
    loop {
        if state.stop {
            return;
        }
        if let Some(chunk) = Shared::claim(&mut state, false) {
            drop(state);
            let index = chunk.index;
            let slot = factory.decode(chunk);
            state = shared.lock();
            state.done.insert(index, slot);
            shared.changed.notify_all();
            continue;
        }
        if state.planner.finished {
            return;
        }
        state = shared
            .changed
            .wait(state)
            .unwrap_or_else(|e| e.into_inner());
    }
}

impl Drop for ChunkedMp3 {
    fn drop(&mut self) {
        tracing::debug!(
            chunks = self.next,
            carried_on = self.carried_on,
            "MP3 decoded in chunks"
        );
        self.shared.lock().stop = true;
        self.shared.changed.notify_all();
        if let Some(worker) = self.worker.take() {
            // The worker catches its decoders' panics; there is nothing left to report.
            let _ = worker.join();
        }
    }
}

impl MonoSource for ChunkedMp3 {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    fn decodes_in_parallel(&self) -> bool {
        true
    }

    fn next_block(&mut self, out: &mut Vec<f32>) -> Result<bool, SourceFailure> {
        loop {
            if let Some(current) = self.current.as_mut() {
                if let Some(n) = current.packets.pop_front() {
                    out.extend_from_slice(&current.samples[current.offset..current.offset + n]);
                    current.offset += n;
                    return Ok(true);
                }
                match std::mem::replace(&mut current.end, End::Eof) {
                    End::More => {}
                    End::Eof => return Ok(false),
                    End::Failed(failure) => return Err(failure),
                    End::Panicked(payload) => panic::resume_unwind(payload),
                }
            }
            let next = self.take_next();
            // Keep the finished chunk's decoder only until the next chunk has been looked at.
            self.current = Some(next);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 128 kbit/s 44.1 kHz joint-stereo header, no CRC, no padding.
    const HEADER: [u8; 4] = [0xFF, 0xFB, 0x90, 0x44];

    fn frame(side_info: &[u8], len: usize) -> Vec<u8> {
        let mut f = HEADER.to_vec();
        f.extend_from_slice(side_info);
        f.resize(len, 0);
        f
    }

    /// Side information with `begin` as main_data_begin, and `bits` and `big_values` in every
    /// granule channel.
    fn side_info(begin: u32, bits: u32, big_values: u32) -> Vec<u8> {
        let mut fields: Vec<(u32, u32)> = vec![(begin, 9), (0, 3), (0, 8)];
        for _ in 0..4 {
            fields.extend([(bits, 12), (big_values, 9), (0, 19), (0, 19)]);
        }
        let mut out = vec![0u8; 32];
        let mut at = 0;
        for (value, width) in fields {
            for i in (0..width).rev() {
                if value >> i & 1 == 1 {
                    out[at / 8] |= 0x80 >> (at % 8);
                }
                at += 1;
            }
        }
        out
    }

    #[test]
    fn side_information_gives_the_reservoir_offset_and_the_bits_per_granule() {
        let facts =
            frame_facts(&frame(&side_info(300, 1000, 100), 417)).expect("a Layer III frame");
        assert_eq!(facts.main_data_begin, 300);
        assert_eq!(facts.main_data_len, 417 - 4 - 32);
        assert_eq!(facts.part2_3_bits, [[1000, 1000], [1000, 1000]]);
        assert_eq!((facts.granules, facts.channels), (2, 2));
    }

    #[test]
    fn side_information_is_read_after_the_crc_when_the_frame_has_one() {
        let mut with_crc = vec![0xFF, 0xFA, 0x90, 0x44, 0xAB, 0xCD];
        with_crc.extend_from_slice(&side_info(300, 1000, 100));
        with_crc.resize(417, 0);
        let facts = frame_facts(&with_crc).expect("a Layer III frame");
        assert_eq!(facts.main_data_begin, 300);
        assert_eq!(facts.part2_3_bits[1][1], 1000);
        assert_eq!(facts.main_data_len, 417 - 6 - 32);
    }

    #[test]
    fn frames_that_are_not_well_formed_layer_three_give_no_facts() {
        let good = frame(&side_info(0, 10, 100), 417);
        assert!(frame_facts(&good[..20]).is_none(), "cut inside side info");
        let mut layer2 = good.clone();
        layer2[1] = 0xFD;
        assert!(frame_facts(&layer2).is_none(), "Layer II");
        let big = frame(&side_info(0, 10, 289), 417);
        assert!(frame_facts(&big).is_none(), "big_values > 288");
    }

    #[test]
    fn mpeg2_mono_side_information_is_read_with_its_own_layout() {
        // MPEG-2, Layer III, 64 kbit/s, 22.05 kHz, mono; main_data_begin 200, 77 bits.
        let mut f = vec![0xFF, 0xF3, 0x80, 0xC0];
        let mut side = [0u8; 9];
        side[0] = 200;
        // 1 private bit, then part2_3_length (12 bits) = 77.
        let value = 77u32 << 11;
        side[1] = (value >> 16) as u8;
        side[2] = (value >> 8) as u8;
        f.extend_from_slice(&side);
        f.resize(208, 0);
        let facts = frame_facts(&f).expect("an MPEG-2 frame");
        assert_eq!(facts.main_data_begin, 200);
        assert_eq!(facts.part2_3_bits[0][0], 77);
        assert_eq!((facts.granules, facts.channels), (1, 1));
        assert_eq!(facts.main_data_len, 208 - 4 - 9);
    }

    fn facts(begin: usize, len: usize, bits: u32) -> FrameFacts {
        FrameFacts {
            kind: 0,
            main_data_begin: begin,
            main_data_len: len,
            part2_3_bits: [[bits, bits], [bits, bits]],
            granules: 2,
            channels: 2,
        }
    }

    #[test]
    fn the_reservoir_keeps_what_a_frame_leaves_unread() {
        let mut r = Reservoir::default();
        // 381 bytes in, 4 × 500 bits = 250 bytes read: 131 left for the next frame.
        assert_eq!(r.take(&facts(0, 381, 500)), Some(true));
        assert_eq!(r.take(&facts(131, 381, 500)), Some(true));
        assert_eq!(r.take(&facts(263, 381, 500)), Some(false));
    }

    #[test]
    fn a_fresh_reservoir_skips_the_granules_whose_bits_are_missing() {
        let mut r = Reservoir::default();
        // 100 bytes missing: the first granule (2 × 500 bits) is skipped, the second read
        // from 200 bits in.
        assert_eq!(r.take(&facts(100, 300, 500)), Some(false));
        assert_eq!(
            r,
            Reservoir {
                len: 300,
                consumed: 150
            }
        );
        assert_eq!(r.take(&facts(150, 300, 500)), Some(true));
    }

    #[test]
    fn a_frame_overflowing_the_reservoir_is_rejected() {
        assert_eq!(Reservoir::default().take(&facts(511, 1600, 10)), None);
    }

    #[test]
    fn warm_up_starts_at_a_frame_whole_from_the_start_with_its_main_data_at_hand() {
        let frame = |begin, whole: Option<bool>| (Some(facts(begin, 381, 500)), whole);
        // The last frame refers back 131 bytes, which the frame before holds.
        assert_eq!(
            warm_up_frames(&[frame(0, Some(true)), frame(131, Some(true))]),
            Some(1)
        );
        // MPEG-2 frames hold one granule each: two of them at least.
        let mut mpeg2 = facts(131, 381, 500);
        mpeg2.granules = 1;
        let one_granule = (Some(mpeg2), Some(true));
        assert_eq!(
            warm_up_frames(&[frame(0, Some(true)), one_granule, one_granule]),
            Some(2)
        );
        // 500 bytes back need two frames before it.
        assert_eq!(
            warm_up_frames(&[
                frame(0, Some(true)),
                frame(300, Some(true)),
                frame(500, Some(true))
            ]),
            Some(1)
        );
        assert_eq!(
            warm_up_frames(&[frame(300, Some(true)), frame(500, Some(true))]),
            None
        );
        // The last frame not known whole from the start: start a frame earlier.
        assert_eq!(
            warm_up_frames(&[
                frame(0, Some(true)),
                frame(200, Some(true)),
                frame(500, None)
            ]),
            Some(2)
        );
        // Not known to be whole from the start: nothing is proved.
        assert_eq!(warm_up_frames(&[frame(0, None), frame(0, None)]), None);
        // The main data before it is in a frame that does not parse.
        assert_eq!(
            warm_up_frames(&[(None, None), frame(131, Some(true))]),
            None
        );
    }

    #[test]
    fn a_primer_fills_the_reservoir_with_the_tail_and_codes_nothing() {
        let header = u32::from_be_bytes(HEADER);
        let tail: Vec<u8> = (0..=255).cycle().take(511).collect();
        let primed = primer(header, &tail).expect("a primer");
        // 320 kbit/s at 44.1 kHz: 1044 bytes.
        assert_eq!(primed.len(), 1044);
        let facts = frame_facts(&primed).expect("a Layer III frame");
        assert_eq!(facts.main_data_begin, 0);
        assert_eq!(facts.part2_3_bits, [[0, 0], [0, 0]]);
        assert_eq!(
            facts.kind,
            frame_facts(&frame(&side_info(0, 1, 1), 417))
                .map(|f| f.kind)
                .expect("kind")
        );
        assert!(primed.ends_with(&tail));
        let mut reservoir = Reservoir::default();
        assert_eq!(reservoir.take(&facts), Some(true));
        assert_eq!(reservoir.len - reservoir.consumed, 1008);
        // MPEG-2.5 at 8 kHz, mono.
        let mpeg25 = primer(0xFFE3_08C0, &tail[..255]).expect("an MPEG-2.5 primer");
        assert_eq!(mpeg25.len(), 1440);
        assert!(primer(0xFFFD_9044, &tail).is_none(), "Layer II");
    }

    /// A decoder that panics on its packet number `left`, as a decoder bug reached by crafted
    /// input would.
    struct PanicsAt {
        inner: Box<dyn AudioDecoder>,
        left: usize,
    }

    impl AudioDecoder for PanicsAt {
        fn reset(&mut self) {
            self.inner.reset()
        }

        fn codec_info(&self) -> &symphonia::core::codecs::CodecInfo {
            self.inner.codec_info()
        }

        fn codec_params(&self) -> &AudioCodecParameters {
            self.inner.codec_params()
        }

        fn decode_ref(
            &mut self,
            packet: &symphonia::core::packet::PacketRef<'_>,
        ) -> symphonia::core::errors::Result<symphonia::core::audio::GenericAudioBufferRef<'_>>
        {
            if self.left == 0 {
                panic!("index out of bounds in a decoder");
            }
            self.left -= 1;
            self.inner.decode_ref(packet)
        }

        fn finalize(&mut self) -> symphonia::core::codecs::audio::FinalizeResult {
            self.inner.finalize()
        }

        fn last_decoded(&self) -> symphonia::core::audio::GenericAudioBufferRef<'_> {
            self.inner.last_decoded()
        }
    }

    fn fixture_parts() -> ContainerParts {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../media-fixtures/audio/music-44k-stereo-vbr.mp3"
        );
        let file = std::fs::File::open(path).expect("fixture");
        let (limited, tripped) = super::super::source::LimitedFile::new(file, u64::MAX);
        super::super::source::ContainerSource::open(
            limited,
            tripped,
            super::super::sniff::InputKind::Mp3,
        )
        .expect("an MP3")
        .into_parts()
    }

    #[test]
    fn a_decoder_panic_in_a_chunk_is_raised_again_after_the_packets_before_it() {
        let mut parts = fixture_parts();
        let body: Vec<Packet> = (0..10)
            .map(|_| parts.format.next_packet().ok().flatten().expect("a packet"))
            .collect();
        let factory = DecoderFactory {
            params: parts.params.clone(),
            tripped: parts.tripped.clone(),
        };
        let decoder = PanicsAt {
            inner: factory.make().expect("a decoder"),
            left: 4,
        };
        let chunk = Chunk {
            index: 0,
            warm_up: Vec::new(),
            body,
            standalone: true,
            end: End::More,
        };
        let decoded = factory.carry_on(Box::new(decoder), chunk);
        assert_eq!(decoded.packets.len(), 4);
        assert!(matches!(decoded.end, End::Panicked(_)));

        let mut source = ChunkedMp3::start(fixture_parts());
        source.current = Some(decoded);
        let mut out = Vec::new();
        for _ in 0..4 {
            assert!(matches!(source.next_block(&mut out), Ok(true)));
        }
        let raised = panic::catch_unwind(AssertUnwindSafe(|| source.next_block(&mut out)))
            .expect_err("the panic comes through");
        assert_eq!(
            raised.downcast_ref::<&str>(),
            Some(&"index out of bounds in a decoder")
        );
    }
}
