//! Assembles the portal: one table of routes (pages and JSON API) with the guard each needs,
//! wrapped in the session, CSRF, body-limit and security-header layers.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::Response;
use axum::routing::MethodRouter;

use crate::auth::{check_guard, load_session};
use crate::backend::Backend;
use crate::csrf::require_csrf;
use crate::error::{PortalError, api_errors_as_json, respond_for_path};
use crate::route::{BodyKind, Route};
use crate::security::headers::add_security_headers;
use crate::security::password_gate::PasswordGate;
use crate::security::rate_limit::{Budget, LoginLimiter};
use crate::settings::PortalSettings;
use crate::state::AppState;

/// Every route of the portal: the pages, then the JSON API. The router is built from this
/// list only, so the OpenAPI test can check the document against it.
pub fn all_routes() -> Vec<Route> {
    let mut routes = crate::pages::routes();
    routes.extend(crate::api::routes());
    routes
}

/// The portal's router; the daemon serves it (with `into_make_service_with_connect_info`
/// so login rate limiting sees client addresses).
pub fn router(backend: Arc<dyn Backend>, settings: PortalSettings) -> Router {
    let state = AppState {
        limiter: Arc::new(LoginLimiter::new(
            Budget {
                free: settings.login_failures_per_user,
                max_delay: settings.login_max_delay,
            },
            Budget {
                free: settings.login_failures_per_ip,
                max_delay: settings.login_max_delay,
            },
            settings.login_window,
        )),
        password_gate: Arc::new(PasswordGate::new(
            settings.password_checks_at_once,
            settings.password_check_wait,
        )),
        backend,
        settings: Arc::new(settings),
    };
    let mut by_path: BTreeMap<&'static str, MethodRouter<AppState>> = BTreeMap::new();
    for route in all_routes() {
        let mut handler = route
            .handler
            .route_layer(from_fn_with_state(route.guard, check_guard));
        if route.body == BodyKind::Streamed {
            handler = handler.layer(DefaultBodyLimit::disable());
        }
        let merged = match by_path.remove(route.path) {
            Some(existing) => existing.merge(handler),
            None => handler,
        };
        by_path.insert(route.path, merged);
    }
    let mut router = Router::new();
    for (path, handler) in by_path {
        router = router.route(path, handler);
    }
    router
        .fallback(not_found)
        // Inside the session layer, which tells whose zone the answer's times are read in.
        .layer(from_fn(crate::api::localize_times))
        .layer(from_fn_with_state(state.clone(), require_csrf))
        .layer(from_fn_with_state(state.clone(), load_session))
        .layer(DefaultBodyLimit::max(state.settings.form_max_bytes))
        .layer(from_fn(api_errors_as_json))
        .layer(from_fn(add_security_headers))
        .with_state(state)
}

async fn not_found(request: Request) -> Response {
    respond_for_path(request.uri().path(), PortalError::NotFound)
}
