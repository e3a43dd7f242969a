//! The voicemail page: folder tabs with counts, one page of messages newest first, each with
//! a player, a download link, mark read/new, move and delete, and a bulk delete. Only the
//! session user's own mailbox exists here.

use axum::Form;
use axum::extract::{Query, State};
use axum::response::{Html, Response};
use serde::Deserialize;

use crate::backend::BackendError;
use crate::current_user::CurrentUser;
use crate::error::{PageError, PortalError};
use crate::forms::{Pairs, field};
use crate::html::redirect;
use crate::html::{
    csrf_input, disabled_unless, esc, format_time, menu_page, notice, read_only_note,
};
use crate::model::{Menu, VoicemailFolder, VoicemailMessage, VoicemailPage};
use crate::params::parse_text_id;
use crate::state::AppState;
use crate::voicemail::{ListQuery, MsgId};

fn caller_text(m: &VoicemailMessage) -> String {
    match (m.caller_name.as_str(), m.caller_number.as_str()) {
        ("", "") => "Unknown caller".into(),
        ("", number) => number.to_owned(),
        (name, "") => name.to_owned(),
        (name, number) => format!("{name} ({number})"),
    }
}

pub fn duration_text(secs: Option<u32>) -> String {
    match secs {
        Some(s) => format!("{}:{:02}", s / 60, s % 60),
        None => "—".into(),
    }
}

/// Notices after a redirect; a fixed set, free text is never reflected.
fn done_text(done: &str) -> &'static str {
    match done {
        "deleted" => "Message deleted.",
        "bulk" => "Selected messages deleted.",
        "moved" => "Message moved.",
        "read" => "Marked as heard.",
        "unread" => "Marked as new.",
        "gone" => "That message no longer exists (it was removed meanwhile, e.g. by phone).",
        _ => "",
    }
}

/// Taken as text so a mangled number in a bookmarked URL falls back to the default
/// instead of failing the page.
#[derive(Debug, Default, Deserialize)]
pub struct ShowQuery {
    #[serde(default)]
    folder: Option<String>,
    #[serde(default)]
    page: Option<String>,
    #[serde(default)]
    per_page: Option<String>,
    #[serde(default)]
    done: String,
}

impl ShowQuery {
    fn list(&self) -> ListQuery {
        ListQuery {
            folder: self.folder.clone(),
            page: self.page.as_deref().and_then(|p| p.parse().ok()),
            per_page: self.per_page.as_deref().and_then(|p| p.parse().ok()),
        }
    }
}

