//! The admin pages: users list (search, paging), create and edit users with per-menu access,
//! reset a password, CSV import with its report, access defaults for new users, system status.

use axum::Form;
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use super::DoneQuery;
use crate::backend::{BackendError, FieldError};
use crate::current_user::CurrentUser;
use crate::error::{PageError, PortalError};
use crate::forms::{self, Pairs};
use crate::html::redirect;
use crate::html::{Section, checked, csrf_input, esc, field_error, format_time, notice, page};
use crate::model::{Access, ImportReport, LinkStatus, Menu, MenuAccess, User, UserQuery};
use crate::state::AppState;
use crate::upload::{FileRule, is_csv, read_multipart};
use crate::user_admin::{DELETE_CONSEQUENCES, csv_text, run_import, self_delete, self_lockout};

/// The admin area's tabs; `tab` is the id of the current one.
pub(crate) fn admin_page(
    current: &CurrentUser,
    tab: &str,
    title: &str,
    body: &str,
) -> Html<String> {
    let tabs: String = [
        ("users", "/admin/users", "Users"),
        ("import", "/admin/import", "Import"),
        ("defaults", "/admin/defaults", "Defaults"),
        ("calls", "/admin/calls", "Calls"),
        ("status", "/admin/status", "Status"),
    ]
    .iter()
    .map(|(id, href, label)| {
        let current = if *id == tab {
            " aria-current=\"page\""
        } else {
            ""
        };
        format!("<a id=\"tab-{id}\" href=\"{href}\"{current}>{label}</a>")
    })
    .collect();
    let tabs = format!("<nav class=\"tabs\" aria-label=\"Admin\">{tabs}</nav>");
    page(
        title,
        Some(current),
        Section::Admin,
        "",
        &format!("{tabs}{body}"),
    )
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: Option<u32>,
    #[serde(default)]
    done: String,
}

pub async fn users(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(query): Query<ListQuery>,
) -> Result<Html<String>, PageError> {
    let per_page = state.settings.users_per_page.max(1);
    let page_no = query.page.unwrap_or(1).max(1);
    let result = state
        .backend
        .list_users(&UserQuery {
            search: query.q.trim().to_owned(),
            page: page_no,
            per_page,
        })
        .await?;
    let rows: String = result
        .users
        .iter()
        .map(|u| {
            let status = if u.disabled {
                "<span class=\"badge badge-off\">disabled</span>"
            } else if u.portal_enabled {
                "<span class=\"badge badge-on\">portal on</span>"
            } else {
                "<span class=\"badge\">portal off</span>"
            };
            format!(
                "<tr id=\"user-{ext}\"><td><a href=\"/admin/users/{ext}\">{ext}</a></td><td>{name}{admin}</td><td>{email}</td><td>{status}</td></tr>",
                ext = esc(&u.extension),
                name = esc(&u.name),
                admin = if u.is_admin { " <span class=\"badge\">admin</span>" } else { "" },
                email = esc(&u.email),
            )
        })
        .collect();
    let pages = result.total.div_ceil(u64::from(per_page)).max(1);
    let q = esc(&query.q);
    let link = |p: u64, label: &str, id: &str| {
        format!(
            "<a id=\"{id}\" href=\"/admin/users?q={}&amp;page={p}\">{label}</a>",
            esc(&crate::html::query_value(&query.q))
        )
    };
    let prev = if page_no > 1 {
        link(u64::from(page_no) - 1, "← Previous", "prev-page")
    } else {
        String::new()
    };
    let next = if u64::from(page_no) < pages {
        link(u64::from(page_no) + 1, "Next →", "next-page")
    } else {
        String::new()
    };
    let done = super::Done { done: query.done }.notice();
    let body = format!(
        "{done}<form method=\"get\" action=\"/admin/users\" class=\"search\" role=\"search\">\
         <label class=\"sr-only\" for=\"q\">Search users</label><input id=\"q\" name=\"q\" type=\"search\" placeholder=\"Extension, name or email\" value=\"{q}\">\
         <button id=\"search\" class=\"btn\" type=\"submit\">Search</button>\
         <a class=\"btn btn-secondary\" id=\"new-user\" href=\"/admin/users/new\">New user</a></form>\
         <section class=\"card\"><div class=\"table-wrap\"><table class=\"list\" id=\"users\"><thead><tr><th scope=\"col\">Extension</th><th scope=\"col\">Name</th>\
         <th scope=\"col\">Email</th><th scope=\"col\">Status</th></tr></thead><tbody>{rows}</tbody></table></div>\
         <p class=\"pager\">{prev} <span id=\"page-info\">Page {page_no} of {pages} ({total} users)</span> {next}</p></section>",
        total = result.total,
    );
    Ok(admin_page(&current, "users", "Users", &body))
}

