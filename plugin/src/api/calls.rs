//! API: call history. A user's own calls under `/api/v1/calls` (the menu's access applies),
//! every call under `/api/v1/admin/calls` (administrators), and each user's replay right.
//! Filter values that do not parse answer 400 naming the value.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::ApiJson;
use crate::calls::{CallsParams, DetailQuery, detail, export_response, recording_response, viewer};
use crate::current_user::CurrentUser;
use crate::error::PortalError;
use crate::model::{CallDetail, CallsPage, ReplayRight};
use crate::state::AppState;

async fn page(
    state: &AppState,
    current: &CurrentUser,
    p: &CallsParams,
    admin: bool,
) -> Result<Json<CallsPage>, PortalError> {
    let query = p.query(admin, &current.user.time_zone)?;
    Ok(Json(
        state.backend.calls(&viewer(current, admin), &query).await?,
    ))
}

pub async fn list(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(p): Query<CallsParams>,
) -> Result<Json<CallsPage>, PortalError> {
    page(&state, &current, &p, false).await
}

pub async fn export(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(p): Query<CallsParams>,
) -> Result<Response, PortalError> {
    export_response(&state, &current, &p, false).await
}

pub async fn get(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<DetailQuery>,
) -> Result<Json<CallDetail>, PortalError> {
    Ok(Json(detail(&state, &current, &id, &q, false).await?))
}

pub async fn get_recording(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<DetailQuery>,
) -> Result<Response, PortalError> {
    recording_response(&state, &current, &id, q.download.is_some(), false).await
}

pub async fn admin_list(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(p): Query<CallsParams>,
) -> Result<Json<CallsPage>, PortalError> {
    page(&state, &current, &p, true).await
}

pub async fn admin_export(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(p): Query<CallsParams>,
) -> Result<Response, PortalError> {
    export_response(&state, &current, &p, true).await
}

pub async fn admin_get(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<DetailQuery>,
) -> Result<Json<CallDetail>, PortalError> {
    Ok(Json(detail(&state, &current, &id, &q, true).await?))
}

pub async fn admin_get_recording(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<DetailQuery>,
) -> Result<Response, PortalError> {
    recording_response(&state, &current, &id, q.download.is_some(), true).await
}

#[derive(Debug, serde::Serialize, Deserialize)]
pub struct ReplayBody {
    pub right: String,
}

pub async fn get_replay(
    State(state): State<AppState>,
    Path(ext): Path<String>,
) -> Result<Json<ReplayBody>, PortalError> {
    let right = state.backend.replay_right(&ext).await?;
    Ok(Json(ReplayBody {
        right: right.key().to_owned(),
    }))
}

pub async fn put_replay(
    State(state): State<AppState>,
    Path(ext): Path<String>,
    ApiJson(body): ApiJson<ReplayBody>,
) -> Result<Json<ReplayBody>, PortalError> {
    let right = ReplayRight::parse(&body.right).ok_or_else(|| {
        PortalError::BadRequest(format!(
            "replay right {:?} is not one of none, own, all",
            body.right
        ))
    })?;
    state.backend.set_replay_right(&ext, right).await?;
    Ok(Json(ReplayBody {
        right: right.key().to_owned(),
    }))
}
