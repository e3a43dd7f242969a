//! Whether the database answers, and how busy the pool is: what readiness checks and the
//! metrics read. Not a repository: it reads and writes no table.

use super::{Store, StoreError};

/// Connections of the pool, as the metrics report them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUse {
    pub in_use: u32,
    pub size: u32,
}

impl Store {
    /// One round trip to the database (`SELECT 1`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub fn pool_use(&self) -> PoolUse {
        let size = self.pool.size();
        let idle = u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX);
        PoolUse {
            in_use: size.saturating_sub(idle),
            size,
        }
    }
}
