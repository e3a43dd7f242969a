//! `ringside backup` and `ringside restore`: one tar archive holding a consistent snapshot of
//! a SQLite database (`VACUUM INTO`, taken while a daemon may be writing) and the data dir's
//! files (uploaded prompts, faxes, …), restorable on another machine.
//!
//! The archive is `ringside-backup/database.sqlite`, `ringside-backup/data/<path>` for each
//! file, and last `ringside-backup/MANIFEST` listing every file with its size and BLAKE2s
//! hash. A restore extracts into a staging directory inside the data dir, checks everything
//! against the manifest, and only then moves the files into place: a truncated archive (no
//! manifest at its end) or a damaged one (a hash that differs) leaves the data dir as it was.
//!
//! Not here: PostgreSQL, whose dump and restore are `pg_dump`'s and `pg_restore`'s job; files
//! the daemon makes again (staged uploads, exports).

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Component, Path, PathBuf};

use blake2::{Blake2s256, Digest};

use crate::atomic_file::{AtomicFile, Durability};
use crate::config::Config;
use crate::store::maintenance::{self, sqlite_file};
use crate::store::{Dialect, Store, StoreError};

const ROOT: &str = "ringside-backup";
const DATABASE: &str = "database.sqlite";
const DATA: &str = "data";
const MANIFEST: &str = "MANIFEST";
const FORMAT_LINE: &str = "ringside-backup 1";
/// Top-level data dir entries left out: the daemon makes their contents again.
const TRANSIENT_DIRS: &[&str] = &["uploads", "exports"];
/// Files whose name starts so are another writer's work in progress (atomic writes, probes,
/// a restore's staging directory).
const IN_PROGRESS_PREFIX: &str = ".ringside-";
/// A manifest longer than this is not one Ringside wrote.
const MAX_MANIFEST: u64 = 64 << 20;

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "the database is PostgreSQL: back it up with `pg_dump -Fc` and restore it with `pg_restore` (the data dir's files can be copied with tar); `ringside backup` and `restore` handle a SQLite database only"
    )]
    Postgres,
    #[error("the database is in memory: there is nothing to back up or restore into")]
    InMemory,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    #[error("{path} is not a complete Ringside backup: {reason}; nothing was restored")]
    BadArchive { path: PathBuf, reason: String },
    #[error(
        "{0} is not empty: restoring would mix two installations; empty it, or pass --force to replace its contents"
    )]
    NotEmpty(PathBuf),
    #[error("the database {0} already exists: pass --force to replace it")]
    DatabaseExists(PathBuf),
    #[error("{0} changed while it was copied; run the backup again")]
    Changed(PathBuf),
    #[error("{0}: a file name with a line break or not in UTF-8 cannot be listed in a backup")]
    Unlistable(PathBuf),
    #[error("background task failed: {0}")]
    Task(String),
}

fn io_err(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> BackupError {
    let path = path.to_owned();
    move |source| BackupError::Io {
        action,
        path,
        source,
    }
}

/// One archived file as the manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Listed {
    hash: String,
    size: u64,
}

/// What a backup or a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Data dir files (the database not counted).
    pub files: usize,
    /// Bytes of every file, the database included.
    pub bytes: u64,
    pub database: PathBuf,
}

/// The SQLite file the settings name; PostgreSQL and in-memory databases are refused.
fn sqlite_database(config: &Config) -> Result<PathBuf, BackupError> {
    let url = config.database_url();
    if maintenance::dialect_of(&url)? == Dialect::Postgres {
        return Err(BackupError::Postgres);
    }
    sqlite_file(&url).ok_or(BackupError::InMemory)
}

