//! The admin's system status page: the ARI event connection and the FastAGI listener as they
//! are right now, queued work and the daemon's version. Pure mapping from the daemon's live
//! state; the counts come from the store.

use chrono::{DateTime, Utc};
use ringside_portal::BackendResult;
use ringside_portal::model::{LinkStatus, SystemStatus};

use super::PortalBackend;
use crate::ari::connection::ConnectionState;

/// The FastAGI listener as `Daemon::run` started it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgiStatus {
    /// The configured address, e.g. `127.0.0.1:4573`.
    pub listen: String,
    /// When the listener started accepting; `None` when it could not be started.
    pub up_since: Option<DateTime<Utc>>,
}

/// The ARI link as the status page shows it: up only while the event WebSocket is connected,
/// with the instant of the last change (none once stopped).
pub fn ari_link(state: &ConnectionState) -> LinkStatus {
    match state {
        ConnectionState::Connected { since } => LinkStatus {
            up: true,
            since: Some(*since),
        },
        ConnectionState::Connecting { since, .. } | ConnectionState::Disconnected { since, .. } => {
            LinkStatus {
                up: false,
                since: Some(*since),
            }
        }
        ConnectionState::Stopped => LinkStatus {
            up: false,
            since: None,
        },
    }
}

pub fn agi_link(agi: &AgiStatus) -> LinkStatus {
    LinkStatus {
        up: agi.up_since.is_some(),
        since: agi.up_since,
    }
}

impl PortalBackend {
    pub(super) async fn system_status_impl(&self) -> BackendResult<SystemStatus> {
        let ari = ari_link(&self.ari.borrow());
        Ok(SystemStatus {
            ari,
            agi: agi_link(&self.agi),
            agi_listen: self.agi.listen.clone(),
            queued_fax_jobs: self.queued_fax_jobs().await?,
            pending_wakeups: self.pending_wakeups().await?,
            version: env!("CARGO_PKG_VERSION").to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 8, 0, 0)
            .single()
            .expect("valid time")
    }

    #[test]
    fn connected_ari_is_up_since_it_connected() {
        let link = ari_link(&ConnectionState::Connected { since: t() });
        assert_eq!(
            link,
            LinkStatus {
                up: true,
                since: Some(t())
            }
        );
    }

    #[test]
    fn ari_still_connecting_is_down_since_the_attempts_began() {
        let link = ari_link(&ConnectionState::Connecting {
            since: t(),
            attempt: 3,
        });
        assert!(!link.up);
        assert_eq!(link.since, Some(t()));
    }

    #[test]
    fn stopped_ari_is_down_with_no_time() {
        assert_eq!(
            ari_link(&ConnectionState::Stopped),
            LinkStatus {
                up: false,
                since: None
            }
        );
    }

    #[test]
    fn agi_listener_that_failed_to_bind_is_down() {
        let agi = AgiStatus {
            listen: "127.0.0.1:4573".into(),
            up_since: None,
        };
        assert!(!agi_link(&agi).up);
    }
}
