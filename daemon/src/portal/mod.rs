//! The daemon's implementation of the portal's [`Backend`] trait, and serving the portal.
//!
//! [`PortalBackend`] answers the portal over the store (users, sessions, settings, follow-me,
//! wakeups, fax jobs), the greeting files in the voicemail spool and the live state of the
//! daemon's links to Asterisk. Each menu has its own submodule; this file only holds the
//! backend's parts and routes each trait method to its submodule. Not here: HTTP, pages,
//! cookies, CSRF and access checks, which are the `ringside-portal` crate's job.

mod accounts;
mod admin;
mod call_handling;
mod calls;
mod errors;
mod fax;
mod followme;
mod greetings;
mod housekeeping;
mod limits;
mod serve;
mod status;
mod voicemail;
mod wakeups;

pub use calls::CallsAccess;
pub use fax::forward_fax_updates;
pub use housekeeping::{SESSION_SWEEP_EVERY, sweep_expired_sessions};
pub use limits::PortalLimits;
pub use serve::{IdleTimeout, Timeouts, serve, serve_router};
pub use status::AgiStatus;

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use ringside_portal::model::{
    CallDetail, CallExportFormat, CallFile, CallViewer, CallsFilter, CallsPage, CallsQuery,
    ReplayRight,
};
use ringside_portal::model::{
    CreatedUser, FaxDocument, FaxFormat, FaxJob, FaxJobId, FaxTransfer, FollowMe, GreetingInfo,
    GreetingSlot, GreetingsOverview, ImportReport, ImportRow, MenuAccess, NewUser, PromptChoice,
    ReceivedFax, ReceivedFaxId, Session, SystemStatus, User, UserPage, UserQuery, UserUpdate,
    Wakeup, WakeupAttempt, WakeupId, WakeupSpec,
};
use ringside_portal::{Backend, BackendResult};
use tokio::sync::{broadcast, watch};

use crate::ari::connection::ConnectionState;
use crate::flows::fax::{DocumentConverter, FaxTransfers};
use crate::schedule::zone::{UnknownZone, Zone};
use crate::store::Store;
use crate::store::fax::Direction;
use crate::user_prompts::UserPromptFiles;
use crate::voicemail::greetings::{GreetingFiles, Transcoder};
use crate::voicemail::inbox::Inbox;

/// How many fax job changes a slow progress listener may lag behind before it misses some.
const FAX_PROGRESS_CAPACITY: usize = 256;

/// What the portal needs to queue faxes and serve their documents.
#[derive(Clone)]
pub struct FaxAccess {
    pub converter: Arc<dyn DocumentConverter>,
    /// Attempts a new job gets (first call plus retries).
    pub max_attempts: u32,
}

/// The portal's view of the daemon. Cheap to share behind an `Arc`.
pub struct PortalBackend {
    store: Store,
    /// `None` when the voicemail settings are unusable; greeting calls then fail plainly.
    greetings: Option<GreetingFiles>,
    converter: Transcoder,
    /// Where uploaded bytes are staged before conversion.
    staging_dir: PathBuf,
    /// The daemon's data dir (uploaded prompts, fax files).
    data_dir: PathBuf,
    ari: watch::Receiver<ConnectionState>,
    agi: AgiStatus,
    fax_progress: broadcast::Sender<FaxJob>,
    /// `None` when the daemon runs no fax service; fax calls then fail plainly.
    fax: Option<FaxAccess>,
    /// `None` without a fax service: jobs being sent then show no page in transfer.
    fax_transfers: Option<FaxTransfers>,
    limits: PortalLimits,
    /// `None` when the daemon runs no voicemail inbox; voicemail calls then fail plainly.
    voicemail: Option<Inbox>,
    /// `None` when the daemon keeps no call history; call-history calls then fail plainly.
    calls: Option<CallsAccess>,
    /// Told after a user's call handling changes, so the do-not-disturb lamps follow at once
    /// rather than on their next tick.
    call_handling_changed: Option<Arc<tokio::sync::Notify>>,
    /// The zone (IANA name) of users who chose none of their own.
    default_zone: String,
    /// `None` when users' own wakeup prompts have nowhere to go; uploads then fail plainly.
    user_prompts: Option<UserPromptFiles>,
}

/// The zone of users who chose none: `name` (the `[portal] default_time_zone` setting), or
/// this machine's zone when it is empty. An unknown name is an error for the operator.
pub fn default_user_zone(name: &str) -> Result<Zone, UnknownZone> {
    // The same rule as the zone Asterisk writes CDR times in: the setting, else the host's.
    crate::calls::cdr_zone(name)
}

