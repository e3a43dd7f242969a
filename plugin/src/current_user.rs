//! The logged-in user of a request, with their session and what they may do with each menu.
//! Plain data: loading it from the session cookie and the extractor are `auth`'s.

use crate::model::{Access, Menu, Session, User};

/// The logged-in user of this request, with their session.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: User,
    pub session: Session,
}

impl CurrentUser {
    pub fn access(&self, menu: Menu) -> Access {
        self.user.access.get(menu)
    }

    pub fn can_write(&self, menu: Menu) -> bool {
        self.access(menu) == Access::Write
    }

    pub fn extension(&self) -> &str {
        &self.user.extension
    }
}
