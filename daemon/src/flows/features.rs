//! Feature codes dialled from a phone (`*76` toggles do-not-disturb, `*72<number>` forwards
//! every call, ...): the FastAGI script `feature` that the dialplan context
//! `ringside-features` runs with the dialled code and the calling extension.
//!
//! Which code means what comes from `[features]` in the config ([`FeatureCodes`]); matching a
//! dialled code and applying it to the settings are pure ([`parse`], [`apply`]); the handler
//! reads and writes the store and answers with channel variables:
//! `RINGSIDE_FEATURE_SOUND` (`activated`, `de-activated`, or an error sound) and
//! `RINGSIDE_FEATURE_STATUS` (`OK` or `ERROR`). Not here: the lamp of do-not-disturb (see
//! `dnd_lamps`), which the handler only nudges.

use std::sync::Arc;

use tokio::sync::Notify;

use crate::agi::{AgiError, AgiHandler, AgiSession};
use crate::config::FeaturesConfig;
use crate::store::{CallHandling, FollowMeSettings, ForwardKind, Store, StoreError};

pub const VAR_SOUND: &str = "RINGSIDE_FEATURE_SOUND";
pub const VAR_STATUS: &str = "RINGSIDE_FEATURE_STATUS";
/// Asterisk core sounds the caller hears.
pub const SOUND_ON: &str = "activated";
pub const SOUND_OFF: &str = "de-activated";
/// Asterisk's core sound file is spelled this way.
pub const SOUND_ERROR: &str = "an-error-has-occured";

/// What a code does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Feature {
    DndToggle,
    DndOn,
    DndOff,
    ForwardOn(ForwardKind, String),
    ForwardOff(ForwardKind),
    FollowMeToggle,
}

/// The codes, as configured.
pub type FeatureCodes = FeaturesConfig;

/// The feature a dialled code asks for; codes that take a number are a prefix of it. `None`
/// for anything that is not a configured code (or a forward code without a number).
pub fn parse(codes: &FeatureCodes, dialled: &str) -> Option<Feature> {
    let exact = [
        (&codes.dnd_toggle, Feature::DndToggle),
        (&codes.dnd_on, Feature::DndOn),
        (&codes.dnd_off, Feature::DndOff),
        (
            &codes.forward_always_off,
            Feature::ForwardOff(ForwardKind::Always),
        ),
        (
            &codes.forward_busy_off,
            Feature::ForwardOff(ForwardKind::Busy),
        ),
        (
            &codes.forward_no_answer_off,
            Feature::ForwardOff(ForwardKind::NoAnswer),
        ),
        (&codes.followme_toggle, Feature::FollowMeToggle),
    ];
    if let Some((_, f)) = exact
        .into_iter()
        .find(|(c, _)| !c.is_empty() && *c == dialled)
    {
        return Some(f);
    }
    let prefixed = [
        (&codes.forward_always_on, ForwardKind::Always),
        (&codes.forward_busy_on, ForwardKind::Busy),
        (&codes.forward_no_answer_on, ForwardKind::NoAnswer),
    ];
    prefixed.into_iter().find_map(|(code, kind)| {
        let number = dialled
            .strip_prefix(code.as_str())
            .filter(|_| !code.is_empty())?;
        (!number.is_empty()).then(|| Feature::ForwardOn(kind, number.to_owned()))
    })
}

/// Applies a call handling feature; `Some(on)` says whether the caller hears "activated".
/// `None` for the follow-me toggle, which [`toggle_followme`] applies.
pub fn apply(feature: &Feature, h: &mut CallHandling) -> Option<bool> {
    match feature {
        Feature::DndToggle => {
            h.dnd = !h.dnd;
            Some(h.dnd)
        }
        Feature::DndOn => {
            h.dnd = true;
            Some(true)
        }
        Feature::DndOff => {
            h.dnd = false;
            Some(false)
        }
        Feature::ForwardOn(kind, number) => {
            let f = h.forward_mut(*kind);
            f.enabled = true;
            f.number = number.clone();
            Some(true)
        }
        Feature::ForwardOff(kind) => {
            h.forward_mut(*kind).enabled = false;
            Some(false)
        }
        Feature::FollowMeToggle => None,
    }
}

/// Turns follow-me on or off, keeping its steps; `true` when it is now on.
pub fn toggle_followme(s: &mut FollowMeSettings) -> bool {
    s.enabled = !s.enabled;
    s.enabled
}

