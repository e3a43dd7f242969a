//! Login, logout, the home redirect, the profile page (email, time zone, password) and the
//! password page every logged-in user has, whatever their access to the profile menu.

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::DoneQuery;
use crate::auth::{ClientIp, log_in, log_out};
use crate::backend::{BackendError, FieldError};
use crate::current_user::CurrentUser;
use crate::error::{PageError, PortalError};
use crate::forms::{Pairs, field};
use crate::html::redirect;
use crate::html::{
    Section, csrf_input, disabled_unless, esc, field_error, home_href, menu_page, notice, page,
    read_only_note,
};
use crate::model::Menu;
use crate::security::cookies::{LOGIN_CSRF_COOKIE, SESSION_COOKIE, cookie_value, set_cookie};
use crate::security::token::{constant_time_eq, random_token};
use crate::state::AppState;

pub async fn home(current: CurrentUser) -> Response {
    redirect(home_href(&current))
}

fn login_page(token: &str, extension: &str, error: &str) -> axum::response::Html<String> {
    page(
        "Log in",
        None,
        Section::None,
        "",
        &format!(
            "<div class=\"card narrow\">{notice}\
             <form method=\"post\" action=\"/login\" id=\"login-form\">\
             <input type=\"hidden\" name=\"csrf_token\" value=\"{token}\">\
             <label for=\"extension\">Extension (or admin name)</label>\
             <input id=\"extension\" name=\"extension\" autocomplete=\"username\" autocapitalize=\"none\" required value=\"{ext}\">\
             <label for=\"password\">Password</label>\
             <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>\
             <button id=\"login\" class=\"btn\" type=\"submit\">Log in</button></form></div>",
            notice = notice("error", error),
            token = esc(token),
            ext = esc(extension),
        ),
    )
}

/// Shows the login form with a fresh double-submit token (cookie + hidden field).
pub async fn login_form(State(state): State<AppState>, current: Option<CurrentUser>) -> Response {
    if let Some(current) = current {
        return redirect(home_href(&current));
    }
    login_response(&state, StatusCode::OK, "", "")
}

fn login_response(state: &AppState, status: StatusCode, extension: &str, error: &str) -> Response {
    let token = random_token();
    let cookie = set_cookie(
        LOGIN_CSRF_COOKIE,
        &token,
        3600,
        state.settings.secure_cookies,
    );
    let mut response = (status, login_page(&token, extension, error)).into_response();
    response.headers_mut().append(header::SET_COOKIE, cookie);
    response
}

pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(form): Form<Pairs>,
) -> Result<Response, PageError> {
    let token_ok = cookie_value(&headers, LOGIN_CSRF_COOKIE)
        .is_some_and(|cookie| constant_time_eq(cookie, field(&form, "csrf_token")));
    let extension = field(&form, "extension").trim();
    if !token_ok {
        return Ok(login_response(
            &state,
            StatusCode::FORBIDDEN,
            extension,
            &PortalError::Csrf.to_string(),
        ));
    }
    match log_in(&state, &headers, ip, extension, field(&form, "password")).await {
        Ok((user, session)) => {
            let secure = state.settings.secure_cookies;
            let ttl = state.settings.session_ttl.as_secs();
            tracing::debug!(extension = %user.extension, "portal page login");
            let mut response = redirect("/");
            let headers = response.headers_mut();
            headers.append(
                header::SET_COOKIE,
                set_cookie(SESSION_COOKIE, &session.id, ttl, secure),
            );
            headers.append(
                header::SET_COOKIE,
                set_cookie(LOGIN_CSRF_COOKIE, "", 0, secure),
            );
            Ok(response)
        }
        Err(
            e @ (PortalError::BadCredentials
            | PortalError::RateLimited { .. }
            | PortalError::Busy { .. }),
        ) => {
            let mut response = login_response(&state, e.status(), extension, &e.to_string());
            if let PortalError::RateLimited { retry_after_secs }
            | PortalError::Busy { retry_after_secs } = e
            {
                if let Ok(v) = retry_after_secs.to_string().parse() {
                    response.headers_mut().insert(header::RETRY_AFTER, v);
                }
            }
            Ok(response)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    log_out(&state, &headers).await?;
    let mut response = redirect("/login");
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", 0, state.settings.secure_cookies),
    );
    Ok(response)
}

/// The password card of the profile and password pages.
fn password_card(current: &CurrentUser, errors: &[FieldError]) -> String {
    format!(
        "<section class=\"card\"><h2>Password</h2>{}</section>",
        password_form(current, "/profile/password", errors)
    )
}

/// The password form posting to `action`: always enabled, since changing one's own password
/// needs no menu access.
pub fn password_form(current: &CurrentUser, action: &str, errors: &[FieldError]) -> String {
    format!(
        "<form method=\"post\" action=\"{action}\" id=\"password-form\">{csrf}<fieldset>\
         <label for=\"old_password\">Current password</label>\
         <input id=\"old_password\" name=\"old_password\" type=\"password\" autocomplete=\"current-password\" required>{old_err}\
         <label for=\"new_password\">New password</label>\
         <input id=\"new_password\" name=\"new_password\" type=\"password\" autocomplete=\"new-password\" required>{new_err}\
         <button id=\"change-password\" class=\"btn\" type=\"submit\">Change password</button></fieldset></form>",
        action = esc(action),
        csrf = csrf_input(current),
        old_err = field_error(errors, "old_password"),
        new_err = field_error(errors, "new_password"),
    )
}

/// What the profile form shows again after a rejected change.
#[derive(Default)]
struct Typed<'a> {
    email: Option<&'a str>,
    time_zone: Option<&'a str>,
}

