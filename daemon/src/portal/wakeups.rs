//! Wakeup calls for the portal.

use ringside_portal::model::{Wakeup, WakeupAttempt, WakeupId, WakeupSpec};
use ringside_portal::{BackendError, BackendResult};

use super::PortalBackend;

fn unavailable() -> BackendError {
    BackendError::Internal("wakeup calls are not available in this build".into())
}

impl PortalBackend {
    pub(super) async fn pending_wakeups(&self) -> BackendResult<u64> {
        Ok(0)
    }

    pub(super) async fn wakeups_impl(&self, _extension: &str) -> BackendResult<Vec<Wakeup>> {
        Err(unavailable())
    }

    pub(super) async fn wakeup_impl(&self, _id: WakeupId) -> BackendResult<Option<Wakeup>> {
        Err(unavailable())
    }

    pub(super) async fn create_wakeup_impl(
        &self,
        _extension: &str,
        _spec: &WakeupSpec,
    ) -> BackendResult<Wakeup> {
        Err(unavailable())
    }

    pub(super) async fn update_wakeup_impl(
        &self,
        _id: WakeupId,
        _spec: &WakeupSpec,
    ) -> BackendResult<Wakeup> {
        Err(unavailable())
    }

    pub(super) async fn set_wakeup_enabled_impl(
        &self,
        _id: WakeupId,
        _enabled: bool,
    ) -> BackendResult<Wakeup> {
        Err(unavailable())
    }

    pub(super) async fn delete_wakeup_impl(&self, _id: WakeupId) -> BackendResult<()> {
        Err(unavailable())
    }

    pub(super) async fn wakeup_attempts_impl(
        &self,
        _id: WakeupId,
    ) -> BackendResult<Vec<WakeupAttempt>> {
        Err(unavailable())
    }
}
