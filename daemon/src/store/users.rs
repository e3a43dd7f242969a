//! Users (extensions and portal admins): create, read, search, change, authenticate, delete.
//!
//! Passwords are only ever stored as argon2 hashes (see [`crate::store::passwords`]); hashing runs on a
//! blocking thread so it never stalls the async runtime. Portal sessions live in
//! `sessions.rs`, bulk import in `user_import.rs`.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use super::user_fields::{
    check_display_name, check_email, check_extension, check_login, check_time_zone,
};
use super::{Access, Menu, MenuAccess};
use super::{Store, StoreError, from_millis, to_millis};
use crate::store::passwords;

/// A user as the rest of the daemon sees it; the password hash never leaves the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    /// Login key: the extension number, or an admin's login name.
    pub extension: String,
    pub display_name: String,
    /// Empty when the user has none.
    pub email: String,
    pub has_password: bool,
    pub portal_enabled: bool,
    pub is_admin: bool,
    /// A disabled user cannot log in to the portal.
    pub enabled: bool,
    pub access: MenuAccess,
    /// IANA name of the user's own zone; empty follows the portal's default zone.
    pub time_zone: String,
    /// An administrator wants the user to choose a new password before anything else.
    pub must_change_password: bool,
    /// The portal's first-login walk-through is still to be shown.
    pub walkthrough: bool,
    pub created_at: DateTime<Utc>,
}

/// What is needed to create a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub extension: String,
    pub display_name: String,
    pub email: String,
    /// Plain password to hash; `None` leaves the user unable to log in until one is set.
    pub password: Option<String>,
    pub portal_enabled: bool,
    /// `None` takes the stored defaults for new users.
    pub access: Option<MenuAccess>,
    /// IANA zone name; empty follows the portal's default zone.
    pub time_zone: String,
}

impl NewUser {
    /// A user with a name and nothing else: no email, no password, portal off, default access.
    pub fn new(extension: impl Into<String>, display_name: impl Into<String>) -> Self {
        Self {
            extension: extension.into(),
            display_name: display_name.into(),
            email: String::new(),
            password: None,
            portal_enabled: false,
            access: None,
            time_zone: String::new(),
        }
    }
}

/// One page of a user search.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserQuery {
    /// Matches extension, name or email, case-insensitively, anywhere in the text.
    pub search: Option<String>,
    pub offset: u64,
    /// `0` means the default page size.
    pub limit: u64,
}

pub const DEFAULT_PAGE_SIZE: u64 = 50;
pub const MAX_PAGE_SIZE: u64 = 500;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserPage {
    pub users: Vec<User>,
    /// How many users match the search in total (for paging).
    pub total: u64,
}

// Dynamic SQL in this file is assembled only from constants (column lists, menu columns,
// placeholder numbers); every value goes through a bind parameter.
const USER_COLUMNS: &str = "extension, display_name, email, password_hash, portal_enabled, \
     is_admin, enabled, access_profile, access_followme, access_greetings, access_wakeup, \
     access_fax, access_voicemail, access_call_handling, access_calls, time_zone, must_change_password, walkthrough, created_at";

fn access_column(row: &AnyRow, menu: Menu) -> Result<Access, StoreError> {
    let text: String = row.try_get(access_column_name(menu))?;
    text.parse()
        .map_err(|e| StoreError::Corrupt(format!("{} of a user: {e}", access_column_name(menu))))
}

fn user_from_row(row: &AnyRow) -> Result<User, StoreError> {
    let hash: Option<String> = row.try_get("password_hash")?;
    Ok(User {
        extension: row.try_get("extension")?,
        display_name: row.try_get("display_name")?,
        email: row.try_get("email")?,
        has_password: hash.is_some_and(|h| !h.is_empty()),
        portal_enabled: row.try_get::<i64, _>("portal_enabled")? != 0,
        is_admin: row.try_get::<i64, _>("is_admin")? != 0,
        enabled: row.try_get::<i64, _>("enabled")? != 0,
        access: MenuAccess {
            profile: access_column(row, Menu::Profile)?,
            followme: access_column(row, Menu::Followme)?,
            greetings: access_column(row, Menu::Greetings)?,
            wakeup: access_column(row, Menu::Wakeup)?,
            fax: access_column(row, Menu::Fax)?,
            voicemail: access_column(row, Menu::Voicemail)?,
            call_handling: access_column(row, Menu::CallHandling)?,
            calls: access_column(row, Menu::Calls)?,
        },
        time_zone: row.try_get("time_zone")?,
        must_change_password: row.try_get::<i64, _>("must_change_password")? != 0,
        walkthrough: row.try_get::<i64, _>("walkthrough")? != 0,
        created_at: from_millis(row.try_get("created_at")?),
    })
}

