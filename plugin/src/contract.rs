//! The [`Backend`] contract as executable checks, so that every implementation behaves alike:
//! the daemon's real backend and the in-memory fake the portal's own tests run on. Without
//! them the fake could drift from the daemon's rules and the portal's tests would pass against
//! behaviour no user ever sees.
//!
//! Each check starts from a backend that has no user `3101` and panics with a message when the
//! backend breaks the contract. [`backend_contract!`](crate::backend_contract) turns the list
//! into one test per check. Compiled only with the `contract` feature (tests of both crates).
//! Not here: HTTP behaviour (the router's tests) or rules the portal enforces itself
//! (ownership, menu access).

use chrono::NaiveTime;

use crate::backend::{Backend, BackendError};
use crate::model::{
    CallHandlingSettings, CallViewer, CallerIdChoice, CallsFilter, CallsQuery, FollowMe,
    FollowMeStep, ForwardSetting, NewUser, PasswordChoice, ReplayRight, TimeRuleSetting,
    UserUpdate, WakeupCalls, WakeupSchedule, WakeupSpec,
};

/// The extension every check creates for itself.
pub const EXTENSION: &str = "3101";
/// Its password.
pub const PASSWORD: &str = "contract-pass-1";

async fn create_user(backend: &dyn Backend) {
    let created = backend
        .create_user(&NewUser {
            extension: EXTENSION.into(),
            name: "Contract User".into(),
            email: "contract@example.org".into(),
            password: PasswordChoice::Set(PASSWORD.into()),
            is_admin: false,
            portal_enabled: true,
            time_zone: String::new(),
        })
        .await
        .expect("creating a valid user succeeds");
    assert_eq!(created.user.extension, EXTENSION);
    assert_eq!(
        created.generated_password, None,
        "a set password is not generated"
    );
}

