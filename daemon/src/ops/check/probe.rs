//! The I/O behind `ringside check`: each probe looks at one thing (the database, ARI, the
//! manager's dialplan, a directory, a port) and turns what it found into an [`Item`] with the
//! fix in words. Probes only read, except for a probe file created and removed at once to
//! prove a directory writable.
//!
//! Not here: the rules themselves (the parent module, pure) or printing.

use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::{Item, Report, VersionVerdict};
use crate::ami::{AmiClient, AmiError, LinkState, Message, Timers};
use crate::ari::{AriClient, AriError};
use crate::config::Config;
use crate::schedule::prompt::{DEFAULT_PROMPT, SoundDirs};
use crate::store::maintenance::{self, MigrationState};

const LOGIN: &str = "AMI";
const CONTEXTS: &str = "dialplan contexts";
const AGI: &str = "FastAGI address";
const FAX_PROGRESS: &str = "fax progress";

/// How long the manager login may take before the link counts as down.
const AMI_LOGIN_WAIT: Duration = Duration::from_secs(5);

/// Runs every check against the host's standard sound directories.
pub async fn run(config: &Config) -> Report {
    run_with(
        config,
        &SoundDirs::configured(&config.data_dir, &config.wakeup.sounds_dir),
    )
    .await
}

/// Runs every check, looking the wakeup prompt up in `sounds`.
pub async fn run_with(config: &Config, sounds: &SoundDirs) -> Report {
    let mut report = Report::default();
    report.push(database(config).await);
    report.push(data_dir(&config.data_dir));
    let (ari, version) = ari(config).await;
    report.push(ari);
    report.push(version);
    for item in dialplan(config).await {
        report.push(item);
    }
    report.push(voicemail_spool(&config.voicemail.spool_dir));
    report.push(fax_incoming(&super::fax_incoming_dir(
        &config.voicemail.spool_dir,
    )));
    report.push(wakeup_prompt(sounds, &config.data_dir));
    report.push(prompt_uploads(&config.wakeup.sounds_dir));
    report.push(listen_free(
        "portal listen",
        "[portal] listen",
        config.portal.listen,
    ));
    report
}

async fn database(config: &Config) -> Item {
    const NAME: &str = "database";
    let url = config.database_url();
    match maintenance::migration_state(&url).await {
        Ok(MigrationState::Current { applied }) => {
            Item::pass(NAME, format!("opens; {applied} migrations, all current"))
        }
        Ok(MigrationState::NotCreated(file)) => match file.parent().map(writable) {
            Some(Ok(())) | None => Item::pass(
                NAME,
                format!("{} will be created at the first start", file.display()),
            ),
            Some(Err(why)) => Item::fail(
                NAME,
                format!("{} cannot be created: {why}", file.display()),
                "create the data dir, owned by the user Ringside runs as (`install -d -o ringside -g ringside /var/lib/ringside`)",
            ),
        },
        Ok(MigrationState::Pending(versions)) => Item::fail(
            NAME,
            format!("migrations {versions:?} are not applied yet"),
            "start Ringside once (`systemctl start ringside` or any `ringside` command that uses the database): it applies them",
        ),
        Ok(MigrationState::Newer(versions)) => Item::fail(
            NAME,
            format!("migrations {versions:?} come from a newer Ringside than this one"),
            "install the Ringside version that migrated this database, or restore a backup made for this version",
        ),
        Err(err) => Item::fail(
            NAME,
            format!("cannot open {}: {err}", redact(&url)),
            "check [database] url (or RINGSIDE_DATABASE_URL): the server must run and the user must have access",
        ),
    }
}

/// A database URL without its password, for printing.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}://{user}:…@{}", &url[..scheme], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

fn data_dir(dir: &Path) -> Item {
    const NAME: &str = "data dir";
    match writable(dir) {
        Ok(()) => Item::pass(NAME, format!("{} is writable", dir.display())),
        Err(why) => Item::fail(
            NAME,
            format!("{}: {why}", dir.display()),
            "create it owned by the user Ringside runs as, or set data_dir",
        ),
    }
}

