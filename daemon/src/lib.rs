//! Ringside: a companion daemon for Asterisk.
//!
//! Ringside attaches to Asterisk through ARI (REST + WebSocket events) and FastAGI and
//! gives every extension follow-me ringing, wakeup calls, voicemail greetings with a strict
//! priority, prompt transcoding to what Asterisk plays, and fax from and to documents.
//!
//! This crate is the engine (library) plus the `ringside` binary. It is not a PBX: every call
//! is still switched by Asterisk; Ringside only decides and instructs. The web portal lives in
//! the `ringside-portal` crate; [`portal`] is this daemon's implementation of its backend.
//!
//! Map of the crate:
//! - [`config`]: settings from TOML and `RINGSIDE_*` environment variables.
//! - [`media`]: prompt transcoding and fax document conversion (pure, synchronous).
//! - [`ari`]: typed ARI REST client, event stream with reconnect, and an ARI simulator.
//! - [`agi`]: FastAGI server.
//! - [`flows`]: one module per call flow (follow-me, greeting, wakeup, fax).
//! - [`schedule`]: wakeup schedule math and the scheduler.
//! - [`auth`]: password hashing and random secrets.
//! - [`store`]: sqlx repositories and migrations (SQLite default, PostgreSQL).

pub mod agi;
pub mod ari;
pub mod auth;
pub mod config;
pub mod daemon;
pub mod engine;
pub mod flows;
pub mod greetings;
pub mod media;
pub mod schedule;
pub mod store;