fn field_names(err: &BackendError) -> Vec<String> {
    match err {
        BackendError::Validation(fields) => fields.iter().map(|f| f.field.clone()).collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

fn followme(numbers: &[&str]) -> FollowMe {
    FollowMe {
        enabled: true,
        initial_ring_secs: 10,
        steps: vec![FollowMeStep {
            numbers: numbers.iter().map(|n| (*n).to_owned()).collect(),
            ring_secs: 20,
        }],
        confirm: false,
        moh: String::new(),
        caller_id: CallerIdChoice::Caller,
    }
}

fn wakeup(time_zone: &str) -> WakeupSpec {
    WakeupSpec {
        name: "Morning".into(),
        prompt: "hello-world".into(),
        schedule: WakeupSchedule::Weekly {
            days: vec![chrono::Weekday::Mon],
            time: NaiveTime::from_hms_opt(6, 30, 0).unwrap_or_default(),
        },
        time_zone: time_zone.into(),
        members: vec![EXTENSION.into()],
        enabled: true,
        calls: WakeupCalls::default(),
    }
}

pub async fn login_accepts_only_the_right_password(backend: &dyn Backend) {
    create_user(backend).await;
    let user = backend
        .verify_login(EXTENSION, PASSWORD)
        .await
        .expect("login check");
    assert_eq!(user.map(|u| u.extension), Some(EXTENSION.to_owned()));
    let wrong = backend.verify_login(EXTENSION, "not-the-password").await;
    assert_eq!(
        wrong.expect("login check"),
        None,
        "a wrong password logs in"
    );
    let unknown = backend.verify_login("3999", PASSWORD).await;
    assert_eq!(
        unknown.expect("login check"),
        None,
        "an unknown extension logs in"
    );
}

pub async fn unknown_user_is_none(backend: &dyn Backend) {
    assert_eq!(backend.user("3999").await.expect("lookup"), None);
}

pub async fn creating_an_existing_extension_is_a_conflict(backend: &dyn Backend) {
    create_user(backend).await;
    let again = backend
        .create_user(&NewUser {
            extension: EXTENSION.into(),
            name: "Someone Else".into(),
            email: String::new(),
            password: PasswordChoice::Generate,
            is_admin: false,
            portal_enabled: true,
            time_zone: String::new(),
        })
        .await;
    assert!(matches!(again, Err(BackendError::Conflict(_))), "{again:?}");
}

pub async fn extension_that_is_not_digits_is_refused_on_the_extension_field(backend: &dyn Backend) {
    let result = backend
        .create_user(&NewUser {
            extension: "31a1".into(),
            name: "Bad Extension".into(),
            email: String::new(),
            password: PasswordChoice::Set(PASSWORD.into()),
            is_admin: false,
            portal_enabled: true,
            time_zone: String::new(),
        })
        .await;
    let err = result.expect_err("a non-digit extension is accepted");
    assert_eq!(field_names(&err), vec!["extension"]);
}

pub async fn password_change_with_a_wrong_old_password_is_refused(backend: &dyn Backend) {
    create_user(backend).await;
    let result = backend
        .change_password(EXTENSION, "not-the-password", "another-pass-2")
        .await;
    assert!(
        matches!(result, Err(BackendError::WrongPassword)),
        "{result:?}"
    );
    let still = backend
        .verify_login(EXTENSION, PASSWORD)
        .await
        .expect("login check");
    assert!(still.is_some(), "the old password stopped working");
}

pub async fn too_short_new_password_is_refused_on_the_new_password_field(backend: &dyn Backend) {
    create_user(backend).await;
    let err = backend
        .change_password(EXTENSION, PASSWORD, "short")
        .await
        .expect_err("a 5-character password is accepted");
    assert_eq!(field_names(&err), vec!["new_password"]);
}

pub async fn changing_the_password_lifts_the_demand_to_change_it(backend: &dyn Backend) {
    create_user(backend).await;
    let user = backend
        .user(EXTENSION)
        .await
        .expect("lookup")
        .expect("the user exists");
    let demand = UserUpdate {
        must_change_password: Some(true),
        ..unchanged(user)
    };
    backend
        .update_user(EXTENSION, &demand)
        .await
        .expect("demand a change");
    let must = |u: Option<crate::model::User>| u.is_some_and(|u| u.must_change_password);
    assert!(must(backend.user(EXTENSION).await.expect("lookup")));
    backend
        .change_password(EXTENSION, PASSWORD, "another-pass-2")
        .await
        .expect("a valid change");
    assert!(!must(backend.user(EXTENSION).await.expect("lookup")));
}

/// An update of a portal user that changes nothing the administrator left out.
fn unchanged(user: crate::model::User) -> UserUpdate {
    UserUpdate {
        name: user.name,
        email: user.email,
        is_admin: user.is_admin,
        portal_enabled: user.portal_enabled,
        disabled: user.disabled,
        access: user.access,
        wakeup_others: None,
        time_zone: None,
        must_change_password: None,
        walkthrough: None,
    }
}

fn walkthrough_of(user: Option<crate::model::User>) -> bool {
    user.expect("the user exists").walkthrough
}

pub async fn new_user_gets_the_walkthrough_until_it_is_ended(backend: &dyn Backend) {
    create_user(backend).await;
    assert!(walkthrough_of(
        backend.user(EXTENSION).await.expect("lookup")
    ));
    backend.end_walkthrough(EXTENSION).await.expect("end it");
    assert!(!walkthrough_of(
        backend.user(EXTENSION).await.expect("lookup")
    ));
    backend
        .end_walkthrough(EXTENSION)
        .await
        .expect("end it twice");
}

pub async fn administrator_turns_the_walkthrough_off_and_on(backend: &dyn Backend) {
    create_user(backend).await;
    let user = backend
        .user(EXTENSION)
        .await
        .expect("lookup")
        .expect("the user exists");
    let update = |on| UserUpdate {
        walkthrough: on,
        ..unchanged(user.clone())
    };
    let off = backend
        .update_user(EXTENSION, &update(Some(false)))
        .await
        .expect("turn it off");
    assert!(!off.walkthrough);
    let kept = backend
        .update_user(EXTENSION, &update(None))
        .await
        .expect("leave it");
    assert!(!kept.walkthrough, "left out keeps it as it was");
    let on = backend
        .update_user(EXTENSION, &update(Some(true)))
        .await
        .expect("turn it on");
    assert!(on.walkthrough);
}

pub async fn password_change_takes_effect(backend: &dyn Backend) {
    create_user(backend).await;
    backend
        .change_password(EXTENSION, PASSWORD, "another-pass-2")
        .await
        .expect("a valid change");
    let new = backend
        .verify_login(EXTENSION, "another-pass-2")
        .await
        .expect("login check");
    assert!(new.is_some(), "the new password does not log in");
    let old = backend
        .verify_login(EXTENSION, PASSWORD)
        .await
        .expect("login check");
    assert!(old.is_none(), "the old password still logs in");
}

pub async fn email_that_is_not_an_address_is_refused_on_the_email_field(backend: &dyn Backend) {
    create_user(backend).await;
    let err = backend
        .set_email(EXTENSION, "not an address")
        .await
        .expect_err("a non-address is accepted");
    assert_eq!(field_names(&err), vec!["email"]);
}

pub async fn followme_is_stored_as_given(backend: &dyn Backend) {
    create_user(backend).await;
    let settings = followme(&["2001", "004930123456"]);
    backend
        .set_followme(EXTENSION, &settings)
        .await
        .expect("valid follow-me");
    assert_eq!(
        backend.followme(EXTENSION).await.expect("read back"),
        settings
    );
}

pub async fn followme_number_with_letters_is_refused_on_its_step(backend: &dyn Backend) {
    create_user(backend).await;
    let err = backend
        .set_followme(EXTENSION, &followme(&["2001", "call-me"]))
        .await
        .expect_err("a number with letters is accepted");
    assert_eq!(field_names(&err), vec!["steps[0].numbers"]);
}

pub async fn sessions_are_created_read_and_deleted(backend: &dyn Backend) {
    create_user(backend).await;
    let session = backend
        .create_session(EXTENSION, std::time::Duration::from_secs(3600))
        .await
        .expect("create session");
    assert_eq!(session.extension, EXTENSION);
    let read = backend.session(&session.id).await.expect("read session");
    assert_eq!(read.map(|s| s.extension), Some(EXTENSION.to_owned()));
    backend
        .delete_session(&session.id)
        .await
        .expect("delete session");
    assert_eq!(
        backend.session(&session.id).await.expect("read session"),
        None
    );
    backend
        .delete_session("no-such-session")
        .await
        .expect("deleting an unknown session is not an error");
}

pub async fn wakeup_is_created_for_its_owner_and_listed(backend: &dyn Backend) {
    create_user(backend).await;
    let created = backend
        .create_wakeup(EXTENSION, &wakeup("Europe/Berlin"))
        .await
        .expect("valid wakeup");
    assert_eq!(created.owner, EXTENSION);
    assert_eq!(created.spec.name, "Morning");
    let listed = backend.wakeups(EXTENSION).await.expect("list");
    assert_eq!(
        listed.iter().map(|w| w.id).collect::<Vec<_>>(),
        vec![created.id]
    );
    let fetched = backend.wakeup(created.id).await.expect("get");
    assert_eq!(fetched.map(|w| w.owner), Some(EXTENSION.to_owned()));
}

pub async fn wakeup_in_an_unknown_time_zone_is_refused_on_the_time_zone_field(
    backend: &dyn Backend,
) {
    create_user(backend).await;
    let err = backend
        .create_wakeup(EXTENSION, &wakeup("Mars/Olympus_Mons"))
        .await
        .expect_err("an unknown zone is accepted");
    assert_eq!(field_names(&err), vec!["time_zone"]);
}

pub async fn own_time_zone_is_saved_in_its_canonical_spelling(backend: &dyn Backend) {
    create_user(backend).await;
    backend
        .set_time_zone(EXTENSION, "europe/berlin")
        .await
        .expect("a known zone is accepted");
    let user = backend.user(EXTENSION).await.expect("lookup");
    assert_eq!(user.map(|u| u.time_zone), Some("Europe/Berlin".to_owned()));
}

pub async fn unknown_own_time_zone_is_refused_on_the_time_zone_field(backend: &dyn Backend) {
    create_user(backend).await;
    let err = backend
        .set_time_zone(EXTENSION, "Mars/Olympus_Mons")
        .await
        .expect_err("an unknown zone is accepted");
    assert_eq!(field_names(&err), vec!["time_zone"]);
}

pub async fn deleted_user_is_gone_with_their_wakeups(backend: &dyn Backend) {
    create_user(backend).await;
    let wakeup = backend
        .create_wakeup(EXTENSION, &wakeup("Europe/Berlin"))
        .await
        .expect("valid wakeup");
    backend.delete_user(EXTENSION).await.expect("delete");
    assert_eq!(backend.user(EXTENSION).await.expect("lookup"), None);
    assert_eq!(backend.wakeup(wakeup.id).await.expect("get"), None);
}

pub async fn deleting_an_unknown_user_is_not_found(backend: &dyn Backend) {
    let answer = backend.delete_user("3999").await;
    assert!(matches!(answer, Err(BackendError::NotFound)), "{answer:?}");
}

pub async fn suggested_extension_follows_the_highest(backend: &dyn Backend) {
    create_user(backend).await;
    let next = backend.suggest_extension().await.expect("suggestion");
    assert_eq!(next.as_deref(), Some("3102"));
}

pub async fn wakeup_call_settings_are_stored_as_given(backend: &dyn Backend) {
    create_user(backend).await;
    let calls = WakeupCalls {
        ring_secs: Some(45),
        retries: Some(5),
        retry_interval_mins: Some(10),
        snooze_mins: Some(9),
    };
    let created = backend
        .create_wakeup(
            EXTENSION,
            &WakeupSpec {
                calls,
                ..wakeup("Europe/Berlin")
            },
        )
        .await
        .expect("valid wakeup");
    assert_eq!(created.spec.calls, calls);
}

pub async fn wakeup_with_too_many_retries_is_refused_on_the_retries_field(backend: &dyn Backend) {
    create_user(backend).await;
    let err = backend
        .create_wakeup(
            EXTENSION,
            &WakeupSpec {
                calls: WakeupCalls {
                    retries: Some(99),
                    ..WakeupCalls::default()
                },
                ..wakeup("Europe/Berlin")
            },
        )
        .await
        .expect_err("99 retries are accepted");
    assert_eq!(field_names(&err), vec!["retries"]);
}

pub async fn wakeup_prompts_offer_the_default_first(backend: &dyn Backend) {
    create_user(backend).await;
    let prompts = backend.wakeup_prompts(EXTENSION).await.expect("prompts");
    assert_eq!(
        prompts.first().map(|p| p.name.as_str()),
        Some(crate::model::DEFAULT_WAKEUP_PROMPT)
    );
}

/// A tenth of a second of silence as an 8 kHz 16-bit mono WAV, audio any backend can read.
fn short_wav() -> bytes::Bytes {
    let samples = 800u32;
    let data_len = samples * 2;
    let mut wav = Vec::with_capacity(44 + data_len as usize);
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + data_len).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes()); // PCM
    wav.extend_from_slice(&1u16.to_le_bytes()); // mono
    wav.extend_from_slice(&8000u32.to_le_bytes());
    wav.extend_from_slice(&16000u32.to_le_bytes());
    wav.extend_from_slice(&2u16.to_le_bytes());
    wav.extend_from_slice(&16u16.to_le_bytes());
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&data_len.to_le_bytes());
    wav.resize(44 + data_len as usize, 0);
    bytes::Bytes::from(wav)
}

