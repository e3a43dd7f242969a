//! Prompt transcoding: any accepted upload to what Asterisk plays (8 kHz mono 16-bit).
//!
//! The pipeline streams: detect the input by content, decode a packet at a time, down-mix,
//! resample to 8 kHz, round to 16 bits and write to a temporary file that is renamed into place
//! at the end. Size and duration limits are enforced as the bytes and samples arrive. Peak
//! normalisation and silence trimming need the whole signal, so with either option the 8 kHz
//! result is staged in an anonymous temporary file (never in memory) and written in a second
//! pass. This module is the public face; it does no network or database work.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use super::resample::{OUTPUT_RATE, ToNarrowband};
use super::sink::OutputFile;
pub use super::sink::OutputFormat;
use super::sniff::{self, ACCEPTED, InputKind, Unrecognised};
use super::source::{
    ContainerSource, LimitedFile, MonoSource, PcmWavSource, RawSource, SourceFailure,
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
}

impl Default for TranscodeOptions {
    fn default() -> Self {
        TranscodeOptions {
            format: OutputFormat::Wav,
            normalize: false,
            trim_silence: false,
            max_input_bytes: 5_000_000,
            max_duration: Duration::from_secs(600),
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
    // Decoding runs on its own thread so that, on a second core, it overlaps with resampling
    // and writing. The bounded channel keeps at most a few blocks in flight, so memory stays
    // flat; spent blocks go back to the decoder for reuse.
    let (full_tx, full_rx) = mpsc::sync_channel::<Vec<f32>>(4);
    let (empty_tx, empty_rx) = mpsc::channel::<Vec<f32>>();
    let description = info.description.clone();
    let limits = (opts.max_input_bytes, opts.max_duration);
    let (decoded, written) = std::thread::scope(|scope| {
        let decoder = scope.spawn(|| {
            decode_blocks(
                source.as_mut(),
                &path,
                &description,
                limits,
                max_frames,
                full_tx,
                empty_rx,
            )
        });
        let mut written = Ok(());
        for block in full_rx {
            narrow.clear();
            resampler.push(&block, &mut narrow);
            if let Err(e) = push_out(&narrow, &mut pcm) {
                written = Err(e);
                break;
            }
            // The decoder may already have finished; then the block is simply dropped.
            let _ = empty_tx.send(block);
        }
        let decoded = decoder.join().unwrap_or_else(|_| {
            Err(TranscodeError::Malformed {
                path: path.clone(),
                kind: description.clone(),
                detail: "the decoder failed unexpectedly".into(),
            })
        });
        (decoded, written)
    });
    let frames_in = decoded?;
    written?;
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

/// Decoder side of the pipeline: sends blocks of at least `BLOCK_FRAMES` mono frames until
/// the input ends, enforcing the duration limit as it goes. Returns the frames decoded.
fn decode_blocks(
    source: &mut dyn MonoSource,
    path: &Path,
    description: &str,
    (max_bytes, max_duration): (u64, Duration),
    max_frames: f64,
    full: mpsc::SyncSender<Vec<f32>>,
    empty: mpsc::Receiver<Vec<f32>>,
) -> Result<u64, TranscodeError> {
    const BLOCK_FRAMES: usize = 8192;
    let mut frames_in: u64 = 0;
    let mut more = true;
    while more {
        let mut block = empty
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(BLOCK_FRAMES * 2));
        block.clear();
        while more && block.len() < BLOCK_FRAMES {
            more = source
                .next_block(&mut block)
                .map_err(|f| source_error(f, path, description, max_bytes))?;
        }
        frames_in += block.len() as u64;
        if frames_in as f64 > max_frames {
            return Err(TranscodeError::TooLong {
                path: path.to_path_buf(),
                limit: max_duration,
                found: "decoding went past it".into(),
            });
        }
        if !block.is_empty() && full.send(block).is_err() {
            // The writer stopped; its error is the one to report.
            break;
        }
    }
    Ok(frames_in)
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
        _ => Box::new(ContainerSource::open(limited, tripped, kind).map_err(to_err)?),
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
}
