//! The call-history pages: a user's calls newest first with filters (dates in their time
//! zone, number, direction, status), paging and exports of the filtered set; a call's detail
//! with its CDR rows and, when the user may replay it, the recording's player and download;
//! and the administrators' view over every call with an extension filter and the replay
//! rights per user.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{Html, Response};

use crate::calls::{CallsParams, DetailQuery, recording_response, viewer};
use crate::current_user::CurrentUser;
use crate::error::{PageError, PortalError};
use crate::forms::{Pairs, field};
use crate::html::{csrf_input, disabled_unless, esc, menu_page, notice, read_only_note, redirect};
use crate::model::{
    CallDetail, CallDirection, CallEntry, CallStatus, CallsPage, Menu, ReplayRight,
};
use crate::state::AppState;

fn duration(secs: i64) -> String {
    format!("{}:{:02}", secs / 60, secs % 60)
}

fn options<T: Copy>(
    all: &[T],
    chosen: &str,
    key: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> String {
    let mut out = String::from("<option value=\"\">Any</option>");
    for v in all {
        let selected = if key(*v) == chosen { " selected" } else { "" };
        out.push_str(&format!(
            "<option value=\"{}\"{selected}>{}</option>",
            key(*v),
            label(*v)
        ));
    }
    out
}

fn filter_form(action: &str, p: &CallsParams, admin: bool) -> String {
    let v = |o: &Option<String>| esc(o.as_deref().unwrap_or_default());
    let extension = if admin {
        format!(
            "<label for=\"extension\">Extension</label><input id=\"extension\" name=\"extension\" value=\"{}\" inputmode=\"numeric\">",
            v(&p.extension)
        )
    } else {
        String::new()
    };
    format!(
        "<form id=\"call-filter\" class=\"card filters\" method=\"get\" action=\"{action}\">\
         <label for=\"since\">From</label><input id=\"since\" name=\"since\" type=\"date\" value=\"{since}\">\
         <label for=\"until\">To</label><input id=\"until\" name=\"until\" type=\"date\" value=\"{until}\">\
         <label for=\"number\">Number contains</label><input id=\"number\" name=\"number\" value=\"{number}\">\
         <label for=\"direction\">Direction</label><select id=\"direction\" name=\"direction\">{directions}</select>\
         <label for=\"status\">Status</label><select id=\"status\" name=\"status\">{statuses}</select>\
         {extension}\
         <label for=\"tz\">Time zone</label><input id=\"tz\" name=\"tz\" value=\"{tz}\" placeholder=\"server's\" data-fill-tz>\
         <button id=\"apply-filter\" type=\"submit\">Show</button></form>",
        since = v(&p.since),
        until = v(&p.until),
        number = v(&p.number),
        tz = v(&p.tz),
        directions = options(
            &CallDirection::ALL,
            p.direction.as_deref().unwrap_or_default(),
            CallDirection::key,
            CallDirection::label
        ),
        statuses = options(
            &CallStatus::ALL,
            p.status.as_deref().unwrap_or_default(),
            CallStatus::key,
            CallStatus::label
        ),
    )
}

fn row(c: &CallEntry, detail_base: &str, tz_q: &str, admin: bool) -> String {
    let from = if c.caller_name.is_empty() {
        esc(&c.caller)
    } else {
        format!(
            "{} <span class=\"muted\">{}</span>",
            esc(&c.caller_name),
            esc(&c.caller)
        )
    };
    let who = if admin && !c.extension.is_empty() {
        format!("<td>{}</td>", esc(&c.extension))
    } else if admin {
        "<td></td>".into()
    } else {
        String::new()
    };
    format!(
        "<tr class=\"call\" data-status=\"{status_key}\"><td><a href=\"{detail_base}/{id}{tz_q}\">{start}</a></td>{who}<td>{direction}</td><td>{status}</td>\
         <td>{from}</td><td>{to}</td><td>{talk}</td><td>{recorded}</td></tr>",
        id = esc(&c.id),
        start = esc(&c.started_local),
        direction = c.direction.map(CallDirection::label).unwrap_or("—"),
        status_key = c.status.key(),
        status = c.status.label(),
        to = esc(&c.callee),
        talk = duration(c.talk_secs),
        recorded = if c.recorded { "Recorded" } else { "" },
    )
}

fn list_body(
    base: &str,
    p: &CallsParams,
    calls: &CallsPage,
    admin: bool,
    writable: bool,
    csrf: &str,
) -> String {
    let filter_qs = p.filter_query_string();
    let tz_q = match p.tz.as_deref().filter(|t| !t.is_empty()) {
        Some(tz) => format!("?tz={}", esc(tz)),
        None => String::new(),
    };
    let rows: String = calls
        .calls
        .iter()
        .map(|c| row(c, base, &tz_q, admin))
        .collect();
    let who_head = if admin {
        "<th scope=\"col\">Extension</th>"
    } else {
        ""
    };
    let table = if calls.calls.is_empty() {
        "<p id=\"no-calls\">No calls match.</p>".to_owned()
    } else {
        format!(
            "<div class=\"table-wrap\"><table id=\"calls\"><thead><tr><th scope=\"col\">Start</th>{who_head}<th scope=\"col\">Direction</th>\
             <th scope=\"col\">Status</th><th scope=\"col\">From</th><th scope=\"col\">To</th><th scope=\"col\">Talk</th><th scope=\"col\">Recording</th></tr></thead>\
             <tbody>{rows}</tbody></table></div>"
        )
    };
    let amp = if filter_qs.is_empty() { "" } else { "&" };
    let link = |page: u32| format!("{base}?{filter_qs}{amp}page={page}");
    let prev = if calls.page > 1 {
        format!(
            "<a id=\"prev-page\" href=\"{}\">Newer</a>",
            esc(&link(calls.page - 1))
        )
    } else {
        String::new()
    };
    let next = if calls.has_more {
        format!(
            "<a id=\"next-page\" href=\"{}\">Older</a>",
            esc(&link(calls.page + 1))
        )
    } else {
        String::new()
    };
    let hidden: String = [
        ("since", &p.since),
        ("until", &p.until),
        ("status", &p.status),
        ("direction", &p.direction),
        ("number", &p.number),
        ("tz", &p.tz),
        ("extension", &p.extension),
    ]
    .iter()
    .filter_map(|(k, v)| {
        v.as_deref()
            .filter(|v| !v.trim().is_empty())
            .map(|v| format!("<input type=\"hidden\" name=\"{k}\" value=\"{}\">", esc(v)))
    })
    .collect();
    format!(
        "{form}<section class=\"card\">{ro}<form id=\"export\" method=\"post\" action=\"{base}/export\"><fieldset{disabled}>{csrf}{hidden}\
         <button id=\"export-csv\" name=\"format\" value=\"csv\" type=\"submit\">Export CSV</button> \
         <button id=\"export-xlsx\" name=\"format\" value=\"xlsx\" type=\"submit\">Export XLSX</button></fieldset></form>{table}\
         <p class=\"pager\">{prev} <span id=\"page-info\">Page {page}</span> {next}</p></section>",
        form = filter_form(base, p, admin),
        ro = read_only_note(writable),
        disabled = disabled_unless(writable),
        page = calls.page,
    )
}

async fn list_page(
    state: &AppState,
    current: &CurrentUser,
    p: &CallsParams,
    admin: bool,
) -> Result<String, PortalError> {
    let query = p.query(admin, &current.user.time_zone)?;
    let calls = match state.backend.calls(&viewer(current, admin), &query).await {
        Ok(calls) => calls,
        Err(crate::backend::BackendError::Unavailable(reason)) => {
            return Ok(notice("info", &reason));
        }
        Err(e) => return Err(e.into()),
    };
    let base = if admin { "/admin/calls" } else { "/calls" };
    let writable = admin || current.can_write(Menu::Calls);
    Ok(list_body(
        base,
        p,
        &calls,
        admin,
        writable,
        &csrf_input(current),
    ))
}

pub async fn show(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(p): Query<CallsParams>,
) -> Result<Html<String>, PageError> {
    let body = list_page(&state, &current, &p, false).await?;
    Ok(menu_page("Call history", &current, Menu::Calls, &body))
}

fn detail_body(d: &CallDetail, base: &str, id: &str) -> String {
    let c = &d.call;
    let recording = match d.recording {
        None => String::new(),
        Some(r) if !r.may_replay => "<p id=\"recording-none\">This call was recorded; replaying it is not allowed for you.</p>".into(),
        Some(r) if !r.available => "<p id=\"recording-missing\" class=\"notice notice-error\">This call was recorded, but the recording is missing from the server.</p>".into(),
        Some(_) => format!(
            "<p><audio id=\"recording\" controls preload=\"none\" src=\"{base}/{id}/recording\"></audio> \
             <a id=\"recording-download\" href=\"{base}/{id}/recording?download=1\">Download</a></p>"
        ),
    };
    let records: String = d
        .records
        .iter()
        .map(|r| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} {}</td><td>{}</td></tr>",
                esc(&r.start.format("%H:%M:%S").to_string()),
                esc(&r.source),
                esc(&r.destination),
                esc(&r.channel),
                esc(&r.destination_channel),
                esc(&r.disposition),
                esc(&r.application),
                esc(&r.data),
                r.billable_secs,
            )
        })
        .collect();
    format!(
        "<section class=\"card\"><dl id=\"call-summary\"><dt>Start</dt><dd>{start}</dd><dt>From</dt><dd>{from} {name}</dd>\
         <dt>To</dt><dd>{to}</dd><dt>Status</dt><dd id=\"call-status\">{status}</dd><dt>Answered by</dt><dd>{answered}</dd>\
         <dt>Talk</dt><dd>{talk}</dd><dt>Duration</dt><dd>{dur}</dd></dl>{recording}</section>\
         <section class=\"card\"><h2>CDR rows</h2><div class=\"table-wrap\"><table id=\"cdr-rows\"><thead><tr><th scope=\"col\">Start</th><th scope=\"col\">Source</th>\
         <th scope=\"col\">Destination</th><th scope=\"col\">Channel</th><th scope=\"col\">Destination channel</th><th scope=\"col\">Disposition</th>\
         <th scope=\"col\">Application</th><th scope=\"col\">Billable s</th></tr></thead><tbody>{records}</tbody></table></div>\
         <p><a href=\"{base}\">Back to the list</a></p></section>",
        start = esc(&c.started_local),
        from = esc(&c.caller),
        name = esc(&c.caller_name),
        to = esc(&c.callee),
        status = c.status.label(),
        answered = esc(&c.answered_by),
        talk = duration(c.talk_secs),
        dur = duration(c.duration_secs),
    )
}