/// Another user, for the checks about what one user may not see of another's.
const OTHER: &str = "3102";

async fn create_other_user(backend: &dyn Backend) {
    backend
        .create_user(&NewUser {
            extension: OTHER.into(),
            name: "Other User".into(),
            email: String::new(),
            password: PasswordChoice::Set(PASSWORD.into()),
            is_admin: false,
            portal_enabled: true,
            time_zone: String::new(),
        })
        .await
        .expect("creating a second valid user succeeds");
}

pub async fn own_prompt_is_offered_to_its_owner_only(backend: &dyn Backend) {
    create_user(backend).await;
    create_other_user(backend).await;
    let uploaded = backend
        .upload_wakeup_prompt(EXTENSION, "", "Guten Morgen.wav", short_wav())
        .await
        .expect("a readable WAV is accepted");
    assert_eq!(uploaded.own_name.as_deref(), Some("Guten-Morgen"));
    let own = backend.wakeup_prompts(EXTENSION).await.expect("prompts");
    assert!(
        own.contains(&uploaded),
        "the owner is offered {uploaded:?}: {own:?}"
    );
    let other = backend.wakeup_prompts(OTHER).await.expect("prompts");
    assert!(
        other
            .iter()
            .all(|p| p.own_name.is_none() && p.name != uploaded.name),
        "another user is offered none of it: {other:?}"
    );
}

