//! Fax through Asterisk: outgoing jobs (queue → convert → call → `SendFAX` → result, with
//! retries) and incoming faxes (`ReceiveFAX` → TIFF + PDF in the data dir → record).
//!
//! - [`machine`]: the pure job state machine and retry decisions.
//! - [`call`]: what a fax call's signals mean for the job (pure).
//! - [`ports`]: the line and converter traits the flow needs, and the signal hub.
//! - [`submit`]: checking and queuing a fax to send.
//! - [`worker`]: working the queue.
//! - [`receive`]: recording a received fax.
//! - [`remove`]: deleting a finished fax with its files.
//! - [`media_converter`]: the document converter over `media::fax`.
//! - [`service`]: the worker as the daemon runs it, its progress broadcast, the Stasis route.
//! - [`agi`]: the `fax-received` FastAGI script.
//! - [`ari_line`]: the fax line over ARI (originate, continue into `ringside-fax-out`).
//! - [`progress`]: which of Asterisk's fax sessions is a job's, and what it says (pure).
//! - [`transfers`]: a sending job's page and bit rate, asked over AMI while someone looks.
//!
//! Document conversion itself is `media::fax`; storage is `store::fax`. This module places
//! no calls by itself: the daemon gives it an ARI-backed line.

pub mod agi;
pub mod ari_line;
pub mod call;
pub mod machine;
pub mod media_converter;
pub mod ports;
pub mod progress;
pub mod receive;
pub mod remove;
pub mod service;
pub mod submit;
pub mod transfers;
pub mod worker;

pub use machine::{CallFailure, FaxResult};
pub use media_converter::MediaConverter;
pub use ports::{CallSignals, DocumentConverter, FaxCall, FaxLine, LineError};
pub use progress::LiveTransfer;
pub use receive::{ReceivedFaxReport, record_received_fax};
pub use submit::{DocumentLimits, SendRequest, SubmitError, submit_fax};
pub use transfers::FaxTransfers;
pub use worker::{FaxWorker, WorkerSettings};

/// Where fax files live inside the data dir.
pub fn fax_dir(data_dir: &std::path::Path) -> std::path::PathBuf {
    data_dir.join("fax")
}
