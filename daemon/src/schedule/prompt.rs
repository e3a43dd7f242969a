//! Which prompts a wakeup may name, checked when the wakeup is saved (never at fire time).
//!
//! A prompt is what ARI plays as `sound:<prompt>`: an Asterisk sound name relative to the
//! sounds directory (`this-is-yr-wakeup-call`, `custom/hotel-morning`, a user's upload
//! `ringside/users/201/morning`) or an absolute path without extension (a file an operator
//! converted). It is not the media path itself: uploads are converted elsewhere
//! (`user_prompts`) and only looked up here.

use std::path::{Path, PathBuf};

/// The prompt played when a wakeup names none: Ringside's own (`dialplan/sounds/`), which the
/// package installs into Asterisk's sounds, so that a wakeup never depends on Asterisk's extra
/// sounds being installed.
pub const DEFAULT_PROMPT: &str = ringside_portal::model::DEFAULT_WAKEUP_PROMPT;

/// File extensions Asterisk can play a sound from.
const SOUND_EXTENSIONS: &[&str] = &[
    "wav", "wav16", "sln", "sln16", "ulaw", "alaw", "gsm", "g722", "g729",
];

/// Core English sounds (`asterisk-core-sounds-en`, Debian's `asterisk-core-sounds-en-gsm`),
/// accepted even where this host has no sounds directory (the daemon may run beside a remote
/// Asterisk).
const CORE_SOUNDS: &[&str] = &[
    "minutes",
    "hello-world",
    "beep",
    "goodbye",
    "vm-goodbye",
    "tt-monkeys",
];

/// Asterisk's wakeup prompts, offered besides Ringside's own. They are in its *extra* sounds, which many installs lack
/// (Debian packages only the core set); they are accepted by name because they are what a
/// wakeup service plays, and a call whose prompt is missing at call time plays a tone instead
/// (`flows::wakeup::machine::FALLBACK_MEDIA`), so a guest is never woken by silence.
const EXTRA_WAKEUP_SOUNDS: &[&str] = &[
    "this-is-yr-wakeup-call",
    "rqsted-wakeup-for",
    "wakeup-call-cancelled",
    "to-snooze-for",
    "good-morning",
];

pub trait PromptCatalog: Send + Sync {
    /// `Ok(())` if the prompt can be played, else the reason it cannot.
    fn check(&self, prompt: &str) -> Result<(), PromptError>;
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PromptError {
    #[error(
        "invalid prompt name {0:?}: use letters, digits, '-', '_', '/' (no '..', no extension)"
    )]
    BadName(String),
    #[error("prompt {0:?} does not exist: not a known Asterisk sound nor an uploaded prompt")]
    Missing(String),
}

/// Looks prompts up as files in sound directories (and the core sound list).
#[derive(Debug, Clone, Default)]
pub struct SoundDirs {
    pub dirs: Vec<PathBuf>,
}

impl SoundDirs {
    /// The daemon's prompt dir plus Asterisk's usual sound directories: the English ones,
    /// then the language-neutral ones Asterisk falls back to (where Ringside's own sounds are).
    pub fn standard(data_dir: &Path) -> Self {
        Self {
            dirs: vec![
                data_dir.join("prompts"),
                PathBuf::from("/var/lib/asterisk/sounds/en"),
                PathBuf::from("/usr/share/asterisk/sounds/en"),
                PathBuf::from("/var/lib/asterisk/sounds"),
                PathBuf::from("/usr/share/asterisk/sounds"),
            ],
        }
    }

    /// [`SoundDirs::standard`] with the configured sounds directory (`[wakeup] sounds_dir`, where
    /// users' uploaded prompts are written) looked in first, when it is not a standard one.
    pub fn configured(data_dir: &Path, sounds_dir: &Path) -> Self {
        let mut found = Self::standard(data_dir);
        for (at, dir) in [sounds_dir.join("en"), sounds_dir.to_path_buf()]
            .into_iter()
            .enumerate()
        {
            if !found.dirs.contains(&dir) {
                found.dirs.insert(1 + at, dir);
            }
        }
        found
    }

    /// Whether `prompt` (a sound name) is a file in one of these directories; names known
    /// without a file do not count. `None` when none of the directories exists (Asterisk runs
    /// on another host, or keeps its sounds elsewhere): nothing can be told from here.
    pub fn has_sound_file(&self, prompt: &str) -> Option<bool> {
        if !self.dirs.iter().any(|d| d.is_dir()) {
            return None;
        }
        Some(valid_name(prompt) && self.dirs.iter().any(|d| Self::has_file(&d.join(prompt))))
    }

    fn has_file(base: &Path) -> bool {
        SOUND_EXTENSIONS
            .iter()
            .any(|ext| base.with_extension(ext).is_file())
    }
}

