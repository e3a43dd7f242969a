//! Reading uploads while enforcing their size cap as bytes arrive (413 as soon as the cap is
//! passed, nothing buffered beyond it) and their declared content type (415). A multipart
//! form's text fields are bounded too, in number and in total size, as they arrive. The CSRF
//! token has been checked before the handler runs (see `csrf`).

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{HeaderMap, header};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;

use crate::csrf::{CSRF_FIELD, media_type};
use crate::error::PortalError;

/// Text fields of a multipart form are short; this bounds them.
const TEXT_FIELD_MAX: usize = 4096;
/// Most text fields a multipart form may have (the portal's have a handful).
const TEXT_FIELDS_MAX: usize = 32;
/// Most bytes all text fields of a multipart form may have together.
const TEXT_TOTAL_MAX: usize = 32 * 1024;
/// Room for the multipart framing and text fields on top of the file cap.
const MULTIPART_OVERHEAD: usize = 64 * 1024;

/// A multipart form with one file part.
#[derive(Debug, Default)]
pub struct UploadForm {
    pub fields: HashMap<String, String>,
    pub file: Option<UploadedFile>,
}

#[derive(Debug)]
pub struct UploadedFile {
    pub file_name: String,
    pub content_type: String,
    pub bytes: Bytes,
}

/// What the file part may be.
pub struct FileRule<'a> {
    pub field: &'a str,
    pub max_bytes: usize,
    /// Given the declared content type and the file name.
    pub accept: fn(&str, &str) -> bool,
    /// Names the accepted types in the 415 message.
    pub accepted: &'a str,
}

fn too_large_by_header(headers: &HeaderMap, limit: usize) -> bool {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|len| len > limit as u64)
}

/// Reads a `multipart/form-data` request (its `csrf_token` part was checked by the CSRF layer
/// and is skipped here). The file part is refused before reading when its content type is not
/// accepted; a second file part is refused.
pub async fn read_multipart(
    request: Request,
    rule: FileRule<'_>,
) -> Result<UploadForm, PortalError> {
    if media_type(request.headers()) != "multipart/form-data" {
        return Err(PortalError::UnsupportedMediaType(
            "this form must be sent as multipart/form-data".into(),
        ));
    }
    if too_large_by_header(request.headers(), rule.max_bytes + MULTIPART_OVERHEAD) {
        return Err(PortalError::PayloadTooLarge {
            limit: rule.max_bytes,
        });
    }
    let mut multipart = Multipart::from_request(request, &())
        .await
        .map_err(|e| PortalError::BadRequest(format!("the form could not be read: {e}")))?;
    let mut form = UploadForm::default();
    let (mut text_fields, mut text_bytes) = (0usize, 0usize);
    let bad_form = |e: axum::extract::multipart::MultipartError| {
        PortalError::BadRequest(format!("the form could not be read: {e}"))
    };
    while let Some(mut field) = multipart.next_field().await.map_err(bad_form)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == rule.field && field.file_name().is_some_and(|f| !f.is_empty()) {
            if form.file.is_some() {
                return Err(PortalError::BadRequest(
                    "the form may carry only one file".into(),
                ));
            }
            let content_type = field
                .content_type()
                .map(|c| {
                    c.split(';')
                        .next()
                        .unwrap_or_default()
                        .trim()
                        .to_ascii_lowercase()
                })
                .unwrap_or_default();
            let file_name = field.file_name().unwrap_or_default().to_owned();
            if !(rule.accept)(&content_type, &file_name) {
                return Err(PortalError::UnsupportedMediaType(format!(
                    "files of type \"{content_type}\" are not accepted here; use {}",
                    rule.accepted
                )));
            }
            let bytes = read_field(&mut field, rule.max_bytes).await?;
            form.file = Some(UploadedFile {
                file_name,
                content_type,
                bytes: Bytes::from(bytes),
            });
        } else {
            // Every other part counts as text, whatever it claims to be (an empty file input
            // sends a part without a file name).
            text_fields += 1;
            if text_fields > TEXT_FIELDS_MAX {
                return Err(PortalError::BadRequest(format!(
                    "the form has too many fields (at most {TEXT_FIELDS_MAX})"
                )));
            }
            let room = TEXT_FIELD_MAX.min(TEXT_TOTAL_MAX - text_bytes);
            let bytes = read_field(&mut field, room).await.map_err(|e| match e {
                PortalError::PayloadTooLarge { .. } if room < TEXT_FIELD_MAX => {
                    PortalError::PayloadTooLarge {
                        limit: TEXT_TOTAL_MAX,
                    }
                }
                other => other,
            })?;
            text_bytes += bytes.len();
            if name != CSRF_FIELD {
                form.fields
                    .insert(name, String::from_utf8_lossy(&bytes).into_owned());
            }
        }
    }
    Ok(form)
}

