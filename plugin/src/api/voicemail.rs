//! API: the user's own voicemail. Messages are named by app_voicemail's msg_id; the
//! mailbox is always the session user's (there is no way to name another). Audio answers
//! range requests; fetching it from the start marks a new message heard, as a phone does.

use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use serde::Deserialize;

use super::ApiJson;
use crate::current_user::CurrentUser;
use crate::error::PortalError;
use crate::model::{VoicemailDeleteReport, VoicemailMessage, VoicemailPage};
use crate::params::parse_text_id;
use crate::state::AppState;
use crate::voicemail::{ListQuery, MAX_BULK, MsgId, parse_folder};

/// How often the live new-message count looks again.
pub const COUNT_POLL: Duration = Duration::from_secs(3);

pub async fn list(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(query): Query<ListQuery>,
) -> Result<Json<VoicemailPage>, PortalError> {
    let query = query.resolve()?;
    Ok(Json(
        state.backend.voicemail(current.extension(), &query).await?,
    ))
}

pub async fn message(
    State(state): State<AppState>,
    current: CurrentUser,
    MsgId(id): MsgId,
) -> Result<Json<VoicemailMessage>, PortalError> {
    Ok(Json(
        state
            .backend
            .voicemail_message(current.extension(), &id)
            .await?,
    ))
}

#[derive(Debug, Deserialize)]
pub struct FolderBody {
    pub folder: String,
}

pub async fn move_to(
    State(state): State<AppState>,
    current: CurrentUser,
    MsgId(id): MsgId,
    ApiJson(body): ApiJson<FolderBody>,
) -> Result<StatusCode, PortalError> {
    let to = parse_folder(&body.folder)?;
    state
        .backend
        .move_voicemail(current.extension(), &id, to)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
pub struct ReadBody {
    pub read: bool,
}

pub async fn set_read(
    State(state): State<AppState>,
    current: CurrentUser,
    MsgId(id): MsgId,
    ApiJson(body): ApiJson<ReadBody>,
) -> Result<StatusCode, PortalError> {
    state
        .backend
        .mark_voicemail_read(current.extension(), &id, body.read)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn delete(
    State(state): State<AppState>,
    current: CurrentUser,
    MsgId(id): MsgId,
) -> Result<StatusCode, PortalError> {
    let report = state
        .backend
        .delete_voicemail(current.extension(), std::slice::from_ref(&id))
        .await?;
    if report.deleted.is_empty() {
        return Err(crate::backend::BackendError::Gone("message no longer exists".into()).into());
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
pub struct DeleteBody {
    pub ids: Vec<String>,
}

pub async fn delete_many(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(body): ApiJson<DeleteBody>,
) -> Result<Json<VoicemailDeleteReport>, PortalError> {
    if body.ids.len() > MAX_BULK {
        return Err(PortalError::BadRequest(format!(
            "at most {MAX_BULK} messages at once"
        )));
    }
    for id in &body.ids {
        parse_text_id(id)?;
    }
    Ok(Json(
        state
            .backend
            .delete_voicemail(current.extension(), &body.ids)
            .await?,
    ))
}

pub async fn count(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Json<serde_json::Value>, PortalError> {
    let new = state
        .backend
        .voicemail_new_count(current.extension())
        .await?;
    Ok(Json(serde_json::json!({ "new": new })))
}

/// Server-sent events: a `count` event (`{"new": n}`) now and whenever the number of new
/// messages changes (left by phone, heard, deleted), looked at every few seconds.
pub async fn events(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, PortalError> {
    let first = state
        .backend
        .voicemail_new_count(current.extension())
        .await?;
    let backend = state.backend.clone();
    let extension = current.user.extension.clone();
    let stream = futures_util::stream::unfold((None::<u32>, Some(first)), move |(last, ready)| {
        let (backend, extension) = (backend.clone(), extension.clone());
        async move {
            let mut next = ready;
            loop {
                match next {
                    Some(n) if next != last => {
                        let event = Event::default()
                            .event("count")
                            .data(serde_json::json!({ "new": n }).to_string());
                        return Some((Ok(event), (Some(n), None)));
                    }
                    _ => {}
                }
                tokio::time::sleep(COUNT_POLL).await;
                // A failed look (spool unreadable for a moment) keeps the last count.
                next = backend.voicemail_new_count(&extension).await.ok();
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
