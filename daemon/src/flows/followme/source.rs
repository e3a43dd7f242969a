//! Where the inbound call reads its settings (follow-me, call handling), which numbers are
//! extensions, and the time its time rules are read at. A trait so the flow runs against the
//! store in the daemon and against fixed data in tests and benchmarks.

use std::collections::HashSet;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::store::{CallHandling, FollowMeSettings, Store, StoreError};

#[async_trait]
pub trait FollowMeSource: Send + Sync + 'static {
    /// The extension's follow-me settings; `None` when it has none.
    async fn settings(&self, extension: &str) -> Result<Option<FollowMeSettings>, StoreError>;
    /// Which of `numbers` are extensions of this PBX (dialled with the extension template).
    async fn known_extensions(&self, numbers: &[String]) -> Result<HashSet<String>, StoreError>;
    /// The extension's call handling; `None` when it has none (the default: a source that
    /// knows only follow-me).
    async fn call_handling(&self, _extension: &str) -> Result<Option<CallHandling>, StoreError> {
        Ok(None)
    }
    /// The instant time rules are read at; tests fix it.
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

#[async_trait]
impl FollowMeSource for Store {
    async fn settings(&self, extension: &str) -> Result<Option<FollowMeSettings>, StoreError> {
        self.followme(extension).await
    }

    async fn known_extensions(&self, numbers: &[String]) -> Result<HashSet<String>, StoreError> {
        Store::known_extensions(self, numbers).await
    }

    async fn call_handling(&self, extension: &str) -> Result<Option<CallHandling>, StoreError> {
        Store::call_handling(self, extension).await
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

/// Fixed follow-me and call handling settings read at a fixed instant (tests, benchmarks).
#[derive(Debug, Clone)]
pub struct StaticHandlingSource {
    pub base: StaticSource,
    pub handling: Vec<CallHandling>,
    pub now: DateTime<Utc>,
}

#[async_trait]
impl FollowMeSource for StaticHandlingSource {
    async fn settings(&self, extension: &str) -> Result<Option<FollowMeSettings>, StoreError> {
        self.base.settings(extension).await
    }

    async fn known_extensions(&self, numbers: &[String]) -> Result<HashSet<String>, StoreError> {
        self.base.known_extensions(numbers).await
    }

    async fn call_handling(&self, extension: &str) -> Result<Option<CallHandling>, StoreError> {
        Ok(self
            .handling
            .iter()
            .find(|h| h.extension == extension)
            .cloned())
    }

    fn now(&self) -> DateTime<Utc> {
        self.now
    }
}