impl PortalBackend {
    /// A backend over `store` and the greeting files of the voicemail spool. Uploads are
    /// staged under `data_dir/uploads`.
    pub fn new(
        store: Store,
        greetings: Option<GreetingFiles>,
        data_dir: &std::path::Path,
        ari: watch::Receiver<ConnectionState>,
        agi: AgiStatus,
    ) -> Self {
        let (fax_progress, _) = broadcast::channel(FAX_PROGRESS_CAPACITY);
        Self {
            store,
            greetings,
            converter: Transcoder::default(),
            staging_dir: data_dir.join("uploads"),
            data_dir: data_dir.to_owned(),
            ari,
            agi,
            fax_progress,
            fax: None,
            fax_transfers: None,
            limits: PortalLimits::default(),
            voicemail: None,
            calls: None,
            call_handling_changed: None,
            user_prompts: None,
            default_zone: default_user_zone("")
                .unwrap_or_else(|_| Zone::utc())
                .name()
                .to_owned(),
        }
    }

    /// The zone of users who chose none of their own.
    pub fn with_default_zone(mut self, zone: &Zone) -> Self {
        self.default_zone = zone.name().to_owned();
        self
    }

    /// Lets users upload wakeup prompts of their own into `files`.
    pub fn with_user_prompts(mut self, files: UserPromptFiles) -> Self {
        self.user_prompts = Some(files);
        self
    }

    /// Bounds what one user may ask of the PBX (wakeups, follow-me size).
    pub fn with_limits(mut self, limits: PortalLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Lets the portal show and change the users' voicemail messages.
    pub fn with_voicemail(mut self, inbox: Inbox) -> Self {
        self.voicemail = Some(inbox);
        self
    }

    /// Lets the portal show the users' call history and recordings.
    pub fn with_calls(mut self, calls: CallsAccess) -> Self {
        self.calls = Some(calls);
        self
    }

    /// Tells `changed` after every call-handling change made in the portal.
    pub fn with_call_handling_changes(mut self, changed: Arc<tokio::sync::Notify>) -> Self {
        self.call_handling_changed = Some(changed);
        self
    }

    /// Lets the portal queue faxes and serve fax documents.
    pub fn with_fax(mut self, fax: FaxAccess) -> Self {
        self.fax = Some(fax);
        self
    }

    /// Lets the portal show the page a fax is on while it is sent (through the manager link).
    pub fn with_fax_transfers(mut self, transfers: FaxTransfers) -> Self {
        self.fax_transfers = Some(transfers);
        self
    }

    /// Where job changes go to reach the portal's live progress (see [`forward_fax_updates`]).
    pub fn fax_progress_sender(&self) -> broadcast::Sender<FaxJob> {
        self.fax_progress.clone()
    }

    /// Announces a changed fax job to the portal's live progress listeners.
    pub fn publish_fax_job(&self, job: FaxJob) {
        // No listener is not an error: nobody is watching that job right now.
        let _ = self.fax_progress.send(job);
    }

    pub fn into_shared(self) -> Arc<dyn Backend> {
        Arc::new(self)
    }
}

#[async_trait]
impl Backend for PortalBackend {
    async fn verify_login(&self, extension: &str, password: &str) -> BackendResult<Option<User>> {
        self.verify_login_impl(extension, password).await
    }

    async fn user(&self, extension: &str) -> BackendResult<Option<User>> {
        self.user_impl(extension).await
    }

    async fn create_session(
        &self,
        extension: &str,
        ttl: std::time::Duration,
    ) -> BackendResult<Session> {
        self.create_session_impl(extension, ttl).await
    }

    async fn session(&self, id: &str) -> BackendResult<Option<Session>> {
        self.session_impl(id).await
    }

    async fn delete_session(&self, id: &str) -> BackendResult<()> {
        self.delete_session_impl(id).await
    }

    async fn change_password(&self, extension: &str, old: &str, new: &str) -> BackendResult<()> {
        self.change_password_impl(extension, old, new).await
    }

    async fn end_other_sessions(&self, extension: &str, keep: &str) -> BackendResult<()> {
        self.end_other_sessions_impl(extension, keep).await
    }

    async fn set_email(&self, extension: &str, email: &str) -> BackendResult<()> {
        self.set_email_impl(extension, email).await
    }

    async fn end_walkthrough(&self, extension: &str) -> BackendResult<()> {
        self.store
            .set_walkthrough(extension, false)
            .await
            .map_err(errors::store)
    }

    async fn set_time_zone(&self, extension: &str, zone: &str) -> BackendResult<()> {
        self.set_time_zone_impl(extension, zone).await
    }

    async fn followme(&self, extension: &str) -> BackendResult<FollowMe> {
        self.followme_impl(extension).await
    }