fn access_table(access: &MenuAccess, errors: &[FieldError]) -> String {
    let rows: String = Menu::ALL
        .iter()
        .map(|m| {
            let radios: String = [Access::No, Access::Read, Access::Write]
                .iter()
                .map(|a| {
                    format!(
                        "<td><label class=\"inline\"><input type=\"radio\" id=\"access-{menu}-{level}\" name=\"access_{menu}\" value=\"{level}\"{c}><span class=\"sr-only\"> {label} {level}</span></label></td>",
                        menu = m.key(),
                        level = a.key(),
                        label = m.label(),
                        c = checked(access.get(*m) == *a),
                    )
                })
                .collect();
            format!("<tr><th scope=\"row\">{}</th>{radios}</tr>{}", m.label(), field_error(errors, &format!("access_{}", m.key())))
        })
        .collect();
    format!(
        "<div class=\"table-wrap\"><table class=\"access\" id=\"access\"><thead><tr><th scope=\"col\">Menu</th><th scope=\"col\">No</th>\
         <th scope=\"col\">Read</th><th scope=\"col\">Write</th></tr></thead><tbody>{rows}</tbody></table></div>"
    )
}

fn new_user_html(
    current: &CurrentUser,
    form: &Pairs,
    errors: &[FieldError],
    top: &str,
) -> Html<String> {
    let f = |n| esc(forms::field(form, n));
    let body = format!(
        "{top}<form method=\"post\" action=\"/admin/users\" id=\"new-user-form\" class=\"card narrow\">{csrf}\
         <label for=\"extension\">Extension</label><input id=\"extension\" name=\"extension\" inputmode=\"numeric\" required value=\"{ext}\">{ext_err}\
         <label for=\"name\">Name</label><input id=\"name\" name=\"name\" required value=\"{name}\">{name_err}\
         <label for=\"email\">Email</label><input id=\"email\" name=\"email\" type=\"email\" value=\"{email}\">{email_err}\
         <label for=\"password\">Password (leave empty to generate one)</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"new-password\">{pw_err}\
         <label for=\"time_zone\">Time zone (leave empty for the server's default)</label><input id=\"time_zone\" name=\"time_zone\" placeholder=\"Europe/Berlin\" value=\"{tz}\">{tz_err}\
         <label class=\"switch\"><input type=\"checkbox\" id=\"portal_enabled\" name=\"portal_enabled\" checked> Portal enabled</label>\
         <label class=\"switch\"><input type=\"checkbox\" id=\"is_admin\" name=\"is_admin\"{admin}> Administrator</label>\
         <p class=\"hint\">Menu access starts from the defaults for new users.</p>\
         <button id=\"create-user\" class=\"btn\" type=\"submit\">Create user</button></form>",
        csrf = csrf_input(current),
        ext = f("extension"),
        ext_err = field_error(errors, "extension"),
        name = f("name"),
        name_err = field_error(errors, "name"),
        email = f("email"),
        email_err = field_error(errors, "email"),
        pw_err = field_error(errors, "password"),
        tz = f("time_zone"),
        tz_err = field_error(errors, "time_zone"),
        admin = checked(!forms::field(form, "is_admin").is_empty()),
    );
    admin_page(current, "users", "New user", &body)
}

pub async fn new_user_form(State(state): State<AppState>, current: CurrentUser) -> Html<String> {
    // A suggestion only: the form works without one.
    let suggested = match state.backend.suggest_extension().await {
        Ok(next) => next.unwrap_or_default(),
        Err(e) => {
            tracing::warn!(error = %e, "no extension to suggest");
            String::new()
        }
    };
    let form: Pairs = vec![("extension".to_owned(), suggested)];
    new_user_html(&current, &form, &[], "")
}

