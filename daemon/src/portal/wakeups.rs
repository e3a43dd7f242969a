//! Wakeup calls for the portal: the portal's wakeup spec to the store's and back, the store's
//! rule errors as messages next to each form field, and the attempt history. Scheduling and
//! calling are [`crate::schedule`]'s and [`crate::flows::wakeup`]'s; storage is
//! [`crate::store::wakeups`].

use chrono::Utc;
use ringside_portal::model::{
    PromptChoice, Wakeup, WakeupAttempt, WakeupCalls, WakeupId, WakeupOutcome, WakeupSchedule,
    WakeupSpec,
};
use ringside_portal::{BackendError, BackendResult, FieldError};
use sqlx::Row;

use bytes::Bytes;
use ringside_portal::model::own_prompt_name;

use super::PortalBackend;
use super::errors;
use super::greetings::{plain_reason, stage_upload, staged_name};
use crate::schedule::prompt::{
    DEFAULT_PROMPT, PromptCatalog, PromptError, SoundDirs, wakeup_sounds_found,
};
use crate::schedule::{Outcome, Rule, RuleError, WeekdaySet, Zone};
use crate::store::wakeups::{self as stored, WakeupError};
use crate::user_prompts::{UserPromptError, UserPromptFiles};

/// Call settings the portal does not edit; a new wakeup starts with the CLI's defaults and an
/// edited one keeps what it had.
const RING_SECS: u32 = 30;
const RETRIES: i64 = 3;
const RETRY_INTERVAL_MINS: u32 = 1;
const SNOOZE_MINS: u32 = 5;
/// Most prompts one user may keep (a prompt replaced under its name does not count).
const PROMPTS_PER_USER: usize = 20;
/// Attempts shown on a wakeup's page.
const HISTORY_LIMIT: u32 = 100;

fn invalid(field: &str, message: impl Into<String>) -> BackendError {
    BackendError::Validation(vec![FieldError::new(field, message)])
}

/// The same words whether the extension does not exist or is not the user's to call, so that
/// the answer does not tell which extensions exist.
fn not_callable(member: &str) -> BackendError {
    invalid(
        "members",
        format!("{member:?} is not an extension you may call"),
    )
}

/// The extensions a user's wakeup calls: their own when none is given. Other extensions only
/// with the administrator's grant (whether each exists is then checked by the store, with the
/// same message); an extension listed twice is refused.
pub fn members_for(
    owner: &str,
    requested: &[String],
    may_wake_others: bool,
) -> Result<Vec<String>, BackendError> {
    let mut members: Vec<String> = Vec::new();
    for member in requested.iter().map(|m| m.trim()).filter(|m| !m.is_empty()) {
        if members.iter().any(|m| m == member) {
            return Err(invalid(
                "members",
                format!("extension {member:?} is listed twice"),
            ));
        }
        if member != owner && !may_wake_others {
            return Err(not_callable(member));
        }
        members.push(member.to_owned());
    }
    if members.is_empty() {
        members.push(owner.to_owned());
    }
    Ok(members)
}

/// Prompts a user may choose: a name among the system's sounds and the prompts uploaded to the
/// daemon, never a path (which could name any file the daemon can read, another user's
/// voicemail included). A prompt the wakeup already has is kept as it is, so that a wakeup an
/// operator set up with an uploaded file's path can still be edited.
/// A prompt in the users' folder is the wakeup owner's own upload or refused, with the same
/// words as a missing one, so that nobody learns (or plays) another user's prompts.
struct UserPrompts<'a> {
    sounds: SoundDirs,
    kept: Option<&'a str>,
    owner: &'a str,
    uploads: Option<&'a UserPromptFiles>,
}

