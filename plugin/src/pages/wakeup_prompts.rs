//! Uploading and deleting the user's own wakeup prompts from the wakeup calls page (which
//! shows them, `wakeups::prompts_card`); the backend converts uploads like greetings. Not
//! here: picking a prompt for a wakeup (the wakeup form's picker lists these among the
//! system's prompts).

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::wakeups::list_page;
use crate::backend::BackendError;
use crate::current_user::CurrentUser;
use crate::error::{PageError, PortalError};
use crate::html::{notice, redirect};
use crate::state::AppState;
use crate::upload::{audio_rule, read_multipart};

/// `POST /wakeups/prompts`: a multipart form with `name` and the `audio` file.
pub async fn upload(
    State(state): State<AppState>,
    current: CurrentUser,
    request: Request,
) -> Result<Response, PageError> {
    let form = read_multipart(request, audio_rule(state.settings.greeting_max_bytes)).await?;
    let Some(file) = form.file else {
        return Err(PortalError::BadRequest("choose an audio file to upload".into()).into());
    };
    let typed = form.fields.get("name").map_or("", String::as_str);
    let result = state
        .backend
        .upload_wakeup_prompt(current.extension(), typed, &file.file_name, file.bytes)
        .await;
    let (top, errors) = match result {
        Ok(_) => return Ok(redirect("/wakeups?done=prompt_uploaded")),
        Err(BackendError::Validation(errors)) => (String::new(), errors),
        Err(BackendError::Rejected(reason)) => (
            notice("error", &format!("The prompt was not uploaded: {reason}")),
            Vec::new(),
        ),
        Err(e) => return Err(e.into()),
    };
    let html = list_page(&state, &current, &top, &errors).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
}

/// `POST /wakeups/prompts/{name}/delete`: only the user's own prompt; any other name is 404.
pub async fn delete(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(name): Path<String>,
) -> Result<Response, PageError> {
    state
        .backend
        .delete_wakeup_prompt(current.extension(), &name)
        .await?;
    Ok(redirect("/wakeups?done=prompt_deleted"))
}
