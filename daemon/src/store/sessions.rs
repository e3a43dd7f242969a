//! Portal login sessions, kept in the database so they survive a daemon restart.
//!
//! A session id and its CSRF token are each 256 random bits. Only a digest of the id is
//! stored (see [`passwords::token_digest`]), so reading the table does not let anyone log in. Every function takes the current
//! instant as `now`, so expiry is decided by the caller's clock and tested without sleeping.
//! Cookies, rate limiting and CSRF checks are the portal's job, not this module's.

use chrono::{DateTime, Duration, Utc};
use sqlx::Row;

use super::users::not_found;
use super::{Store, StoreError, from_millis, to_millis};
use crate::store::passwords;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalSession {
    /// Secret value of the session cookie.
    pub id: String,
    /// The logged-in user's login (extension or admin name).
    pub extension: String,
    /// Must come back with every state-changing request.
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl Store {
    /// Starts a session for an existing user, valid until `now + ttl`.
    pub async fn create_session(
        &self,
        extension: &str,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Result<PortalSession, StoreError> {
        let session = PortalSession {
            id: passwords::random_token(),
            extension: extension.to_owned(),
            csrf_token: passwords::random_token(),
            created_at: now,
            expires_at: now + ttl,
        };
        let inserted = sqlx::query(
            "INSERT INTO portal_sessions (id, extension, csrf_token, created_at, expires_at) \
             SELECT $1, extension, $2, $3, $4 FROM users WHERE extension = $5",
        )
        .bind(passwords::token_digest(&session.id))
        .bind(&session.csrf_token)
        .bind(to_millis(session.created_at))
        .bind(to_millis(session.expires_at))
        .bind(extension)
        .execute(self.pool())
        .await?;
        if inserted.rows_affected() == 0 {
            return Err(not_found(extension));
        }
        Ok(session)
    }

    /// The session with this id, when it has not expired at `now`.
    pub async fn session(
        &self,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<PortalSession>, StoreError> {
        let row = sqlx::query(
            "SELECT extension, csrf_token, created_at, expires_at FROM portal_sessions \
             WHERE id = $1 AND expires_at > $2",
        )
        .bind(passwords::token_digest(id))
        .bind(to_millis(now))
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(PortalSession {
            id: id.to_owned(),
            extension: row.try_get("extension")?,
            csrf_token: row.try_get("csrf_token")?,
            created_at: from_millis(row.try_get("created_at")?),
            expires_at: from_millis(row.try_get("expires_at")?),
        }))
    }

    /// Extends a live session to `now + ttl`; false when it is unknown or already expired.
    pub async fn touch_session(
        &self,
        id: &str,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE portal_sessions SET expires_at = $1 WHERE id = $2 AND expires_at > $3",
        )
        .bind(to_millis(now + ttl))
        .bind(passwords::token_digest(id))
        .bind(to_millis(now))
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Ends one session (logout); true when it existed.
    pub async fn delete_session(&self, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM portal_sessions WHERE id = $1")
            .bind(passwords::token_digest(id))
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Ends every session of a user (password reset, "log out everywhere"); returns how many.
    pub async fn delete_user_sessions(&self, extension: &str) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM portal_sessions WHERE extension = $1")
            .bind(extension)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }

    /// Ends every session of a user but the one with id `keep` (a password change: the user
    /// stays logged in where they changed it); returns how many ended.
    pub async fn delete_user_sessions_except(
        &self,
        extension: &str,
        keep: &str,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM portal_sessions WHERE extension = $1 AND id <> $2")
            .bind(extension)
            .bind(passwords::token_digest(keep))
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }

    /// Removes sessions that expired before `now`; returns how many.
    pub async fn delete_expired_sessions(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM portal_sessions WHERE expires_at <= $1")
            .bind(to_millis(now))
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }
}
