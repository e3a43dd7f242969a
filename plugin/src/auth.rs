//! Who is asking: loads the session named by the cookie, checks the route's guard (logged in,
//! menu access level, admin), logs users in and out (session cycling, login throttling) and
//! changes passwords under the same throttle.

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use axum::extract::{ConnectInfo, FromRequestParts, OptionalFromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::Response;
use chrono::Utc;

use crate::backend::BackendError;
use crate::current_user::CurrentUser;
use crate::error::{PortalError, respond_for_path};
use crate::model::{Access, Menu, Session, User};
use crate::security::cookies::{SESSION_COOKIE, cookie_value};
use crate::security::password_gate::Busy;
use crate::state::AppState;

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = PortalError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<CurrentUser>()
            .cloned()
            .ok_or(PortalError::Unauthenticated)
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for CurrentUser {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<CurrentUser>().cloned())
    }
}

/// The client address (from the connection, when the server was started with connect info).
pub struct ClientIp(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| addr.ip()),
        ))
    }
}

/// What a route requires of the requester.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guard {
    Public,
    LoggedIn,
    /// Reads need read access to the menu, every other method write access.
    Menu(Menu),
    Admin,
}

/// Inserts [`CurrentUser`] when the session cookie names a live session of a user who may log
/// in. Expired sessions and sessions of disabled users are deleted.
pub async fn load_session(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    // Static assets are public and fetched with every page; they need no session lookup.
    if request.uri().path().starts_with("/assets/") {
        return next.run(request).await;
    }
    match current_user(&state, request.headers()).await {
        Ok(Some(current)) => {
            request.extensions_mut().insert(current);
        }
        Ok(None) => {}
        Err(e) => return respond_for_path(request.uri().path(), e),
    }
    next.run(request).await
}