async fn detail_page(
    state: &AppState,
    current: &CurrentUser,
    id: &str,
    p: &DetailQuery,
    admin: bool,
) -> Result<String, PortalError> {
    let d = crate::calls::detail(state, current, id, p, admin).await?;
    let base = if admin { "/admin/calls" } else { "/calls" };
    Ok(detail_body(&d, base, id))
}

pub async fn detail(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
    Query(p): Query<DetailQuery>,
) -> Result<Html<String>, PageError> {
    let body = detail_page(&state, &current, &id, &p, false).await?;
    Ok(menu_page("Call", &current, Menu::Calls, &body))
}

pub async fn recording(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
    Query(p): Query<DetailQuery>,
) -> Result<Response, PageError> {
    Ok(recording_response(&state, &current, &id, p.download.is_some(), false).await?)
}

pub async fn export(
    State(state): State<AppState>,
    current: CurrentUser,
    Form(p): Form<CallsParams>,
) -> Result<Response, PageError> {
    Ok(crate::calls::export_response(&state, &current, &p, false).await?)
}

// --- the administrators' view -------------------------------------------------------------

fn replay_form(current: &CurrentUser, done: Option<&str>) -> String {
    let radios: String = ReplayRight::ALL
        .iter()
        .map(|r| {
            format!(
                "<label><input type=\"radio\" name=\"right\" value=\"{k}\"{c}> {l}</label> ",
                k = r.key(),
                l = r.label(),
                c = if *r == ReplayRight::Own {
                    " checked"
                } else {
                    ""
                },
            )
        })
        .collect();
    let done = match done {
        Some("replay") => notice("success", "Replay right saved."),
        _ => String::new(),
    };
    format!(
        "<section class=\"card\"><h2>Who may replay recordings</h2>{done}\
         <form id=\"replay-form\" method=\"post\" action=\"/admin/calls/replay\">{csrf}\
         <label for=\"replay-extension\">Extension</label><input id=\"replay-extension\" name=\"extension\" required>\
         <fieldset><legend>Replay</legend>{radios}</fieldset><button id=\"replay-save\" type=\"submit\">Save</button></form></section>",
        csrf = csrf_input(current),
    )
}

