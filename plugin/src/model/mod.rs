//! The portal's API types: plain serde data exchanged between the pages, the JSON API and the
//! [`Backend`](crate::Backend). They carry no behaviour beyond small, pure helpers and know
//! nothing of how the backend stores them.

mod access;
mod account;
mod admin;
mod call_handling;
mod calls;
mod fax;
mod followme;
mod greetings;
mod voicemail;
mod wakeup;

pub use access::{Access, BadAccess, BadMenu, Menu, MenuAccess};
pub use account::{Session, User};
pub use admin::{
    CreatedUser, ImportAccepted, ImportRejected, ImportReport, ImportRow, LinkStatus, NewUser,
    PasswordChoice, SystemStatus, UserPage, UserQuery, UserUpdate,
};
pub use call_handling::{
    CallHandlingSettings, CallHandlingStatus, ForwardSetting, TimeRuleSetting,
};
pub use calls::{
    CallDetail, CallDirection, CallEntry, CallExportFormat, CallFile, CallRecord,
    CallRecordingInfo, CallStatus, CallViewer, CallsFilter, CallsPage, CallsQuery, ReplayRight,
    is_number_filter,
};
pub use fax::{
    FaxDocument, FaxDocumentKind, FaxFormat, FaxJob, FaxJobId, FaxProgress, FaxState, FaxTransfer,
    ReceivedFax, ReceivedFaxId,
};
pub use followme::{CallerIdChoice, FollowMe, FollowMeStep};
pub use greetings::{CallReason, GreetingInfo, GreetingSlot, GreetingsOverview, HeardNow};
pub use voicemail::{
    FolderCount, VoicemailAudio, VoicemailDeleteReport, VoicemailFolder, VoicemailMessage,
    VoicemailPage, VoicemailQuery,
};
pub use wakeup::{
    DEFAULT_WAKEUP_PROMPT, OWN_PROMPT_NAME_MAX, PromptChoice, Wakeup, WakeupAttempt, WakeupCalls,
    WakeupId, WakeupOutcome, WakeupSchedule, WakeupSpec, is_own_prompt_name, own_prompt_name,
};
