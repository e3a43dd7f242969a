//! `ringside restore IN`: puts a `ringside backup` archive back, into the data dir and the
//! database file the settings name. Stop the daemon first.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The archive `ringside backup` wrote.
    pub archive: PathBuf,
    /// Replace a data dir (and database) that already holds files.
    #[arg(long)]
    pub force: bool,
}

pub fn run(config_path: Option<&Path>, args: Args) -> anyhow::Result<ExitCode> {
    let config = super::load_config(config_path)?;
    let summary = ringside::ops::backup::restore(&config, &args.archive, args.force)?;
    println!(
        "restored {} files into {} and the database {} ({} bytes)",
        summary.files,
        config.data_dir.display(),
        summary.database.display(),
        summary.bytes
    );
    Ok(ExitCode::SUCCESS)
}
