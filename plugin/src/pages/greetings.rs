//! The greetings page: the four slots with upload, in-browser playback and delete, and a line
//! per call reason saying which greeting a caller hears now.

use axum::extract::{Path, Request, State};
use axum::response::{Html, Response};

use super::{DoneQuery, unprocessable};
use crate::backend::BackendError;
use crate::current_user::CurrentUser;
use crate::error::{PageError, PortalError};
use crate::html::redirect;
use crate::html::{csrf_input, disabled_unless, esc, menu_page, notice, read_only_note};
use crate::model::{GreetingSlot, GreetingsOverview, Menu};
use crate::params::parse_slot;
use crate::state::AppState;
use crate::upload::{audio_rule, read_multipart};

pub fn duration_text(ms: Option<u64>) -> String {
    match ms {
        Some(ms) => format!("{}.{} s", ms / 1000, (ms % 1000) / 100),
        None => "empty".into(),
    }
}

/// The labelled file input of an audio upload form (greetings, wakeup prompts).
pub fn audio_file_input(id: &str) -> String {
    format!(
        "<label for=\"{id}\">Upload audio (MP3, WAV, FLAC, OGG…)</label>\
         <input id=\"{id}\" name=\"audio\" type=\"file\" accept=\"audio/*,.ulaw,.alaw,.ul,.al,.gsm\" required>"
    )
}

/// The upload form of greeting `slot`, posting to `action`; disabled without write access.
pub fn upload_form(current: &CurrentUser, slot: GreetingSlot, action: &str) -> String {
    let key = slot.key();
    format!(
        "<form method=\"post\" action=\"{action}\" enctype=\"multipart/form-data\" id=\"upload-{key}-form\">{csrf}<fieldset{dis}>\
         {file_input}<button id=\"upload-{key}\" class=\"btn\" type=\"submit\">Upload</button></fieldset></form>",
        action = esc(action),
        csrf = csrf_input(current),
        dis = disabled_unless(current.can_write(Menu::Greetings)),
        file_input = audio_file_input(&format!("file-{key}")),
    )
}

fn render(current: &CurrentUser, overview: &GreetingsOverview, top: &str) -> Html<String> {
    let writable = current.can_write(Menu::Greetings);
    let heard: String = overview
        .heard_now
        .iter()
        .map(|h| {
            let what = h
                .slot
                .map(|s| {
                    format!(
                        "your <strong>{}</strong> greeting",
                        s.label().to_lowercase()
                    )
                })
                .unwrap_or_else(|| "the system's default greeting".into());
            format!(
                "<li id=\"heard-{reason}\">{label}: callers hear {what}.</li>",
                reason = serde_json::to_value(h.reason)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                label = h.reason.label(),
            )
        })
        .collect();
    let cards: String = overview
        .slots
        .iter()
        .map(|g| {
            let key = g.slot.key();
            let player = if g.exists {
                format!(
                    "<audio id=\"play-{key}\" controls preload=\"none\" src=\"/greetings/{key}/audio\"></audio>\
                     <form method=\"post\" action=\"/greetings/{key}/delete\" class=\"inline-form\" data-confirm=\"Delete this greeting?\">{csrf}<fieldset{dis}>\
                     <button id=\"delete-{key}\" class=\"btn btn-danger\" type=\"submit\">Delete</button></fieldset></form>",
                    csrf = csrf_input(current),
                    dis = disabled_unless(writable),
                )
            } else {
                String::new()
            };
            format!(
                "<section class=\"card\" id=\"greeting-{key}\"><h2>{label}</h2>\
                 <p class=\"muted\" id=\"duration-{key}\">{duration}</p>{player}\
                 {form}</section>",
                label = g.slot.label(),
                form = upload_form(current, g.slot, &format!("/greetings/{key}")),
                duration = esc(&duration_text(g.duration_ms)),
            )
        })
        .collect();
    let body = format!(
        "{top}{ro}<section class=\"card\"><h2>What callers hear now</h2><ul class=\"plain\" id=\"heard-now\">{heard}</ul>\
         <p class=\"hint\">A temporary greeting wins over all others; a missing busy or unavailable greeting falls back to the general one.</p></section>\
         <div class=\"grid\">{cards}</div>",
        ro = read_only_note(writable),
    );
    menu_page("Greetings", current, Menu::Greetings, &body)
}

pub async fn show(
    State(state): State<AppState>,
    current: CurrentUser,
    done: DoneQuery,
) -> Result<Html<String>, PageError> {
    let overview = state.backend.greetings(current.extension()).await?;
    Ok(render(&current, &overview, &done.notice()))
}

pub async fn upload(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(slot): Path<String>,
    request: Request,
) -> Result<Response, PageError> {
    let slot = parse_slot(&slot)?;
    match upload_from_form(&state, &current, slot, request).await? {
        Ok(()) => Ok(redirect("/greetings?done=uploaded")),
        Err(reason) => {
            let overview = state.backend.greetings(current.extension()).await?;
            let top = notice(
                "error",
                &format!(
                    "The {} greeting was not changed: {reason}",
                    slot.label().to_lowercase()
                ),
            );
            Ok(unprocessable(render(&current, &overview, &top)))
        }
    }
}

/// Reads the upload form of greeting `slot` and stores the audio; a refusal is the plain
/// reason the audio could not be used.
pub async fn upload_from_form(
    state: &AppState,
    current: &CurrentUser,
    slot: GreetingSlot,
    request: Request,
) -> Result<Result<(), String>, PageError> {
    let form = read_multipart(request, audio_rule(state.settings.greeting_max_bytes)).await?;
    let Some(file) = form.file else {
        return Err(PortalError::BadRequest("choose an audio file to upload".into()).into());
    };
    let result = state
        .backend
        .upload_greeting(current.extension(), slot, &file.file_name, file.bytes)
        .await;
    match result {
        Ok(_) => Ok(Ok(())),
        Err(BackendError::Rejected(reason)) => Ok(Err(reason)),
        Err(e) => Err(e.into()),
    }
}

pub async fn delete(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(slot): Path<String>,
) -> Result<Response, PageError> {
    let slot = parse_slot(&slot)?;
    state
        .backend
        .delete_greeting(current.extension(), slot)
        .await?;
    Ok(redirect("/greetings?done=deleted"))
}
