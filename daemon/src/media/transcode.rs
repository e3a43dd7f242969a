//! Prompt transcoding: any accepted upload to what Asterisk plays (8 kHz mono 16-bit).
//!
//! The pipeline streams: detect the input by content, decode a packet at a time, down-mix,
//! resample to 8 kHz, round to 16 bits and write to a temporary file that is renamed into place
//! at the end. For inputs of five seconds or more, decoding (with the down-mix) runs on a second
//! thread and hands blocks of mono samples over a bounded channel to the calling thread, which
//! resamples and writes, so the two halves overlap on a second core; the blocks, and so the
//! output, are the same as on one thread ([`Threads`]). An MP3 decoder costs more than the
//! rest together, so an MP3 is instead decoded in chunks by both threads
//! ([`super::mp3_chunks`]), the calling thread resampling and writing as well. Size and duration limits are enforced
//! as the bytes and samples arrive. Peak normalisation and silence trimming need the whole
//! signal, so with either option the 8 kHz result is staged in an anonymous temporary file
//! (never in memory) and written in a second pass. This module is the public face; it does no
//! network or database work.

use std::any::Any;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use super::mp3_chunks::ChunkedMp3;
use super::resample::{HalfBandStages, OUTPUT_RATE, ToNarrowband};
use super::sink::OutputFile;
pub use super::sink::OutputFormat;
use super::sniff::{self, ACCEPTED, InputKind, Unrecognised};
use super::source::{
    ContainerSource, LimitedFile, MonoSource, PcmWavSource, RawSource, SourceFailure, SourceInfo,
};
use super::wav_header::{self, HeaderProblem, WavEncoding, WavFacts};

/// How to transcode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranscodeOptions {
    pub format: OutputFormat,
    /// Scale so the loudest sample reaches full scale (-0.1 dBFS).
    pub normalize: bool,
    /// Drop leading and trailing silence (below -50 dBFS).
    pub trim_silence: bool,
    /// Largest input accepted, in bytes.
    pub max_input_bytes: u64,
    /// Longest input accepted.
    pub max_duration: Duration,
    /// Whether decoding may run on a second thread, alongside resampling and writing.
    pub threads: Threads,
}

/// Threads one conversion uses. The output is the same whichever is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Threads {
    /// A second thread for decoding when the input is long enough to gain from it (five
    /// seconds of audio or more).
    #[default]
    Auto,
    /// Everything on the calling thread: for callers that already convert several files at
    /// once, where a thread per file would only compete for the same cores.
    One,
    /// Decoding on a second thread from the first block, whatever the input's length.
    Two,
}

impl std::str::FromStr for Threads {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(Threads::Auto),
            "1" => Ok(Threads::One),
            "2" => Ok(Threads::Two),
            other => Err(format!(
                "unknown thread count '{other}' (accepted: auto, 1, 2)"
            )),
        }
    }
}

impl Default for TranscodeOptions {
    fn default() -> Self {
        TranscodeOptions {
            format: OutputFormat::Wav,
            normalize: false,
            trim_silence: false,
            max_input_bytes: 5_000_000,
            max_duration: Duration::from_secs(600),
            threads: Threads::Auto,
        }
    }
}

/// What a successful transcode read and wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranscodeReport {
    /// The input as detected, e.g. "MP3, 44100 Hz, 2 channels".
    pub input: String,
    pub output_duration: Duration,
    pub output_samples: u64,
}