/// Writes the archive to `out` (replacing it whole, never leaving a partial one).
pub async fn backup(config: &Config, out: &Path) -> Result<Summary, BackupError> {
    let database = sqlite_database(config)?;
    let out = std::path::absolute(out).map_err(io_err("cannot resolve", out))?;
    let store = Store::connect(&config.database_url()).await?;
    // Beside the archive: the same file system, whose free space the archive needs anyway.
    let work = tempfile::Builder::new()
        .prefix(IN_PROGRESS_PREFIX)
        .tempdir_in(parent_dir(&out))
        .map_err(io_err("cannot create a work directory beside", &out))?;
    let snapshot = work.path().join(DATABASE);
    store.snapshot_sqlite(&snapshot).await?;
    store.pool().close().await;
    let data_dir = config.data_dir.clone();
    tokio::task::spawn_blocking(move || {
        let summary = write_archive(&snapshot, &data_dir, &database, &out);
        drop(work);
        summary
    })
    .await
    .map_err(|e| BackupError::Task(e.to_string()))?
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

fn write_archive(
    snapshot: &Path,
    data_dir: &Path,
    database: &Path,
    out: &Path,
) -> Result<Summary, BackupError> {
    let mut file = AtomicFile::create(out)
        .map_err(io_err("cannot create", out))?
        .with_mode(0o600);
    let mut listed: Vec<(String, Listed)> = Vec::new();
    {
        let mut builder = tar::Builder::new(BufWriter::new(file.file_mut()));
        listed.push((
            DATABASE.to_owned(),
            append_file(&mut builder, snapshot, DATABASE)?,
        ));
        let mut skip: Vec<PathBuf> = ["", "-wal", "-shm", "-journal"]
            .iter()
            .map(|suffix| {
                let mut name = database.as_os_str().to_owned();
                name.push(suffix);
                PathBuf::from(name)
            })
            .collect();
        skip.push(out.to_owned());
        let skip: Vec<PathBuf> = skip
            .iter()
            .filter_map(|p| std::path::absolute(p).ok())
            .collect();
        for (path, rel) in data_files(data_dir, &skip)? {
            let name = format!("{DATA}/{rel}");
            let entry = append_file(&mut builder, &path, &name)?;
            listed.push((name, entry));
        }
        let manifest = render_manifest(&listed);
        let mut header = tar::Header::new_gnu();
        header.set_size(manifest.len() as u64);
        header.set_mode(0o644);
        if let Ok(now) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
            header.set_mtime(now.as_secs());
        }
        builder
            .append_data(
                &mut header,
                format!("{ROOT}/{MANIFEST}"),
                manifest.as_bytes(),
            )
            .map_err(io_err("cannot write", out))?;
        builder
            .into_inner()
            .and_then(|mut w| w.flush())
            .map_err(io_err("cannot write", out))?;
    }
    file.commit(Durability::Durable)
        .map_err(io_err("cannot write", out))?;
    Ok(Summary {
        files: listed.len() - 1,
        bytes: listed.iter().map(|(_, l)| l.size).sum(),
        database: database.to_owned(),
    })
}

