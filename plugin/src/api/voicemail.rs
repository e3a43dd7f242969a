//! API: the user's own voicemail. Messages are named by app_voicemail's msg_id; the
//! mailbox is always the session user's (there is no way to name another). Audio answers
//! range requests; fetching it from the start marks a new message heard, as a phone does.

use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use serde::Deserialize;

use super::ApiJson;
use crate::byte_range::{self, Wanted};
use crate::current_user::CurrentUser;
use crate::error::PortalError;
use crate::model::{
    Menu, VoicemailDeleteReport, VoicemailFolder, VoicemailMessage, VoicemailPage, VoicemailQuery,
};
use crate::state::AppState;

/// Messages per page unless asked otherwise, and the most a page may hold.
pub const DEFAULT_PER_PAGE: u32 = 20;
pub const MAX_PER_PAGE: u32 = 200;
/// How often the live new-message count looks again.
pub const COUNT_POLL: Duration = Duration::from_secs(3);

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    pub folder: Option<String>,
    #[serde(default)]
    pub page: Option<u32>,
    #[serde(default)]
    pub per_page: Option<u32>,
}

impl ListQuery {
    pub fn resolve(&self) -> Result<VoicemailQuery, PortalError> {
        let folder = match self.folder.as_deref() {
            None | Some("") => VoicemailFolder::Inbox,
            Some(name) => VoicemailFolder::parse(name).ok_or_else(|| {
                PortalError::BadRequest(format!(
                    "unknown folder {name:?}: use INBOX, Old, Work, Family, Friends or Urgent"
                ))
            })?,
        };
        Ok(VoicemailQuery {
            folder,
            page: self.page.unwrap_or(1).max(1),
            per_page: self
                .per_page
                .unwrap_or(DEFAULT_PER_PAGE)
                .clamp(1, MAX_PER_PAGE),
        })
    }
}

/// msg_ids are plain: anything else is answered like a missing message.
pub fn parse_msg_id(raw: &str) -> Result<&str, PortalError> {
    let ok = !raw.is_empty()
        && raw.len() <= 64
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(raw)
    } else {
        Err(PortalError::NotFound)
    }
}

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
    Path(id): Path<String>,
) -> Result<Json<VoicemailMessage>, PortalError> {
    let id = parse_msg_id(&id)?;
    Ok(Json(
        state
            .backend
            .voicemail_message(current.extension(), id)
            .await?,
    ))
}

/// The recording as WAV, whole or the requested range. Shared with the page route.
pub async fn audio_response(
    state: &AppState,
    current: &CurrentUser,
    id: &str,
    headers: &HeaderMap,
    download: bool,
) -> Result<Response, PortalError> {
    let id = parse_msg_id(id)?;
    let audio = state
        .backend
        .voicemail_audio(current.extension(), id)
        .await?;
    let len = audio.len();
    let wanted = byte_range::parse(
        headers.get(header::RANGE).and_then(|v| v.to_str().ok()),
        len,
    );
    let range = match &wanted {
        Wanted::Whole => 0..len,
        Wanted::Part(r) => r.clone(),
        Wanted::Unsatisfiable => 0..0,
    };
    // Playing from the start is listening; a seek or a resumed download is not news.
    // The recording is already open, so the move app_voicemail makes (a rename) cannot cut
    // the stream; it runs beside it so the first byte does not wait for Asterisk.
    if range.start == 0 && len > 0 && current.can_write(Menu::Voicemail) {
        let backend = state.backend.clone();
        let (extension, id) = (current.user.extension.clone(), id.to_owned());
        tokio::spawn(async move {
            if let Err(err) = backend.mark_voicemail_read(&extension, &id, true).await {
                tracing::warn!(%err, msg_id = %id, "could not mark the voicemail message read");
            }
        });
    }
    let body = if matches!(wanted, Wanted::Unsatisfiable) {
        Body::empty()
    } else {
        Body::from_stream(audio.stream(range))
    };
    let mut response = byte_range::respond(&wanted, len, "audio/wav", body);
    if download {
        if let Ok(v) = format!("attachment; filename=\"voicemail-{id}.wav\"").parse() {
            response
                .headers_mut()
                .insert(header::CONTENT_DISPOSITION, v);
        }
    }
    Ok(response)
}

#[derive(Debug, Default, Deserialize)]
pub struct AudioQuery {
    #[serde(default)]
    pub download: Option<String>,
}

pub async fn audio(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
    Query(query): Query<AudioQuery>,
    headers: HeaderMap,
) -> Result<Response, PortalError> {
    audio_response(&state, &current, &id, &headers, query.download.is_some()).await
}

#[derive(Debug, Deserialize)]
pub struct FolderBody {
    pub folder: String,
}

pub async fn move_to(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<FolderBody>,
) -> Result<StatusCode, PortalError> {
    let id = parse_msg_id(&id)?;
    let to = VoicemailFolder::parse(&body.folder).ok_or_else(|| {
        PortalError::BadRequest(format!(
            "unknown folder {:?}: use INBOX, Old, Work, Family, Friends or Urgent",
            body.folder
        ))
    })?;
    state
        .backend
        .move_voicemail(current.extension(), id, to)
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
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ReadBody>,
) -> Result<StatusCode, PortalError> {
    let id = parse_msg_id(&id)?;
    state
        .backend
        .mark_voicemail_read(current.extension(), id, body.read)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn delete(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, PortalError> {
    let id = parse_msg_id(&id)?.to_owned();
    let report = state
        .backend
        .delete_voicemail(current.extension(), std::slice::from_ref(&id))
        .await?;
    if report.deleted.is_empty() {
        return Err(crate::backend::BackendError::Gone("message no longer exists".into()).into());
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The most messages one bulk delete may name.
pub const MAX_BULK: usize = 500;

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
        parse_msg_id(id)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_query_defaults_to_the_first_page_of_new_messages() {
        let q = ListQuery::default().resolve().expect("valid");
        assert_eq!(
            (q.folder, q.page, q.per_page),
            (VoicemailFolder::Inbox, 1, DEFAULT_PER_PAGE)
        );
    }

    #[test]
    fn page_size_is_capped() {
        let q = ListQuery {
            per_page: Some(100_000),
            page: Some(0),
            folder: Some("old".into()),
        }
        .resolve()
        .expect("valid");
        assert_eq!(
            (q.folder, q.page, q.per_page),
            (VoicemailFolder::Old, 1, MAX_PER_PAGE)
        );
    }

    #[test]
    fn an_unknown_folder_is_a_bad_request() {
        let q = ListQuery {
            folder: Some("Deleted".into()),
            ..ListQuery::default()
        };
        assert!(matches!(q.resolve(), Err(PortalError::BadRequest(_))));
    }

    #[test]
    fn ids_with_path_or_header_characters_are_not_found() {
        for bad in ["", "../x", "a b", "1\r\n2", &"9".repeat(65)] {
            assert!(
                matches!(parse_msg_id(bad), Err(PortalError::NotFound)),
                "{bad:?}"
            );
        }
        assert_eq!(
            parse_msg_id("1796510422-00000000").ok(),
            Some("1796510422-00000000")
        );
    }
}
