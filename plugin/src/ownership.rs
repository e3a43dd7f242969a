//! Loads objects named by an id in a URL and checks they belong to the session user. Another
//! user's object answers 404, exactly like a missing one, so ids cannot be probed.

use crate::current_user::CurrentUser;
use crate::error::PortalError;
use crate::model::{FaxJob, FaxJobId, ReceivedFax, ReceivedFaxId, Wakeup, WakeupId};
use crate::state::AppState;

pub async fn own_wakeup(
    state: &AppState,
    current: &CurrentUser,
    id: WakeupId,
) -> Result<Wakeup, PortalError> {
    match state.backend.wakeup(id).await? {
        Some(w) if w.owner == current.user.extension => Ok(w),
        _ => Err(PortalError::NotFound),
    }
}

pub async fn own_fax_job(
    state: &AppState,
    current: &CurrentUser,
    id: FaxJobId,
) -> Result<FaxJob, PortalError> {
    match state.backend.fax_job(id).await? {
        Some(job) if job.owner == current.user.extension => Ok(job),
        _ => Err(PortalError::NotFound),
    }
}

pub async fn own_received_fax(
    state: &AppState,
    current: &CurrentUser,
    id: ReceivedFaxId,
) -> Result<ReceivedFax, PortalError> {
    match state.backend.received_fax(id).await? {
        Some(fax) if fax.owner == current.user.extension => Ok(fax),
        _ => Err(PortalError::NotFound),
    }
}