/// Notices after a redirect; a fixed set, free text is never reflected.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Done {
    #[serde(default)]
    pub done: Option<String>,
}

pub async fn admin_list(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(p): Query<CallsParams>,
    Query(done): Query<Done>,
) -> Result<Html<String>, PageError> {
    let body = list_page(&state, &current, &p, true).await?;
    let body = format!("{body}{}", replay_form(&current, done.done.as_deref()));
    Ok(super::admin::admin_page(&current, "calls", "Calls", &body))
}

pub async fn admin_detail(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
    Query(p): Query<DetailQuery>,
) -> Result<Html<String>, PageError> {
    let body = detail_page(&state, &current, &id, &p, true).await?;
    Ok(super::admin::admin_page(&current, "calls", "Call", &body))
}

pub async fn admin_recording(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
    Query(p): Query<DetailQuery>,
) -> Result<Response, PageError> {
    Ok(recording_response(&state, &current, &id, p.download.is_some(), true).await?)
}

pub async fn admin_export(
    State(state): State<AppState>,
    current: CurrentUser,
    Form(p): Form<CallsParams>,
) -> Result<Response, PageError> {
    Ok(crate::calls::export_response(&state, &current, &p, true).await?)
}

pub async fn admin_set_replay(
    State(state): State<AppState>,
    _current: CurrentUser,
    Form(pairs): Form<Pairs>,
) -> Result<Response, PageError> {
    let extension = field(&pairs, "extension").trim().to_owned();
    let right = ReplayRight::parse(field(&pairs, "right"))
        .ok_or_else(|| PortalError::BadRequest("replay right must be none, own or all".into()))?;
    state.backend.set_replay_right(&extension, right).await?;
    Ok(redirect("/admin/calls?done=replay"))
}