    async fn set_followme(&self, extension: &str, followme: &FollowMe) -> BackendResult<()> {
        self.set_followme_impl(extension, followme).await
    }

    async fn call_handling(
        &self,
        extension: &str,
    ) -> BackendResult<ringside_portal::model::CallHandlingSettings> {
        self.call_handling_impl(extension).await
    }

    async fn set_call_handling(
        &self,
        extension: &str,
        settings: &ringside_portal::model::CallHandlingSettings,
    ) -> BackendResult<()> {
        self.set_call_handling_impl(extension, settings).await
    }

    async fn call_handling_status(
        &self,
        extension: &str,
    ) -> BackendResult<ringside_portal::model::CallHandlingStatus> {
        self.call_handling_status_impl(extension).await
    }

    async fn greetings(&self, extension: &str) -> BackendResult<GreetingsOverview> {
        self.greetings_impl(extension).await
    }

    async fn upload_greeting(
        &self,
        extension: &str,
        slot: GreetingSlot,
        file_name: &str,
        audio: Bytes,
    ) -> BackendResult<GreetingInfo> {
        self.upload_greeting_impl(extension, slot, file_name, audio)
            .await
    }

    async fn greeting_wav(&self, extension: &str, slot: GreetingSlot) -> BackendResult<Bytes> {
        self.greeting_wav_impl(extension, slot).await
    }

    async fn delete_greeting(&self, extension: &str, slot: GreetingSlot) -> BackendResult<()> {
        self.delete_greeting_impl(extension, slot).await
    }

    async fn wakeups(&self, extension: &str) -> BackendResult<Vec<Wakeup>> {
        self.wakeups_impl(extension).await
    }

    async fn wakeup(&self, id: WakeupId) -> BackendResult<Option<Wakeup>> {
        self.wakeup_impl(id).await
    }

    async fn create_wakeup(&self, extension: &str, spec: &WakeupSpec) -> BackendResult<Wakeup> {
        self.create_wakeup_impl(extension, spec).await
    }

    async fn update_wakeup(&self, id: WakeupId, spec: &WakeupSpec) -> BackendResult<Wakeup> {
        self.update_wakeup_impl(id, spec).await
    }

    async fn set_wakeup_enabled(&self, id: WakeupId, enabled: bool) -> BackendResult<Wakeup> {
        self.set_wakeup_enabled_impl(id, enabled).await
    }

    async fn delete_wakeup(&self, id: WakeupId) -> BackendResult<()> {
        self.delete_wakeup_impl(id).await
    }

    async fn wakeup_attempts(&self, id: WakeupId) -> BackendResult<Vec<WakeupAttempt>> {
        self.wakeup_attempts_impl(id).await
    }

    async fn wakeup_prompts(&self, extension: &str) -> BackendResult<Vec<PromptChoice>> {
        self.wakeup_prompts_impl(extension).await
    }

    async fn upload_wakeup_prompt(
        &self,
        extension: &str,
        typed: &str,
        file_name: &str,
        audio: Bytes,
    ) -> BackendResult<PromptChoice> {
        self.upload_wakeup_prompt_impl(extension, typed, file_name, audio)
            .await
    }

    async fn delete_wakeup_prompt(&self, extension: &str, own_name: &str) -> BackendResult<()> {
        self.delete_wakeup_prompt_impl(extension, own_name).await
    }

    async fn send_fax(
        &self,
        extension: &str,
        number: &str,
        document: FaxDocument,
    ) -> BackendResult<FaxJob> {
        self.send_fax_impl(extension, number, document).await
    }

    async fn fax_job(&self, id: FaxJobId) -> BackendResult<Option<FaxJob>> {
        self.fax_job_impl(id).await
    }

    fn fax_progress(&self) -> broadcast::Receiver<FaxJob> {
        self.fax_progress.subscribe()
    }

    async fn fax_transfer(&self, id: FaxJobId) -> BackendResult<Option<FaxTransfer>> {
        self.fax_transfer_impl(id).await
    }

    async fn sent_faxes(&self, extension: &str) -> BackendResult<Vec<FaxJob>> {
        self.sent_faxes_impl(extension).await
    }

    async fn received_faxes(&self, extension: &str) -> BackendResult<Vec<ReceivedFax>> {
        self.received_faxes_impl(extension).await
    }

    async fn received_fax(&self, id: ReceivedFaxId) -> BackendResult<Option<ReceivedFax>> {
        self.received_fax_impl(id).await
    }

    async fn sent_fax_document(&self, id: FaxJobId, format: FaxFormat) -> BackendResult<Bytes> {
        self.sent_fax_document_impl(id, format).await
    }

