//! The fax pages: send a PDF/TIFF, follow a job's progress live (server-sent events, polling
//! fallback, and a meta refresh without JavaScript) with the page being sent and its bit rate
//! while the phone system reports them, sent items, inbox, downloads.

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::DoneQuery;
use crate::backend::BackendError;
use crate::current_user::CurrentUser;
use crate::downloads::document_response;
use crate::error::{PageError, PortalError};
use crate::html::redirect;
use crate::html::{
    Section, csrf_input, disabled_unless, esc, field_error, format_time, menu_page, notice, page,
    read_only_note,
};
use crate::model::{FaxDocument, FaxDocumentKind, FaxJob, FaxState, Menu};
use crate::ownership::{own_fax_job, own_received_fax};
use crate::params::{parse_fax_format as parse_format, parse_id};
use crate::state::AppState;
use crate::upload::{FileRule, is_fax_document, read_multipart};

pub fn pages_text(job: &FaxJob) -> String {
    match job.pages_total {
        Some(total) => format!("{} of {total} pages", job.pages_sent),
        None => format!("{} pages", job.pages_sent),
    }
}

fn send_form(current: &CurrentUser, number: &str, errors: &[crate::backend::FieldError]) -> String {
    format!(
        "<section class=\"card\"><h2>Send a fax</h2>\
         <form method=\"post\" action=\"/fax/send\" enctype=\"multipart/form-data\" id=\"fax-send-form\">{csrf}<fieldset{dis}>\
         <label for=\"number\">Fax number</label><input id=\"number\" name=\"number\" inputmode=\"tel\" required value=\"{number}\">{nerr}\
         <label for=\"document\">Document (PDF or TIFF)</label>\
         <input id=\"document\" name=\"document\" type=\"file\" accept=\"application/pdf,image/tiff,.pdf,.tif,.tiff\" required>\
         <button id=\"send-fax\" class=\"btn\" type=\"submit\">Send fax</button></fieldset></form></section>",
        csrf = csrf_input(current),
        dis = disabled_unless(current.can_write(Menu::Fax)),
        number = esc(number),
        nerr = field_error(errors, "number"),
    )
}

async fn render(
    state: &AppState,
    current: &CurrentUser,
    top: &str,
    number: &str,
    errors: &[crate::backend::FieldError],
) -> Result<Html<String>, PortalError> {
    let sent = state.backend.sent_faxes(current.extension()).await?;
    let inbox = state.backend.received_faxes(current.extension()).await?;
    let writable = current.can_write(Menu::Fax);
    let sent_rows: String = sent
        .iter()
        .map(|j| {
            format!(
                "<tr id=\"sent-{id}\"><td><a href=\"/fax/jobs/{id}\">{when}</a></td><td>{number}</td><td>{file}</td>\
                 <td><span class=\"badge state-{state_key}\">{state}</span> <span class=\"muted\">{pages}</span></td>\
                 <td class=\"actions\"><a href=\"/fax/sent/{id}/pdf\">PDF</a> · <a href=\"/fax/sent/{id}/tiff\">TIFF</a>{actions}</td></tr>",
                actions = job_actions(current, j, writable),
                id = j.id,
                when = format_time(&j.created_at, &current.user.time_zone),
                number = esc(&j.number),
                file = esc(&j.file_name),
                state_key = j.state.label().replace(' ', "-"),
                state = j.state.label(),
                pages = esc(&pages_text(j)),
            )
        })
        .collect();
    let inbox_rows: String = inbox
        .iter()
        .map(|f| {
            format!(
                "<tr id=\"inbox-{id}\"><td>{when}</td><td>{from}</td><td>{pages}</td>\
                 <td class=\"actions\"><a href=\"/fax/inbox/{id}/pdf\">PDF</a> · <a href=\"/fax/inbox/{id}/tiff\">TIFF</a>\
                 <form method=\"post\" action=\"/fax/inbox/{id}/delete\" class=\"inline-form\" data-confirm=\"Delete this fax and its files?\">{csrf}<fieldset{dis}>\
                 <button id=\"delete-inbox-{id}\" class=\"btn btn-small btn-danger\" type=\"submit\">Delete</button></fieldset></form></td></tr>",
                csrf = csrf_input(current),
                dis = disabled_unless(writable),
                id = f.id,
                when = format_time(&f.received_at, &current.user.time_zone),
                from = esc(&f.from_number),
                pages = f.pages,
            )
        })
        .collect();
    let table = |id: &str, head: &str, rows: String, empty: &str| {
        if rows.is_empty() {
            format!("<p class=\"empty\" id=\"{id}-empty\">{empty}</p>")
        } else {
            format!(
                "<div class=\"table-wrap\"><table class=\"list\" id=\"{id}\"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>"
            )
        }
    };
    let body = format!(
        "{top}{ro}{form}<section class=\"card\"><h2>Sent</h2>{sent}</section><section class=\"card\"><h2>Inbox</h2>{inbox}</section>",
        ro = read_only_note(current.can_write(Menu::Fax)),
        form = send_form(current, number, errors),
        sent = table(
            "sent",
            "<th scope=\"col\">Sent</th><th scope=\"col\">To</th><th scope=\"col\">Document</th><th scope=\"col\">State</th><th scope=\"col\">Download</th>",
            sent_rows,
            "No faxes sent yet."
        ),
        inbox = table(
            "inbox",
            "<th scope=\"col\">Received</th><th scope=\"col\">From</th><th scope=\"col\">Pages</th><th scope=\"col\">Download</th>",
            inbox_rows,
            "No faxes received yet."
        ),
    );
    Ok(menu_page("Fax", current, Menu::Fax, &body))
}

