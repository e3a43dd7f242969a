//! The wakeup calls pages: list with enable/disable and delete, a form to create or edit one,
//! and the history of attempts of each.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::{NaiveDate, NaiveTime};

use super::DoneQuery;
use super::greetings::audio_file_input;
use crate::backend::{BackendError, FieldError};
use crate::current_user::CurrentUser;
use crate::error::{PageError, PortalError};
use crate::forms::{self, Pairs, WEEK, weekday_key};
use crate::html::redirect;
use crate::html::{
    checked, csrf_input, disabled_unless, esc, field_error, format_time, menu_page, notice,
    read_only_note,
};
use crate::model::{
    Menu, OWN_PROMPT_NAME_MAX, PromptChoice, User, UserQuery, WakeupCalls, WakeupId,
    WakeupSchedule, WakeupSpec,
};
use crate::ownership::own_wakeup;
use crate::params::parse_id;
use crate::state::AppState;

pub fn schedule_text(schedule: &WakeupSchedule) -> String {
    match schedule {
        WakeupSchedule::Once { date, time } => {
            format!("once on {date} at {}", time.format("%H:%M"))
        }
        WakeupSchedule::Weekly { days, time } => {
            let days: Vec<String> = days.iter().map(|d| d.to_string()).collect();
            format!("every {} at {}", days.join(", "), time.format("%H:%M"))
        }
    }
}

pub async fn list(
    State(state): State<AppState>,
    current: CurrentUser,
    done: DoneQuery,
) -> Result<Html<String>, PageError> {
    list_page(&state, &current, &done.notice(), &[]).await
}

/// The list of wakeups above the user's own prompts; `top` is a notice, `prompt_errors` the
/// messages of a refused prompt upload.
pub async fn list_page(
    state: &AppState,
    current: &CurrentUser,
    top: &str,
    prompt_errors: &[FieldError],
) -> Result<Html<String>, PageError> {
    let current = current.clone();
    let writable = current.can_write(Menu::Wakeup);
    let wakeups = state.backend.wakeups(current.extension()).await?;
    let rows: String = wakeups
        .iter()
        .map(|w| {
            let (toggle_value, toggle_label) = if w.spec.enabled { ("0", "Disable") } else { ("1", "Enable") };
            format!(
                "<tr id=\"wakeup-{id}\"><td><a href=\"/wakeups/{id}\">{name}</a></td><td>{schedule}<br><span class=\"muted\">{tz}</span></td>\
                 <td>{next}</td><td><span class=\"badge {badge}\">{state}</span></td><td class=\"actions\">\
                 <form method=\"post\" action=\"/wakeups/{id}/enabled\" class=\"inline-form\">{csrf}<input type=\"hidden\" name=\"enabled\" value=\"{toggle_value}\"><fieldset{dis}>\
                 <button id=\"toggle-{id}\" class=\"btn btn-small\" type=\"submit\">{toggle_label}</button></fieldset></form>\
                 <form method=\"post\" action=\"/wakeups/{id}/delete\" class=\"inline-form\" data-confirm=\"Delete this wakeup call?\">{csrf}<fieldset{dis}>\
                 <button id=\"delete-{id}\" class=\"btn btn-small btn-danger\" type=\"submit\">Delete</button></fieldset></form></td></tr>",
                id = w.id,
                name = esc(&w.spec.name),
                schedule = esc(&schedule_text(&w.spec.schedule)),
                tz = esc(&w.spec.time_zone),
                next = w.next_due.as_ref().map(|t| format_time(t, &current.user.time_zone)).unwrap_or_else(|| "—".into()),
                badge = if w.spec.enabled { "badge-on" } else { "badge-off" },
                state = if w.spec.enabled { "on" } else { "off" },
                csrf = csrf_input(&current),
                dis = disabled_unless(writable),
            )
        })
        .collect();
    let table = if wakeups.is_empty() {
        "<p class=\"empty\" id=\"no-wakeups\">No wakeup calls yet.</p>".to_owned()
    } else {
        format!(
            "<div class=\"table-wrap\"><table class=\"list\" id=\"wakeups\"><thead><tr><th scope=\"col\">Name</th><th scope=\"col\">When</th>\
             <th scope=\"col\">Next call</th><th scope=\"col\">State</th><th scope=\"col\">Actions</th></tr></thead><tbody>{rows}</tbody></table></div>"
        )
    };
    let new_link = if writable {
        "<p><a class=\"btn\" id=\"new-wakeup\" href=\"/wakeups/new\">New wakeup call</a></p>"
    } else {
        ""
    };
    let outcomes_link = if current.user.wakeup_others {
        "<p><a id=\"wakeup-outcomes\" href=\"/wakeups/outcomes\">Outcomes of every wakeup call you scheduled</a></p>"
    } else {
        ""
    };
    let prompts = prompts_card(&current, &prompt_list(state, &current).await, prompt_errors);
    let body = format!(
        "{top}{}{new_link}{outcomes_link}<section class=\"card\">{table}</section>{prompts}",
        read_only_note(writable)
    );
    Ok(menu_page("Wakeup calls", &current, Menu::Wakeup, &body))
}

