//! Voicemail greeting files on disk, exactly where app_voicemail keeps them:
//! `<spool>/<context>/<mailbox>/{temp,busy,unavail,greet}.<format>`. A greeting recorded by
//! phone and one uploaded here are the same file.
//!
//! Upload (convert, then write atomically with a mode Asterisk can read), list with durations,
//! delete, and "what does a caller hear now" per reason (through the pure rule in
//! [`super::greeting_rule`]). Not the audio conversion itself: that is a [`Converter`].

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::atomic_file::{AtomicFile, Durability, FileError, file_error};

use super::greeting_rule::{self, Announcement, GreetingKind, GreetingSet, Reason};

/// A mailbox id that is safe to use as a directory name: digits only.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mailbox(String);

impl Mailbox {
    const MAX_LEN: usize = 32;

    pub fn parse(text: &str) -> Result<Self, GreetingError> {
        let valid = !text.is_empty()
            && text.len() <= Self::MAX_LEN
            && text.bytes().all(|b| b.is_ascii_digit());
        if valid {
            Ok(Self(text.to_owned()))
        } else {
            Err(GreetingError::BadMailbox(text.chars().take(64).collect()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Mailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a greeting operation failed.
#[derive(Debug, thiserror::Error)]
pub enum GreetingError {
    #[error("mailbox {0:?} is not valid: use digits only")]
    BadMailbox(String),
    #[error("voicemail context {0:?} is not valid: use letters, digits, '-' and '_'")]
    BadContext(String),
    #[error(
        "voicemail spool directory {0:?} is not usable in a dialplan (no ',', '&', '\"' or line breaks)"
    )]
    BadSpool(PathBuf),
    // The converter's message already names the input file.
    // Messages carry their cause inline (not as `source`) so chained printing (`{:#}`)
    // does not repeat it.
    #[error("greeting not changed: {reason}")]
    Convert {
        input: PathBuf,
        reason: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error(transparent)]
    Io(#[from] FileError),
}

fn io_err(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> GreetingError {
    let to_file_error = file_error(action, path);
    move |error| GreetingError::Io(to_file_error(error))
}

/// Turns any supported audio file into the 8 kHz mono 16-bit WAV Asterisk plays.
pub trait Converter: Send + Sync {
    fn convert(
        &self,
        input: &Path,
        output: &Path,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>>;
}

/// The media path's transcoder: any accepted audio file to 8 kHz 16-bit mono WAV, with its
/// size and duration limits.
#[derive(Debug, Clone, Default)]
pub struct Transcoder {
    pub options: crate::media::TranscodeOptions,
}

impl Converter for Transcoder {
    fn convert(
        &self,
        input: &Path,
        output: &Path,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let options = crate::media::TranscodeOptions {
            format: crate::media::OutputFormat::Wav,
            ..self.options.clone()
        };
        let started = std::time::Instant::now();
        let result = crate::media::transcode_file(input, output, &options);
        crate::telemetry::conversion("wav", started.elapsed(), result.is_ok());
        result?;
        Ok(())
    }
}

/// One greeting file that exists.
#[derive(Debug, Clone, PartialEq)]
pub struct GreetingInfo {
    pub kind: GreetingKind,
    pub path: PathBuf,
    /// From the file's header or size; `None` for a format whose length we cannot tell.
    pub duration: Option<Duration>,
}

/// The greeting files of one voicemail context in one spool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GreetingFiles {
    spool: PathBuf,
    context: String,
}

impl GreetingFiles {
    pub fn new(spool: impl Into<PathBuf>, context: &str) -> Result<Self, GreetingError> {
        let spool = spool.into();
        let context_ok = !context.is_empty()
            && context
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !context_ok {
            return Err(GreetingError::BadContext(context.to_owned()));
        }
        // The path ends up in `Playback(${RINGSIDE_GREETING})`, where these would split it.
        if spool
            .to_string_lossy()
            .contains([',', '&', '"', '\n', '\r'])
        {
            return Err(GreetingError::BadSpool(spool));
        }
        Ok(Self {
            spool,
            context: context.to_owned(),
        })
    }

    pub fn from_config(config: &crate::config::VoicemailConfig) -> Result<Self, GreetingError> {
        Self::new(config.spool_dir.clone(), &config.context)
    }

    /// The voicemail context (`voicemail.conf` section) the mailboxes belong to.
    pub fn context(&self) -> &str {
        &self.context
    }

    pub fn mailbox_dir(&self, mailbox: &Mailbox) -> PathBuf {
        self.spool.join(&self.context).join(mailbox.as_str())
    }

    /// The path app_voicemail plays for `kind`, without extension (Asterisk picks the format).
    pub fn greeting_base(&self, mailbox: &Mailbox, kind: GreetingKind) -> PathBuf {
        self.mailbox_dir(mailbox).join(kind.file_stem())
    }

    /// Which greetings exist, in any format Asterisk may have recorded them in.
    pub fn existing(&self, mailbox: &Mailbox) -> Result<GreetingSet, GreetingError> {
        Ok(self.list(mailbox)?.into_iter().map(|g| g.kind).collect())
    }

    /// The greetings that exist, each with its duration. A greeting stored in several formats
    /// is listed once, preferring WAV.
    pub fn list(&self, mailbox: &Mailbox) -> Result<Vec<GreetingInfo>, GreetingError> {
        let mut found = Vec::new();
        for kind in GreetingKind::ALL {
            let mut files = self.files_of(mailbox, kind)?;
            files.sort_by_key(|p| !has_extension(p, "wav"));
            if let Some(path) = files.into_iter().next() {
                found.push(GreetingInfo {
                    kind,
                    duration: duration_of(&path),
                    path,
                });
            }
        }
        Ok(found)
    }

    /// What a caller hears now for each reason.
    pub fn caller_hears(
        &self,
        mailbox: &Mailbox,
    ) -> Result<Vec<(Reason, Announcement)>, GreetingError> {
        let existing = self.existing(mailbox)?;
        Ok(Reason::ALL
            .into_iter()
            .map(|reason| (reason, greeting_rule::choose(reason, existing).heard))
            .collect())
    }

    /// Deletes a greeting in every format; `false` if there was none.
    pub fn remove(&self, mailbox: &Mailbox, kind: GreetingKind) -> Result<bool, GreetingError> {
        let files = self.files_of(mailbox, kind)?;
        for path in &files {
            std::fs::remove_file(path).map_err(io_err("cannot delete", path))?;
        }
        Ok(!files.is_empty())
    }

    /// Converts `input` and installs it as the `kind` greeting (blocking: from async code,
    /// call it on a blocking thread). The new file appears at once and whole (converted into a temporary file in the mailbox directory, then renamed), so
    /// a failed conversion leaves the previous greeting as it was.
    pub fn upload(
        &self,
        mailbox: &Mailbox,
        kind: GreetingKind,
        input: &Path,
        converter: &dyn Converter,
    ) -> Result<GreetingInfo, GreetingError> {
        let dir = self.mailbox_dir(mailbox);
        create_mailbox_dir(&dir)?;
        let target = self.greeting_base(mailbox, kind).with_extension("wav");
        let file = AtomicFile::create(&target)
            .map_err(io_err("cannot create a temporary file in", &dir))?;
        converter
            .convert(input, file.temp_path())
            .map_err(|reason| GreetingError::Convert {
                input: input.to_owned(),
                reason,
            })?;
        // Readable by Asterisk, and on disk before it has the greeting's name: a power cut
        // must not leave an empty greeting that app_voicemail would play as silence.
        file.with_mode(0o644)
            .commit(Durability::Durable)
            .map_err(io_err("cannot install", &target))?;
        // Asterisk picks among formats by its own cost rules, so an older recording of the
        // same greeting in another format could still be the one played.
        for other in self.files_of(mailbox, kind)? {
            if other != target {
                std::fs::remove_file(&other).map_err(io_err("cannot delete", &other))?;
            }
        }
        Ok(GreetingInfo {
            kind,
            duration: duration_of(&target),
            path: target,
        })
    }

    /// Every file `<kind>.<ext>` in the mailbox directory (none if the directory is missing).
    fn files_of(
        &self,
        mailbox: &Mailbox,
        kind: GreetingKind,
    ) -> Result<Vec<PathBuf>, GreetingError> {
        let dir = self.mailbox_dir(mailbox);
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(err) => return Err(io_err("cannot read", &dir)(err)),
        };
        let mut files = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io_err("cannot read", &dir))?;
            let path = entry.path();
            let name = entry.file_name();
            let Some((stem, ext)) = name.to_str().and_then(|n| n.split_once('.')) else {
                continue;
            };
            if stem == kind.file_stem() && !ext.is_empty() && path.is_file() {
                files.push(path);
            }
        }
        files.sort();
        Ok(files)
    }
}

fn has_extension(path: &Path, ext: &str) -> bool {
    path.extension().and_then(|e| e.to_str()) == Some(ext)
}

fn create_mailbox_dir(dir: &Path) -> Result<(), GreetingError> {
    crate::atomic_file::create_shared_dir(dir)
        .map_err(io_err("cannot create mailbox directory", dir))
}

/// Duration from a WAV header, or from the size of a headerless format Asterisk records.
fn duration_of(path: &Path) -> Option<Duration> {
    let ext = path.extension()?.to_str()?;
    let bytes_per_second = match ext {
        "wav" => {
            let reader = hound::WavReader::open(path).ok()?;
            let rate = reader.spec().sample_rate;
            return (rate > 0)
                .then(|| Duration::from_secs_f64(f64::from(reader.duration()) / f64::from(rate)));
        }
        "ulaw" | "alaw" | "ul" | "al" | "pcm" | "g722" => 8000.0,
        "sln" | "raw" => 16000.0,
        "gsm" => 1650.0,
        _ => return None,
    };
    let size = std::fs::metadata(path).ok()?.len();
    Some(Duration::from_secs_f64(size as f64 / bytes_per_second))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mailbox_accepts_digits_only() {
        assert_eq!(Mailbox::parse("1001").expect("digits").as_str(), "1001");
        for bad in ["", "../1001", "10/01", "1001 ", "abc", "1001\n", "१२३"] {
            let err = Mailbox::parse(bad).expect_err(bad);
            assert!(err.to_string().contains("digits only"), "{bad}: {err}");
        }
    }

    #[test]
    fn context_with_path_characters_is_rejected() {
        for bad in ["", "..", "a/b", "de fault"] {
            assert!(
                matches!(
                    GreetingFiles::new("/spool", bad),
                    Err(GreetingError::BadContext(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn spool_that_would_split_dialplan_arguments_is_rejected() {
        assert!(matches!(
            GreetingFiles::new("/sp,ool", "default"),
            Err(GreetingError::BadSpool(_))
        ));
    }

    #[test]
    fn all_subsets_are_sixteen_distinct_sets() {
        let subsets: std::collections::HashSet<_> = GreetingSet::all_subsets().collect();
        assert_eq!(subsets.len(), 16);
    }

    #[test]
    fn greeting_names_parse_including_aliases() {
        assert_eq!(
            GreetingKind::parse("unavailable"),
            Some(GreetingKind::Unavail)
        );
        assert_eq!(GreetingKind::parse("TEMP"), Some(GreetingKind::Temp));
        assert_eq!(GreetingKind::parse("welcome"), None);
    }
}
