//! A CDR's recording as a file: the name the CDR gives (relative to `[calls] recordings_dir`)
//! is checked before any file is touched, and the file found is checked again after links
//! are followed, so no name (`../`, an absolute path, a symlink out) reaches outside the
//! recordings directory. A recording that is named but missing is its own answer, not an
//! error of the server.
//!
//! Not here: who may replay which call (the portal's backend decides).

use std::path::{Component, Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordingError {
    #[error("the recording name {0:?} is not a plain path inside the recordings directory")]
    Outside(String),
    #[error("the recording {0:?} is missing from the recordings directory")]
    Missing(String),
}

/// The checks on the name alone (pure): relative, no `..`, no NUL, not empty.
pub fn check_name(name: &str) -> Result<&Path, RecordingError> {
    let outside = || RecordingError::Outside(name.to_owned());
    if name.is_empty() || name.contains('\0') || name.contains('\\') {
        return Err(outside());
    }
    let path = Path::new(name);
    if !path.components().all(|c| matches!(c, Component::Normal(_))) {
        return Err(outside());
    }
    Ok(path)
}

/// The recording's file, which exists and lies inside `dir`.
pub fn locate(dir: &Path, name: &str) -> Result<PathBuf, RecordingError> {
    let relative = check_name(name)?;
    let missing = || RecordingError::Missing(name.to_owned());
    let root = dir.canonicalize().map_err(|_| missing())?;
    let file = root.join(relative).canonicalize().map_err(|_| missing())?;
    if !file.starts_with(&root) {
        return Err(RecordingError::Outside(name.to_owned()));
    }
    if !file.is_file() {
        return Err(missing());
    }
    Ok(file)
}

/// The content type for a recording's file name.
pub fn content_type(name: &str) -> &'static str {
    match Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("wav") => "audio/wav",
        Some("mp3") => "audio/mpeg",
        Some("ogg") => "audio/ogg",
        Some("gsm") => "audio/x-gsm",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parent_step_is_outside() {
        assert!(matches!(
            check_name("../etc/passwd"),
            Err(RecordingError::Outside(_))
        ));
        assert!(matches!(
            check_name("a/../../b.wav"),
            Err(RecordingError::Outside(_))
        ));
    }

    #[test]
    fn an_absolute_path_is_outside() {
        assert!(matches!(
            check_name("/etc/passwd"),
            Err(RecordingError::Outside(_))
        ));
    }

    #[test]
    fn a_dated_subdirectory_is_inside() {
        assert!(check_name("2026/12/05/1796511030.409.wav").is_ok());
    }

    #[test]
    fn a_missing_file_says_so() {
        let dir = tempfile::tempdir().expect("temp dir");
        assert_eq!(
            locate(dir.path(), "gone.wav"),
            Err(RecordingError::Missing("gone.wav".into()))
        );
    }

    #[test]
    fn a_symlink_out_of_the_directory_is_outside() {
        let dir = tempfile::tempdir().expect("temp dir");
        let other = tempfile::tempdir().expect("temp dir");
        std::fs::write(other.path().join("secret.wav"), b"x").expect("write");
        std::os::unix::fs::symlink(other.path().join("secret.wav"), dir.path().join("link.wav"))
            .expect("symlink");
        assert!(matches!(
            locate(dir.path(), "link.wav"),
            Err(RecordingError::Outside(_))
        ));
    }

    #[test]
    fn an_existing_file_inside_is_found() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("2026")).expect("mkdir");
        std::fs::write(dir.path().join("2026/a.wav"), b"RIFF").expect("write");
        assert!(locate(dir.path(), "2026/a.wav").is_ok());
    }
}
