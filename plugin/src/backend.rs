//! The [`Backend`] trait: everything the portal needs from the daemon. The daemon implements
//! it over its store, media and call flows; the portal's tests implement it in memory.
//!
//! Ownership rule: methods taking an `extension` act on that user's data only. Methods taking a
//! bare id (`wakeup`, `fax_job`, …) look the object up regardless of owner; the portal compares
//! the returned `owner` with the session user before showing or changing anything, and only then
//! calls the mutating method with the same id.

use async_trait::async_trait;
use bytes::Bytes;
use tokio::sync::broadcast;

use crate::model::{
    CallDetail, CallExportFormat, CallFile, CallViewer, CallsFilter, CallsPage, CallsQuery,
    ReplayRight,
};
use crate::model::{CallHandlingSettings, CallHandlingStatus};
use crate::model::{
    CreatedUser, FaxDocument, FaxFormat, FaxJob, FaxJobId, FaxTransfer, FollowMe, GreetingInfo,
    GreetingSlot, GreetingsOverview, ImportReport, ImportRow, MenuAccess, NewUser, PromptChoice,
    ReceivedFax, ReceivedFaxId, Session, SystemStatus, User, UserPage, UserQuery, UserUpdate,
    Wakeup, WakeupAttempt, WakeupId, WakeupSpec,
};
use crate::model::{
    VoicemailAudio, VoicemailDeleteReport, VoicemailFolder, VoicemailMessage, VoicemailPage,
    VoicemailQuery,
};

/// Why a backend call did not succeed. The portal maps each variant to an HTTP status and shows
/// its text to the user, so messages must be plain words without internals (except `Internal`,
/// which is logged and replaced by a generic message).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackendError {
    /// The object does not exist (the portal answers 404).
    #[error("not found")]
    NotFound,
    /// The old password given to `change_password` is wrong.
    #[error("the current password is wrong")]
    WrongPassword,
    /// Input rejected field by field; shown next to each field (422).
    #[error("some fields are not valid")]
    Validation(Vec<FieldError>),
    /// Input that cannot be used, e.g. audio that cannot be decoded: the message says why in
    /// plain words (422).
    #[error("{0}")]
    Rejected(String),
    /// The object already exists, e.g. an extension taken (409).
    #[error("{0}")]
    Conflict(String),
    /// The object existed but is gone, e.g. a voicemail message deleted by phone meanwhile
    /// (410); the message says so in plain words.
    #[error("{0}")]
    Gone(String),
    /// A service the request needs is down or not set up, e.g. the link to Asterisk's manager
    /// interface (503); the message says which and why.
    #[error("{0}")]
    Unavailable(String),
    /// Storage or another internal failure (500; details are logged, not shown).
    #[error("internal error: {0}")]
    Internal(String),
}

/// One validation message for one input field.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FieldError {
    /// The field's name as documented on the input type (e.g. `steps[1].numbers`).
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

pub type BackendResult<T> = Result<T, BackendError>;

/// The daemon side of the portal. Used as `Arc<dyn Backend>`.
#[async_trait]
pub trait Backend: Send + Sync {
    // --- accounts and sessions -------------------------------------------------------------

    /// Checks an extension's password (argon2). `Ok(None)` for an unknown extension and for a
    /// wrong password alike; the portal checks [`User::may_log_in`] itself.
    async fn verify_login(&self, extension: &str, password: &str) -> BackendResult<Option<User>>;
    async fn user(&self, extension: &str) -> BackendResult<Option<User>>;
    /// Opens a session for `extension` lasting `ttl`. The backend makes the id and the CSRF
    /// token, each at least 256 random bits from a CSPRNG, hex or base64url encoded (they travel
    /// in a cookie and a header), and stores the session so it survives a restart.
    async fn create_session(
        &self,
        extension: &str,
        ttl: std::time::Duration,
    ) -> BackendResult<Session>;
    /// The stored session, expired or not (the portal checks `expires_at`).
    async fn session(&self, id: &str) -> BackendResult<Option<Session>>;
    /// Deleting an unknown session is not an error.
    async fn delete_session(&self, id: &str) -> BackendResult<()>;
    /// [`BackendError::WrongPassword`] when `old` is wrong; `Validation` (field `new_password`)
    /// when `new` is not acceptable. The new password's rules are checked first, so that a
    /// `Validation` answer says nothing about the old password.
    async fn change_password(&self, extension: &str, old: &str, new: &str) -> BackendResult<()>;
    /// Ends every session of `extension` except the one with id `keep` (after a password
    /// change). Ending none is not an error.
    async fn end_other_sessions(&self, extension: &str, keep: &str) -> BackendResult<()>;
    /// `Validation` (field `email`) when malformed; an empty string removes the address.
    async fn set_email(&self, extension: &str, email: &str) -> BackendResult<()>;
    /// The user finished or skipped the first-login walk-through: it is not shown again
    /// (unless an administrator turns it on). Ending it twice is not an error.
    async fn end_walkthrough(&self, extension: &str) -> BackendResult<()>;
    /// The user's own time zone, an IANA name; empty follows the server's default zone.
    /// `Validation` (field `time_zone`) for a name that is not a zone.
    async fn set_time_zone(&self, extension: &str, zone: &str) -> BackendResult<()>;

