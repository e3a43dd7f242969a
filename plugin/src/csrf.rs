//! CSRF protection for state-changing requests of a logged-in user.
//!
//! The session's token must come either in the `X-CSRF-Token` header or as the form field
//! `csrf_token`. For url-encoded forms the body is read (capped) and checked here; for
//! multipart forms the check is left to the upload reader, which requires `csrf_token` to be the
//! first part (browsers send parts in document order), so no file byte is read before the token
//! is verified. Any other body needs the header.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::current_user::CurrentUser;
use crate::error::{PortalError, respond_for_path};
use crate::security::token::constant_time_eq;
use crate::state::AppState;

pub const CSRF_HEADER: &str = "x-csrf-token";
pub const CSRF_FIELD: &str = "csrf_token";

/// Marks a multipart request whose token must be the first part; carries the expected token.
#[derive(Debug, Clone)]
pub struct CsrfInMultipart(pub String);

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
        "multipart/form-data" => {
            let mut request = request;
            request.extensions_mut().insert(CsrfInMultipart(expected));
            next.run(request).await
        }
        _ => respond_for_path(&path, PortalError::Csrf),
    }
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
