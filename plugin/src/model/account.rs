//! Users, their per-menu access levels and login sessions.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

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
}

impl User {
    /// Whether this user may hold a portal session right now.
    pub fn may_log_in(&self) -> bool {
        self.portal_enabled && !self.disabled
    }
}

/// The user menus that an administrator grants per user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Menu {
    Profile,
    Followme,
    Greetings,
    Wakeup,
    Fax,
}

impl Menu {
    pub const ALL: [Menu; 5] = [
        Menu::Profile,
        Menu::Followme,
        Menu::Greetings,
        Menu::Wakeup,
        Menu::Fax,
    ];

    /// The stable machine name (used in URLs, form fields and JSON).
    pub fn key(self) -> &'static str {
        match self {
            Menu::Profile => "profile",
            Menu::Followme => "followme",
            Menu::Greetings => "greetings",
            Menu::Wakeup => "wakeup",
            Menu::Fax => "fax",
        }
    }

    /// The label shown in navigation and on the admin pages.
    pub fn label(self) -> &'static str {
        match self {
            Menu::Profile => "Profile",
            Menu::Followme => "Follow-me",
            Menu::Greetings => "Greetings",
            Menu::Wakeup => "Wakeup calls",
            Menu::Fax => "Fax",
        }
    }
}

/// How much of a menu a user may use (IP Office style "No / Read / Write").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    /// The menu is hidden and its URLs answer 403.
    No,
    /// The menu is shown with its inputs disabled; every write answers 403.
    Read,
    Write,
}

impl Access {
    pub fn key(self) -> &'static str {
        match self {
            Access::No => "no",
            Access::Read => "read",
            Access::Write => "write",
        }
    }

    pub fn parse(s: &str) -> Option<Access> {
        match s {
            "no" => Some(Access::No),
            "read" => Some(Access::Read),
            "write" => Some(Access::Write),
            _ => None,
        }
    }
}

/// One access level per menu.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MenuAccess {
    pub profile: Access,
    pub followme: Access,
    pub greetings: Access,
    pub wakeup: Access,
    pub fax: Access,
}

impl MenuAccess {
    pub fn all(access: Access) -> MenuAccess {
        MenuAccess {
            profile: access,
            followme: access,
            greetings: access,
            wakeup: access,
            fax: access,
        }
    }

    pub fn get(&self, menu: Menu) -> Access {
        match menu {
            Menu::Profile => self.profile,
            Menu::Followme => self.followme,
            Menu::Greetings => self.greetings,
            Menu::Wakeup => self.wakeup,
            Menu::Fax => self.fax,
        }
    }

    pub fn set(&mut self, menu: Menu, access: Access) {
        match menu {
            Menu::Profile => self.profile = access,
            Menu::Followme => self.followme = access,
            Menu::Greetings => self.greetings = access,
            Menu::Wakeup => self.wakeup = access,
            Menu::Fax => self.fax = access,
        }
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
