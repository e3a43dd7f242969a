//! `ringside voicemail`: list, export, mark read, move and delete voicemail messages from the
//! shell. Reads come from app_voicemail's spool; changes go through the manager link
//! (`[ami]`), exactly as the portal does them.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use ringside::ami::{AmiClient, Timers};
use ringside::atomic_file::{AtomicFile, Durability};
use ringside::config::Config;
use ringside::voicemail::inbox::{self, Inbox};
use ringside::voicemail::spool::{Folder, Spool};
use tokio_util::sync::CancellationToken;

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  ringside voicemail list 1001 --folder Old\n  \
                  ringside voicemail export 1001 1796510422-00000000 message.wav\n  \
                  ringside voicemail mark-read 1001 1796510422-00000000\n  \
                  ringside voicemail move 1001 1796510422-00000000 Work\n  \
                  ringside voicemail rm 1001 1796510422-00000000"
)]
pub struct Args {
    #[command(subcommand)]
    pub command: VoicemailCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum VoicemailCommand {
    /// List a folder's messages, newest first, with every folder's count.
    List {
        mailbox: String,
        /// INBOX, Old, Work, Family, Friends or Urgent.
        #[arg(long, default_value = "INBOX")]
        folder: String,
        #[arg(long, default_value_t = 1)]
        page: usize,
        #[arg(long, default_value_t = 50)]
        per_page: usize,
    },
    /// Write a message's recording as a 16-bit PCM WAV file.
    Export {
        mailbox: String,
        msg_id: String,
        out: PathBuf,
    },
    /// Mark a message heard (moves it from INBOX to Old, as a phone does).
    MarkRead { mailbox: String, msg_id: String },
    /// Mark a message new again (moves it from Old to INBOX).
    MarkUnread { mailbox: String, msg_id: String },
    /// Move a message to another folder.
    Move {
        mailbox: String,
        msg_id: String,
        folder: String,
    },
    /// Delete a message.
    Rm { mailbox: String, msg_id: String },
}

fn parse_folder(text: &str) -> anyhow::Result<Folder> {
    Folder::parse(text).with_context(|| {
        format!("unknown folder {text:?}: use INBOX, Old, Work, Family, Friends or Urgent")
    })
}

/// The manager link for one command: connects, waits a moment for the login, and says why
/// when it cannot.
async fn manager(config: &Config, stop: &CancellationToken) -> AmiClient {
    if !config.ami.is_configured() {
        return AmiClient::unavailable();
    }
    let client = AmiClient::spawn(config.ami.clone(), Timers::default(), stop.clone());
    client.wait_connected(Duration::from_secs(5)).await;
    client
}

pub fn run(config: Option<&Path>, args: Args) -> anyhow::Result<ExitCode> {
    let config = super::load_config(config)?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let stop = CancellationToken::new();
        let result = run_command(&config, args.command, &stop).await;
        stop.cancel();
        result
    })
}

async fn run_command(
    config: &Config,
    command: VoicemailCommand,
    stop: &CancellationToken,
) -> anyhow::Result<ExitCode> {
    let spool = Spool::new(&config.voicemail.spool_dir, &config.voicemail.context);
    let offline = || Inbox::new(spool.clone(), AmiClient::unavailable());
    match command {
        VoicemailCommand::List {
            mailbox,
            folder,
            page,
            per_page,
        } => {
            let mb = inbox::mailbox(&mailbox)?;
            let folder = parse_folder(&folder)?;
            let listing = offline().list(&mb, folder, page, per_page)?;
            let counts: Vec<String> = listing
                .counts
                .iter()
                .map(|(f, n)| format!("{f} {n}"))
                .collect();
            println!(
                "mailbox {mb}@{}: {}",
                config.voicemail.context,
                counts.join(", ")
            );
            if listing.messages.is_empty() {
                println!("{folder}: no messages on page {}", listing.page);
            }
            for m in &listing.messages {
                let when = m
                    .info
                    .origtime
                    .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
                    .map_or_else(
                        || "?".to_owned(),
                        |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
                    );
                let caller = match (m.info.caller_name.as_str(), m.info.caller_number.as_str()) {
                    ("", "") => "unknown".to_owned(),
                    ("", number) => number.to_owned(),
                    (name, "") => name.to_owned(),
                    (name, number) => format!("{name} <{number}>"),
                };
                let duration = m
                    .info
                    .duration_secs
                    .map_or_else(|| "?".to_owned(), |d| format!("{d} s"));
                println!(
                    "{:<24} {when}  {:>6}  {caller}{}",
                    m.info.msg_id,
                    duration,
                    if m.info.urgent { "  [urgent]" } else { "" }
                );
            }
            if listing.total > listing.per_page {
                println!(
                    "page {} of {} ({} messages)",
                    listing.page,
                    listing.total.div_ceil(listing.per_page),
                    listing.total
                );
            }
            for u in &listing.unreadable {
                eprintln!("warning: {}/{} skipped: {}", u.folder, u.file, u.reason);
            }
        }
        VoicemailCommand::Export {
            mailbox,
            msg_id,
            out,
        } => {
            let mb = inbox::mailbox(&mailbox)?;
            let (_, mut recording) = offline().open_recording(&mb, &msg_id)?;
            // Never a half-written OUT: the file appears only once complete.
            let mut file = AtomicFile::create(&out)
                .with_context(|| format!("cannot write {}", out.display()))?;
            let mut failure = None;
            recording.read_range(0..u64::MAX, &mut |bytes| match std::io::Write::write_all(
                &mut file, bytes,
            ) {
                Ok(()) => true,
                Err(e) => {
                    failure = Some(e);
                    false
                }
            })?;
            if let Some(e) = failure {
                return Err(e).with_context(|| format!("cannot write {}", out.display()));
            }
            file.commit(Durability::AtomicOnly)
                .with_context(|| format!("cannot create {}", out.display()))?;
            println!(
                "{msg_id} written to {} ({:.1} s, from {})",
                out.display(),
                recording.duration_ms() as f64 / 1000.0,
                recording
                    .path()
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            );
        }
        VoicemailCommand::MarkRead { mailbox, msg_id } => {
            let mb = inbox::mailbox(&mailbox)?;
            let inbox = Inbox::new(spool, manager(config, stop).await);
            if inbox.mark_read(&mb, &msg_id).await? {
                println!("{msg_id} marked read (moved to Old)");
            } else {
                println!("{msg_id} was already read");
            }
        }
        VoicemailCommand::MarkUnread { mailbox, msg_id } => {
            let mb = inbox::mailbox(&mailbox)?;
            let inbox = Inbox::new(spool, manager(config, stop).await);
            if inbox.mark_unread(&mb, &msg_id).await? {
                println!("{msg_id} marked new (moved to INBOX)");
            } else {
                println!("{msg_id} was already new");
            }
        }
        VoicemailCommand::Move {
            mailbox,
            msg_id,
            folder,
        } => {
            let mb = inbox::mailbox(&mailbox)?;
            let to = parse_folder(&folder)?;
            let inbox = Inbox::new(spool, manager(config, stop).await);
            let from = inbox.move_to(&mb, &msg_id, to).await?;
            println!("{msg_id} moved from {from} to {to}");
        }
        VoicemailCommand::Rm { mailbox, msg_id } => {
            let mb = inbox::mailbox(&mailbox)?;
            let inbox = Inbox::new(spool, manager(config, stop).await);
            let from = inbox.remove(&mb, &msg_id).await?;
            println!("{msg_id} deleted from {from}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
