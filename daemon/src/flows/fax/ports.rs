//! The two things the fax flow needs from outside, as traits: a line to place fax calls on
//! (ARI in the daemon) and a document converter (`media::fax` in the daemon). Tests put
//! scripted ones in their place. Also the hub that routes a call's signals to the worker
//! waiting for them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;

use super::call::CallSignal;
use super::machine::FaxResult;

/// An outgoing fax call to place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaxCall {
    /// Our channel id (see `machine::channel_id_for`).
    pub channel_id: String,
    pub job_id: i64,
    /// Dial string from the `[dial] external` template, e.g. `Local/5551234@ringside-outbound`.
    pub endpoint: String,
    /// The fax TIFF `SendFAX` transmits.
    pub tiff_path: PathBuf,
    /// Caller id shown to the far end (the sender's extension).
    pub caller_id: String,
    /// Seconds to wait for an answer.
    pub timeout_secs: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct LineError(pub String);

/// Places and controls fax calls.
#[async_trait::async_trait]
pub trait FaxLine: Send + Sync {
    /// Starts calling; the outcome arrives later as [`CallSignal`]s for `call.channel_id`.
    async fn originate(&self, call: &FaxCall) -> Result<(), LineError>;
    /// Hands the answered call to the fax-out dialplan, where `SendFAX` runs.
    async fn start_send_fax(&self, channel_id: &str, job_id: i64) -> Result<(), LineError>;
    /// Hangs the call up; a call that is already gone is not an error.
    async fn hangup(&self, channel_id: &str) -> Result<(), LineError>;

    /// The `SendFAX` report of a call that ended while no worker listened (its daemon
    /// stopped), if the line kept one. A line that keeps none answers `None`, and the job is
    /// treated as abandoned mid-call.
    async fn kept_report(&self, _channel_id: &str) -> Result<Option<FaxResult>, LineError> {
        Ok(None)
    }

    /// Takes over a call placed by a daemon that stopped: its events reach this line from
    /// now on. Says what the call is doing. A line that cannot adopt answers
    /// [`AdoptedCall::Gone`], and the job is treated as abandoned mid-call.
    async fn adopt(&self, _channel_id: &str) -> Result<AdoptedCall, LineError> {
        Ok(AdoptedCall::Gone)
    }

    /// Drops the kept report of a call whose outcome is saved.
    async fn forget_report(&self, _channel_id: &str) -> Result<(), LineError> {
        Ok(())
    }
}

/// What a call taken over from a stopped daemon is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdoptedCall {
    /// The call is over (or cannot be found).
    Gone,
    /// Answered and still waiting in the app: its daemon stopped after recording the job as
    /// sending but before handing the call to `SendFAX`. Nothing was transmitted yet.
    Answered,
    /// In the fax-out dialplan, transmitting.
    Sending,
}

/// Converts documents. Blocking; the flow calls it on a blocking thread.
pub trait DocumentConverter: Send + Sync {
    /// Pages in a PDF or TIFF, read without converting it.
    fn count_pages(&self, document: &Path) -> Result<u32, String>;
    /// PDF/TIFF → fax TIFF at `output`; returns the page count.
    fn to_fax_tiff(&self, document: &Path, output: &Path) -> Result<u32, String>;
    /// Fax TIFF → PDF at `output`; returns the page count.
    fn fax_tiff_to_pdf(&self, tiff: &Path, output: &Path) -> Result<u32, String>;
}

/// Routes each call's signals to the task waiting on that channel.
#[derive(Debug, Clone, Default)]
pub struct CallSignals {
    waiting: Arc<Mutex<HashMap<String, mpsc::UnboundedSender<CallSignal>>>>,
}

impl CallSignals {
    /// Starts collecting signals for `channel_id` (before the call is placed, so none is lost).
    pub fn register(&self, channel_id: &str) -> mpsc::UnboundedReceiver<CallSignal> {
        let (tx, rx) = mpsc::unbounded_channel();
        if let Ok(mut waiting) = self.waiting.lock() {
            waiting.insert(channel_id.to_owned(), tx);
        }
        rx
    }

    pub fn unregister(&self, channel_id: &str) {
        if let Ok(mut waiting) = self.waiting.lock() {
            waiting.remove(channel_id);
        }
    }

    /// Delivers a signal; `false` when nobody waits for that channel.
    pub fn dispatch(&self, channel_id: &str, signal: CallSignal) -> bool {
        let Ok(waiting) = self.waiting.lock() else {
            return false;
        };
        waiting
            .get(channel_id)
            .is_some_and(|tx| tx.send(signal).is_ok())
    }

    pub fn is_waiting_for(&self, channel_id: &str) -> bool {
        self.waiting
            .lock()
            .map(|w| w.contains_key(channel_id))
            .unwrap_or(false)
    }
}
