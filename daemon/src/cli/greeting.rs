//! `ringside greeting`: set, list and remove a mailbox's voicemail greetings from the shell.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use ringside::voicemail::greeting_rule::{Announcement, GreetingKind, Reason};
use ringside::voicemail::greetings::{GreetingFiles, GreetingInfo, Mailbox, Transcoder};

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  ringside greeting set 1001 busy file.mp3\n  \
                        ringside greeting list 1001\n  ringside greeting rm 1001 temp"
)]
pub struct Args {
    #[command(subcommand)]
    pub command: GreetingCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum GreetingCommand {
    /// Convert an audio file and install it as a greeting (temp, busy, unavail, greet).
    Set {
        mailbox: String,
        greeting: String,
        file: PathBuf,
    },
    /// Show the greetings that exist and what a caller hears for each reason.
    List { mailbox: String },
    /// Delete a greeting (every format of it).
    Rm { mailbox: String, greeting: String },
}

pub fn run(config: Option<&Path>, args: Args) -> anyhow::Result<ExitCode> {
    let config = super::load_config(config)?;
    let files = GreetingFiles::from_config(&config.voicemail)?;
    match args.command {
        GreetingCommand::Set {
            mailbox,
            greeting,
            file,
        } => {
            let mailbox = Mailbox::parse(&mailbox)?;
            let kind = parse_kind(&greeting)?;
            let info = files.upload(&mailbox, kind, &file, &Transcoder::default())?;
            println!(
                "{kind} greeting of {mailbox} set from {} ({}): {}",
                file.display(),
                duration_text(&info),
                info.path.display()
            );
        }
        GreetingCommand::List { mailbox } => {
            let mailbox = Mailbox::parse(&mailbox)?;
            let existing = files.list(&mailbox)?;
            if existing.is_empty() {
                println!("{mailbox} has no recorded greetings");
            }
            for info in &existing {
                println!(
                    "{:<8} {:>8}  {}",
                    info.kind.file_stem(),
                    duration_text(info),
                    info.path.display()
                );
            }
            println!("callers hear:");
            for (reason, heard) in files.caller_hears(&mailbox)? {
                println!(
                    "  {} → {}",
                    reason.as_str(),
                    describe(heard, &existing, &mailbox, reason)
                );
            }
        }
        GreetingCommand::Rm { mailbox, greeting } => {
            let mailbox = Mailbox::parse(&mailbox)?;
            let kind = parse_kind(&greeting)?;
            if !files.remove(&mailbox, kind)? {
                anyhow::bail!("{mailbox} has no {kind} greeting");
            }
            println!("{kind} greeting of {mailbox} removed");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn parse_kind(text: &str) -> anyhow::Result<GreetingKind> {
    GreetingKind::parse(text)
        .with_context(|| format!("unknown greeting {text:?}: use temp, busy, unavail or greet"))
}

fn duration_text(info: &GreetingInfo) -> String {
    info.duration
        .map_or_else(|| "?".to_owned(), |d| format!("{:.1} s", d.as_secs_f64()))
}

fn describe(
    heard: Announcement,
    existing: &[GreetingInfo],
    mailbox: &Mailbox,
    reason: Reason,
) -> String {
    match heard {
        Announcement::Recorded(kind) => existing
            .iter()
            .find(|info| info.kind == kind)
            .and_then(|info| info.path.file_name())
            .map_or_else(
                || kind.to_string(),
                |name| name.to_string_lossy().into_owned(),
            ),
        Announcement::SystemDefault(_) => {
            let status = match reason {
                Reason::Busy => "is on the phone",
                Reason::Unavailable | Reason::NoAnswer => "is unavailable",
            };
            format!("Asterisk default (\"the person at extension {mailbox} {status}\")")
        }
    }
}
