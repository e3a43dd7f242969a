//! API: session (log in / out, who am I) and profile (email, password).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ApiJson;
use crate::auth::{self, ClientIp};
use crate::current_user::CurrentUser;
use crate::error::PortalError;
use crate::model::User;
use crate::security::cookies::{SESSION_COOKIE, set_cookie};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct LoginRequest {
    extension: String,
    password: String,
}

#[derive(Debug, Serialize)]
pub struct SessionInfo {
    user: User,
    /// Send back in the `X-CSRF-Token` header on every state-changing request.
    csrf_token: String,
    expires_at: DateTime<Utc>,
}

fn info(current: &CurrentUser) -> SessionInfo {
    SessionInfo {
        user: current.user.clone(),
        csrf_token: current.session.csrf_token.clone(),
        expires_at: current.session.expires_at,
    }
}

/// JSON login needs `Content-Type: application/json`, which a cross-site form cannot send, so
/// no CSRF token is needed before the session exists.
pub async fn log_in(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(login): ApiJson<LoginRequest>,
) -> Result<Response, PortalError> {
    let (user, session) = auth::log_in(
        &state,
        &headers,
        ip,
        login.extension.trim(),
        &login.password,
    )
    .await?;
    let cookie = set_cookie(
        SESSION_COOKIE,
        &session.id,
        state.settings.session_ttl.as_secs(),
        state.settings.secure_cookies,
    );
    let body = SessionInfo {
        user,
        csrf_token: session.csrf_token,
        expires_at: session.expires_at,
    };
    Ok(([(header::SET_COOKIE, cookie)], Json(body)).into_response())
}

pub async fn session(current: CurrentUser) -> Json<SessionInfo> {
    Json(info(&current))
}

pub async fn log_out(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, PortalError> {
    auth::log_out(&state, &headers).await?;
    let cookie = set_cookie(SESSION_COOKIE, "", 0, state.settings.secure_cookies);
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}

#[derive(Debug, Serialize)]
pub struct Profile {
    extension: String,
    name: String,
    email: String,
    time_zone: String,
}

pub async fn profile(current: CurrentUser) -> Json<Profile> {
    Json(Profile {
        extension: current.user.extension,
        name: current.user.name,
        email: current.user.email,
        time_zone: current.user.time_zone,
    })
}

#[derive(Debug, Deserialize)]
pub struct TimeZoneRequest {
    time_zone: String,
}

pub async fn set_time_zone(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(req): ApiJson<TimeZoneRequest>,
) -> Result<StatusCode, PortalError> {
    state
        .backend
        .set_time_zone(current.extension(), req.time_zone.trim())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
pub struct EmailRequest {
    email: String,
}

pub async fn set_email(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(req): ApiJson<EmailRequest>,
) -> Result<StatusCode, PortalError> {
    state
        .backend
        .set_email(current.extension(), req.email.trim())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
pub struct PasswordRequest {
    old_password: String,
    new_password: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    current: CurrentUser,
    ApiJson(req): ApiJson<PasswordRequest>,
) -> Result<StatusCode, PortalError> {
    auth::change_password(&state, &current, ip, &req.old_password, &req.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}
