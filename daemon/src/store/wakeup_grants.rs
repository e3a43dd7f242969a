//! Which users may schedule wakeup calls to extensions other than their own (a hotel front
//! desk, a care home's night desk). An administrator grants it; everyone else's wakeups call
//! only their own extension. Only the grant is stored here; the portal enforces it.

use super::users::not_found;
use super::{Store, StoreError};

impl Store {
    /// Whether `extension` may make wakeup calls ring other extensions.
    pub async fn may_wake_others(&self, extension: &str) -> Result<bool, StoreError> {
        Ok(
            sqlx::query("SELECT 1 FROM wakeup_grants WHERE extension = $1")
                .bind(extension)
                .fetch_optional(self.pool())
                .await?
                .is_some(),
        )
    }

    /// Grants or withdraws wakeup calls for other extensions.
    pub async fn set_wake_others(&self, extension: &str, on: bool) -> Result<(), StoreError> {
        if self.user(extension).await?.is_none() {
            return Err(not_found(extension));
        }
        let sql = if on {
            "INSERT INTO wakeup_grants (extension) VALUES ($1) ON CONFLICT (extension) DO NOTHING"
        } else {
            "DELETE FROM wakeup_grants WHERE extension = $1"
        };
        sqlx::query(sql)
            .bind(extension)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
