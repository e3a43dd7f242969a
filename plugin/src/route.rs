//! One route of the portal: a method on a path, the guard it needs, how its body is bounded,
//! and its handler. Pages and API modules declare these; the router mounts them.

use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{MethodFilter, MethodRouter, on};

use crate::auth::Guard;
use crate::state::AppState;

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
    pub(crate) handler: MethodRouter<AppState>,
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
