//! The JSON API under `/api/v1/…`: the same data and rules as the pages (session cookie, CSRF
//! token in the `X-CSRF-Token` header, menu access, ownership), described by the OpenAPI
//! document at `/api/v1/openapi.json`.

mod account;
mod admin;
mod call_handling;
mod calls;
mod fax;
mod followme;
mod greetings;
mod json;
mod voicemail;
mod wakeups;

use axum::Json;
use axum::http::Method;
use axum::response::IntoResponse;

use crate::auth::Guard;
use crate::error::PortalError;
use crate::model::Menu;
use crate::route::Route;

pub use json::{ApiJson, localize_times};

pub fn routes() -> Vec<Route> {
    use Method as M;
    let (fm, gr, wk, fx, pr, ad) = (
        Guard::Menu(Menu::Followme),
        Guard::Menu(Menu::Greetings),
        Guard::Menu(Menu::Wakeup),
        Guard::Menu(Menu::Fax),
        Guard::Menu(Menu::Profile),
        Guard::Admin,
    );
    let vm = Guard::Menu(Menu::Voicemail);
    let handling = Guard::Menu(Menu::CallHandling);
    let ch = Guard::Menu(Menu::Calls);
    vec![
        Route::new(M::GET, "/api/v1/calls", ch, calls::list),
        Route::new(M::POST, "/api/v1/calls/export", ch, calls::export),
        Route::new(M::GET, "/api/v1/calls/{id}", ch, calls::get),
        Route::new(
            M::GET,
            "/api/v1/calls/{id}/recording",
            ch,
            calls::get_recording,
        ),
        Route::new(M::GET, "/api/v1/admin/calls", ad, calls::admin_list),
        Route::new(
            M::POST,
            "/api/v1/admin/calls/export",
            ad,
            calls::admin_export,
        ),
        Route::new(M::GET, "/api/v1/admin/calls/{id}", ad, calls::admin_get),
        Route::new(
            M::GET,
            "/api/v1/admin/calls/{id}/recording",
            ad,
            calls::admin_get_recording,
        ),
        Route::new(
            M::GET,
            "/api/v1/admin/users/{ext}/replay",
            ad,
            calls::get_replay,
        ),
        Route::new(
            M::PUT,
            "/api/v1/admin/users/{ext}/replay",
            ad,
            calls::put_replay,
        ),
        Route::new(M::GET, "/api/v1/openapi.json", Guard::Public, openapi),
        Route::new(M::POST, "/api/v1/session", Guard::Public, account::log_in),
        Route::new(M::GET, "/api/v1/session", Guard::LoggedIn, account::session),
        Route::new(
            M::DELETE,
            "/api/v1/session",
            Guard::LoggedIn,
            account::log_out,
        ),
        Route::new(M::GET, "/api/v1/profile", pr, account::profile),
        Route::new(M::PUT, "/api/v1/profile/email", pr, account::set_email),
        Route::new(
            M::PUT,
            "/api/v1/profile/time-zone",
            pr,
            account::set_time_zone,
        ),
        // One's own password needs no menu access.
        Route::new(
            M::PUT,
            "/api/v1/profile/password",
            Guard::LoggedIn,
            account::change_password,
        ),
        Route::new(
            M::GET,
            "/api/v1/call-handling",
            handling,
            call_handling::get,
        ),
        Route::new(
            M::PUT,
            "/api/v1/call-handling",
            handling,
            call_handling::put,
        ),
        Route::new(
            M::GET,
            "/api/v1/call-handling/status",
            handling,
            call_handling::status,
        ),
        Route::new(M::GET, "/api/v1/followme", fm, followme::get),
        Route::new(M::PUT, "/api/v1/followme", fm, followme::put),
        Route::new(M::GET, "/api/v1/greetings", gr, greetings::list),
        Route::new(M::PUT, "/api/v1/greetings/{slot}", gr, greetings::upload).streamed(),
        Route::new(M::DELETE, "/api/v1/greetings/{slot}", gr, greetings::delete),
        Route::new(
            M::GET,
            "/api/v1/greetings/{slot}/audio",
            gr,
            crate::downloads::greeting_audio::<PortalError>,
        ),
        Route::new(M::GET, "/api/v1/wakeups", wk, wakeups::list),
        Route::new(M::POST, "/api/v1/wakeups", wk, wakeups::create),
        Route::new(M::GET, "/api/v1/wakeups/prompts", wk, wakeups::prompts),
        Route::new(
            M::POST,
            "/api/v1/wakeups/prompts",
            wk,
            wakeups::upload_prompt,
        )
        .streamed(),
        Route::new(
            M::DELETE,
            "/api/v1/wakeups/prompts/{name}",
            wk,
            wakeups::delete_prompt,
        ),
        Route::new(M::GET, "/api/v1/wakeups/{id}", wk, wakeups::get),
        Route::new(M::PUT, "/api/v1/wakeups/{id}", wk, wakeups::update),
        Route::new(M::DELETE, "/api/v1/wakeups/{id}", wk, wakeups::delete),
        Route::new(
            M::PUT,
            "/api/v1/wakeups/{id}/enabled",
            wk,
            wakeups::set_enabled,
        ),
        Route::new(
            M::GET,
            "/api/v1/wakeups/{id}/attempts",
            wk,
            wakeups::attempts,
        ),
        Route::new(M::GET, "/api/v1/fax/jobs", fx, fax::sent),
        Route::new(M::POST, "/api/v1/fax/jobs", fx, fax::send).streamed(),
        Route::new(M::GET, "/api/v1/fax/jobs/{id}", fx, fax::job),
        Route::new(M::DELETE, "/api/v1/fax/jobs/{id}", fx, fax::delete_sent),
        Route::new(M::POST, "/api/v1/fax/jobs/{id}/cancel", fx, fax::cancel),
        Route::new(M::POST, "/api/v1/fax/jobs/{id}/resend", fx, fax::resend),
        Route::new(M::GET, "/api/v1/fax/jobs/{id}/events", fx, fax::events),
        Route::new(M::GET, "/api/v1/fax/jobs/{id}/progress", fx, fax::progress),
        Route::new(
            M::GET,
            "/api/v1/fax/jobs/{id}/document/{format}",
            fx,
            fax::sent_document,
        ),
        Route::new(M::GET, "/api/v1/fax/inbox", fx, fax::inbox),
        Route::new(M::GET, "/api/v1/fax/inbox/{id}", fx, fax::received),
        Route::new(
            M::DELETE,
            "/api/v1/fax/inbox/{id}",
            fx,
            fax::delete_received,
        ),
        Route::new(
            M::GET,
            "/api/v1/fax/inbox/{id}/document/{format}",
            fx,
            fax::received_document,
        ),
        Route::new(M::GET, "/api/v1/voicemail", vm, voicemail::list),
        Route::new(M::GET, "/api/v1/voicemail/count", vm, voicemail::count),
        Route::new(M::GET, "/api/v1/voicemail/events", vm, voicemail::events),
        Route::new(
            M::POST,
            "/api/v1/voicemail/delete",
            vm,
            voicemail::delete_many,
        ),
        Route::new(
            M::GET,
            "/api/v1/voicemail/messages/{id}",
            vm,
            voicemail::message,
        ),
        Route::new(
            M::DELETE,
            "/api/v1/voicemail/messages/{id}",
            vm,
            voicemail::delete,
        ),
        Route::new(
            M::GET,
            "/api/v1/voicemail/messages/{id}/audio",
            vm,
            crate::voicemail::audio::<PortalError>,
        ),
        Route::new(
            M::PUT,
            "/api/v1/voicemail/messages/{id}/folder",
            vm,
            voicemail::move_to,
        ),
        Route::new(
            M::PUT,
            "/api/v1/voicemail/messages/{id}/read",
            vm,
            voicemail::set_read,
        ),
        Route::new(M::GET, "/api/v1/admin/users", ad, admin::list_users),
        Route::new(M::POST, "/api/v1/admin/users", ad, admin::create_user),
        Route::new(M::GET, "/api/v1/admin/users/{ext}", ad, admin::get_user),
        Route::new(M::PUT, "/api/v1/admin/users/{ext}", ad, admin::update_user),
        Route::new(
            M::DELETE,
            "/api/v1/admin/users/{ext}",
            ad,
            admin::delete_user,
        ),
        Route::new(
            M::GET,
            "/api/v1/admin/next-extension",
            ad,
            admin::next_extension,
        ),
        Route::new(
            M::POST,
            "/api/v1/admin/users/{ext}/password",
            ad,
            admin::reset_password,
        ),
        Route::new(M::POST, "/api/v1/admin/import", ad, admin::import).streamed(),
        Route::new(
            M::GET,
            "/api/v1/admin/access-defaults",
            ad,
            admin::access_defaults,
        ),
        Route::new(
            M::PUT,
            "/api/v1/admin/access-defaults",
            ad,
            admin::set_access_defaults,
        ),
        Route::new(M::GET, "/api/v1/admin/status", ad, admin::status),
    ]
}

async fn openapi() -> impl IntoResponse {
    Json(crate::openapi::document())
}