pub async fn own_prompt_with_a_bad_name_is_refused_on_the_name_field(backend: &dyn Backend) {
    create_user(backend).await;
    let err = backend
        .upload_wakeup_prompt(EXTENSION, "../../etc/x", "a.wav", short_wav())
        .await
        .expect_err("a name with a path is refused");
    assert_eq!(field_names(&err), vec!["name"]);
}

pub async fn prompt_that_is_not_audio_is_rejected_and_not_offered(backend: &dyn Backend) {
    create_user(backend).await;
    let err = backend
        .upload_wakeup_prompt(
            EXTENSION,
            "junk",
            "junk.wav",
            bytes::Bytes::from_static(b"not audio at all"),
        )
        .await
        .expect_err("garbage is refused");
    assert!(matches!(err, BackendError::Rejected(_)), "{err:?}");
    let prompts = backend.wakeup_prompts(EXTENSION).await.expect("prompts");
    assert!(prompts.iter().all(|p| p.own_name.is_none()), "{prompts:?}");
}

pub async fn deleting_another_users_prompt_is_not_found(backend: &dyn Backend) {
    create_user(backend).await;
    create_other_user(backend).await;
    backend
        .upload_wakeup_prompt(EXTENSION, "morning", "a.wav", short_wav())
        .await
        .expect("upload");
    let err = backend
        .delete_wakeup_prompt(OTHER, "morning")
        .await
        .expect_err("not theirs");
    assert_eq!(err, BackendError::NotFound);
    backend
        .delete_wakeup_prompt(EXTENSION, "morning")
        .await
        .expect("the owner deletes it");
    let prompts = backend.wakeup_prompts(EXTENSION).await.expect("prompts");
    assert!(prompts.iter().all(|p| p.own_name.is_none()), "{prompts:?}");
}

