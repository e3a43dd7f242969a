//! API: call handling (do-not-disturb, forwarding, ring time, time rules) of the session user.

use axum::Json;
use axum::extract::State;

use super::ApiJson;
use crate::current_user::CurrentUser;
use crate::error::PortalError;
use crate::model::{CallHandlingSettings, CallHandlingStatus};
use crate::state::AppState;

pub async fn get(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Json<CallHandlingSettings>, PortalError> {
    Ok(Json(
        state.backend.call_handling(current.extension()).await?,
    ))
}

pub async fn put(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(settings): ApiJson<CallHandlingSettings>,
) -> Result<Json<CallHandlingSettings>, PortalError> {
    state
        .backend
        .set_call_handling(current.extension(), &settings)
        .await?;
    Ok(Json(
        state.backend.call_handling(current.extension()).await?,
    ))
}

pub async fn status(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Json<CallHandlingStatus>, PortalError> {
    Ok(Json(
        state
            .backend
            .call_handling_status(current.extension())
            .await?,
    ))
}