/// Asks before deleting, saying what goes with the user and what stays.
pub async fn delete_user_form(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(ext): Path<String>,
) -> Result<Html<String>, PageError> {
    let user = find_user(&state, &ext).await?;
    let ext = esc(&user.extension);
    let body = format!(
        "<p><a href=\"/admin/users/{ext}\">← Back to the user</a></p>\
         <form method=\"post\" action=\"/admin/users/{ext}/delete\" id=\"delete-user-form\" class=\"card narrow\">{csrf}\
         <h2>Delete {name} ({ext})?</h2><p id=\"delete-consequences\">{what}</p>\
         <button id=\"confirm-delete-user\" class=\"btn btn-danger\" type=\"submit\">Delete user {ext}</button></form>",
        csrf = csrf_input(&current),
        name = esc(&user.name),
        what = esc(DELETE_CONSEQUENCES),
    );
    Ok(admin_page(
        &current,
        "users",
        &format!("Delete user {}", user.extension),
        &body,
    ))
}

pub async fn delete_user(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(ext): Path<String>,
) -> Result<Response, PageError> {
    if let Some(e) = self_delete(&current, &ext) {
        return Err(e.into());
    }
    state.backend.delete_user(&ext).await?;
    Ok(redirect("/admin/users?done=deleted"))
}

