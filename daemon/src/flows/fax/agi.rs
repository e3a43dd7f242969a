//! The `fax-received` FastAGI script: `[ringside-fax-in]` calls it after `ReceiveFAX` (from a
//! hangup handler, so the channel may already be gone) and the fax is recorded.
//! It sends Asterisk no commands: everything it needs is in the arguments.

use std::path::PathBuf;
use std::sync::Arc;

use super::ports::DocumentConverter;
use super::receive::{parse_agi_arguments, record_received_fax};
use crate::agi::{AgiError, AgiHandler, AgiSession};
use crate::store::Store;

pub use super::receive::AGI_SCRIPT;

/// Records received faxes reported through FastAGI.
pub struct FaxReceivedScript {
    pub store: Store,
    pub converter: Arc<dyn DocumentConverter>,
    /// `<data_dir>/fax/received`.
    pub received_dir: PathBuf,
}

#[async_trait::async_trait]
impl AgiHandler for FaxReceivedScript {
    async fn handle(&self, session: &mut AgiSession) -> Result<(), AgiError> {
        let report = match parse_agi_arguments(&session.request().args) {
            Ok(report) => report,
            Err(err) => {
                tracing::error!(error = %err, channel = session.request().var("channel").unwrap_or(""), "fax-received: bad report; fax not recorded");
                return Ok(());
            }
        };
        match record_received_fax(
            &self.store,
            Arc::clone(&self.converter),
            &self.received_dir,
            &report,
        )
        .await
        {
            Ok(job) => tracing::info!(job = job.id, owner = %job.owner, "fax-received: recorded"),
            Err(err) => {
                tracing::error!(error = %err, tiff = %report.spool_tiff.display(), "fax-received: cannot record the fax")
            }
        }
        Ok(())
    }
}
