//! Running Ringside as a service: the metrics listener, health and readiness answers, the
//! watchers that turn link states and job changes into metrics, the service manager's
//! readiness message, what a `SIGHUP` can and cannot change, and `ringside check`.
//!
//! Not here: metric names (`telemetry`, which every layer records through) and any decision
//! about calls. This module only observes the others and reports.

pub mod backup;
pub mod check;
pub mod exporter;
pub mod health;
pub mod notify;
pub mod portal;
pub mod reload;
pub mod watch;

pub use exporter::{MetricsError, install_recorder, serve_metrics};
pub use health::{Health, Readiness};

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::config::MetricsConfig;

/// Starts what the daemon reports about itself: with `[metrics] listen` set, the recorder,
/// the metrics listener and the watchers that feed it. A listener that cannot be bound is
/// logged and leaves the call services running.
pub async fn spawn_metrics(
    config: &MetricsConfig,
    health: Health,
    fax_updates: tokio::sync::broadcast::Receiver<crate::store::fax::FaxJob>,
    services: &mut JoinSet<()>,
    stop: CancellationToken,
) {
    let Some(listen) = config.listen else {
        return;
    };
    let handle = match install_recorder() {
        Ok(handle) => handle,
        Err(err) => {
            tracing::error!(%err, "metrics not available");
            return;
        }
    };
    services.spawn(watch::watch_ari(health.ari_state(), stop.clone()));
    services.spawn(watch::sample_pool(
        health.store().clone(),
        watch::POOL_SAMPLE_EVERY,
        stop.clone(),
    ));
    services.spawn(watch::count_fax_jobs(fax_updates, stop.clone()));
    match tokio::net::TcpListener::bind(listen).await {
        Ok(listener) => {
            let local = listener.local_addr().unwrap_or(listen);
            tracing::info!(listen = %local, "metrics listening");
            services.spawn(async move {
                if let Err(err) = serve_metrics(listener, handle, health, stop).await {
                    tracing::error!(%err, "metrics listener stopped");
                }
            });
        }
        Err(err) => tracing::error!(%listen, %err, "cannot listen for metrics"),
    }
}
