//! The `ringside` command: `serve` runs the daemon; the other subcommands work on the same
//! database and media path from the shell.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    cli::init_tracing(cli.verbose, matches!(cli.command, cli::Command::Serve(_)));
    match cli::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("ringside: {err:#}");
            ExitCode::FAILURE
        }
    }
}
