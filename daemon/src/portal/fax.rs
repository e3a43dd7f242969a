//! Fax for the portal.

use bytes::Bytes;
use ringside_portal::model::{
    FaxDocument, FaxFormat, FaxJob, FaxJobId, ReceivedFax, ReceivedFaxId,
};
use ringside_portal::{BackendError, BackendResult};

use super::PortalBackend;

fn unavailable() -> BackendError {
    BackendError::Internal("fax is not available in this build".into())
}

impl PortalBackend {
    pub(super) async fn queued_fax_jobs(&self) -> BackendResult<u64> {
        Ok(0)
    }

    pub(super) async fn send_fax_impl(
        &self,
        _extension: &str,
        _number: &str,
        _document: FaxDocument,
    ) -> BackendResult<FaxJob> {
        Err(unavailable())
    }

    pub(super) async fn fax_job_impl(&self, _id: FaxJobId) -> BackendResult<Option<FaxJob>> {
        Err(unavailable())
    }

    pub(super) async fn sent_faxes_impl(&self, _extension: &str) -> BackendResult<Vec<FaxJob>> {
        Err(unavailable())
    }

    pub(super) async fn received_faxes_impl(
        &self,
        _extension: &str,
    ) -> BackendResult<Vec<ReceivedFax>> {
        Err(unavailable())
    }

    pub(super) async fn received_fax_impl(
        &self,
        _id: ReceivedFaxId,
    ) -> BackendResult<Option<ReceivedFax>> {
        Err(unavailable())
    }

    pub(super) async fn sent_fax_document_impl(
        &self,
        _id: FaxJobId,
        _format: FaxFormat,
    ) -> BackendResult<Bytes> {
        Err(unavailable())
    }

    pub(super) async fn received_fax_document_impl(
        &self,
        _id: ReceivedFaxId,
        _format: FaxFormat,
    ) -> BackendResult<Bytes> {
        Err(unavailable())
    }
}
