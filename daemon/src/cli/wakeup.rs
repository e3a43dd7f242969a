//! `ringside wakeup`: add, list, remove, enable/disable wakeup calls and show their history,
//! on the same database as a running daemon (which picks changes up within its idle poll).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use chrono::Utc;
use ringside::config::Config;
use ringside::schedule::Zone;
use ringside::schedule::prompt::{DEFAULT_PROMPT, SoundDirs};
use ringside::schedule::rule::{self, Rule};
use ringside::store::Store;
use ringside::store::wakeups::{Wakeup, WakeupSpec};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Schedule a wakeup call for an extension.
    Add(AddArgs),
    /// List an extension's wakeup calls.
    List {
        /// The owner's extension.
        extension: String,
    },
    /// Delete a wakeup call (with its history).
    Rm { id: i64 },
    /// Turn a wakeup call on again.
    Enable { id: i64 },
    /// Turn a wakeup call off (keeps it).
    Disable { id: i64 },
    /// Show the attempts of a wakeup call, newest first.
    History {
        id: i64,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
}

#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// The owner's extension.
    extension: String,
    /// "YYYY-MM-DD HH:MM" for a one-shot wakeup, or HH:MM with --days.
    #[arg(long)]
    at: String,
    /// Weekly on these days: mon,tue,wed,thu,fri,sat,sun.
    #[arg(long)]
    days: Option<String>,
    /// IANA time zone (default: the owner's own zone, else the portal's default zone, else
    /// this system's).
    #[arg(long)]
    tz: Option<String>,
    #[arg(long, default_value = "Wakeup")]
    name: String,
    /// Extensions to call, comma-separated (default: the owner).
    #[arg(long, value_delimiter = ',')]
    members: Vec<String>,
    /// Minutes until the call comes back after the callee presses 1.
    #[arg(long = "snooze", default_value_t = 5)]
    snooze_mins: u32,
    /// Extra attempts when busy, unanswered or failed (0–10).
    #[arg(long, default_value_t = 3, allow_negative_numbers = true)]
    retries: i64,
    /// Minutes between attempts.
    #[arg(long = "retry-interval", default_value_t = 1)]
    retry_interval_mins: u32,
    /// Seconds to ring each member.
    #[arg(long = "ring-time", default_value_t = 30)]
    ring_secs: u32,
    /// An Asterisk sound name, or an audio file to convert into the prompt directory.
    #[arg(long, default_value = DEFAULT_PROMPT)]
    prompt: String,
    /// Create it switched off.
    #[arg(long)]
    disabled: bool,
}

pub fn run(config: Option<&Path>, command: Command) -> anyhow::Result<ExitCode> {
    let config = super::load_config(config)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(run_async(config, command))
}

