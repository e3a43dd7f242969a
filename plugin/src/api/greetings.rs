//! API: greeting slots. Uploads are the raw audio body (`Content-Type: audio/…`), capped while
//! streaming.

use axum::Json;
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use serde::Deserialize;

use crate::csrf::media_type;
use crate::current_user::CurrentUser;
use crate::error::PortalError;
use crate::model::{GreetingInfo, GreetingsOverview};
use crate::params::parse_slot;
use crate::state::AppState;
use crate::upload::{is_audio, read_capped};

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
    let content_type = media_type(request.headers());
    if !is_audio(&content_type, &query.file_name) {
        return Err(PortalError::UnsupportedMediaType(format!(
            "a greeting must be sent as audio (Content-Type audio/…), not \"{content_type}\""
        )));
    }
    let (parts, body) = request.into_parts();
    let audio = read_capped(&parts.headers, body, state.settings.greeting_max_bytes).await?;
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