async fn ari(config: &Config) -> (Item, Item) {
    const NAME: &str = "ARI";
    const VERSION: &str = "Asterisk version";
    let client = match AriClient::from_config(&config.ari) {
        Ok(client) => client,
        Err(err) => {
            return (
                Item::fail(
                    NAME,
                    err.to_string(),
                    "set [ari] url to Asterisk's ARI, e.g. http://127.0.0.1:8088/ari",
                ),
                Item::skip(VERSION, "ARI did not answer"),
            );
        }
    };
    let info = match client.info().await {
        Ok(info) => info,
        Err(err) => {
            let fix = match err {
                AriError::Unauthorized(_) => {
                    "set [ari] username and password to a user of Asterisk's ari.conf (see dialplan/ari.conf)"
                }
                AriError::Transport(_) => {
                    "start Asterisk with its HTTP server on (http.conf: enabled = yes) and ARI at [ari] url"
                }
                _ => "check [ari] url: it must be Asterisk's ARI base, ending in /ari",
            };
            return (
                Item::fail(NAME, format!("no answer at {}: {err}", config.ari.url), fix),
                Item::skip(VERSION, "ARI did not answer"),
            );
        }
    };
    let ari = Item::pass(
        NAME,
        format!("{} answers as user {}", config.ari.url, config.ari.username),
    );
    let Some(version) = info
        .pointer("/system/version")
        .and_then(|v| v.as_str())
        .map(str::to_owned)
    else {
        return (
            ari,
            Item::skip(VERSION, "asterisk/info gave no system.version"),
        );
    };
    let verdict = match super::judge_version(&version, config.ari.rest_transport) {
        VersionVerdict::Supported => Item::pass(VERSION, format!("Asterisk {version}")),
        VersionVerdict::TooOld => Item::fail(
            VERSION,
            format!("Asterisk {version} is older than 22, whose ARI and dialplan Ringside uses"),
            "upgrade Asterisk to 22 (LTS)",
        ),
        VersionVerdict::NoRestOverWebSocket => Item::fail(
            VERSION,
            format!("Asterisk {version} cannot take REST requests over the event WebSocket"),
            "set [ari] rest_transport = \"auto\" (or \"http\"), or upgrade Asterisk to 22.4 or later",
        ),
        VersionVerdict::Unknown => Item::skip(
            VERSION,
            format!("{version:?} is not a release number; Ringside is made for Asterisk 22"),
        ),
    };
    (ari, verdict)
}

/// The manager login, the contexts Ringside needs, and whether their `AGI()` calls reach
/// `[agi] listen`.
async fn dialplan(config: &Config) -> Vec<Item> {
    if !config.ami.is_configured() {
        let why = "no [ami] secret configured: set one to have the dialplan checked";
        return vec![
            Item::skip(LOGIN, "no [ami] secret configured"),
            Item::skip(CONTEXTS, why),
            Item::skip(AGI, why),
            Item::skip(FAX_PROGRESS, why),
        ];
    }
    let stop = CancellationToken::new();
    let timers = Timers {
        keepalive: Duration::from_secs(3600),
        action_timeout: AMI_LOGIN_WAIT,
        backoff: (Duration::from_secs(1), Duration::from_secs(1)),
    };
    let client = AmiClient::spawn(config.ami.clone(), timers, stop.clone());
    let items = dialplan_over(config, &client).await;
    stop.cancel();
    items
}

async fn dialplan_over(config: &Config, client: &AmiClient) -> Vec<Item> {
    let at = format!("{}:{}", config.ami.host, config.ami.port);
    if !client.wait_connected(AMI_LOGIN_WAIT).await {
        let state = client.state().borrow().clone();
        let fix = match state {
            LinkState::LoginRefused { .. } => {
                "set [ami] username and secret to a user of Asterisk's manager.conf (see dialplan/manager.conf) and `manager reload`"
            }
            _ => {
                "enable the manager in Asterisk's manager.conf (enabled = yes, port as [ami] port) or correct [ami] host and port"
            }
        };
        let why = "the manager link is not up";
        return vec![
            Item::fail(LOGIN, format!("{at}: {}", state.unavailable_reason()), fix),
            Item::skip(CONTEXTS, why),
            Item::skip(AGI, why),
            Item::skip(FAX_PROGRESS, why),
        ];
    }
    let mut items = vec![
        Item::pass(LOGIN, format!("{at} accepts user {}", config.ami.username)),
        fax_progress(client).await,
    ];
    let required = super::required_contexts(config);
    let mut missing = Vec::new();
    let mut agi_calls: Vec<(String, String)> = Vec::new();
    for context in &required {
        let action = Message::new()
            .with("Action", "ShowDialPlan")
            .with("Context", &context.name);
        match client.send(action).await {
            Ok(reply) => {
                for event in &reply.events {
                    if event
                        .get("Application")
                        .is_some_and(|a| a.eq_ignore_ascii_case("AGI"))
                    {
                        let data = event.get("AppData").unwrap_or_default().to_owned();
                        agi_calls.push((context.name.clone(), data));
                    }
                }
            }
            Err(AmiError::Refused(_)) => missing.push(context),
            Err(err) => {
                items.push(Item::fail(
                    CONTEXTS,
                    format!("ShowDialPlan for {} failed: {err}", context.name),
                    "give the [ami] user the `dialplan` read permission in manager.conf",
                ));
                items.push(Item::skip(AGI, "the dialplan could not be read"));
                return items;
            }
        }
    }
    if missing.is_empty() {
        items.push(Item::pass(
            CONTEXTS,
            format!("all {} contexts Ringside uses are loaded", required.len()),
        ));
    } else {
        let list: Vec<String> = missing
            .iter()
            .map(|c| format!("{} ({})", c.name, c.why))
            .collect();
        items.push(Item::fail(
            CONTEXTS,
            format!("missing: {}", list.join("; ")),
            "copy dialplan/extensions_ringside.conf to /etc/asterisk/, `#include` it from extensions.conf, then `asterisk -rx \"dialplan reload\"`",
        ));
    }
    items.push(agi_address(config.agi.listen, &agi_calls));
    items
}

