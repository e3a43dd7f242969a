//! Administration: user management, CSV import and system status.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{MenuAccess, User};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserQuery {
    /// Matched against extension, name and email; empty matches everybody.
    pub search: String,
    /// 1-based.
    pub page: u32,
    pub per_page: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserPage {
    pub users: Vec<User>,
    /// Number of users matching the search, over all pages.
    pub total: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum PasswordChoice {
    Set(String),
    /// The backend generates a random password and returns it once.
    Generate,
}

/// A user to create; menu access starts from the defaults for new users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewUser {
    pub extension: String,
    pub name: String,
    pub email: String,
    pub password: PasswordChoice,
    pub is_admin: bool,
    pub portal_enabled: bool,
    /// IANA zone name; empty (or left out) follows the server's default zone.
    #[serde(default)]
    pub time_zone: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedUser {
    pub user: User,
    /// Set when the password was generated; shown to the admin once.
    pub generated_password: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserUpdate {
    pub name: String,
    pub email: String,
    pub is_admin: bool,
    pub portal_enabled: bool,
    pub disabled: bool,
    pub access: MenuAccess,
    /// Wakeup calls for other extensions; `None` (or left out) keeps the current grant.
    #[serde(default)]
    pub wakeup_others: Option<bool>,
    /// The user's time zone (IANA name; empty: the server's default); `None` (or left out)
    /// keeps it.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// Make the user change their password at the next visit; `None` (or left out) keeps it.
    #[serde(default)]
    pub must_change_password: Option<bool>,
    /// Show the first-login walk-through at the next login, or not; `None` (or left out) keeps
    /// it.
    #[serde(default)]
    pub walkthrough: Option<bool>,
}

/// One well-formed CSV row (`extension,name,email,password|generate[,time_zone]`); `line` is
/// 1-based in the uploaded file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRow {
    pub line: u32,
    pub extension: String,
    pub name: String,
    pub email: String,
    pub password: PasswordChoice,
    /// IANA zone name; empty follows the server's default zone.
    #[serde(default)]
    pub time_zone: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportAccepted {
    pub line: u32,
    pub extension: String,
    pub generated_password: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRejected {
    pub line: u32,
    /// Empty when the row was too malformed to name one.
    pub extension: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ImportReport {
    pub accepted: Vec<ImportAccepted>,
    pub rejected: Vec<ImportRejected>,
}

/// State of a link to Asterisk, with the instant it last changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkStatus {
    pub up: bool,
    pub since: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemStatus {
    /// ARI WebSocket connected (or not) since.
    pub ari: LinkStatus,
    /// FastAGI listener accepting connections since.
    pub agi: LinkStatus,
    /// Address the FastAGI listener is bound to, e.g. `127.0.0.1:4573`.
    pub agi_listen: String,
    pub queued_fax_jobs: u64,
    pub pending_wakeups: u64,
    pub version: String,
}