/// Hashes what passes through, and counts it.
struct Hashing<R> {
    inner: R,
    hasher: Blake2s256,
    count: u64,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn append_file<W: Write>(
    builder: &mut tar::Builder<W>,
    path: &Path,
    name: &str,
) -> Result<Listed, BackupError> {
    let file = File::open(path).map_err(io_err("cannot read", path))?;
    let meta = file.metadata().map_err(io_err("cannot read", path))?;
    let size = meta.len();
    let mut header = tar::Header::new_gnu();
    header.set_size(size);
    header.set_mode(0o644);
    if let Ok(modified) = meta.modified() {
        if let Ok(since) = modified.duration_since(std::time::UNIX_EPOCH) {
            header.set_mtime(since.as_secs());
        }
    }
    // Only the size read at open goes in: a file growing meanwhile would break the archive.
    let mut reader = Hashing {
        inner: file.take(size),
        hasher: Blake2s256::new(),
        count: 0,
    };
    builder
        .append_data(&mut header, format!("{ROOT}/{name}"), &mut reader)
        .map_err(|e| match e.kind() {
            io::ErrorKind::UnexpectedEof => BackupError::Changed(path.to_owned()),
            _ => BackupError::Io {
                action: "cannot archive",
                path: path.to_owned(),
                source: e,
            },
        })?;
    if reader.count != size {
        return Err(BackupError::Changed(path.to_owned()));
    }
    Ok(Listed {
        hash: hex(&reader.hasher.finalize()),
        size,
    })
}

/// Every regular file under `data_dir` with its path relative to it (`/`-separated),
/// sorted, leaving out `skip`, transient directories and other writers' work in progress.
fn data_files(data_dir: &Path, skip: &[PathBuf]) -> Result<Vec<(PathBuf, String)>, BackupError> {
    let mut found = Vec::new();
    if !data_dir.is_dir() {
        return Ok(found);
    }
    let mut pending = vec![(data_dir.to_owned(), String::new())];
    while let Some((dir, prefix)) = pending.pop() {
        let entries = fs::read_dir(&dir).map_err(io_err("cannot list", &dir))?;
        for entry in entries {
            let entry = entry.map_err(io_err("cannot list", &dir))?;
            let path = entry.path();
            let name = entry.file_name();
            let Some(name) = name.to_str().filter(|n| !n.contains('\n')) else {
                return Err(BackupError::Unlistable(path));
            };
            if name.starts_with(IN_PROGRESS_PREFIX)
                || (prefix.is_empty() && TRANSIENT_DIRS.contains(&name))
            {
                continue;
            }
            let rel = format!("{prefix}{name}");
            let kind = entry.file_type().map_err(io_err("cannot read", &path))?;
            if kind.is_dir() {
                pending.push((path, format!("{rel}/")));
            } else if kind.is_file() {
                let absolute = std::path::absolute(&path).unwrap_or_else(|_| path.clone());
                if !skip.contains(&absolute) {
                    found.push((path, rel));
                }
            } else {
                tracing::warn!(path = %path.display(), "not a regular file: left out of the backup");
            }
        }
    }
    found.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(found)
}

fn render_manifest(listed: &[(String, Listed)]) -> String {
    let mut text = format!("{FORMAT_LINE}\n");
    for (name, entry) in listed {
        text.push_str(&format!("file {} {} {name}\n", entry.hash, entry.size));
    }
    text.push_str(&format!("end {}\n", listed.len()));
    text
}

/// The manifest's files by name; an error names what is wrong with it.
fn parse_manifest(text: &str) -> Result<BTreeMap<String, Listed>, String> {
    let mut lines = text.lines();
    if lines.next() != Some(FORMAT_LINE) {
        return Err("the manifest is not in a format this Ringside reads".into());
    }
    let mut files = BTreeMap::new();
    for line in lines {
        if let Some(count) = line.strip_prefix("end ") {
            return match count.parse::<usize>() {
                Ok(n) if n == files.len() => Ok(files),
                _ => Err(format!(
                    "the manifest lists {} files but says {count:?}",
                    files.len()
                )),
            };
        }
        let mut parts = line.splitn(4, ' ');
        let (Some("file"), Some(hash), Some(size), Some(name)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(format!("manifest line {line:?} is not readable"));
        };
        let size = size
            .parse()
            .map_err(|_| format!("manifest line {line:?} has no size"))?;
        files.insert(
            name.to_owned(),
            Listed {
                hash: hash.to_owned(),
                size,
            },
        );
    }
    Err("the manifest has no end line: the archive is truncated".into())
}

/// `name` as a relative path that stays inside the directory it is joined to.
fn safe_relative(name: &str) -> Option<PathBuf> {
    let path = Path::new(name);
    let normal = path.components().all(|c| matches!(c, Component::Normal(_)));
    (normal && !name.is_empty()).then(|| path.to_owned())
}

/// Restores `archive` into the data dir and the database file the settings name. Refuses a
/// non-empty data dir or an existing database unless `force`; nothing is changed unless the
/// whole archive checked out against its manifest.
pub fn restore(config: &Config, archive: &Path, force: bool) -> Result<Summary, BackupError> {
    let database = sqlite_database(config)?;
    let data_dir = &config.data_dir;
    let database = std::path::absolute(&database).map_err(io_err("cannot resolve", &database))?;
    let data_abs = std::path::absolute(data_dir).map_err(io_err("cannot resolve", data_dir))?;
    let database_inside = database.starts_with(&data_abs);
    if !force {
        if has_entries(data_dir)? {
            return Err(BackupError::NotEmpty(data_dir.to_owned()));
        }
        if !database_inside && database.exists() {
            return Err(BackupError::DatabaseExists(database));
        }
    }
    fs::create_dir_all(data_dir).map_err(io_err("cannot create", data_dir))?;
    // Inside the data dir: the final renames stay on one file system, and a user that may
    // write only there can restore.
    let staging = tempfile::Builder::new()
        .prefix(IN_PROGRESS_PREFIX)
        .tempdir_in(data_dir)
        .map_err(io_err("cannot create a staging directory in", data_dir))?;
    let listed = extract(archive, staging.path()).map_err(|reason| match reason {
        Extract::Bad(reason) => BackupError::BadArchive {
            path: archive.to_owned(),
            reason,
        },
        Extract::Io(e) => e,
    })?;

    if force {
        clear(data_dir, staging.path())?;
        if !database_inside {
            remove_database(&database)?;
        }
    }
    let staged_data = staging.path().join(DATA);
    if staged_data.is_dir() {
        for entry in fs::read_dir(&staged_data).map_err(io_err("cannot list", &staged_data))? {
            let entry = entry.map_err(io_err("cannot list", &staged_data))?;
            let target = data_dir.join(entry.file_name());
            fs::rename(entry.path(), &target).map_err(io_err("cannot move into place", &target))?;
        }
    }
    if let Some(dir) = database.parent() {
        fs::create_dir_all(dir).map_err(io_err("cannot create", dir))?;
    }
    let staged_db = staging.path().join(DATABASE);
    if fs::rename(&staged_db, &database).is_err() {
        // Another file system: copy through a temporary file beside the target.
        crate::atomic_file::copy(&staged_db, &database, Durability::Durable)
            .map_err(io_err("cannot write", &database))?;
    }
    Ok(Summary {
        files: listed.len() - 1,
        bytes: listed.values().map(|l| l.size).sum(),
        database,
    })
}

fn has_entries(dir: &Path) -> Result<bool, BackupError> {
    match fs::read_dir(dir) {
        Ok(mut entries) => Ok(entries.next().is_some()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(BackupError::Io {
            action: "cannot list",
            path: dir.to_owned(),
            source: e,
        }),
    }
}

/// Removes everything in `dir` but `keep`.
fn clear(dir: &Path, keep: &Path) -> Result<(), BackupError> {
    for entry in fs::read_dir(dir).map_err(io_err("cannot list", dir))? {
        let entry = entry.map_err(io_err("cannot list", dir))?;
        let path = entry.path();
        if path == keep {
            continue;
        }
        let removed = if entry.file_type().is_ok_and(|t| t.is_dir()) {
            fs::remove_dir_all(&path)
        } else {
            fs::remove_file(&path)
        };
        removed.map_err(io_err("cannot remove", &path))?;
    }
    Ok(())
}

/// The database file and the journal files SQLite keeps beside it.
fn remove_database(database: &Path) -> Result<(), BackupError> {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = database.as_os_str().to_owned();
        name.push(suffix);
        let path = PathBuf::from(name);
        match fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(BackupError::Io {
                    action: "cannot remove",
                    path,
                    source: e,
                });
            }
        }
    }
    Ok(())
}

