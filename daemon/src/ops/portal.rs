//! What the daemon adds around the portal's router: `/healthz` and `/readyz`, and the
//! request metrics (by matched route template, never the raw path, so a scan of random URLs
//! cannot grow the label set).
//!
//! Not here: the portal's own routes and guards (the `ringside-portal` crate).

use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::middleware::{self, Next};
use axum::response::Response;

use super::health::Health;
use crate::telemetry;

/// Label for requests no route matched (the fallback's 404s).
pub const UNMATCHED: &str = "unmatched";

/// The portal's router with the health routes and request metrics.
pub fn instrument(app: Router, health: Health) -> Router {
    app.merge(health.routes())
        .layer(middleware::from_fn(count_request))
}

async fn count_request(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| UNMATCHED.to_owned());
    let method = method_label(request.method());
    let started = Instant::now();
    let response = next.run(request).await;
    telemetry::portal_request(
        &route,
        method,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

/// Standard methods by name; any other token a client invents is one label.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}