/// Why a transcode failed. Every message names the file and says what is accepted.
#[derive(Debug, thiserror::Error)]
pub enum TranscodeError {
    #[error("{}: cannot read the file: {source}", path.display())]
    Open { path: PathBuf, source: io::Error },
    #[error("{}: the file is empty (0 bytes); {ACCEPTED}", path.display())]
    Empty { path: PathBuf },
    #[error("{}: not a recognised audio file: found {found}; {ACCEPTED}", path.display())]
    Unrecognised { path: PathBuf, found: String },
    #[error("{}: the file is larger than the {limit}-byte limit{}", path.display(),
            size.map(|s| format!(" ({s} bytes)")).unwrap_or_default())]
    TooLarge {
        path: PathBuf,
        size: Option<u64>,
        limit: u64,
    },
    #[error("{}: the audio is longer than the {} limit ({found})", path.display(), clock(*limit))]
    TooLong {
        path: PathBuf,
        limit: Duration,
        found: String,
    },
    #[error("{}: damaged {kind}: {detail}", path.display())]
    Malformed {
        path: PathBuf,
        kind: String,
        detail: String,
    },
    #[error("{}: unsupported {kind}: {detail}; {ACCEPTED}", path.display())]
    Unsupported {
        path: PathBuf,
        kind: String,
        detail: String,
    },
    #[error("{}: the file holds no audio samples", path.display())]
    NoAudio { path: PathBuf },
    #[error("{}: output format {format:?} is not available (accepted: wav, ulaw, alaw, sln)", path.display())]
    OutputUnavailable { path: PathBuf, format: OutputFormat },
    #[error("{}: cannot write the output: {source}", path.display())]
    Write { path: PathBuf, source: io::Error },
}

