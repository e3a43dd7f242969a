//! The daemon's integration tests, one module per area, in one test binary (one link of the
//! crate instead of one per file). Shared helpers: [`common`] (databases, the CLI, tools the
//! tests compare against), [`wakeup_support`], [`cdp`] (headless Chromium).
//!
//! Run one area with `cargo test -p ringside --test it MODULE::`.

mod cdp;
mod common;
mod wakeup_support;

mod agi_server;
mod ami_client;
mod architecture;
mod ari_connection;
mod ari_engine;
mod ari_rest_transport;
mod ari_serve;
mod ari_simulator;
mod call_handling_flow;
mod calls_ingest;
mod calls_store;
mod cli_admin;
mod cli_backup;
mod cli_call_handling;
mod cli_calls;
mod cli_check;
mod cli_followme;
mod cli_user;
mod fax_convert;
mod fax_flow_ari;
mod fax_flow_cli;
mod fax_flow_receive;
mod fax_flow_store;
mod fax_flow_worker;
mod fax_progress;
mod fax_threads;
mod fax_tools;
mod feature_codes;
mod followme_flow;
mod greeting_choice;
mod greeting_cli;
mod greeting_files;
mod migrations;
mod openapi_document;
mod ops_health;
mod ops_metrics;
mod ops_package;
mod ops_service;
mod portal_browser;
mod portal_calls;
mod portal_contract;
mod portal_fax;
mod portal_security;
mod portal_serve;
mod portal_voicemail;
mod portal_wakeup_prompts;
mod real_asterisk;
mod schedule_scheduler;
mod store_call_handling;
mod store_harness;
mod store_import;
mod store_sessions;
mod store_users;
mod traces;
mod transcode_inputs;
mod transcode_mp3_chunks;
mod transcode_quality;
mod voicemail_inbox;
mod wakeup_cli;
mod wakeup_flow;
mod wakeup_store;
mod wakeup_takeover;
