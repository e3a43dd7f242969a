//! Per-menu portal access, IP Office style: no / read / write for each user menu. The one
//! definition of these types: the portal enforces them, the daemon's store keeps them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The user menus that an administrator grants per user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Menu {
    Profile,
    Followme,
    Greetings,
    Wakeup,
    Fax,
    Voicemail,
    #[serde(rename = "call_handling")]
    CallHandling,
    Calls,
}

impl Menu {
    pub const ALL: [Menu; 8] = [
        Menu::Profile,
        Menu::Followme,
        Menu::Greetings,
        Menu::Wakeup,
        Menu::Fax,
        Menu::Voicemail,
        Menu::CallHandling,
        Menu::Calls,
    ];

    /// The stable machine name (used in URLs, form fields, JSON and the database).
    pub fn key(self) -> &'static str {
        match self {
            Menu::Profile => "profile",
            Menu::Followme => "followme",
            Menu::Greetings => "greetings",
            Menu::Wakeup => "wakeup",
            Menu::Fax => "fax",
            Menu::Voicemail => "voicemail",
            Menu::CallHandling => "call_handling",
            Menu::Calls => "calls",
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
            Menu::Voicemail => "Voicemail",
            Menu::CallHandling => "Call handling",
            Menu::Calls => "Call history",
        }
    }
}

impl fmt::Display for Menu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "menu {0:?} is not one of profile, followme, greetings, wakeup, fax, voicemail, call_handling, calls"
)]
pub struct BadMenu(pub String);

impl FromStr for Menu {
    type Err = BadMenu;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Menu::ALL
            .into_iter()
            .find(|m| m.key() == s)
            .ok_or_else(|| BadMenu(s.to_owned()))
    }
}

/// How much of a menu a user may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    /// The menu is hidden and its URLs answer 403.
    No,
    /// The menu is shown with its inputs disabled; every write answers 403.
    Read,
    /// Full use.
    Write,
}

impl Access {
    pub const ALL: [Access; 3] = [Access::No, Access::Read, Access::Write];

    /// The stable machine name (forms, JSON, the database).
    pub fn key(self) -> &'static str {
        match self {
            Access::No => "no",
            Access::Read => "read",
            Access::Write => "write",
        }
    }

    /// Reads a machine name; `None` for anything else (case matters).
    pub fn parse(s: &str) -> Option<Access> {
        Access::ALL.into_iter().find(|a| a.key() == s)
    }

    pub fn can_read(self) -> bool {
        self >= Access::Read
    }

    pub fn can_write(self) -> bool {
        self == Access::Write
    }
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("access {0:?} is not one of no, read, write")]
pub struct BadAccess(pub String);

impl FromStr for Access {
    type Err = BadAccess;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Access::parse(s).ok_or_else(|| BadAccess(s.to_owned()))
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
    /// Missing from defaults saved before the menu existed: full access, as every menu starts.
    #[serde(default = "write_access")]
    pub voicemail: Access,
    /// Missing from defaults saved before the menu existed: full access, as every menu starts.
    #[serde(default = "write_access")]
    pub call_handling: Access,
    /// Missing from defaults saved before the menu existed: full access, as every menu starts.
    #[serde(default = "write_access")]
    pub calls: Access,
}

fn write_access() -> Access {
    Access::Write
}

impl MenuAccess {
    /// The same access to every menu.
    pub const fn all(access: Access) -> MenuAccess {
        MenuAccess {
            profile: access,
            followme: access,
            greetings: access,
            wakeup: access,
            fax: access,
            voicemail: access,
            call_handling: access,
            calls: access,
        }
    }

    pub fn get(&self, menu: Menu) -> Access {
        match menu {
            Menu::Profile => self.profile,
            Menu::Followme => self.followme,
            Menu::Greetings => self.greetings,
            Menu::Wakeup => self.wakeup,
            Menu::Fax => self.fax,
            Menu::Voicemail => self.voicemail,
            Menu::CallHandling => self.call_handling,
            Menu::Calls => self.calls,
        }
    }

    pub fn set(&mut self, menu: Menu, access: Access) {
        let slot = match menu {
            Menu::Profile => &mut self.profile,
            Menu::Followme => &mut self.followme,
            Menu::Greetings => &mut self.greetings,
            Menu::Wakeup => &mut self.wakeup,
            Menu::Fax => &mut self.fax,
            Menu::Voicemail => &mut self.voicemail,
            Menu::CallHandling => &mut self.call_handling,
            Menu::Calls => &mut self.calls,
        };
        *slot = access;
    }
}

/// Until an admin changes the defaults, new users may use every menu.
impl Default for MenuAccess {
    fn default() -> Self {
        Self::all(Access::Write)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_parses_its_own_names() {
        for a in Access::ALL {
            assert_eq!(a.key().parse::<Access>(), Ok(a));
        }
    }

    #[test]
    fn unknown_access_name_is_rejected_by_value() {
        let err = "Write".parse::<Access>().expect_err("case matters");
        assert!(err.to_string().contains("\"Write\""), "{err}");
    }

    #[test]
    fn read_access_can_read_but_not_write() {
        assert!(Access::Read.can_read());
        assert!(!Access::Read.can_write());
        assert!(!Access::No.can_read());
        assert!(Access::Write.can_read() && Access::Write.can_write());
    }

    #[test]
    fn menu_parses_its_own_names() {
        for m in Menu::ALL {
            assert_eq!(m.key().parse::<Menu>(), Ok(m));
        }
        assert!("billing".parse::<Menu>().is_err());
    }

    #[test]
    fn setting_one_menu_leaves_the_others() {
        let mut access = MenuAccess::all(Access::Write);
        access.set(Menu::Fax, Access::No);
        assert_eq!(access.get(Menu::Fax), Access::No);
        for m in [Menu::Profile, Menu::Followme, Menu::Greetings, Menu::Wakeup] {
            assert_eq!(access.get(m), Access::Write);
        }
    }

    #[test]
    fn defaults_saved_before_the_voicemail_menu_give_it_full_access() {
        let old =
            r#"{"profile":"write","followme":"read","greetings":"no","wakeup":"write","fax":"no"}"#;
        let access: MenuAccess = serde_json::from_str(old).expect("old document");
        assert_eq!(access.voicemail, Access::Write);
        assert_eq!(access.greetings, Access::No);
    }

    #[test]
    fn defaults_saved_before_the_call_handling_menu_give_it_full_access() {
        let old = r#"{"profile":"write","followme":"read","greetings":"no","wakeup":"write","fax":"no","voicemail":"read"}"#;
        let access: MenuAccess = serde_json::from_str(old).expect("old document");
        assert_eq!(access.call_handling, Access::Write);
    }

    #[test]
    fn defaults_saved_before_the_call_history_menu_give_it_full_access() {
        let old = r#"{"profile":"write","followme":"read","greetings":"no","wakeup":"write","fax":"no","voicemail":"read"}"#;
        let access: MenuAccess = serde_json::from_str(old).expect("old document");
        assert_eq!(access.calls, Access::Write);
        assert_eq!(access.voicemail, Access::Read);
    }

    #[test]
    fn call_handling_menu_key_is_snake_case_everywhere() {
        assert_eq!(Menu::CallHandling.key(), "call_handling");
        assert_eq!(
            serde_json::to_string(&Menu::CallHandling).expect("json"),
            "\"call_handling\""
        );
    }

    #[test]
    fn access_serializes_lowercase() {
        let json = serde_json::to_string(&MenuAccess::all(Access::Read)).expect("json");
        assert!(json.contains("\"followme\":\"read\""), "{json}");
    }
}