fn profile_page(
    current: &CurrentUser,
    top: &str,
    errors: &[FieldError],
    typed: &Typed<'_>,
) -> axum::response::Html<String> {
    let writable = current.can_write(Menu::Profile);
    let body = format!(
        "{top}{ro}<div class=\"grid\">\
         <section class=\"card\"><h2>Account</h2><dl class=\"facts\">\
         <dt>Extension</dt><dd id=\"profile-extension\">{ext}</dd><dt>Name</dt><dd id=\"profile-name\">{name}</dd></dl>\
         <form method=\"post\" action=\"/profile/email\" id=\"email-form\">{csrf}<fieldset{dis}>\
         <label for=\"email\">Email</label>\
         <input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"email\" value=\"{email}\">{email_err}\
         <button id=\"save-email\" class=\"btn\" type=\"submit\">Save email</button></fieldset></form>\
         {tz_form}</section>\
         {password}</div>",
        ro = read_only_note(writable),
        ext = esc(&current.user.extension),
        name = esc(&current.user.name),
        csrf = csrf_input(current),
        dis = disabled_unless(writable),
        email = esc(typed.email.unwrap_or(&current.user.email)),
        email_err = field_error(errors, "email"),
        tz_form = time_zone_form(
            current,
            "/profile/time-zone",
            typed.time_zone.unwrap_or(&current.user.time_zone),
            errors
        ),
        password = password_card(current, errors),
    );
    menu_page("Profile", current, Menu::Profile, &body)
}

/// The time zone form posting to `action`, showing `zone`; disabled without write access to
/// the profile.
pub fn time_zone_form(
    current: &CurrentUser,
    action: &str,
    zone: &str,
    errors: &[FieldError],
) -> String {
    format!(
        "<form method=\"post\" action=\"{action}\" id=\"time-zone-form\">{csrf}<fieldset{dis}>\
         <label for=\"time_zone\">Time zone</label>\
         <input id=\"time_zone\" name=\"time_zone\" value=\"{tz}\" placeholder=\"Europe/Berlin\" data-fill-tz>{tz_err}\
         <p class=\"muted\">Every time in the portal is shown in this zone; new wakeup calls start in it.</p>\
         <button id=\"save-time-zone\" class=\"btn\" type=\"submit\">Save time zone</button></fieldset></form>",
        action = esc(action),
        csrf = csrf_input(current),
        dis = disabled_unless(current.can_write(Menu::Profile)),
        tz = esc(zone),
        tz_err = field_error(errors, "time_zone"),
    )
}

/// The password alone, for users who may not see the profile menu.
fn password_page(
    current: &CurrentUser,
    top: &str,
    errors: &[FieldError],
) -> axum::response::Html<String> {
    let body = format!("{top}{}", password_card(current, errors));
    page("Password", Some(current), Section::None, "", &body)
}

/// `GET /password`: every logged-in user may change their own password.
pub async fn password(current: CurrentUser, done: DoneQuery) -> axum::response::Html<String> {
    password_page(&current, &done.notice(), &[])
}

