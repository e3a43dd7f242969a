//! The `ringside` command: `serve` runs the daemon; the other subcommands work on the same
//! database and media path from the shell.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let log_format = cli::log_format(cli.config.as_deref());
    cli::init_tracing(
        cli.verbose,
        matches!(cli.command, cli::Command::Serve(_)),
        log_format,
    );
    match cli::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("ringside: {err:#}");
            ExitCode::FAILURE
        }
    }
}
