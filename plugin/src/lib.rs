//! `ringside-portal`: the user and admin web portal of Ringside (HTTP pages, JSON API, auth).
//!
//! It knows nothing of Asterisk or SQL: it defines the portal's API types ([`model`]) and the
//! [`Backend`] trait; the daemon implements the trait and serves [`router`]:
//!
//! ```ignore
//! let app = ringside_portal::router(backend, PortalSettings::default());
//! axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>()).await?;
//! ```

mod api;
mod auth;
mod backend;
mod byte_range;
mod calls;
#[cfg(feature = "contract")]
pub mod contract;
mod csrf;
mod csv_import;
mod current_user;
mod downloads;
mod error;
mod forms;
mod html;
pub mod model;
pub mod openapi;
mod ownership;
mod pages;
mod params;
mod route;
mod router;
mod security;
mod settings;
mod state;
mod upload;
mod user_admin;
mod voicemail;
pub mod zone;

pub use backend::{Backend, BackendError, BackendResult, FieldError};
pub use router::router;
pub use settings::PortalSettings;