pub async fn wakeup_naming_another_users_prompt_is_refused_on_the_prompt_field(
    backend: &dyn Backend,
) {
    create_user(backend).await;
    create_other_user(backend).await;
    let theirs = backend
        .upload_wakeup_prompt(EXTENSION, "morning", "a.wav", short_wav())
        .await
        .expect("upload");
    let mut spec = wakeup("Europe/Berlin");
    spec.members = vec![OTHER.into()];
    spec.prompt = theirs.name.clone();
    let err = backend
        .create_wakeup(OTHER, &spec)
        .await
        .expect_err("another user's prompt is refused");
    assert_eq!(field_names(&err), vec!["prompt"]);
    spec.members = vec![EXTENSION.into()];
    backend
        .create_wakeup(EXTENSION, &spec)
        .await
        .expect("the owner may pick it");
}

pub async fn deleted_wakeup_is_gone(backend: &dyn Backend) {
    create_user(backend).await;
    let created = backend
        .create_wakeup(EXTENSION, &wakeup("Europe/Berlin"))
        .await
        .expect("valid wakeup");
    backend.delete_wakeup(created.id).await.expect("delete");
    assert_eq!(backend.wakeup(created.id).await.expect("get"), None);
    assert!(backend.wakeups(EXTENSION).await.expect("list").is_empty());
}

fn forward(number: &str) -> ForwardSetting {
    ForwardSetting {
        enabled: true,
        number: number.into(),
        schedule: None,
    }
}

pub async fn call_handling_is_empty_until_saved(backend: &dyn Backend) {
    create_user(backend).await;
    assert_eq!(
        backend.call_handling(EXTENSION).await.expect("read"),
        CallHandlingSettings::empty()
    );
}

