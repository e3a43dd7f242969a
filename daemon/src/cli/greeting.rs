use std::path::Path;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_config: Option<&Path>, _args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`ringside greeting` is not available in this build yet")
}