impl PromptCatalog for UserPrompts<'_> {
    fn check(&self, prompt: &str) -> Result<(), PromptError> {
        if self.kept == Some(prompt) {
            return Ok(());
        }
        if let Some((owner, name)) = UserPromptFiles::owner_and_name(prompt) {
            let own = owner == self.owner && self.uploads.is_some_and(|u| u.exists(owner, name));
            return if own {
                Ok(())
            } else {
                Err(PromptError::Missing(prompt.to_owned()))
            };
        }
        if prompt.starts_with('/') || prompt.contains('\\') {
            return Err(PromptError::BadName(prompt.to_owned()));
        }
        self.sounds.check(prompt)
    }
}

/// A prompt operation's failure as the user sees it. A folder that cannot be read or written
/// is the server's state, not the user's input: it is logged with its path and answered
/// "unavailable" in plain words (prompts live in Asterisk's sounds folder, so Ringside must run
/// on Asterisk's host with write access there).
fn prompt_folder_error(err: UserPromptError) -> BackendError {
    match err {
        UserPromptError::Io(_) => {
            tracing::warn!(error = %err, "users' wakeup prompt folder cannot be used");
            BackendError::Unavailable(
                "your prompts cannot be changed on this server right now: Asterisk's sounds \
                 folder cannot be written; please tell your administrator"
                    .into(),
            )
        }
        other => BackendError::Rejected(other.to_string()),
    }
}

/// A user's upload `name` as the picker offers it.
fn own_choice(owner: &str, name: String) -> PromptChoice {
    PromptChoice {
        name: UserPromptFiles::sound_name(owner, &name),
        label: format!("Your prompt: {name}"),
        own_name: Some(name),
    }
}

/// The portal's spec as the store's, keeping `base`'s call settings.
pub fn spec_from_api(
    owner: &str,
    spec: &WakeupSpec,
    base: Option<&stored::WakeupSpec>,
) -> Result<stored::WakeupSpec, BackendError> {
    let tz = Zone::parse(&spec.time_zone).map_err(|_| {
        invalid(
            "time_zone",
            format!(
                "unknown time zone {:?}: use a name such as Europe/Berlin",
                spec.time_zone
            ),
        )
    })?;
    let rule = match &spec.schedule {
        WakeupSchedule::Once { date, time } => Rule::Once {
            date: *date,
            time: *time,
        },
        WakeupSchedule::Weekly { days, time } => Rule::Weekly {
            days: WeekdaySet::new(days.iter().copied()),
            time: *time,
        },
    };
    let members = spec
        .members
        .iter()
        .map(|m| m.trim().to_owned())
        .filter(|m| !m.is_empty())
        .collect();
    if spec.name.chars().any(char::is_control) {
        return Err(invalid(
            "name",
            "the name must not contain control characters (such as a line break)",
        ));
    }
    Ok(stored::WakeupSpec {
        owner: owner.to_owned(),
        name: spec.name.trim().to_owned(),
        enabled: spec.enabled,
        prompt: spec.prompt.trim().to_owned(),
        rule,
        tz,
        members,
        ring_secs: spec
            .calls
            .ring_secs
            .unwrap_or_else(|| base.map_or(RING_SECS, |b| b.ring_secs)),
        retries: spec
            .calls
            .retries
            .map(i64::from)
            .unwrap_or_else(|| base.map_or(RETRIES, |b| b.retries)),
        retry_interval_mins: spec
            .calls
            .retry_interval_mins
            .unwrap_or_else(|| base.map_or(RETRY_INTERVAL_MINS, |b| b.retry_interval_mins)),
        snooze_mins: spec
            .calls
            .snooze_mins
            .unwrap_or_else(|| base.map_or(SNOOZE_MINS, |b| b.snooze_mins)),
    })
}

