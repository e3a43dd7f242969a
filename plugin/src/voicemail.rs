//! What the voicemail page and the voicemail API share: reading the list query and folder
//! names, checking a msg_id from a URL, and the handler that answers for a recording (whole or
//! a byte range; playing from the start marks the message heard). Not here: the route table,
//! HTML or JSON shapes.

use axum::body::Body;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::byte_range::{self, Wanted};
use crate::current_user::CurrentUser;
use crate::error::{PortalError, respond_for_path};
use crate::model::{Menu, VoicemailFolder, VoicemailQuery};
use crate::params::parse_text_id;
use crate::state::AppState;

/// Messages per page unless asked otherwise, and the most a page may hold.
pub const DEFAULT_PER_PAGE: u32 = 20;
pub const MAX_PER_PAGE: u32 = 200;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    pub folder: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

/// A folder named in a query or a request body; an unknown name is a 400 that lists them.
pub fn parse_folder(name: &str) -> Result<VoicemailFolder, PortalError> {
    VoicemailFolder::parse(name).ok_or_else(|| {
        PortalError::BadRequest(format!(
            "unknown folder {name:?}: use INBOX, Old, Work, Family, Friends or Urgent"
        ))
    })
}

impl ListQuery {
    pub fn resolve(&self) -> Result<VoicemailQuery, PortalError> {
        let folder = match self.folder.as_deref() {
            None | Some("") => VoicemailFolder::Inbox,
            Some(name) => parse_folder(name)?,
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

/// A message id from the URL path, checked. One that cannot be a msg_id is answered like a
/// missing message, before anything else of the request is read, in the format of the route.
pub struct MsgId(pub String);

impl<S: Send + Sync> FromRequestParts<S> for MsgId {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        match parse_text_id(&raw) {
            Ok(_) => Ok(MsgId(raw)),
            Err(err) => Err(respond_for_path(parts.uri.path(), err)),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct AudioQuery {
    #[serde(default)]
    pub download: Option<String>,
}

/// The recording as WAV, whole or the requested range (`?download` makes it an attachment).
/// One route for the page (`E` is `PageError`) and the API (`E` is `PortalError`): the same
/// answer, with errors in the format of the route.
pub async fn audio<E: From<PortalError>>(
    State(state): State<AppState>,
    current: CurrentUser,
    MsgId(id): MsgId,
    Query(query): Query<AudioQuery>,
    headers: HeaderMap,
) -> Result<Response, E> {
    let audio = state
        .backend
        .voicemail_audio(current.extension(), &id)
        .await
        .map_err(PortalError::Backend)?;
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
    if query.download.is_some() {
        if let Ok(v) = format!("attachment; filename=\"voicemail-{id}.wav\"").parse() {
            response
                .headers_mut()
                .insert(header::CONTENT_DISPOSITION, v);
        }
    }
    Ok(response)
}

/// The most messages one bulk delete may name.
pub const MAX_BULK: usize = 500;

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
}
