//! The one way Ringside writes a file that others read (greetings Asterisk plays, fax documents
//! the portal serves, converted prompts): into a temporary file beside the target, then renamed
//! over it, so a reader sees the old file or the whole new one and never a partial one.
//!
//! With [`Durability::Durable`] the data is flushed to disk before the rename and the directory
//! after it, so a power cut right after a successful write cannot leave an empty file under
//! the target's name (ext4 and XFS may otherwise commit the rename before the data). Files
//! that can be made again from their source (the shell's `fax-convert` output) may use
//! [`Durability::AtomicOnly`] and skip the two flushes, which cost more than the conversion.
//!
//! Not here: what goes into the file (encoders live in `media`), or where it belongs.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// A file operation on a user's file that failed: what was being done, where, and why. The
/// cause is in the message, not a `source`, so chained printing does not repeat it.
#[derive(Debug, thiserror::Error)]
#[error("{action} {}: {error}", path.display())]
pub struct FileError {
    pub action: &'static str,
    pub path: PathBuf,
    pub error: io::Error,
}

/// For `map_err`: the I/O error of `action` on `path`, as a [`FileError`].
pub fn file_error(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> FileError {
    let path = path.to_owned();
    move |error| FileError {
        action,
        path,
        error,
    }
}

/// Whether a committed file must survive a power cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Data and directory entry flushed before `commit` returns.
    Durable,
    /// Atomic for readers, but a crash may lose the new file (never expose a partial one).
    AtomicOnly,
}

/// A file being written; it appears under its target name only when [`commit`](Self::commit)ted.
/// Dropping it uncommitted removes the temporary file.
#[derive(Debug)]
pub struct AtomicFile {
    temp: tempfile::NamedTempFile,
    target: PathBuf,
    mode: u32,
}

impl AtomicFile {
    /// Starts a file that will replace `target`, in the same directory (a rename only stays
    /// atomic within one file system). The file is created private; it gets mode 0644 on commit
    /// unless [`with_mode`](Self::with_mode) says otherwise.
    pub fn create(target: impl Into<PathBuf>) -> io::Result<Self> {
        let target = target.into();
        let dir = parent_dir(&target);
        let suffix = target
            .extension()
            .map(|e| format!(".{}", e.to_string_lossy()))
            .unwrap_or_default();
        let temp = tempfile::Builder::new()
            .prefix(".ringside-")
            .suffix(&suffix)
            .tempfile_in(dir)?;
        Ok(Self {
            temp,
            target,
            mode: 0o644,
        })
    }

    /// The permission bits the file gets when committed.
    pub fn with_mode(mut self, mode: u32) -> Self {
        self.mode = mode;
        self
    }

    /// Where the data is being written, for writers that take a path (it keeps the target's
    /// extension, so format detection by name still works).
    pub fn temp_path(&self) -> &Path {
        self.temp.path()
    }

    /// The name the file will have.
    pub fn target(&self) -> &Path {
        &self.target
    }

    pub fn file_mut(&mut self) -> &mut File {
        self.temp.as_file_mut()
    }

    /// Puts the file in place under its target name.
    pub fn commit(self, durability: Durability) -> io::Result<PathBuf> {
        set_mode(self.temp.path(), self.mode)?;
        if durability == Durability::Durable {
            // Through the path, not our handle: writers that take a path (a converter) may
            // have replaced the file we created.
            File::open(self.temp.path())?.sync_all()?;
        }
        let dir = parent_dir(&self.target).to_path_buf();
        self.temp.persist(&self.target).map_err(|e| e.error)?;
        if durability == Durability::Durable {
            sync_dir(&dir)?;
        }
        Ok(self.target)
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.temp.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.temp.flush()
    }
}

/// Writes `bytes` as `target`, atomically.
pub fn write(target: &Path, bytes: &[u8], durability: Durability) -> io::Result<PathBuf> {
    let mut file = AtomicFile::create(target)?;
    file.write_all(bytes)?;
    file.commit(durability)
}

/// Copies `source` to `target`, atomically; `source` is left as it was.
pub fn copy(source: &Path, target: &Path, durability: Durability) -> io::Result<PathBuf> {
    let mut file = AtomicFile::create(target)?;
    let mut input = File::open(source)?;
    io::copy(&mut input, file.file_mut())?;
    file.commit(durability)
}

/// Creates `dir` (and its parents) so that others, Asterisk among them, can enter it: mode
/// 0755 whatever the process umask.
pub fn create_shared_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o755)
        .create(dir)?;
    // The umask may have taken bits away.
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> io::Result<()> {
    Ok(())
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn committed_file_replaces_the_target_whole() {
        let dir = tempfile::tempdir().expect("temp dir");
        let target = dir.path().join("greet.wav");
        std::fs::write(&target, b"old").expect("test file operation");
        write(&target, b"new contents", Durability::Durable).expect("test file operation");
        assert_eq!(
            std::fs::read(&target).expect("test file operation"),
            b"new contents"
        );
        assert_eq!(names_in(dir.path()), vec!["greet.wav"]);
    }

    #[test]
    fn uncommitted_file_leaves_the_target_and_no_temporary_behind() {
        let dir = tempfile::tempdir().expect("temp dir");
        let target = dir.path().join("greet.wav");
        std::fs::write(&target, b"old").expect("test file operation");
        {
            let mut file = AtomicFile::create(&target).expect("test file operation");
            file.write_all(b"half of it").expect("test file operation");
            assert!(file.temp_path().exists());
        }
        assert_eq!(std::fs::read(&target).expect("test file operation"), b"old");
        assert_eq!(names_in(dir.path()), vec!["greet.wav"]);
    }

    #[test]
    fn temporary_keeps_the_target_extension_and_stays_in_its_directory() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = AtomicFile::create(dir.path().join("doc.pdf")).expect("test file operation");
        assert_eq!(file.temp_path().parent(), Some(dir.path()));
        assert_eq!(
            file.temp_path().extension().expect("test file operation"),
            "pdf"
        );
    }

    #[cfg(unix)]
    #[test]
    fn committed_file_gets_the_requested_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("temp dir");
        let target = dir.path().join("a.wav");
        let mut file = AtomicFile::create(&target)
            .expect("test file operation")
            .with_mode(0o640);
        file.write_all(b"x").expect("test file operation");
        file.commit(Durability::AtomicOnly)
            .expect("test file operation");
        let mode = std::fs::metadata(&target)
            .expect("test file operation")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o640);
    }

    #[test]
    fn copy_leaves_the_source_and_writes_the_target() {
        let dir = tempfile::tempdir().expect("temp dir");
        let source = dir.path().join("in.tif");
        std::fs::write(&source, b"tiff bytes").expect("test file operation");
        let target = dir.path().join("out.tif");
        copy(&source, &target, Durability::Durable).expect("test file operation");
        assert_eq!(
            std::fs::read(&source).expect("test file operation"),
            b"tiff bytes"
        );
        assert_eq!(
            std::fs::read(&target).expect("test file operation"),
            b"tiff bytes"
        );
    }

    #[test]
    fn copy_of_a_missing_source_fails_and_writes_nothing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let target = dir.path().join("out.tif");
        assert!(copy(&dir.path().join("missing"), &target, Durability::Durable).is_err());
        assert!(names_in(dir.path()).is_empty());
    }
}
