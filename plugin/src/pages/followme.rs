//! The follow-me page: enable, initial ring, steps of numbers with ring times, confirmation,
//! music on hold and caller ID, with validation messages next to each field.

use axum::Form;
use axum::extract::State;
use axum::response::{Html, Response};

use super::{DoneQuery, unprocessable};
use crate::backend::{BackendError, FieldError};
use crate::current_user::CurrentUser;
use crate::error::PageError;
use crate::forms::{self, Pairs};
use crate::html::redirect;
use crate::html::{
    checked, csrf_input, disabled_unless, errors_notice, esc, field_error, menu_page,
    read_only_note,
};
use crate::model::{CallerIdChoice, FollowMe, FollowMeStep, Menu};
use crate::state::AppState;

/// Empty rows offered below the existing steps, so steps can be added without JavaScript.
const SPARE_ROWS: usize = 2;

fn step_row(index: usize, step: &FollowMeStep, errors: &[FieldError]) -> String {
    let numbers_field = format!("steps[{index}].numbers");
    let ring_field = format!("steps[{index}].ring_secs");
    let n = index + 1;
    format!(
        "<tr><th scope=\"row\">{n}</th>\
         <td><label class=\"sr-only\" for=\"step-{index}-numbers\">Step {n} numbers</label>\
         <input id=\"step-{index}-numbers\" name=\"step_numbers\" inputmode=\"tel\" placeholder=\"e.g. 0171 5550123, 0301234\" value=\"{numbers}\">{nerr}</td>\
         <td><label class=\"sr-only\" for=\"step-{index}-ring\">Step {n} ring seconds</label>\
         <input id=\"step-{index}-ring\" name=\"step_ring_secs\" type=\"number\" min=\"0\" max=\"600\" value=\"{ring}\">{rerr}</td></tr>",
        numbers = esc(&step.numbers.join(", ")),
        ring = step.ring_secs,
        nerr = field_error(errors, &numbers_field),
        rerr = field_error(errors, &ring_field),
    )
}

fn render(current: &CurrentUser, fm: &FollowMe, top: &str, errors: &[FieldError]) -> Html<String> {
    let body = format!(
        "{top}{}{}",
        read_only_note(current.can_write(Menu::Followme)),
        followme_form(current, fm, errors, "/followme")
    );
    menu_page("Follow-me", current, Menu::Followme, &body)
}

/// The follow-me form posting to `action`, with a notice above it when fields need attention;
/// disabled without write access to the menu.
pub fn followme_form(
    current: &CurrentUser,
    fm: &FollowMe,
    errors: &[FieldError],
    action: &str,
) -> String {
    let writable = current.can_write(Menu::Followme);
    let spare = FollowMeStep {
        numbers: Vec::new(),
        ring_secs: 20,
    };
    let rows: String = fm
        .steps
        .iter()
        .chain(std::iter::repeat_n(&spare, SPARE_ROWS))
        .enumerate()
        .map(|(i, s)| step_row(i, s, errors))
        .collect();
    let radio = |choice: CallerIdChoice, label: &str| {
        format!(
            "<label class=\"inline\"><input type=\"radio\" id=\"caller-id-{key}\" name=\"caller_id\" value=\"{key}\"{c}> {label}</label>",
            key = choice.key(),
            c = checked(fm.caller_id == choice),
        )
    };
    let general_errors = errors_notice(errors);
    format!(
        "{general_errors}<form method=\"post\" action=\"{action}\" id=\"followme-form\" class=\"card\">{csrf}<fieldset{dis}>\
         <label class=\"switch\"><input type=\"checkbox\" id=\"enabled\" name=\"enabled\"{en}> Follow-me is on</label>\
         <label for=\"initial_ring_secs\">Ring my own phones first for (seconds, 0 = skip)</label>\
         <input id=\"initial_ring_secs\" name=\"initial_ring_secs\" type=\"number\" min=\"0\" max=\"600\" value=\"{initial}\">{ierr}\
         <h2>Then ring these numbers</h2>\
         <p class=\"hint\">Numbers on one row ring together; rows ring one after another. Leave a row empty to remove it.</p>\
         <div class=\"table-wrap\"><table class=\"steps\"><thead><tr><th scope=\"col\">Step</th><th scope=\"col\">Numbers</th><th scope=\"col\">Ring seconds</th></tr></thead>\
         <tbody>{rows}</tbody></table></div>{serr}\
         <label class=\"switch\"><input type=\"checkbox\" id=\"confirm\" name=\"confirm\"{conf}> Ask the person answering to press 1 to accept the call</label>\
         <label for=\"moh\">Caller hears (music-on-hold class; empty = ringing)</label>\
         <input id=\"moh\" name=\"moh\" value=\"{moh}\">{merr}\
         <fieldset class=\"group\"><legend>Caller ID shown on forwarded calls</legend>{r1}{r2}</fieldset>{cerr}\
         <button id=\"save-followme\" class=\"btn\" type=\"submit\">Save follow-me</button></fieldset></form>",
        action = esc(action),
        csrf = csrf_input(current),
        dis = disabled_unless(writable),
        en = checked(fm.enabled),
        initial = fm.initial_ring_secs,
        ierr = field_error(errors, "initial_ring_secs"),
        serr = field_error(errors, "steps"),
        conf = checked(fm.confirm),
        moh = esc(&fm.moh),
        merr = field_error(errors, "moh"),
        r1 = radio(CallerIdChoice::Caller, "The original caller"),
        r2 = radio(CallerIdChoice::Extension, "My extension"),
        cerr = field_error(errors, "caller_id"),
    )
}

pub async fn show(
    State(state): State<AppState>,
    current: CurrentUser,
    done: DoneQuery,
) -> Result<Html<String>, PageError> {
    let fm = state.backend.followme(current.extension()).await?;
    Ok(render(&current, &fm, &done.notice(), &[]))
}

pub async fn save(
    State(state): State<AppState>,
    current: CurrentUser,
    Form(form): Form<Pairs>,
) -> Result<Response, PageError> {
    let Err((fm, errors)) = save_from_form(&state, &current, &form).await? else {
        return Ok(redirect("/followme?done=saved"));
    };
    Ok(unprocessable(render(&current, &fm, "", &errors)))
}

/// Parses and saves the follow-me form; a refusal is what to show again with the messages.
pub async fn save_from_form(
    state: &AppState,
    current: &CurrentUser,
    form: &Pairs,
) -> Result<Result<(), (FollowMe, Vec<FieldError>)>, PageError> {
    match forms::followme(form) {
        Ok(fm) => match state.backend.set_followme(current.extension(), &fm).await {
            Ok(()) => Ok(Ok(())),
            Err(BackendError::Validation(errors)) => Ok(Err((fm, errors))),
            Err(e) => Err(e.into()),
        },
        Err(invalid) => Ok(Err(invalid)),
    }
}
