//! Responses that carry a file: greeting audio for the browser's player (with its handler,
//! shared by the page and the API routes) and fax documents as attachments.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use crate::current_user::CurrentUser;
use crate::error::PortalError;
use crate::model::FaxFormat;
use crate::params::parse_slot;
use crate::state::AppState;

/// A greeting slot's audio. One route for the page (`E` is `PageError`) and the API (`E` is
/// `PortalError`): the same answer, with errors in the format of the route.
pub async fn greeting_audio<E: From<PortalError>>(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(slot): Path<String>,
) -> Result<Response, E> {
    let slot = parse_slot(&slot)?;
    let wav = state
        .backend
        .greeting_wav(current.extension(), slot)
        .await
        .map_err(PortalError::Backend)?;
    Ok(wav_response(wav))
}

pub fn wav_response(wav: Bytes) -> Response {
    (
        [
            (header::CONTENT_TYPE, "audio/wav"),
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        wav,
    )
        .into_response()
}

/// `name` is built by the portal from an id, never from user input.
pub fn document_response(bytes: Bytes, format: FaxFormat, name: &str) -> Response {
    let disposition = format!("attachment; filename=\"{name}.{}\"", format.extension());
    let mut response = ([(header::CONTENT_TYPE, format.content_type())], bytes).into_response();
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, v);
    }
    response
}