pub async fn call_handling_is_stored_as_given(backend: &dyn Backend) {
    create_user(backend).await;
    let settings = CallHandlingSettings {
        dnd: true,
        dnd_allow: vec!["05551234".into()],
        dnd_schedule: Some(TimeRuleSetting {
            window: "mon,tue,wed,thu,fri,08:00-18:00".into(),
            outside: true,
        }),
        forward_busy: forward("0170555"),
        forward_no_answer: ForwardSetting {
            enabled: false,
            ..forward("3102")
        },
        ring_secs: Some(25),
        time_zone: "Europe/Berlin".into(),
        ..CallHandlingSettings::empty()
    };
    backend
        .set_call_handling(EXTENSION, &settings)
        .await
        .expect("valid settings");
    assert_eq!(
        backend.call_handling(EXTENSION).await.expect("read"),
        settings
    );
}

pub async fn forward_to_oneself_is_refused_on_its_field(backend: &dyn Backend) {
    create_user(backend).await;
    let settings = CallHandlingSettings {
        forward_always: forward(EXTENSION),
        ..CallHandlingSettings::empty()
    };
    let err = backend
        .set_call_handling(EXTENSION, &settings)
        .await
        .expect_err("a forward to oneself is accepted");
    assert_eq!(field_names(&err), vec!["forward_always"]);
}

pub async fn allow_list_entry_that_is_not_a_number_is_refused_on_dnd_allow(backend: &dyn Backend) {
    create_user(backend).await;
    let settings = CallHandlingSettings {
        dnd_allow: vec!["boss".into()],
        ..CallHandlingSettings::empty()
    };
    let err = backend
        .set_call_handling(EXTENSION, &settings)
        .await
        .expect_err("a name in the allow-list is accepted");
    assert_eq!(field_names(&err), vec!["dnd_allow"]);
}

pub async fn schedule_that_does_not_parse_is_refused_on_its_field(backend: &dyn Backend) {
    create_user(backend).await;
    let settings = CallHandlingSettings {
        forward_busy: ForwardSetting {
            schedule: Some(TimeRuleSetting {
                window: "weekdays 8-18".into(),
                outside: false,
            }),
            ..forward("0170555")
        },
        ..CallHandlingSettings::empty()
    };
    let err = backend
        .set_call_handling(EXTENSION, &settings)
        .await
        .expect_err("an unreadable schedule is accepted");
    assert_eq!(field_names(&err), vec!["forward_busy.schedule"]);
}

pub async fn status_shows_dnd_and_the_forwards_that_are_on(backend: &dyn Backend) {
    create_user(backend).await;
    let settings = CallHandlingSettings {
        dnd: true,
        forward_busy: forward("0170555"),
        forward_no_answer: ForwardSetting {
            enabled: false,
            ..forward("3102")
        },
        ..CallHandlingSettings::empty()
    };
    backend
        .set_call_handling(EXTENSION, &settings)
        .await
        .expect("valid settings");
    let status = backend
        .call_handling_status(EXTENSION)
        .await
        .expect("status");
    assert!(status.dnd);
    assert_eq!(status.forward_busy.as_deref(), Some("0170555"));
    assert_eq!(status.forward_no_answer, None);
    assert_eq!(status.forward_always, None);
    assert!(!status.followme);
}

fn own_view() -> CallViewer {
    CallViewer {
        extension: EXTENSION.into(),
        admin_view: false,
    }
}

fn first_page(tz: &str) -> CallsQuery {
    CallsQuery {
        filter: CallsFilter {
            tz: tz.into(),
            ..CallsFilter::default()
        },
        page: 1,
        per_page: 25,
    }
}

pub async fn replay_right_starts_at_own_calls_and_can_be_changed(backend: &dyn Backend) {
    create_user(backend).await;
    assert_eq!(backend.replay_right(EXTENSION).await, Ok(ReplayRight::Own));
    backend
        .set_replay_right(EXTENSION, ReplayRight::All)
        .await
        .expect("setting a replay right succeeds");
    assert_eq!(backend.replay_right(EXTENSION).await, Ok(ReplayRight::All));
}

pub async fn replay_right_of_an_unknown_user_is_not_found(backend: &dyn Backend) {
    assert_eq!(
        backend.set_replay_right(EXTENSION, ReplayRight::None).await,
        Err(BackendError::NotFound)
    );
}

