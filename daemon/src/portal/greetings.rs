//! Voicemail greetings for the portal: the four slots with their lengths, which one a caller
//! hears now, upload (staged to a file, converted on a blocking thread), playback as WAV and
//! delete. The files and the conversion are [`crate::voicemail::greetings`]'s; this module adapts them.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use ringside_portal::model::{CallReason, GreetingInfo, GreetingSlot, GreetingsOverview, HeardNow};
use ringside_portal::{BackendError, BackendResult};

use super::PortalBackend;
use crate::voicemail::greeting_rule::{Announcement, GreetingKind, Reason};
use crate::voicemail::greetings::{Converter, GreetingError, GreetingFiles, Mailbox};

pub fn kind_of(slot: GreetingSlot) -> GreetingKind {
    match slot {
        GreetingSlot::Temp => GreetingKind::Temp,
        GreetingSlot::Busy => GreetingKind::Busy,
        GreetingSlot::Unavail => GreetingKind::Unavail,
        GreetingSlot::Greet => GreetingKind::Greet,
    }
}

pub fn slot_of(kind: GreetingKind) -> GreetingSlot {
    match kind {
        GreetingKind::Temp => GreetingSlot::Temp,
        GreetingKind::Busy => GreetingSlot::Busy,
        GreetingKind::Unavail => GreetingSlot::Unavail,
        GreetingKind::Greet => GreetingSlot::Greet,
    }
}

pub fn reason_to_api(reason: Reason) -> CallReason {
    match reason {
        Reason::Busy => CallReason::Busy,
        Reason::Unavailable => CallReason::Unavailable,
        Reason::NoAnswer => CallReason::NoAnswer,
    }
}

/// A name safe to create in the staging directory that keeps the uploaded file's extension,
/// which is what tells the converter a headerless `.ulaw`/`.alaw`/`.gsm` file apart.
pub fn staged_name(file_name: &str) -> String {
    // Browsers may send a full path; only the last part is the name.
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .collect();
    let cleaned = cleaned.trim_start_matches('.');
    if cleaned.is_empty() {
        return "upload".to_owned();
    }
    // Keep the extension when shortening an overlong name.
    let (stem, ext) = cleaned.rsplit_once('.').unwrap_or((cleaned, ""));
    let stem: String = stem.chars().take(60).collect();
    let ext: String = ext.chars().take(10).collect();
    if ext.is_empty() {
        stem
    } else {
        format!("{stem}.{ext}")
    }
}

/// Writes uploaded bytes to a private directory under `staging_dir` as `shown_name` (see
/// [`staged_name`]) for the converter to read. The directory, with the bytes, is removed when
/// the returned guard is dropped, whatever the outcome.
pub fn stage_upload(
    staging_dir: &Path,
    prefix: &str,
    shown_name: &str,
    audio: &[u8],
) -> BackendResult<(tempfile::TempDir, PathBuf)> {
    std::fs::create_dir_all(staging_dir).map_err(|e| {
        BackendError::Internal(format!("cannot create {}: {e}", staging_dir.display()))
    })?;
    let stage = tempfile::Builder::new()
        .prefix(prefix)
        .tempdir_in(staging_dir)
        .map_err(|e| {
            BackendError::Internal(format!(
                "cannot stage an upload in {}: {e}",
                staging_dir.display()
            ))
        })?;
    let staged = stage.path().join(shown_name);
    std::fs::write(&staged, audio)
        .map_err(|e| BackendError::Internal(format!("cannot stage {}: {e}", staged.display())))?;
    Ok((stage, staged))
}

/// The converter's message with the staging path replaced by the name the user uploaded.
pub fn plain_reason(reason: &str, staged: &Path, shown_name: &str) -> String {
    reason.replace(&staged.display().to_string(), shown_name)
}