async fn read_field(
    field: &mut axum::extract::multipart::Field<'_>,
    limit: usize,
) -> Result<Vec<u8>, PortalError> {
    let mut out = Vec::new();
    while let Some(chunk) = field
        .chunk()
        .await
        .map_err(|e| PortalError::BadRequest(format!("the upload was interrupted: {e}")))?
    {
        if out.len() + chunk.len() > limit {
            return Err(PortalError::PayloadTooLarge { limit });
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// Reads a raw request body (JSON API uploads), refusing it as soon as it passes `limit`.
pub async fn read_capped(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Bytes, PortalError> {
    if too_large_by_header(headers, limit) {
        return Err(PortalError::PayloadTooLarge { limit });
    }
    let mut stream = body.into_data_stream();
    let mut out = BytesMut::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk
            .map_err(|e| PortalError::BadRequest(format!("the upload was interrupted: {e}")))?;
        if out.len() + chunk.len() > limit {
            return Err(PortalError::PayloadTooLarge { limit });
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out.freeze())
}

/// An audio upload (greetings, wakeup prompts) in the form field `audio`, up to `max_bytes`.
pub fn audio_rule(max_bytes: usize) -> FileRule<'static> {
    FileRule {
        field: "audio",
        max_bytes,
        accept: is_audio,
        accepted: "an audio file (audio/*)",
    }
}

/// Reads a raw audio body (JSON API uploads of greetings and prompts): 415 unless it is sent
/// as audio (`what` names the upload in the message), then capped at `limit` like
/// [`read_capped`].
pub async fn read_audio_body(
    request: axum::extract::Request,
    file_name: &str,
    what: &str,
    limit: usize,
) -> Result<Bytes, PortalError> {
    let content_type = media_type(request.headers());
    if !is_audio(&content_type, file_name) {
        return Err(PortalError::UnsupportedMediaType(format!(
            "{what} must be sent as audio (Content-Type audio/…), not \"{content_type}\""
        )));
    }
    let (parts, body) = request.into_parts();
    read_capped(&parts.headers, body, limit).await
}

/// Raw telephony audio has no registered media type, so browsers send it as
/// `application/octet-stream`; it is recognised by its file name instead.
const RAW_AUDIO_EXTENSIONS: [&str; 5] = ["ulaw", "alaw", "ul", "al", "gsm"];

/// Audio of any kind the backend may be able to convert.
pub fn is_audio(content_type: &str, file_name: &str) -> bool {
    let raw = file_name
        .rsplit_once('.')
        .is_some_and(|(_, ext)| RAW_AUDIO_EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str()));
    content_type.starts_with("audio/") || (content_type == "application/octet-stream" && raw)
}

pub fn is_fax_document(content_type: &str, _file_name: &str) -> bool {
    crate::model::FaxDocumentKind::from_content_type(content_type).is_some()
}

pub fn is_csv(content_type: &str, _file_name: &str) -> bool {
    matches!(
        content_type,
        "text/csv" | "text/plain" | "application/vnd.ms-excel"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_audio_type_is_accepted_as_audio() {
        assert!(is_audio("audio/mpeg", "a.mp3"));
        assert!(is_audio("audio/x-wav", "a.wav"));
    }

    #[test]
    fn raw_telephony_audio_is_recognised_by_its_file_name() {
        assert!(is_audio("application/octet-stream", "prompt.ULAW"));
        assert!(is_audio("application/octet-stream", "prompt.gsm"));
        assert!(!is_audio("application/octet-stream", "prompt.exe"));
        assert!(!is_audio("text/plain", "prompt.ulaw"));
    }
}
