//! System-wide settings kept as key/value rows (values are JSON), such as the menu access new
//! users start with. Not the daemon's configuration file: these are changed from the portal.

use sqlx::Row;

use super::MenuAccess;
use super::{Store, StoreError};

const DEFAULT_ACCESS_KEY: &str = "default_access";

impl Store {
    /// The menu access given to users created without an explicit one.
    pub async fn default_access(&self) -> Result<MenuAccess, StoreError> {
        let row = sqlx::query("SELECT value FROM settings WHERE key = $1")
            .bind(DEFAULT_ACCESS_KEY)
            .fetch_optional(self.pool())
            .await?;
        let Some(row) = row else {
            return Ok(MenuAccess::default());
        };
        let json: String = row.try_get("value")?;
        serde_json::from_str(&json)
            .map_err(|e| StoreError::Corrupt(format!("setting {DEFAULT_ACCESS_KEY}: {e}")))
    }

    /// Changes the access given to users created from now on; existing users keep theirs.
    pub async fn set_default_access(&self, access: &MenuAccess) -> Result<(), StoreError> {
        let json = serde_json::to_string(access)
            .map_err(|e| StoreError::Corrupt(format!("setting {DEFAULT_ACCESS_KEY}: {e}")))?;
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(DEFAULT_ACCESS_KEY)
        .bind(json)
        .execute(self.pool())
        .await?;
        Ok(())
    }
}
