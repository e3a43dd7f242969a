//! What the call-history page and API share: reading the filter from a query string (every
//! value that does not parse is a 400 naming it), checking a call id from a URL, and
//! answering with a file (an export or a recording). Not here: routes, HTML or JSON shapes.

use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use chrono::NaiveDate;
use serde::Deserialize;

use crate::current_user::CurrentUser;
use crate::error::PortalError;
use crate::model::{
    CallDetail, CallDirection, CallExportFormat, CallFile, CallStatus, CallViewer, CallsFilter,
    CallsQuery,
};
use crate::params::parse_text_id;
use crate::state::AppState;

pub const DEFAULT_PER_PAGE: u32 = 25;
pub const MAX_PER_PAGE: u32 = 200;

/// The query string of the list, the export and the API, all as text.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct CallsParams {
    pub since: Option<String>,
    pub until: Option<String>,
    pub status: Option<String>,
    pub direction: Option<String>,
    pub number: Option<String>,
    pub tz: Option<String>,
    pub extension: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
    pub format: Option<String>,
}

fn text(v: &Option<String>) -> &str {
    v.as_deref().map(str::trim).unwrap_or_default()
}

fn bad(message: String) -> PortalError {
    PortalError::BadRequest(message)
}

fn date(field: &str, v: &Option<String>) -> Result<Option<NaiveDate>, PortalError> {
    let v = text(v);
    if v.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| bad(format!("{field} {v:?} is not a date like 2026-12-05")))
}

fn count(field: &str, v: &Option<String>, default: u32) -> Result<u32, PortalError> {
    let v = text(v);
    if v.is_empty() {
        return Ok(default);
    }
    v.parse()
        .map_err(|_| bad(format!("{field} {v:?} is not a whole number")))
}

/// An extension or number as typed: plain characters only.
fn plain(field: &str, v: &Option<String>) -> Result<Option<String>, PortalError> {
    let v = text(v);
    if v.is_empty() {
        return Ok(None);
    }
    if crate::model::is_number_filter(v) {
        Ok(Some(v.to_owned()))
    } else {
        Err(bad(format!(
            "{field} {v:?} may hold only digits, letters, spaces and + * # . - @ (at most 40 characters)"
        )))
    }
}

impl CallsParams {
    /// The filter; `admin` keeps the extension filter (a user's view is always their own).
    /// Dates and times are read in `zone` (the viewer's own) unless the query names one.
    pub fn filter(&self, admin: bool, zone: &str) -> Result<CallsFilter, PortalError> {
        let status = match text(&self.status) {
            "" => None,
            s => Some(CallStatus::parse(s).ok_or_else(|| {
                bad(format!(
                    "status {s:?} is not one of answered, missed, busy, failed"
                ))
            })?),
        };
        let direction = match text(&self.direction) {
            "" => None,
            d => Some(CallDirection::parse(d).ok_or_else(|| {
                bad(format!(
                    "direction {d:?} is not one of incoming, outgoing, internal"
                ))
            })?),
        };
        let tz = text(&self.tz);
        let tz_ok = tz.len() <= 64
            && tz
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "/_+-".contains(c));
        if !tz_ok {
            return Err(bad(format!(
                "time zone {tz:?} is not a zone name like Europe/Berlin"
            )));
        }
        let filter = CallsFilter {
            since: date("since", &self.since)?,
            until: date("until", &self.until)?,
            status,
            direction,
            number: plain("number", &self.number)?,
            tz: if tz.is_empty() { zone } else { tz }.to_owned(),
            extension: if admin {
                plain("extension", &self.extension)?
            } else {
                None
            },
        };
        if let (Some(since), Some(until)) = (filter.since, filter.until) {
            if until < since {
                return Err(bad(format!(
                    "the date range ends ({until}) before it starts ({since})"
                )));
            }
        }
        Ok(filter)
    }

    pub fn query(&self, admin: bool, zone: &str) -> Result<CallsQuery, PortalError> {
        Ok(CallsQuery {
            filter: self.filter(admin, zone)?,
            page: count("page", &self.page, 1)?.max(1),
            per_page: count("per_page", &self.per_page, DEFAULT_PER_PAGE)?.clamp(1, MAX_PER_PAGE),
        })
    }

    /// This query string again without paging, for links that keep the filter.
    pub fn filter_query_string(&self) -> String {
        let pairs = [
            ("since", &self.since),
            ("until", &self.until),
            ("status", &self.status),
            ("direction", &self.direction),
            ("number", &self.number),
            ("tz", &self.tz),
            ("extension", &self.extension),
        ];
        pairs
            .iter()
            .filter(|(_, v)| !text(v).is_empty())
            .map(|(k, v)| format!("{k}={}", crate::html::query_value(text(v))))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// Streams a file; `attachment` asks the browser to save it.
pub fn file_response(file: CallFile, attachment: bool) -> Response {
    let mut response = Response::new(Body::from_stream(file.body));
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&file.content_type) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    if let Some(len) = file.length {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    }
    let kind = if attachment { "attachment" } else { "inline" };
    // File names are built by the backend from ids and dates, never from user input; anything
    // unexpected is left out rather than sent.
    let name: String = file
        .file_name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!("{kind}; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

/// An export of the filtered calls as the viewer may see them, sent as an attachment.
pub async fn export_response(
    state: &AppState,
    current: &CurrentUser,
    p: &CallsParams,
    admin: bool,
) -> Result<Response, PortalError> {
    let format = match p.format.as_deref().map(str::trim) {
        None | Some("") => CallExportFormat::Csv,
        Some(f) => CallExportFormat::parse(f).ok_or_else(|| {
            PortalError::BadRequest(format!("format {f:?} is not one of csv, xlsx"))
        })?,
    };
    let filter = p.filter(admin, &current.user.time_zone)?;
    let file = state
        .backend
        .export_calls(&viewer(current, admin), &filter, format)
        .await?;
    Ok(file_response(file, true))
}

/// The query string of one call and of its recording, as text.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DetailQuery {
    pub tz: Option<String>,
    pub download: Option<String>,
}

/// One call as the viewer may see it, its times in the zone the query names (else the
/// viewer's own).
pub async fn detail(
    state: &AppState,
    current: &CurrentUser,
    id: &str,
    q: &DetailQuery,
    admin: bool,
) -> Result<CallDetail, PortalError> {
    let id = parse_text_id(id)?;
    let tz = CallsParams {
        tz: q.tz.clone(),
        ..CallsParams::default()
    }
    .filter(false, &current.user.time_zone)?
    .tz;
    Ok(state
        .backend
        .call_detail(&viewer(current, admin), &tz, id)
        .await?)
}

/// Who is looking: the current user, in their own view or (administrators) over everyone.
pub fn viewer(current: &CurrentUser, admin_view: bool) -> CallViewer {
    CallViewer {
        extension: current.extension().to_owned(),
        admin_view,
    }
}

/// A call's recording as a download or for the player, if the viewer may replay it.
pub async fn recording_response(
    state: &AppState,
    current: &CurrentUser,
    id: &str,
    download: bool,
    admin: bool,
) -> Result<Response, PortalError> {
    let id = parse_text_id(id)?;
    let file = state
        .backend
        .call_recording(&viewer(current, admin), id)
        .await?;
    Ok(file_response(file, download))
}