/// The buttons a sent job offers in its state: cancel while it has not been sent, send again
/// once it failed, delete once it ended.
fn job_actions(current: &CurrentUser, job: &FaxJob, writable: bool) -> String {
    let button = |action: &str, label: &str, confirm: &str, class: &str| {
        format!(
            "<form method=\"post\" action=\"/fax/jobs/{id}/{action}\" class=\"inline-form\" data-confirm=\"{confirm}\">{csrf}<fieldset{dis}>\
             <button id=\"{action}-{id}\" class=\"btn btn-small {class}\" type=\"submit\">{label}</button></fieldset></form>",
            id = job.id,
            csrf = csrf_input(current),
            dis = disabled_unless(writable),
        )
    };
    let mut out = String::new();
    if matches!(job.state, FaxState::Queued | FaxState::Retrying) {
        out.push_str(&button(
            "cancel",
            "Cancel",
            "Cancel this fax?",
            "btn-secondary",
        ));
    }
    if job.state == FaxState::Failed {
        out.push_str(&button(
            "resend",
            "Send again",
            "Send this fax again?",
            "btn-secondary",
        ));
    }
    if job.state.is_final() {
        out.push_str(&button(
            "delete",
            "Delete",
            "Delete this fax and its files?",
            "btn-danger",
        ));
    }
    out
}

pub async fn cancel(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let job = own_fax_job(&state, &current, parse_id(&id)?).await?;
    state.backend.cancel_fax(job.id).await?;
    Ok(redirect("/fax?done=cancelled"))
}

pub async fn resend(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let job = own_fax_job(&state, &current, parse_id(&id)?).await?;
    let again = state.backend.resend_fax(job.id).await?;
    Ok(redirect(&format!("/fax/jobs/{}", again.id)))
}

pub async fn delete_sent(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let job = own_fax_job(&state, &current, parse_id(&id)?).await?;
    state.backend.delete_sent_fax(job.id).await?;
    Ok(redirect("/fax?done=deleted"))
}

pub async fn delete_received(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let fax = own_received_fax(&state, &current, parse_id(&id)?).await?;
    state.backend.delete_received_fax(fax.id).await?;
    Ok(redirect("/fax?done=deleted"))
}

pub async fn show(
    State(state): State<AppState>,
    current: CurrentUser,
    done: DoneQuery,
) -> Result<Html<String>, PageError> {
    Ok(render(&state, &current, &done.notice(), "", &[]).await?)
}

