//! API: fax sending (raw PDF/TIFF body), job progress (JSON and server-sent events), sent
//! items, inbox and downloads. Every id is checked against the session user.

use std::convert::Infallible;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use serde::Deserialize;
use tokio::sync::broadcast;

use crate::backend::Backend;
use crate::csrf::media_type;
use crate::current_user::CurrentUser;
use crate::downloads::document_response;
use crate::error::PortalError;
use crate::model::{FaxDocument, FaxDocumentKind, FaxJob, FaxJobId, FaxProgress, ReceivedFax};
use crate::ownership::{own_fax_job, own_received_fax};
use crate::params::{parse_fax_format, parse_id};
use crate::state::AppState;
use crate::upload::read_capped;

pub async fn sent(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Json<Vec<FaxJob>>, PortalError> {
    Ok(Json(state.backend.sent_faxes(current.extension()).await?))
}

#[derive(Debug, Deserialize)]
pub struct SendQuery {
    number: String,
    #[serde(default)]
    file_name: String,
}

pub async fn send(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(query): Query<SendQuery>,
    request: Request,
) -> Result<(StatusCode, Json<FaxJob>), PortalError> {
    let content_type = media_type(request.headers());
    let Some(kind) = FaxDocumentKind::from_content_type(&content_type) else {
        return Err(PortalError::UnsupportedMediaType(format!(
            "a fax document must be sent as application/pdf or image/tiff, not \"{content_type}\""
        )));
    };
    let (parts, body) = request.into_parts();
    let bytes = read_capped(&parts.headers, body, state.settings.fax_max_bytes).await?;
    let document = FaxDocument {
        kind,
        file_name: query.file_name,
        bytes,
    };
    let job = state
        .backend
        .send_fax(current.extension(), query.number.trim(), document)
        .await?;
    Ok((StatusCode::CREATED, Json(job)))
}

pub async fn job(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<FaxJob>, PortalError> {
    Ok(Json(own_fax_job(&state, &current, parse_id(&id)?).await?))
}

/// The job with its transfer in progress (page, bit rate) when the phone system reports
/// one; for a page to poll about once a second while the job is being sent.
pub async fn progress(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<FaxProgress>, PortalError> {
    let job = own_fax_job(&state, &current, parse_id(&id)?).await?;
    let transfer = state.backend.fax_transfer(job.id).await?;
    Ok(Json(FaxProgress { job, transfer }))
}

/// Server-sent events: one `progress` event with the job's current state, then one per change
/// until the job is sent or failed, then the stream ends.
pub async fn events(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, PortalError> {
    let id = parse_id(&id)?;
    // Subscribe before reading the current state so no change falls in between.
    let updates = state.backend.fax_progress();
    let job = own_fax_job(&state, &current, id).await?;
    let stream = progress_stream(state.backend.clone(), job, updates);
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

enum Progress {
    Initial(FaxJob, broadcast::Receiver<FaxJob>),
    Following(broadcast::Receiver<FaxJob>),
    Done,
}

fn progress_event(job: &FaxJob) -> Event {
    Event::default()
        .event("progress")
        .json_data(job)
        .unwrap_or_else(|_| Event::default().event("progress"))
}

fn progress_stream(
    backend: Arc<dyn Backend>,
    job: FaxJob,
    updates: broadcast::Receiver<FaxJob>,
) -> impl Stream<Item = Result<Event, Infallible>> {
    let id: FaxJobId = job.id;
    futures_util::stream::unfold(Progress::Initial(job, updates), move |progress| {
        let backend = backend.clone();
        async move {
            let (job, updates) = match progress {
                Progress::Done => return None,
                Progress::Initial(job, updates) => (job, updates),
                Progress::Following(mut updates) => loop {
                    match updates.recv().await {
                        Ok(job) if job.id == id => break (job, updates),
                        Ok(_) => continue,
                        // Missed some changes: the current state says all that matters.
                        Err(broadcast::error::RecvError::Lagged(_)) => {
                            match backend.fax_job(id).await {
                                Ok(Some(job)) => break (job, updates),
                                _ => return None,
                            }
                        }
                        Err(broadcast::error::RecvError::Closed) => return None,
                    }
                },
            };
            let next = if job.state.is_final() {
                Progress::Done
            } else {
                Progress::Following(updates)
            };
            Some((Ok(progress_event(&job)), next))
        }
    })
}

pub async fn sent_document(
    State(state): State<AppState>,
    current: CurrentUser,
    Path((id, format)): Path<(String, String)>,
) -> Result<Response, PortalError> {
    let job = own_fax_job(&state, &current, parse_id(&id)?).await?;
    let format = parse_fax_format(&format)?;
    let bytes = state.backend.sent_fax_document(job.id, format).await?;
    Ok(document_response(
        bytes,
        format,
        &format!("fax-sent-{}", job.id),
    ))
}

pub async fn inbox(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Json<Vec<ReceivedFax>>, PortalError> {
    Ok(Json(
        state.backend.received_faxes(current.extension()).await?,
    ))
}

pub async fn received(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<ReceivedFax>, PortalError> {
    Ok(Json(
        own_received_fax(&state, &current, parse_id(&id)?).await?,
    ))
}

pub async fn received_document(
    State(state): State<AppState>,
    current: CurrentUser,
    Path((id, format)): Path<(String, String)>,
) -> Result<Response, PortalError> {
    let fax = own_received_fax(&state, &current, parse_id(&id)?).await?;
    let format = parse_fax_format(&format)?;
    let bytes = state.backend.received_fax_document(fax.id, format).await?;
    Ok(document_response(
        bytes,
        format,
        &format!("fax-received-{}", fax.id),
    ))
}

pub async fn cancel(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<FaxJob>, PortalError> {
    let job = own_fax_job(&state, &current, parse_id(&id)?).await?;
    Ok(Json(state.backend.cancel_fax(job.id).await?))
}

pub async fn resend(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<FaxJob>), PortalError> {
    let job = own_fax_job(&state, &current, parse_id(&id)?).await?;
    Ok((
        StatusCode::CREATED,
        Json(state.backend.resend_fax(job.id).await?),
    ))
}

pub async fn delete_sent(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, PortalError> {
    let job = own_fax_job(&state, &current, parse_id(&id)?).await?;
    state.backend.delete_sent_fax(job.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn delete_received(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, PortalError> {
    let fax = own_received_fax(&state, &current, parse_id(&id)?).await?;
    state.backend.delete_received_fax(fax.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
