//! The Prometheus exporter: installs the process-wide recorder (once) and serves `/metrics`
//! with `/healthz` and `/readyz` on the metrics listener.
//!
//! Not here: metric names and recording (`telemetry`); the exposition format is the
//! `metrics-exporter-prometheus` crate's, never written by hand.

use std::sync::OnceLock;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::health::Health;
use crate::telemetry;

/// How often histogram samples are folded in between scrapes, bounding their memory.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, thiserror::Error)]
pub enum MetricsError {
    #[error("cannot set up the metrics exporter: {0}")]
    Build(String),
    #[error("another metrics recorder is already installed in this process")]
    RecorderTaken,
}

static HANDLE: OnceLock<Result<PrometheusHandle, MetricsError>> = OnceLock::new();

/// Installs the Prometheus recorder for the whole process (the first call does; later calls
/// return the same handle) and registers every metric at its starting value.
pub fn install_recorder() -> Result<PrometheusHandle, MetricsError> {
    HANDLE.get_or_init(build_and_install).clone()
}

fn build_and_install() -> Result<PrometheusHandle, MetricsError> {
    let mut builder = PrometheusBuilder::new();
    for (name, buckets) in telemetry::histogram_buckets() {
        builder = builder
            .set_buckets_for_metric(Matcher::Full(name.to_owned()), buckets)
            .map_err(|e| MetricsError::Build(e.to_string()))?;
    }
    let recorder = builder.build_recorder();
    let handle = recorder.handle();
    metrics::set_global_recorder(recorder).map_err(|_| MetricsError::RecorderTaken)?;
    telemetry::register();
    Ok(handle)
}

/// Serves `/metrics`, `/healthz` and `/readyz` on `listener` until `stop`.
pub async fn serve_metrics(
    listener: TcpListener,
    handle: PrometheusHandle,
    health: Health,
    stop: CancellationToken,
) -> std::io::Result<()> {
    let upkeep = {
        let handle = handle.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(UPKEEP_EVERY);
            loop {
                tokio::select! {
                    () = stop.cancelled() => break,
                    _ = every.tick() => handle.run_upkeep(),
                }
            }
        })
    };
    let app = Router::new()
        .route("/metrics", get(render))
        .with_state(handle)
        .merge(health.routes());
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(stop.cancelled_owned())
        .await;
    upkeep.abort();
    served
}

async fn render(State(handle): State<PrometheusHandle>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        handle.render(),
    )
}
