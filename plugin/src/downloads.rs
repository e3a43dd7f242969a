//! Responses that carry a file: greeting audio for the browser's player and fax documents as
//! attachments.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use crate::model::FaxFormat;

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
