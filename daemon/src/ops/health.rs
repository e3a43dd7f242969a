//! `/healthz` (the process serves requests) and `/readyz` (the database answers; the ARI
//! link is reported, not required, since a daemon waiting for Asterisk still serves the
//! portal and keeps its schedule).
//!
//! Not here: deciding anything from readiness; the answers are for a load balancer, a
//! service manager or a person.

use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use serde::Serialize;
use tokio::sync::watch;

use crate::ari::connection::ConnectionState;
use crate::store::Store;

/// How long the database may take to answer before the daemon counts as not ready.
const PING_TIMEOUT: Duration = Duration::from_secs(2);

/// What readiness is judged on.
#[derive(Clone)]
pub struct Health {
    store: Store,
    ari: watch::Receiver<ConnectionState>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Readiness {
    pub ready: bool,
    /// `ok`, or why the database did not answer.
    pub database: String,
    /// `connected`, `connecting`, `disconnected` or `stopped`.
    pub ari: &'static str,
}

impl Health {
    pub fn new(store: Store, ari: watch::Receiver<ConnectionState>) -> Self {
        Self { store, ari }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn ari_state(&self) -> watch::Receiver<ConnectionState> {
        self.ari.clone()
    }

    pub async fn readiness(&self) -> Readiness {
        let database = match tokio::time::timeout(PING_TIMEOUT, self.store.ping()).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(err)) => Err(err.to_string()),
            Err(_) => Err(format!("no answer within {} s", PING_TIMEOUT.as_secs_f32())),
        };
        let ari = match &*self.ari.borrow() {
            ConnectionState::Connected { .. } => "connected",
            ConnectionState::Connecting { .. } => "connecting",
            ConnectionState::Disconnected { .. } => "disconnected",
            ConnectionState::Stopped => "stopped",
        };
        Readiness {
            ready: database.is_ok(),
            database: database.err().unwrap_or_else(|| "ok".into()),
            ari,
        }
    }

    /// `GET /healthz` and `GET /readyz`, for the metrics listener and the portal alike.
    pub fn routes(self) -> Router {
        Router::new()
            .route("/healthz", get(healthz))
            .route("/readyz", get(readyz))
            .with_state(self)
    }
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(State(health): State<Health>) -> impl IntoResponse {
    let readiness = health.readiness().await;
    let status = if readiness.ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(readiness))
}