/// The first page: the profile, with the call handling status above it for users who may
/// see that menu.
pub async fn profile(
    State(state): State<AppState>,
    current: CurrentUser,
    done: DoneQuery,
) -> axum::response::Html<String> {
    let mut top = done.notice();
    if current.access(Menu::CallHandling).can_read() {
        match state
            .backend
            .call_handling_status(current.extension())
            .await
        {
            Ok(status) => {
                let new_voicemail = if current.access(Menu::Voicemail).can_read() {
                    // The count is a convenience: without the manager link or the spool the
                    // panel simply leaves it out.
                    state
                        .backend
                        .voicemail_new_count(current.extension())
                        .await
                        .ok()
                } else {
                    None
                };
                top.push_str(&super::call_handling::status_panel(&status, new_voicemail))
            }
            // The profile stays usable when the status cannot be read.
            Err(e) => tracing::warn!(error = %e, "call handling status unavailable"),
        }
    }
    profile_page(&current, &top, &[], &Typed::default())
}

pub async fn set_email(
    State(state): State<AppState>,
    current: CurrentUser,
    Form(form): Form<Pairs>,
) -> Result<Response, PageError> {
    let email = field(&form, "email").trim();
    match state.backend.set_email(current.extension(), email).await {
        Ok(()) => Ok(redirect("/profile?done=email")),
        Err(BackendError::Validation(errors)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            profile_page(
                &current,
                "",
                &errors,
                &Typed {
                    email: Some(email),
                    ..Typed::default()
                },
            ),
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

pub async fn set_time_zone(
    State(state): State<AppState>,
    current: CurrentUser,
    Form(form): Form<Pairs>,
) -> Result<Response, PageError> {
    let Err((zone, errors)) = time_zone_from_form(&state, &current, &form).await? else {
        return Ok(redirect("/profile?done=time_zone"));
    };
    let typed = Typed {
        time_zone: Some(zone),
        ..Typed::default()
    };
    Ok((
        StatusCode::UNPROCESSABLE_ENTITY,
        profile_page(&current, "", &errors, &typed),
    )
        .into_response())
}

/// Saves the zone in the field `time_zone`; a refusal is the zone as typed and the messages.
pub async fn time_zone_from_form<'f>(
    state: &AppState,
    current: &CurrentUser,
    form: &'f Pairs,
) -> Result<Result<(), (&'f str, Vec<FieldError>)>, PageError> {
    let zone = field(form, "time_zone").trim();
    match state.backend.set_time_zone(current.extension(), zone).await {
        Ok(()) => Ok(Ok(())),
        Err(BackendError::Validation(errors)) => Ok(Err((zone, errors))),
        Err(e) => Err(e.into()),
    }
}

pub async fn change_password(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    current: CurrentUser,
    Form(form): Form<Pairs>,
) -> Result<Response, PageError> {
    let Err((status, errors)) = password_from_form(&state, &current, ip, &form).await? else {
        // Users without the profile menu change their password on a page of its own.
        return Ok(redirect(if current.access(Menu::Profile).can_read() {
            "/profile?done=password"
        } else {
            "/password?done=password"
        }));
    };
    let profile = current.access(Menu::Profile).can_read();
    let html = if profile {
        profile_page(&current, "", &errors, &Typed::default())
    } else {
        password_page(&current, "", &errors)
    };
    Ok((status, html).into_response())
}

/// Changes the password from the fields `old_password` and `new_password`; a refusal is the
/// status to answer with and the messages for the fields.
pub async fn password_from_form(
    state: &AppState,
    current: &CurrentUser,
    ip: Option<std::net::IpAddr>,
    form: &Pairs,
) -> Result<Result<(), (StatusCode, Vec<FieldError>)>, PageError> {
    let result = crate::auth::change_password(
        state,
        current,
        ip,
        field(form, "old_password"),
        field(form, "new_password"),
    )
    .await;
    let errors = match result {
        Ok(()) => return Ok(Ok(())),
        Err(PortalError::Backend(BackendError::WrongPassword)) => {
            vec![FieldError::new(
                "old_password",
                "the current password is wrong",
            )]
        }
        Err(PortalError::Backend(BackendError::Validation(errors))) => errors,
        Err(e) => return Err(e.into()),
    };
    let status = if errors.iter().any(|e| e.field == "old_password") {
        StatusCode::FORBIDDEN
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(Err((status, errors)))
}
