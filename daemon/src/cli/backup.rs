//! `ringside backup OUT`: a consistent snapshot of the SQLite database and the data dir's
//! files in one tar archive (see `ringside::ops::backup`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The archive to write (replaced whole; a failed backup leaves no partial file).
    pub out: PathBuf,
}

pub fn run(config_path: Option<&Path>, args: Args) -> anyhow::Result<ExitCode> {
    let config = super::load_config(config_path)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let summary = runtime.block_on(ringside::ops::backup::backup(&config, &args.out))?;
    println!(
        "backup written to {}: the database {} and {} files of {} ({} bytes)",
        args.out.display(),
        summary.database.display(),
        summary.files,
        config.data_dir.display(),
        summary.bytes
    );
    Ok(ExitCode::SUCCESS)
}
