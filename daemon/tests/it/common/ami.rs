//! What the manager-interface tests share: the client's config and timers for a simulator on
//! loopback, a simulator over a voicemail spool, and the recorded speech the messages carry.

use std::path::Path;
use std::time::Duration;

use ringside::ami::Timers;
use ringside::ami::simulator::{AmiSimConfig, AmiSimulator};
use ringside::config::AmiConfig;

/// The client's settings for a manager interface at `addr`, logging in as `ringside`.
pub fn config(addr: std::net::SocketAddr, secret: &str) -> AmiConfig {
    AmiConfig {
        host: addr.ip().to_string(),
        port: addr.port(),
        username: "ringside".into(),
        secret: secret.into(),
    }
}

/// No keepalive during a test, actions answered within 5 s, reconnects `backoff` apart.
pub fn timers(backoff: (Duration, Duration)) -> Timers {
    Timers {
        keepalive: Duration::from_secs(3600),
        action_timeout: Duration::from_secs(5),
        backoff,
    }
}

/// A simulator on a free loopback port, user `ringside`, over the spool at `spool`.
pub async fn simulator(spool: &Path, secret: &str) -> AmiSimulator {
    AmiSimulator::start(AmiSimConfig {
        listen: "127.0.0.1:0".parse().expect("addr"),
        username: "ringside".into(),
        secret: secret.into(),
        spool: spool.to_owned(),
    })
    .await
    .expect("simulator")
}

/// Three seconds of recorded speech, 8 kHz: what a voicemail message holds.
pub fn speech_wav() -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../media-fixtures/audio/speech-8k.wav"),
    )
    .expect("fixture")
}
