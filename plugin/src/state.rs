//! The state every handler and middleware shares: the backend, the settings, the login
//! limiter and the bound on concurrent password checks. It lives apart from the route table so that guards and middleware can read it
//! without depending on the router that mounts them.

use std::sync::Arc;

use crate::backend::Backend;
use crate::security::password_gate::PasswordGate;
use crate::security::rate_limit::LoginLimiter;
use crate::settings::PortalSettings;

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub backend: Arc<dyn Backend>,
    pub settings: Arc<PortalSettings>,
    pub limiter: Arc<LoginLimiter>,
    pub password_gate: Arc<PasswordGate>,
}