    async fn received_fax_document(
        &self,
        id: ReceivedFaxId,
        format: FaxFormat,
    ) -> BackendResult<Bytes> {
        self.received_fax_document_impl(id, format).await
    }

    async fn cancel_fax(&self, id: FaxJobId) -> BackendResult<FaxJob> {
        self.cancel_fax_impl(id).await
    }

    async fn resend_fax(&self, id: FaxJobId) -> BackendResult<FaxJob> {
        self.resend_fax_impl(id).await
    }

    async fn delete_sent_fax(&self, id: FaxJobId) -> BackendResult<()> {
        self.delete_fax_impl(id, Direction::Sent).await
    }

    async fn delete_received_fax(&self, id: ReceivedFaxId) -> BackendResult<()> {
        self.delete_fax_impl(id, Direction::Received).await
    }

    async fn list_users(&self, query: &UserQuery) -> BackendResult<UserPage> {
        self.list_users_impl(query).await
    }

    async fn create_user(&self, user: &NewUser) -> BackendResult<CreatedUser> {
        self.create_user_impl(user).await
    }

    async fn update_user(&self, extension: &str, update: &UserUpdate) -> BackendResult<User> {
        self.update_user_impl(extension, update).await
    }

    async fn import_users(&self, rows: &[ImportRow]) -> BackendResult<ImportReport> {
        self.import_users_impl(rows).await
    }

    async fn delete_user(&self, extension: &str) -> BackendResult<()> {
        self.delete_user_impl(extension).await
    }

    async fn suggest_extension(&self) -> BackendResult<Option<String>> {
        self.suggest_extension_impl().await
    }

    async fn reset_password(&self, extension: &str, new: Option<&str>) -> BackendResult<String> {
        self.reset_password_impl(extension, new).await
    }

    async fn access_defaults(&self) -> BackendResult<MenuAccess> {
        self.access_defaults_impl().await
    }

    async fn set_access_defaults(&self, access: &MenuAccess) -> BackendResult<()> {
        self.set_access_defaults_impl(access).await
    }

    async fn system_status(&self) -> BackendResult<SystemStatus> {
        self.system_status_impl().await
    }

    async fn voicemail(
        &self,
        extension: &str,
        query: &ringside_portal::model::VoicemailQuery,
    ) -> BackendResult<ringside_portal::model::VoicemailPage> {
        self.voicemail_impl(extension, query).await
    }

    async fn voicemail_message(
        &self,
        extension: &str,
        id: &str,
    ) -> BackendResult<ringside_portal::model::VoicemailMessage> {
        self.voicemail_message_impl(extension, id).await
    }

    async fn voicemail_audio(
        &self,
        extension: &str,
        id: &str,
    ) -> BackendResult<Box<dyn ringside_portal::model::VoicemailAudio>> {
        self.voicemail_audio_impl(extension, id).await
    }

    async fn move_voicemail(
        &self,
        extension: &str,
        id: &str,
        to: ringside_portal::model::VoicemailFolder,
    ) -> BackendResult<()> {
        self.move_voicemail_impl(extension, id, to).await
    }

    async fn mark_voicemail_read(
        &self,
        extension: &str,
        id: &str,
        read: bool,
    ) -> BackendResult<()> {
        self.mark_voicemail_read_impl(extension, id, read).await
    }

    async fn delete_voicemail(
        &self,
        extension: &str,
        ids: &[String],
    ) -> BackendResult<ringside_portal::model::VoicemailDeleteReport> {
        self.delete_voicemail_impl(extension, ids).await
    }

    async fn voicemail_new_count(&self, extension: &str) -> BackendResult<u32> {
        self.voicemail_new_count_impl(extension).await
    }

    async fn calls(&self, viewer: &CallViewer, query: &CallsQuery) -> BackendResult<CallsPage> {
        calls::list(self, viewer, query).await
    }

    async fn call_detail(
        &self,
        viewer: &CallViewer,
        tz: &str,
        id: &str,
    ) -> BackendResult<CallDetail> {
        calls::detail(self, viewer, tz, id).await
    }

    async fn call_recording(&self, viewer: &CallViewer, id: &str) -> BackendResult<CallFile> {
        calls::recording(self, viewer, id).await
    }

    async fn export_calls(
        &self,
        viewer: &CallViewer,
        filter: &CallsFilter,
        format: CallExportFormat,
    ) -> BackendResult<CallFile> {
        calls::export(self, viewer, filter, format).await
    }

    async fn replay_right(&self, extension: &str) -> BackendResult<ReplayRight> {
        calls::replay_right(self, extension).await
    }

    async fn set_replay_right(&self, extension: &str, right: ReplayRight) -> BackendResult<()> {
        calls::set_replay_right(self, extension, right).await
    }
}
