//! Users' own wakeup prompts through the daemon's portal backend: converted like greetings
//! into Ringside's folder of the sounds directory, nothing left behind by a refused upload, and
//! a wakeup keeping a prompt deleted since (the call then plays its fallback, see
//! `wakeup_flow`).

use std::path::{Path, PathBuf};

use bytes::Bytes;
use chrono::NaiveTime;
use ringside_portal::model::{NewUser, PasswordChoice, WakeupCalls, WakeupSchedule, WakeupSpec};
use ringside_portal::{Backend, BackendError};

use crate::portal_contract::{RealBackend, real_backend};

fn fixture(name: &str) -> Bytes {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../media-fixtures/audio")
        .join(name);
    Bytes::from(std::fs::read(path).expect("audio fixture"))
}

async fn with_user() -> RealBackend {
    let backend = real_backend().await;
    backend
        .create_user(&NewUser {
            extension: "201".into(),
            name: "Alice".into(),
            email: String::new(),
            password: PasswordChoice::Set("alice-secret-1".into()),
            is_admin: false,
            portal_enabled: true,
            time_zone: String::new(),
        })
        .await
        .expect("user");
    backend
}

fn prompt_dir(backend: &RealBackend) -> PathBuf {
    backend.data_dir.path().join("sounds/ringside/users/201")
}

#[tokio::test]
async fn mp3_prompt_is_converted_to_8khz_16_bit_mono_wav_in_the_sounds_folder() {
    let backend = with_user().await;
    let choice = backend
        .upload_wakeup_prompt(
            "201",
            "",
            "tone-1k-44k-stereo.mp3",
            fixture("tone-1k-44k-stereo.mp3"),
        )
        .await
        .expect("mp3 accepted");
    assert_eq!(choice.name, "ringside/users/201/tone-1k-44k-stereo");
    let wav = hound::WavReader::open(prompt_dir(&backend).join("tone-1k-44k-stereo.wav"))
        .expect("a WAV file");
    let spec = wav.spec();
    assert_eq!(
        (spec.sample_rate, spec.channels, spec.bits_per_sample),
        (8000, 1, 16)
    );
}

#[tokio::test]
async fn refused_upload_leaves_the_folder_and_the_old_prompt_as_they_were() {
    let backend = with_user().await;
    backend
        .upload_wakeup_prompt("201", "morning", "a.wav", fixture("speech-8k.wav"))
        .await
        .expect("wav accepted");
    let before = std::fs::read(prompt_dir(&backend).join("morning.wav")).expect("prompt");
    let mut broken = fixture("speech-8k.wav").to_vec();
    broken.truncate(30);
    let err = backend
        .upload_wakeup_prompt("201", "morning", "a.wav", Bytes::from(broken))
        .await
        .expect_err("a cut-off WAV is refused");
    let BackendError::Rejected(reason) = err else {
        panic!("expected a plain refusal, got {err:?}");
    };
    assert!(reason.contains("a.wav"), "names the upload: {reason}");
    assert!(!reason.contains(".prompt-"), "no staging path: {reason}");
    let names: Vec<_> = std::fs::read_dir(prompt_dir(&backend))
        .expect("folder")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names, ["morning.wav"]);
    let after = std::fs::read(prompt_dir(&backend).join("morning.wav")).expect("prompt");
    assert_eq!(before, after);
}

/// Alice's wakeup on Mondays at 06:30 playing `prompt`.
fn monday_wakeup(prompt: &str) -> WakeupSpec {
    WakeupSpec {
        name: "Early".into(),
        prompt: prompt.into(),
        schedule: WakeupSchedule::Weekly {
            days: vec![chrono::Weekday::Mon],
            time: NaiveTime::from_hms_opt(6, 30, 0).expect("time"),
        },
        time_zone: "Europe/Berlin".into(),
        members: vec!["201".into()],
        enabled: true,
        calls: WakeupCalls::default(),
    }
}