pub fn wakeup_to_api(w: stored::Wakeup) -> Wakeup {
    let schedule = match w.spec.rule {
        Rule::Once { date, time } => WakeupSchedule::Once { date, time },
        Rule::Weekly { days, time } => WakeupSchedule::Weekly {
            days: days.iter().collect(),
            time,
        },
    };
    Wakeup {
        id: w.id,
        owner: w.spec.owner,
        spec: WakeupSpec {
            name: w.spec.name,
            prompt: w.spec.prompt,
            schedule,
            time_zone: w.spec.tz.name().to_owned(),
            members: w.spec.members,
            enabled: w.spec.enabled,
            calls: WakeupCalls {
                ring_secs: Some(w.spec.ring_secs),
                retries: u32::try_from(w.spec.retries).ok(),
                retry_interval_mins: Some(w.spec.retry_interval_mins),
                snooze_mins: Some(w.spec.snooze_mins),
            },
        },
        next_due: w.next_fire_at,
    }
}

pub fn outcome_to_api(outcome: Outcome) -> WakeupOutcome {
    match outcome {
        Outcome::Answered => WakeupOutcome::Answered,
        Outcome::Acknowledged => WakeupOutcome::Dismissed,
        Outcome::Snoozed => WakeupOutcome::Snoozed,
        Outcome::Busy => WakeupOutcome::Busy,
        Outcome::NoAnswer => WakeupOutcome::NoAnswer,
        Outcome::Failed => WakeupOutcome::Failed,
        Outcome::Missed => WakeupOutcome::Missed,
    }
}

/// The store's objection as a message on the field the user must change.
pub fn error_to_api(err: WakeupError) -> BackendError {
    let err = match err {
        WakeupError::Store(inner) => return errors::store(inner),
        other => other,
    };
    let field = match &err {
        WakeupError::Rule(RuleError::Date(_)) | WakeupError::InThePast { .. } => "date",
        WakeupError::Rule(RuleError::Time(_)) => "time",
        WakeupError::Rule(RuleError::Day(_) | RuleError::NoDays) => "days",
        WakeupError::Rule(RuleError::TimeZone(_)) => "time_zone",
        WakeupError::Rule(RuleError::Syntax(_)) => "schedule",
        WakeupError::Prompt(_) => "prompt",
        WakeupError::Name => "name",
        WakeupError::UnknownMember(member) => return not_callable(member),
        WakeupError::NoMembers | WakeupError::TooManyMembers(_) => "members",
        WakeupError::NotFound(_) => return BackendError::NotFound,
        WakeupError::UnknownOwner(_) => return BackendError::Rejected(err.to_string()),
        WakeupError::Retries(_) => "retries",
        WakeupError::RingTime(_) => "ring_secs",
        WakeupError::RetryInterval(_) => "retry_interval_mins",
        WakeupError::Snooze(_) => "snooze_mins",
        WakeupError::Store(_) => return BackendError::Internal(err.to_string()),
    };
    invalid(field, err.to_string())
}

/// An attempt's detail in the user's terms. Hangup causes are the phone system's own words
/// and are shown; anything else may carry operator internals (the ARI URL, file paths, error
/// chains), which stay in the log the call flow writes, so the user gets a plain sentence.
pub fn shown_detail(outcome: Outcome, detail: &str) -> String {
    let detail = detail.trim();
    if detail.is_empty() || (detail.starts_with("cause ") && !detail.contains("://")) {
        return detail.to_owned();
    }
    match outcome {
        Outcome::Missed => "the wakeup service was not running when the call was due".into(),
        Outcome::Failed => "the call could not be made because of a problem on the phone \
                            system; your administrator can find the details in the log"
            .into(),
        _ => String::new(),
    }
}

fn attempts_to_api(attempts: Vec<stored::Attempt>) -> Vec<WakeupAttempt> {
    attempts
        .into_iter()
        // A call still ringing has no outcome yet; the history lists finished attempts.
        .filter_map(|a| {
            a.outcome.map(|outcome| WakeupAttempt {
                at: a.started_at,
                member: a.member,
                outcome: outcome_to_api(outcome),
                detail: shown_detail(outcome, &a.detail),
            })
        })
        .collect()
}

