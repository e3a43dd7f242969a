//! The FastAGI TCP server: accepts connections, caps how many sessions run at once, opens
//! each session and hands it to the handler registered for its script name.
//!
//! Not the wire format ([`super::protocol`]) nor per-session I/O ([`super::session`]); and it
//! knows no call flow: flows register handlers with [`AgiServer::route`].

use std::collections::HashMap;
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::session::{AgiError, AgiSession, SessionLimits};
use crate::config::AgiConfig;

/// What runs one session for one script name (`agi://host/<script>`).
#[async_trait::async_trait]
pub trait AgiHandler: Send + Sync {
    async fn handle(&self, session: &mut AgiSession) -> Result<(), AgiError>;
}

/// Limits that protect the daemon from a flood of connections or a misbehaving peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    pub session: SessionLimits,
    /// Sessions beyond this many at once are refused (the connection is closed at once).
    pub max_sessions: usize,
    /// On shutdown, sessions still running after this long are abandoned.
    pub shutdown_grace: std::time::Duration,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            session: SessionLimits::default(),
            max_sessions: 64,
            shutdown_grace: std::time::Duration::from_secs(5),
        }
    }
}

/// A FastAGI server with its routes. Build it, add routes, then [`AgiServer::serve`].
#[derive(Clone)]
pub struct AgiServer {
    routes: HashMap<String, Arc<dyn AgiHandler>>,
    limits: ServerLimits,
}

impl std::fmt::Debug for AgiServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut scripts: Vec<_> = self.routes.keys().collect();
        scripts.sort();
        f.debug_struct("AgiServer")
            .field("scripts", &scripts)
            .field("limits", &self.limits)
            .finish()
    }
}

impl AgiServer {
    /// A server with no routes and the default limits. The listen address in `config` is
    /// for the caller to bind; [`AgiServer::serve`] takes the bound listener so tests can use
    /// port 0.
    pub fn new(_config: &AgiConfig) -> Self {
        Self {
            routes: HashMap::new(),
            limits: ServerLimits::default(),
        }
    }

    pub fn with_limits(mut self, limits: ServerLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Sends sessions for `agi://host/<script>` to `handler`; a later route for the same
    /// script replaces the earlier one.
    pub fn route(mut self, script: &str, handler: impl AgiHandler + 'static) -> Self {
        self.routes
            .insert(script.trim_matches('/').to_owned(), Arc::new(handler));
        self
    }

    /// Accepts connections until `shutdown` is cancelled, then waits (at most the shutdown
    /// grace) for running sessions to end. Errors of single connections are logged, never
    /// returned.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: CancellationToken,
    ) -> std::io::Result<()> {
        let routes = Arc::new(self.routes);
        let limits = self.limits;
        let permits = Arc::new(Semaphore::new(limits.max_sessions));
        let mut sessions = JoinSet::new();
        if let Ok(addr) = listener.local_addr() {
            tracing::info!(%addr, "FastAGI server listening");
        }
        loop {
            let (stream, peer) = tokio::select! {
                () = shutdown.cancelled() => break,
                // Reaps finished sessions so the set does not grow with every call.
                Some(ended) = sessions.join_next(), if !sessions.is_empty() => {
                    // A panicking handler ends only its own session, never the server.
                    if let Err(err) = ended {
                        tracing::error!(%err, "FastAGI session task failed");
                    }
                    continue;
                }
                accepted = listener.accept() => match accepted {
                    Ok(pair) => pair,
                    Err(err) => {
                        // Running out of descriptors is transient; back off instead of spinning.
                        tracing::warn!(%err, "FastAGI accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                        continue;
                    }
                },
            };
            let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
                tracing::warn!(
                    %peer,
                    max = limits.max_sessions,
                    "FastAGI session refused: too many sessions at once"
                );
                continue;
            };
            let routes = Arc::clone(&routes);
            let counted = crate::telemetry::fastagi_session();
            sessions.spawn(async move {
                run_session(stream, &routes, limits.session, peer).await;
                drop(counted);
                drop(permit);
            });
        }
        drop(listener);
        let drain = async { while sessions.join_next().await.is_some() {} };
        if tokio::time::timeout(limits.shutdown_grace, drain)
            .await
            .is_err()
        {
            tracing::warn!(
                running = sessions.len(),
                "FastAGI sessions still running at shutdown were abandoned"
            );
            sessions.abort_all();
        }
        tracing::info!("FastAGI server stopped");
        Ok(())
    }
}

async fn run_session(
    stream: TcpStream,
    routes: &HashMap<String, Arc<dyn AgiHandler>>,
    limits: SessionLimits,
    peer: std::net::SocketAddr,
) {
    let mut session = match AgiSession::open(stream, limits).await {
        Ok(session) => session,
        Err(err) => {
            tracing::warn!(%peer, %err, "FastAGI session rejected");
            return;
        }
    };
    let script = session.request().script.clone();
    let uniqueid = session.request().var("uniqueid").unwrap_or("").to_owned();
    let Some(handler) = routes.get(&script) else {
        tracing::warn!(%peer, %script, %uniqueid, "FastAGI request for an unknown script");
        // Best effort: tell the operator on the Asterisk console why nothing happened.
        let message = format!("Ringside has no FastAGI script named {script:?}");
        if let Err(err) = session.verbose(&message, 1).await {
            tracing::debug!(%peer, %err, "could not report the unknown script to Asterisk");
        }
        return;
    };
    tracing::debug!(%peer, %script, %uniqueid, "FastAGI session started");
    match handler.handle(&mut session).await {
        Ok(()) => tracing::debug!(%peer, %script, %uniqueid, "FastAGI session done"),
        Err(err) => tracing::warn!(%peer, %script, %uniqueid, %err, "FastAGI session failed"),
    }
}
