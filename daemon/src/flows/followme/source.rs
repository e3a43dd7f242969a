//! Where follow-me reads its settings and which numbers are extensions. A trait so the flow
//! runs against the store in the daemon and against fixed data in tests and benchmarks.

use std::collections::HashSet;

use async_trait::async_trait;

use crate::store::{FollowMeSettings, Store, StoreError};

#[async_trait]
pub trait FollowMeSource: Send + Sync + 'static {
    /// The extension's settings; `None` when it has none.
    async fn settings(&self, extension: &str) -> Result<Option<FollowMeSettings>, StoreError>;
    /// Which of `numbers` are extensions of this PBX (dialled with the extension template).
    async fn known_extensions(&self, numbers: &[String]) -> Result<HashSet<String>, StoreError>;
}

#[async_trait]
impl FollowMeSource for Store {
    async fn settings(&self, extension: &str) -> Result<Option<FollowMeSettings>, StoreError> {
        self.followme(extension).await
    }

    async fn known_extensions(&self, numbers: &[String]) -> Result<HashSet<String>, StoreError> {
        let mut known = HashSet::new();
        for number in numbers {
            let row = sqlx::query("SELECT extension FROM users WHERE extension = $1")
                .bind(number)
                .fetch_optional(self.pool())
                .await?;
            if row.is_some() {
                known.insert(number.clone());
            }
        }
        Ok(known)
    }
}

/// Fixed settings and extensions (tests, benchmarks, the simulator demo).
#[derive(Debug, Clone, Default)]
pub struct StaticSource {
    pub settings: Vec<FollowMeSettings>,
    pub extensions: HashSet<String>,
}

#[async_trait]
impl FollowMeSource for StaticSource {
    async fn settings(&self, extension: &str) -> Result<Option<FollowMeSettings>, StoreError> {
        Ok(self
            .settings
            .iter()
            .find(|s| s.extension == extension)
            .cloned())
    }

    async fn known_extensions(&self, numbers: &[String]) -> Result<HashSet<String>, StoreError> {
        Ok(numbers
            .iter()
            .filter(|n| self.extensions.contains(*n))
            .cloned()
            .collect())
    }
}
