//! Periodic clean-up for the portal: removes expired login sessions from the store so the
//! table does not grow with every login. Not the expiry check itself: an expired session is
//! refused at once whether or not it has been swept yet.

use std::time::Duration;

use chrono::Utc;
use tokio_util::sync::CancellationToken;

use crate::store::Store;

/// How often expired sessions are removed.
pub const SESSION_SWEEP_EVERY: Duration = Duration::from_secs(3600);

/// Deletes expired sessions now and then every `every`, until `stop`.
pub async fn sweep_expired_sessions(store: Store, every: Duration, stop: CancellationToken) {
    loop {
        match store.delete_expired_sessions(Utc::now()).await {
            Ok(0) => {}
            Ok(removed) => tracing::debug!(removed, "expired portal sessions removed"),
            Err(err) => tracing::warn!(%err, "cannot remove expired portal sessions"),
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::NewUser;

    #[tokio::test]
    async fn expired_session_is_removed_and_a_live_one_kept() {
        let store = Store::connect("sqlite::memory:").await.expect("store");
        store
            .create_user(&NewUser::new("201", "Alice"))
            .await
            .expect("user");
        let long_ago = Utc::now() - chrono::Duration::days(2);
        let expired = store
            .create_session("201", chrono::Duration::hours(1), long_ago)
            .await
            .expect("expired session");
        let live = store
            .create_session("201", chrono::Duration::hours(1), Utc::now())
            .await
            .expect("live session");
        let stop = CancellationToken::new();
        let sweeper = tokio::spawn(sweep_expired_sessions(
            store.clone(),
            Duration::from_secs(3600),
            stop.clone(),
        ));
        // The first sweep runs at once; asking as of `long_ago` shows whether the row is there.
        let mut gone = false;
        for _ in 0..100 {
            if store
                .session(&expired.id, long_ago)
                .await
                .expect("lookup")
                .is_none()
            {
                gone = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        stop.cancel();
        sweeper.await.expect("sweeper stops");
        assert!(gone, "expired session removed");
        assert!(
            store
                .session(&live.id, Utc::now())
                .await
                .expect("lookup")
                .is_some()
        );
    }
}