/// Hashes on a blocking thread: argon2 takes tens of milliseconds of CPU by design.
pub(crate) async fn hash_off_runtime(password: String) -> Result<String, StoreError> {
    tokio::task::spawn_blocking(move || passwords::hash_password(&password))
        .await
        .map_err(|e| StoreError::Blocking(e.to_string()))?
        .map_err(StoreError::Password)
}

/// Turns a unique-key violation into [`StoreError::Conflict`] for `key`.
pub(crate) fn conflict_on_unique(err: sqlx::Error, key: &str) -> StoreError {
    match &err {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict {
            what: "user",
            key: key.to_owned(),
        },
        _ => StoreError::Db(err),
    }
}

pub(crate) fn not_found(key: &str) -> StoreError {
    StoreError::NotFound {
        what: "user",
        key: key.to_owned(),
    }
}

impl Store {
    /// Creates a user with an extension login (2–15 digits).
    pub async fn create_user(&self, new: &NewUser) -> Result<User, StoreError> {
        check_extension(&new.extension)?;
        self.insert_user(new, false).await
    }

    /// Creates a portal administrator. The login is an extension or a name (see
    /// [`check_login`]); the password is required, so no admin ever has a default one.
    pub async fn create_admin(
        &self,
        login: &str,
        display_name: &str,
        password: &str,
    ) -> Result<User, StoreError> {
        check_login(login)?;
        passwords::check_password_rules(password)?;
        let new = NewUser {
            extension: login.to_owned(),
            display_name: display_name.to_owned(),
            email: String::new(),
            password: Some(password.to_owned()),
            portal_enabled: true,
            access: Some(MenuAccess::all(Access::Write)),
            time_zone: String::new(),
        };
        self.insert_user(&new, true).await
    }

    async fn insert_user(&self, new: &NewUser, is_admin: bool) -> Result<User, StoreError> {
        check_display_name(&new.display_name)?;
        check_email(&new.email)?;
        let time_zone = check_time_zone(&new.time_zone)?;
        let hash = match &new.password {
            Some(p) => {
                passwords::check_password_rules(p)?;
                Some(hash_off_runtime(p.clone()).await?)
            }
            None => None,
        };
        let access = match new.access {
            Some(a) => a,
            None => self.default_access().await?,
        };
        let created_at = Utc::now();
        insert_user_row(
            self.pool(),
            &UserRow {
                extension: &new.extension,
                display_name: new.display_name.trim(),
                email: &new.email,
                password_hash: hash.as_deref(),
                portal_enabled: new.portal_enabled,
                is_admin,
                access,
                time_zone: &time_zone,
                created_at,
            },
        )
        .await?;
        self.user(&new.extension)
            .await?
            .ok_or_else(|| not_found(&new.extension))
    }

