//! Users' own wakeup prompts as files: audio a user uploaded, converted like a greeting (8 kHz
//! 16-bit mono WAV) and kept in Ringside's folder of Asterisk's sounds directory,
//! `<sounds>/ringside/users/<extension>/<name>.wav`, where a wakeup plays it as the sound
//! `ringside/users/<extension>/<name>` (ARI's `sound:` URIs are relative to that directory).
//!
//! Not here: the conversion itself (`media`, through [`Converter`]), which prompts a wakeup may
//! name (`schedule::prompt`, `portal::wakeups`), or what a call does when a prompt has gone
//! (`flows::wakeup` plays its fallback).

use std::path::{Path, PathBuf};

use ringside_portal::model::is_own_prompt_name;

use crate::atomic_file::{AtomicFile, Durability, FileError, create_shared_dir, file_error};
use crate::voicemail::greetings::Converter;

/// Where users' prompts live, relative to Asterisk's sounds directory.
pub const SOUND_FOLDER: &str = "ringside/users";

/// Why a prompt operation failed.
#[derive(Debug, thiserror::Error)]
pub enum UserPromptError {
    #[error("login {0:?} cannot keep prompts: use letters, digits, '-' and '_'")]
    BadOwner(String),
    #[error("invalid prompt name {0:?}: use letters, digits, '-' and '_'")]
    BadName(String),
    // The converter's message already names the input file; causes are inline (not `source`)
    // so that chained printing does not repeat them.
    #[error("prompt not changed: {reason}")]
    Convert {
        reason: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error(transparent)]
    Io(#[from] FileError),
}

fn io_err(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> UserPromptError {
    let to_file_error = file_error(action, path);
    move |error| UserPromptError::Io(to_file_error(error))
}

/// The users' prompt folders under one sounds directory.
#[derive(Debug, Clone)]
pub struct UserPromptFiles {
    sounds_dir: PathBuf,
}

impl UserPromptFiles {
    /// The sounds directory the users' folder is in.
    pub fn sounds_dir(&self) -> &Path {
        &self.sounds_dir
    }

    /// Prompts kept under `sounds_dir`, Asterisk's sounds directory.
    pub fn new(sounds_dir: impl Into<PathBuf>) -> Self {
        Self {
            sounds_dir: sounds_dir.into(),
        }
    }

    /// The sound a wakeup names to play `owner`'s prompt `name`.
    pub fn sound_name(owner: &str, name: &str) -> String {
        format!("{SOUND_FOLDER}/{owner}/{name}")
    }

    /// The owner and name of a sound in the users' folder; `None` for any other sound.
    pub fn owner_and_name(sound: &str) -> Option<(&str, &str)> {
        let rest = sound.strip_prefix(SOUND_FOLDER)?.strip_prefix('/')?;
        rest.split_once('/')
    }

    fn dir(&self, owner: &str) -> Result<PathBuf, UserPromptError> {
        // An extension becomes a folder name, so it obeys the same rule as a prompt's name.
        if !is_own_prompt_name(owner) {
            return Err(UserPromptError::BadOwner(owner.to_owned()));
        }
        Ok(self.sounds_dir.join(SOUND_FOLDER).join(owner))
    }

    fn file(&self, owner: &str, name: &str) -> Result<PathBuf, UserPromptError> {
        if !is_own_prompt_name(name) {
            return Err(UserPromptError::BadName(name.to_owned()));
        }
        Ok(self.dir(owner)?.join(format!("{name}.wav")))
    }

    /// `owner`'s prompt names, sorted; none when the folder does not exist.
    pub fn list(&self, owner: &str) -> Result<Vec<String>, UserPromptError> {
        let dir = self.dir(owner)?;
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_err("cannot read", &dir)(e)),
        };
        let mut names = Vec::new();
        for entry in entries {
            let path = entry.map_err(io_err("cannot read", &dir))?.path();
            // Temporary files of an upload in progress start with a dot and are never listed.
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".wav"));
            if let Some(name) = name.filter(|n| is_own_prompt_name(n)) {
                names.push(name.to_owned());
            }
        }
        names.sort();
        Ok(names)
    }

    /// Whether `owner` has a prompt called `name`.
    pub fn exists(&self, owner: &str, name: &str) -> bool {
        self.file(owner, name).is_ok_and(|f| f.is_file())
    }

    /// Converts `input` into `owner`'s prompt `name`, replacing one of that name. Nothing
    /// appears under the name unless the conversion succeeded whole.
    pub fn upload(
        &self,
        owner: &str,
        name: &str,
        input: &Path,
        converter: &dyn Converter,
    ) -> Result<PathBuf, UserPromptError> {
        let target = self.file(owner, name)?;
        let dir = self.dir(owner)?;
        create_shared_dir(&dir).map_err(io_err("cannot create prompt directory", &dir))?;
        let file = AtomicFile::create(&target)
            .map_err(io_err("cannot create a temporary file in", &dir))?;
        converter
            .convert(input, file.temp_path())
            .map_err(|reason| UserPromptError::Convert { reason })?;
        // Readable by Asterisk, and whole on disk before it has the prompt's name.
        file.with_mode(0o644)
            .commit(Durability::Durable)
            .map_err(io_err("cannot install", &target))
    }

    /// Deletes `owner`'s prompt `name`; `false` when there was none.
    pub fn remove(&self, owner: &str, name: &str) -> Result<bool, UserPromptError> {
        let file = self.file(owner, name)?;
        match std::fs::remove_file(&file) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(io_err("cannot delete", &file)(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct CopyConverter;

    impl Converter for CopyConverter {
        fn convert(
            &self,
            input: &Path,
            output: &Path,
        ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
            let bytes = std::fs::read(input)?;
            if !bytes.starts_with(b"RIFF") {
                return Err("not audio".into());
            }
            std::fs::write(output, bytes)?;
            Ok(())
        }
    }

    fn staged(dir: &Path, bytes: &[u8]) -> PathBuf {
        let path = dir.join("upload.wav");
        std::fs::write(&path, bytes).expect("staged upload");
        path
    }

    #[test]
    fn uploaded_prompt_is_listed_for_its_owner_only() {
        let sounds = tempfile::tempdir().expect("sounds dir");
        let files = UserPromptFiles::new(sounds.path());
        let input = staged(sounds.path(), b"RIFF....");
        files
            .upload("1001", "morning", &input, &CopyConverter)
            .expect("upload");
        assert_eq!(files.list("1001").expect("list"), vec!["morning"]);
        assert!(files.list("1002").expect("list").is_empty());
        assert!(
            sounds
                .path()
                .join("ringside/users/1001/morning.wav")
                .is_file()
        );
    }

    #[test]
    fn failed_conversion_leaves_no_file() {
        let sounds = tempfile::tempdir().expect("sounds dir");
        let files = UserPromptFiles::new(sounds.path());
        let input = staged(sounds.path(), b"not audio");
        let err = files
            .upload("1001", "morning", &input, &CopyConverter)
            .expect_err("garbage is refused");
        assert!(matches!(err, UserPromptError::Convert { .. }));
        let dir = sounds.path().join("ringside/users/1001");
        assert_eq!(std::fs::read_dir(dir).expect("dir").count(), 0);
    }

    #[test]
    fn names_that_could_leave_the_folder_are_refused() {
        let files = UserPromptFiles::new("/nonexistent");
        assert!(matches!(
            files.remove("1001", "../1002/x"),
            Err(UserPromptError::BadName(_))
        ));
        assert!(matches!(
            files.list("../etc"),
            Err(UserPromptError::BadOwner(_))
        ));
    }

    #[test]
    fn sound_name_reads_back_as_owner_and_name() {
        let sound = UserPromptFiles::sound_name("1001", "morning");
        assert_eq!(sound, "ringside/users/1001/morning");
        assert_eq!(
            UserPromptFiles::owner_and_name(&sound),
            Some(("1001", "morning"))
        );
        assert_eq!(UserPromptFiles::owner_and_name("hello-world"), None);
    }
}
