//! `ringside check`: the checklist an operator runs after installing or changing the setup.
//! Prints every item with the fix for each failure; exits 0 only when nothing failed.

use std::path::Path;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(config_path: Option<&Path>, _args: Args) -> anyhow::Result<ExitCode> {
    let config = super::load_config(config_path)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let report = runtime.block_on(ringside::ops::check::probe::run(&config));
    match config_path {
        Some(path) => println!("settings: {} (and RINGSIDE_* variables)", path.display()),
        None => println!("settings: defaults and RINGSIDE_* variables (no --config given)"),
    }
    print!("{}", report.render());
    Ok(if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
