//! The first-login walk-through (IP Office's "end-user wizard"): one page a step (a new
//! password, the time zone, the voicemail greeting, follow-me), each skippable, with a step
//! indicator and a way back; `/` leads to it until the user finishes or skips the rest, which
//! ends it for good. Each step is the form of its normal page, posted here so that the user
//! stays in the walk-through; parsing and validation are the normal pages' and the backend's.
//! Steps the user has no write access to are left out. The navigation stays, so every normal
//! page remains one click away. Not here: whether a user gets it (the administrator's flag).

use axum::Form;
use axum::extract::{Request, State};
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};

use super::account::{password_form, password_from_form, time_zone_form, time_zone_from_form};
use super::followme::{followme_form, save_from_form};
use super::greetings::{upload_form, upload_from_form};
use crate::auth::ClientIp;
use crate::current_user::CurrentUser;
use crate::error::{PageError, PortalError};
use crate::forms::Pairs;
use crate::html::{Section, csrf_input, esc, home_href, notice, page, redirect};
use crate::model::{GreetingSlot, Menu};
use crate::state::AppState;

/// One step of the walk-through, in the order they come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Password,
    TimeZone,
    Greeting,
    Followme,
}

impl Step {
    const ALL: [Step; 4] = [
        Step::Password,
        Step::TimeZone,
        Step::Greeting,
        Step::Followme,
    ];

    fn key(self) -> &'static str {
        match self {
            Step::Password => "password",
            Step::TimeZone => "time-zone",
            Step::Greeting => "greeting",
            Step::Followme => "followme",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Step::Password => "Your own password",
            Step::TimeZone => "Your time zone",
            Step::Greeting => "Your voicemail greeting",
            Step::Followme => "Follow-me",
        }
    }

    /// Whether `current` may make this step's change (one's own password needs no menu).
    fn open_to(self, current: &CurrentUser) -> bool {
        match self {
            Step::Password => true,
            Step::TimeZone => current.can_write(Menu::Profile),
            Step::Greeting => current.can_write(Menu::Greetings),
            Step::Followme => current.can_write(Menu::Followme),
        }
    }
}

/// The steps `current` goes through.
fn steps(current: &CurrentUser) -> Vec<Step> {
    Step::ALL
        .into_iter()
        .filter(|s| s.open_to(current))
        .collect()
}

/// `step` among `current`'s steps; 404 for an unknown one or one they may not take.
fn step_of(current: &CurrentUser, key: &str) -> Result<Step, PortalError> {
    steps(current)
        .into_iter()
        .find(|s| s.key() == key)
        .ok_or(PortalError::NotFound)
}

/// Where to go after `step`: the next step, or the end.
fn after(current: &CurrentUser, step: Step) -> Option<Step> {
    let all = steps(current);
    let at = all.iter().position(|s| *s == step)?;
    all.get(at + 1).copied()
}

fn before(current: &CurrentUser, step: Step) -> Option<Step> {
    let all = steps(current);
    let at = all.iter().position(|s| *s == step)?;
    at.checked_sub(1).and_then(|i| all.get(i).copied())
}

fn step_href(step: Step) -> String {
    format!("/welcome/{}", step.key())
}

fn intro(step: Step) -> &'static str {
    match step {
        Step::Password => {
            "Replace the password you were given with one only you know (at least 8 characters)."
        }
        Step::TimeZone => {
            "Times in the portal (wakeup calls, faxes, calls) are shown on this zone's clock."
        }
        Step::Greeting => {
            "Callers hear this greeting when you do not answer. Upload a recording here, or record \
             it by phone from your voicemail menu later."
        }
        Step::Followme => {
            "Have calls ring other numbers (your mobile, say) when you do not answer at your desk."
        }
    }
}

/// The step's page around `form`: indicator, the form, a way back, skip and skip-the-rest.
fn frame(current: &CurrentUser, step: Step, top: &str, form: &str) -> Html<String> {
    let all = steps(current);
    let at = all.iter().position(|s| *s == step).unwrap_or_default();
    let indicator: String = all
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let state = match i.cmp(&at) {
                std::cmp::Ordering::Less => " class=\"done\"",
                std::cmp::Ordering::Equal => " class=\"current\" aria-current=\"step\"",
                std::cmp::Ordering::Greater => "",
            };
            format!("<li{state}>{}</li>", esc(s.title()))
        })
        .collect();
    let back = match before(current, step) {
        Some(prev) => format!(
            "<a id=\"walkthrough-back\" href=\"{}\">← Back</a>",
            step_href(prev)
        ),
        None => String::new(),
    };
    let finish_form = |id: &str, label: &str, class: &str| {
        format!(
            "<form method=\"post\" action=\"/welcome/finish\" class=\"inline-form\">{csrf}\
             <button id=\"{id}\" class=\"{class}\" type=\"submit\">{label}</button></form>",
            csrf = csrf_input(current),
        )
    };
    let skip = match after(current, step) {
        Some(next) => format!(
            "<a id=\"walkthrough-skip\" class=\"btn btn-secondary\" href=\"{}\">Skip this step</a>",
            step_href(next)
        ),
        None => finish_form(
            "walkthrough-skip",
            "Skip this step and finish",
            "btn btn-secondary",
        ),
    };
    let body = format!(
        "<p class=\"muted\" id=\"walkthrough-progress\">Step {n} of {total}: {title}</p>\
         <ol class=\"wizard-steps\" id=\"walkthrough-steps\" aria-label=\"Steps\">{indicator}</ol>\
         {top}<section class=\"card\" id=\"walkthrough-{key}\"><h2>{title}</h2><p>{intro}</p>{form}</section>\
         <div class=\"wizard-nav\">{back} {skip} {skip_all}</div>",
        n = at + 1,
        total = all.len(),
        title = esc(step.title()),
        key = step.key(),
        intro = esc(intro(step)),
        skip_all = finish_form(
            "walkthrough-skip-all",
            "Skip the rest: I will set things up later",
            "link-button"
        ),
    );
    page("Welcome", Some(current), Section::None, "", &body)
}

