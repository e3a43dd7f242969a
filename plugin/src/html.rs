//! Hand-written HTML building blocks: escaping, the page layout with its navigation, and small
//! form helpers. Every dynamic value goes through [`esc`]. No inline script or style (CSP).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::backend::FieldError;
use crate::current_user::CurrentUser;
use crate::model::{Access, Menu};

/// Escapes text for HTML element content and double-quoted attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Which navigation entry is highlighted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Menu(Menu),
    Admin,
    None,
}

fn menu_href(menu: Menu) -> &'static str {
    match menu {
        Menu::Profile => "/profile",
        Menu::Followme => "/followme",
        Menu::Greetings => "/greetings",
        Menu::Wakeup => "/wakeups",
        Menu::Fax => "/fax",
        Menu::Voicemail => "/voicemail",
        Menu::CallHandling => "/call-handling",
        Menu::Calls => "/calls",
    }
}

/// The first page this user may open, for `/` and after login: the demanded password change,
/// then the first-login walk-through, then their first menu.
pub fn home_href(current: &CurrentUser) -> &'static str {
    if current.user.must_change_password {
        return "/password";
    }
    if current.user.walkthrough {
        return "/welcome";
    }
    Menu::ALL
        .into_iter()
        .find(|m| current.access(*m) != Access::No)
        .map(menu_href)
        .unwrap_or(if current.user.is_admin {
            "/admin/users"
        } else {
            "/password"
        })
}

fn nav(current: &CurrentUser, section: Section) -> String {
    let mut items = String::new();
    let mut item = |href: &str, label: &str, id: &str, active: bool| {
        let aria = if active { " aria-current=\"page\"" } else { "" };
        items.push_str(&format!(
            "<li><a id=\"nav-{id}\" href=\"{href}\"{aria}>{label}</a></li>"
        ));
    };
    for menu in Menu::ALL {
        if current.access(menu) != Access::No {
            // The new-message count is filled in live by portal.js (server-sent events).
            let label = if menu == Menu::Voicemail {
                format!(
                    "{} <span class=\"badge\" id=\"voicemail-new\" data-events=\"/api/v1/voicemail/events\" aria-label=\"new messages\"></span>",
                    menu.label()
                )
            } else {
                menu.label().to_owned()
            };
            item(
                menu_href(menu),
                &label,
                menu.key(),
                section == Section::Menu(menu),
            );
        }
    }
    if current.access(Menu::Profile) == Access::No {
        // The password is on the profile page for everyone else.
        item("/password", "Password", "password", false);
    }
    if current.user.is_admin {
        item("/admin/users", "Admin", "admin", section == Section::Admin);
    }
    format!(
        "<nav class=\"nav\" aria-label=\"Main\"><ul>{items}</ul></nav>\
         <div class=\"who\"><span class=\"who-name\">{name} <span class=\"muted\">({ext})</span></span>\
         <form method=\"post\" action=\"/logout\">{csrf}<button id=\"logout\" class=\"btn-link\" type=\"submit\">Log out</button></form></div>",
        name = esc(&current.user.name),
        ext = esc(&current.user.extension),
        csrf = csrf_input(current),
    )
}

pub fn csrf_input(current: &CurrentUser) -> String {
    format!(
        "<input type=\"hidden\" name=\"csrf_token\" value=\"{}\">",
        esc(&current.session.csrf_token)
    )
}

/// A page of one of the user's menus, with that menu marked in the navigation.
pub fn menu_page(title: &str, current: &CurrentUser, menu: Menu, body: &str) -> Html<String> {
    page(title, Some(current), Section::Menu(menu), "", body)
}

/// A complete page. `head` may add elements to `<head>` (e.g. a refresh fallback).
pub fn page(
    title: &str,
    current: Option<&CurrentUser>,
    section: Section,
    head: &str,
    body: &str,
) -> Html<String> {
    let top = match current {
        Some(c) => nav(c, section),
        None => String::new(),
    };
    let csrf_meta = current
        .map(|c| {
            format!(
                "<meta name=\"csrf-token\" content=\"{}\">",
                esc(&c.session.csrf_token)
            )
        })
        .unwrap_or_default();
    Html(format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · Ringside</title>{csrf_meta}\
         <link rel=\"stylesheet\" href=\"/assets/portal.css\">\
         <script src=\"/assets/portal.js\" defer></script>{head}</head>\
         <body><a class=\"skip\" href=\"#main\">Skip to content</a>\
         <header class=\"topbar\"><a class=\"brand\" href=\"/\">Ringside</a>{top}</header>\
         <main id=\"main\"><h1>{title}</h1>{body}</main>\
         <footer class=\"footer\">Ringside portal</footer></body></html>",
        title = esc(title),
    ))
}

/// A page showing only an error (used for 403/404/413/… on page routes).
pub fn error_page(status: StatusCode, message: &str) -> Html<String> {
    let reason = status.canonical_reason().unwrap_or("Error");
    page(
        reason,
        None,
        Section::None,
        "",
        &format!(
            "<div class=\"card\"><p class=\"alert alert-error\" id=\"error-message\" role=\"alert\">{}</p>\
             <p><a href=\"/\">Back to the portal</a></p></div>",
            esc(message)
        ),
    )
}

/// A success or error banner.
pub fn notice(kind: &str, text: &str) -> String {
    if text.is_empty() {
        return String::new();
    }
    let role = if kind == "error" { "alert" } else { "status" };
    format!(
        "<p class=\"alert alert-{kind}\" id=\"notice\" role=\"{role}\">{}</p>",
        esc(text)
    )
}

/// The banner over a form that came back with errors, pointing to the messages by the fields.
pub fn errors_notice(errors: &[FieldError]) -> String {
    if errors.is_empty() {
        return String::new();
    }
    notice(
        "error",
        "Some fields need attention; see the messages below.",
    )
}

/// The validation message for `field`, if any, placed right after the input.
pub fn field_error(errors: &[FieldError], field: &str) -> String {
    errors
        .iter()
        .filter(|e| e.field == field)
        .map(|e| {
            format!(
                "<p class=\"field-error\" id=\"{}-error\">{}</p>",
                esc(&dom_id(field)),
                esc(&e.message)
            )
        })
        .collect()
}

/// Field names like `steps[1].numbers` as DOM ids (`steps-1-numbers`).
pub fn dom_id(field: &str) -> String {
    field
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect::<String>()
        .trim_matches('-')
        .replace("--", "-")
}

/// `disabled` on a fieldset when the user may only read.
pub fn disabled_unless(writable: bool) -> &'static str {
    if writable { "" } else { " disabled" }
}

pub fn checked(on: bool) -> &'static str {
    if on { " checked" } else { "" }
}

/// Shown above a read-only form.
pub fn read_only_note(writable: bool) -> &'static str {
    if writable {
        ""
    } else {
        "<p class=\"alert alert-info\" id=\"read-only\">You can view these settings but not change them.</p>"
    }
}

/// `t` on the wall clock of `zone` (the viewer's), with the zone's abbreviation.
pub fn format_time(t: &chrono::DateTime<chrono::Utc>, zone: &str) -> String {
    crate::zone::format_in(t, zone)
}

/// `303 See Other` to `location` (after a form post, and to the login page).
pub fn redirect(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// Percent-encodes a value for a link's query string (everything but RFC 3986's unreserved
/// characters).
pub fn query_value(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn esc_neutralises_markup_and_quotes() {
        assert_eq!(
            esc("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn dom_id_turns_field_paths_into_ids() {
        assert_eq!(dom_id("steps[1].numbers"), "steps-1-numbers");
    }
}