/// A greeting that cannot be listed, written or deleted: when the mailbox folder cannot be
/// used, the user is told in plain words that it is the server's state (the path goes to the
/// log, not to the browser); anything else is the server's fault.
fn io_failure(err: GreetingError) -> BackendError {
    match err {
        GreetingError::Io(_) => {
            tracing::warn!(error = %err, "voicemail greeting folder cannot be used");
            BackendError::Unavailable(
                "your greetings cannot be changed on this server right now: the voicemail \
                 folder cannot be used; please tell your administrator"
                    .into(),
            )
        }
        other => BackendError::Internal(other.to_string()),
    }
}

impl PortalBackend {
    fn greeting_files(&self) -> BackendResult<&GreetingFiles> {
        self.greetings
            .as_ref()
            .ok_or_else(|| BackendError::Internal("voicemail greetings are not configured".into()))
    }

    fn mailbox(extension: &str) -> BackendResult<Mailbox> {
        Mailbox::parse(extension).map_err(|_| {
            BackendError::Rejected(format!(
                "login {extension} has no voicemail box: greetings belong to numeric extensions"
            ))
        })
    }

    pub(super) async fn greetings_impl(&self, extension: &str) -> BackendResult<GreetingsOverview> {
        let files = self.greeting_files()?.clone();
        let mailbox = Self::mailbox(extension)?;
        tokio::task::spawn_blocking(move || {
            let existing = files.list(&mailbox).map_err(io_failure)?;
            let slots = GreetingSlot::ALL
                .into_iter()
                .map(|slot| {
                    let found = existing.iter().find(|g| g.kind == kind_of(slot));
                    GreetingInfo {
                        slot,
                        exists: found.is_some(),
                        duration_ms: found
                            .and_then(|g| g.duration)
                            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
                    }
                })
                .collect();
            let heard_now = files
                .caller_hears(&mailbox)
                .map_err(io_failure)?
                .into_iter()
                .map(|(reason, heard)| HeardNow {
                    reason: reason_to_api(reason),
                    slot: match heard {
                        Announcement::Recorded(kind) => Some(slot_of(kind)),
                        Announcement::SystemDefault(_) => None,
                    },
                })
                .collect();
            Ok(GreetingsOverview { slots, heard_now })
        })
        .await
        .map_err(|e| BackendError::Internal(format!("greeting listing task failed: {e}")))?
    }

    pub(super) async fn upload_greeting_impl(
        &self,
        extension: &str,
        slot: GreetingSlot,
        file_name: &str,
        audio: Bytes,
    ) -> BackendResult<GreetingInfo> {
        let files = self.greeting_files()?.clone();
        let mailbox = Self::mailbox(extension)?;
        let converter = self.converter.clone();
        let staging_dir = self.staging_dir.clone();
        let shown_name = staged_name(file_name);
        let kind = kind_of(slot);
        tokio::task::spawn_blocking(move || {
            let (_stage, staged) = stage_upload(&staging_dir, ".greeting-", &shown_name, &audio)?;
            let installed = files
                .upload(&mailbox, kind, &staged, &converter as &dyn Converter)
                .map_err(|err| match err {
                    GreetingError::Convert { reason, .. } => BackendError::Rejected(format!(
                        "greeting not changed: {}",
                        plain_reason(&reason.to_string(), &staged, &shown_name)
                    )),
                    other => io_failure(other),
                })?;
            tracing::info!(mailbox = %mailbox, greeting = %kind, "greeting uploaded from the portal");
            Ok(GreetingInfo {
                slot,
                exists: true,
                duration_ms: installed
                    .duration
                    .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
            })
        })
        .await
        .map_err(|e| BackendError::Internal(format!("greeting upload task failed: {e}")))?
    }