enum Extract {
    Bad(String),
    Io(BackupError),
}

/// Extracts every file under `staging` and checks them against the manifest.
fn extract(archive: &Path, staging: &Path) -> Result<BTreeMap<String, Listed>, Extract> {
    let file = File::open(archive).map_err(|e| Extract::Io(io_err("cannot read", archive)(e)))?;
    let mut tar = tar::Archive::new(BufReader::new(file));
    let unreadable = |e: io::Error| {
        Extract::Bad(match e.kind() {
            io::ErrorKind::UnexpectedEof => format!("it is truncated ({e})"),
            _ => format!("it is unreadable ({e})"),
        })
    };
    let mut extracted: BTreeMap<String, Listed> = BTreeMap::new();
    let mut manifest = None;
    for entry in tar.entries().map_err(unreadable)? {
        let mut entry = entry.map_err(unreadable)?;
        let name = entry
            .path()
            .map_err(unreadable)?
            .to_str()
            .map(str::to_owned)
            .ok_or_else(|| Extract::Bad("an entry's name is not UTF-8".into()))?;
        if manifest.is_some() {
            return Err(Extract::Bad(format!("{name} comes after the manifest")));
        }
        let kind = entry.header().entry_type();
        if kind.is_dir() {
            continue;
        }
        if !kind.is_file() {
            return Err(Extract::Bad(format!("{name} is not a regular file")));
        }
        let Some(rel) = name.strip_prefix(&format!("{ROOT}/")) else {
            return Err(Extract::Bad(format!("{name} is outside {ROOT}/")));
        };
        if rel == MANIFEST {
            let mut text = String::new();
            (&mut entry)
                .take(MAX_MANIFEST)
                .read_to_string(&mut text)
                .map_err(unreadable)?;
            manifest = Some(parse_manifest(&text).map_err(Extract::Bad)?);
            continue;
        }
        let Some(relative) = safe_relative(rel) else {
            return Err(Extract::Bad(format!(
                "{name} would be written outside the data dir"
            )));
        };
        let target = staging.join(&relative);
        if let Some(dir) = target.parent() {
            fs::create_dir_all(dir).map_err(|e| Extract::Io(io_err("cannot create", dir)(e)))?;
        }
        let mut out =
            File::create(&target).map_err(|e| Extract::Io(io_err("cannot create", &target)(e)))?;
        let mut reader = Hashing {
            inner: &mut entry,
            hasher: Blake2s256::new(),
            count: 0,
        };
        io::copy(&mut reader, &mut out).map_err(unreadable)?;
        out.sync_all()
            .map_err(|e| Extract::Io(io_err("cannot write", &target)(e)))?;
        extracted.insert(
            rel.to_owned(),
            Listed {
                hash: hex(&reader.hasher.finalize()),
                size: reader.count,
            },
        );
    }
    let Some(manifest) = manifest else {
        return Err(Extract::Bad(
            "no manifest at its end: the archive is truncated".into(),
        ));
    };
    check_against(&manifest, &extracted).map_err(Extract::Bad)?;
    Ok(manifest)
}

