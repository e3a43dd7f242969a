//! `ringside forward set|off|show EXT`: a user's call forwarding from the shell. Numbers and
//! schedules are checked by the store's rules, reported under the argument that caused them.

use std::path::Path;
use std::process::ExitCode;

use ringside::store::ForwardKind;

use super::dnd::{Schedule, show};
use super::user::block_on;

#[derive(Debug, clap::Args)]
#[group(required = true, multiple = false)]
pub struct Which {
    /// Forward every call to NUMBER.
    #[arg(long, value_name = "NUMBER")]
    always: Option<String>,
    /// Forward calls to NUMBER when the user is busy.
    #[arg(long, value_name = "NUMBER")]
    busy: Option<String>,
    /// Forward calls to NUMBER when not answered in the ring time or not reachable.
    #[arg(long, value_name = "NUMBER")]
    no_answer: Option<String>,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Turn one kind of forwarding on, to an extension or an external number.
    Set {
        extension: String,
        #[command(flatten)]
        which: Which,
        #[command(flatten)]
        when: Schedule,
    },
    /// Turn forwarding off: the kinds named, or all of them (numbers are kept).
    Off {
        extension: String,
        #[arg(long)]
        always: bool,
        #[arg(long)]
        busy: bool,
        #[arg(long)]
        no_answer: bool,
    },
    /// Print the user's forwarding and do-not-disturb.
    Show { extension: String },
}

pub fn run(config: Option<&Path>, command: Command) -> anyhow::Result<ExitCode> {
    block_on(config, |store| async move {
        match command {
            Command::Set {
                extension,
                which,
                when,
            } => {
                let (kind, number) = match which {
                    Which {
                        always: Some(n), ..
                    } => (ForwardKind::Always, n),
                    Which { busy: Some(n), .. } => (ForwardKind::Busy, n),
                    Which {
                        no_answer: Some(n), ..
                    } => (ForwardKind::NoAnswer, n),
                    _ => anyhow::bail!("give one of --always, --busy or --no-answer NUMBER"),
                };
                let rule = when.rule()?;
                let h = store
                    .update_call_handling(&extension, |h| {
                        let f = h.forward_mut(kind);
                        f.enabled = true;
                        f.number = number.trim().to_owned();
                        f.rule = rule;
                        when.apply_zone(h);
                    })
                    .await
                    .map_err(|e| anyhow::anyhow!("--{}: {e}", flag(kind)))?;
                let f = h.forward(kind);
                println!(
                    "forward {} for {extension}: on to {}",
                    kind.as_str(),
                    f.number
                );
            }
            Command::Off {
                extension,
                always,
                busy,
                no_answer,
            } => {
                let all = !(always || busy || no_answer);
                let kinds: Vec<ForwardKind> = [
                    (ForwardKind::Always, always),
                    (ForwardKind::Busy, busy),
                    (ForwardKind::NoAnswer, no_answer),
                ]
                .into_iter()
                .filter(|(_, named)| all || *named)
                .map(|(k, _)| k)
                .collect();
                store
                    .update_call_handling(&extension, |h| {
                        for kind in &kinds {
                            h.forward_mut(*kind).enabled = false;
                        }
                    })
                    .await?;
                for kind in kinds {
                    println!("forward {} for {extension}: off", kind.as_str());
                }
            }
            Command::Show { extension } => show(&store, &extension).await?,
        }
        Ok(ExitCode::SUCCESS)
    })
}

fn flag(kind: ForwardKind) -> &'static str {
    match kind {
        ForwardKind::Always => "always",
        ForwardKind::Busy => "busy",
        ForwardKind::NoAnswer => "no-answer",
    }
}
