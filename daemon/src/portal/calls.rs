//! The portal's call history over the CDR store: a user's own calls (or, in the admin view,
//! every call, optionally one extension's), a call's CDR rows, exports streamed from a
//! temporary file, and recordings served only to viewers whose replay right covers the call
//! and only from inside the recordings directory.

use std::path::PathBuf;

use futures_util::StreamExt;
use ringside_portal::model::{
    CallDetail, CallDirection, CallEntry, CallExportFormat, CallFile, CallRecord,
    CallRecordingInfo, CallStatus, CallViewer, CallsFilter, CallsPage, CallsQuery, ReplayRight,
};
use ringside_portal::{BackendError, BackendResult};

use super::PortalBackend;
use super::errors::store as store_error;
use crate::calls::export::{ExportFormat, ExportView, export_to_file};
use crate::calls::recordings::{self, RecordingError};
use crate::cdr::{CallFilter, Cdr, Direction, Status};
use crate::schedule::zone::Zone;
use crate::store::calls::{CallQuery, CallRow};

/// What the call history needs besides the store.
#[derive(Debug, Clone)]
pub struct CallsAccess {
    pub recordings_dir: PathBuf,
    /// The zone dates are read in when the viewer names none (Asterisk's).
    pub default_zone: Zone,
    /// Where exports are built before they are sent.
    pub export_dir: PathBuf,
}

/// A file's bytes as a stream of 64 KiB chunks.
fn file_stream(
    file: tokio::fs::File,
) -> futures_util::stream::BoxStream<'static, std::io::Result<bytes::Bytes>> {
    use tokio::io::AsyncReadExt;
    futures_util::stream::unfold(Some(file), |state| async move {
        let mut file = state?;
        let mut buf = vec![0u8; 64 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(bytes::Bytes::from(buf)), Some(file)))
            }
            Err(e) => Some((Err(e), None)),
        }
    })
    .boxed()
}

fn access(b: &PortalBackend) -> BackendResult<&CallsAccess> {
    b.calls.as_ref().ok_or_else(|| {
        BackendError::Unavailable("call history is not available on this server".into())
    })
}

fn status_from_api(s: CallStatus) -> Status {
    match s {
        CallStatus::Answered => Status::Answered,
        CallStatus::Missed => Status::Missed,
        CallStatus::Busy => Status::Busy,
        CallStatus::Failed => Status::Failed,
    }
}

fn status_to_api(s: Status) -> CallStatus {
    match s {
        Status::Answered => CallStatus::Answered,
        Status::Missed => CallStatus::Missed,
        Status::Busy => CallStatus::Busy,
        Status::Failed => CallStatus::Failed,
    }
}

fn direction_from_api(d: CallDirection) -> Direction {
    match d {
        CallDirection::Incoming => Direction::Incoming,
        CallDirection::Outgoing => Direction::Outgoing,
        CallDirection::Internal => Direction::Internal,
    }
}

fn direction_to_api(d: Direction) -> CallDirection {
    match d {
        Direction::Incoming => CallDirection::Incoming,
        Direction::Outgoing => CallDirection::Outgoing,
        Direction::Internal => CallDirection::Internal,
    }
}

fn zone(a: &CallsAccess, name: &str) -> BackendResult<Zone> {
    if name.trim().is_empty() {
        return Ok(a.default_zone.clone());
    }
    Zone::parse(name).map_err(|_| {
        BackendError::Rejected(format!(
            "unknown time zone {name:?}: use a name like Europe/Berlin"
        ))
    })
}

/// The store query a viewer may run: a user's own calls, or an admin's choice.
fn store_query(
    a: &CallsAccess,
    viewer: &CallViewer,
    f: &CallsFilter,
) -> BackendResult<(CallQuery, Zone)> {
    let zone = zone(a, &f.tz)?;
    let filter = CallFilter {
        since: f.since,
        until: f.until,
        status: f.status.map(status_from_api),
        direction: f.direction.map(direction_from_api),
        number: f.number.clone(),
    };
    let extension = if viewer.admin_view {
        f.extension.clone()
    } else {
        Some(viewer.extension.clone())
    };
    let query = CallQuery::filtered(extension, filter, &zone);
    Ok((query, zone))
}

fn entry(c: &CallRow, zone: &Zone) -> CallEntry {
    CallEntry {
        id: c.call_id.clone(),
        started: c.started,
        ended: c.ended,
        started_local: c
            .started
            .with_timezone(zone)
            .format("%Y-%m-%d %H:%M:%S %Z")
            .to_string(),
        caller: c.caller.clone(),
        caller_name: c.caller_name.clone(),
        callee: c.callee.clone(),
        status: status_to_api(c.status),
        direction: c.direction.map(direction_to_api),
        extension: c.extension.clone(),
        answered_by: c.answered_by.clone(),
        talk_secs: c.talk_secs,
        duration_secs: c.duration_secs,
        recorded: c.recording.is_some(),
    }
}

fn record(r: &Cdr) -> CallRecord {
    CallRecord {
        start: r.start,
        answer: r.answer,
        end: r.end,
        source: r.source.clone(),
        destination: r.destination.clone(),
        caller_id: r.caller_id.clone(),
        channel: r.channel.clone(),
        destination_channel: r.destination_channel.clone(),
        application: r.last_application.clone(),
        data: r.last_data.clone(),
        disposition: r.disposition.as_str().to_owned(),
        duration_secs: r.duration_secs,
        billable_secs: r.billable_secs,
        unique_id: r.unique_id.clone(),
    }
}

