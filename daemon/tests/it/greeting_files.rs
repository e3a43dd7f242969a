//! Greeting files in a voicemail spool: upload through the media path, atomic replacement,
//! file modes Asterisk needs, listing with durations, deletion, and what callers hear.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use ringside::voicemail::greeting_rule::GreetingKind;
use ringside::voicemail::greeting_rule::{Announcement, Reason, Status};
use ringside::voicemail::greetings::{
    Converter, GreetingError, GreetingFiles, Mailbox, Transcoder,
};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../media-fixtures/audio")
        .join(name)
}

fn mailbox() -> Mailbox {
    Mailbox::parse("1001").expect("digits")
}

fn spool() -> (tempfile::TempDir, GreetingFiles) {
    let dir = tempfile::tempdir().expect("tempdir");
    let files = GreetingFiles::new(dir.path(), "default").expect("valid context");
    (dir, files)
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("readable dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .expect("exists")
        .permissions()
        .mode()
        & 0o777
}

/// Writes some bytes into the output and then fails, like a converter that dies half-way.
struct FailsHalfway;

impl Converter for FailsHalfway {
    fn convert(
        &self,
        _input: &Path,
        output: &Path,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        std::fs::write(output, b"RIFF half a file").expect("write partial output");
        Err("decoder gave up".into())
    }
}

#[test]
fn mp3_upload_becomes_8khz_mono_16bit_wav() {
    let (_dir, files) = spool();
    let info = files
        .upload(
            &mailbox(),
            GreetingKind::Busy,
            &fixture("tone-1k-44k-stereo.mp3"),
            &Transcoder::default(),
        )
        .expect("mp3 converts");
    assert_eq!(
        info.path,
        files
            .greeting_base(&mailbox(), GreetingKind::Busy)
            .with_extension("wav")
    );
    let spec = hound::WavReader::open(&info.path)
        .expect("valid wav")
        .spec();
    assert_eq!(
        (spec.sample_rate, spec.channels, spec.bits_per_sample),
        (8000, 1, 16)
    );
    assert!(info.duration.is_some_and(|d| d.as_secs_f64() > 0.1));
}

#[test]
fn uploaded_greeting_is_readable_by_asterisk_and_its_new_mailbox_dir_is_0755() {
    let (_dir, files) = spool();
    let info = files
        .upload(
            &mailbox(),
            GreetingKind::Greet,
            &fixture("speech-8k.wav"),
            &Transcoder::default(),
        )
        .expect("wav converts");
    assert_eq!(mode(&info.path), 0o644);
    assert_eq!(mode(&files.mailbox_dir(&mailbox())), 0o755);
}

#[test]
fn failed_conversion_leaves_the_existing_greeting_and_no_temp_file() {
    let (_dir, files) = spool();
    let dir = files.mailbox_dir(&mailbox());
    std::fs::create_dir_all(&dir).expect("mailbox dir");
    std::fs::write(dir.join("busy.wav"), b"the old greeting").expect("old greeting");
    let garbage = tempfile::NamedTempFile::new().expect("temp input");
    std::fs::write(garbage.path(), b"%PDF-1.4 this is not audio").expect("write input");

    let err = files
        .upload(
            &mailbox(),
            GreetingKind::Busy,
            garbage.path(),
            &Transcoder::default(),
        )
        .expect_err("not audio");

    assert!(matches!(err, GreetingError::Convert { .. }), "{err}");
    assert!(
        err.to_string().contains("not a recognised audio file"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(dir.join("busy.wav")).expect("still there"),
        b"the old greeting"
    );
    assert_eq!(names_in(&dir), vec!["busy.wav"]);
}

#[test]
fn converter_failing_halfway_leaves_no_partial_file() {
    let (_dir, files) = spool();
    let dir = files.mailbox_dir(&mailbox());
    std::fs::create_dir_all(&dir).expect("mailbox dir");
    std::fs::write(dir.join("temp.wav"), b"the old temp").expect("old greeting");

    let err = files
        .upload(
            &mailbox(),
            GreetingKind::Temp,
            &fixture("speech-8k.wav"),
            &FailsHalfway,
        )
        .expect_err("converter fails");

    assert!(err.to_string().contains("decoder gave up"), "{err}");
    assert_eq!(
        std::fs::read(dir.join("temp.wav")).expect("kept"),
        b"the old temp"
    );
    assert_eq!(names_in(&dir), vec!["temp.wav"]);
}

#[test]
fn upload_replaces_a_phone_recording_of_the_same_greeting_in_another_format() {
    let (_dir, files) = spool();
    let dir = files.mailbox_dir(&mailbox());
    std::fs::create_dir_all(&dir).expect("mailbox dir");
    std::fs::write(dir.join("unavail.gsm"), [0u8; 330]).expect("phone recording");
    std::fs::write(dir.join("greet.gsm"), [0u8; 330]).expect("other greeting");

    files
        .upload(
            &mailbox(),
            GreetingKind::Unavail,
            &fixture("speech-8k.wav"),
            &Transcoder::default(),
        )
        .expect("converts");

    assert_eq!(names_in(&dir), vec!["greet.gsm", "unavail.wav"]);
}

#[test]
fn list_reports_each_existing_greeting_with_its_duration() {
    let (_dir, files) = spool();
    let dir = files.mailbox_dir(&mailbox());
    std::fs::create_dir_all(&dir).expect("mailbox dir");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 8000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(dir.join("busy.wav"), spec).expect("create wav");
    for _ in 0..12_000 {
        writer.write_sample(0i16).expect("sample");
    }
    writer.finalize().expect("finalize");
    // 1650 bytes of GSM are one second (33 bytes per 20 ms frame).
    std::fs::write(dir.join("greet.gsm"), vec![0u8; 3300]).expect("gsm");

    let list = files.list(&mailbox()).expect("listable");

    let summary: Vec<_> = list
        .iter()
        .map(|g| (g.kind, g.duration.map(|d| d.as_millis())))
        .collect();
    assert_eq!(
        summary,
        vec![
            (GreetingKind::Busy, Some(1500)),
            (GreetingKind::Greet, Some(2000))
        ]
    );
}

#[test]
fn list_of_a_mailbox_without_directory_is_empty() {
    let (_dir, files) = spool();
    assert!(files.list(&mailbox()).expect("listable").is_empty());
}

#[test]
fn remove_deletes_every_format_of_the_greeting_only() {
    let (_dir, files) = spool();
    let dir = files.mailbox_dir(&mailbox());
    std::fs::create_dir_all(&dir).expect("mailbox dir");
    for name in ["temp.wav", "temp.gsm", "tempo.wav", "busy.wav"] {
        std::fs::write(dir.join(name), b"x").expect("file");
    }
    assert!(
        files
            .remove(&mailbox(), GreetingKind::Temp)
            .expect("removable")
    );
    assert_eq!(names_in(&dir), vec!["busy.wav", "tempo.wav"]);
}

#[test]
fn removing_a_missing_greeting_reports_false() {
    let (_dir, files) = spool();
    assert!(
        !files
            .remove(&mailbox(), GreetingKind::Temp)
            .expect("no error")
    );
}

#[test]
fn caller_hears_per_reason_follows_the_rule() {
    let (_dir, files) = spool();
    let dir = files.mailbox_dir(&mailbox());
    std::fs::create_dir_all(&dir).expect("mailbox dir");
    std::fs::write(dir.join("unavail.wav"), b"x").expect("file");
    assert_eq!(
        files.caller_hears(&mailbox()).expect("readable"),
        vec![
            (
                Reason::Busy,
                Announcement::SystemDefault(Status::OnThePhone)
            ),
            (
                Reason::Unavailable,
                Announcement::Recorded(GreetingKind::Unavail)
            ),
            (
                Reason::NoAnswer,
                Announcement::SystemDefault(Status::Unavailable)
            ),
        ]
    );
}

#[test]
fn mailbox_ids_that_could_leave_the_spool_are_rejected() {
    for bad in ["../1001", "1001/../../etc", "/etc", "1001\0", ".", ""] {
        assert!(
            matches!(Mailbox::parse(bad), Err(GreetingError::BadMailbox(_))),
            "{bad:?}"
        );
    }
}
