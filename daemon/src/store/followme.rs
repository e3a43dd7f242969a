//! Follow-me settings per extension.

use serde::{Deserialize, Serialize};

/// One step of follow-me: every number in it rings together for `ring_secs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowMeStep {
    /// Extensions or external numbers, kept as strings (a leading 0 matters).
    pub numbers: Vec<String>,
    pub ring_secs: u32,
}

/// Which caller ID external legs show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallerIdMode {
    /// The original caller's number (the callee sees who is calling).
    #[default]
    Caller,
    /// The user's own extension (the callee sees the call comes through the PBX).
    Extension,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowMeSettings {
    pub extension: String,
    pub enabled: bool,
    /// Seconds to ring the user's own device(s) first; 0 skips them.
    pub initial_ring_secs: u32,
    pub steps: Vec<FollowMeStep>,
    /// Callee must press 1 to accept (so a mobile voicemail never takes the call).
    pub confirm: bool,
    /// Caller hears music on hold instead of ringing.
    pub moh: bool,
    pub caller_id: CallerIdMode,
}

impl FollowMeSettings {
    /// Follow-me switched off with nothing planned: what an extension that never set it has.
    pub fn off(extension: impl Into<String>) -> FollowMeSettings {
        FollowMeSettings {
            extension: extension.into(),
            enabled: false,
            initial_ring_secs: 0,
            steps: Vec::new(),
            confirm: false,
            moh: false,
            caller_id: CallerIdMode::Caller,
        }
    }

    /// Follow-me switched on: the own device rings `initial_ring_secs`, then each step of
    /// `(numbers, ring seconds)` in turn, with the defaults a new user gets (no confirmation,
    /// ringing rather than music, the caller's own number shown).
    pub fn ringing(
        extension: impl Into<String>,
        initial_ring_secs: u32,
        steps: &[(&[&str], u32)],
    ) -> FollowMeSettings {
        FollowMeSettings {
            enabled: true,
            initial_ring_secs,
            steps: steps
                .iter()
                .map(|(numbers, ring_secs)| FollowMeStep {
                    numbers: numbers.iter().map(|n| (*n).to_owned()).collect(),
                    ring_secs: *ring_secs,
                })
                .collect(),
            ..FollowMeSettings::off(extension)
        }
    }
}

use super::{Store, StoreError};
use sqlx::Row;

impl Store {
    /// The extension's follow-me settings, or `None` when it has never had any.
    pub async fn followme(&self, extension: &str) -> Result<Option<FollowMeSettings>, StoreError> {
        let row = sqlx::query(
            "SELECT enabled, initial_ring_secs, steps_json, confirm, moh, caller_id \
             FROM followme WHERE extension = $1",
        )
        .bind(extension)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let steps_json: String = row.try_get("steps_json")?;
        let steps: Vec<FollowMeStep> = serde_json::from_str(&steps_json)
            .map_err(|e| StoreError::Corrupt(format!("follow-me steps of {extension}: {e}")))?;
        let caller_id: String = row.try_get("caller_id")?;
        Ok(Some(FollowMeSettings {
            extension: extension.to_owned(),
            enabled: row.try_get::<i64, _>("enabled")? != 0,
            initial_ring_secs: u32::try_from(row.try_get::<i64, _>("initial_ring_secs")?)
                .unwrap_or(0),
            steps,
            confirm: row.try_get::<i64, _>("confirm")? != 0,
            moh: row.try_get::<i64, _>("moh")? != 0,
            caller_id: match caller_id.as_str() {
                "extension" => CallerIdMode::Extension,
                _ => CallerIdMode::Caller,
            },
        }))
    }

    /// Creates or replaces the extension's follow-me settings.
    pub async fn set_followme(&self, s: &FollowMeSettings) -> Result<(), StoreError> {
        let steps_json = serde_json::to_string(&s.steps)
            .map_err(|e| StoreError::Corrupt(format!("follow-me steps: {e}")))?;
        let caller_id = match s.caller_id {
            CallerIdMode::Caller => "caller",
            CallerIdMode::Extension => "extension",
        };
        sqlx::query(
            "INSERT INTO followme (extension, enabled, initial_ring_secs, steps_json, confirm, moh, caller_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (extension) DO UPDATE SET enabled = excluded.enabled, \
             initial_ring_secs = excluded.initial_ring_secs, steps_json = excluded.steps_json, \
             confirm = excluded.confirm, moh = excluded.moh, caller_id = excluded.caller_id",
        )
        .bind(&s.extension)
        .bind(i64::from(s.enabled))
        .bind(i64::from(s.initial_ring_secs))
        .bind(steps_json)
        .bind(i64::from(s.confirm))
        .bind(i64::from(s.moh))
        .bind(caller_id)
        .execute(self.pool())
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn store_with_user(ext: &str) -> Store {
        let store = Store::connect("sqlite::memory:")
            .await
            .expect("in-memory sqlite");
        sqlx::query("INSERT INTO users (extension, display_name, created_at) VALUES ($1, $2, 0)")
            .bind(ext)
            .bind("Test")
            .execute(store.pool())
            .await
            .expect("insert user");
        store
    }

    #[tokio::test]
    async fn followme_settings_round_trip_keeps_leading_zeros() {
        let store = store_with_user("1001").await;
        let settings = FollowMeSettings {
            extension: "1001".into(),
            enabled: true,
            initial_ring_secs: 5,
            steps: vec![
                FollowMeStep {
                    numbers: vec!["2001".into(), "2002".into()],
                    ring_secs: 20,
                },
                FollowMeStep {
                    numbers: vec!["0049301234".into()],
                    ring_secs: 15,
                },
            ],
            confirm: true,
            moh: false,
            caller_id: CallerIdMode::Extension,
        };
        store.set_followme(&settings).await.expect("save");
        assert_eq!(store.followme("1001").await.expect("load"), Some(settings));
    }

    #[tokio::test]
    async fn extension_without_followme_has_none() {
        let store = store_with_user("1001").await;
        assert_eq!(store.followme("1001").await.expect("load"), None);
    }
}
