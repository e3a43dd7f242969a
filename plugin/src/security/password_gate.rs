//! Bounds how many password checks run at once.
//!
//! A password check is argon2: deliberately slow and memory-hungry. Without a bound, a burst
//! of logins runs one check per request in parallel and the process grows with the burst.
//! With it, at most `at_once` checks run (one per core by default); a request waits a moment
//! for its turn and is otherwise answered 503 with `Retry-After`, before any work is done.
//! Not a rate limit: that is [`super::rate_limit`].

use std::time::Duration;

use tokio::sync::{Semaphore, SemaphorePermit};

/// Seconds a refused client is told to wait.
const RETRY_AFTER_SECS: u64 = 1;

#[derive(Debug)]
pub struct PasswordGate {
    permits: Semaphore,
    wait: Duration,
}

/// All checks are taken and none came free within the wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy {
    pub retry_after_secs: u64,
}

impl PasswordGate {
    pub fn new(at_once: usize, wait: Duration) -> PasswordGate {
        PasswordGate {
            permits: Semaphore::new(at_once.max(1)),
            wait,
        }
    }

    /// A turn to check a password; hold it for the duration of the check.
    pub async fn enter(&self) -> Result<SemaphorePermit<'_>, Busy> {
        match tokio::time::timeout(self.wait, self.permits.acquire()).await {
            Ok(Ok(permit)) => Ok(permit),
            // The semaphore is never closed; a timeout is the only real refusal.
            Ok(Err(_)) | Err(_) => Err(Busy {
                retry_after_secs: RETRY_AFTER_SECS,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_check_beyond_the_bound_waits_then_is_refused() {
        let gate = PasswordGate::new(1, Duration::from_millis(20));
        let _first = gate.enter().await.expect("first turn");
        assert_eq!(
            gate.enter().await.err(),
            Some(Busy {
                retry_after_secs: RETRY_AFTER_SECS
            })
        );
    }

    #[tokio::test]
    async fn a_waiting_check_gets_the_turn_that_comes_free() {
        let gate = std::sync::Arc::new(PasswordGate::new(1, Duration::from_secs(2)));
        let first = gate.enter().await.expect("first turn");
        let waiting = {
            let gate = gate.clone();
            tokio::spawn(async move { gate.enter().await.map(drop) })
        };
        tokio::task::yield_now().await;
        drop(first);
        assert_eq!(waiting.await.expect("task"), Ok(()));
    }
}
