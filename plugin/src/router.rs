//! Assembles the portal: one table of routes (pages and JSON API) with the guard each needs,
//! wrapped in the session, CSRF, body-limit and security-header layers.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::handler::Handler;
use axum::http::Method;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::Response;
use axum::routing::{MethodFilter, MethodRouter, on};

use crate::auth::{Guard, check_guard, load_session};
use crate::backend::Backend;
use crate::error::{PortalError, respond_for_path};
use crate::security::csrf::require_csrf;
use crate::security::headers::add_security_headers;
use crate::security::rate_limit::LoginLimiter;
use crate::settings::PortalSettings;

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub backend: Arc<dyn Backend>,
    pub settings: Arc<PortalSettings>,
    pub limiter: Arc<LoginLimiter>,
}

/// How a route's request body is bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// Forms and JSON, capped at `settings.form_max_bytes`.
    Small,
    /// Uploads: the handler streams the body and enforces its own cap.
    Streamed,
}

/// One method on one path.
pub struct Route {
    // Read by the OpenAPI consistency test; the handler already carries the method.
    #[cfg_attr(not(test), allow(dead_code))]
    pub method: Method,
    pub path: &'static str,
    pub guard: Guard,
    pub body: BodyKind,
    handler: MethodRouter<AppState>,
}

impl Route {
    pub fn new<H, T>(method: Method, path: &'static str, guard: Guard, handler: H) -> Route
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let filter = MethodFilter::try_from(method.clone()).unwrap_or(MethodFilter::GET);
        Route {
            method,
            path,
            guard,
            body: BodyKind::Small,
            handler: on(filter, handler),
        }
    }

    pub fn streamed(mut self) -> Route {
        self.body = BodyKind::Streamed;
        self
    }
}

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
            settings.login_failures_per_user,
            settings.login_failures_per_ip,
            settings.login_window,
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
        .layer(from_fn_with_state(state.clone(), require_csrf))
        .layer(from_fn_with_state(state.clone(), load_session))
        .layer(DefaultBodyLimit::max(state.settings.form_max_bytes))
        .layer(from_fn(add_security_headers))
        .with_state(state)
}

async fn not_found(request: Request) -> Response {
    respond_for_path(request.uri().path(), PortalError::NotFound)
}
