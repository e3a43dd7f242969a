//! `ApiJson`: the JSON body extractor of the API, answering bad bodies with the API's JSON
//! errors (415 without `application/json`, 413 too large, 400/422 malformed); and the layer
//! that gives the instants of the API's JSON answers the offset of the viewer's zone.

use axum::Json;
use axum::body::Body;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use crate::current_user::CurrentUser;
use crate::error::PortalError;
use crate::state::AppState;

pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = PortalError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(map_rejection(&rejection, state.settings.form_max_bytes)),
        }
    }
}

fn map_rejection(rejection: &JsonRejection, limit: usize) -> PortalError {
    match rejection.status() {
        StatusCode::UNSUPPORTED_MEDIA_TYPE => PortalError::UnsupportedMediaType(
            "send the body as JSON with Content-Type: application/json".into(),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => PortalError::PayloadTooLarge { limit },
        _ => PortalError::BadRequest(format!(
            "the JSON body is not valid: {}",
            rejection.body_text()
        )),
    }
}

/// Largest JSON answer whose instants are rewritten; a bigger one goes out in UTC as it is.
const LOCALIZE_MAX_BYTES: usize = 16 * 1024 * 1024;

/// Gives every instant of a logged-in user's JSON answer under `/api/v1/` the offset of their
/// time zone (RFC 3339, e.g. `2026-12-24T06:30:00+01:00`). Answers that are not JSON (files,
/// event streams) pass untouched.
pub async fn localize_times(request: Request, next: axum::middleware::Next) -> Response {
    let zone = request
        .uri()
        .path()
        .starts_with("/api/v1/")
        .then(|| request.extensions().get::<CurrentUser>())
        .flatten()
        .map(|c| c.user.time_zone.clone());
    let response = next.run(request).await;
    let Some(zone) = zone else {
        return response;
    };
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, LOCALIZE_MAX_BYTES).await {
        Ok(bytes) => bytes,
        Err(e) => {
            tracing::warn!(error = %e, "API answer not readable for its times");
            return PortalError::Backend(crate::backend::BackendError::Internal(
                "answer too large".into(),
            ))
            .into_response();
        }
    };
    let localized = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|mut value| {
            crate::zone::localize_instants(&mut value, &zone);
            serde_json::to_vec(&value).ok()
        });
    match localized {
        Some(out) => {
            parts.headers.remove(header::CONTENT_LENGTH);
            Response::from_parts(parts, Body::from(out))
        }
        None => Response::from_parts(parts, Body::from(bytes)),
    }
}
