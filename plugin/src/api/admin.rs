//! API: administration (admins only): users, password reset, CSV import (raw `text/csv`
//! body), access defaults, system status.

use axum::Json;
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::ApiJson;
use crate::backend::BackendError;
use crate::csrf::media_type;
use crate::current_user::CurrentUser;
use crate::error::PortalError;
use crate::model::{
    CreatedUser, ImportReport, MenuAccess, NewUser, SystemStatus, User, UserPage, UserQuery,
    UserUpdate,
};
use crate::state::AppState;
use crate::upload::{is_csv, read_capped};
use crate::user_admin::{csv_text, run_import, self_delete, self_lockout};

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: Option<u32>,
    #[serde(default)]
    per_page: Option<u32>,
}

/// Bounds a client-chosen page size.
const MAX_PER_PAGE: u32 = 200;

pub async fn list_users(
    State(state): State<AppState>,
    Query(query): Query<ListQuery>,
) -> Result<Json<UserPage>, PortalError> {
    let query = UserQuery {
        search: query.q.trim().to_owned(),
        page: query.page.unwrap_or(1).max(1),
        per_page: query
            .per_page
            .unwrap_or(state.settings.users_per_page)
            .clamp(1, MAX_PER_PAGE),
    };
    Ok(Json(state.backend.list_users(&query).await?))
}

pub async fn create_user(
    State(state): State<AppState>,
    ApiJson(user): ApiJson<NewUser>,
) -> Result<(StatusCode, Json<CreatedUser>), PortalError> {
    Ok((
        StatusCode::CREATED,
        Json(state.backend.create_user(&user).await?),
    ))
}

pub async fn get_user(
    State(state): State<AppState>,
    Path(ext): Path<String>,
) -> Result<Json<User>, PortalError> {
    state
        .backend
        .user(&ext)
        .await?
        .map(Json)
        .ok_or(PortalError::NotFound)
}

pub async fn update_user(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(ext): Path<String>,
    ApiJson(update): ApiJson<UserUpdate>,
) -> Result<Json<User>, PortalError> {
    if state.backend.user(&ext).await?.is_none() {
        return Err(PortalError::NotFound);
    }
    if let Some(e) = self_lockout(&current, &ext, &update) {
        return Err(BackendError::Validation(vec![e]).into());
    }
    Ok(Json(state.backend.update_user(&ext, &update).await?))
}

pub async fn delete_user(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(ext): Path<String>,
) -> Result<StatusCode, PortalError> {
    if let Some(e) = self_delete(&current, &ext) {
        return Err(e);
    }
    state.backend.delete_user(&ext).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize)]
pub struct SuggestedExtension {
    /// `None` when no extension is in use to follow.
    extension: Option<String>,
}

pub async fn next_extension(
    State(state): State<AppState>,
) -> Result<Json<SuggestedExtension>, PortalError> {
    Ok(Json(SuggestedExtension {
        extension: state.backend.suggest_extension().await?,
    }))
}

#[derive(Debug, Deserialize)]
pub struct ResetRequest {
    /// `None` generates a password.
    #[serde(default)]
    password: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ResetResponse {
    password: String,
}

pub async fn reset_password(
    State(state): State<AppState>,
    Path(ext): Path<String>,
    ApiJson(req): ApiJson<ResetRequest>,
) -> Result<Json<ResetResponse>, PortalError> {
    if state.backend.user(&ext).await?.is_none() {
        return Err(PortalError::NotFound);
    }
    let password = state
        .backend
        .reset_password(&ext, req.password.as_deref())
        .await?;
    Ok(Json(ResetResponse { password }))
}

pub async fn import(
    State(state): State<AppState>,
    request: Request,
) -> Result<Json<ImportReport>, PortalError> {
    let content_type = media_type(request.headers());
    if !is_csv(&content_type, "") {
        return Err(PortalError::UnsupportedMediaType(format!(
            "send the users as text/csv, not \"{content_type}\""
        )));
    }
    let (parts, body) = request.into_parts();
    let bytes = read_capped(&parts.headers, body, state.settings.csv_max_bytes).await?;
    Ok(Json(run_import(&state, csv_text(&bytes)?).await?))
}

pub async fn access_defaults(
    State(state): State<AppState>,
) -> Result<Json<MenuAccess>, PortalError> {
    Ok(Json(state.backend.access_defaults().await?))
}

pub async fn set_access_defaults(
    State(state): State<AppState>,
    ApiJson(access): ApiJson<MenuAccess>,
) -> Result<Json<MenuAccess>, PortalError> {
    state.backend.set_access_defaults(&access).await?;
    Ok(Json(access))
}

pub async fn status(State(state): State<AppState>) -> Result<Json<SystemStatus>, PortalError> {
    Ok(Json(state.backend.system_status().await?))
}
