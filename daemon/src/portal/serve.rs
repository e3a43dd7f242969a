//! Serving the portal on a bound listener until the daemon stops.
//!
//! HTTP/1.1 only (browsers speak HTTP/2 only over TLS, which a proxy in front would end),
//! with two timeouts so that a client cannot hold connections open for nothing: a request's
//! headers must arrive within [`Timeouts::header_read`] (also between keep-alive requests),
//! and a connection on which nothing moves either way for [`Timeouts::idle`] is closed (a
//! half-sent body, a reader that stopped reading). Long answers such as a fax progress stream
//! send keep-alive events, so they count as moving.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use ringside_portal::{Backend, PortalSettings};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::time::{Instant, Sleep};
use tokio_util::sync::CancellationToken;

/// How long open requests (a fax progress stream, a slow upload) may run on after the stop.
const DRAIN: Duration = Duration::from_secs(5);
/// Pause after a failed accept (e.g. out of file descriptors) so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Limits on slow or silent clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub header_read: Duration,
    pub idle: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            header_read: Duration::from_secs(15),
            idle: Duration::from_secs(60),
        }
    }
}

/// Serves the portal router over `backend` on `listener` until `stop` is cancelled, then lets
/// open requests finish for a short while.
pub async fn serve(
    listener: TcpListener,
    backend: Arc<dyn Backend>,
    settings: PortalSettings,
    stop: CancellationToken,
) -> io::Result<()> {
    let app = ringside_portal::router(backend, settings);
    serve_router(listener, app, Timeouts::default(), stop).await
}

/// Serves `app` with the given timeouts; each request carries the client's address as
/// `ConnectInfo`, which the portal's login throttling reads.
pub async fn serve_router(
    listener: TcpListener,
    app: Router,
    timeouts: Timeouts,
    stop: CancellationToken,
) -> io::Result<()> {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(timeouts.header_read);
    let graceful = GracefulShutdown::new();
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::warn!(error = %e, "portal cannot accept a connection");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
            () = stop.cancelled() => break,
        };
        let service = tower::ServiceExt::map_request(
            app.clone(),
            move |mut request: axum::http::Request<Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request
            },
        );
        let io = TokioIo::new(IdleTimeout::new(stream, timeouts.idle));
        let connection =
            graceful.watch(http.serve_connection(io, TowerToHyperService::new(service)));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(%peer, error = %e, "portal connection ended");
            }
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(DRAIN) => {
            tracing::warn!("portal requests still open after the stop; closing them");
        }
    }
    Ok(())
}

/// A connection that fails with `TimedOut` once nothing was read or written for `idle`.
pub struct IdleTimeout<S> {
    inner: S,
    idle: Duration,
    deadline: Pin<Box<Sleep>>,
}

impl<S> IdleTimeout<S> {
    pub fn new(inner: S, idle: Duration) -> IdleTimeout<S> {
        IdleTimeout {
            inner,
            idle,
            deadline: Box::pin(tokio::time::sleep(idle)),
        }
    }

    fn moved(&mut self) {
        self.deadline.as_mut().reset(Instant::now() + self.idle);
    }

    /// Called when the inner stream is not ready: an error once the deadline has passed
    /// (polling the deadline also arranges a wake-up for it).
    fn expired(&mut self, cx: &mut Context<'_>) -> Option<io::Error> {
        self.deadline.as_mut().poll(cx).is_ready().then(|| {
            io::Error::new(
                io::ErrorKind::TimedOut,
                "portal connection idle for too long",
            )
        })
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for IdleTimeout<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(result) => {
                if buf.filled().len() > before {
                    this.moved();
                }
                Poll::Ready(result)
            }
            Poll::Pending => match this.expired(cx) {
                Some(e) => Poll::Ready(Err(e)),
                None => Poll::Pending,
            },
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for IdleTimeout<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_write(cx, buf) {
            Poll::Ready(result) => {
                if matches!(result, Ok(n) if n > 0) {
                    this.moved();
                }
                Poll::Ready(result)
            }
            Poll::Pending => match this.expired(cx) {
                Some(e) => Poll::Ready(Err(e)),
                None => Poll::Pending,
            },
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    const IDLE: Duration = Duration::from_millis(500);

    #[tokio::test]
    async fn silent_connection_fails_once_idle_for_the_limit() {
        let (_client, server) = tokio::io::duplex(64);
        let mut server = IdleTimeout::new(server, IDLE);
        let started = Instant::now();
        let mut buf = [0u8; 8];
        let err = server.read(&mut buf).await.expect_err("times out");
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(started.elapsed() >= IDLE);
    }

    #[tokio::test]
    async fn bytes_arriving_in_time_keep_the_connection_open() {
        let (mut client, server) = tokio::io::duplex(64);
        let mut server = IdleTimeout::new(server, IDLE);
        let started = Instant::now();
        let mut buf = [0u8; 1];
        for _ in 0..8 {
            tokio::time::sleep(IDLE / 5).await;
            client.write_all(b"x").await.expect("write");
            server
                .read_exact(&mut buf)
                .await
                .expect("read before the limit");
        }
        assert!(
            started.elapsed() > IDLE,
            "the connection outlived one idle period"
        );
        let err = server
            .read(&mut buf)
            .await
            .expect_err("times out once silent");
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    }
}
