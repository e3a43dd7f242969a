//! The daemon as a whole: configuration, store, ARI client and the services that run until
//! shutdown. `ringside serve` is a thin wrapper around [`Daemon::run`].
//!
//! Services are started in [`Daemon::run`], one block each; the ARI engine is the first.
//! Flows are registered with the engine in [`Daemon::engine`]. Stopping is graceful: no new
//! calls are taken, calls still ringing are handed back to the dialplan, connected calls are
//! left to Asterisk.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::ari::connection::{self, ConnectionState};
use crate::ari::{AriClient, AriError};
use crate::config::Config;
use crate::engine::Engine;
use crate::flows::followme::{DialTemplates, FollowMeFlow};
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error("cannot open the database: {0}")]
    Store(#[from] StoreError),
    #[error("ARI settings are not usable: {0}")]
    Ari(#[from] AriError),
}

pub struct Daemon {
    config: Config,
    store: Store,
    client: AriClient,
}

impl Daemon {
    /// Opens the database (migrating it) and prepares the ARI client; connects nothing yet.
    pub async fn new(config: Config) -> Result<Self, DaemonError> {
        let store = Store::connect(&config.database_url()).await?;
        let client = AriClient::from_config(&config.ari)?;
        Ok(Self {
            config,
            store,
            client,
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn ari_client(&self) -> &AriClient {
        &self.client
    }

    /// The Stasis dispatcher with every flow registered.
    pub fn engine(&self) -> Engine {
        let followme = Arc::new(FollowMeFlow {
            source: Arc::new(self.store.clone()),
            templates: DialTemplates::from(&self.config.dial),
            second: Duration::from_secs(1),
            moh_class: None,
            latency: None,
        });
        Engine::builder(self.client.clone())
            .route("followme", followme)
            .build()
    }

    /// Runs every service until `stop` is cancelled, then shuts down gracefully.
    pub async fn run(self, stop: CancellationToken) -> Result<(), DaemonError> {
        let mut services = tokio::task::JoinSet::new();

        // ARI: event connection (retries until Asterisk is up) and the engine.
        let connection = connection::spawn(self.client.clone(), stop.clone());
        let ari_state: watch::Receiver<ConnectionState> = connection.state.clone();
        let engine = self.engine();
        services.spawn(engine.run(connection.items, stop.clone()));
        services.spawn(async move {
            let _ = connection.task.await;
        });

        // Other services (FastAGI, scheduler, fax worker, portal) start here and stop on
        // `stop`; the portal shows `ari_state`.
        let _ = &ari_state;

        stop.cancelled().await;
        tracing::info!("shutting down: no new calls; calls in progress are left to Asterisk");
        while services.join_next().await.is_some() {}
        tracing::info!("stopped");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_config_parses_to_the_defaults_apart_from_the_data_dir() {
        let text = include_str!("../../ringside.example.toml");
        let parsed = Config::from_toml(text).expect("example config is valid");
        let expected = Config {
            data_dir: parsed.data_dir.clone(),
            ..Config::default()
        };
        assert_eq!(parsed, expected);
    }

    #[tokio::test]
    async fn daemon_stops_when_asked_even_without_asterisk() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = Config {
            data_dir: dir.path().to_owned(),
            ari: crate::config::AriConfig {
                url: "http://127.0.0.1:9/ari".into(),
                ..Default::default()
            },
            ..Config::default()
        };
        let daemon = Daemon::new(config).await.expect("daemon");
        let stop = CancellationToken::new();
        let run = tokio::spawn(daemon.run(stop.clone()));
        tokio::time::sleep(Duration::from_millis(50)).await;
        stop.cancel();
        let result = tokio::time::timeout(Duration::from_secs(5), run)
            .await
            .expect("stops in time")
            .expect("no panic");
        assert!(result.is_ok());
    }
}
