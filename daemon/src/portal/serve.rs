//! Serving the portal on a bound listener until the daemon stops.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use ringside_portal::{Backend, PortalSettings};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// How long open requests (a fax progress stream, a slow upload) may run on after the stop.
const DRAIN: Duration = Duration::from_secs(5);

/// Serves the portal router over `backend` on `listener` until `stop` is cancelled, then lets
/// open requests finish for a short while.
pub async fn serve(
    listener: TcpListener,
    backend: Arc<dyn Backend>,
    settings: PortalSettings,
    stop: CancellationToken,
) -> std::io::Result<()> {
    let app = ringside_portal::router(backend, settings);
    // Connect info lets the portal rate-limit logins per client address.
    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(stop.clone().cancelled_owned());
    let server = std::pin::pin!(server.into_future());
    tokio::select! {
        result = server => result,
        () = async { stop.cancelled().await; tokio::time::sleep(DRAIN).await } => {
            tracing::warn!("portal requests still open after the stop; closing them");
            Ok(())
        }
    }
}
