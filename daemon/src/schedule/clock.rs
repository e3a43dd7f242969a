//! The scheduler's notion of time, injectable: the wall clock in the daemon, a manual clock in
//! tests (which then never sleep for real).

use std::future::Future;
use std::pin::Pin;

use chrono::{DateTime, Duration, Utc};
use tokio::sync::watch;

pub type SleepFuture<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
    /// Completes once `now() >= at` (at once if that is already so).
    fn sleep_until(&self, at: DateTime<Utc>) -> SleepFuture<'_>;
}

/// Wall-clock time.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

/// Longest single sleep: the wall clock can be stepped (NTP, suspend) while tokio's monotonic
/// timer keeps counting, so long waits are cut into slices and re-checked.
const MAX_SLICE: std::time::Duration = std::time::Duration::from_secs(30);

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn sleep_until(&self, at: DateTime<Utc>) -> SleepFuture<'_> {
        Box::pin(async move {
            loop {
                let left = at - Utc::now();
                let Ok(left) = left.to_std() else { return };
                if left.is_zero() {
                    return;
                }
                tokio::time::sleep(left.min(MAX_SLICE)).await;
            }
        })
    }
}

/// A clock that moves only when told to.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: watch::Sender<DateTime<Utc>>,
}

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        Self {
            now: watch::Sender::new(start),
        }
    }

    pub fn set(&self, t: DateTime<Utc>) {
        self.now.send_replace(t);
    }

    pub fn advance(&self, by: Duration) {
        self.now.send_modify(|t| *t += by);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.borrow()
    }

    fn sleep_until(&self, at: DateTime<Utc>) -> SleepFuture<'_> {
        let mut rx = self.now.subscribe();
        Box::pin(async move {
            // The sender lives in `self`, which outlives this future: `wait_for` cannot fail.
            let _ = rx.wait_for(|now| *now >= at).await;
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn manual_sleep_completes_only_when_the_clock_reaches_the_instant() {
        let start = DateTime::from_timestamp(1_000_000, 0).expect("valid");
        let clock = ManualClock::new(start);
        let mut sleep = clock.sleep_until(start + Duration::seconds(60));
        assert!(futures_util::poll!(&mut sleep).is_pending());
        clock.advance(Duration::seconds(59));
        assert!(futures_util::poll!(&mut sleep).is_pending());
        clock.advance(Duration::seconds(1));
        assert!(futures_util::poll!(&mut sleep).is_ready());
    }

    #[tokio::test]
    async fn sleeping_until_the_past_returns_at_once() {
        let start = DateTime::from_timestamp(1_000_000, 0).expect("valid");
        let clock = ManualClock::new(start);
        assert!(futures_util::poll!(clock.sleep_until(start - Duration::seconds(1))).is_ready());
    }
}