/// Calls shown per wakeup on the outcomes page.
const OUTCOMES_PER_WAKEUP: usize = 20;

/// `GET /wakeups/outcomes`: every wakeup the user scheduled (a front desk's, for all the
/// extensions it wakes) with how its latest calls went, on the user's wall clock.
pub async fn outcomes(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Html<String>, PageError> {
    let zone = &current.user.time_zone;
    let mut sections = String::new();
    for w in state.backend.wakeups(current.extension()).await? {
        let attempts = state.backend.wakeup_attempts(w.id).await?;
        let rows: String = attempts
            .iter()
            .take(OUTCOMES_PER_WAKEUP)
            .map(|a| {
                format!(
                    "<tr><td>{}</td><td>{}</td><td><span class=\"badge\">{}</span></td><td>{}</td></tr>",
                    format_time(&a.at, zone),
                    esc(&a.member),
                    a.outcome.label(),
                    esc(&a.detail)
                )
            })
            .collect();
        let table = if rows.is_empty() {
            "<p class=\"empty\">No calls made yet.</p>".to_owned()
        } else {
            format!(
                "<div class=\"table-wrap\"><table class=\"list\"><thead><tr><th scope=\"col\">When</th><th scope=\"col\">Extension</th>\
                 <th scope=\"col\">Outcome</th><th scope=\"col\">Details</th></tr></thead><tbody>{rows}</tbody></table></div>"
            )
        };
        sections.push_str(&format!(
            "<section class=\"card\" id=\"outcomes-{id}\"><h2><a href=\"/wakeups/{id}\">{name}</a></h2>\
             <p class=\"muted\">{members}</p>{table}</section>",
            id = w.id,
            name = esc(&w.spec.name),
            members = esc(&w.spec.members.join(", ")),
        ));
    }
    if sections.is_empty() {
        sections = "<p class=\"empty\" id=\"no-wakeups\">No wakeup calls yet.</p>".into();
    }
    let body = format!("<p><a href=\"/wakeups\">← All wakeup calls</a></p>{sections}");
    Ok(menu_page("Wakeup outcomes", &current, Menu::Wakeup, &body))
}

fn default_spec(current: &CurrentUser) -> WakeupSpec {
    WakeupSpec {
        name: String::new(),
        prompt: crate::model::DEFAULT_WAKEUP_PROMPT.into(),
        schedule: WakeupSchedule::Weekly {
            days: WEEK[..5].to_vec(),
            time: NaiveTime::from_hms_opt(7, 0, 0).unwrap_or(NaiveTime::MIN),
        },
        time_zone: current.user.time_zone.clone(),
        members: vec![current.user.extension.clone()],
        enabled: true,
        calls: WakeupCalls::default(),
    }
}

/// A number for an input's value; empty when unset.
fn opt(n: Option<u32>) -> String {
    n.map(|n| n.to_string()).unwrap_or_default()
}

fn form_html(
    current: &CurrentUser,
    action: &str,
    spec: &WakeupSpec,
    errors: &[FieldError],
    lists: &FormLists,
) -> String {
    let (picker, other_members) = member_picker(spec, &lists.directory);
    let prompt_input = prompt_picker(spec, &lists.prompts);
    let members_input = if picker.is_empty() {
        format!(
            "<label for=\"members\">Extensions to call (comma separated)</label><input id=\"members\" name=\"members\" value=\"{}\">",
            esc(&spec.members.join(", "))
        )
    } else {
        format!(
            "<fieldset class=\"group\" id=\"member-picker\"><legend>Extensions to call</legend>{picker}</fieldset>\
             <label for=\"members\">Other extensions (comma separated)</label><input id=\"members\" name=\"members\" value=\"{}\">",
            esc(&other_members)
        )
    };
    let writable = current.can_write(Menu::Wakeup);
    let (is_once, date, time, days): (bool, Option<NaiveDate>, NaiveTime, &[chrono::Weekday]) =
        match &spec.schedule {
            WakeupSchedule::Once { date, time } => (true, Some(*date), *time, &[]),
            WakeupSchedule::Weekly { days, time } => (false, None, *time, days),
        };
    let day_boxes: String = WEEK
        .iter()
        .map(|d| {
            let key = weekday_key(*d);
            format!(
                "<label class=\"inline\"><input type=\"checkbox\" id=\"day-{key}\" name=\"days\" value=\"{key}\"{c}> {d}</label>",
                c = checked(days.contains(d))
            )
        })
        .collect();
    format!(
        "{general}<form method=\"post\" action=\"{action}\" id=\"wakeup-form\" class=\"card\">{csrf}<fieldset{dis}>\
         <label for=\"name\">Name</label><input id=\"name\" name=\"name\" required value=\"{name}\">{name_err}\
         <fieldset class=\"group\"><legend>Repeat</legend>\
         <label class=\"inline\"><input type=\"radio\" id=\"schedule-once\" name=\"schedule\" value=\"once\"{once}> Once</label>\
         <label class=\"inline\"><input type=\"radio\" id=\"schedule-weekly\" name=\"schedule\" value=\"weekly\"{weekly}> Weekly</label></fieldset>{sched_err}\
         <label for=\"date\">Date (for a single call)</label><input id=\"date\" name=\"date\" type=\"date\" value=\"{date}\">{date_err}\
         <fieldset class=\"group\"><legend>Days (for weekly calls)</legend>{day_boxes}</fieldset>{days_err}\
         <label for=\"time\">Time</label><input id=\"time\" name=\"time\" type=\"time\" required value=\"{time}\">{time_err}\
         <label for=\"time_zone\">Time zone</label><input id=\"time_zone\" name=\"time_zone\" value=\"{tz}\" placeholder=\"Europe/Berlin\">{tz_err}\
         <label for=\"prompt\">Prompt</label>{prompt_input}{prompt_err}\
         {members_input}{members_err}\
         <fieldset class=\"group\"><legend>Calls</legend>\
         <label for=\"ring_secs\">Ring for (seconds)</label><input id=\"ring_secs\" name=\"ring_secs\" type=\"number\" min=\"5\" max=\"300\" value=\"{ring}\" placeholder=\"30\">{ring_err}\
         <label for=\"retries\">Retries when not answered</label><input id=\"retries\" name=\"retries\" type=\"number\" min=\"0\" max=\"10\" value=\"{retries}\" placeholder=\"3\">{retries_err}\
         <label for=\"retry_interval_mins\">Minutes between retries</label><input id=\"retry_interval_mins\" name=\"retry_interval_mins\" type=\"number\" min=\"1\" max=\"120\" value=\"{interval}\" placeholder=\"1\">{interval_err}\
         <label for=\"snooze_mins\">Snooze (minutes)</label><input id=\"snooze_mins\" name=\"snooze_mins\" type=\"number\" min=\"1\" max=\"60\" value=\"{snooze}\" placeholder=\"5\">{snooze_err}</fieldset>\
         <label class=\"switch\"><input type=\"checkbox\" id=\"enabled\" name=\"enabled\"{enabled}> Enabled</label>\
         <button id=\"save-wakeup\" class=\"btn\" type=\"submit\">Save wakeup call</button></fieldset></form>",
        general = if errors.is_empty() {
            String::new()
        } else {
            notice(
                "error",
                "Some fields need attention; see the messages below.",
            )
        },
        csrf = csrf_input(current),
        dis = disabled_unless(writable),
        name = esc(&spec.name),
        name_err = field_error(errors, "name"),
        once = checked(is_once),
        weekly = checked(!is_once),
        sched_err = field_error(errors, "schedule"),
        date = date.map(|d| d.to_string()).unwrap_or_default(),
        date_err = field_error(errors, "date"),
        days_err = field_error(errors, "days"),
        time = time.format("%H:%M"),
        time_err = field_error(errors, "time"),
        tz = esc(&spec.time_zone),
        tz_err = field_error(errors, "time_zone"),
        prompt_err = field_error(errors, "prompt"),
        members_err = field_error(errors, "members"),
        enabled = checked(spec.enabled),
        ring = opt(spec.calls.ring_secs),
        ring_err = field_error(errors, "ring_secs"),
        retries = opt(spec.calls.retries),
        retries_err = field_error(errors, "retries"),
        interval = opt(spec.calls.retry_interval_mins),
        interval_err = field_error(errors, "retry_interval_mins"),
        snooze = opt(spec.calls.snooze_mins),
        snooze_err = field_error(errors, "snooze_mins"),
    )
}

/// The card listing `prompts`' own uploads, with the upload form below.
fn prompts_card(current: &CurrentUser, prompts: &[PromptChoice], errors: &[FieldError]) -> String {
    let writable = current.can_write(Menu::Wakeup);
    let rows: String = prompts
        .iter()
        .filter_map(|p| p.own_name.as_deref())
        .map(|name| {
            format!(
                "<li id=\"own-prompt-{id}\">{name} \
                 <form method=\"post\" action=\"/wakeups/prompts/{id}/delete\" class=\"inline-form\" data-confirm=\"Delete this prompt? Wakeup calls using it will play a tone instead.\">{csrf}<fieldset{dis}>\
                 <button id=\"delete-prompt-{id}\" class=\"btn btn-small btn-danger\" type=\"submit\">Delete</button></fieldset></form></li>",
                id = esc(name),
                name = esc(name),
                csrf = csrf_input(current),
                dis = disabled_unless(writable),
            )
        })
        .collect();
    let list = if rows.is_empty() {
        "<p class=\"empty\" id=\"no-own-prompts\">You have not uploaded a prompt yet.</p>"
            .to_owned()
    } else {
        format!("<ul class=\"plain\" id=\"own-prompts\">{rows}</ul>")
    };
    format!(
        "<section class=\"card\" id=\"prompts\"><h2>Your wakeup prompts</h2>{list}\
         <form method=\"post\" action=\"/wakeups/prompts\" enctype=\"multipart/form-data\" id=\"prompt-upload-form\">{csrf}<fieldset{dis}>\
         <label for=\"prompt-name\">Name (empty: taken from the file's name)</label>\
         <input id=\"prompt-name\" name=\"name\" maxlength=\"{max}\" pattern=\"[A-Za-z0-9_\\-]+\">{name_err}\
         {file_input}\
         <p class=\"hint\">Only you can pick your prompts for your wakeup calls.</p>\
         <button id=\"upload-prompt\" class=\"btn\" type=\"submit\">Upload prompt</button></fieldset></form></section>",
        csrf = csrf_input(current),
        dis = disabled_unless(writable),
        max = OWN_PROMPT_NAME_MAX,
        name_err = field_error(errors, "name"),
        file_input = audio_file_input("prompt-file"),
    )
}

/// The lists the wakeup form offers choices from.
struct FormLists {
    directory: Vec<User>,
    prompts: Vec<PromptChoice>,
}

/// The prompts `current` may pick; none (after a warning) when the backend has no list.
async fn prompt_list(state: &AppState, current: &CurrentUser) -> Vec<PromptChoice> {
    match state.backend.wakeup_prompts(current.extension()).await {
        Ok(prompts) => prompts,
        Err(e) => {
            // The prompt is typed instead.
            tracing::warn!(error = %e, "no prompt list for the wakeup form");
            Vec::new()
        }
    }
}

async fn form_lists(state: &AppState, current: &CurrentUser) -> FormLists {
    FormLists {
        directory: directory(state, current).await,
        prompts: prompt_list(state, current).await,
    }
}

/// A list of the prompts offered, with the wakeup's own kept even when it is not among them;
/// a text box when there is no list.
fn prompt_picker(spec: &WakeupSpec, prompts: &[PromptChoice]) -> String {
    if prompts.is_empty() {
        return format!(
            "<input id=\"prompt\" name=\"prompt\" value=\"{}\">",
            esc(&spec.prompt)
        );
    }
    let mut options: String = prompts
        .iter()
        .map(|p| {
            format!(
                "<option value=\"{}\"{}>{}</option>",
                esc(&p.name),
                if p.name == spec.prompt {
                    " selected"
                } else {
                    ""
                },
                esc(&p.label)
            )
        })
        .collect();
    if !spec.prompt.is_empty() && !prompts.iter().any(|p| p.name == spec.prompt) {
        options.push_str(&format!(
            "<option value=\"{p}\" selected>{p}</option>",
            p = esc(&spec.prompt)
        ));
    }
    format!("<select id=\"prompt\" name=\"prompt\">{options}</select>")
}

/// The users a front desk may pick as members (everybody, for one with the grant to call
/// other extensions); nobody for anyone else, whose wakeups call only themselves.
async fn directory(state: &AppState, current: &CurrentUser) -> Vec<User> {
    if !current.user.wakeup_others {
        return Vec::new();
    }
    let everybody = UserQuery {
        search: String::new(),
        page: 1,
        per_page: DIRECTORY_MAX,
    };
    match state.backend.list_users(&everybody).await {
        Ok(page) => page.users,
        Err(e) => {
            // The text box still takes extensions.
            tracing::warn!(error = %e, "no member list for the wakeup form");
            Vec::new()
        }
    }
}

/// Most users offered as checkboxes; more extensions go in the text box.
const DIRECTORY_MAX: u32 = 500;

/// Checkboxes for the users in `directory`, ticked for `spec`'s members; the members not among
/// them stay in the text box.
fn member_picker(spec: &WakeupSpec, directory: &[User]) -> (String, String) {
    let boxes: String = directory
        .iter()
        .map(|u| {
            let ext = esc(&u.extension);
            format!(
                "<label class=\"inline\"><input type=\"checkbox\" id=\"member-{ext}\" name=\"members\" value=\"{ext}\"{c}> {ext} {name}</label>",
                c = checked(spec.members.contains(&u.extension)),
                name = esc(&u.name),
            )
        })
        .collect();
    let others: Vec<&str> = spec
        .members
        .iter()
        .filter(|m| !directory.iter().any(|u| &u.extension == *m))
        .map(String::as_str)
        .collect();
    (boxes, others.join(", "))
}

fn form_page(
    current: &CurrentUser,
    title: &str,
    action: &str,
    spec: &WakeupSpec,
    errors: &[FieldError],
    extra: &str,
    lists: &FormLists,
) -> Html<String> {
    let body = format!(
        "<p><a href=\"/wakeups\">← All wakeup calls</a></p>{}{}{extra}",
        read_only_note(current.can_write(Menu::Wakeup)),
        form_html(current, action, spec, errors, lists)
    );
    menu_page(title, current, Menu::Wakeup, &body)
}

pub async fn new_form(State(state): State<AppState>, current: CurrentUser) -> Html<String> {
    form_page(
        &current,
        "New wakeup call",
        "/wakeups",
        &default_spec(&current),
        &[],
        "",
        &form_lists(&state, &current).await,
    )
}

/// A form that does not parse yields the errors and a spec to show again (defaults where
/// fields were unreadable).
enum Parsed {
    Valid(WakeupSpec),
    Invalid(Box<(WakeupSpec, Vec<FieldError>)>),
}

fn spec_or_errors(form: &Pairs, current: &CurrentUser) -> Parsed {
    match forms::wakeup(form) {
        Ok(spec) => Parsed::Valid(spec),
        Err(errors) => {
            let mut spec = default_spec(current);
            spec.name = forms::field(form, "name").to_owned();
            spec.time_zone = forms::field(form, "time_zone").to_owned();
            spec.prompt = forms::field(form, "prompt").to_owned();
            spec.members = forms::members(form);
            Parsed::Invalid(Box::new((spec, errors)))
        }
    }
}

pub async fn create(
    State(state): State<AppState>,
    current: CurrentUser,
    Form(form): Form<Pairs>,
) -> Result<Response, PageError> {
    let (spec, errors) = match spec_or_errors(&form, &current) {
        Parsed::Valid(spec) => match state
            .backend
            .create_wakeup(
                current.extension(),
                &spec.clone().in_zone_by_default(&current.user.time_zone),
            )
            .await
        {
            Ok(_) => return Ok(redirect("/wakeups?done=created")),
            Err(BackendError::Validation(errors)) => (spec, errors),
            Err(e) => return Err(e.into()),
        },
        Parsed::Invalid(invalid) => *invalid,
    };
    let html = form_page(
        &current,
        "New wakeup call",
        "/wakeups",
        &spec,
        &errors,
        "",
        &form_lists(&state, &current).await,
    );
    Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
}

async fn history_html(state: &AppState, id: WakeupId, zone: &str) -> Result<String, PortalError> {
    let attempts = state.backend.wakeup_attempts(id).await?;
    if attempts.is_empty() {
        return Ok("<section class=\"card\"><h2>History</h2><p class=\"empty\" id=\"no-attempts\">No calls made yet.</p></section>".into());
    }
    let rows: String = attempts
        .iter()
        .map(|a| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                format_time(&a.at, zone),
                esc(&a.member),
                a.outcome.label(),
                esc(&a.detail)
            )
        })
        .collect();
    Ok(format!(
        "<section class=\"card\"><h2>History</h2><div class=\"table-wrap\"><table class=\"list\" id=\"attempts\"><thead><tr><th scope=\"col\">When</th>\
         <th scope=\"col\">Extension</th><th scope=\"col\">Outcome</th><th scope=\"col\">Details</th></tr></thead><tbody>{rows}</tbody></table></div></section>"
    ))
}