/// `h:mm:ss` or `m:ss` for messages.
fn clock(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// Peak level normalisation aims for: -0.1 dBFS, so the result cannot clip after rounding.
const NORMALIZE_PEAK: f32 = 0.988_553;
/// Level below which a sample counts as silence for trimming: -50 dBFS.
const SILENCE: f32 = 0.003_162_3;

/// Rounds a [-1, 1] sample to 16 bits, saturating.
pub fn quantize(x: f32) -> i16 {
    (x * 32768.0).round().clamp(-32768.0, 32767.0) as i16
}

/// Converts `input` to `output` as `opts` says.
pub fn transcode_file(
    input: &Path,
    output: &Path,
    opts: &TranscodeOptions,
) -> Result<TranscodeReport, TranscodeError> {
    let path = input.to_path_buf();
    if !opts.format.is_available() {
        return Err(TranscodeError::OutputUnavailable {
            path,
            format: opts.format,
        });
    }
    let mut source = open_source(input, opts)?;
    let info = source.info().clone();
    let max_frames = opts.max_duration.as_secs_f64() * f64::from(info.sample_rate);
    if let Some(claimed) = info.claimed_frames {
        if claimed as f64 > max_frames {
            return Err(TranscodeError::TooLong {
                path,
                limit: opts.max_duration,
                found: format!(
                    "the header says {}",
                    clock(Duration::from_secs(claimed / u64::from(info.sample_rate)))
                ),
            });
        }
    }
    let mut resampler =
        ToNarrowband::new(info.sample_rate).map_err(|e| TranscodeError::Unsupported {
            path: path.clone(),
            kind: info.description.clone(),
            detail: e.to_string(),
        })?;
    let write_err = |source: io::Error| TranscodeError::Write {
        path: output.to_path_buf(),
        source,
    };

    let staged = opts.normalize || opts.trim_silence;
    let mut direct = if staged {
        None
    } else {
        Some(OutputFile::create(output, opts.format).map_err(write_err)?)
    };
    let mut stage = if staged {
        Some(Stage::new(output).map_err(write_err)?)
    } else {
        None
    };

    let mut narrow = Vec::with_capacity(4096);
    let mut pcm = Vec::with_capacity(4096);
    let mut push_out = |narrow: &[f32], pcm: &mut Vec<i16>| -> Result<(), TranscodeError> {
        if let Some(stage) = stage.as_mut() {
            stage.push(narrow).map_err(write_err)
        } else if let Some(out) = direct.as_mut() {
            pcm.clear();
            pcm.extend(narrow.iter().map(|&x| quantize(x)));
            out.write(pcm).map_err(write_err)
        } else {
            Ok(())
        }
    };
    // When decoding is cheap (PCM read straight from a WAV) the resampler's half-band stages
    // run on the decoding side, so that the second thread takes a fair share of the work
    // (reading and the half-band stages against the last stage and writing; for a minute of
    // 44.1 kHz stereo the busier side counts 85 M instructions). An MP3 decoder is the busier
    // side by far (603 M against 110 M), so its chunks are shared out between both threads
    // instead ([`ChunkedMp3`]). Where the stages run changes no sample.
    let half_bands = match opts.threads {
        Threads::One => None,
        Threads::Auto | Threads::Two if source.decodes_cheaply() => resampler.split_half_bands(),
        Threads::Auto | Threads::Two => None,
    };
    // A source that decodes on two threads itself is read from this one.
    let inline = if source.decodes_in_parallel() {
        u64::MAX
    } else {
        inline_frames(opts.threads, &info)
    };
    let mut decoding = Decoding {
        source: source.as_mut(),
        reader: BlockReader {
            path: &path,
            description: &info.description,
            max_bytes: opts.max_input_bytes,
            max_duration: opts.max_duration,
            max_frames,
            frames_in: 0,
        },
        half_bands,
        decoded: Vec::with_capacity(BLOCK_FRAMES * 2),
    };
    let frames_in = pump(&mut decoding, inline, &mut |block| {
        narrow.clear();
        resampler.push_after_half_bands(&block.samples, block.frames, &mut narrow);
        push_out(&narrow, &mut pcm)
    })?;
    narrow.clear();
    resampler.finish(&mut narrow);
    push_out(&narrow, &mut pcm)?;
    if frames_in == 0 {
        return Err(TranscodeError::NoAudio { path });
    }
    if let Some(claimed) = info.claimed_frames {
        // Two MP3 frames of slack: encoders' padding makes the count inexact by that much.
        if frames_in + 2304 < claimed {
            let rate = f64::from(info.sample_rate);
            return Err(TranscodeError::Malformed {
                path,
                kind: info.description,
                detail: format!(
                    "the audio stops after {:.2} s but the header promises {:.2} s (truncated)",
                    frames_in as f64 / rate,
                    claimed as f64 / rate
                ),
            });
        }
    }

    let samples = match (direct, stage) {
        (Some(out), _) => {
            let n = resampler_output_len(frames_in, info.sample_rate);
            out.commit().map_err(write_err)?;
            n
        }
        (None, Some(stage)) => stage.finish(output, opts).map_err(write_err)?,
        (None, None) => 0,
    };
    Ok(TranscodeReport {
        input: info.description,
        output_duration: Duration::from_secs_f64(samples as f64 / f64::from(OUTPUT_RATE)),
        output_samples: samples,
    })
}

/// Mono frames per block handed from decoding to resampling: about 0.19 s at 44.1 kHz, large
/// enough that handing a block over costs nothing next to converting it.
const BLOCK_FRAMES: usize = 8192;

/// Blocks the decoder may run ahead of the resampler. A few absorb the jitter between the
/// stages (an MP3 packet, a read from disk) while memory stays at a few blocks whatever the
/// input's length.
const PIPELINE_DEPTH: usize = 4;

/// Seconds of audio below which a conversion stays on one thread.
///
/// The second thread has a fixed cost (starting it, its first allocations, waking each side
/// as blocks pass) that measured 0.3 to 1 ms on a 2-core machine, and it saves about 0.2 ms
/// per second of 44.1 kHz stereo audio (60 s: 74.6 ms on one thread, 61.1 ms on two for an
/// MP3; 26.2 and 16.4 ms for a WAV). A 3 s MP3 still converted faster on one thread (7.6 ms
/// against 7.9 ms), so the thread starts only for inputs of 5 s or more.
const THREAD_MIN_SECONDS: u64 = 5;

/// Frames to decode on the calling thread before decoding moves to a second thread: none when
/// the header says the input is long enough, all of them when it says it is short, and for
/// an input of unknown length (an MP3 without a length header) the first
/// [`THREAD_MIN_SECONDS`], moving over only if it goes on. The blocks are the same either way,
/// so the output is too.
fn inline_frames(threads: Threads, info: &SourceInfo) -> u64 {
    let threshold = THREAD_MIN_SECONDS * u64::from(info.sample_rate);
    match threads {
        Threads::One => u64::MAX,
        Threads::Two => 0,
        Threads::Auto => match info.claimed_frames {
            Some(frames) if frames < threshold => u64::MAX,
            Some(_) => 0,
            None => threshold,
        },
    }
}

/// Cuts the decoded stream into blocks, enforcing the duration limit as frames arrive.
struct BlockReader<'a> {
    path: &'a Path,
    description: &'a str,
    max_bytes: u64,
    max_duration: Duration,
    max_frames: f64,
    frames_in: u64,
}