/// Why a code could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum FeatureError {
    #[error("{0:?} is not a feature code")]
    UnknownCode(String),
    #[error("no user with extension {0:?}")]
    NoSuchUser(String),
    #[error("follow-me of {0} has no steps to ring; set it up in the portal first")]
    FollowMeNotSetUp(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The FastAGI handler for `agi://…/feature,<dialled code>,<calling extension>`.
#[derive(Clone)]
pub struct FeatureHandler {
    store: Store,
    codes: FeatureCodes,
    /// Told after do-not-disturb changed, so the lamp follows at once.
    dnd_changed: Arc<Notify>,
}

impl FeatureHandler {
    pub fn new(store: Store, codes: FeatureCodes, dnd_changed: Arc<Notify>) -> Self {
        Self {
            store,
            codes,
            dnd_changed,
        }
    }

    /// Applies `dialled` for `user`; `Ok(on)` is what the caller hears.
    pub async fn run(&self, dialled: &str, user: &str) -> Result<bool, FeatureError> {
        let feature = parse(&self.codes, dialled)
            .ok_or_else(|| FeatureError::UnknownCode(dialled.to_owned()))?;
        if self.store.user(user).await?.is_none() {
            return Err(FeatureError::NoSuchUser(user.to_owned()));
        }
        if feature == Feature::FollowMeToggle {
            let mut s = self
                .store
                .followme(user)
                .await?
                .filter(|s| !s.steps.is_empty())
                .ok_or_else(|| FeatureError::FollowMeNotSetUp(user.to_owned()))?;
            let on = toggle_followme(&mut s);
            self.store.set_followme(&s).await?;
            return Ok(on);
        }
        let mut on = false;
        self.store
            .update_call_handling(user, |h| on = apply(&feature, h).unwrap_or(false))
            .await?;
        if matches!(
            feature,
            Feature::DndToggle | Feature::DndOn | Feature::DndOff
        ) {
            self.dnd_changed.notify_one();
        }
        Ok(on)
    }
}

#[async_trait::async_trait]
impl AgiHandler for FeatureHandler {
    async fn handle(&self, session: &mut AgiSession) -> Result<(), AgiError> {
        let dialled = session.request().arg(1).unwrap_or("").trim().to_owned();
        let user = session.request().arg(2).unwrap_or("").trim().to_owned();
        match self.run(&dialled, &user).await {
            Ok(on) => {
                tracing::info!(%user, code = %dialled, on, "feature code applied");
                let sound = if on { SOUND_ON } else { SOUND_OFF };
                session.set_variable(VAR_SOUND, sound).await?;
                session.set_variable(VAR_STATUS, "OK").await?;
                Ok(())
            }
            Err(e) => {
                tracing::warn!(%user, code = %dialled, error = %e, "feature code refused");
                session.set_variable(VAR_SOUND, SOUND_ERROR).await?;
                session.set_variable(VAR_STATUS, "ERROR").await?;
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes() -> FeatureCodes {
        FeatureCodes::default()
    }

    #[test]
    fn star_76_toggles_dnd() {
        assert_eq!(parse(&codes(), "*76"), Some(Feature::DndToggle));
    }

    #[test]
    fn star_78_and_79_turn_dnd_on_and_off() {
        assert_eq!(parse(&codes(), "*78"), Some(Feature::DndOn));
        assert_eq!(parse(&codes(), "*79"), Some(Feature::DndOff));
    }

    #[test]
    fn forward_codes_carry_the_number_after_the_code() {
        assert_eq!(
            parse(&codes(), "*720170555"),
            Some(Feature::ForwardOn(ForwardKind::Always, "0170555".into()))
        );
        assert_eq!(
            parse(&codes(), "*902001"),
            Some(Feature::ForwardOn(ForwardKind::Busy, "2001".into()))
        );
        assert_eq!(
            parse(&codes(), "*522002"),
            Some(Feature::ForwardOn(ForwardKind::NoAnswer, "2002".into()))
        );
    }

    #[test]
    fn forward_off_codes_name_their_kind() {
        assert_eq!(
            parse(&codes(), "*73"),
            Some(Feature::ForwardOff(ForwardKind::Always))
        );
        assert_eq!(
            parse(&codes(), "*91"),
            Some(Feature::ForwardOff(ForwardKind::Busy))
        );
        assert_eq!(
            parse(&codes(), "*53"),
            Some(Feature::ForwardOff(ForwardKind::NoAnswer))
        );
    }

    #[test]
    fn star_21_toggles_followme() {
        assert_eq!(parse(&codes(), "*21"), Some(Feature::FollowMeToggle));
    }

    #[test]
    fn forward_on_code_without_a_number_is_no_feature() {
        assert_eq!(parse(&codes(), "*72"), None);
    }

    #[test]
    fn unknown_code_is_no_feature() {
        assert_eq!(parse(&codes(), "*99"), None);
    }

    #[test]
    fn configured_codes_replace_the_defaults() {
        let mut c = codes();
        c.dnd_toggle = "*88".into();
        assert_eq!(parse(&c, "*88"), Some(Feature::DndToggle));
        assert_eq!(parse(&c, "*76"), None);
    }

    #[test]
    fn toggling_dnd_twice_turns_it_back_off() {
        let mut h = CallHandling::new("1001");
        assert_eq!(apply(&Feature::DndToggle, &mut h), Some(true));
        assert_eq!(apply(&Feature::DndToggle, &mut h), Some(false));
        assert!(!h.dnd);
    }

    #[test]
    fn forward_off_keeps_the_number() {
        let mut h = CallHandling::new("1001");
        apply(
            &Feature::ForwardOn(ForwardKind::Busy, "2001".into()),
            &mut h,
        );
        assert_eq!(
            apply(&Feature::ForwardOff(ForwardKind::Busy), &mut h),
            Some(false)
        );
        assert_eq!(h.forward_busy.number, "2001");
        assert!(!h.forward_busy.enabled);
    }
}
