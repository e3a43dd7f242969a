//! `ringside serve`: runs the daemon until SIGTERM or SIGINT.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use tokio_util::sync::CancellationToken;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(config: Option<&Path>, _args: Args) -> anyhow::Result<ExitCode> {
    let config = super::load_config(config)?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let daemon = ringside::daemon::Daemon::new(config).await?;
        let stop = CancellationToken::new();
        tokio::spawn(stop_on_signal(stop.clone()));
        daemon.run(stop).await?;
        Ok(ExitCode::SUCCESS)
    })
}

async fn stop_on_signal(stop: CancellationToken) {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => tracing::info!("SIGINT received"),
                    _ = term.recv() => tracing::info!("SIGTERM received"),
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; only Ctrl-C stops the daemon");
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
    stop.cancel();
}