fn render(current: &CurrentUser, vm: &VoicemailPage, top: &str) -> Html<String> {
    let writable = current.can_write(Menu::Voicemail);
    let dis = disabled_unless(writable);
    let csrf = csrf_input(current);
    let folder_key = vm.folder.key();
    let tabs: String = vm
        .folders
        .iter()
        .map(|c| {
            let aria = if c.folder == vm.folder { " aria-current=\"page\"" } else { "" };
            format!(
                "<li><a id=\"folder-{key}\" href=\"/voicemail?folder={key}\"{aria}>{label} <span class=\"badge\" id=\"count-{key}\">{count}</span></a></li>",
                key = c.folder.key(),
                label = c.folder.label(),
                count = c.count,
            )
        })
        .collect();
    let move_options = |current_folder: VoicemailFolder| -> String {
        VoicemailFolder::ALL
            .into_iter()
            .filter(|f| *f != current_folder)
            .map(|f| format!("<option value=\"{}\">{}</option>", f.key(), f.label()))
            .collect()
    };
    let rows: String = vm
        .messages
        .iter()
        .map(|m| {
            let id = esc(&m.id);
            let (read_value, read_label) = if m.folder.is_new() {
                ("1", "Mark heard")
            } else {
                ("0", "Mark new")
            };
            format!(
                "<tr id=\"msg-{id}\"><td><input type=\"checkbox\" name=\"id\" value=\"{id}\" form=\"bulk-delete\" aria-label=\"Select\"{dis}></td>\
                 <td class=\"caller\">{caller}{urgent}</td><td>{when}</td><td>{duration}</td>\
                 <td><audio id=\"play-{id}\" controls preload=\"none\" src=\"/voicemail/{id}/audio\"></audio>\
                 <a href=\"/voicemail/{id}/audio?download=1\" id=\"download-{id}\">Download</a></td>\
                 <td class=\"actions\">\
                 <form method=\"post\" action=\"/voicemail/{id}/read\" class=\"inline-form\">{csrf}<input type=\"hidden\" name=\"read\" value=\"{read_value}\"><input type=\"hidden\" name=\"folder\" value=\"{folder_key}\"><fieldset{dis}>\
                 <button id=\"read-{id}\" class=\"btn btn-small\" type=\"submit\">{read_label}</button></fieldset></form>\
                 <form method=\"post\" action=\"/voicemail/{id}/move\" class=\"inline-form\">{csrf}<fieldset{dis}>\
                 <label class=\"visually-hidden\" for=\"to-{id}\">Move to</label><select id=\"to-{id}\" name=\"to\">{options}</select>\
                 <button id=\"move-{id}\" class=\"btn btn-small\" type=\"submit\">Move</button></fieldset></form>\
                 <form method=\"post\" action=\"/voicemail/{id}/delete\" class=\"inline-form\" data-confirm=\"Delete this message?\">{csrf}<input type=\"hidden\" name=\"folder\" value=\"{folder_key}\"><fieldset{dis}>\
                 <button id=\"delete-{id}\" class=\"btn btn-small btn-danger\" type=\"submit\">Delete</button></fieldset></form></td></tr>",
                caller = esc(&caller_text(m)),
                urgent = if m.urgent { " <span class=\"badge\">urgent</span>" } else { "" },
                when = m.received_at.as_ref().map(|t| format_time(t, &current.user.time_zone)).unwrap_or_else(|| "—".into()),
                duration = esc(&duration_text(m.duration_secs)),
                options = move_options(m.folder),
            )
        })
        .collect();
    let table = if rows.is_empty() {
        format!(
            "<p class=\"empty\" id=\"voicemail-empty\">No messages in {}.</p>",
            vm.folder.label()
        )
    } else {
        format!(
            "<div class=\"table-wrap\"><table class=\"list\" id=\"messages\"><thead><tr><th scope=\"col\"><span class=\"visually-hidden\">Select</span></th>\
             <th scope=\"col\">From</th><th scope=\"col\">Received</th><th scope=\"col\">Length</th><th scope=\"col\">Listen</th><th scope=\"col\">Actions</th></tr></thead>\
             <tbody>{rows}</tbody></table></div>"
        )
    };
    // The row checkboxes belong to this form through their `form` attribute.
    let bulk = format!(
        "<form method=\"post\" action=\"/voicemail/delete\" id=\"bulk-delete\" data-confirm=\"Delete the selected messages?\">{csrf}\
         <input type=\"hidden\" name=\"folder\" value=\"{folder_key}\"><fieldset{dis}>\
         <button id=\"delete-selected\" class=\"btn btn-danger\" type=\"submit\">Delete selected</button></fieldset></form>",
        dis = disabled_unless(writable && !vm.messages.is_empty()),
    );
    let pages = vm.total.div_ceil(vm.per_page.max(1)).max(1);
    let pager = if pages > 1 {
        let link = |p: u32, label: &str, id: &str| {
            format!(
                "<a id=\"{id}\" href=\"/voicemail?folder={folder_key}&amp;page={p}&amp;per_page={}\">{label}</a>",
                vm.per_page
            )
        };
        let prev = if vm.page > 1 {
            link(vm.page - 1, "← Newer", "page-prev")
        } else {
            String::new()
        };
        let next = if vm.page < pages {
            link(vm.page + 1, "Older →", "page-next")
        } else {
            String::new()
        };
        format!(
            "<p class=\"pager\">{prev} <span id=\"page-of\">page {} of {pages}</span> {next}</p>",
            vm.page
        )
    } else {
        String::new()
    };
    let damaged = if vm.unreadable > 0 {
        notice(
            "error",
            &format!(
                "{} message(s) in this folder could not be read and are not shown.",
                vm.unreadable
            ),
        )
    } else {
        String::new()
    };
    let body = format!(
        "{top}{ro}{damaged}<nav aria-label=\"Folders\"><ul class=\"tabs\" id=\"folders\">{tabs}</ul></nav>\
         <section class=\"card\"><h2>{label}</h2>{table}{bulk}{pager}</section>",
        ro = read_only_note(writable),
        label = vm.folder.label(),
    );
    menu_page("Voicemail", current, Menu::Voicemail, &body)
}

