//! Watchers that turn what other parts publish into metrics: the ARI and AMI link states,
//! the database pool, and fax job changes.
//!
//! Not here: recording done inline where something happens (flows, FastAGI sessions,
//! conversions call `telemetry` directly).

use std::collections::HashMap;
use std::time::Duration;

use tokio::sync::{broadcast, watch};
use tokio_util::sync::CancellationToken;

use crate::ami::LinkState;
use crate::ari::connection::ConnectionState;
use crate::store::Store;
use crate::store::fax::{FaxJob, JobState};
use crate::telemetry;

/// How often the database pool's use is sampled.
pub const POOL_SAMPLE_EVERY: Duration = Duration::from_secs(5);

/// Counts connections made again after the first one, whatever the link.
#[derive(Debug, Default)]
struct Reconnects {
    ever_connected: bool,
    was_connected: bool,
}

impl Reconnects {
    /// Whether this state change is a reconnect.
    fn observe(&mut self, connected: bool) -> bool {
        let reconnect = connected && !self.was_connected && self.ever_connected;
        self.ever_connected |= connected;
        self.was_connected = connected;
        reconnect
    }
}

pub async fn watch_ari(mut state: watch::Receiver<ConnectionState>, stop: CancellationToken) {
    let mut reconnects = Reconnects::default();
    loop {
        let connected = state.borrow_and_update().is_connected();
        telemetry::ari_link(connected);
        if reconnects.observe(connected) {
            telemetry::ari_reconnect();
        }
        tokio::select! {
            () = stop.cancelled() => return,
            changed = state.changed() => if changed.is_err() { return },
        }
    }
}

pub async fn watch_ami(mut state: watch::Receiver<LinkState>, stop: CancellationToken) {
    let mut reconnects = Reconnects::default();
    loop {
        let connected = state.borrow_and_update().is_connected();
        telemetry::ami_link(connected);
        if reconnects.observe(connected) {
            telemetry::ami_reconnect();
        }
        tokio::select! {
            () = stop.cancelled() => return,
            changed = state.changed() => if changed.is_err() { return },
        }
    }
}

pub async fn sample_pool(store: Store, every: Duration, stop: CancellationToken) {
    let mut tick = tokio::time::interval(every);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = tick.tick() => {
                let pool = store.pool_use();
                telemetry::db_pool(pool.in_use, pool.size);
            }
        }
    }
}

/// Counts each outgoing fax job's state changes, pages sent and failures.
pub async fn count_fax_jobs(mut updates: broadcast::Receiver<FaxJob>, stop: CancellationToken) {
    let mut last: HashMap<i64, JobState> = HashMap::new();
    loop {
        let job = tokio::select! {
            () = stop.cancelled() => return,
            received = updates.recv() => match received {
                Ok(job) => job,
                Err(broadcast::error::RecvError::Lagged(skipped)) => {
                    tracing::debug!(skipped, "fax metrics skipped job changes");
                    continue;
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
        };
        if last.get(&job.id) == Some(&job.state) {
            continue;
        }
        telemetry::fax_job_state(job.state.as_str());
        match job.state {
            JobState::Sent => {
                telemetry::fax_pages(telemetry::FaxDirection::Sent, job.pages_sent);
                last.remove(&job.id);
            }
            JobState::Failed => {
                telemetry::fax_failure(job.fax_error.as_deref().unwrap_or_default());
                last.remove(&job.id);
            }
            JobState::Received | JobState::Cancelled => {
                last.remove(&job.id);
            }
            state => {
                last.insert(job.id, state);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_connection_after_a_loss_is_a_reconnect() {
        let mut r = Reconnects::default();
        assert!(!r.observe(false));
        assert!(!r.observe(true));
        assert!(!r.observe(true));
        assert!(!r.observe(false));
        assert!(r.observe(true));
    }
}