#[tokio::test]
async fn a_sound_in_the_configured_sounds_folder_may_be_a_wakeups_prompt() {
    let backend = with_user().await;
    let data = backend.data_dir.path();
    std::fs::create_dir_all(data.join("prompts")).expect("Ringside's own prompt folder");
    let bell = data.join("sounds/custom/morning-bell.wav");
    std::fs::create_dir_all(bell.parent().expect("folder")).expect("folder");
    std::fs::write(&bell, fixture("speech-8k.wav")).expect("sound");
    let wakeup = backend
        .create_wakeup("201", &monday_wakeup("custom/morning-bell"))
        .await
        .expect("found where uploads go");
    assert_eq!(wakeup.spec.prompt, "custom/morning-bell");
    let err = backend
        .create_wakeup("201", &monday_wakeup("custom/no-such-bell"))
        .await
        .expect_err("a sound that is nowhere is refused");
    assert!(matches!(err, BackendError::Validation(_)), "{err:?}");
}

#[tokio::test]
async fn wakeup_keeps_its_prompt_after_the_prompt_is_deleted() {
    let backend = with_user().await;
    let choice = backend
        .upload_wakeup_prompt("201", "morning", "a.wav", fixture("speech-8k.wav"))
        .await
        .expect("upload");
    let spec = monday_wakeup(&choice.name);
    let wakeup = backend.create_wakeup("201", &spec).await.expect("wakeup");
    backend
        .delete_wakeup_prompt("201", "morning")
        .await
        .expect("delete");
    assert!(!prompt_dir(&backend).join("morning.wav").exists());
    let renamed = WakeupSpec {
        name: "Earlier".into(),
        ..spec
    };
    let edited = backend
        .update_wakeup(wakeup.id, &renamed)
        .await
        .expect("a wakeup whose prompt is gone can still be edited");
    assert_eq!(edited.spec.prompt, choice.name);
}

/// Puts a plain file where Ringside's folder of the sounds directory belongs, so that nothing
/// can be listed, written or deleted under it (as when Ringside runs away from Asterisk's host).
fn break_sounds_folder(backend: &RealBackend) {
    let ringside = backend.data_dir.path().join("sounds/ringside");
    if ringside.is_dir() {
        std::fs::remove_dir_all(&ringside).expect("remove folder");
    }
    std::fs::create_dir_all(backend.data_dir.path().join("sounds")).expect("sounds folder");
    std::fs::write(&ringside, b"not a folder").expect("blocking file");
}

#[tokio::test]
async fn upload_into_an_unwritable_sounds_folder_is_refused_as_unavailable_leaving_nothing() {
    let backend = with_user().await;
    break_sounds_folder(&backend);
    let err = backend
        .upload_wakeup_prompt("201", "morning", "a.wav", fixture("speech-8k.wav"))
        .await
        .expect_err("nowhere to put it");
    let BackendError::Unavailable(message) = err else {
        panic!("expected the server's state to be named, got {err:?}");
    };
    assert!(message.contains("administrator"), "{message}");
    assert!(
        !message.contains("/sounds/"),
        "no server path shown: {message}"
    );
    let uploads = backend.data_dir.path().join("uploads");
    let left: Vec<_> = std::fs::read_dir(&uploads)
        .map(|dir| dir.map(|e| e.expect("entry").file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "staged upload left behind: {left:?}");
}

#[tokio::test]
async fn prompt_choices_still_load_without_own_prompts_when_the_sounds_folder_is_unusable() {
    let backend = with_user().await;
    break_sounds_folder(&backend);
    let choices = backend
        .wakeup_prompts("201")
        .await
        .expect("the wakeup page still has its choices");
    assert_eq!(choices[0].name, "ringside/wakeup-call");
    assert!(choices.iter().all(|c| c.own_name.is_none()), "{choices:?}");
}

#[tokio::test]
async fn deleting_from_an_unusable_sounds_folder_is_refused_as_unavailable() {
    let backend = with_user().await;
    break_sounds_folder(&backend);
    let err = backend
        .delete_wakeup_prompt("201", "morning")
        .await
        .expect_err("nothing can be deleted there");
    assert!(matches!(err, BackendError::Unavailable(_)), "{err:?}");
}
