//! API: greeting slots. Uploads are the raw audio body (`Content-Type: audio/…`), capped while
//! streaming.

use axum::Json;
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use serde::Deserialize;

use crate::current_user::CurrentUser;
use crate::error::PortalError;
use crate::model::{GreetingInfo, GreetingsOverview};
use crate::params::parse_slot;
use crate::state::AppState;
use crate::upload::read_audio_body;

pub async fn list(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Json<GreetingsOverview>, PortalError> {
    Ok(Json(state.backend.greetings(current.extension()).await?))
}

#[derive(Debug, Deserialize)]
pub struct UploadQuery {
    #[serde(default)]
    file_name: String,
}

pub async fn upload(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(slot): Path<String>,
    Query(query): Query<UploadQuery>,
    request: Request,
) -> Result<Json<GreetingInfo>, PortalError> {
    let slot = parse_slot(&slot)?;
    let limit = state.settings.greeting_max_bytes;
    let audio = read_audio_body(request, &query.file_name, "a greeting", limit).await?;
    let info = state
        .backend
        .upload_greeting(current.extension(), slot, &query.file_name, audio)
        .await?;
    Ok(Json(info))
}

pub async fn delete(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(slot): Path<String>,
) -> Result<StatusCode, PortalError> {
    let slot = parse_slot(&slot)?;
    state
        .backend
        .delete_greeting(current.extension(), slot)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