/// Whether the manager user may ask for the faxes in transfer (`FAXSessions` needs the `call`
/// write class). Live progress is optional, so a refusal is a skip that says what it costs.
async fn fax_progress(client: &AmiClient) -> Item {
    match client.fax_sessions().await {
        Ok(_) => Item::pass(
            FAX_PROGRESS,
            "the manager user may follow faxes in transfer (FAXSessions)",
        ),
        Err(AmiError::Refused(text)) if text.to_ascii_lowercase().contains("permission") => {
            Item::skip(
                FAX_PROGRESS,
                "the manager user lacks the `call` write class, so fax pages show no page in \
                 transfer; add `call` to its `write =` in manager.conf (see dialplan/manager.conf) \
                 and `manager reload` to have it",
            )
        }
        Err(AmiError::Refused(text)) => Item::skip(
            FAX_PROGRESS,
            format!("Asterisk refuses FAXSessions ({text}): is res_fax loaded?"),
        ),
        Err(err) => Item::skip(FAX_PROGRESS, format!("FAXSessions failed: {err}")),
    }
}

fn agi_address(listen: SocketAddr, calls: &[(String, String)]) -> Item {
    let targets: Vec<(&str, String, u16)> = calls
        .iter()
        .filter_map(|(context, data)| {
            super::agi_target(data).map(|(host, port)| (context.as_str(), host, port))
        })
        .collect();
    if targets.is_empty() {
        return Item::skip(AGI, "no AGI(agi://…) call found in the loaded contexts");
    }
    let wrong: Vec<String> = targets
        .iter()
        .filter(|(_, host, port)| !super::agi_reaches(listen, host, *port))
        .map(|(context, host, port)| format!("{context} calls agi://{host}:{port}"))
        .collect();
    if wrong.is_empty() {
        return Item::pass(
            AGI,
            format!("{} AGI() calls reach [agi] listen {listen}", targets.len()),
        );
    }
    let mut wrong = wrong;
    wrong.dedup();
    Item::fail(
        AGI,
        format!("{}, but [agi] listen is {listen}", wrong.join("; ")),
        "make them agree: set [agi] listen to the address the dialplan calls, or change the AGI(agi://…) lines and `dialplan reload`",
    )
}

fn voicemail_spool(dir: &Path) -> Item {
    const NAME: &str = "voicemail spool";
    let fix = "set [voicemail] spool_dir to app_voicemail's spool and let the user Ringside runs as read and write it (e.g. add it to the asterisk group; g+rwX)";
    if let Err(why) = readable_dir(dir) {
        return Item::fail(NAME, format!("{}: {why}", dir.display()), fix);
    }
    match writable(dir) {
        Ok(()) => Item::pass(NAME, format!("{} is readable and writable", dir.display())),
        Err(why) => Item::fail(NAME, format!("{}: {why}", dir.display()), fix),
    }
}

fn fax_incoming(dir: &Path) -> Item {
    const NAME: &str = "fax incoming dir";
    match readable_dir(dir) {
        Ok(()) => Item::pass(NAME, format!("{} is readable", dir.display())),
        Err(why) => Item::fail(
            NAME,
            format!("{}: {why}", dir.display()),
            format!(
                "create it writable by Asterisk and readable by Ringside: `install -d -o asterisk -g asterisk -m 2775 {}`",
                dir.display()
            ),
        ),
    }
}