    /// Which of `numbers` are users' extensions, in one query.
    pub async fn known_extensions(
        &self,
        numbers: &[String],
    ) -> Result<std::collections::HashSet<String>, StoreError> {
        if numbers.is_empty() {
            return Ok(Default::default());
        }
        let sql = format!(
            "SELECT extension FROM users WHERE extension IN ({})",
            super::params::list(self.dialect(), numbers.len())
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for number in numbers {
            query = query.bind(number.clone());
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| row.try_get::<String, _>("extension").map_err(Into::into))
            .collect()
    }

    /// The user with this login, if any.
    pub async fn user(&self, extension: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users WHERE extension = $1"
        )))
        .bind(extension)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// Users matching `query.search`, ordered by extension (shorter numbers first), one page.
    pub async fn list_users(&self, query: &UserQuery) -> Result<UserPage, StoreError> {
        let limit = match query.limit {
            0 => DEFAULT_PAGE_SIZE,
            n => n.min(MAX_PAGE_SIZE),
        };
        let pattern = query
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(like_pattern);
        let filter = if pattern.is_some() {
            "WHERE LOWER(extension) LIKE $1 ESCAPE '\\' OR LOWER(display_name) LIKE $1 ESCAPE '\\' \
             OR LOWER(email) LIKE $1 ESCAPE '\\'"
        } else {
            ""
        };
        let (limit_param, offset_param) = if pattern.is_some() {
            ("$2", "$3")
        } else {
            ("$1", "$2")
        };
        let offset = i64::try_from(query.offset).unwrap_or(i64::MAX);
        let page_sql = format!(
            "SELECT {USER_COLUMNS} FROM users {filter} \
             ORDER BY LENGTH(extension), extension LIMIT {limit_param} OFFSET {offset_param}"
        );
        let count_sql = format!("SELECT COUNT(*) AS n FROM users {filter}");

        let mut page = sqlx::query(AssertSqlSafe(page_sql));
        let mut count = sqlx::query(AssertSqlSafe(count_sql));
        if let Some(p) = &pattern {
            page = page.bind(p.clone());
            count = count.bind(p.clone());
        }
        let rows = page
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .bind(offset)
            .fetch_all(self.pool())
            .await?;
        let total: i64 = count.fetch_one(self.pool()).await?.try_get("n")?;
        Ok(UserPage {
            users: rows.iter().map(user_from_row).collect::<Result<_, _>>()?,
            total: u64::try_from(total).unwrap_or(0),
        })
    }

    /// Changes the user's display name and email.
    pub async fn update_user_profile(
        &self,
        extension: &str,
        display_name: &str,
        email: &str,
    ) -> Result<(), StoreError> {
        check_display_name(display_name)?;
        check_email(email)?;
        let done =
            sqlx::query("UPDATE users SET display_name = $1, email = $2 WHERE extension = $3")
                .bind(display_name.trim())
                .bind(email)
                .bind(extension)
                .execute(self.pool())
                .await?;
        found(done.rows_affected(), extension)
    }

    /// Sets the user's own time zone (an IANA name, stored in its canonical spelling); empty
    /// makes the user follow the portal's default zone again.
    pub async fn set_user_time_zone(&self, extension: &str, zone: &str) -> Result<(), StoreError> {
        let zone = check_time_zone(zone)?;
        let done = sqlx::query("UPDATE users SET time_zone = $1 WHERE extension = $2")
            .bind(zone)
            .bind(extension)
            .execute(self.pool())
            .await?;
        found(done.rows_affected(), extension)
    }

    /// Makes the user choose a new password at their next portal visit, or lifts that.
    pub async fn set_must_change_password(
        &self,
        extension: &str,
        on: bool,
    ) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE users SET must_change_password = $1 WHERE extension = $2")
            .bind(i64::from(on))
            .bind(extension)
            .execute(self.pool())
            .await?;
        found(done.rows_affected(), extension)
    }

    /// Turns the portal's first-login walk-through on (shown at the next login) or off.
    pub async fn set_walkthrough(&self, extension: &str, on: bool) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE users SET walkthrough = $1 WHERE extension = $2")
            .bind(i64::from(on))
            .bind(extension)
            .execute(self.pool())
            .await?;
        found(done.rows_affected(), extension)
    }

    /// Sets a new password (checked against the password rules, stored as an argon2 hash).
    pub async fn set_password(&self, extension: &str, password: &str) -> Result<(), StoreError> {
        passwords::check_password_rules(password)?;
        let hash = hash_off_runtime(password.to_owned()).await?;
        let done = sqlx::query("UPDATE users SET password_hash = $1 WHERE extension = $2")
            .bind(hash)
            .bind(extension)
            .execute(self.pool())
            .await?;
        found(done.rows_affected(), extension)
    }

    /// The user, when `password` is theirs and the user is enabled. Unknown login, missing
    /// password, wrong password and disabled user all give the same
    /// [`StoreError::InvalidCredentials`] after the same argon2 work, so the answer reveals
    /// nothing about which logins exist.
    pub async fn verify_password(
        &self,
        extension: &str,
        password: &str,
    ) -> Result<User, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users WHERE extension = $1"
        )))
        .bind(extension)
        .fetch_optional(self.pool())
        .await?;
        let (user, hash) = match &row {
            Some(row) => (
                Some(user_from_row(row)?),
                row.try_get::<Option<String>, _>("password_hash")?,
            ),
            None => (None, None),
        };
        let hash_known = hash.is_some();
        let hash = hash.unwrap_or_else(|| passwords::decoy_hash().to_owned());
        let password = password.to_owned();
        let matches =
            tokio::task::spawn_blocking(move || passwords::verify_password(&hash, &password))
                .await
                .map_err(|e| StoreError::Blocking(e.to_string()))?;
        match user {
            Some(user) if matches && hash_known && user.enabled => Ok(user),
            _ => Err(StoreError::InvalidCredentials),
        }
    }

    pub async fn set_portal_enabled(&self, extension: &str, on: bool) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE users SET portal_enabled = $1 WHERE extension = $2")
            .bind(i64::from(on))
            .bind(extension)
            .execute(self.pool())
            .await?;
        found(done.rows_affected(), extension)
    }

    /// Grants or withdraws portal administration.
    pub async fn set_admin(&self, extension: &str, on: bool) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE users SET is_admin = $1 WHERE extension = $2")
            .bind(i64::from(on))
            .bind(extension)
            .execute(self.pool())
            .await?;
        found(done.rows_affected(), extension)
    }

    /// Sets the user's access to one menu.
    pub async fn set_menu_access(
        &self,
        extension: &str,
        menu: Menu,
        access: Access,
    ) -> Result<(), StoreError> {
        let sql = format!(
            "UPDATE users SET {} = $1 WHERE extension = $2",
            access_column_name(menu)
        );
        let done = sqlx::query(AssertSqlSafe(sql))
            .bind(access.key())
            .bind(extension)
            .execute(self.pool())
            .await?;
        found(done.rows_affected(), extension)
    }

    /// Sets the user's access to every menu at once.
    pub async fn set_access(&self, extension: &str, access: &MenuAccess) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE users SET access_profile = $1, access_followme = $2, access_greetings = $3, \
             access_wakeup = $4, access_fax = $5, access_voicemail = $6, \
             access_call_handling = $7, access_calls = $8 WHERE extension = $9",
        )
        .bind(access.profile.key())
        .bind(access.followme.key())
        .bind(access.greetings.key())
        .bind(access.wakeup.key())
        .bind(access.fax.key())
        .bind(access.voicemail.key())
        .bind(access.call_handling.key())
        .bind(access.calls.key())
        .bind(extension)
        .execute(self.pool())
        .await?;
        found(done.rows_affected(), extension)
    }

    /// Enables or disables the user. Disabling also ends the user's portal sessions.
    pub async fn set_user_enabled(&self, extension: &str, on: bool) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        let done = sqlx::query("UPDATE users SET enabled = $1 WHERE extension = $2")
            .bind(i64::from(on))
            .bind(extension)
            .execute(&mut *tx)
            .await?;
        found(done.rows_affected(), extension)?;
        if !on {
            sqlx::query("DELETE FROM portal_sessions WHERE extension = $1")
                .bind(extension)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// An extension nobody has, following the highest in use (see
    /// [`super::user_fields::next_extension`]).
    pub async fn suggest_extension(&self) -> Result<Option<String>, StoreError> {
        let rows = sqlx::query("SELECT extension FROM users")
            .fetch_all(self.pool())
            .await?;
        let extensions: Vec<String> = rows
            .iter()
            .map(|r| r.try_get("extension"))
            .collect::<Result<_, _>>()?;
        Ok(super::user_fields::next_extension(
            extensions.iter().map(String::as_str),
        ))
    }

    /// Deletes the user and, through foreign keys, everything that hangs off it.
    pub async fn delete_user(&self, extension: &str) -> Result<(), StoreError> {
        let done = sqlx::query("DELETE FROM users WHERE extension = $1")
            .bind(extension)
            .execute(self.pool())
            .await?;
        found(done.rows_affected(), extension)
    }
}