pub async fn call_history_of_a_user_without_calls_is_empty(backend: &dyn Backend) {
    create_user(backend).await;
    let page = backend
        .calls(&own_view(), &first_page(""))
        .await
        .expect("listing succeeds");
    assert!(page.calls.is_empty());
    assert!(!page.has_more);
}

pub async fn an_unknown_call_is_not_found(backend: &dyn Backend) {
    create_user(backend).await;
    assert_eq!(
        backend.call_detail(&own_view(), "", "1796511030.999").await,
        Err(BackendError::NotFound)
    );
    let recording = backend.call_recording(&own_view(), "1796511030.999").await;
    assert!(
        matches!(recording, Err(BackendError::NotFound)),
        "{recording:?}"
    );
}

pub async fn call_history_in_an_unknown_time_zone_is_rejected(backend: &dyn Backend) {
    create_user(backend).await;
    let answer = backend
        .calls(&own_view(), &first_page("Mars/Olympus_Mons"))
        .await;
    assert!(
        matches!(answer, Err(BackendError::Rejected(_))),
        "{answer:?}"
    );
}

pub async fn an_unknown_fax_job_has_no_transfer(backend: &dyn Backend) {
    assert_eq!(backend.fax_transfer(987_654).await, Ok(None));
}

/// One `#[tokio::test]` per contract check, each on a fresh backend from `$make` (an async
/// expression giving something that derefs to `dyn Backend`).
#[macro_export]
macro_rules! backend_contract {
    ($make:expr) => {
        $crate::backend_contract!(@checks $make;
            login_accepts_only_the_right_password,
            unknown_user_is_none,
            creating_an_existing_extension_is_a_conflict,
            extension_that_is_not_digits_is_refused_on_the_extension_field,
            password_change_with_a_wrong_old_password_is_refused,
            too_short_new_password_is_refused_on_the_new_password_field,
            password_change_takes_effect,
            new_user_gets_the_walkthrough_until_it_is_ended,
            administrator_turns_the_walkthrough_off_and_on,
            changing_the_password_lifts_the_demand_to_change_it,
            email_that_is_not_an_address_is_refused_on_the_email_field,
            followme_is_stored_as_given,
            followme_number_with_letters_is_refused_on_its_step,
            sessions_are_created_read_and_deleted,
            wakeup_is_created_for_its_owner_and_listed,
            wakeup_in_an_unknown_time_zone_is_refused_on_the_time_zone_field,
            deleted_wakeup_is_gone,
            wakeup_prompts_offer_the_default_first,
            own_prompt_is_offered_to_its_owner_only,
            own_prompt_with_a_bad_name_is_refused_on_the_name_field,
            prompt_that_is_not_audio_is_rejected_and_not_offered,
            deleting_another_users_prompt_is_not_found,
            wakeup_naming_another_users_prompt_is_refused_on_the_prompt_field,
            wakeup_call_settings_are_stored_as_given,
            wakeup_with_too_many_retries_is_refused_on_the_retries_field,
            deleted_user_is_gone_with_their_wakeups,
            deleting_an_unknown_user_is_not_found,
            suggested_extension_follows_the_highest,
            own_time_zone_is_saved_in_its_canonical_spelling,
            unknown_own_time_zone_is_refused_on_the_time_zone_field,
            call_handling_is_empty_until_saved,
            call_handling_is_stored_as_given,
            forward_to_oneself_is_refused_on_its_field,
            allow_list_entry_that_is_not_a_number_is_refused_on_dnd_allow,
            schedule_that_does_not_parse_is_refused_on_its_field,
            status_shows_dnd_and_the_forwards_that_are_on,
            replay_right_starts_at_own_calls_and_can_be_changed,
            replay_right_of_an_unknown_user_is_not_found,
            call_history_of_a_user_without_calls_is_empty,
            an_unknown_call_is_not_found,
            call_history_in_an_unknown_time_zone_is_rejected,
            an_unknown_fax_job_has_no_transfer,
        );
    };
    (@checks $make:expr; $($check:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $check() {
                let backend = $make;
                $crate::contract::$check(&*backend).await;
            }
        )*
    };
}