/// Asterisk's wakeup sounds other than the default that are files in `sounds` (installed on
/// this host), for a user to pick from.
pub fn wakeup_sounds_found(sounds: &SoundDirs) -> Vec<&'static str> {
    EXTRA_WAKEUP_SOUNDS
        .iter()
        .copied()
        .filter(|s| *s != DEFAULT_PROMPT && sounds.has_sound_file(s) == Some(true))
        .collect()
}

fn valid_name(prompt: &str) -> bool {
    let rel = prompt.strip_prefix('/').unwrap_or(prompt);
    !rel.is_empty()
        && rel.split('/').all(|seg| {
            !seg.is_empty()
                && seg != ".."
                && seg != "."
                && seg
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        })
        && !SOUND_EXTENSIONS
            .iter()
            .any(|ext| rel.ends_with(&format!(".{ext}")))
}

impl PromptCatalog for SoundDirs {
    fn check(&self, prompt: &str) -> Result<(), PromptError> {
        if !valid_name(prompt) {
            return Err(PromptError::BadName(prompt.to_owned()));
        }
        let found = if prompt.starts_with('/') {
            Self::has_file(Path::new(prompt))
        } else {
            prompt == DEFAULT_PROMPT
                || CORE_SOUNDS.contains(&prompt)
                || EXTRA_WAKEUP_SOUNDS.contains(&prompt)
                || self.dirs.iter().any(|d| Self::has_file(&d.join(prompt)))
        };
        if found {
            Ok(())
        } else {
            Err(PromptError::Missing(prompt.to_owned()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog(dir: &Path) -> SoundDirs {
        SoundDirs {
            dirs: vec![dir.to_owned()],
        }
    }

    #[test]
    fn installed_wakeup_sounds_are_offered_and_missing_ones_are_not() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("good-morning.gsm"), b"x").expect("sound file");
        assert_eq!(
            wakeup_sounds_found(&catalog(dir.path())),
            vec!["good-morning"]
        );
    }

    #[test]
    fn core_sound_is_accepted_without_a_sounds_directory() {
        assert_eq!(SoundDirs::default().check("beep"), Ok(()));
    }

    #[test]
    fn the_shipped_default_prompt_is_what_asterisk_plays_without_transcoding() {
        let wav = include_bytes!("../../../dialplan/sounds/ringside/wakeup-call.wav");
        let reader = hound::WavReader::new(std::io::Cursor::new(&wav[..])).expect("a WAV");
        let spec = reader.spec();
        assert_eq!(
            (spec.sample_rate, spec.channels, spec.bits_per_sample),
            (8000, 1, 16)
        );
        let seconds = reader.duration() as f64 / 8000.0;
        assert!((3.0..15.0).contains(&seconds), "{seconds} s");
    }

    #[test]
    fn the_default_wakeup_prompt_is_accepted_without_a_sounds_directory() {
        assert_eq!(SoundDirs::default().check(DEFAULT_PROMPT), Ok(()));
    }

    #[test]
    fn sound_file_in_a_directory_is_accepted_by_name() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(dir.path().join("custom")).expect("mkdir");
        std::fs::write(dir.path().join("custom/morning.wav"), b"RIFF").expect("write");
        assert_eq!(catalog(dir.path()).check("custom/morning"), Ok(()));
    }

    #[test]
    fn absolute_prompt_path_is_accepted_when_the_file_exists() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("upload.wav"), b"RIFF").expect("write");
        let path = dir.path().join("upload");
        let name = path.to_str().expect("utf-8 temp path");
        assert_eq!(SoundDirs::default().check(name), Ok(()));
    }

    #[test]
    fn missing_prompt_is_rejected_by_name() {
        let dir = tempfile::tempdir().expect("temp dir");
        assert_eq!(
            catalog(dir.path()).check("no-such-sound"),
            Err(PromptError::Missing("no-such-sound".into()))
        );
    }

    #[test]
    fn path_escaping_the_sounds_directory_is_rejected() {
        assert_eq!(
            SoundDirs::default().check("../../etc/passwd"),
            Err(PromptError::BadName("../../etc/passwd".into()))
        );
    }

    #[test]
    fn prompt_with_an_extension_is_rejected() {
        assert!(matches!(
            SoundDirs::default().check("beep.wav"),
            Err(PromptError::BadName(_))
        ));
    }

    #[test]
    fn a_sound_file_is_found_only_where_it_is() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("beep.gsm"), b"x").expect("write");
        let here = catalog(dir.path());
        assert_eq!(here.has_sound_file("beep"), Some(true));
        assert_eq!(here.has_sound_file(DEFAULT_PROMPT), Some(false));
        let nowhere = catalog(&dir.path().join("absent"));
        assert_eq!(nowhere.has_sound_file("beep"), None);
    }
}
