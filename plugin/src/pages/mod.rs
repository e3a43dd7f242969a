//! The server-rendered web pages. Every form works without JavaScript (post, then redirect back
//! with a notice); the small `portal.js` only adds live fax progress and confirmations.

mod account;
mod admin;
mod call_handling;
mod calls;
mod fax;
mod followme;
mod greetings;
mod voicemail;
mod wakeup_prompts;
mod wakeups;
mod walkthrough;

use axum::extract::Query;
use axum::http::{Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use crate::auth::Guard;
use crate::error::PageError;
use crate::model::Menu;
use crate::route::Route;

pub fn routes() -> Vec<Route> {
    use Method as M;
    let (fm, gr, wk, fx, pr) = (
        Guard::Menu(Menu::Followme),
        Guard::Menu(Menu::Greetings),
        Guard::Menu(Menu::Wakeup),
        Guard::Menu(Menu::Fax),
        Guard::Menu(Menu::Profile),
    );
    let vm = Guard::Menu(Menu::Voicemail);
    let handling = Guard::Menu(Menu::CallHandling);
    let ch = Guard::Menu(Menu::Calls);
    let ad = Guard::Admin;
    vec![
        Route::new(M::GET, "/calls", ch, calls::show),
        Route::new(M::POST, "/calls/export", ch, calls::export),
        Route::new(M::GET, "/calls/{id}", ch, calls::detail),
        Route::new(M::GET, "/calls/{id}/recording", ch, calls::recording),
        Route::new(M::GET, "/admin/calls", ad, calls::admin_list),
        Route::new(M::POST, "/admin/calls/export", ad, calls::admin_export),
        Route::new(M::POST, "/admin/calls/replay", ad, calls::admin_set_replay),
        Route::new(M::GET, "/admin/calls/{id}", ad, calls::admin_detail),
        Route::new(
            M::GET,
            "/admin/calls/{id}/recording",
            ad,
            calls::admin_recording,
        ),
        Route::new(M::GET, "/assets/portal.css", Guard::Public, stylesheet),
        Route::new(M::GET, "/assets/portal.js", Guard::Public, script),
        Route::new(M::GET, "/", Guard::LoggedIn, account::home),
        Route::new(M::GET, "/login", Guard::Public, account::login_form),
        Route::new(M::POST, "/login", Guard::Public, account::login),
        Route::new(M::POST, "/logout", Guard::LoggedIn, account::logout),
        Route::new(M::GET, "/profile", pr, account::profile),
        Route::new(M::POST, "/profile/email", pr, account::set_email),
        Route::new(M::POST, "/profile/time-zone", pr, account::set_time_zone),
        // One's own password needs no menu access.
        Route::new(
            M::POST,
            "/profile/password",
            Guard::LoggedIn,
            account::change_password,
        ),
        Route::new(M::GET, "/password", Guard::LoggedIn, account::password),
        Route::new(M::GET, "/welcome", Guard::LoggedIn, walkthrough::start),
        Route::new(M::GET, "/welcome/done", Guard::LoggedIn, walkthrough::done),
        Route::new(
            M::GET,
            "/welcome/password",
            Guard::LoggedIn,
            walkthrough::show,
        ),
        Route::new(
            M::GET,
            "/welcome/time-zone",
            Guard::LoggedIn,
            walkthrough::show,
        ),
        Route::new(
            M::GET,
            "/welcome/greeting",
            Guard::LoggedIn,
            walkthrough::show,
        ),
        Route::new(
            M::GET,
            "/welcome/followme",
            Guard::LoggedIn,
            walkthrough::show,
        ),
        Route::new(
            M::POST,
            "/welcome/password",
            Guard::LoggedIn,
            walkthrough::save_password,
        ),
        Route::new(
            M::POST,
            "/welcome/time-zone",
            pr,
            walkthrough::save_time_zone,
        ),
        Route::new(M::POST, "/welcome/greeting", gr, walkthrough::save_greeting).streamed(),
        Route::new(M::POST, "/welcome/followme", fm, walkthrough::save_followme),
        Route::new(
            M::POST,
            "/welcome/finish",
            Guard::LoggedIn,
            walkthrough::finish,
        ),
        Route::new(M::GET, "/call-handling", handling, call_handling::show),
        Route::new(M::POST, "/call-handling", handling, call_handling::save),
        Route::new(M::GET, "/followme", fm, followme::show),
        Route::new(M::POST, "/followme", fm, followme::save),
        Route::new(M::GET, "/greetings", gr, greetings::show),
        Route::new(M::POST, "/greetings/{slot}", gr, greetings::upload).streamed(),
        Route::new(
            M::GET,
            "/greetings/{slot}/audio",
            gr,
            crate::downloads::greeting_audio::<PageError>,
        ),
        Route::new(M::POST, "/greetings/{slot}/delete", gr, greetings::delete),
        Route::new(M::GET, "/wakeups", wk, wakeups::list),
        Route::new(M::GET, "/wakeups/new", wk, wakeups::new_form),
        Route::new(M::GET, "/wakeups/outcomes", wk, wakeups::outcomes),
        Route::new(M::POST, "/wakeups/prompts", wk, wakeup_prompts::upload).streamed(),
        Route::new(
            M::POST,
            "/wakeups/prompts/{name}/delete",
            wk,
            wakeup_prompts::delete,
        ),
        Route::new(M::POST, "/wakeups", wk, wakeups::create),
        Route::new(M::GET, "/wakeups/{id}", wk, wakeups::edit_form),
        Route::new(M::POST, "/wakeups/{id}", wk, wakeups::update),
        Route::new(M::POST, "/wakeups/{id}/enabled", wk, wakeups::set_enabled),
        Route::new(M::POST, "/wakeups/{id}/delete", wk, wakeups::delete),
        Route::new(M::GET, "/fax", fx, fax::show),
        Route::new(M::POST, "/fax/send", fx, fax::send).streamed(),
        Route::new(M::GET, "/fax/jobs/{id}", fx, fax::job),
        Route::new(M::POST, "/fax/jobs/{id}/cancel", fx, fax::cancel),
        Route::new(M::POST, "/fax/jobs/{id}/resend", fx, fax::resend),
        Route::new(M::POST, "/fax/jobs/{id}/delete", fx, fax::delete_sent),
        Route::new(M::POST, "/fax/inbox/{id}/delete", fx, fax::delete_received),
        Route::new(M::GET, "/fax/sent/{id}/{format}", fx, fax::sent_document),
        Route::new(
            M::GET,
            "/fax/inbox/{id}/{format}",
            fx,
            fax::received_document,
        ),
        Route::new(M::GET, "/voicemail", vm, voicemail::show),
        Route::new(M::POST, "/voicemail/delete", vm, voicemail::delete_many),
        Route::new(
            M::GET,
            "/voicemail/{id}/audio",
            vm,
            crate::voicemail::audio::<PageError>,
        ),
        Route::new(M::POST, "/voicemail/{id}/read", vm, voicemail::set_read),
        Route::new(M::POST, "/voicemail/{id}/move", vm, voicemail::move_to),
        Route::new(M::POST, "/voicemail/{id}/delete", vm, voicemail::delete),
        Route::new(M::GET, "/admin/users", Guard::Admin, admin::users),
        Route::new(
            M::GET,
            "/admin/users/new",
            Guard::Admin,
            admin::new_user_form,
        ),
        Route::new(M::POST, "/admin/users", Guard::Admin, admin::create_user),
        Route::new(
            M::GET,
            "/admin/users/{ext}",
            Guard::Admin,
            admin::edit_user_form,
        ),
        Route::new(
            M::POST,
            "/admin/users/{ext}",
            Guard::Admin,
            admin::update_user,
        ),
        Route::new(
            M::POST,
            "/admin/users/{ext}/password",
            Guard::Admin,
            admin::reset_password,
        ),
        Route::new(
            M::GET,
            "/admin/users/{ext}/delete",
            Guard::Admin,
            admin::delete_user_form,
        ),
        Route::new(
            M::POST,
            "/admin/users/{ext}/delete",
            Guard::Admin,
            admin::delete_user,
        ),
        Route::new(M::GET, "/admin/import", Guard::Admin, admin::import_form),
        Route::new(M::POST, "/admin/import", Guard::Admin, admin::import).streamed(),
        Route::new(
            M::GET,
            "/admin/defaults",
            Guard::Admin,
            admin::defaults_form,
        ),
        Route::new(
            M::POST,
            "/admin/defaults",
            Guard::Admin,
            admin::save_defaults,
        ),
        Route::new(M::GET, "/admin/status", Guard::Admin, admin::status),
    ]
}

/// `?done=…` after a redirect names one of a fixed set of notices; free text is never
/// reflected.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    #[serde(default)]
    pub done: String,
}

impl Done {
    pub fn notice(&self) -> String {
        let text = match self.done.as_str() {
            "saved" => "Saved.",
            "deleted" => "Deleted.",
            "cancelled" => "Fax cancelled.",
            "uploaded" => "Greeting uploaded.",
            "password" => "Password changed.",
            "email" => "Email address saved.",
            "time_zone" => "Time zone saved.",
            "created" => "Created.",
            "enabled" => "Wakeup call enabled.",
            "disabled" => "Wakeup call disabled.",
            "prompt_uploaded" => "Prompt uploaded; pick it in a wakeup call.",
            "prompt_deleted" => "Prompt deleted.",
            _ => "",
        };
        crate::html::notice("success", text)
    }
}

pub type DoneQuery = Query<Done>;

/// A form shown again with what was wrong with it; the status tells it from a page after success.
pub fn unprocessable(page: Html<String>) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
}

async fn stylesheet() -> Response {
    asset(
        "text/css; charset=utf-8",
        include_str!("../../assets/portal.css"),
    )
}

async fn script() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("../../assets/portal.js"),
    )
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}
