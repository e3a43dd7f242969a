//! The portal's real backend as the tests build it: over a test store, with the ARI link
//! still connecting and the FastAGI server not started, so only what a test adds is live.

use std::path::Path;

use ringside::ari::connection::ConnectionState;
use ringside::portal::{AgiStatus, PortalBackend};
use ringside::store::Store;

/// A backend over `store` keeping its files under `data_dir`; add features with its `with_…`.
pub fn offline_backend(store: &Store, data_dir: &Path) -> PortalBackend {
    let (_, ari) = tokio::sync::watch::channel(ConnectionState::Connecting {
        since: chrono::Utc::now(),
        attempt: 0,
    });
    let agi = AgiStatus {
        listen: "127.0.0.1:4573".into(),
        up_since: None,
    };
    PortalBackend::new(store.clone(), None, data_dir, ari, agi)
}
