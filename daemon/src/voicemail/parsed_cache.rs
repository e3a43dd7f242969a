//! Message files already parsed, kept while they stay the same file: the portal lists a
//! folder on every look (and polls the counts), and reading and parsing a thousand
//! `msgNNNN.txt` files each time is most of a page's cost.
//!
//! A file is "the same" while its inode, size and change time are: app_voicemail renames on
//! every renumbering and move, and rewrites in place when it edits a message, each of which
//! changes one of them. Only the files a folder held at its last read are kept, so the cache
//! never holds more than the spool does. Not a cache of listings: every read still lists the
//! directory, so a message left or deleted by phone shows at once.

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::message_file::MessageInfo;

/// What identifies one version of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileVersion {
    inode: u64,
    len: u64,
    ctime: i64,
    ctime_nsec: i64,
}

impl FileVersion {
    pub fn of(metadata: &std::fs::Metadata) -> FileVersion {
        FileVersion {
            inode: metadata.ino(),
            len: metadata.len(),
            ctime: metadata.ctime(),
            ctime_nsec: metadata.ctime_nsec(),
        }
    }
}

/// The parsed files of one folder, by file name.
pub type FolderFiles = HashMap<String, (FileVersion, MessageInfo)>;

/// Parsed message files by folder, shared by the clones of a spool.
#[derive(Debug, Clone, Default)]
pub struct ParsedCache {
    folders: Arc<Mutex<HashMap<PathBuf, FolderFiles>>>,
}

impl ParsedCache {
    /// Takes what is kept for `dir` (a concurrent reader of the same folder then finds
    /// nothing and parses again: slower, never wrong).
    pub fn take(&self, dir: &Path) -> FolderFiles {
        let mut folders = self.folders.lock().unwrap_or_else(|p| p.into_inner());
        folders.remove(dir).unwrap_or_default()
    }

    /// Keeps `files`, the folder as just read, in place of what was kept for it.
    pub fn put(&self, dir: PathBuf, files: FolderFiles) {
        let mut folders = self.folders.lock().unwrap_or_else(|p| p.into_inner());
        folders.insert(dir, files);
    }
}