pub async fn create_user(
    State(state): State<AppState>,
    current: CurrentUser,
    Form(form): Form<Pairs>,
) -> Result<Response, PageError> {
    let new = forms::new_user(&form);
    match state.backend.create_user(&new).await {
        Ok(created) => {
            let top = match &created.generated_password {
                Some(pw) => notice(
                    "success",
                    &format!(
                        "User {} created. Generated password (shown once): {pw}",
                        created.user.extension
                    ),
                ),
                None => notice(
                    "success",
                    &format!("User {} created.", created.user.extension),
                ),
            };
            Ok(user_html(&current, &created.user, &[], &top).into_response())
        }
        Err(BackendError::Validation(errors)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            new_user_html(&current, &form, &errors, ""),
        )
            .into_response()),
        Err(BackendError::Conflict(msg)) => {
            let errors = [FieldError::new("extension", msg)];
            Ok((
                StatusCode::CONFLICT,
                new_user_html(&current, &form, &errors, ""),
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

fn user_html(current: &CurrentUser, user: &User, errors: &[FieldError], top: &str) -> Html<String> {
    let ext = esc(&user.extension);
    let body = format!(
        "<p><a href=\"/admin/users\">← All users</a></p>{top}\
         <div class=\"grid\"><form method=\"post\" action=\"/admin/users/{ext}\" id=\"user-form\" class=\"card\">{csrf}\
         <h2>Extension {ext}</h2>\
         <label for=\"name\">Name</label><input id=\"name\" name=\"name\" required value=\"{name}\">{name_err}\
         <label for=\"email\">Email</label><input id=\"email\" name=\"email\" type=\"email\" value=\"{email}\">{email_err}\
         <label for=\"time_zone\">Time zone</label><input id=\"time_zone\" name=\"time_zone\" placeholder=\"Europe/Berlin\" value=\"{tz}\">{tz_err}\
         <label class=\"switch\"><input type=\"checkbox\" id=\"portal_enabled\" name=\"portal_enabled\"{portal}> Portal enabled</label>\
         <label class=\"switch\"><input type=\"checkbox\" id=\"is_admin\" name=\"is_admin\"{admin}> Administrator</label>\
         <label class=\"switch\"><input type=\"checkbox\" id=\"disabled\" name=\"disabled\"{disabled}> Disabled (cannot log in)</label>{flag_err}\
         <label class=\"switch\"><input type=\"checkbox\" id=\"wakeup_others\" name=\"wakeup_others\"{wakeup_others}> Wakeup calls for other extensions</label>\
         <label class=\"switch\"><input type=\"checkbox\" id=\"must_change_password\" name=\"must_change_password\"{must_change}> Must choose a new password at the next login</label>\
         <label class=\"switch\"><input type=\"checkbox\" id=\"walkthrough\" name=\"walkthrough\"{walkthrough}> Show the first-login walk-through (password, time zone, greeting, follow-me) at the next login</label>\
         <h3>Menu access</h3>{access}\
         <button id=\"save-user\" class=\"btn\" type=\"submit\">Save user</button></form>\
         <form method=\"post\" action=\"/admin/users/{ext}/password\" id=\"reset-password-form\" class=\"card\">{csrf}<h2>Reset password</h2>\
         <label for=\"new_password\">New password (leave empty to generate one)</label>\
         <input id=\"new_password\" name=\"new_password\" type=\"password\" autocomplete=\"new-password\">{pw_err}\
         <button id=\"reset-password\" class=\"btn btn-secondary\" type=\"submit\">Reset password</button></form>\
         <section class=\"card\"><h2>Delete user</h2><p>{what}</p>\
         <a class=\"btn btn-danger\" id=\"delete-user\" href=\"/admin/users/{ext}/delete\">Delete user…</a></section></div>",
        csrf = csrf_input(current),
        name = esc(&user.name),
        name_err = field_error(errors, "name"),
        email = esc(&user.email),
        email_err = field_error(errors, "email"),
        tz = esc(&user.time_zone),
        tz_err = field_error(errors, "time_zone"),
        portal = checked(user.portal_enabled),
        admin = checked(user.is_admin),
        wakeup_others = checked(user.wakeup_others),
        must_change = checked(user.must_change_password),
        walkthrough = checked(user.walkthrough),
        disabled = checked(user.disabled),
        flag_err = field_error(errors, "disabled"),
        access = access_table(&user.access, errors),
        pw_err = field_error(errors, "new_password"),
        what = esc(DELETE_CONSEQUENCES),
    );
    admin_page(current, "users", &format!("User {}", user.extension), &body)
}

async fn find_user(state: &AppState, ext: &str) -> Result<User, PortalError> {
    state.backend.user(ext).await?.ok_or(PortalError::NotFound)
}

pub async fn edit_user_form(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(ext): Path<String>,
    done: DoneQuery,
) -> Result<Html<String>, PageError> {
    let user = find_user(&state, &ext).await?;
    Ok(user_html(&current, &user, &[], &done.notice()))
}

pub async fn update_user(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(ext): Path<String>,
    Form(form): Form<Pairs>,
) -> Result<Response, PageError> {
    let user = find_user(&state, &ext).await?;
    let errors = match forms::user_update(&form) {
        Ok(update) => match self_lockout(&current, &ext, &update) {
            Some(e) => vec![e],
            None => match state.backend.update_user(&user.extension, &update).await {
                Ok(_) => {
                    return Ok(redirect(&format!(
                        "/admin/users/{}?done=saved",
                        crate::html::query_value(&ext)
                    )));
                }
                Err(BackendError::Validation(errors)) => errors,
                Err(e) => return Err(e.into()),
            },
        },
        Err(errors) => errors,
    };
    Ok((
        StatusCode::UNPROCESSABLE_ENTITY,
        user_html(&current, &user, &errors, ""),
    )
        .into_response())
}

pub async fn reset_password(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(ext): Path<String>,
    Form(form): Form<Pairs>,
) -> Result<Response, PageError> {
    let user = find_user(&state, &ext).await?;
    let given = forms::field(&form, "new_password");
    let wanted = (!given.is_empty()).then_some(given);
    match state.backend.reset_password(&user.extension, wanted).await {
        Ok(password) => {
            let text = if wanted.is_some() {
                "Password reset.".to_owned()
            } else {
                format!("Password reset. New password (shown once): {password}")
            };
            Ok(user_html(&current, &user, &[], &notice("success", &text)).into_response())
        }
        Err(BackendError::Validation(errors)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            user_html(&current, &user, &errors, ""),
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

fn import_html(current: &CurrentUser, report: Option<&ImportReport>, top: &str) -> Html<String> {
    let report_html = report
        .map(|r| {
            let accepted: String = r
                .accepted
                .iter()
                .map(|a| {
                    format!(
                        "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                        a.line,
                        esc(&a.extension),
                        esc(a.generated_password.as_deref().unwrap_or("as given"))
                    )
                })
                .collect();
            let rejected: String = r
                .rejected
                .iter()
                .map(|a| format!("<tr><td>{}</td><td>{}</td><td>{}</td></tr>", a.line, esc(&a.extension), esc(&a.reason)))
                .collect();
            format!(
                "<section class=\"card\" id=\"import-report\"><h2>Report</h2>\
                 <p id=\"import-summary\">{} rows imported, {} rejected.</p>\
                 <h3>Imported</h3><div class=\"table-wrap\"><table class=\"list\" id=\"import-accepted\"><thead><tr><th scope=\"col\">Line</th><th scope=\"col\">Extension</th><th scope=\"col\">Password</th></tr></thead><tbody>{accepted}</tbody></table></div>\
                 <h3>Rejected</h3><div class=\"table-wrap\"><table class=\"list\" id=\"import-rejected\"><thead><tr><th scope=\"col\">Line</th><th scope=\"col\">Extension</th><th scope=\"col\">Reason</th></tr></thead><tbody>{rejected}</tbody></table></div></section>",
                r.accepted.len(),
                r.rejected.len()
            )
        })
        .unwrap_or_default();
    let body = format!(
        "{top}<form method=\"post\" action=\"/admin/import\" enctype=\"multipart/form-data\" id=\"import-form\" class=\"card\">{csrf}\
         <p class=\"hint\">One user per line: <code>extension,name,email,password</code>, optionally followed by <code>,time zone</code> (e.g. <code>Europe/Berlin</code>). Write <code>generate</code> as the password to have one generated. \
         A first line starting with <code>extension</code> is a header.</p>\
         <label for=\"csv\">CSV file</label><input id=\"csv\" name=\"csv\" type=\"file\" accept=\".csv,text/csv\" required>\
         <button id=\"import\" class=\"btn\" type=\"submit\">Import users</button></form>{report_html}",
        csrf = csrf_input(current),
    );
    admin_page(current, "import", "Import users", &body)
}

pub async fn import_form(current: CurrentUser) -> Html<String> {
    import_html(&current, None, "")
}

pub async fn import(
    State(state): State<AppState>,
    current: CurrentUser,
    request: Request,
) -> Result<Response, PageError> {
    let rule = FileRule {
        field: "csv",
        max_bytes: state.settings.csv_max_bytes,
        accept: is_csv,
        accepted: "a CSV file (text/csv)",
    };
    let form = read_multipart(request, rule).await?;
    let Some(file) = form.file else {
        return Err(PortalError::BadRequest("choose a CSV file to import".into()).into());
    };
    let report = run_import(&state, csv_text(&file.bytes)?).await?;
    Ok(import_html(&current, Some(&report), "").into_response())
}

pub async fn defaults_form(
    State(state): State<AppState>,
    current: CurrentUser,
    done: DoneQuery,
) -> Result<Html<String>, PageError> {
    let access = state.backend.access_defaults().await?;
    Ok(defaults_html(&current, &access, &[], &done.notice()))
}

fn defaults_html(
    current: &CurrentUser,
    access: &MenuAccess,
    errors: &[FieldError],
    top: &str,
) -> Html<String> {
    let body = format!(
        "{top}<form method=\"post\" action=\"/admin/defaults\" id=\"defaults-form\" class=\"card\">{csrf}\
         <p class=\"hint\">Menu access given to users created from now on.</p>{table}\
         <button id=\"save-defaults\" class=\"btn\" type=\"submit\">Save defaults</button></form>",
        csrf = csrf_input(current),
        table = access_table(access, errors),
    );
    admin_page(current, "defaults", "Defaults for new users", &body)
}

pub async fn save_defaults(
    State(state): State<AppState>,
    current: CurrentUser,
    Form(form): Form<Pairs>,
) -> Result<Response, PageError> {
    match forms::menu_access(&form) {
        Ok(access) => {
            state.backend.set_access_defaults(&access).await?;
            Ok(redirect("/admin/defaults?done=saved"))
        }
        Err(errors) => {
            let access = state.backend.access_defaults().await?;
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                defaults_html(&current, &access, &errors, ""),
            )
                .into_response())
        }
    }
}

fn link_text(link: &LinkStatus, up: &str, down: &str, zone: &str) -> String {
    let since = link
        .since
        .as_ref()
        .map(|t| format!(" since {}", format_time(t, zone)))
        .unwrap_or_default();
    let (class, word) = if link.up {
        ("badge-on", up)
    } else {
        ("badge-off", down)
    };
    format!("<span class=\"badge {class}\">{word}</span>{since}")
}

pub async fn status(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Html<String>, PageError> {
    let s = state.backend.system_status().await?;
    let body = format!(
        "<section class=\"card\"><dl class=\"facts\" id=\"status\">\
         <dt>Asterisk (ARI)</dt><dd id=\"status-ari\">{ari}</dd>\
         <dt>FastAGI listener</dt><dd id=\"status-agi\">{agi} <span class=\"muted\">{listen}</span></dd>\
         <dt>Queued fax jobs</dt><dd id=\"status-fax-queue\">{fax}</dd>\
         <dt>Pending wakeup calls</dt><dd id=\"status-wakeups\">{wakeups}</dd>\
         <dt>Version</dt><dd id=\"status-version\">{version}</dd></dl></section>",
        ari = link_text(&s.ari, "connected", "disconnected", &current.user.time_zone),
        agi = link_text(
            &s.agi,
            "listening",
            "not listening",
            &current.user.time_zone
        ),
        listen = esc(&s.agi_listen),
        fax = s.queued_fax_jobs,
        wakeups = s.pending_wakeups,
        version = esc(&s.version),
    );
    Ok(admin_page(&current, "status", "System status", &body))
}
