//! Command-line interface. Each subcommand lives in its own module with its `run` and what it parses: `Args` (flags)
//! or a `Command` enum (its own subcommands).

mod admin;
mod ari_sim;
mod backup;
mod calls;
mod check;
mod convert;
mod dnd;
mod fax;
mod fax_convert;
mod followme;
mod forward;
mod greeting;
mod restore;
mod serve;
mod user;
mod voicemail;
mod wakeup;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use ringside::config::Config;

#[derive(Debug, Parser)]
#[command(name = "ringside", version, about = "Companion daemon for Asterisk")]
pub struct Cli {
    /// TOML config file; every key can also come from a RINGSIDE_* variable.
    #[arg(long, global = true, env = "RINGSIDE_CONFIG")]
    pub config: Option<PathBuf>,
    /// More log output (-v debug, -vv trace); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the daemon: ARI engine, FastAGI server, scheduler, fax worker and portal.
    Serve(serve::Args),
    /// Convert audio to what Asterisk plays (8 kHz 16-bit mono WAV, or ulaw/alaw/sln/gsm).
    Convert(convert::Args),
    /// Convert a PDF/TIFF to a fax TIFF, or a fax TIFF to PDF (direction from OUT's extension).
    FaxConvert(fax_convert::Args),
    /// Manage users (extensions).
    #[command(subcommand)]
    User(user::Command),
    /// Show and change follow-me settings.
    #[command(subcommand)]
    Followme(followme::Command),
    /// Do-not-disturb: on, off, show.
    #[command(subcommand)]
    Dnd(dnd::Command),
    /// Call forwarding (always, busy, no answer): set, off, show.
    #[command(subcommand)]
    Forward(forward::Command),
    /// Manage voicemail greetings.
    Greeting(greeting::Args),
    /// Manage wakeup calls.
    #[command(subcommand)]
    Wakeup(wakeup::Command),
    /// List, export, mark read, move and delete voicemail messages.
    Voicemail(voicemail::Args),
    /// Send faxes and see fax jobs.
    #[command(subcommand)]
    Fax(fax::Command),
    /// List and export an extension's call history.
    Calls(calls::Args),
    /// Portal administrators.
    #[command(subcommand)]
    Admin(admin::Command),
    /// Check the setup (database, ARI, dialplan, directories, ports) and print the fix for
    /// each failure; exits non-zero when anything failed.
    Check(check::Args),
    /// Write the SQLite database and the data dir's files to one archive.
    Backup(backup::Args),
    /// Put a backup archive back into an empty data dir (or replace one with --force).
    Restore(restore::Args),
    /// Run the built-in ARI simulator (for demos and tests without Asterisk).
    #[command(hide = true)]
    AriSim(ari_sim::Args),
}

/// `serve` logs at info by default; one-shot commands only warn, so their own output (and
/// nothing from the codecs' chatter) is what the operator sees.
pub fn init_tracing(verbose: u8, serving: bool, format: ringside::config::LogFormat) {
    let default = match verbose {
        0 if serving => "info",
        0 => "warn",
        1 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        ringside::config::LogFormat::Text => logs.init(),
        ringside::config::LogFormat::Json => logs.json().init(),
    }
}

/// The log format the settings ask for; settings that cannot be read log as text (the
/// command reports why when it loads them).
pub fn log_format(cli_path: Option<&std::path::Path>) -> ringside::config::LogFormat {
    Config::load(cli_path)
        .map(|config| config.log.format)
        .unwrap_or_default()
}

pub fn load_config(cli_path: Option<&std::path::Path>) -> anyhow::Result<Config> {
    Ok(Config::load(cli_path)?)
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config = cli.config.as_deref();
    match cli.command {
        Command::Serve(args) => serve::run(config, args),
        Command::Convert(args) => convert::run(args),
        Command::FaxConvert(args) => fax_convert::run(args),
        Command::User(args) => user::run(config, args),
        Command::Followme(args) => followme::run(config, args),
        Command::Dnd(args) => dnd::run(config, args),
        Command::Forward(args) => forward::run(config, args),
        Command::Greeting(args) => greeting::run(config, args),
        Command::Wakeup(args) => wakeup::run(config, args),
        Command::Voicemail(args) => voicemail::run(config, args),
        Command::Fax(args) => fax::run(config, args),
        Command::Calls(args) => calls::run(config, args),
        Command::Admin(args) => admin::run(config, args),
        Command::Check(args) => check::run(config, args),
        Command::Backup(args) => backup::run(config, args),
        Command::Restore(args) => restore::run(config, args),
        Command::AriSim(args) => ari_sim::run(args),
    }
}
