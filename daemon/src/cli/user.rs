//! `ringside user …`: add, list, change password, enable/disable, remove and import users in
//! the daemon's database (the same one a running daemon uses).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use ringside::store::passwords;
use ringside::store::{NewUser, Store, User, UserQuery};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Create a user (extension).
    Add {
        /// Extension number, 2–15 digits.
        extension: String,
        /// Display name.
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "")]
        email: String,
        /// Read the portal password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        /// Let the user log in to the portal.
        #[arg(long)]
        portal: bool,
    },
    /// List users, optionally filtered.
    List {
        /// Show only users whose extension, name or email contains this text.
        #[arg(long)]
        search: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: u64,
        #[arg(long, default_value_t = 0)]
        offset: u64,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Set a user's portal password (generated and printed once unless --password-stdin).
    Passwd {
        extension: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Allow the user to log in again.
    Enable { extension: String },
    /// Change what an administrator grants a user.
    Set {
        extension: String,
        /// Wakeup calls for other extensions (a front desk): on or off. Without it, a user's
        /// wakeups call only their own extension.
        #[arg(long, value_parser = parse_on_off)]
        wakeup_others: Option<bool>,
        /// Seconds the user's own device rings before a call counts as not answered (1-300).
        #[arg(long, value_name = "SECONDS")]
        ring_time: Option<u32>,
        /// The user's own time zone (an IANA name such as Europe/Berlin; "default" follows the
        /// portal's default zone): the portal shows times in it and new wakeups start in it.
        #[arg(long, value_name = "ZONE")]
        time_zone: Option<String>,
        /// The portal's first-login walk-through (new password, time zone, greeting,
        /// follow-me): on shows it at the user's next login, off never.
        #[arg(long, value_parser = parse_on_off)]
        walkthrough: Option<bool>,
    },
    /// Stop the user from logging in and end their portal sessions.
    Disable { extension: String },
    /// Delete a user and their settings.
    Rm { extension: String },
    /// Import users from CSV: extension,name,email,password (or "generate") and an optional
    /// time zone; all or nothing.
    Import {
        file: PathBuf,
        /// Let the imported users log in to the portal.
        #[arg(long)]
        portal: bool,
    },
}

fn parse_on_off(raw: &str) -> Result<bool, String> {
    match raw {
        "on" => Ok(true),
        "off" => Ok(false),
        other => Err(format!("{other:?}: use on or off")),
    }
}

pub fn run(config: Option<&Path>, command: Command) -> anyhow::Result<ExitCode> {
    block_on(config, |store| async move {
        match command {
            Command::Add {
                extension,
                name,
                email,
                password_stdin,
                portal,
            } => {
                let password = password_stdin.then(read_password_stdin).transpose()?;
                let user = store
                    .create_user(&NewUser {
                        extension,
                        display_name: name,
                        email,
                        password,
                        portal_enabled: portal,
                        access: None,
                        time_zone: String::new(),
                    })
                    .await?;
                println!("created user {} ({})", user.extension, user.display_name);
                if portal && !user.has_password {
                    println!(
                        "note: no password set; run `ringside user passwd {}`",
                        user.extension
                    );
                }
            }
            Command::List {
                search,
                limit,
                offset,
                json,
            } => {
                let page = store
                    .list_users(&UserQuery {
                        search,
                        offset,
                        limit,
                    })
                    .await?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&page)?);
                } else {
                    print_table(&page.users);
                    println!("({} of {} users)", page.users.len(), page.total);
                }
            }
            Command::Passwd {
                extension,
                password_stdin,
            } => {
                let (password, generated) = if password_stdin {
                    (read_password_stdin()?, false)
                } else {
                    (passwords::generate_password(), true)
                };
                store.set_password(&extension, &password).await?;
                if generated {
                    println!("new password for {extension} (shown only now): {password}");
                } else {
                    println!("password for {extension} changed");
                }
            }
            Command::Enable { extension } => {
                store.set_user_enabled(&extension, true).await?;
                println!("user {extension} enabled");
            }
            Command::Set {
                extension,
                wakeup_others,
                ring_time,
                time_zone,
                walkthrough,
            } => {
                if wakeup_others.is_none()
                    && ring_time.is_none()
                    && time_zone.is_none()
                    && walkthrough.is_none()
                {
                    anyhow::bail!(
                        "nothing to set: give --wakeup-others on|off, --ring-time SECONDS, \
                         --time-zone ZONE or --walkthrough on|off"
                    );
                }
                if let Some(zone) = time_zone {
                    let zone = if zone.trim().eq_ignore_ascii_case("default") {
                        ""
                    } else {
                        zone.as_str()
                    };
                    store
                        .set_user_time_zone(&extension, zone)
                        .await
                        .map_err(|e| anyhow::anyhow!("--time-zone: {e}"))?;
                    match store.user(&extension).await?.map(|u| u.time_zone) {
                        Some(z) if !z.is_empty() => {
                            println!("user {extension}: time zone {z}")
                        }
                        _ => println!("user {extension}: time zone follows the portal's default"),
                    }
                }
                if let Some(secs) = ring_time {
                    store
                        .update_call_handling(&extension, |h| h.ring_secs = Some(secs))
                        .await
                        .map_err(|e| anyhow::anyhow!("--ring-time: {e}"))?;
                    println!("user {extension}: own device rings {secs} s");
                }
                if let Some(on) = wakeup_others {
                    store.set_wake_others(&extension, on).await?;
                    let state = if on { "may" } else { "may not" };
                    println!("user {extension} {state} schedule wakeup calls for other extensions");
                }
                if let Some(on) = walkthrough {
                    store.set_walkthrough(&extension, on).await?;
                    let state = if on {
                        "is shown at the next login"
                    } else {
                        "is off"
                    };
                    println!("user {extension}: the portal's first-login walk-through {state}");
                }
            }
            Command::Disable { extension } => {
                store.set_user_enabled(&extension, false).await?;
                println!("user {extension} disabled");
            }
            Command::Rm { extension } => {
                store.delete_user(&extension).await?;
                println!("deleted user {extension}");
            }
            Command::Import { file, portal } => {
                let text = std::fs::read_to_string(&file)
                    .with_context(|| format!("cannot read {}", file.display()))?;
                let report = store.import_users_csv(&text, portal).await?;
                for u in &report.accepted {
                    match &u.generated_password {
                        Some(p) => println!("imported {} (generated password: {p})", u.extension),
                        None => println!("imported {}", u.extension),
                    }
                }
                for r in &report.rejected {
                    eprintln!("rejected line {} ({}): {}", r.line, r.extension, r.reason);
                }
                println!(
                    "{} imported, {} rejected",
                    report.accepted.len(),
                    report.rejected.len()
                );
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}

fn print_table(users: &[User]) {
    let yes = |b: bool| if b { "yes" } else { "no" };
    println!(
        "{:<16} {:<28} {:<28} {:<6} {:<5} {:<7}",
        "EXTENSION", "NAME", "EMAIL", "PORTAL", "ADMIN", "ENABLED"
    );
    for u in users {
        println!(
            "{:<16} {:<28} {:<28} {:<6} {:<5} {:<7}",
            u.extension,
            u.display_name,
            u.email,
            yes(u.portal_enabled),
            yes(u.is_admin),
            yes(u.enabled)
        );
    }
}

/// The first line of standard input, without its line end.
pub(super) fn read_password_stdin() -> anyhow::Result<String> {
    let mut input = String::new();
    std::io::stdin()
        .take(64 * 1024)
        .read_to_string(&mut input)
        .context("cannot read the password from standard input")?;
    let line = input.lines().next().unwrap_or_default();
    anyhow::ensure!(!line.is_empty(), "no password on standard input");
    Ok(line.to_owned())
}

/// Opens the configured database and runs `body` on a small runtime of its own.
pub(super) fn block_on<F, Fut>(config: Option<&Path>, body: F) -> anyhow::Result<ExitCode>
where
    F: FnOnce(Store) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<ExitCode>>,
{
    let config = super::load_config(config)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let url = config.database_url();
        let store = Store::connect(&url)
            .await
            .with_context(|| format!("cannot open the database {}", redact(&url)))?;
        let result = body(store.clone()).await;
        store.pool().close().await;
        result
    })
}

/// The URL without a password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn database_password_is_hidden_in_messages() {
        assert_eq!(
            redact("postgres://rs:secret@db:5432/rs"),
            "postgres://rs:***@db:5432/rs"
        );
        assert_eq!(redact("sqlite:///x/ringside.db"), "sqlite:///x/ringside.db");
    }
}