    // --- follow-me -------------------------------------------------------------------------

    async fn followme(&self, extension: &str) -> BackendResult<FollowMe>;
    /// Validates and stores; `Validation` names the fields documented on [`FollowMe`].
    async fn set_followme(&self, extension: &str, followme: &FollowMe) -> BackendResult<()>;

    // --- call handling ---------------------------------------------------------------------

    /// The user's call handling; the empty settings when none were ever saved.
    async fn call_handling(&self, extension: &str) -> BackendResult<CallHandlingSettings>;
    /// Validates and stores; `Validation` names the fields documented on
    /// [`CallHandlingSettings`].
    async fn set_call_handling(
        &self,
        extension: &str,
        settings: &CallHandlingSettings,
    ) -> BackendResult<()>;
    /// Do-not-disturb, each forward that is on, and follow-me, for the first page.
    async fn call_handling_status(&self, extension: &str) -> BackendResult<CallHandlingStatus>;

    // --- greetings -------------------------------------------------------------------------

    async fn greetings(&self, extension: &str) -> BackendResult<GreetingsOverview>;
    /// Converts any supported audio to the voicemail format and stores it in the slot
    /// atomically. `Rejected` with a plain explanation when the audio cannot be used.
    async fn upload_greeting(
        &self,
        extension: &str,
        slot: GreetingSlot,
        file_name: &str,
        audio: Bytes,
    ) -> BackendResult<GreetingInfo>;
    /// The slot as a WAV file for in-browser playback; `NotFound` when empty.
    async fn greeting_wav(&self, extension: &str, slot: GreetingSlot) -> BackendResult<Bytes>;
    /// `NotFound` when the slot is already empty.
    async fn delete_greeting(&self, extension: &str, slot: GreetingSlot) -> BackendResult<()>;

    // --- wakeup calls ----------------------------------------------------------------------

    async fn wakeups(&self, extension: &str) -> BackendResult<Vec<Wakeup>>;
    async fn wakeup(&self, id: WakeupId) -> BackendResult<Option<Wakeup>>;
    /// `Validation` names the fields documented on [`WakeupSpec`].
    async fn create_wakeup(&self, extension: &str, spec: &WakeupSpec) -> BackendResult<Wakeup>;
    async fn update_wakeup(&self, id: WakeupId, spec: &WakeupSpec) -> BackendResult<Wakeup>;
    async fn set_wakeup_enabled(&self, id: WakeupId, enabled: bool) -> BackendResult<Wakeup>;
    async fn delete_wakeup(&self, id: WakeupId) -> BackendResult<()>;
    /// Newest first.
    async fn wakeup_attempts(&self, id: WakeupId) -> BackendResult<Vec<WakeupAttempt>>;
    /// The prompts `extension` may pick for a wakeup, the default first. Empty (the default
    /// answer): no list, the prompt is typed.
    async fn wakeup_prompts(&self, _extension: &str) -> BackendResult<Vec<PromptChoice>> {
        Ok(Vec::new())
    }

