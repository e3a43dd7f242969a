//! The portal's integration tests against its in-memory fake backend, one module per area, in
//! one test binary. Shared helpers live in [`common`].

mod common;

mod access;
mod admin;
mod auth;
mod call_handling;
mod calls;
mod contract;
mod fax;
mod fax_actions;
mod hardening;
mod own_password;
mod security;
mod time_zones;
mod user_delete;
mod user_menus;
mod wakeup_prompts;
mod wakeups;
mod walkthrough;