impl BlockReader<'_> {
    /// Refills `block` with at least `BLOCK_FRAMES` mono frames, fewer only at the end of the
    /// input; returns whether more may follow. A panic inside a decoder (a bug that crafted
    /// input might reach) becomes an error here, on whichever thread decodes, so it neither
    /// takes down the daemon nor depends on how the conversion was threaded.
    fn fill(
        &mut self,
        source: &mut dyn MonoSource,
        block: &mut Vec<f32>,
    ) -> Result<bool, TranscodeError> {
        block.clear();
        let mut more = true;
        while more && block.len() < BLOCK_FRAMES {
            more = match panic::catch_unwind(AssertUnwindSafe(|| source.next_block(block))) {
                Ok(next) => {
                    next.map_err(|f| source_error(f, self.path, self.description, self.max_bytes))?
                }
                Err(payload) => return Err(self.decoder_panicked(payload.as_ref())),
            };
        }
        self.frames_in += block.len() as u64;
        if self.frames_in as f64 > self.max_frames {
            return Err(TranscodeError::TooLong {
                path: self.path.to_path_buf(),
                limit: self.max_duration,
                found: "decoding went past it".into(),
            });
        }
        Ok(more)
    }

    fn decoder_panicked(&self, payload: &(dyn Any + Send)) -> TranscodeError {
        let message = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("no message");
        tracing::error!(
            path = %self.path.display(),
            input = self.description,
            "the decoder panicked: {message}"
        );
        TranscodeError::Malformed {
            path: self.path.to_path_buf(),
            kind: self.description.to_string(),
            detail: "the decoder failed unexpectedly".into(),
        }
    }
}

/// What the decoding side hands over: a block ready for the rest of the resampler, and how
/// many input frames it stands for (they differ when the half-band stages ran first).
struct Block {
    samples: Vec<f32>,
    frames: usize,
}

/// The decoding side: the source, the limits, and the resampler's half-band stages when they
/// run here (see [`transcode_file`]).
struct Decoding<'a> {
    source: &'a mut dyn MonoSource,
    reader: BlockReader<'a>,
    half_bands: Option<HalfBandStages>,
    decoded: Vec<f32>,
}

impl Decoding<'_> {
    /// Refills `block` with the next block; returns whether more may follow.
    fn next(&mut self, block: &mut Block) -> Result<bool, TranscodeError> {
        let Some(half_bands) = self.half_bands.as_mut() else {
            let more = self.reader.fill(self.source, &mut block.samples)?;
            block.frames = block.samples.len();
            return Ok(more);
        };
        block.samples.clear();
        let more = self.reader.fill(self.source, &mut self.decoded)?;
        half_bands.push(&self.decoded, &mut block.samples);
        block.frames = self.decoded.len();
        if !more {
            // The stages' tail goes with the last block: the last stage streams, so where the
            // blocks are cut does not change its output.
            half_bands.finish(&mut block.samples);
        }
        Ok(more)
    }
}

/// Decodes block by block into `consume` (the rest of the resampler, and writing); returns the
/// frames decoded. The first `inline_frames` are decoded on the calling thread, the rest on a
/// second thread that overlaps decoding with `consume`.
fn pump(
    decoding: &mut Decoding<'_>,
    inline_frames: u64,
    consume: &mut dyn FnMut(&Block) -> Result<(), TranscodeError>,
) -> Result<u64, TranscodeError> {
    let mut block = Block {
        samples: Vec::with_capacity(BLOCK_FRAMES * 2),
        frames: 0,
    };
    let mut more = true;
    while more && decoding.reader.frames_in < inline_frames {
        more = decoding.next(&mut block)?;
        if !block.samples.is_empty() || block.frames > 0 {
            consume(&block)?;
        }
    }
    if more {
        pipelined(decoding, consume, block)?;
    }
    Ok(decoding.reader.frames_in)
}

