//! Deleting a finished fax, sent or received: its record, then the files the fax flow kept for
//! it (the document, the fax TIFF, the PDF copy). Only files inside the fax directory are
//! removed, whatever the record says. Not here: cancelling a job still waiting or in a call
//! (`Store::cancel_fax_job`), which must happen first.

use std::path::{Path, PathBuf};

use crate::store::fax::{DeleteOutcome, FaxJob};
use crate::store::{Store, StoreError};

/// What became of a deletion.
#[derive(Debug)]
pub enum Removed {
    /// Record and files are gone; `kept` lists files that could not be removed (logged).
    Deleted { job: FaxJob, kept: Vec<PathBuf> },
    /// The job is still waiting or in a call; nothing was changed.
    Active(FaxJob),
}

/// Deletes the fax `id` and its files under `fax_dir`.
pub async fn delete_fax(store: &Store, fax_dir: &Path, id: i64) -> Result<Removed, StoreError> {
    match store.delete_finished_fax_job(id).await? {
        DeleteOutcome::Active(job) => Ok(Removed::Active(job)),
        DeleteOutcome::Deleted(job) => {
            let mut kept = Vec::new();
            for path in files_of(&job, fax_dir) {
                match tokio::fs::remove_file(&path).await {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => {
                        tracing::warn!(job = id, path = %path.display(), error = %e, "fax file not removed");
                        kept.push(path);
                    }
                }
            }
            Ok(Removed::Deleted { job, kept })
        }
    }
}

/// The job's files that lie inside `fax_dir` (a record naming a file elsewhere is not trusted
/// to delete it).
pub fn files_of(job: &FaxJob, fax_dir: &Path) -> Vec<PathBuf> {
    [&job.document_path, &job.tiff_path, &job.pdf_path]
        .into_iter()
        .flatten()
        .map(PathBuf::from)
        .filter(|p| inside(p, fax_dir))
        .collect()
}

/// `path` is below `dir` with no `..` step that could lead out of it.
fn inside(path: &Path, dir: &Path) -> bool {
    path.starts_with(dir)
        && !path
            .components()
            .any(|c| matches!(c, std::path::Component::ParentDir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_inside_the_fax_directory_is_removed() {
        assert!(inside(
            Path::new("/data/fax/outgoing/1.pdf"),
            Path::new("/data/fax")
        ));
    }

    #[test]
    fn a_file_outside_the_fax_directory_is_never_removed() {
        assert!(!inside(Path::new("/etc/passwd"), Path::new("/data/fax")));
        assert!(!inside(
            Path::new("/data/fax/../ringside.db"),
            Path::new("/data/fax")
        ));
    }
}
