//! Live page progress of the faxes being sent, asked of Asterisk only while someone looks.
//!
//! No task polls in the background: the portal asks for a job's transfer when a page or an
//! API client shows that job, and only a job in `sending` is looked up at all. An answer is
//! kept for [`FRESH_FOR`], so however many viewers a job has, Asterisk is asked about it at
//! most about once a second, and not at all once nobody looks. The call's channel name (one
//! ARI look-up) and its session number (`FAXSessions`) are kept for the call, so a steady poll
//! costs one `FAXSession`; a session that ended is looked for in the list once more (a new
//! attempt has a new call and channel, hence a fresh look).
//!
//! Whatever goes wrong (no manager link, a refused action, a dropped connection, no session
//! found, ARI not answering) means "nothing known", never an error: the portal then shows
//! the job as the worker records it. Each look is bounded in time so a slow manager never
//! holds a page up. Looks run one at a time, which also bounds what viewers ask of Asterisk.
//!
//! Not here: matching sessions and reading their fields ([`super::progress`], pure), the
//! manager actions themselves ([`crate::ami::fax`]).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use super::progress::{LiveTransfer, send_session_on, transfer_from};
use crate::ami::{AmiClient, AmiError};
use crate::ari::AriClient;
use crate::store::fax::{FaxJob, JobState};

/// How long an answer serves every viewer of a job before Asterisk is asked again.
pub const FRESH_FOR: Duration = Duration::from_millis(900);
/// The longest one look may take; past it the viewer gets "nothing known".
pub const LOOK_LIMIT: Duration = Duration::from_secs(2);
/// A job nobody asked about for this long is forgotten.
const FORGET_AFTER: Duration = Duration::from_secs(60);

/// What is known of one job's call.
struct Known {
    channel_id: String,
    channel_name: Option<String>,
    session: Option<u32>,
    transfer: Option<LiveTransfer>,
    asked_at: Instant,
}

struct Inner {
    ami: AmiClient,
    ari: AriClient,
    known: tokio::sync::Mutex<HashMap<i64, Known>>,
    /// The operator is told once that the manager user lacks the `call` class.
    told_no_permission: AtomicBool,
}

/// The live progress of fax transfers; cheap to clone.
#[derive(Clone)]
pub struct FaxTransfers {
    inner: Arc<Inner>,
}

impl FaxTransfers {
    /// Looks sessions up through `ami`, and the names of fax calls' channels through `ari`.
    pub fn new(ami: AmiClient, ari: AriClient) -> Self {
        Self {
            inner: Arc::new(Inner {
                ami,
                ari,
                known: tokio::sync::Mutex::default(),
                told_no_permission: AtomicBool::new(false),
            }),
        }
    }

    /// Where `job`'s transfer stands now; `None` when nothing is known beyond the job itself.
    pub async fn current(&self, job: &FaxJob) -> Option<LiveTransfer> {
        let channel = match (job.state, job.channel_id.as_deref()) {
            (JobState::Sending, Some(channel)) => channel,
            _ => return None,
        };
        if !self.inner.ami.state().borrow().is_connected() {
            return None;
        }
        let mut known = self.inner.known.lock().await;
        known.retain(|_, k| k.asked_at.elapsed() < FORGET_AFTER);
        if let Some(k) = known.get(&job.id) {
            if k.channel_id == channel && k.asked_at.elapsed() < FRESH_FOR {
                return k.transfer;
            }
        }
        let mut entry = known
            .remove(&job.id)
            .filter(|k| k.channel_id == channel)
            .unwrap_or_else(|| Known {
                channel_id: channel.to_owned(),
                channel_name: None,
                session: None,
                transfer: None,
                asked_at: Instant::now(),
            });
        let look = self.look(job.id, &mut entry, job.pages_total);
        entry.transfer = tokio::time::timeout(LOOK_LIMIT, look)
            .await
            .unwrap_or_else(|_| {
                tracing::debug!(
                    job = job.id,
                    "fax progress: Asterisk did not answer in time"
                );
                None
            });
        entry.asked_at = Instant::now();
        let transfer = entry.transfer;
        known.insert(job.id, entry);
        transfer
    }

    async fn look(&self, job: i64, k: &mut Known, pages_total: u32) -> Option<LiveTransfer> {
        if k.channel_name.is_none() {
            match self.inner.ari.channel(&k.channel_id).await {
                Ok(channel) => k.channel_name = Some(channel.name),
                Err(err) => {
                    tracing::debug!(job, channel = %k.channel_id, error = %err, "fax progress: the call's channel is not known to ARI");
                    return None;
                }
            }
        }
        let name = k.channel_name.clone()?;
        let mut listed = false;
        loop {
            let session = match k.session {
                Some(number) => number,
                None => {
                    let entries = self.inner.ami.fax_sessions().await;
                    let entries = entries.map_err(|err| self.failed(job, &err)).ok()?;
                    listed = true;
                    k.session = send_session_on(&entries, &name);
                    match k.session {
                        Some(number) => number,
                        None => {
                            tracing::debug!(job, channel = %name, "fax progress: no fax session sends on the call's channel");
                            return None;
                        }
                    }
                }
            };
            match self.inner.ami.fax_session(session).await {
                Ok(Some(detail)) => return transfer_from(&detail, pages_total),
                Ok(None) if !listed => k.session = None,
                Ok(None) => {
                    k.session = None;
                    return None;
                }
                Err(err) => {
                    self.failed(job, &err);
                    return None;
                }
            }
        }
    }

    fn failed(&self, job: i64, err: &AmiError) {
        let refused = matches!(err, AmiError::Refused(text) if text.contains("Permission denied"));
        if refused && !self.inner.told_no_permission.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                job,
                error = %err,
                "the manager user may not list fax sessions: add `call` to its write classes in manager.conf for live fax page progress"
            );
        } else {
            tracing::debug!(job, error = %err, "fax progress: no answer from the manager");
        }
    }
}
