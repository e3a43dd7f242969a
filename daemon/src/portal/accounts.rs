//! Accounts and sessions for the portal: login check, the user record as the portal sees it,
//! sessions kept in the store, own password and email. Not here: rate limiting, cookies and
//! CSRF checks (the portal crate), or user administration (`admin.rs`).

use chrono::Utc;
use ringside_portal::model::{self as api, Session};
use ringside_portal::{BackendError, BackendResult};

use super::PortalBackend;
use super::errors;
use crate::store::{self, PortalSession, StoreError, passwords};

/// The stored user as the portal sees it; a user who chose no zone of their own has
/// `default_zone`.
pub fn user_to_api(user: store::User, default_zone: &str) -> api::User {
    let time_zone = if user.time_zone.is_empty() {
        default_zone.to_owned()
    } else {
        user.time_zone
    };
    api::User {
        extension: user.extension,
        name: user.display_name,
        email: user.email,
        is_admin: user.is_admin,
        portal_enabled: user.portal_enabled,
        disabled: !user.enabled,
        access: user.access,
        // Kept apart from the user row; filled in by [`PortalBackend::with_grants`].
        wakeup_others: false,
        time_zone,
        must_change_password: user.must_change_password,
        walkthrough: user.walkthrough,
    }
}

fn session_to_api(session: PortalSession) -> Session {
    Session {
        id: session.id,
        extension: session.extension,
        csrf_token: session.csrf_token,
        created_at: session.created_at,
        expires_at: session.expires_at,
    }
}

impl PortalBackend {
    pub(super) async fn verify_login_impl(
        &self,
        extension: &str,
        password: &str,
    ) -> BackendResult<Option<api::User>> {
        match self.store.verify_password(extension, password).await {
            Ok(user) => Ok(Some(user_to_api(user, &self.default_zone))),
            Err(StoreError::InvalidCredentials) => Ok(None),
            Err(err) => Err(errors::store(err)),
        }
    }

    pub(super) async fn user_impl(&self, extension: &str) -> BackendResult<Option<api::User>> {
        let user = self.store.user(extension).await.map_err(errors::store)?;
        match user {
            Some(user) => Ok(Some(
                self.with_grants(user_to_api(user, &self.default_zone))
                    .await?,
            )),
            None => Ok(None),
        }
    }

    /// The user with the grants an administrator gave them.
    pub(super) async fn with_grants(&self, mut user: api::User) -> BackendResult<api::User> {
        user.wakeup_others = self
            .store
            .may_wake_others(&user.extension)
            .await
            .map_err(errors::store)?;
        Ok(user)
    }

    pub(super) async fn create_session_impl(
        &self,
        extension: &str,
        ttl: std::time::Duration,
    ) -> BackendResult<Session> {
        let ttl = chrono::Duration::from_std(ttl)
            .map_err(|_| BackendError::Internal(format!("session lifetime {ttl:?} too long")))?;
        let session = self
            .store
            .create_session(extension, ttl, Utc::now())
            .await
            .map_err(errors::store)?;
        Ok(session_to_api(session))
    }

    pub(super) async fn session_impl(&self, id: &str) -> BackendResult<Option<Session>> {
        // The store leaves expired sessions out; the portal treats both alike.
        let session = self
            .store
            .session(id, Utc::now())
            .await
            .map_err(errors::store)?;
        Ok(session.map(session_to_api))
    }

    pub(super) async fn delete_session_impl(&self, id: &str) -> BackendResult<()> {
        self.store
            .delete_session(id)
            .await
            .map(|_| ())
            .map_err(errors::store)
    }

    pub(super) async fn change_password_impl(
        &self,
        extension: &str,
        old: &str,
        new: &str,
    ) -> BackendResult<()> {
        // The new password's rules first: refusing it after checking the old one would tell a
        // guesser that the old one was right without the guess being counted as a success.
        passwords::check_password_rules(new)
            .map_err(|e| errors::from_store(StoreError::Password(e), "new_password"))?;
        self.store
            .verify_password(extension, old)
            .await
            .map_err(errors::store)?;
        self.store
            .set_password(extension, new)
            .await
            .map_err(|e| errors::from_store(e, "new_password"))?;
        // The change an administrator asked for is made.
        self.store
            .set_must_change_password(extension, false)
            .await
            .map_err(errors::store)
    }

    pub(super) async fn end_other_sessions_impl(
        &self,
        extension: &str,
        keep: &str,
    ) -> BackendResult<()> {
        self.store
            .delete_user_sessions_except(extension, keep)
            .await
            .map(|_| ())
            .map_err(errors::store)
    }

    pub(super) async fn set_email_impl(&self, extension: &str, email: &str) -> BackendResult<()> {
        let user = self
            .store
            .user(extension)
            .await
            .map_err(errors::store)?
            .ok_or(BackendError::NotFound)?;
        self.store
            .update_user_profile(extension, &user.display_name, email.trim())
            .await
            .map_err(errors::store)
    }

    pub(super) async fn set_time_zone_impl(
        &self,
        extension: &str,
        zone: &str,
    ) -> BackendResult<()> {
        self.store
            .set_user_time_zone(extension, zone)
            .await
            .map_err(errors::store)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disabled_store_user_is_disabled_for_the_portal() {
        let user = store::User {
            extension: "201".into(),
            display_name: "Alice".into(),
            email: String::new(),
            has_password: true,
            portal_enabled: true,
            is_admin: false,
            enabled: false,
            access: store::MenuAccess::all(store::Access::Read),
            time_zone: String::new(),
            must_change_password: false,
            walkthrough: false,
            created_at: Utc::now(),
        };
        let api = user_to_api(user, "UTC");
        assert!(api.disabled);
        assert!(!api.may_log_in());
        assert_eq!(api.access, api::MenuAccess::all(api::Access::Read));
    }

    #[test]
    fn user_without_a_zone_of_their_own_gets_the_default_zone() {
        let user = store::User {
            extension: "201".into(),
            display_name: "Alice".into(),
            email: String::new(),
            has_password: true,
            portal_enabled: true,
            is_admin: false,
            enabled: true,
            access: store::MenuAccess::all(store::Access::Read),
            time_zone: String::new(),
            must_change_password: false,
            walkthrough: false,
            created_at: Utc::now(),
        };
        let chosen = store::User {
            time_zone: "Asia/Tokyo".into(),
            ..user.clone()
        };
        assert_eq!(
            user_to_api(user, "Europe/Berlin").time_zone,
            "Europe/Berlin"
        );
        assert_eq!(user_to_api(chosen, "Europe/Berlin").time_zone, "Asia/Tokyo");
    }
}
