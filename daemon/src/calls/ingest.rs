//! The call-history service `serve` runs: stores the manager's live `Cdr` events, catches up
//! from `Master.csv` whenever events may have been missed (at start, on every (re)connect of
//! the manager link, when the event queue overflowed, after a failed write, and every few
//! minutes as a safety net), and prunes calls older than `[calls] keep_days` daily.
//!
//! Nothing here stops the daemon: a missing manager link or CSV file is logged once per
//! change and retried. Records that arrive both ways are stored once (the store's key).

use std::path::PathBuf;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio_util::sync::CancellationToken;

use super::catch_up::{CatchUpError, catch_up};
use crate::ami::{AmiClient, Event};
use crate::cdr::Cdr;
use crate::schedule::zone::Zone;
use crate::store::Store;
use crate::store::calls::Via;

/// How the service is set up (from `[calls]`; tests shorten the periods).
#[derive(Debug, Clone)]
pub struct IngestConfig {
    /// `None`: live events only.
    pub master_csv: Option<PathBuf>,
    pub zone: Zone,
    pub keep_days: u32,
    pub catch_up_every: Duration,
    pub prune_every: Duration,
}

impl IngestConfig {
    pub fn new(master_csv: Option<PathBuf>, zone: Zone, keep_days: u32) -> Self {
        IngestConfig {
            master_csv,
            zone,
            keep_days,
            catch_up_every: Duration::from_secs(300),
            prune_every: Duration::from_secs(24 * 3600),
        }
    }
}

/// The most live records stored in one transaction.
const BATCH: usize = 500;

struct Ingest {
    store: Store,
    config: IngestConfig,
    /// The last catch-up failure logged, so a missing file is not logged every time.
    last_problem: Option<String>,
}

impl Ingest {
    async fn catch_up(&mut self) {
        let Some(path) = self.config.master_csv.clone() else {
            return;
        };
        match catch_up(&self.store, &path, &self.config.zone).await {
            Ok(report) => {
                if self.last_problem.take().is_some() || report.inserted > 0 || report.skipped > 0 {
                    tracing::info!(
                        file = %path.display(),
                        inserted = report.inserted,
                        duplicates = report.duplicates,
                        skipped = report.skipped,
                        position = report.position,
                        "caught up call records from {}",
                        path.display()
                    );
                }
            }
            Err(err) => {
                let text = err.to_string();
                if self.last_problem.as_deref() != Some(&text) {
                    match err {
                        CatchUpError::Io { .. } => tracing::warn!(
                            %err,
                            "call records missed while the manager link was down cannot be caught up; live Cdr events are still stored"
                        ),
                        CatchUpError::Store(_) => {
                            tracing::error!(%err, "catching up call records failed")
                        }
                    }
                    self.last_problem = Some(text);
                }
            }
        }
    }

    /// Stores live records; `false` if the store failed (they are then left to a catch-up).
    async fn store_live(&mut self, batch: &[Cdr]) -> bool {
        match self.store.insert_cdrs(batch, Via::Ami).await {
            Ok(_) => true,
            Err(err) => {
                tracing::error!(%err, records = batch.len(), "storing call records failed; the next catch-up from the CDR file retries them");
                false
            }
        }
    }

    async fn prune(&self) {
        let cutoff = Utc::now() - chrono::Duration::days(i64::from(self.config.keep_days));
        match self.store.prune_calls(cutoff).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                calls = n,
                keep_days = self.config.keep_days,
                "pruned old calls"
            ),
            Err(err) => tracing::error!(%err, "pruning old calls failed"),
        }
    }
}

fn checked(event: Event, zone: &Zone) -> Option<Cdr> {
    let Event::Cdr(e) = event else { return None };
    match Cdr::from_event(&e, zone) {
        Ok(cdr) => Some(cdr),
        Err(problem) => {
            tracing::warn!(
                unique_id = %e.unique_id,
                %problem,
                "skipped a Cdr event (uniqueid {}): {problem}",
                e.unique_id
            );
            None
        }
    }
}

/// Runs until `stop` is cancelled.
pub async fn run(store: Store, ami: AmiClient, config: IngestConfig, stop: CancellationToken) {
    // Subscribe before the first catch-up, so nothing falls between the two.
    let mut events = ami.events();
    let mut state = ami.state();
    let mut catch_up_timer = tokio::time::interval(config.catch_up_every);
    catch_up_timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut prune_timer = tokio::time::interval(config.prune_every);
    prune_timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut ingest = Ingest {
        store,
        config,
        last_problem: None,
    };
    let mut connected = state.borrow_and_update().is_connected();
    let mut events_open = true;
    let mut state_open = true;
    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            // The first tick is immediate: the catch-up at start.
            _ = catch_up_timer.tick() => ingest.catch_up().await,
            _ = prune_timer.tick() => ingest.prune().await,
            changed = state.changed(), if state_open => {
                if changed.is_err() {
                    // No link at all (not configured): the CSV and the timers go on.
                    state_open = false;
                    continue;
                }
                let now = state.borrow_and_update().is_connected();
                if now && !connected {
                    ingest.catch_up().await;
                }
                connected = now;
            }
            received = events.recv(), if events_open => {
                let mut batch = Vec::new();
                let mut lagged = false;
                match received {
                    Ok(e) => batch.extend(checked(e, &ingest.config.zone)),
                    Err(RecvError::Lagged(n)) => {
                        tracing::warn!(missed = n, "Cdr events came faster than they were stored; catching up from the CDR file");
                        lagged = true;
                    }
                    Err(RecvError::Closed) => {
                        events_open = false;
                        continue;
                    }
                }
                while batch.len() < BATCH {
                    match events.try_recv() {
                        Ok(e) => batch.extend(checked(e, &ingest.config.zone)),
                        Err(TryRecvError::Lagged(_)) => lagged = true,
                        Err(_) => break,
                    }
                }
                let stored = ingest.store_live(&batch).await;
                if lagged || !stored {
                    ingest.catch_up().await;
                }
            }
        }
    }
}