    /// Converts audio like a greeting and keeps it as one of `extension`'s own wakeup prompts
    /// (replacing an own prompt of the same name), which `wakeup_prompts` then offers to that
    /// user alone. The name is `typed` or, when empty, made from `file_name`
    /// ([`crate::model::own_prompt_name`]); `Validation` (field `name`) for a bad one,
    /// `Rejected` when the audio cannot be used (nothing is kept then).
    async fn upload_wakeup_prompt(
        &self,
        extension: &str,
        typed: &str,
        file_name: &str,
        audio: Bytes,
    ) -> BackendResult<PromptChoice>;
    /// Deletes one of `extension`'s own prompts by its own name; `NotFound` when they have none
    /// of that name (another user's prompt included). Wakeups that named it play the fallback.
    async fn delete_wakeup_prompt(&self, extension: &str, own_name: &str) -> BackendResult<()>;

    // --- fax -------------------------------------------------------------------------------

    /// Queues a document for sending; `Validation` (field `number`) for a bad destination,
    /// `Rejected` when the document is not a readable PDF/TIFF.
    async fn send_fax(
        &self,
        extension: &str,
        number: &str,
        document: FaxDocument,
    ) -> BackendResult<FaxJob>;
    async fn fax_job(&self, id: FaxJobId) -> BackendResult<Option<FaxJob>>;
    /// Every change of every fax job, as it happens. The portal filters by id and owner.
    fn fax_progress(&self) -> broadcast::Receiver<FaxJob>;
    /// Where the transfer of a job being sent stands (page, bit rate), as far as the phone
    /// system reports it; `None` when nothing is known beyond the job itself: the job is not
    /// being sent, is unknown, or the phone system does not say. Never an error for that.
    async fn fax_transfer(&self, id: FaxJobId) -> BackendResult<Option<FaxTransfer>>;
    /// Sent and in-progress jobs of a user, newest first.
    async fn sent_faxes(&self, extension: &str) -> BackendResult<Vec<FaxJob>>;
    /// Newest first.
    async fn received_faxes(&self, extension: &str) -> BackendResult<Vec<ReceivedFax>>;
    async fn received_fax(&self, id: ReceivedFaxId) -> BackendResult<Option<ReceivedFax>>;
    /// The document of a sent job in the wanted format.
    async fn sent_fax_document(&self, id: FaxJobId, format: FaxFormat) -> BackendResult<Bytes>;
    async fn received_fax_document(
        &self,
        id: ReceivedFaxId,
        format: FaxFormat,
    ) -> BackendResult<Bytes>;

    /// Cancels a job not yet sent: at once while it waits, by hanging up while it is in a
    /// call. `Conflict` when it has already ended.
    async fn cancel_fax(&self, id: FaxJobId) -> BackendResult<FaxJob>;
    /// Queues a failed job's document again, to the same number, as a new job (returned).
    /// `Conflict` unless the job failed.
    async fn resend_fax(&self, id: FaxJobId) -> BackendResult<FaxJob>;
    /// Deletes a sent or failed job with its files; `Conflict` while it still waits or is in a
    /// call (cancel it first).
    async fn delete_sent_fax(&self, id: FaxJobId) -> BackendResult<()>;
    /// Deletes a received fax with its files.
    async fn delete_received_fax(&self, id: ReceivedFaxId) -> BackendResult<()>;

    // --- administration --------------------------------------------------------------------

    async fn list_users(&self, query: &UserQuery) -> BackendResult<UserPage>;
    /// `Conflict` when the extension exists; `Validation` per field (`extension`, `name`,
    /// `email`, `password`).
    async fn create_user(&self, user: &NewUser) -> BackendResult<CreatedUser>;
    async fn update_user(&self, extension: &str, update: &UserUpdate) -> BackendResult<User>;
    /// Imports the well-formed rows in one transaction: a row is either fully created or
    /// listed as rejected with its reason (e.g. extension exists); nothing is half imported.
    async fn import_users(&self, rows: &[ImportRow]) -> BackendResult<ImportReport>;
    /// Deletes the user with everything the database keeps for them (settings, wakeup calls,
    /// sessions), as `ringside user rm` does; what stays is said by
    /// [`crate::user_admin::DELETE_CONSEQUENCES`]. `NotFound` for an unknown user.
    async fn delete_user(&self, extension: &str) -> BackendResult<()>;
    /// An extension no user has, following the highest one in use; `None` when there is no
    /// extension to follow.
    async fn suggest_extension(&self) -> BackendResult<Option<String>>;
    /// Sets a new password (generated when `None`) and returns it.
    async fn reset_password(&self, extension: &str, new: Option<&str>) -> BackendResult<String>;
    /// Menu access given to users created from now on.
    async fn access_defaults(&self) -> BackendResult<MenuAccess>;
    async fn set_access_defaults(&self, access: &MenuAccess) -> BackendResult<()>;
    async fn system_status(&self) -> BackendResult<SystemStatus>;

