//! Serves the portal over the in-memory test backend, for looking at the pages in a browser and
//! for load tests: `cargo run -p ringside-portal --example demo_server [ADDR]`
//! (default 127.0.0.1:8099). Log in as 201 / alice-pw (user) or 900 / root-pw (admin).
//! Queued fax jobs advance one step per second so live progress can be watched.

#[allow(dead_code)]
#[path = "../tests/it/common/fake_backend.rs"]
mod fake_backend;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use fake_backend::FakeBackend;
use ringside_portal::model::FaxState;
use ringside_portal::{PortalSettings, router};

fn next_state(state: FaxState) -> FaxState {
    match state {
        FaxState::Converting => FaxState::Queued,
        FaxState::Queued => FaxState::Dialing,
        FaxState::Dialing | FaxState::Retrying => FaxState::Sending,
        other => other,
    }
}

async fn advance_fax_jobs(backend: Arc<FakeBackend>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        let jobs: Vec<_> = backend
            .lock()
            .fax_jobs
            .values()
            .filter(|j| !j.state.is_final())
            .cloned()
            .collect();
        for mut job in jobs {
            if job.state == FaxState::Sending {
                job.pages_sent += 1;
                if job.pages_sent >= job.pages_total.unwrap_or(1) {
                    job.state = FaxState::Sent;
                    job.status = "SUCCESS".into();
                }
            } else {
                job.state = next_state(job.state);
            }
            job.updated_at = chrono::Utc::now();
            backend.publish(job);
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8099".into());
    let backend = Arc::new(FakeBackend::seeded());
    tokio::spawn(advance_fax_jobs(backend.clone()));
    let settings = PortalSettings {
        // Load tests log in many times from one address.
        login_failures_per_ip: 1_000_000,
        ..PortalSettings::default()
    };
    let app = router(backend, settings);
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("portal demo on http://{addr}/");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await?;
    Ok(())
}
