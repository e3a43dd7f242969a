//! Admin rules shared by the admin pages and the admin API: no self-lockout, and CSV import
//! (parse here, import the well-formed rows in the backend, merge both rejection lists).

use crate::backend::FieldError;
use crate::csv_import::parse_users_csv;
use crate::current_user::CurrentUser;
use crate::error::PortalError;
use crate::model::{ImportReport, UserUpdate};
use crate::state::AppState;

/// An admin may not lock themselves out.
pub fn self_lockout(current: &CurrentUser, ext: &str, update: &UserUpdate) -> Option<FieldError> {
    (current.user.extension == ext
        && (update.disabled || !update.is_admin || !update.portal_enabled))
        .then(|| {
            FieldError::new(
                "disabled",
                "you cannot disable yourself or remove your own admin or portal access",
            )
        })
}

/// What deleting a user does, as the confirmation says it.
pub const DELETE_CONSEQUENCES: &str = "Their follow-me, call handling, wakeup calls (with their \
     history) and open portal sessions are deleted with them. Their voicemail greetings and \
     messages stay in Asterisk's voicemail spool, which Ringside does not own, and their sent and \
     received faxes stay on the server until deleted there.";

/// An administrator may not delete their own account: nobody might be left to manage the
/// portal.
pub fn self_delete(current: &CurrentUser, ext: &str) -> Option<PortalError> {
    (current.user.extension == ext)
        .then_some(PortalError::Forbidden("you cannot delete your own account"))
}

/// Parses the CSV, lets the backend import the well-formed rows, and merges both rejections.
pub async fn run_import(state: &AppState, text: &str) -> Result<ImportReport, PortalError> {
    let parsed = parse_users_csv(text);
    let mut report = if parsed.rows.is_empty() {
        ImportReport::default()
    } else {
        state.backend.import_users(&parsed.rows).await?
    };
    report.rejected.extend(parsed.rejected);
    report.rejected.sort_by_key(|r| r.line);
    Ok(report)
}

pub fn csv_text(bytes: &[u8]) -> Result<&str, PortalError> {
    std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes))
        .map_err(|_| PortalError::BadRequest("the CSV file is not UTF-8 text".into()))
}