    // --- voicemail -------------------------------------------------------------------------
    //
    // The mailbox is always `extension`'s own; messages are named by app_voicemail's msg_id.
    // A message that no longer exists is `Gone`; a change that needs Asterisk's manager link
    // while it is down is `Unavailable`. The defaults say voicemail is not available, so a
    // backend without it needs no code.

    /// One page of a folder, newest first, with every folder's count.
    async fn voicemail(
        &self,
        _extension: &str,
        _query: &VoicemailQuery,
    ) -> BackendResult<VoicemailPage> {
        Err(voicemail_unavailable())
    }
    async fn voicemail_message(
        &self,
        _extension: &str,
        _id: &str,
    ) -> BackendResult<VoicemailMessage> {
        Err(voicemail_unavailable())
    }
    /// The recording as a WAV any browser plays; `Rejected` when it is missing or not audio.
    async fn voicemail_audio(
        &self,
        _extension: &str,
        _id: &str,
    ) -> BackendResult<Box<dyn VoicemailAudio>> {
        Err(voicemail_unavailable())
    }
    async fn move_voicemail(
        &self,
        _extension: &str,
        _id: &str,
        _to: VoicemailFolder,
    ) -> BackendResult<()> {
        Err(voicemail_unavailable())
    }
    /// Read: a new message goes to Old (as when heard on a phone); unread: back to INBOX.
    async fn mark_voicemail_read(
        &self,
        _extension: &str,
        _id: &str,
        _read: bool,
    ) -> BackendResult<()> {
        Err(voicemail_unavailable())
    }
    /// Deletes each; ids already gone are listed as such, not errors.
    async fn delete_voicemail(
        &self,
        _extension: &str,
        _ids: &[String],
    ) -> BackendResult<VoicemailDeleteReport> {
        Err(voicemail_unavailable())
    }
    /// New (unheard) messages, for the navigation's badge.
    async fn voicemail_new_count(&self, _extension: &str) -> BackendResult<u32> {
        Err(voicemail_unavailable())
    }

    // --- call history ----------------------------------------------------------------------
    //
    // A viewer who is not in the admin view sees only calls they were on (any other call is
    // `NotFound`, like a missing one) and the filter's extension is ignored; the admin view
    // sees every call, or one extension's. A filter's time zone the backend does not know is
    // `Rejected`. A recording the viewer may not replay is `NotFound`; one that is named but
    // missing is `Gone`. The defaults say call history is not available.

    /// One page of calls, newest first.
    async fn calls(&self, _viewer: &CallViewer, _query: &CallsQuery) -> BackendResult<CallsPage> {
        Err(calls_unavailable())
    }
    /// One call with its CDR rows; times shown in `tz` (empty: the server's zone).
    async fn call_detail(
        &self,
        _viewer: &CallViewer,
        _tz: &str,
        _id: &str,
    ) -> BackendResult<CallDetail> {
        Err(calls_unavailable())
    }
    /// The call's recording, streamed.
    async fn call_recording(&self, _viewer: &CallViewer, _id: &str) -> BackendResult<CallFile> {
        Err(calls_unavailable())
    }
    /// Every call the filter selects, as a CSV or XLSX file, streamed.
    async fn export_calls(
        &self,
        _viewer: &CallViewer,
        _filter: &CallsFilter,
        _format: CallExportFormat,
    ) -> BackendResult<CallFile> {
        Err(calls_unavailable())
    }
    /// Who may replay recordings (admin setting per user); `NotFound` for an unknown user.
    async fn replay_right(&self, _extension: &str) -> BackendResult<ReplayRight> {
        Err(calls_unavailable())
    }
    async fn set_replay_right(&self, _extension: &str, _right: ReplayRight) -> BackendResult<()> {
        Err(calls_unavailable())
    }
}

fn calls_unavailable() -> BackendError {
    BackendError::Unavailable("call history is not available on this server".into())
}

fn voicemail_unavailable() -> BackendError {
    BackendError::Unavailable("voicemail is not available on this server".into())
}
