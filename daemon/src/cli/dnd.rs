//! `ringside dnd on|off|show EXT [--allow NUMBER]...`: a user's do-not-disturb from the shell.
//! The rules (allow-list entries are numbers, time rules parse) are the store's.

use std::path::Path;
use std::process::ExitCode;

use chrono::Utc;
use ringside::ari::AriClient;
use ringside::config::AriConfig;
use ringside::flows::dnd_lamps;
use ringside::schedule::WeeklyWindow;
use ringside::store::{CallHandling, Store, TimeRule};

use super::user::block_on;

/// How long `dnd on|off` waits for Asterisk to take the lamp's new state.
const LAMP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Turn do-not-disturb on: callers go to voicemail (busy), except those allowed.
    On {
        extension: String,
        /// A caller number that still rings through; repeat for more. Replaces the list.
        #[arg(long = "allow", value_name = "NUMBER")]
        allow: Vec<String>,
        #[command(flatten)]
        when: Schedule,
    },
    /// Turn do-not-disturb off (the allow-list is kept).
    Off { extension: String },
    /// Print the user's do-not-disturb and forwarding.
    Show { extension: String },
}

pub fn run(config: Option<&Path>, command: Command) -> anyhow::Result<ExitCode> {
    let ari = super::load_config(config)?.ari;
    block_on(config, |store| async move {
        match command {
            Command::On {
                extension,
                allow,
                when,
            } => {
                let rule = when.rule()?;
                let h = store
                    .update_call_handling(&extension, |h| {
                        h.dnd = true;
                        if !allow.is_empty() {
                            h.dnd_allow = allow;
                        }
                        h.dnd_rule = rule;
                        when.apply_zone(h);
                    })
                    .await?;
                println!("do-not-disturb for {extension}: {}", dnd_state(&h));
                light_lamp(&ari, &h).await;
            }
            Command::Off { extension } => {
                let h = store
                    .update_call_handling(&extension, |h| h.dnd = false)
                    .await?;
                println!("do-not-disturb for {extension}: {}", dnd_state(&h));
                light_lamp(&ari, &h).await;
            }
            Command::Show { extension } => show(&store, &extension).await?,
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// Shows the change on the user's busy-lamp key at once. The running daemon would show it
/// within its lamp tick anyway, so Asterisk not answering is only reported.
async fn light_lamp(ari: &AriConfig, h: &CallHandling) {
    let state = dnd_lamps::lamp_state(h, Utc::now());
    let device = dnd_lamps::device_name(&h.extension);
    let sent = match AriClient::from_config(ari) {
        Ok(client) => tokio::time::timeout(LAMP_TIMEOUT, client.set_device_state(&device, state))
            .await
            .map_err(|_| "Asterisk did not answer in time".to_owned())
            .and_then(|r| r.map_err(|e| e.to_string())),
        Err(e) => Err(e.to_string()),
    };
    match sent {
        Ok(()) => println!("lamp {device}: {state}"),
        Err(e) => eprintln!(
            "lamp {device} not set now ({e}); the running daemon sets it within its lamp tick"
        ),
    }
}

/// Prints an extension's whole call handling (`dnd show` and `forward show` alike).
pub(super) async fn show(store: &Store, extension: &str) -> anyhow::Result<()> {
    if store.user(extension).await?.is_none() {
        anyhow::bail!("user {extension:?} not found");
    }
    let h = store.call_handling_or_default(extension).await?;
    print!("{}", describe(&h));
    Ok(())
}

/// When a do-not-disturb or a forward applies: always, or by a weekly window read in a
/// time zone.
#[derive(Debug, clap::Args)]
pub struct Schedule {
    /// Only during (or with --outside, outside) this weekly window, e.g. mon-fri,08:00-18:00.
    #[arg(long, value_name = "DAYS,HH:MM-HH:MM")]
    schedule: Option<String>,
    /// The schedule says when the setting does NOT apply.
    #[arg(long, requires = "schedule")]
    outside: bool,
    /// IANA time zone the schedule is read in (kept when not given; UTC at first).
    #[arg(long, value_name = "ZONE")]
    tz: Option<String>,
}

impl Schedule {
    /// The time rule given, if any.
    pub(super) fn rule(&self) -> anyhow::Result<Option<TimeRule>> {
        match &self.schedule {
            None => Ok(None),
            Some(text) => {
                let window: WeeklyWindow = text
                    .parse()
                    .map_err(|e| anyhow::anyhow!("--schedule: {e}"))?;
                Ok(Some(TimeRule {
                    window,
                    outside: self.outside,
                }))
            }
        }
    }

    /// Sets the user's time zone when one was given, in its canonical spelling when it is
    /// known (the store's check reports one that is not).
    pub(super) fn apply_zone(&self, h: &mut CallHandling) {
        if let Some(tz) = &self.tz {
            h.time_zone = ringside::schedule::Zone::parse(tz.trim())
                .map(|z| z.name().to_owned())
                .unwrap_or_else(|_| tz.clone());
        }
    }
}

fn dnd_state(h: &CallHandling) -> String {
    let mut s = if h.dnd { "on" } else { "off" }.to_owned();
    if let Some(rule) = &h.dnd_rule {
        s.push_str(&format!(" ({rule}, {})", h.time_zone));
    }
    s
}

fn forward_state(f: &ringside::store::Forward, zone: &str) -> String {
    let mut s = match (f.enabled, f.number.is_empty()) {
        (_, true) => "off".to_owned(),
        (true, false) => format!("on to {}", f.number),
        (false, false) => format!("off (was {})", f.number),
    };
    if let Some(rule) = &f.rule {
        s.push_str(&format!(" ({rule}, {zone})"));
    }
    s
}

/// Everything call handling has for one user, one setting per line.
pub(super) fn describe(h: &CallHandling) -> String {
    let allow = if h.dnd_allow.is_empty() {
        "none".to_owned()
    } else {
        h.dnd_allow.join(", ")
    };
    let ring = match h.ring_secs {
        Some(s) => format!("{s} s"),
        None => format!("{} s (default)", ringside::store::DEFAULT_RING_SECS),
    };
    format!(
        "call handling for {ext}:\n\
         do-not-disturb: {dnd}\n\
         allowed callers: {allow}\n\
         forward always: {always}\n\
         forward busy: {busy}\n\
         forward no answer: {na}\n\
         ring time: {ring}\n\
         time zone: {tz}\n",
        ext = h.extension,
        dnd = dnd_state(h),
        always = forward_state(&h.forward_always, &h.time_zone),
        busy = forward_state(&h.forward_busy, &h.time_zone),
        na = forward_state(&h.forward_no_answer, &h.time_zone),
        tz = h.time_zone,
    )
}