async fn step_form(
    state: &AppState,
    current: &CurrentUser,
    step: Step,
) -> Result<String, PageError> {
    let action = format!("/welcome/{}", step.key());
    Ok(match step {
        Step::Password => password_form(current, &action, &[]),
        Step::TimeZone => time_zone_form(current, &action, &current.user.time_zone, &[]),
        Step::Greeting => upload_form(current, GreetingSlot::Greet, &action),
        Step::Followme => {
            let fm = state.backend.followme(current.extension()).await?;
            followme_form(current, &fm, &[], &action)
        }
    })
}

/// `GET /welcome`: the first step.
pub async fn start(current: CurrentUser) -> Response {
    match steps(&current).first() {
        Some(first) => redirect(&step_href(*first)),
        None => redirect("/welcome/done"),
    }
}

/// `GET /welcome/<step>` (each step's page and its form share one address).
pub async fn show(
    State(state): State<AppState>,
    current: CurrentUser,
    uri: Uri,
) -> Result<Html<String>, PageError> {
    let key = uri.path().rsplit('/').next().unwrap_or_default();
    let step = step_of(&current, key)?;
    let form = step_form(&state, &current, step).await?;
    Ok(frame(&current, step, "", &form))
}

/// After a step was saved: the next step, or the end of the walk-through.
async fn next(state: &AppState, current: &CurrentUser, step: Step) -> Result<Response, PageError> {
    match after(current, step) {
        Some(next) => Ok(redirect(&step_href(next))),
        None => finish_now(state, current).await,
    }
}

async fn finish_now(state: &AppState, current: &CurrentUser) -> Result<Response, PageError> {
    state.backend.end_walkthrough(current.extension()).await?;
    Ok(redirect("/welcome/done"))
}

fn refused(current: &CurrentUser, step: Step, status: StatusCode, form: String) -> Response {
    (status, frame(current, step, "", &form)).into_response()
}

/// `POST /welcome/password`.
pub async fn save_password(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    current: CurrentUser,
    Form(form): Form<Pairs>,
) -> Result<Response, PageError> {
    match password_from_form(&state, &current, ip, &form).await? {
        Ok(()) => next(&state, &current, Step::Password).await,
        Err((status, errors)) => {
            let form = password_form(&current, "/welcome/password", &errors);
            Ok(refused(&current, Step::Password, status, form))
        }
    }
}

/// `POST /welcome/time-zone`.
pub async fn save_time_zone(
    State(state): State<AppState>,
    current: CurrentUser,
    Form(form): Form<Pairs>,
) -> Result<Response, PageError> {
    match time_zone_from_form(&state, &current, &form).await? {
        Ok(()) => next(&state, &current, Step::TimeZone).await,
        Err((zone, errors)) => {
            let form = time_zone_form(&current, "/welcome/time-zone", zone, &errors);
            Ok(refused(
                &current,
                Step::TimeZone,
                StatusCode::UNPROCESSABLE_ENTITY,
                form,
            ))
        }
    }
}

/// `POST /welcome/greeting`: the general greeting, the one callers hear when nobody answers.
pub async fn save_greeting(
    State(state): State<AppState>,
    current: CurrentUser,
    request: Request,
) -> Result<Response, PageError> {
    match upload_from_form(&state, &current, GreetingSlot::Greet, request).await? {
        Ok(()) => next(&state, &current, Step::Greeting).await,
        Err(reason) => {
            let top = notice("error", &format!("The greeting was not changed: {reason}"));
            let form = upload_form(&current, GreetingSlot::Greet, "/welcome/greeting");
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                frame(&current, Step::Greeting, &top, &form),
            )
                .into_response())
        }
    }
}

/// `POST /welcome/followme`.
pub async fn save_followme(
    State(state): State<AppState>,
    current: CurrentUser,
    Form(form): Form<Pairs>,
) -> Result<Response, PageError> {
    match save_from_form(&state, &current, &form).await? {
        Ok(()) => next(&state, &current, Step::Followme).await,
        Err((fm, errors)) => {
            let form = followme_form(&current, &fm, &errors, "/welcome/followme");
            Ok(refused(
                &current,
                Step::Followme,
                StatusCode::UNPROCESSABLE_ENTITY,
                form,
            ))
        }
    }
}

/// `POST /welcome/finish`: skips what is left; the walk-through does not come back.
pub async fn finish(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Response, PageError> {
    finish_now(&state, &current).await
}

/// `GET /welcome/done`: where everything is from now on.
pub async fn done(current: CurrentUser) -> Html<String> {
    let body = format!(
        "<section class=\"card\" id=\"walkthrough-done\"><h2>You are all set</h2>\
         <p>Everything you set up here, and more, is in the menu above whenever you need it.</p>\
         <p><a class=\"btn\" id=\"walkthrough-home\" href=\"{}\">Go to the portal</a></p></section>",
        home_href(&current)
    );
    page("Welcome", Some(&current), Section::None, "", &body)
}
