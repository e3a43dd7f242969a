//! Output writers for 8 kHz mono 16-bit audio: WAV, raw µ-law, raw A-law and raw signed
//! linear (`.sln`), each written to a temporary file beside the target and renamed into place
//! only when complete, so a failed conversion never leaves a partial file.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use super::g711;
use super::resample::OUTPUT_RATE;
use crate::atomic_file::{AtomicFile, Durability};

/// Container or encoding of the output file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputFormat {
    /// 8 kHz 16-bit mono PCM WAV.
    #[default]
    Wav,
    /// Headerless G.711 µ-law.
    Ulaw,
    /// Headerless G.711 A-law.
    Alaw,
    /// Headerless signed 16-bit little-endian ("signed linear").
    Sln,
    /// Headerless GSM 06.10 (needs an encoder; see [`OutputFormat::is_available`]).
    Gsm,
}

impl OutputFormat {
    /// The file extension Asterisk expects for this format.
    pub fn extension(self) -> &'static str {
        match self {
            OutputFormat::Wav => "wav",
            OutputFormat::Ulaw => "ulaw",
            OutputFormat::Alaw => "alaw",
            OutputFormat::Sln => "sln",
            OutputFormat::Gsm => "gsm",
        }
    }

    /// Whether this build can write the format.
    pub fn is_available(self) -> bool {
        self != OutputFormat::Gsm
    }
}

impl std::str::FromStr for OutputFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "wav" => Ok(OutputFormat::Wav),
            "ulaw" | "mulaw" | "ul" => Ok(OutputFormat::Ulaw),
            "alaw" | "al" => Ok(OutputFormat::Alaw),
            "sln" | "raw" => Ok(OutputFormat::Sln),
            "gsm" => Ok(OutputFormat::Gsm),
            other => Err(format!(
                "unknown output format '{other}' (accepted: wav, ulaw, alaw, sln, gsm)"
            )),
        }
    }
}

enum Encoder {
    Wav(hound::WavWriter<BufWriter<File>>),
    Raw(BufWriter<File>, OutputFormat),
}

/// An output file being written; dropped without [`OutputFile::commit`], it disappears.
pub struct OutputFile {
    temp: AtomicFile,
    encoder: Encoder,
    bytes: Vec<u8>,
}

fn to_io(e: hound::Error) -> io::Error {
    match e {
        hound::Error::IoError(e) => e,
        other => io::Error::other(other.to_string()),
    }
}

impl OutputFile {
    /// Starts a temporary file in `target`'s directory.
    pub fn create(target: &Path, format: OutputFormat) -> io::Result<Self> {
        let mut temp = AtomicFile::create(target)?;
        let file = BufWriter::with_capacity(64 * 1024, temp.file_mut().try_clone()?);
        let encoder = match format {
            OutputFormat::Wav => {
                let spec = hound::WavSpec {
                    channels: 1,
                    sample_rate: OUTPUT_RATE,
                    bits_per_sample: 16,
                    sample_format: hound::SampleFormat::Int,
                };
                Encoder::Wav(hound::WavWriter::new(file, spec).map_err(to_io)?)
            }
            OutputFormat::Gsm => {
                return Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    "GSM output is not available in this build (accepted: wav, ulaw, alaw, sln)",
                ));
            }
            other => Encoder::Raw(file, other),
        };
        Ok(OutputFile {
            temp,
            encoder,
            bytes: Vec::new(),
        })
    }

    /// Appends samples.
    pub fn write(&mut self, samples: &[i16]) -> io::Result<()> {
        match &mut self.encoder {
            Encoder::Wav(w) => {
                let mut w16 = w.get_i16_writer(samples.len() as u32);
                for &s in samples {
                    w16.write_sample(s);
                }
                w16.flush().map_err(to_io)
            }
            Encoder::Raw(file, format) => {
                self.bytes.clear();
                match format {
                    OutputFormat::Ulaw => self
                        .bytes
                        .extend(samples.iter().map(|&s| g711::linear_to_ulaw(s))),
                    OutputFormat::Alaw => self
                        .bytes
                        .extend(samples.iter().map(|&s| g711::linear_to_alaw(s))),
                    _ => self
                        .bytes
                        .extend(samples.iter().flat_map(|s| s.to_le_bytes())),
                }
                file.write_all(&self.bytes)
            }
        }
    }

    /// Finishes the file and renames it onto the target it was created for.
    pub fn commit(self) -> io::Result<()> {
        match self.encoder {
            Encoder::Wav(w) => w.finalize().map_err(to_io)?,
            Encoder::Raw(mut file, _) => {
                file.flush()?;
                file.get_ref().sync_all()?;
            }
        }
        // Prompts converted from the shell can be converted again; the daemon's own writers
        // (greetings) put this file inside a durable one of their own.
        self.temp.commit(Durability::AtomicOnly)?;
        Ok(())
    }
}
