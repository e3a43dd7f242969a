//! Do-not-disturb as a device state, so a phone's busy-lamp key can show it: `BUSY` while a
//! user's do-not-disturb applies (its time rule included), `NOT_INUSE` otherwise, on the ARI
//! device `Stasis:DND<ext>` (Asterisk lets ARI set only devices of its `Stasis:` scheme; a
//! dialplan hint such as `exten => DND1001,hint,Stasis:DND1001` shows it to phones).
//!
//! The state is derived from the store, whoever changed it (CLI, portal, feature code), and
//! from the clock (time rules): a loop compares what each lamp should show with what it last
//! sent and sends the differences, at once when told a change happened, else every tick, and
//! everything again now and then (Asterisk may have restarted). Not here: the setting itself.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::ari::AriClient;
use crate::schedule::Zone;
use crate::store::{CallHandling, Store};

pub const BUSY: &str = "BUSY";
pub const NOT_INUSE: &str = "NOT_INUSE";
/// Ticks between sending every lamp again.
const RESEND_EVERY: u32 = 20;

/// The ARI device name of a user's do-not-disturb lamp.
pub fn device_name(extension: &str) -> String {
    format!("Stasis:DND{extension}")
}

/// What the lamp shows at `now`. A time zone that cannot be read shows plain on/off.
pub fn lamp_state(h: &CallHandling, now: DateTime<Utc>) -> &'static str {
    let applies = match (&h.dnd_rule, Zone::parse(&h.time_zone)) {
        (Some(rule), Ok(zone)) => rule.applies(&zone, now),
        _ => true,
    };
    if h.dnd && applies { BUSY } else { NOT_INUSE }
}

/// Keeps every lamp in step until `stop`.
pub async fn run(
    client: AriClient,
    store: Store,
    changed: Arc<Notify>,
    tick: Duration,
    stop: CancellationToken,
) {
    let mut sent: HashMap<String, &'static str> = HashMap::new();
    let mut ticks = 0u32;
    loop {
        ticks += 1;
        if ticks >= RESEND_EVERY {
            ticks = 0;
            sent.clear();
        }
        sync(&client, &store, &mut sent).await;
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = changed.notified() => {}
            _ = tokio::time::sleep(tick) => {}
        }
    }
}

/// Sends each lamp whose state differs from the one last sent.
pub async fn sync(client: &AriClient, store: &Store, sent: &mut HashMap<String, &'static str>) {
    let all = match store.all_call_handling().await {
        Ok(all) => all,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read do-not-disturb settings for the lamps");
            return;
        }
    };
    let now = Utc::now();
    for h in all {
        let state = lamp_state(&h, now);
        if sent.get(&h.extension) == Some(&state) {
            continue;
        }
        let device = device_name(&h.extension);
        match client.set_device_state(&device, state).await {
            Ok(()) => {
                tracing::debug!(%device, state, "do-not-disturb lamp set");
                sent.insert(h.extension, state);
            }
            // Not sent: tried again on the next tick.
            Err(e) => tracing::debug!(%device, error = %e, "cannot set the do-not-disturb lamp"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::TimeRule;
    use chrono::TimeZone;

    fn monday_morning() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 5, 10, 0, 0)
            .single()
            .expect("time")
    }

    #[test]
    fn lamp_is_busy_while_dnd_is_on() {
        let mut h = CallHandling::new("1001");
        h.dnd = true;
        assert_eq!(lamp_state(&h, monday_morning()), BUSY);
    }

    #[test]
    fn lamp_is_not_in_use_while_dnd_is_off() {
        assert_eq!(
            lamp_state(&CallHandling::new("1001"), monday_morning()),
            NOT_INUSE
        );
    }

    #[test]
    fn lamp_follows_the_dnd_time_rule() {
        let mut h = CallHandling::new("1001");
        h.dnd = true;
        h.dnd_rule = Some(TimeRule {
            window: "sat,sun,00:00-24:00".parse().expect("window"),
            outside: false,
        });
        assert_eq!(lamp_state(&h, monday_morning()), NOT_INUSE);
    }

    #[test]
    fn device_name_is_in_the_stasis_scheme() {
        assert_eq!(device_name("1001"), "Stasis:DND1001");
    }
}
