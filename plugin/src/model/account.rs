//! Users and their login sessions (their menu access is in `access`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::access::MenuAccess;

/// A portal user, identified by their extension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// The extension number, kept as a string (a leading 0 matters).
    pub extension: String,
    pub name: String,
    /// Empty when the user has no email address.
    pub email: String,
    pub is_admin: bool,
    /// Whether the user may log in to the portal at all.
    pub portal_enabled: bool,
    /// A disabled user cannot log in and loses every open session at once.
    pub disabled: bool,
    pub access: MenuAccess,
    /// Granted by an administrator: the user's wakeup calls may ring other extensions (a
    /// front desk). Without it they ring only the user's own extension.
    #[serde(default)]
    pub wakeup_others: bool,
    /// The IANA zone every time is shown in for this user (their own, else the server's
    /// default); a new wakeup starts in it. Empty reads as UTC.
    #[serde(default)]
    pub time_zone: String,
    /// Set by an administrator: until the user changes their password, the portal offers them
    /// nothing else.
    #[serde(default)]
    pub must_change_password: bool,
    /// The first-login walk-through (new password, time zone, greeting, follow-me) is still to
    /// be shown: on for new users until they finish or skip it; an administrator may turn it
    /// off or on again.
    #[serde(default)]
    pub walkthrough: bool,
}

impl User {
    /// Whether this user may hold a portal session right now.
    pub fn may_log_in(&self) -> bool {
        self.portal_enabled && !self.disabled
    }
}

/// A login session. The backend creates it (random id and CSRF token) and stores it so that
/// sessions survive a daemon restart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// At least 256 random bits, hex or base64url; the value of the session cookie.
    pub id: String,
    pub extension: String,
    /// At least 256 random bits, hex or base64url; required on every state-changing request.
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}