fn found(rows: u64, extension: &str) -> Result<(), StoreError> {
    if rows == 0 {
        Err(not_found(extension))
    } else {
        Ok(())
    }
}

/// `%text%`, lowercased, with LIKE's wildcards in `text` escaped so they match literally.
fn like_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// A fully checked user row, ready to insert.
pub(crate) struct UserRow<'a> {
    pub extension: &'a str,
    pub display_name: &'a str,
    pub email: &'a str,
    pub password_hash: Option<&'a str>,
    pub portal_enabled: bool,
    pub is_admin: bool,
    pub access: MenuAccess,
    /// Already checked with [`check_time_zone`].
    pub time_zone: &'a str,
    pub created_at: DateTime<Utc>,
}

pub(crate) async fn insert_user_row<'e, E>(executor: E, row: &UserRow<'_>) -> Result<(), StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO users (extension, display_name, email, password_hash, portal_enabled, \
         is_admin, enabled, access_profile, access_followme, access_greetings, access_wakeup, \
         access_fax, access_voicemail, access_call_handling, access_calls, time_zone, \
         created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
    )
    .bind(row.extension)
    .bind(row.display_name)
    .bind(row.email)
    .bind(row.password_hash)
    .bind(i64::from(row.portal_enabled))
    .bind(i64::from(row.is_admin))
    .bind(row.access.profile.key())
    .bind(row.access.followme.key())
    .bind(row.access.greetings.key())
    .bind(row.access.wakeup.key())
    .bind(row.access.fax.key())
    .bind(row.access.voicemail.key())
    .bind(row.access.call_handling.key())
    .bind(row.access.calls.key())
    .bind(row.time_zone)
    .bind(to_millis(row.created_at))
    .execute(executor)
    .await
    .map_err(|e| conflict_on_unique(e, row.extension))?;
    Ok(())
}

/// The `users` column holding a menu's access.
fn access_column_name(menu: Menu) -> &'static str {
    match menu {
        Menu::Profile => "access_profile",
        Menu::Followme => "access_followme",
        Menu::Greetings => "access_greetings",
        Menu::Wakeup => "access_wakeup",
        Menu::Fax => "access_fax",
        Menu::Voicemail => "access_voicemail",
        Menu::CallHandling => "access_call_handling",
        Menu::Calls => "access_calls",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_pattern_escapes_wildcards_and_lowercases() {
        assert_eq!(like_pattern("Al_i%"), "%al\\_i\\%%");
    }
}