    pub(super) async fn greeting_wav_impl(
        &self,
        extension: &str,
        slot: GreetingSlot,
    ) -> BackendResult<Bytes> {
        let files = self.greeting_files()?.clone();
        let mailbox = Self::mailbox(extension)?;
        let converter = self.converter.clone();
        let staging_dir = self.staging_dir.clone();
        tokio::task::spawn_blocking(move || {
            let listed = files.list(&mailbox).map_err(io_failure)?;
            let found = listed
                .into_iter()
                .find(|g| g.kind == kind_of(slot))
                .ok_or(BackendError::NotFound)?;
            let is_wav = found.path.extension().and_then(|e| e.to_str()) == Some("wav");
            if is_wav {
                return std::fs::read(&found.path).map(Bytes::from).map_err(|e| {
                    BackendError::Internal(format!("cannot read {}: {e}", found.path.display()))
                });
            }
            // Recorded by phone in another format: the browser needs WAV.
            std::fs::create_dir_all(&staging_dir).map_err(|e| {
                BackendError::Internal(format!("cannot create {}: {e}", staging_dir.display()))
            })?;
            let out = tempfile::Builder::new()
                .prefix(".playback-")
                .suffix(".wav")
                .tempfile_in(&staging_dir)
                .map_err(|e| BackendError::Internal(format!("cannot stage playback: {e}")))?;
            converter
                .convert(&found.path, out.path())
                .map_err(|e| BackendError::Internal(format!("cannot play greeting: {e}")))?;
            std::fs::read(out.path())
                .map(Bytes::from)
                .map_err(|e| BackendError::Internal(format!("cannot read converted greeting: {e}")))
        })
        .await
        .map_err(|e| BackendError::Internal(format!("greeting playback task failed: {e}")))?
    }

    pub(super) async fn delete_greeting_impl(
        &self,
        extension: &str,
        slot: GreetingSlot,
    ) -> BackendResult<()> {
        let files = self.greeting_files()?.clone();
        let mailbox = Self::mailbox(extension)?;
        tokio::task::spawn_blocking(move || {
            let removed = files.remove(&mailbox, kind_of(slot)).map_err(io_failure)?;
            if removed {
                Ok(())
            } else {
                Err(BackendError::NotFound)
            }
        })
        .await
        .map_err(|e| BackendError::Internal(format!("greeting delete task failed: {e}")))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staged_name_keeps_the_extension_that_identifies_raw_audio() {
        assert_eq!(staged_name("hello.ulaw"), "hello.ulaw");
        assert_eq!(staged_name("Mein Gruß.mp3"), "MeinGru.mp3");
    }

    #[test]
    fn staged_name_drops_directories_and_leading_dots() {
        assert_eq!(staged_name("../../etc/passwd"), "passwd");
        assert_eq!(staged_name("C:\\Users\\a\\greet.wav"), "greet.wav");
        assert_eq!(staged_name(".hidden.wav"), "hidden.wav");
    }

    #[test]
    fn staged_name_of_nothing_usable_is_upload() {
        assert_eq!(staged_name(""), "upload");
        assert_eq!(staged_name("///"), "upload");
        assert_eq!(staged_name("äöü"), "upload");
    }

    #[test]
    fn overlong_name_is_shortened_keeping_its_extension() {
        let name = staged_name(&format!("{}.wav", "a".repeat(300)));
        assert_eq!(name.len(), 64);
        assert!(name.ends_with(".wav"));
    }

    #[test]
    fn converter_message_names_the_uploaded_file_not_the_staging_path() {
        let staged = Path::new("/data/uploads/.greeting-x/hello.mp3");
        let msg = plain_reason(
            "/data/uploads/.greeting-x/hello.mp3: not a recognised audio file",
            staged,
            "hello.mp3",
        );
        assert_eq!(msg, "hello.mp3: not a recognised audio file");
    }

    #[test]
    fn every_slot_maps_to_its_greeting_file_and_back() {
        for slot in GreetingSlot::ALL {
            assert_eq!(slot_of(kind_of(slot)), slot);
            assert_eq!(kind_of(slot).file_stem(), slot.key());
        }
    }
}