/// The rest of the input with decoding on a scoped thread: full blocks go to `consume` over a
/// bounded channel, spent ones come back for reuse, so memory stays flat.
fn pipelined(
    decoding: &mut Decoding<'_>,
    consume: &mut dyn FnMut(&Block) -> Result<(), TranscodeError>,
    spare: Block,
) -> Result<(), TranscodeError> {
    let (full_tx, full_rx) = mpsc::sync_channel::<Block>(PIPELINE_DEPTH);
    let (empty_tx, empty_rx) = mpsc::channel::<Block>();
    // Cannot fail: the receiver is alive.
    let _ = empty_tx.send(spare);
    let path = decoding.reader.path;
    let description = decoding.reader.description;
    let (decoded, written) = std::thread::scope(|scope| {
        let decoder = scope.spawn(move || -> Result<(), TranscodeError> {
            let mut more = true;
            while more {
                let mut block = empty_rx.try_recv().unwrap_or_else(|_| Block {
                    samples: Vec::with_capacity(BLOCK_FRAMES * 2),
                    frames: 0,
                });
                more = decoding.next(&mut block)?;
                if (!block.samples.is_empty() || block.frames > 0) && full_tx.send(block).is_err() {
                    // `consume` failed; its error is the one to report.
                    break;
                }
            }
            Ok(())
        });
        let mut written = Ok(());
        for block in full_rx {
            if let Err(e) = consume(&block) {
                written = Err(e);
                break;
            }
            // The decoder may already have finished; then the block is simply dropped.
            let _ = empty_tx.send(block);
        }
        // `fill` already turns a decoder's panic into an error; this covers the rest of the
        // thread's code.
        let decoded = decoder.join().unwrap_or_else(|_| {
            Err(TranscodeError::Malformed {
                path: path.to_path_buf(),
                kind: description.to_string(),
                detail: "the decoder failed unexpectedly".into(),
            })
        });
        (decoded, written)
    });
    // When `consume` failed, every block before that one decoded cleanly, so its error is the
    // first in the stream: the one a single thread would have reported.
    written?;
    decoded
}

fn resampler_output_len(frames_in: u64, rate: u32) -> u64 {
    let rate = u64::from(rate);
    (frames_in * u64::from(OUTPUT_RATE) + rate / 2) / rate
}

fn source_error(f: SourceFailure, path: &Path, kind: &str, limit: u64) -> TranscodeError {
    let path = path.to_path_buf();
    let kind = kind.to_string();
    match f {
        SourceFailure::Malformed(detail) => TranscodeError::Malformed { path, kind, detail },
        SourceFailure::Unsupported(detail) => TranscodeError::Unsupported { path, kind, detail },
        SourceFailure::OverByteLimit => TranscodeError::TooLarge {
            path,
            size: None,
            limit,
        },
        SourceFailure::Io(source) => TranscodeError::Open { path, source },
    }
}

fn open_source(
    input: &Path,
    opts: &TranscodeOptions,
) -> Result<Box<dyn MonoSource>, TranscodeError> {
    let path = input.to_path_buf();
    let open_err = |source| TranscodeError::Open {
        path: path.clone(),
        source,
    };
    let mut file = File::open(input).map_err(open_err)?;
    let file_len = file.metadata().map_err(open_err)?.len();
    if file_len > opts.max_input_bytes {
        return Err(TranscodeError::TooLarge {
            path,
            size: Some(file_len),
            limit: opts.max_input_bytes,
        });
    }
    let mut head = vec![0u8; 8192];
    let mut filled = 0;
    while filled < head.len() {
        match file.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(open_err(e)),
        }
    }
    head.truncate(filled);
    let kind =
        sniff::detect(&head[..filled.min(sniff::SNIFF_LEN)], input).map_err(|u| match u {
            Unrecognised::Empty => TranscodeError::Empty { path: path.clone() },
            Unrecognised::Unknown { found } => TranscodeError::Unrecognised {
                path: path.clone(),
                found,
            },
        })?;
    let wav = if kind == InputKind::Wav {
        Some(check_wav(&head, file_len, input, opts)?)
    } else {
        None
    };
    file.seek(SeekFrom::Start(0)).map_err(open_err)?;
    let (limited, tripped) = LimitedFile::new(file, opts.max_input_bytes);
    let to_err = |f| source_error(f, input, &kind.to_string(), opts.max_input_bytes);
    Ok(match kind {
        InputKind::RawUlaw | InputKind::RawAlaw | InputKind::RawGsm => {
            Box::new(RawSource::open(limited, tripped, kind, file_len).map_err(to_err)?)
        }
        InputKind::Wav if wav.is_some_and(|w| w.encoding != WavEncoding::Other) => {
            let facts = wav.ok_or_else(|| to_err(SourceFailure::Malformed("no header".into())))?;
            Box::new(PcmWavSource::open(limited, tripped, facts).map_err(to_err)?)
        }
        _ => {
            let source = ContainerSource::open(limited, tripped, kind).map_err(to_err)?;
            // An MP3 decoder is the costliest stage by far, so when a second thread is due it
            // decodes chunks of the stream alongside this one rather than the whole of it.
            if source.is_mp3() && inline_frames(opts.threads, source.info()) == 0 {
                Box::new(ChunkedMp3::start(source.into_parts()))
            } else {
                Box::new(source)
            }
        }
    })
}

