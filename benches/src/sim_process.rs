//! The ARI simulator in a child process of a load bench, so the measured process (the daemon
//! side) has its own RSS and CPU time, and no simulator work runs on its threads.
//!
//! A bench binary calls [`serve_if_child`] first thing in `main`; when the process was started
//! as the simulator it serves until its parent closes stdin and returns `true`.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use ringside::ari::AriClient;
use ringside::ari::simulator::{SimConfig, Simulator};

const ROLE_VAR: &str = "RINGSIDE_BENCH_ROLE";
const ADDR_VAR: &str = "RINGSIDE_BENCH_SIM_ADDR";

/// `RINGSIDE_ARI_REST_TRANSPORT` (`http` compares with REST over HTTP); `auto` when unset.
pub fn rest_transport_from_env() -> ringside::config::RestTransport {
    std::env::var("RINGSIDE_ARI_REST_TRANSPORT")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or_default()
}

/// Whether this process was started as a bench's simulator child.
pub fn is_child() -> bool {
    std::env::var(ROLE_VAR).as_deref() == Ok("simulator")
}

/// In the simulator child: starts the simulator, lets `setup` script it, and serves until the
/// parent closes stdin (or dies). Returns `false` at once in any other process.
pub fn serve_if_child(setup: impl FnOnce(&Simulator)) -> bool {
    if !is_child() {
        return false;
    }
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async move {
        let addr = std::env::var(ADDR_VAR).expect("address given");
        let sim = Simulator::start(SimConfig {
            listen: addr.parse().expect("socket address"),
            ..SimConfig::default()
        })
        .await
        .expect("simulator listens");
        sim.set_record_event_bodies(false);
        setup(&sim);
        let mut stdin = tokio::io::stdin();
        let mut sink = Vec::new();
        let _ = tokio::io::AsyncReadExt::read_to_end(&mut stdin, &mut sink).await;
    });
    true
}

/// A running simulator child; killed when dropped.
pub struct SimProcess {
    /// `127.0.0.1:port`.
    pub addr: String,
    child: Child,
}

impl SimProcess {
    /// Starts this same executable as the simulator and waits until it answers ARI pings.
    pub async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let addr = format!("127.0.0.1:{port}");
        let child = Command::new(std::env::current_exe().expect("own path"))
            .env(ROLE_VAR, "simulator")
            .env(ADDR_VAR, &addr)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("simulator process");
        let process = Self { addr, child };
        let client =
            AriClient::new(&process.base_url(), "bench", "bench", "ringside").expect("client");
        for _ in 0..200 {
            if client.ping().await.is_ok() {
                return process;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("the simulator process does not answer");
    }

    /// ARI root, e.g. `http://127.0.0.1:40123/ari`.
    pub fn base_url(&self) -> String {
        format!("http://{}/ari", self.addr)
    }
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