pub async fn list(
    b: &PortalBackend,
    viewer: &CallViewer,
    q: &CallsQuery,
) -> BackendResult<CallsPage> {
    let a = access(b)?;
    let (mut query, zone) = store_query(a, viewer, &q.filter)?;
    query.limit = q.per_page.clamp(1, 1000);
    query.offset = q.page.max(1).saturating_sub(1).saturating_mul(query.limit);
    let (rows, has_more) = b.store.calls_page(&query).await.map_err(store_error)?;
    Ok(CallsPage {
        calls: rows.iter().map(|c| entry(c, &zone)).collect(),
        page: q.page.max(1),
        per_page: query.limit,
        has_more,
    })
}

/// A call the viewer may see, with its records and the viewer's view of it.
async fn visible(
    b: &PortalBackend,
    viewer: &CallViewer,
    id: &str,
) -> BackendResult<(CallRow, Vec<Cdr>, bool)> {
    let Some((mut call, cdrs)) = b.store.call_detail(id).await.map_err(store_error)? else {
        return Err(BackendError::NotFound);
    };
    let own = b
        .store
        .call_has_party(id, &viewer.extension)
        .await
        .map_err(store_error)?;
    if !own && !viewer.admin_view {
        // Another user's call answers like a missing one.
        return Err(BackendError::NotFound);
    }
    if own {
        call.extension = viewer.extension.clone();
    }
    Ok((call, cdrs, own))
}

async fn may_replay(b: &PortalBackend, viewer: &CallViewer, own: bool) -> BackendResult<bool> {
    if viewer.admin_view {
        return Ok(true);
    }
    let right = b
        .store
        .replay_right(&viewer.extension)
        .await
        .map_err(store_error)?;
    Ok(right.allows(own))
}

pub async fn detail(
    b: &PortalBackend,
    viewer: &CallViewer,
    tz: &str,
    id: &str,
) -> BackendResult<CallDetail> {
    let a = access(b)?;
    let zone = zone(a, tz)?;
    let (call, cdrs, own) = visible(b, viewer, id).await?;
    let recording = match &call.recording {
        None => None,
        Some(name) => Some(CallRecordingInfo {
            available: recordings::locate(&a.recordings_dir, name).is_ok(),
            may_replay: may_replay(b, viewer, own).await?,
        }),
    };
    Ok(CallDetail {
        call: entry(&call, &zone),
        records: cdrs.iter().map(record).collect(),
        recording,
    })
}

pub async fn recording(
    b: &PortalBackend,
    viewer: &CallViewer,
    id: &str,
) -> BackendResult<CallFile> {
    let a = access(b)?;
    let (call, _, own) = visible(b, viewer, id).await?;
    let Some(name) = call.recording else {
        return Err(BackendError::NotFound);
    };
    if !may_replay(b, viewer, own).await? {
        return Err(BackendError::NotFound);
    }
    let path = match recordings::locate(&a.recordings_dir, &name) {
        Ok(p) => p,
        Err(RecordingError::Missing(_)) => {
            return Err(BackendError::Gone(
                "the recording of this call is missing from the server".into(),
            ));
        }
        Err(RecordingError::Outside(_)) => {
            tracing::warn!(call = %id, recording = %name, "a CDR names a recording outside the recordings directory; not served");
            return Err(BackendError::Gone(
                "the recording of this call is not available".into(),
            ));
        }
    };
    let file = tokio::fs::File::open(&path).await.map_err(|_| {
        BackendError::Gone("the recording of this call is missing from the server".into())
    })?;
    let length = file.metadata().await.ok().map(|m| m.len());
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("bin")
        .to_owned();
    Ok(CallFile {
        content_type: recordings::content_type(&name).to_owned(),
        file_name: format!("call-{id}.{ext}"),
        length,
        body: file_stream(file),
    })
}

pub async fn export(
    b: &PortalBackend,
    viewer: &CallViewer,
    filter: &CallsFilter,
    format: CallExportFormat,
) -> BackendResult<CallFile> {
    let a = access(b)?;
    let (query, zone) = store_query(a, viewer, filter)?;
    tokio::fs::create_dir_all(&a.export_dir)
        .await
        .map_err(|e| {
            BackendError::Internal(format!("cannot create {}: {e}", a.export_dir.display()))
        })?;
    let format = match format {
        CallExportFormat::Csv => ExportFormat::Csv,
        CallExportFormat::Xlsx => ExportFormat::Xlsx,
    };
    let target = a.export_dir.join(format!(
        "calls-{}.{}",
        uuid::Uuid::new_v4().simple(),
        format.extension()
    ));
    let view = ExportView {
        zone,
        detail: false,
    };
    export_to_file(&b.store, &query, &view, format, &target)
        .await
        .map_err(|e| BackendError::Internal(e.to_string()))?;
    let file = tokio::fs::File::open(&target)
        .await
        .map_err(|e| BackendError::Internal(format!("cannot open the export: {e}")))?;
    let length = file.metadata().await.ok().map(|m| m.len());
    // The open file keeps its data; the name is gone at once so nothing is left behind.
    let _ = tokio::fs::remove_file(&target).await;
    let who = if viewer.admin_view {
        filter.extension.clone().unwrap_or_else(|| "all".into())
    } else {
        viewer.extension.clone()
    };
    Ok(CallFile {
        content_type: format.content_type().to_owned(),
        file_name: format!("calls-{who}.{}", format.extension()),
        length,
        body: file_stream(file),
    })
}

pub async fn replay_right(b: &PortalBackend, extension: &str) -> BackendResult<ReplayRight> {
    b.store.replay_right(extension).await.map_err(store_error)
}

pub async fn set_replay_right(
    b: &PortalBackend,
    extension: &str,
    right: ReplayRight,
) -> BackendResult<()> {
    b.store
        .set_replay_right(extension, right)
        .await
        .map_err(store_error)
}