fn check_wav(
    head: &[u8],
    file_len: u64,
    input: &Path,
    opts: &TranscodeOptions,
) -> Result<WavFacts, TranscodeError> {
    let path = input.to_path_buf();
    let kind = "WAV".to_string();
    match wav_header::check(head, file_len) {
        Ok(facts) => {
            if let Some(frames) = facts.claimed_frames {
                let secs = frames / u64::from(facts.sample_rate);
                if Duration::from_secs(secs) > opts.max_duration {
                    return Err(TranscodeError::TooLong {
                        path,
                        limit: opts.max_duration,
                        found: format!("the header says {}", clock(Duration::from_secs(secs))),
                    });
                }
            }
            Ok(facts)
        }
        Err(HeaderProblem::Malformed(detail)) => {
            Err(TranscodeError::Malformed { path, kind, detail })
        }
        Err(HeaderProblem::Unsupported(detail)) => {
            Err(TranscodeError::Unsupported { path, kind, detail })
        }
        Err(HeaderProblem::Truncated { claimed, present }) => Err(TranscodeError::Malformed {
            path,
            kind,
            detail: format!(
                "the header promises {claimed} bytes of audio but only {present} are present (truncated)"
            ),
        }),
    }
}

/// The 8 kHz float result, parked in an anonymous temporary file for the second pass.
struct Stage {
    file: BufWriter<File>,
    count: u64,
    peak: f32,
    first_loud: Option<u64>,
    last_loud: u64,
}

impl Stage {
    fn new(output: &Path) -> io::Result<Self> {
        let dir = match output.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        Ok(Stage {
            file: BufWriter::new(tempfile::tempfile_in(dir)?),
            count: 0,
            peak: 0.0,
            first_loud: None,
            last_loud: 0,
        })
    }

    fn push(&mut self, samples: &[f32]) -> io::Result<()> {
        for &s in samples {
            let level = s.abs();
            self.peak = self.peak.max(level);
            if level >= SILENCE {
                self.first_loud.get_or_insert(self.count);
                self.last_loud = self.count;
            }
            self.file.write_all(&s.to_le_bytes())?;
            self.count += 1;
        }
        Ok(())
    }

    /// Writes the staged samples, gained and trimmed, to `output`; returns samples written.
    fn finish(self, output: &Path, opts: &TranscodeOptions) -> io::Result<u64> {
        let (start, end) = if opts.trim_silence {
            trim_range(self.first_loud, self.last_loud, self.count)
        } else {
            (0, self.count)
        };
        let gain = if opts.normalize {
            normalize_gain(self.peak)
        } else {
            1.0
        };
        let mut file = self.file.into_inner().map_err(|e| e.into_error())?;
        file.seek(SeekFrom::Start(start * 4))?;
        let mut reader = BufReader::new(file).take((end - start) * 4);
        let mut out = OutputFile::create(output, opts.format)?;
        let mut bytes = vec![0u8; 16384];
        let mut pcm = Vec::with_capacity(4096);
        loop {
            let n = read_full(&mut reader, &mut bytes)?;
            if n == 0 {
                break;
            }
            pcm.clear();
            pcm.extend(
                bytes[..n]
                    .chunks_exact(4)
                    .map(|b| quantize(f32::from_le_bytes([b[0], b[1], b[2], b[3]]) * gain)),
            );
            out.write(&pcm)?;
        }
        out.commit()?;
        Ok(end - start)
    }
}

fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Gain that brings `peak` to the normalisation target; silence is left alone.
pub fn normalize_gain(peak: f32) -> f32 {
    if peak < 1e-6 {
        1.0
    } else {
        NORMALIZE_PEAK / peak
    }
}

/// Sample range kept by silence trimming: from the first to the last loud sample, with 10 ms
/// of margin each side so word onsets are not clipped. All-silent input keeps nothing.
pub fn trim_range(first_loud: Option<u64>, last_loud: u64, count: u64) -> (u64, u64) {
    const MARGIN: u64 = OUTPUT_RATE as u64 / 100;
    match first_loud {
        None => (0, 0),
        Some(first) => (
            first.saturating_sub(MARGIN),
            (last_loud + 1 + MARGIN).min(count),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantize_rounds_to_nearest_and_saturates() {
        assert_eq!(quantize(0.5 / 32768.0 + 1e-7), 1);
        assert_eq!(quantize(-1.4 / 32768.0), -1);
        assert_eq!(quantize(1.0), 32767);
        assert_eq!(quantize(-1.5), -32768);
    }

    #[test]
    fn trim_keeps_loud_part_with_ten_ms_margin() {
        assert_eq!(trim_range(Some(1000), 5000, 10000), (920, 5081));
        assert_eq!(trim_range(Some(10), 9990, 10000), (0, 10000));
        assert_eq!(trim_range(None, 0, 10000), (0, 0));
    }

    #[test]
    fn normalize_brings_peak_to_minus_a_tenth_db() {
        let g = normalize_gain(0.25);
        assert!((0.25 * g - 0.988_553).abs() < 1e-6);
        assert_eq!(normalize_gain(0.0), 1.0);
    }

    #[test]
    fn clock_formats_minutes_and_hours() {
        assert_eq!(clock(Duration::from_secs(600)), "10:00");
        assert_eq!(clock(Duration::from_secs(7200)), "2:00:00");
    }

    /// A decoder that yields `packets` MP3-sized packets of a ramp, then ends as told.
    struct Scripted {
        info: SourceInfo,
        packets: usize,
        sent: usize,
        end: End,
    }

    #[derive(Clone, Copy)]
    enum End {
        Clean,
        Damaged,
        Panic,
    }

    impl Scripted {
        fn new(packets: usize, end: End) -> Self {
            Scripted {
                info: SourceInfo {
                    description: "test input".into(),
                    sample_rate: 44_100,
                    channels: 1,
                    claimed_frames: None,
                },
                packets,
                sent: 0,
                end,
            }
        }
    }

    impl MonoSource for Scripted {
        fn info(&self) -> &SourceInfo {
            &self.info
        }

        fn next_block(&mut self, out: &mut Vec<f32>) -> Result<bool, SourceFailure> {
            if self.sent == self.packets {
                return match self.end {
                    End::Clean => Ok(false),
                    End::Damaged => Err(SourceFailure::Malformed("bad frame header".into())),
                    End::Panic => panic!("index out of bounds in a decoder"),
                };
            }
            let start = self.sent * 1152;
            out.extend((start..start + 1152).map(|i| (i % 1000) as f32 / 1000.0));
            self.sent += 1;
            Ok(true)
        }
    }

    /// A block's samples and the input frames it stands for.
    type Handed = (Vec<f32>, usize);

    /// Runs `source` through `pump`, recording each block handed over; `half_bands` runs the
    /// half-band stages of a 44.1 kHz resampler on the decoding side; `fail_at` makes that
    /// block's consumer fail.
    fn run(
        mut source: Scripted,
        inline: u64,
        half_bands: bool,
        fail_at: Option<usize>,
    ) -> (Result<u64, TranscodeError>, Vec<Handed>) {
        let mut decoding = Decoding {
            source: &mut source,
            reader: BlockReader {
                path: Path::new("in.mp3"),
                description: "test input",
                max_bytes: 1 << 30,
                max_duration: Duration::from_secs(3600),
                max_frames: 1e12,
                frames_in: 0,
            },
            half_bands: half_bands
                .then(|| ToNarrowband::new(44_100).ok()?.split_half_bands())
                .flatten(),
            decoded: Vec::new(),
        };
        assert_eq!(decoding.half_bands.is_some(), half_bands);
        let mut blocks = Vec::new();
        let result = pump(&mut decoding, inline, &mut |block| {
            if fail_at == Some(blocks.len()) {
                return Err(TranscodeError::Write {
                    path: PathBuf::from("out.wav"),
                    source: io::Error::other("disk full"),
                });
            }
            blocks.push((block.samples.clone(), block.frames));
            Ok(())
        });
        (result, blocks)
    }

    #[test]
    fn a_decoding_thread_delivers_the_same_blocks_as_one_thread() {
        for half_bands in [false, true] {
            let (one, single) = run(Scripted::new(100, End::Clean), u64::MAX, half_bands, None);
            let (two, piped) = run(Scripted::new(100, End::Clean), 0, half_bands, None);
            let (switched, mixed) = run(Scripted::new(100, End::Clean), 44_100, half_bands, None);
            assert_eq!(one.expect("one thread"), 115_200);
            assert_eq!(two.expect("two threads"), 115_200);
            assert_eq!(switched.expect("switched"), 115_200);
            assert!(single.len() > 10, "{} blocks", single.len());
            let frames: usize = single.iter().map(|(_, frames)| frames).sum();
            assert_eq!(frames, 115_200);
            assert_eq!(
                piped, single,
                "half-band stages when decoding: {half_bands}"
            );
            assert_eq!(
                mixed, single,
                "half-band stages when decoding: {half_bands}"
            );
        }
    }

    #[test]
    fn damaged_input_found_on_the_decoding_thread_reports_what_one_thread_reports() {
        let (one, _) = run(Scripted::new(30, End::Damaged), u64::MAX, false, None);
        let (two, _) = run(Scripted::new(30, End::Damaged), 0, true, None);
        let one = one.expect_err("damaged").to_string();
        assert_eq!(two.expect_err("damaged").to_string(), one);
        assert!(
            one.contains("damaged test input: bad frame header"),
            "{one}"
        );
    }

    #[test]
    fn a_panicking_decoder_becomes_a_damaged_input_error_on_either_thread() {
        for inline in [u64::MAX, 0] {
            let (result, _) = run(Scripted::new(30, End::Panic), inline, false, None);
            let err = result.expect_err("must fail");
            assert!(
                matches!(&err, TranscodeError::Malformed { detail, .. }
                    if detail == "the decoder failed unexpectedly"),
                "{err}"
            );
        }
    }

    #[test]
    fn a_write_failure_stops_the_decoding_thread_and_is_the_error_reported() {
        for end in [End::Clean, End::Damaged] {
            let (result, blocks) = run(Scripted::new(200, end), 0, false, Some(3));
            let err = result.expect_err("must fail");
            assert!(err.to_string().contains("disk full"), "{err}");
            assert_eq!(blocks.len(), 3);
        }
    }

    #[test]
    fn inputs_under_five_seconds_stay_on_one_thread_unless_told() {
        let info = |claimed| SourceInfo {
            description: String::new(),
            sample_rate: 44_100,
            channels: 2,
            claimed_frames: claimed,
        };
        assert_eq!(inline_frames(Threads::Auto, &info(Some(200_000))), u64::MAX);
        assert_eq!(inline_frames(Threads::Auto, &info(Some(441_000))), 0);
        assert_eq!(inline_frames(Threads::Auto, &info(None)), 220_500);
        assert_eq!(inline_frames(Threads::One, &info(Some(441_000))), u64::MAX);
        assert_eq!(inline_frames(Threads::Two, &info(Some(20_000))), 0);
    }
}