fn wakeup_prompt(sounds: &SoundDirs, data_dir: &Path) -> Item {
    const NAME: &str = "wakeup prompt";
    match sounds.has_sound_file(DEFAULT_PROMPT) {
        Some(true) => Item::pass(NAME, format!("{DEFAULT_PROMPT} is installed")),
        Some(false) => Item::fail(
            NAME,
            format!(
                "the default prompt {DEFAULT_PROMPT} is not among the sounds (wakeups without a prompt of their own would play a tone)"
            ),
            format!(
                "install Ringside's /usr/share/ringside/sounds/*.wav into Asterisk's sounds under ringside/, or convert a recording to {} with `ringside convert`",
                data_dir
                    .join("prompts")
                    .join(format!("{DEFAULT_PROMPT}.wav"))
                    .display()
            ),
        ),
        None => Item::skip(
            NAME,
            "no sound directory on this host (Asterisk runs elsewhere?): cannot tell",
        ),
    }
}

/// Whether users' wakeup prompts can be written: into `<sounds_dir>/ringside/users`, or the
/// nearest folder above it inside `sounds_dir` that exists (uploads create the rest).
fn prompt_uploads(sounds_dir: &Path) -> Item {
    const NAME: &str = "prompt uploads";
    let users = sounds_dir.join(crate::user_prompts::SOUND_FOLDER);
    if !sounds_dir.is_dir() {
        return Item::skip(
            NAME,
            format!(
                "{} is not on this host (Asterisk runs elsewhere?): users cannot upload wakeup prompts",
                sounds_dir.display()
            ),
        );
    }
    let nearest = users
        .ancestors()
        .take_while(|dir| dir.starts_with(sounds_dir))
        .find(|dir| dir.exists())
        .unwrap_or(sounds_dir);
    match writable(nearest) {
        Ok(()) => Item::pass(
            NAME,
            format!("{} is writable (users' wakeup prompts)", nearest.display()),
        ),
        Err(why) => Item::fail(
            NAME,
            format!("{}: {why}", nearest.display()),
            format!(
                "create it for the user Ringside runs as: `install -d -o ringside -g ringside -m 0755 {}`",
                users.display()
            ),
        ),
    }
}

fn listen_free(name: &'static str, key: &str, addr: SocketAddr) -> Item {
    match TcpListener::bind(addr) {
        Ok(_) => Item::pass(name, format!("{addr} is free")),
        Err(err) => Item::fail(
            name,
            format!("cannot listen on {addr}: {err}"),
            format!(
                "stop what listens there (a running Ringside? `systemctl stop ringside` before checking) or set {key} to a free address"
            ),
        ),
    }
}

fn readable_dir(dir: &Path) -> Result<(), String> {
    if !dir.is_dir() {
        return Err("not a directory (missing?)".into());
    }
    std::fs::read_dir(dir)
        .map(drop)
        .map_err(|e| format!("cannot list it: {e}"))
}

/// Proves `dir` writable by creating (and at once removing) a file in it; permission bits
/// alone would not tell about ACLs, read-only mounts or a root caller.
fn writable(dir: &Path) -> Result<(), String> {
    if !dir.is_dir() {
        return Err("not a directory (missing?)".into());
    }
    tempfile::Builder::new()
        .prefix(".ringside-check")
        .tempfile_in(dir)
        .map(drop)
        .map_err(|e| format!("not writable: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_printed_database_url_hides_its_password() {
        assert_eq!(
            redact("postgres://ringside:s3cret@db.example:5432/ringside"),
            "postgres://ringside:…@db.example:5432/ringside"
        );
    }

    #[test]
    fn a_sqlite_url_is_printed_as_it_is() {
        let url = "sqlite:///var/lib/ringside/ringside.db?mode=rwc";
        assert_eq!(redact(url), url);
    }

    #[test]
    fn an_agi_call_elsewhere_is_named_in_the_failure() {
        let calls = [(
            "ringside-voicemail".to_owned(),
            "agi://127.0.0.1:4573/greeting,${EXTEN}".to_owned(),
        )];
        let item = agi_address("127.0.0.1:4600".parse().expect("address"), &calls);
        match item.status {
            crate::ops::check::Status::Fail { problem, .. } => {
                assert!(
                    problem.contains("ringside-voicemail calls agi://127.0.0.1:4573"),
                    "{problem}"
                );
            }
            other => panic!("{other:?}"),
        }
    }
}
