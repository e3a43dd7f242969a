//! Channel operations on a channel just made through `channels/create`, retried while
//! Asterisk says the channel is not in Stasis yet.
//!
//! `channels/create` answers before the channel's StasisStart has been processed; until it
//! has, Asterisk refuses `dial` and every other channel operation with 409 "Channel not in
//! Stasis application". A loaded or just-restarted Asterisk loses that race now and then, and
//! a call must not be lost to it: that one refusal means "not yet", so the operation is tried
//! again for a short while. Every other error is returned at once; this is not a general
//! retry policy.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use crate::ari::AriError;

/// How long a created channel may take to enter Stasis before the refusal counts.
pub const PATIENCE: Duration = Duration::from_secs(3);

const FIRST_PAUSE: Duration = Duration::from_millis(10);
const LONGEST_PAUSE: Duration = Duration::from_millis(200);

/// Whether Asterisk refused because the channel has not entered Stasis yet (Asterisk 22's
/// words, and the older "not in a Stasis application").
pub fn is_not_in_stasis_yet(error: &AriError) -> bool {
    match error {
        AriError::Conflict(message) => {
            let m = message.to_ascii_lowercase();
            m.contains("not in stasis") || m.contains("not in a stasis")
        }
        _ => false,
    }
}

/// Runs `op` until it succeeds, fails otherwise than "not in Stasis yet", or `patience` has
/// passed (then the last refusal is returned). Pauses double from 10 ms up to 200 ms.
pub async fn once_in_stasis<T, F, Fut>(patience: Duration, mut op: F) -> Result<T, AriError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, AriError>>,
{
    let deadline = Instant::now() + patience;
    let mut pause = FIRST_PAUSE;
    loop {
        match op().await {
            Err(e) if is_not_in_stasis_yet(&e) && Instant::now() + pause <= deadline => {
                tracing::debug!(error = %e, "channel not in Stasis yet; trying again");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(LONGEST_PAUSE);
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    fn not_in_stasis() -> AriError {
        AriError::Conflict("Channel not in Stasis application".into())
    }

    #[test]
    fn the_refusal_asterisk_sends_before_stasis_start_means_not_yet() {
        assert!(is_not_in_stasis_yet(&not_in_stasis()));
        assert!(is_not_in_stasis_yet(&AriError::Conflict(
            "Channel is not in a Stasis application".into()
        )));
    }

    #[test]
    fn other_conflicts_are_real_refusals() {
        assert!(!is_not_in_stasis_yet(&AriError::Conflict(
            "Channel is not in the 'Down' state".into()
        )));
        assert!(!is_not_in_stasis_yet(&AriError::NotFound(
            "Channel not found".into()
        )));
    }

    #[tokio::test]
    async fn an_operation_refused_until_stasis_start_succeeds_once_in_stasis() {
        let tries = AtomicU32::new(0);
        let result = once_in_stasis(PATIENCE, || async {
            if tries.fetch_add(1, Ordering::SeqCst) < 3 {
                Err(not_in_stasis())
            } else {
                Ok("dialled")
            }
        })
        .await;
        assert_eq!(result, Ok("dialled"));
        assert_eq!(tries.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn any_other_error_is_returned_at_once() {
        let tries = AtomicU32::new(0);
        let result: Result<(), _> = once_in_stasis(PATIENCE, || async {
            tries.fetch_add(1, Ordering::SeqCst);
            Err(AriError::NotFound("Channel not found".into()))
        })
        .await;
        assert!(matches!(result, Err(AriError::NotFound(_))));
        assert_eq!(tries.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_channel_that_never_enters_stasis_is_given_up_with_the_refusal() {
        let tries = AtomicU32::new(0);
        let result: Result<(), _> = once_in_stasis(Duration::from_millis(50), || async {
            tries.fetch_add(1, Ordering::SeqCst);
            Err(not_in_stasis())
        })
        .await;
        assert_eq!(result, Err(not_in_stasis()));
        assert!(
            tries.load(Ordering::SeqCst) > 1,
            "tried again before giving up"
        );
    }
}
