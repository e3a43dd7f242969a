//! API: wakeup calls of the session user; every id is checked against the session user.

use axum::Json;
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use serde::Deserialize;

use super::ApiJson;
use crate::current_user::CurrentUser;
use crate::error::PortalError;
use crate::model::{PromptChoice, Wakeup, WakeupAttempt, WakeupSpec};
use crate::ownership::own_wakeup;
use crate::params::parse_id as parse_wakeup_id;
use crate::state::AppState;
use crate::upload::read_audio_body;

pub async fn list(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Json<Vec<Wakeup>>, PortalError> {
    Ok(Json(state.backend.wakeups(current.extension()).await?))
}

pub async fn create(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(spec): ApiJson<WakeupSpec>,
) -> Result<(StatusCode, Json<Wakeup>), PortalError> {
    let spec = spec.in_zone_by_default(&current.user.time_zone);
    let wakeup = state
        .backend
        .create_wakeup(current.extension(), &spec)
        .await?;
    Ok((StatusCode::CREATED, Json(wakeup)))
}

pub async fn get(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Wakeup>, PortalError> {
    Ok(Json(
        own_wakeup(&state, &current, parse_wakeup_id(&id)?).await?,
    ))
}

pub async fn update(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
    ApiJson(spec): ApiJson<WakeupSpec>,
) -> Result<Json<Wakeup>, PortalError> {
    let wakeup = own_wakeup(&state, &current, parse_wakeup_id(&id)?).await?;
    Ok(Json(state.backend.update_wakeup(wakeup.id, &spec).await?))
}

pub async fn delete(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, PortalError> {
    let wakeup = own_wakeup(&state, &current, parse_wakeup_id(&id)?).await?;
    state.backend.delete_wakeup(wakeup.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
pub struct EnabledRequest {
    enabled: bool,
}

pub async fn set_enabled(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<EnabledRequest>,
) -> Result<Json<Wakeup>, PortalError> {
    let wakeup = own_wakeup(&state, &current, parse_wakeup_id(&id)?).await?;
    Ok(Json(
        state
            .backend
            .set_wakeup_enabled(wakeup.id, req.enabled)
            .await?,
    ))
}

pub async fn attempts(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<WakeupAttempt>>, PortalError> {
    let wakeup = own_wakeup(&state, &current, parse_wakeup_id(&id)?).await?;
    Ok(Json(state.backend.wakeup_attempts(wakeup.id).await?))
}

/// The prompts the session user may pick: the system's and their own uploads.
pub async fn prompts(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Json<Vec<PromptChoice>>, PortalError> {
    Ok(Json(
        state.backend.wakeup_prompts(current.extension()).await?,
    ))
}

#[derive(Debug, Deserialize)]
pub struct PromptUploadQuery {
    #[serde(default)]
    name: String,
    #[serde(default)]
    file_name: String,
}

/// Uploads one of the user's own prompts; the body is the raw audio, as for greetings.
pub async fn upload_prompt(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(query): Query<PromptUploadQuery>,
    request: Request,
) -> Result<(StatusCode, Json<PromptChoice>), PortalError> {
    let limit = state.settings.greeting_max_bytes;
    let audio = read_audio_body(request, &query.file_name, "a prompt", limit).await?;
    let choice = state
        .backend
        .upload_wakeup_prompt(current.extension(), &query.name, &query.file_name, audio)
        .await?;
    Ok((StatusCode::CREATED, Json(choice)))
}

pub async fn delete_prompt(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(name): Path<String>,
) -> Result<StatusCode, PortalError> {
    state
        .backend
        .delete_wakeup_prompt(current.extension(), &name)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
