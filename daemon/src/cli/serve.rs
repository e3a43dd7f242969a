//! `ringside serve`: runs the daemon until SIGTERM or SIGINT; SIGHUP says what a restart
//! would change.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use tokio_util::sync::CancellationToken;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(config_path: Option<&Path>, _args: Args) -> anyhow::Result<ExitCode> {
    let config = super::load_config(config_path)?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let path = config_path.map(Path::to_owned);
    runtime.block_on(async move {
        // Signals are taken over before anything listens: a supervisor (or a test) that sees
        // a listener answer may signal at once, and an unhandled SIGHUP would end the process.
        #[cfg(unix)]
        let hangup = {
            use tokio::signal::unix::{SignalKind, signal};
            signal(SignalKind::hangup())
        };
        let stop = CancellationToken::new();
        tokio::spawn(stop_on_signal(stop.clone()));
        let running = config.clone();
        let daemon = ringside::daemon::Daemon::new(config).await?;
        #[cfg(unix)]
        tokio::spawn(report_on_hangup(hangup, running, path, stop.clone()));
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

/// On each SIGHUP, reads the settings again and logs what changed (nothing is applied while
/// running; see `ops::reload`).
#[cfg(unix)]
async fn report_on_hangup(
    hangup: std::io::Result<tokio::signal::unix::Signal>,
    running: ringside::config::Config,
    path: Option<std::path::PathBuf>,
    stop: CancellationToken,
) {
    let mut hangup = match hangup {
        Ok(hangup) => hangup,
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for SIGHUP");
            return;
        }
    };
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            received = hangup.recv() => if received.is_none() { return },
        }
        ringside::ops::reload::on_hangup(&running, || {
            ringside::config::Config::load(path.as_deref())
        });
    }
}
