//! `ringside admin create NAME`: creates a portal administrator. There is never a default
//! password: it is read from standard input or generated and printed once.

use std::path::Path;
use std::process::ExitCode;

use ringside::store::passwords;

use super::user::{block_on, read_password_stdin};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Create an administrator whose portal login is NAME.
    Create {
        /// Login: a name (letters, digits, '.', '_', '-') or an extension.
        name: String,
        /// Display name (defaults to NAME).
        #[arg(long = "display-name")]
        display_name: Option<String>,
        /// Read the password from the first line of standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
}

pub fn run(config: Option<&Path>, command: Command) -> anyhow::Result<ExitCode> {
    let Command::Create {
        name,
        display_name,
        password_stdin,
    } = command;
    // Read before opening the database so a missing password fails without side effects.
    let (password, generated) = if password_stdin {
        (read_password_stdin()?, false)
    } else {
        (passwords::generate_password(), true)
    };
    block_on(config, |store| async move {
        let display = display_name.unwrap_or_else(|| name.clone());
        let admin = store.create_admin(&name, &display, &password).await?;
        println!("created admin {}", admin.extension);
        if generated {
            println!("password (shown only now): {password}");
        }
        Ok(ExitCode::SUCCESS)
    })
}