pub async fn show(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(query): Query<ShowQuery>,
) -> Result<Html<String>, PageError> {
    let resolved = query.list().resolve()?;
    let vm = match state
        .backend
        .voicemail(current.extension(), &resolved)
        .await
    {
        Ok(vm) => vm,
        // Not set up on this server: the menu still opens and says so.
        Err(BackendError::Unavailable(reason)) => {
            let empty = VoicemailPage {
                folder: resolved.folder,
                folders: Vec::new(),
                messages: Vec::new(),
                page: 1,
                per_page: resolved.per_page,
                total: 0,
                unreadable: 0,
            };
            return Ok(render(&current, &empty, &notice("error", &reason)));
        }
        Err(e) => return Err(e.into()),
    };
    let text = done_text(&query.done);
    let kind = if query.done == "gone" {
        "error"
    } else {
        "success"
    };
    Ok(render(&current, &vm, &notice(kind, text)))
}

/// Where to go back to after a form: the folder the user was looking at.
fn back(pairs: &Pairs, done: &str) -> Response {
    let folder = VoicemailFolder::parse(field(pairs, "folder")).unwrap_or(VoicemailFolder::Inbox);
    redirect(&format!("/voicemail?folder={}&done={done}", folder.key()))
}

/// A message gone meanwhile is a notice on the list, not an error page.
fn gone_or<T>(
    result: Result<T, BackendError>,
    pairs: &Pairs,
    done: Response,
) -> Result<Response, PageError> {
    match result {
        Ok(_) => Ok(done),
        Err(BackendError::Gone(_)) => Ok(back(pairs, "gone")),
        Err(e) => Err(e.into()),
    }
}

pub async fn set_read(
    State(state): State<AppState>,
    current: CurrentUser,
    MsgId(id): MsgId,
    Form(pairs): Form<Pairs>,
) -> Result<Response, PageError> {
    let read = field(&pairs, "read") == "1";
    let result = state
        .backend
        .mark_voicemail_read(current.extension(), &id, read)
        .await;
    let done = if read { "read" } else { "unread" };
    gone_or(result, &pairs, back(&pairs, done))
}

pub async fn move_to(
    State(state): State<AppState>,
    current: CurrentUser,
    MsgId(id): MsgId,
    Form(pairs): Form<Pairs>,
) -> Result<Response, PageError> {
    let to = VoicemailFolder::parse(field(&pairs, "to"))
        .ok_or_else(|| PortalError::BadRequest("choose a folder to move the message to".into()))?;
    let result = state
        .backend
        .move_voicemail(current.extension(), &id, to)
        .await;
    let moved = redirect(&format!("/voicemail?folder={}&done=moved", to.key()));
    gone_or(result, &pairs, moved)
}

pub async fn delete(
    State(state): State<AppState>,
    current: CurrentUser,
    MsgId(id): MsgId,
    Form(pairs): Form<Pairs>,
) -> Result<Response, PageError> {
    let report = state
        .backend
        .delete_voicemail(current.extension(), std::slice::from_ref(&id))
        .await?;
    Ok(back(
        &pairs,
        if report.deleted.is_empty() {
            "gone"
        } else {
            "deleted"
        },
    ))
}

pub async fn delete_many(
    State(state): State<AppState>,
    current: CurrentUser,
    Form(pairs): Form<Pairs>,
) -> Result<Response, PageError> {
    let ids: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "id")
        .map(|(_, v)| v.clone())
        .collect();
    if ids.is_empty() {
        return Err(PortalError::BadRequest("select at least one message to delete".into()).into());
    }
    if ids.len() > crate::voicemail::MAX_BULK {
        return Err(PortalError::BadRequest("too many messages selected at once".into()).into());
    }
    for id in &ids {
        parse_text_id(id)?;
    }
    let report = state
        .backend
        .delete_voicemail(current.extension(), &ids)
        .await?;
    let done = if report.gone.is_empty() {
        "bulk"
    } else {
        "gone"
    };
    Ok(back(&pairs, done))
}
