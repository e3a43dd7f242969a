//! API: follow-me settings of the session user.

use axum::Json;
use axum::extract::State;

use super::ApiJson;
use crate::current_user::CurrentUser;
use crate::error::PortalError;
use crate::model::FollowMe;
use crate::state::AppState;

pub async fn get(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Json<FollowMe>, PortalError> {
    Ok(Json(state.backend.followme(current.extension()).await?))
}

pub async fn put(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(followme): ApiJson<FollowMe>,
) -> Result<Json<FollowMe>, PortalError> {
    state
        .backend
        .set_followme(current.extension(), &followme)
        .await?;
    Ok(Json(state.backend.followme(current.extension()).await?))
}
