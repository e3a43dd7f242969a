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
//! Map of the crate (ARCHITECTURE.md at the repository root has the whole picture):
//! - [`config`]: settings from TOML and `RINGSIDE_*` environment variables.
//! - [`daemon`]: the composition root: opens the store, connects Asterisk, starts every service.
//! - [`ari`]: typed ARI REST client, event stream with reconnect, and an ARI simulator.
//! - [`ami`]: the manager-interface link (voicemail message actions) and an AMI simulator.
//! - [`agi`]: FastAGI server.
//! - [`flows`]: one module per call flow (follow-me, greeting, wakeup, fax) and the Stasis
//!   dispatcher that routes calls and events to them.
//! - [`voicemail`]: the greeting rule, the voicemail spool's greeting files, and the inbox of
//!   recorded messages (read from the spool, changed through [`ami`]).
//! - [`calls`]: call history's I/O: CDR ingestion, exports, recordings.
//! - [`cdr`]: call detail records and the calls they make up (pure).
//! - [`schedule`]: wakeup schedule maths (pure); the scheduler loop is in `flows::wakeup`.
//! - [`media`]: prompt transcoding and fax document conversion (pure, synchronous).
//! - [`store`]: sqlx repositories and migrations (SQLite default, PostgreSQL), password hashing.
//! - [`portal`]: the daemon's implementation of the portal's backend.
//! - [`telemetry`]: the Prometheus metric names and the calls that record them.
//! - [`ops`]: metrics listener, health and readiness, service-manager readiness, SIGHUP.
//! - [`atomic_file`]: the one writer of files others read (temp file, fsync, rename).
//! - [`user_prompts`]: users' own wakeup prompts, kept in Ringside's folder of Asterisk's sounds.

pub mod agi;
pub mod ami;
pub mod ari;
pub mod atomic_file;
pub mod calls;
pub mod cdr;
pub mod config;
pub mod daemon;
pub mod flows;
pub mod media;
pub mod ops;
pub mod portal;
pub mod schedule;
pub mod store;
pub mod telemetry;
pub mod user_prompts;
pub mod voicemail;