async fn current_user(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<CurrentUser>, PortalError> {
    let Some(id) = cookie_value(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let Some(session) = state.backend.session(id).await? else {
        return Ok(None);
    };
    let user = state.backend.user(&session.extension).await?;
    match user {
        Some(user) if session.expires_at > Utc::now() && user.may_log_in() => {
            Ok(Some(CurrentUser { user, session }))
        }
        _ => {
            state.backend.delete_session(&session.id).await?;
            Ok(None)
        }
    }
}

/// Enforces a route's [`Guard`].
pub async fn check_guard(State(guard): State<Guard>, request: Request, next: Next) -> Response {
    let current = request.extensions().get::<CurrentUser>();
    // Until an administrator's demanded password change is made, only the routes every
    // logged-in user has (the password page among them) are open.
    let password_first = matches!(guard, Guard::Menu(_) | Guard::Admin)
        && current.is_some_and(|c| c.user.must_change_password);
    if password_first {
        let path = request.uri().path();
        if path.starts_with("/api/") {
            return respond_for_path(
                path,
                PortalError::Forbidden(
                    "choose a new password first (PUT /api/v1/profile/password)",
                ),
            );
        }
        return crate::html::redirect("/password");
    }
    let verdict = match (guard, current) {
        (Guard::Public, _) => Ok(()),
        (_, None) => Err(PortalError::Unauthenticated),
        (Guard::LoggedIn, Some(_)) => Ok(()),
        (Guard::Admin, Some(c)) if c.user.is_admin => Ok(()),
        (Guard::Admin, Some(_)) => Err(PortalError::Forbidden("this page is for administrators")),
        (Guard::Menu(menu), Some(c)) => menu_verdict(c.access(menu), request.method()),
    };
    match verdict {
        Ok(()) => next.run(request).await,
        Err(e) => respond_for_path(request.uri().path(), e),
    }
}

fn menu_verdict(access: Access, method: &Method) -> Result<(), PortalError> {
    let read_only = matches!(*method, Method::GET | Method::HEAD);
    match access {
        Access::No => Err(PortalError::Forbidden("you have no access to this menu")),
        Access::Read if !read_only => Err(PortalError::Forbidden(
            "you may look at this menu but not change it",
        )),
        Access::Read | Access::Write => Ok(()),
    }
}

/// Whether `extension` names an administrator: their logins are exempt from the per-address
/// budget, so strangers behind the same address cannot lock them out.
async fn is_admin(state: &AppState, extension: &str) -> Result<bool, PortalError> {
    Ok(state
        .backend
        .user(extension)
        .await?
        .is_some_and(|u| u.is_admin))
}

/// Checks the credentials under the login throttle and opens a fresh session. The attempt is
/// reserved before the password is checked, so parallel guesses cannot outrun the count. Any
/// session the client already had is deleted, so a session id never survives a login (no
/// fixation).
pub async fn log_in(
    state: &AppState,
    headers: &HeaderMap,
    ip: Option<IpAddr>,
    extension: &str,
    password: &str,
) -> Result<(User, Session), PortalError> {
    let admin = is_admin(state, extension).await?;
    let attempt = state
        .limiter
        .begin(extension, ip, admin, Instant::now())
        .map_err(|retry_after_secs| PortalError::RateLimited { retry_after_secs })?;
    let verdict = match state.password_gate.enter().await {
        Ok(_turn) => state.backend.verify_login(extension, password).await,
        Err(Busy { retry_after_secs }) => {
            attempt.not_checked(Instant::now());
            return Err(PortalError::Busy { retry_after_secs });
        }
    };
    let user = match verdict {
        Ok(user) => user,
        Err(e) => {
            attempt.not_checked(Instant::now());
            return Err(e.into());
        }
    };
    let Some(user) = user.filter(User::may_log_in) else {
        attempt.failed(Instant::now());
        tracing::info!(extension, ?ip, "portal login refused");
        return Err(PortalError::BadCredentials);
    };
    attempt.succeeded(Instant::now());
    if let Some(old) = cookie_value(headers, SESSION_COOKIE) {
        state.backend.delete_session(old).await?;
    }
    let session = state
        .backend
        .create_session(&user.extension, state.settings.session_ttl)
        .await?;
    tracing::info!(extension, "portal login");
    Ok((user, session))
}

/// Changes the session user's password. The old password is a password guess like a login's,
/// so it goes through the same throttle and bound on concurrent checks; after the change
/// every other session of the user ends (whoever else held the old password is logged out),
/// the current one stays.
pub async fn change_password(
    state: &AppState,
    current: &CurrentUser,
    ip: Option<IpAddr>,
    old: &str,
    new: &str,
) -> Result<(), PortalError> {
    let extension = current.extension();
    let attempt = state
        .limiter
        .begin(extension, ip, current.user.is_admin, Instant::now())
        .map_err(|retry_after_secs| PortalError::RateLimited { retry_after_secs })?;
    let result = match state.password_gate.enter().await {
        Ok(_turn) => state.backend.change_password(extension, old, new).await,
        Err(Busy { retry_after_secs }) => {
            attempt.not_checked(Instant::now());
            return Err(PortalError::Busy { retry_after_secs });
        }
    };
    match result {
        Ok(()) => {
            attempt.succeeded(Instant::now());
            state
                .backend
                .end_other_sessions(extension, &current.session.id)
                .await?;
            tracing::info!(extension, "portal password changed; other sessions ended");
            Ok(())
        }
        Err(BackendError::WrongPassword) => {
            attempt.failed(Instant::now());
            tracing::info!(
                extension,
                ?ip,
                "portal password change with a wrong password"
            );
            Err(BackendError::WrongPassword.into())
        }
        Err(e) => {
            // A new password the rules refuse is reported before the old one is checked.
            attempt.not_checked(Instant::now());
            Err(e.into())
        }
    }
}

/// Deletes the session named by the cookie, if any.
pub async fn log_out(state: &AppState, headers: &HeaderMap) -> Result<(), PortalError> {
    if let Some(id) = cookie_value(headers, SESSION_COOKIE) {
        state.backend.delete_session(id).await?;
    }
    Ok(())
}