async fn run_async(config: Config, command: Command) -> anyhow::Result<ExitCode> {
    let store = Store::connect(&config.database_url())
        .await
        .context("cannot open the database")?;
    let now = Utc::now();
    match command {
        Command::Add(add) => {
            let catalog = SoundDirs::configured(&config.data_dir, &config.wakeup.sounds_dir);
            let prompt = prompt_name(&config, &add.prompt)?;
            let tz = match &add.tz {
                Some(name) => rule::parse_tz(name)?,
                None => owner_zone(&store, &config, &add.extension).await?,
            };
            let members = if add.members.is_empty() {
                vec![add.extension.clone()]
            } else {
                add.members
                    .iter()
                    .map(|m| m.trim().to_owned())
                    .filter(|m| !m.is_empty())
                    .collect()
            };
            let spec = WakeupSpec {
                owner: add.extension,
                name: add.name,
                enabled: !add.disabled,
                prompt,
                rule: Rule::from_parts(&add.at, add.days.as_deref())?,
                tz,
                members,
                ring_secs: add.ring_secs,
                retries: add.retries,
                retry_interval_mins: add.retry_interval_mins,
                snooze_mins: add.snooze_mins,
            };
            let w = store.create_wakeup(&spec, &catalog, now).await?;
            println!("created wakeup {}: {}", w.id, describe(&w));
        }
        Command::List { extension } => {
            let list = store.list_wakeups(&extension).await?;
            if list.is_empty() {
                println!("no wakeup calls for {extension}");
            }
            for w in list {
                println!("{:>6}  {}", w.id, describe(&w));
            }
        }
        Command::Rm { id } => {
            store.delete_wakeup(None, id).await?;
            println!("deleted wakeup {id}");
        }
        Command::Enable { id } | Command::Disable { id } => {
            let on = matches!(command, Command::Enable { .. });
            let w = store.set_wakeup_enabled(None, id, on, now).await?;
            println!("wakeup {id}: {}", describe(&w));
        }
        Command::History { id, limit } => {
            let w = store.wakeup(None, id).await?;
            for a in store.wakeup_history(None, id, limit).await? {
                let local = a.started_at.with_timezone(&w.spec.tz);
                let outcome = a.outcome.map_or("in progress", |o| o.as_str());
                println!(
                    "{}  {:>6}  {:<12} {}",
                    local.format("%Y-%m-%d %H:%M:%S %Z"),
                    a.member,
                    outcome,
                    a.detail
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One line about a wakeup: name, rule, zone, members, state and next fire in local time.
fn describe(w: &Wakeup) -> String {
    let s = &w.spec;
    let next = match w.next_fire_at {
        Some(t) => format!(
            "next {}",
            t.with_timezone(&s.tz).format("%a %Y-%m-%d %H:%M %Z")
        ),
        None => "not scheduled".into(),
    };
    format!(
        "{:?} [{}] {} {} members {} prompt {} ring {}s retries {}x{}min snooze {}min, {}",
        s.name,
        if s.enabled { "on" } else { "off" },
        s.rule,
        s.tz.name(),
        s.members.join(","),
        s.prompt,
        s.ring_secs,
        s.retries,
        s.retry_interval_mins,
        s.snooze_mins,
        next
    )
}

/// A sound name is used as is; an existing audio file is converted into the prompt directory
/// and named by its absolute path (without extension), which ARI plays as `sound:<path>`.
fn prompt_name(config: &Config, arg: &str) -> anyhow::Result<String> {
    let path = Path::new(arg);
    if !path.is_file() {
        return Ok(arg.to_owned());
    }
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .filter(|s| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        })
        .with_context(|| {
            format!(
                "prompt file name {arg:?} must be letters, digits, '-' or '_' before the extension"
            )
        })?;
    let dir = config.data_dir.join("prompts");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let dir = dir
        .canonicalize()
        .with_context(|| format!("cannot resolve {}", dir.display()))?;
    let target: PathBuf = dir.join(format!("{stem}.wav"));
    convert_prompt(path, &target)?;
    Ok(dir.join(stem).to_string_lossy().into_owned())
}

fn convert_prompt(input: &Path, output: &Path) -> anyhow::Result<()> {
    ringside::media::transcode_file(input, output, &ringside::media::TranscodeOptions::default())
        .with_context(|| format!("cannot convert prompt {}", input.display()))?;
    Ok(())
}

/// The zone a new wakeup starts in: its owner's own, else the portal's default zone, else this
/// system's.
async fn owner_zone(store: &Store, config: &Config, extension: &str) -> anyhow::Result<Zone> {
    let own = store
        .user(extension)
        .await?
        .map(|u| u.time_zone)
        .filter(|z| !z.is_empty());
    if let Some(name) = own {
        return Ok(Zone::parse(&name)?);
    }
    let default = config.portal.default_time_zone.trim();
    if !default.is_empty() {
        return Zone::parse(default)
            .with_context(|| "[portal] default_time_zone in the configuration".to_owned());
    }
    Ok(system_time_zone())
}

/// `TZ`, else `/etc/timezone`, else the zone `/etc/localtime` links to, else UTC.
fn system_time_zone() -> Zone {
    let from_env = std::env::var("TZ").ok();
    let from_file = || {
        std::fs::read_to_string("/etc/timezone")
            .ok()
            .map(|s| s.trim().to_owned())
    };
    let from_link = || {
        std::fs::read_link("/etc/localtime").ok().and_then(|p| {
            let p = p.to_string_lossy().into_owned();
            p.split_once("zoneinfo/").map(|(_, z)| z.to_owned())
        })
    };
    from_env
        .into_iter()
        .chain(from_file())
        .chain(from_link())
        .find_map(|name| Zone::parse(name.trim_start_matches(':')).ok())
        .unwrap_or_else(Zone::utc)
}