pub async fn edit_form(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<Html<String>, PageError> {
    let wakeup = own_wakeup(&state, &current, parse_id(&id)?).await?;
    let history = history_html(&state, wakeup.id, &current.user.time_zone).await?;
    let action = format!("/wakeups/{}", wakeup.id);
    Ok(form_page(
        &current,
        &wakeup.spec.name,
        &action,
        &wakeup.spec,
        &[],
        &history,
        &form_lists(&state, &current).await,
    ))
}

pub async fn update(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
    Form(form): Form<Pairs>,
) -> Result<Response, PageError> {
    let wakeup = own_wakeup(&state, &current, parse_id(&id)?).await?;
    let (spec, errors) = match spec_or_errors(&form, &current) {
        Parsed::Valid(spec) => match state.backend.update_wakeup(wakeup.id, &spec).await {
            Ok(_) => return Ok(redirect("/wakeups?done=saved")),
            Err(BackendError::Validation(errors)) => (spec, errors),
            Err(e) => return Err(e.into()),
        },
        Parsed::Invalid(invalid) => *invalid,
    };
    let action = format!("/wakeups/{}", wakeup.id);
    let html = form_page(
        &current,
        &wakeup.spec.name,
        &action,
        &spec,
        &errors,
        "",
        &form_lists(&state, &current).await,
    );
    Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
}

pub async fn set_enabled(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
    Form(form): Form<Pairs>,
) -> Result<Response, PageError> {
    let wakeup = own_wakeup(&state, &current, parse_id(&id)?).await?;
    let enabled = forms::field(&form, "enabled") == "1";
    state.backend.set_wakeup_enabled(wakeup.id, enabled).await?;
    Ok(redirect(if enabled {
        "/wakeups?done=enabled"
    } else {
        "/wakeups?done=disabled"
    }))
}

pub async fn delete(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let wakeup = own_wakeup(&state, &current, parse_id(&id)?).await?;
    state.backend.delete_wakeup(wakeup.id).await?;
    Ok(redirect("/wakeups?done=deleted"))
}