impl PortalBackend {
    /// Where sounds are looked up: the same folders as the CLI and `check`, the configured
    /// sounds directory included.
    fn prompts(&self) -> SoundDirs {
        match &self.user_prompts {
            Some(files) => SoundDirs::configured(&self.data_dir, files.sounds_dir()),
            None => SoundDirs::standard(&self.data_dir),
        }
    }

    pub(super) async fn pending_wakeups(&self) -> BackendResult<u64> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM wakeups WHERE enabled = 1 AND next_fire_at IS NOT NULL",
        )
        .fetch_one(self.store.pool())
        .await
        .map_err(|e| BackendError::Internal(format!("counting wakeups: {e}")))?;
        let n: i64 = row
            .try_get("n")
            .map_err(|e| BackendError::Internal(format!("counting wakeups: {e}")))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    pub(super) async fn wakeups_impl(&self, extension: &str) -> BackendResult<Vec<Wakeup>> {
        let list = self
            .store
            .list_wakeups(extension)
            .await
            .map_err(error_to_api)?;
        Ok(list.into_iter().map(wakeup_to_api).collect())
    }

    pub(super) async fn wakeup_impl(&self, id: WakeupId) -> BackendResult<Option<Wakeup>> {
        match self.store.wakeup(None, id).await {
            Ok(w) => Ok(Some(wakeup_to_api(w))),
            Err(WakeupError::NotFound(_)) => Ok(None),
            Err(err) => Err(error_to_api(err)),
        }
    }

    async fn may_wake_others(&self, extension: &str) -> BackendResult<bool> {
        self.store
            .may_wake_others(extension)
            .await
            .map_err(errors::store)
    }

    pub(super) async fn create_wakeup_impl(
        &self,
        extension: &str,
        spec: &WakeupSpec,
    ) -> BackendResult<Wakeup> {
        let mut spec = spec_from_api(extension, spec, None)?;
        spec.members = members_for(
            extension,
            &spec.members,
            self.may_wake_others(extension).await?,
        )?;
        let have = self
            .store
            .list_wakeups(extension)
            .await
            .map_err(error_to_api)?
            .len();
        if have >= self.limits.wakeups_per_user {
            return Err(BackendError::Rejected(format!(
                "you already have {have} wakeup calls, the most allowed; delete one first"
            )));
        }
        let prompts = UserPrompts {
            sounds: self.prompts(),
            kept: None,
            owner: extension,
            uploads: self.user_prompts.as_ref(),
        };
        let created = self
            .store
            .create_wakeup(&spec, &prompts, Utc::now())
            .await
            .map_err(error_to_api)?;
        Ok(wakeup_to_api(created))
    }

    pub(super) async fn update_wakeup_impl(
        &self,
        id: WakeupId,
        spec: &WakeupSpec,
    ) -> BackendResult<Wakeup> {
        let current = self.store.wakeup(None, id).await.map_err(error_to_api)?;
        let owner = current.spec.owner.as_str();
        let mut spec = spec_from_api(owner, spec, Some(&current.spec))?;
        spec.members = members_for(owner, &spec.members, self.may_wake_others(owner).await?)?;
        let prompts = UserPrompts {
            sounds: self.prompts(),
            kept: Some(current.spec.prompt.as_str()),
            owner,
            uploads: self.user_prompts.as_ref(),
        };
        let updated = self
            .store
            .update_wakeup(None, id, &spec, &prompts, Utc::now())
            .await
            .map_err(error_to_api)?;
        Ok(wakeup_to_api(updated))
    }

    pub(super) async fn set_wakeup_enabled_impl(
        &self,
        id: WakeupId,
        enabled: bool,
    ) -> BackendResult<Wakeup> {
        let changed = self
            .store
            .set_wakeup_enabled(None, id, enabled, Utc::now())
            .await
            .map_err(error_to_api)?;
        Ok(wakeup_to_api(changed))
    }

    /// Ringside's default prompt, then Asterisk's wakeup sounds installed on this host, then
    /// the user's own uploads.
    pub(super) async fn wakeup_prompts_impl(
        &self,
        extension: &str,
    ) -> BackendResult<Vec<PromptChoice>> {
        let default = PromptChoice {
            name: DEFAULT_PROMPT.to_owned(),
            label: "Ringside's default wakeup prompt".to_owned(),
            own_name: None,
        };
        let found = wakeup_sounds_found(&self.prompts())
            .into_iter()
            .map(|name| PromptChoice {
                name: name.to_owned(),
                label: format!("System sound: {name}"),
                own_name: None,
            });
        let own = match &self.user_prompts {
            Some(files) => {
                let (files, owner) = (files.clone(), extension.to_owned());
                let listed = tokio::task::spawn_blocking(move || files.list(&owner))
                    .await
                    .map_err(|e| BackendError::Internal(format!("prompt listing failed: {e}")))?;
                // The wakeup page must keep working when the sounds folder does not (Ringside
                // away from Asterisk's host, a permission lost): it offers no own prompts.
                listed.unwrap_or_else(|err| {
                    tracing::warn!(error = %err, "users' wakeup prompts cannot be listed");
                    Vec::new()
                })
            }
            None => Vec::new(),
        };
        let own = own.into_iter().map(|name| own_choice(extension, name));
        Ok(std::iter::once(default).chain(found).chain(own).collect())
    }

    fn user_prompt_files(&self) -> BackendResult<UserPromptFiles> {
        self.user_prompts.clone().ok_or_else(|| {
            BackendError::Unavailable(
                "uploaded wakeup prompts are not set up on this server".into(),
            )
        })
    }

    pub(super) async fn upload_wakeup_prompt_impl(
        &self,
        extension: &str,
        typed: &str,
        file_name: &str,
        audio: Bytes,
    ) -> BackendResult<PromptChoice> {
        let name = own_prompt_name(typed, file_name).map_err(|m| invalid("name", m))?;
        let files = self.user_prompt_files()?;
        let have = files.list(extension).map_err(prompt_folder_error)?;
        if have.len() >= PROMPTS_PER_USER && !have.contains(&name) {
            return Err(BackendError::Rejected(format!(
                "you already have {PROMPTS_PER_USER} prompts, the most allowed; delete one first"
            )));
        }
        let converter = self.converter.clone();
        let staging_dir = self.staging_dir.clone();
        let shown_name = staged_name(file_name);
        let owner = extension.to_owned();
        let choice = own_choice(extension, name.clone());
        tokio::task::spawn_blocking(move || {
            let (_stage, staged) = stage_upload(&staging_dir, ".prompt-", &shown_name, &audio)?;
            files
                .upload(&owner, &name, &staged, &converter)
                .map_err(|err| match err {
                    UserPromptError::Convert { reason } => BackendError::Rejected(format!(
                        "prompt not changed: {}",
                        plain_reason(&reason.to_string(), &staged, &shown_name)
                    )),
                    err => prompt_folder_error(err),
                })?;
            tracing::info!(owner = %owner, prompt = %name, "wakeup prompt uploaded from the portal");
            Ok(choice)
        })
        .await
        .map_err(|e| BackendError::Internal(format!("prompt upload task failed: {e}")))?
    }

    pub(super) async fn delete_wakeup_prompt_impl(
        &self,
        extension: &str,
        own_name: &str,
    ) -> BackendResult<()> {
        let files = self.user_prompt_files()?;
        let (owner, name) = (extension.to_owned(), own_name.to_owned());
        let removed = tokio::task::spawn_blocking(move || files.remove(&owner, &name))
            .await
            .map_err(|e| BackendError::Internal(format!("prompt delete task failed: {e}")))?;
        match removed {
            Ok(true) => Ok(()),
            // A name that cannot exist is as missing as one that does not.
            Ok(false) | Err(UserPromptError::BadName(_) | UserPromptError::BadOwner(_)) => {
                Err(BackendError::NotFound)
            }
            Err(e) => Err(prompt_folder_error(e)),
        }
    }

    pub(super) async fn delete_wakeup_impl(&self, id: WakeupId) -> BackendResult<()> {
        self.store
            .delete_wakeup(None, id)
            .await
            .map_err(error_to_api)
    }

    pub(super) async fn wakeup_attempts_impl(
        &self,
        id: WakeupId,
    ) -> BackendResult<Vec<WakeupAttempt>> {
        let attempts = self
            .store
            .wakeup_history(None, id, HISTORY_LIMIT)
            .await
            .map_err(error_to_api)?;
        Ok(attempts_to_api(attempts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, NaiveTime, Weekday};

    fn weekly() -> WakeupSpec {
        WakeupSpec {
            name: " Early ".into(),
            prompt: "this-is-yr-wakeup-call".into(),
            schedule: WakeupSchedule::Weekly {
                days: vec![Weekday::Mon, Weekday::Fri],
                time: NaiveTime::from_hms_opt(6, 30, 0).expect("time"),
            },
            time_zone: "Europe/Berlin".into(),
            members: vec!["201".into(), " ".into()],
            enabled: true,
            calls: WakeupCalls::default(),
        }
    }

    #[test]
    fn weekly_spec_round_trips_through_the_store_shape() {
        let stored = spec_from_api("201", &weekly(), None).expect("valid");
        assert_eq!(stored.name, "Early");
        assert_eq!(stored.members, vec!["201"]);
        let now = Utc::now();
        let back = wakeup_to_api(stored::Wakeup {
            id: 7,
            spec: stored,
            next_fire_at: None,
            created_at: now,
            updated_at: now,
        });
        assert_eq!(back.spec.schedule, weekly().schedule);
        assert_eq!(back.spec.time_zone, "Europe/Berlin");
        assert_eq!(back.owner, "201");
    }

    #[test]
    fn unknown_time_zone_is_reported_on_its_field() {
        let mut spec = weekly();
        spec.time_zone = "Mars/Olympus".into();
        let Err(BackendError::Validation(fields)) = spec_from_api("201", &spec, None) else {
            panic!("expected a validation error");
        };
        assert_eq!(fields[0].field, "time_zone");
    }

    #[test]
    fn edited_wakeup_keeps_its_call_settings() {
        let mut base = spec_from_api("201", &weekly(), None).expect("valid");
        base.ring_secs = 45;
        base.snooze_mins = 9;
        let edited = spec_from_api("201", &weekly(), Some(&base)).expect("valid");
        assert_eq!((edited.ring_secs, edited.snooze_mins), (45, 9));
    }

    #[test]
    fn one_shot_in_the_past_is_reported_on_the_date() {
        let err = error_to_api(WakeupError::InThePast {
            rule: "once 2020-01-01 06:00".into(),
            tz: "UTC".into(),
        });
        let BackendError::Validation(fields) = err else {
            panic!("expected a validation error");
        };
        assert_eq!(fields[0].field, "date");
        assert!(fields[0].message.contains("past"), "{fields:?}");
    }

    #[test]
    fn failed_call_detail_does_not_show_the_ari_url() {
        let detail = "originate refused: error sending request for url \
                      (http://127.0.0.1:8088/ari/channels?endpoint=PJSIP%2F201)";
        let shown = shown_detail(Outcome::Failed, detail);
        assert!(!shown.contains("http") && !shown.contains("ari"), "{shown}");
        assert!(shown.contains("could not be made"), "{shown}");
    }

    #[test]
    fn hangup_cause_is_shown_as_the_phone_system_gave_it() {
        let detail = "cause 17 (User busy), dial status BUSY";
        assert_eq!(shown_detail(Outcome::Busy, detail), detail);
    }

    #[test]
    fn wakeup_name_with_a_control_character_is_refused_on_the_name() {
        for name in ["Early\u{0}", "Early\u{1b}[31m", "Early\r\nX-Injected: 1"] {
            let mut spec = weekly();
            spec.name = name.into();
            let Err(BackendError::Validation(fields)) = spec_from_api("201", &spec, None) else {
                panic!("expected a validation error for {name:?}");
            };
            assert_eq!(fields[0].field, "name");
        }
    }

    #[test]
    fn members_default_to_the_owners_own_extension() {
        assert_eq!(members_for("201", &[], false).expect("own"), ["201"]);
    }

    #[test]
    fn another_extension_needs_the_grant() {
        let others = ["202".to_owned()];
        assert!(matches!(
            members_for("201", &others, false),
            Err(BackendError::Validation(_))
        ));
        assert_eq!(members_for("201", &others, true).expect("granted"), ["202"]);
    }

    #[test]
    fn unknown_and_not_yours_read_the_same() {
        let message = |e: BackendError| match e {
            BackendError::Validation(f) => f[0].message.replace("9999", "X").replace("202", "X"),
            other => panic!("unexpected {other:?}"),
        };
        let not_yours = members_for("201", &["202".to_owned()], false).expect_err("refused");
        let unknown = error_to_api(WakeupError::UnknownMember("9999".into()));
        assert_eq!(message(not_yours), message(unknown));
    }

    #[test]
    fn a_member_listed_twice_is_refused() {
        let twice = ["202".to_owned(), " 202".to_owned()];
        assert!(members_for("201", &twice, true).is_err());
    }

    #[test]
    fn a_prompt_given_as_a_path_is_refused() {
        let prompts = UserPrompts {
            sounds: SoundDirs::default(),
            kept: None,
            owner: "201",
            uploads: None,
        };
        let path = "/var/spool/asterisk/voicemail/default/202/INBOX/msg0000";
        assert_eq!(
            prompts.check(path),
            Err(PromptError::BadName(path.to_owned()))
        );
        assert_eq!(prompts.check("this-is-yr-wakeup-call"), Ok(()));
    }

    #[test]
    fn another_users_prompt_is_refused_like_a_missing_one() {
        let sounds = tempfile::tempdir().expect("sounds dir");
        let dir = sounds.path().join("ringside/users/202");
        std::fs::create_dir_all(&dir).expect("prompt dir");
        std::fs::write(dir.join("morning.wav"), b"RIFF").expect("prompt");
        let uploads = UserPromptFiles::new(sounds.path());
        let catalog = |owner| UserPrompts {
            sounds: SoundDirs::default(),
            kept: None,
            owner,
            uploads: Some(&uploads),
        };
        let sound = "ringside/users/202/morning";
        assert_eq!(catalog("202").check(sound), Ok(()));
        assert_eq!(
            catalog("201").check(sound),
            Err(PromptError::Missing(sound.to_owned()))
        );
    }

    #[test]
    fn acknowledged_call_shows_as_dismissed() {
        assert_eq!(
            outcome_to_api(Outcome::Acknowledged),
            WakeupOutcome::Dismissed
        );
    }

    #[test]
    fn attempt_still_ringing_is_left_out_of_the_history() {
        let at = NaiveDate::from_ymd_opt(2026, 11, 23)
            .and_then(|d| d.and_hms_opt(6, 30, 0))
            .expect("time")
            .and_utc();
        let attempt = |outcome| stored::Attempt {
            id: 1,
            wakeup_id: 7,
            member: "201".into(),
            fire_at: at,
            started_at: at,
            ended_at: None,
            outcome,
            detail: String::new(),
        };
        let shown = attempts_to_api(vec![attempt(None), attempt(Some(Outcome::Busy))]);
        assert_eq!(shown.len(), 1);
        assert_eq!(shown[0].outcome, WakeupOutcome::Busy);
    }
}
