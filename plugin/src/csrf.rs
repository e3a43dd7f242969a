//! CSRF protection for state-changing requests of a logged-in user.
//!
//! The session's token must come either in the `X-CSRF-Token` header or as the form field
//! `csrf_token`, and it is checked here, before any handler runs, whatever the body. For
//! url-encoded forms the body is read (capped) and checked; for multipart forms `csrf_token`
//! must be the first part (browsers send parts in document order): only that part is read
//! here, and the body is handed on with it, so an upload still streams to its handler and no
//! file byte is read before the token is verified. Any other body needs the header.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::Response;

use bytes::BytesMut;
use futures_util::StreamExt;

use crate::current_user::CurrentUser;
use crate::error::{PortalError, respond_for_path};
use crate::security::multipart_token::{FirstPart, boundary, first_part};
use crate::security::token::constant_time_eq;
use crate::state::AppState;

pub const CSRF_HEADER: &str = "x-csrf-token";
pub const CSRF_FIELD: &str = "csrf_token";

/// How far into a multipart body the first part (the token) must have ended.
const FIRST_PART_MAX: usize = 8 * 1024;

/// The value of field `name` in an `application/x-www-form-urlencoded` body. Tokens are hex or
/// base64url, which form encoding leaves as they are, so the raw value is compared.
pub fn urlencoded_field<'a>(body: &'a [u8], name: &str) -> Option<&'a [u8]> {
    body.split(|b| *b == b'&')
        .filter_map(|pair| {
            let eq = pair.iter().position(|b| *b == b'=')?;
            Some((&pair[..eq], &pair[eq + 1..]))
        })
        .find(|(k, _)| *k == name.as_bytes())
        .map(|(_, v)| v)
}

pub fn media_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Paths that have no session yet and protect themselves (login).
fn exempt(path: &str) -> bool {
    matches!(path, "/login" | "/api/v1/session")
}

pub async fn require_csrf(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    if is_safe(request.method()) || (exempt(&path) && request.method() == Method::POST) {
        return next.run(request).await;
    }
    let Some(expected) = request
        .extensions()
        .get::<CurrentUser>()
        .map(|c| c.session.csrf_token.clone())
    else {
        // No session: the route guard answers 401 / redirects to the login page.
        return next.run(request).await;
    };
    if let Some(given) = request.headers().get(CSRF_HEADER) {
        return match given.to_str() {
            Ok(given) if constant_time_eq(given, &expected) => next.run(request).await,
            _ => respond_for_path(&path, PortalError::Csrf),
        };
    }
    match media_type(request.headers()).as_str() {
        "application/x-www-form-urlencoded" => {
            let (parts, body) = request.into_parts();
            let bytes = match axum::body::to_bytes(body, state.settings.form_max_bytes).await {
                Ok(bytes) => bytes,
                Err(_) => {
                    let limit = state.settings.form_max_bytes;
                    return respond_for_path(&path, PortalError::PayloadTooLarge { limit });
                }
            };
            let ok = urlencoded_field(&bytes, CSRF_FIELD)
                .and_then(|v| std::str::from_utf8(v).ok())
                .is_some_and(|given| constant_time_eq(given, &expected));
            if !ok {
                return respond_for_path(&path, PortalError::Csrf);
            }
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        "multipart/form-data" => match multipart_token_checked(request, &expected).await {
            Ok(request) => next.run(request).await,
            Err(e) => respond_for_path(&path, e),
        },
        _ => respond_for_path(&path, PortalError::Csrf),
    }
}

/// Reads a multipart body up to the end of its first part, which must be a matching
/// `csrf_token`, and gives back the request with the whole body still to be read.
async fn multipart_token_checked(request: Request, expected: &str) -> Result<Request, PortalError> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let boundary = boundary(content_type).ok_or(PortalError::Csrf)?;
    let (parts, body) = request.into_parts();
    let mut stream = body.into_data_stream();
    let mut received = BytesMut::new();
    loop {
        match first_part(&received, &boundary) {
            FirstPart::Field { name, value } => {
                let given = std::str::from_utf8(value).unwrap_or_default();
                if name == CSRF_FIELD && constant_time_eq(given, expected) {
                    break;
                }
                return Err(PortalError::Csrf);
            }
            FirstPart::Malformed => return Err(PortalError::Csrf),
            FirstPart::NeedMore if received.len() > FIRST_PART_MAX => {
                return Err(PortalError::Csrf);
            }
            FirstPart::NeedMore => match stream.next().await {
                Some(Ok(chunk)) => received.extend_from_slice(&chunk),
                Some(Err(e)) => {
                    return Err(PortalError::BadRequest(format!(
                        "the form could not be read: {e}"
                    )));
                }
                None => return Err(PortalError::Csrf),
            },
        }
    }
    let head = futures_util::stream::once(std::future::ready(Ok(received.freeze())));
    let body = Body::from_stream(head.chain(stream));
    Ok(Request::from_parts(parts, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urlencoded_field_finds_the_named_field_only() {
        let body = b"a=1&csrf_token=abc&xcsrf_token=zzz";
        assert_eq!(urlencoded_field(body, CSRF_FIELD), Some(&b"abc"[..]));
        assert_eq!(urlencoded_field(b"csrf_tokenx=1", CSRF_FIELD), None);
    }
}
