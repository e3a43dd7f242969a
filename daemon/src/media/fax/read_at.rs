//! Positional reads from a document that is either in memory or in a file, so that a TIFF's
//! directories and strips are read where they lie instead of loading the whole file first.
//! It does not interpret what it reads.

use std::fs::File;
use std::io;
use std::path::Path;

/// A document that can be read at any offset.
pub trait ReadAt {
    /// Size in bytes, fixed when the document was opened.
    fn size(&self) -> u64;

    /// Fills `buf` from `offset`; an error if that runs past the end.
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()>;

    /// The whole document when it is already in memory: readers borrow instead of copying.
    fn as_slice(&self) -> Option<&[u8]> {
        None
    }
}

impl ReadAt for &[u8] {
    fn size(&self) -> u64 {
        self.len() as u64
    }

    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        let bytes = usize::try_from(offset)
            .ok()
            .and_then(|start| self.get(start..start.checked_add(buf.len())?))
            .ok_or_else(|| io::Error::from(io::ErrorKind::UnexpectedEof))?;
        buf.copy_from_slice(bytes);
        Ok(())
    }

    fn as_slice(&self) -> Option<&[u8]> {
        Some(self)
    }
}

/// An open file and its size at opening. Reads never go past that size, so a file that grows
/// while it is read is seen as it was.
#[derive(Debug)]
pub struct FileAt {
    file: File,
    size: u64,
}

impl FileAt {
    pub fn open(path: &Path) -> io::Result<Self> {
        let file = File::open(path)?;
        let size = file.metadata()?.len();
        Ok(Self { file, size })
    }

    /// The whole file, in one read of the size it had when opened.
    pub fn read_all(&self) -> io::Result<Vec<u8>> {
        let len = usize::try_from(self.size)
            .map_err(|_| io::Error::new(io::ErrorKind::OutOfMemory, "file too large"))?;
        let mut data = vec![0u8; len];
        self.read_exact_at(&mut data, 0)?;
        Ok(data)
    }
}

impl ReadAt for FileAt {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        let end = offset.checked_add(buf.len() as u64);
        if end.is_none_or(|end| end > self.size) {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        std::os::unix::fs::FileExt::read_exact_at(&self.file, buf, offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_reads_inside_the_bytes_and_refuses_past_the_end() {
        let data: &[u8] = b"0123456789";
        let mut buf = [0u8; 3];
        data.read_exact_at(&mut buf, 7).expect("inside");
        assert_eq!(&buf, b"789");
        let err = data.read_exact_at(&mut buf, 8).expect_err("past the end");
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        assert!(data.read_exact_at(&mut buf, u64::MAX).is_err());
    }

    #[test]
    fn a_file_is_read_as_it_was_when_opened() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("doc");
        std::fs::write(&path, b"0123456789").expect("write");
        let file = FileAt::open(&path).expect("open");
        std::fs::write(&path, b"0123456789 and more").expect("grow");
        assert_eq!(file.size(), 10);
        let mut buf = [0u8; 4];
        file.read_exact_at(&mut buf, 3).expect("inside");
        assert_eq!(&buf, b"3456");
        assert!(file.read_exact_at(&mut buf, 8).is_err());
        assert_eq!(file.read_all().expect("whole").len(), 10);
    }
}