pub async fn send(
    State(state): State<AppState>,
    current: CurrentUser,
    request: Request,
) -> Result<Response, PageError> {
    let rule = FileRule {
        field: "document",
        max_bytes: state.settings.fax_max_bytes,
        accept: is_fax_document,
        accepted: "a PDF (application/pdf) or TIFF (image/tiff)",
    };
    let form = read_multipart(request, rule).await?;
    let number = form
        .fields
        .get("number")
        .map(|n| n.trim().to_owned())
        .unwrap_or_default();
    let Some(file) = form.file else {
        return Err(PortalError::BadRequest("choose a PDF or TIFF document to send".into()).into());
    };
    let Some(kind) = FaxDocumentKind::from_content_type(&file.content_type) else {
        return Err(PortalError::UnsupportedMediaType("use a PDF or TIFF document".into()).into());
    };
    let document = FaxDocument {
        kind,
        file_name: file.file_name,
        bytes: file.bytes,
    };
    match state
        .backend
        .send_fax(current.extension(), &number, document)
        .await
    {
        Ok(job) => Ok(redirect(&format!("/fax/jobs/{}", job.id))),
        Err(BackendError::Validation(errors)) => {
            let html = render(&state, &current, "", &number, &errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
        Err(BackendError::Rejected(reason)) => {
            let top = notice("error", &format!("The fax was not sent: {reason}"));
            let html = render(&state, &current, &top, &number, &[]).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn job(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<Html<String>, PageError> {
    let job = own_fax_job(&state, &current, parse_id(&id)?).await?;
    // Without JavaScript the page reloads itself until the job is final.
    let head = if job.state.is_final() {
        ""
    } else {
        "<noscript><meta http-equiv=\"refresh\" content=\"3\"></noscript>"
    };
    // Only a job being sent has a transfer to ask the phone system about.
    let transfer = if job.state == FaxState::Sending {
        state.backend.fax_transfer(job.id).await?
    } else {
        None
    };
    let max = job.pages_total.unwrap_or(0).max(1);
    // Pages through count before the job records them at the end.
    let mut shown = job.clone();
    if let Some(t) = transfer {
        shown.pages_sent = shown.pages_sent.max(t.pages_sent);
    }
    let value = shown.pages_sent;
    let body = format!(
        "<p><a href=\"/fax\">← All faxes</a></p><section class=\"card\" id=\"fax-progress\" data-events=\"/api/v1/fax/jobs/{id}/events\" data-poll=\"/api/v1/fax/jobs/{id}\" data-progress=\"/api/v1/fax/jobs/{id}/progress\">\
         <dl class=\"facts\"><dt>To</dt><dd id=\"fax-number\">{number}</dd><dt>Document</dt><dd>{file}</dd>\
         <dt>State</dt><dd><span id=\"fax-state\" class=\"badge state-{state_key}\" aria-live=\"polite\">{state}</span></dd>\
         <dt>Progress</dt><dd><progress id=\"fax-pages-bar\" max=\"{max}\" value=\"{value}\"></progress> <span id=\"fax-pages\">{pages}</span> <span id=\"fax-transfer\" class=\"muted\" aria-live=\"polite\">{transfer}</span></dd>\
         <dt>Attempts</dt><dd id=\"fax-attempts\">{attempts}</dd><dt>Status</dt><dd id=\"fax-status\">{status}</dd></dl>\
         <p id=\"fax-error\" class=\"field-error\">{error}</p>\
         <p class=\"downloads\"><a href=\"/fax/sent/{id}/pdf\" id=\"download-pdf\">Download PDF</a> · <a href=\"/fax/sent/{id}/tiff\" id=\"download-tiff\">Download TIFF</a></p></section>",
        id = job.id,
        number = esc(&job.number),
        file = esc(&job.file_name),
        state_key = job.state.label().replace(' ', "-"),
        state = job.state.label(),
        pages = esc(&pages_text(&shown)),
        transfer = transfer.map(|t| esc(&t.summary())).unwrap_or_default(),
        attempts = job.attempts,
        status = esc(&job.status),
        error = esc(&job.error),
    );
    Ok(page(
        "Fax progress",
        Some(&current),
        Section::Menu(Menu::Fax),
        head,
        &body,
    ))
}

pub async fn sent_document(
    State(state): State<AppState>,
    current: CurrentUser,
    Path((id, format)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let job = own_fax_job(&state, &current, parse_id(&id)?).await?;
    let format = parse_format(&format)?;
    let bytes = state.backend.sent_fax_document(job.id, format).await?;
    Ok(document_response(
        bytes,
        format,
        &format!("fax-sent-{}", job.id),
    ))
}

pub async fn received_document(
    State(state): State<AppState>,
    current: CurrentUser,
    Path((id, format)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let fax = own_received_fax(&state, &current, parse_id(&id)?).await?;
    let format = parse_format(&format)?;
    let bytes = state.backend.received_fax_document(fax.id, format).await?;
    Ok(document_response(
        bytes,
        format,
        &format!("fax-received-{}", fax.id),
    ))
}
