//! The portal's request errors and how they are answered: JSON for `/api/v1/…`, an HTML page
//! for the web pages (see [`PageError`]).

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::backend::{BackendError, FieldError};

#[derive(Debug, thiserror::Error)]
pub enum PortalError {
    #[error("please log in")]
    Unauthenticated,
    /// Unknown extension, wrong password, disabled user or portal not enabled: one message.
    #[error("extension or password is wrong")]
    BadCredentials,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error(
        "the security token of this form is missing or out of date; reload the page and try again"
    )]
    Csrf,
    #[error("not found")]
    NotFound,
    #[error("too many failed logins; try again in {retry_after_secs} seconds")]
    RateLimited { retry_after_secs: u64 },
    /// Every password check is taken; nothing was checked.
    #[error("the server is busy checking other logins; try again in {retry_after_secs} seconds")]
    Busy { retry_after_secs: u64 },
    #[error("the upload is larger than the limit of {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Backend(#[from] BackendError),
}

impl PortalError {
    pub fn status(&self) -> StatusCode {
        match self {
            PortalError::Unauthenticated | PortalError::BadCredentials => StatusCode::UNAUTHORIZED,
            PortalError::Forbidden(_) | PortalError::Csrf => StatusCode::FORBIDDEN,
            PortalError::NotFound => StatusCode::NOT_FOUND,
            PortalError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            PortalError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            PortalError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            PortalError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            PortalError::BadRequest(_) => StatusCode::BAD_REQUEST,
            PortalError::Backend(e) => match e {
                BackendError::NotFound => StatusCode::NOT_FOUND,
                BackendError::WrongPassword => StatusCode::FORBIDDEN,
                BackendError::Validation(_) | BackendError::Rejected(_) => {
                    StatusCode::UNPROCESSABLE_ENTITY
                }
                BackendError::Conflict(_) => StatusCode::CONFLICT,
                BackendError::Gone(_) => StatusCode::GONE,
                BackendError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
                BackendError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            },
        }
    }

    /// Stable machine code for the JSON API.
    pub fn code(&self) -> &'static str {
        match self {
            PortalError::Unauthenticated => "unauthenticated",
            PortalError::BadCredentials => "bad_credentials",
            PortalError::Forbidden(_) => "forbidden",
            PortalError::Csrf => "csrf",
            PortalError::NotFound => "not_found",
            PortalError::RateLimited { .. } => "rate_limited",
            PortalError::Busy { .. } => "busy",
            PortalError::PayloadTooLarge { .. } => "payload_too_large",
            PortalError::UnsupportedMediaType(_) => "unsupported_media_type",
            PortalError::BadRequest(_) => "bad_request",
            PortalError::Backend(e) => match e {
                BackendError::NotFound => "not_found",
                BackendError::WrongPassword => "wrong_password",
                BackendError::Validation(_) => "validation",
                BackendError::Rejected(_) => "rejected",
                BackendError::Conflict(_) => "conflict",
                BackendError::Gone(_) => "gone",
                BackendError::Unavailable(_) => "unavailable",
                BackendError::Internal(_) => "internal",
            },
        }
    }

    /// The text shown to the user; internal details never leave the process.
    pub fn user_message(&self) -> String {
        match self {
            PortalError::Backend(BackendError::Internal(detail)) => {
                tracing::error!(%detail, "portal backend failure");
                "something went wrong on the server; please try again later".to_owned()
            }
            other => other.to_string(),
        }
    }

    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            PortalError::Backend(BackendError::Validation(fields)) => fields,
            _ => &[],
        }
    }

    fn retry_after(&self) -> Option<HeaderValue> {
        match self {
            PortalError::RateLimited { retry_after_secs }
            | PortalError::Busy { retry_after_secs } => {
                HeaderValue::from_str(&retry_after_secs.to_string()).ok()
            }
            _ => None,
        }
    }

    /// Adds the headers every error response carries (e.g. `Retry-After`).
    fn decorate(&self, mut response: Response) -> Response {
        if let Some(value) = self.retry_after() {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

/// Errors answered as JSON: `{"error": code, "message": text, "fields": [...]}`.
impl IntoResponse for PortalError {
    fn into_response(self) -> Response {
        let body = json!({
            "error": self.code(),
            "message": self.user_message(),
            "fields": self.field_errors(),
        });
        let response = (self.status(), axum::Json(body)).into_response();
        self.decorate(response)
    }
}

/// Errors answered as an HTML page (or a redirect to the login page).
#[derive(Debug)]
pub struct PageError(pub PortalError);

impl<E: Into<PortalError>> From<E> for PageError {
    fn from(e: E) -> Self {
        PageError(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let err = self.0;
        if matches!(err, PortalError::Unauthenticated) {
            return crate::html::redirect("/login");
        }
        let html = crate::html::error_page(err.status(), &err.user_message());
        let response = (err.status(), html).into_response();
        err.decorate(response)
    }
}

/// Whether a request path belongs to the JSON API (its errors are JSON).
pub fn is_api_path(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// Renders an error in the format the path calls for.
pub fn respond_for_path(path: &str, err: PortalError) -> Response {
    if is_api_path(path) {
        err.into_response()
    } else {
        PageError(err).into_response()
    }
}

/// How much of a plain-text rejection is kept as the JSON error's message.
const REJECTION_TEXT_MAX: usize = 1024;

/// Answers every API error in the API's JSON format. The portal's own errors already are;
/// this catches what axum answers by itself in plain text (a query string or path segment that
/// does not parse, a method the path does not have), keeping status and headers.
pub async fn api_errors_as_json(request: Request, next: Next) -> Response {
    let api = is_api_path(request.uri().path());
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !api || is_json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = match axum::body::to_bytes(body, REJECTION_TEXT_MAX).await {
        Ok(bytes) if !bytes.is_empty() => String::from_utf8_lossy(&bytes).into_owned(),
        _ => status
            .canonical_reason()
            .unwrap_or("the request failed")
            .to_lowercase(),
    };
    let code = match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "validation",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    };
    let body = json!({ "error": code, "message": text, "fields": [] }).to_string();
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(body))
}
