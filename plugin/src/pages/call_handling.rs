//! The call handling page: do-not-disturb with its allow-list, the three forwards, ring time,
//! weekly time rules and the time zone they are read in, with validation messages next to
//! each field. Also the status panel the first page shows.

use axum::Form;
use axum::extract::State;
use axum::response::{Html, Response};

use super::{DoneQuery, unprocessable};
use crate::backend::{BackendError, FieldError};
use crate::current_user::CurrentUser;
use crate::error::PageError;
use crate::forms::{self, FORWARDS, Pairs};
use crate::html::redirect;
use crate::html::{
    checked, csrf_input, disabled_unless, errors_notice, esc, field_error, menu_page,
    read_only_note,
};
use crate::model::{
    CallHandlingSettings, CallHandlingStatus, ForwardSetting, Menu, TimeRuleSetting,
};
use crate::state::AppState;

fn schedule_inputs(prefix: &str, rule: &Option<TimeRuleSetting>, errors: &[FieldError]) -> String {
    let (window, outside) = rule
        .as_ref()
        .map(|r| (r.window.as_str(), r.outside))
        .unwrap_or(("", false));
    let error_field = if prefix == "dnd" {
        "dnd_schedule".to_owned()
    } else {
        format!("{prefix}.schedule")
    };
    format!(
        "<label for=\"{prefix}_schedule\">Only at these times (empty = always), e.g. mon-fri,08:00-18:00</label>\
         <input id=\"{prefix}_schedule\" name=\"{prefix}_schedule\" value=\"{w}\">{err}\
         <label class=\"switch\"><input type=\"checkbox\" id=\"{prefix}_outside\" name=\"{prefix}_outside\"{o}> Outside these times instead</label>",
        w = esc(window),
        err = field_error(errors, &error_field),
        o = checked(outside),
    )
}

fn forward_block(name: &str, title: &str, f: &ForwardSetting, errors: &[FieldError]) -> String {
    format!(
        "<fieldset class=\"group\"><legend>{title}</legend>\
         <label class=\"switch\"><input type=\"checkbox\" id=\"{name}_enabled\" name=\"{name}_enabled\"{en}> On</label>\
         <label for=\"{name}_number\">Forward to (extension or number)</label>\
         <input id=\"{name}_number\" name=\"{name}_number\" inputmode=\"tel\" value=\"{num}\">{err}{sched}</fieldset>",
        en = checked(f.enabled),
        num = esc(&f.number),
        err = field_error(errors, name),
        sched = schedule_inputs(name, &f.schedule, errors),
    )
}

fn render(
    current: &CurrentUser,
    s: &CallHandlingSettings,
    top: &str,
    errors: &[FieldError],
) -> Html<String> {
    let writable = current.can_write(Menu::CallHandling);
    let general_errors = errors_notice(errors);
    let titles = [
        "Forward every call",
        "Forward when I am busy",
        "Forward when I do not answer or cannot be reached",
    ];
    let forwards = [&s.forward_always, &s.forward_busy, &s.forward_no_answer];
    let forward_blocks: String = FORWARDS
        .iter()
        .zip(titles)
        .zip(forwards)
        .map(|((name, title), f)| forward_block(name, title, f, errors))
        .collect();
    let body = format!(
        "{top}{general_errors}{ro}<form method=\"post\" action=\"/call-handling\" id=\"call-handling-form\" class=\"card\">{csrf}<fieldset{dis}>\
         <fieldset class=\"group\"><legend>Do not disturb</legend>\
         <label class=\"switch\"><input type=\"checkbox\" id=\"dnd\" name=\"dnd\"{dnd}> Do not disturb: callers go to my voicemail</label>\
         <label for=\"dnd_allow\">Callers who still ring through (numbers, comma-separated)</label>\
         <input id=\"dnd_allow\" name=\"dnd_allow\" inputmode=\"tel\" value=\"{allow}\">{aerr}{dsched}</fieldset>\
         {forward_blocks}\
         <label for=\"ring_secs\">Ring my phone for (seconds; empty = 20) before a call counts as not answered</label>\
         <input id=\"ring_secs\" name=\"ring_secs\" type=\"number\" min=\"1\" max=\"300\" value=\"{ring}\">{rerr}\
         <label for=\"time_zone\">Time zone of the schedules</label>\
         <input id=\"time_zone\" name=\"time_zone\" value=\"{tz}\">{tzerr}\
         <button id=\"save-call-handling\" class=\"btn\" type=\"submit\">Save call handling</button></fieldset></form>",
        ro = read_only_note(writable),
        csrf = csrf_input(current),
        dis = disabled_unless(writable),
        dnd = checked(s.dnd),
        allow = esc(&s.dnd_allow.join(", ")),
        aerr = field_error(errors, "dnd_allow"),
        dsched = schedule_inputs("dnd", &s.dnd_schedule, errors),
        ring = s.ring_secs.map(|r| r.to_string()).unwrap_or_default(),
        rerr = field_error(errors, "ring_secs"),
        tz = esc(&s.time_zone),
        tzerr = field_error(errors, "time_zone"),
    );
    menu_page("Call handling", current, Menu::CallHandling, &body)
}

pub async fn show(
    State(state): State<AppState>,
    current: CurrentUser,
    done: DoneQuery,
) -> Result<Html<String>, PageError> {
    let s = state.backend.call_handling(current.extension()).await?;
    Ok(render(&current, &s, &done.notice(), &[]))
}

pub async fn save(
    State(state): State<AppState>,
    current: CurrentUser,
    Form(form): Form<Pairs>,
) -> Result<Response, PageError> {
    let (s, mut errors) = forms::call_handling(&form);
    if errors.is_empty() {
        match state
            .backend
            .set_call_handling(current.extension(), &s)
            .await
        {
            Ok(()) => return Ok(redirect("/call-handling?done=saved")),
            Err(BackendError::Validation(found)) => errors = found,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(unprocessable(render(&current, &s, "", &errors)))
}

/// The at-a-glance panel of the first page: do-not-disturb, each forward, follow-me, and the
/// number of new voicemail messages when the user may open the inbox and it can be read.
pub fn status_panel(status: &CallHandlingStatus, new_voicemail: Option<u32>) -> String {
    let on_off = |on: bool| if on { "on" } else { "off" };
    let forward = |f: &Option<String>| match f {
        Some(n) => format!("to {}", esc(n)),
        None => "off".to_owned(),
    };
    let voicemail = match new_voicemail {
        Some(n) => format!(
            "<dt>New voicemail</dt><dd id=\"status-voicemail\"><a href=\"/voicemail\">{n}</a></dd>"
        ),
        None => String::new(),
    };
    format!(
        "<section class=\"card\" id=\"call-handling-status\" aria-labelledby=\"call-handling-status-title\">\
         <h2 id=\"call-handling-status-title\">My calls now</h2><dl>\
         <dt>Do not disturb</dt><dd id=\"status-dnd\">{dnd}</dd>\
         <dt>Forward every call</dt><dd id=\"status-forward-always\">{a}</dd>\
         <dt>Forward when busy</dt><dd id=\"status-forward-busy\">{b}</dd>\
         <dt>Forward when not answered</dt><dd id=\"status-forward-no-answer\">{n}</dd>\
         <dt>Follow-me</dt><dd id=\"status-followme\">{fm}</dd>{voicemail}</dl></section>",
        dnd = on_off(status.dnd),
        a = forward(&status.forward_always),
        b = forward(&status.forward_busy),
        n = forward(&status.forward_no_answer),
        fm = on_off(status.followme),
    )
}
