//! `ringside ari-sim`: the built-in ARI simulator as a standalone server, with the demo
//! phone book (2001..2005, 9999, 1001..1003) and `/sim/...` control endpoints to place calls.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use ringside::ari::simulator::{SimConfig, Simulator};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to serve ARI on.
    #[arg(long, default_value = "127.0.0.1:8088")]
    pub listen: SocketAddr,
    /// ARI user name required by the simulator (with --password); none accepts any.
    #[arg(long)]
    pub username: Option<String>,
    #[arg(long, requires = "username")]
    pub password: Option<String>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let config = SimConfig {
            listen: args.listen,
            credentials: args
                .username
                .map(|u| (u, args.password.unwrap_or_default())),
            second: Duration::from_secs(1),
        };
        let sim = Simulator::start(config)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        sim.load_demo_phone_book();
        tracing::info!(
            "ARI simulator on {} (place a call: POST http://{}/sim/calls?args=followme,1001&caller=5551234)",
            sim.base_url(),
            sim.addr()
        );
        tokio::signal::ctrl_c()
            .await
            .context("cannot wait for Ctrl-C")?;
        sim.shutdown();
        Ok(ExitCode::SUCCESS)
    })
}
