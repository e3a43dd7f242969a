//! `ringside followme set|show|off`: a user's follow-me settings from the shell.
//!
//! `--step NUMBERS:SECONDS` is parsed here; the rules (ring time ranges, valid numbers) are the
//! store's [`check_followme`], whose problems are reported under the argument that caused them.

use std::path::Path;
use std::process::ExitCode;

use ringside::store::{
    CallerIdMode, FollowMeProblem, FollowMeSettings, FollowMeStep, InvalidFollowMe, Store,
    check_followme,
};

use super::user::block_on;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum CallerId {
    /// External legs show the original caller's number.
    Caller,
    /// External legs show the user's extension.
    Extension,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Turn follow-me on with these settings (replacing earlier ones).
    Set {
        extension: String,
        /// Seconds to ring the user's own device first (0 skips it).
        #[arg(long, default_value_t = 0)]
        initial_ring: u32,
        /// NUMBERS:SECONDS, numbers comma-separated and rung together; repeat for each step.
        #[arg(long = "step", value_name = "NUMBERS:SECONDS", value_parser = parse_step)]
        steps: Vec<FollowMeStep>,
        /// The callee must press 1 to take the call.
        #[arg(long)]
        confirm: bool,
        /// The caller hears music on hold instead of ringing.
        #[arg(long)]
        moh: bool,
        #[arg(long, value_enum, default_value = "caller")]
        caller_id: CallerId,
    },
    /// Print the user's follow-me settings.
    Show { extension: String },
    /// Turn follow-me off, keeping the steps for later.
    Off { extension: String },
}

pub fn run(config: Option<&Path>, command: Command) -> anyhow::Result<ExitCode> {
    block_on(config, |store| async move {
        match command {
            Command::Set {
                extension,
                initial_ring,
                steps,
                confirm,
                moh,
                caller_id,
            } => {
                let settings = FollowMeSettings {
                    extension,
                    enabled: true,
                    initial_ring_secs: initial_ring,
                    steps,
                    confirm,
                    moh,
                    caller_id: match caller_id {
                        CallerId::Caller => CallerIdMode::Caller,
                        CallerId::Extension => CallerIdMode::Extension,
                    },
                };
                if let Err(invalid) = check_followme(&settings) {
                    anyhow::bail!(describe_problems(&invalid));
                }
                require_user(&store, &settings.extension).await?;
                store.set_followme(&settings).await?;
                print!("{}", describe(&settings));
            }
            Command::Show { extension } => {
                require_user(&store, &extension).await?;
                match store.followme(&extension).await? {
                    Some(settings) => print!("{}", describe(&settings)),
                    None => println!("follow-me for {extension}: off (never set)"),
                }
            }
            Command::Off { extension } => {
                require_user(&store, &extension).await?;
                let settings = match store.followme(&extension).await? {
                    Some(s) => FollowMeSettings {
                        enabled: false,
                        ..s
                    },
                    None => FollowMeSettings::off(extension.clone()),
                };
                store.set_followme(&settings).await?;
                println!("follow-me for {extension}: off");
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}

async fn require_user(store: &Store, extension: &str) -> anyhow::Result<()> {
    if store.user(extension).await?.is_none() {
        anyhow::bail!("user {extension:?} not found (create it with `ringside user add`)");
    }
    Ok(())
}

/// Parses `2001,2002:20` into a step; the numbers' content is checked later by the rules.
fn parse_step(arg: &str) -> Result<FollowMeStep, String> {
    let Some((numbers, secs)) = arg.rsplit_once(':') else {
        return Err("expected NUMBERS:SECONDS, e.g. 2001,2002:20".into());
    };
    let ring_secs = secs
        .trim()
        .parse::<u32>()
        .map_err(|_| format!("ring time {secs:?} is not a whole number of seconds"))?;
    let numbers = if numbers.trim().is_empty() {
        Vec::new()
    } else {
        numbers.split(',').map(|n| n.trim().to_owned()).collect()
    };
    Ok(FollowMeStep { numbers, ring_secs })
}

/// One line per problem, each starting with the argument to fix.
fn describe_problems(invalid: &InvalidFollowMe) -> String {
    let lines: Vec<String> = invalid
        .problems
        .iter()
        .map(|p| {
            let arg = match p {
                FollowMeProblem::InitialRing(_) => "--initial-ring".to_owned(),
                FollowMeProblem::NoSteps => "--step".to_owned(),
                other => format!("--step #{}", other.step().unwrap_or_default()),
            };
            format!("{arg}: {p}")
        })
        .collect();
    format!("invalid follow-me settings:\n  {}", lines.join("\n  "))
}

fn describe(s: &FollowMeSettings) -> String {
    let yes = |b: bool| if b { "yes" } else { "no" };
    let mut out = format!(
        "follow-me for {}: {}\n",
        s.extension,
        if s.enabled { "on" } else { "off" }
    );
    out.push_str(&format!("initial ring: {} s\n", s.initial_ring_secs));
    for (i, step) in s.steps.iter().enumerate() {
        out.push_str(&format!(
            "step {}: {} for {} s\n",
            i + 1,
            step.numbers.join(", "),
            step.ring_secs
        ));
    }
    out.push_str(&format!("confirm: {}\n", yes(s.confirm)));
    out.push_str(&format!("music on hold: {}\n", yes(s.moh)));
    let cid = match s.caller_id {
        CallerIdMode::Caller => "caller",
        CallerIdMode::Extension => "extension",
    };
    out.push_str(&format!("caller id: {cid}\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_with_two_numbers_and_ring_time_parses() {
        assert_eq!(
            parse_step("2001,2002:20"),
            Ok(FollowMeStep {
                numbers: vec!["2001".into(), "2002".into()],
                ring_secs: 20
            })
        );
    }

    #[test]
    fn step_keeps_leading_zeros() {
        let step = parse_step("0049301234:15").expect("valid");
        assert_eq!(step.numbers, vec!["0049301234".to_owned()]);
    }

    #[test]
    fn step_without_ring_time_is_rejected() {
        let err = parse_step("2001").expect_err("no colon");
        assert!(err.contains("NUMBERS:SECONDS"), "{err}");
    }

    #[test]
    fn step_with_non_numeric_ring_time_names_it() {
        let err = parse_step("2001:abc").expect_err("bad secs");
        assert!(err.contains("\"abc\""), "{err}");
    }

    #[test]
    fn problems_are_reported_under_their_argument() {
        let text = describe_problems(&InvalidFollowMe {
            problems: vec![
                FollowMeProblem::InitialRing(301),
                FollowMeProblem::BadNumber {
                    step: 2,
                    number: "abc".into(),
                },
            ],
        });
        assert!(
            text.contains("--initial-ring: initial ring time 301"),
            "{text}"
        );
        assert!(text.contains("--step #2: step 2: number \"abc\""), "{text}");
    }
}