/// Every listed file arrived whole and nothing else did; the database is among them.
fn check_against(
    manifest: &BTreeMap<String, Listed>,
    extracted: &BTreeMap<String, Listed>,
) -> Result<(), String> {
    if !manifest.contains_key(DATABASE) {
        return Err("it holds no database".into());
    }
    for (name, listed) in manifest {
        match extracted.get(name) {
            None => return Err(format!("{name} is listed but missing")),
            Some(got) if got != listed => {
                return Err(format!(
                    "{name} differs from what was archived (damaged: {} bytes, expected {})",
                    got.size, listed.size
                ));
            }
            Some(_) => {}
        }
    }
    if let Some(extra) = extracted.keys().find(|k| !manifest.contains_key(*k)) {
        return Err(format!("{extra} is not in the manifest"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(hash: &str, size: u64) -> Listed {
        Listed {
            hash: hash.into(),
            size,
        }
    }

    #[test]
    fn a_rendered_manifest_parses_back_to_the_same_files() {
        let files = vec![
            (DATABASE.to_owned(), listed("ab", 10)),
            ("data/prompts/my wakeup.wav".to_owned(), listed("cd", 3)),
        ];
        let parsed = parse_manifest(&render_manifest(&files)).expect("parses");
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed["data/prompts/my wakeup.wav"], listed("cd", 3));
    }

    #[test]
    fn a_manifest_cut_before_its_end_line_is_refused() {
        let text = render_manifest(&[(DATABASE.to_owned(), listed("ab", 1))]);
        let cut = text
            .trim_end()
            .rsplit_once('\n')
            .map(|(head, _)| head)
            .unwrap_or("");
        assert!(parse_manifest(cut).is_err());
    }

    #[test]
    fn a_manifest_whose_count_differs_is_refused() {
        let text = format!("{FORMAT_LINE}\nfile ab 1 {DATABASE}\nend 2\n");
        assert!(parse_manifest(&text).is_err());
    }

    #[test]
    fn a_path_climbing_out_is_not_safe() {
        assert_eq!(safe_relative("data/../../etc/passwd"), None);
        assert_eq!(safe_relative("/etc/passwd"), None);
        assert!(safe_relative("data/prompts/a.wav").is_some());
    }

    #[test]
    fn a_file_whose_hash_differs_fails_the_check() {
        let manifest = BTreeMap::from([(DATABASE.to_owned(), listed("ab", 1))]);
        let got = BTreeMap::from([(DATABASE.to_owned(), listed("ac", 1))]);
        assert!(check_against(&manifest, &got).is_err());
    }

    #[test]
    fn a_file_not_in_the_manifest_fails_the_check() {
        let manifest = BTreeMap::from([(DATABASE.to_owned(), listed("ab", 1))]);
        let got = BTreeMap::from([
            (DATABASE.to_owned(), listed("ab", 1)),
            ("data/x".to_owned(), listed("cd", 2)),
        ]);
        assert!(check_against(&manifest, &got).is_err());
    }

    #[test]
    fn an_archive_without_a_database_fails_the_check() {
        let manifest = BTreeMap::from([("data/x".to_owned(), listed("ab", 1))]);
        assert!(check_against(&manifest, &manifest.clone()).is_err());
    }
}
