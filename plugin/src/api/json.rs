//! `ApiJson`: the JSON body extractor of the API, answering bad bodies with the API's JSON
//! errors (415 without `application/json`, 413 too large, 400/422 malformed).

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

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
