//! Fax sending end to end over ARI: the real client, event connection and engine against the
//! ARI simulator, whose `[ringside-fax-out]` plays a far-end fax machine. Every outcome a
//! call can have, and the retries they lead to.

use std::time::Duration;

use ringside::ari::simulator::{FarFax, Script};
use ringside::store::fax::JobState;

use crate::common::fax_rig::{NUMBER, at, receives, rig, rig_with_lease};

#[tokio::test]
async fn fax_to_a_fax_machine_is_sent_through_every_state() {
    let mut rig = rig().await;
    rig.sim
        .fax_machine(NUMBER, 30, Duration::from_millis(50), receives(3));
    let job = rig.queue(4).await;
    rig.attempt().await;
    let done = rig.job(job.id).await;
    assert_eq!(done.state, JobState::Sent, "{done:?}");
    assert_eq!(done.pages_sent, 3);
    assert_eq!(done.fax_status.as_deref(), Some("SUCCESS"));
    assert_eq!(done.remote_station_id.as_deref(), Some("+1 555 123 4567"));
    assert_eq!(
        rig.states_seen(),
        vec![
            JobState::Converting,
            JobState::Dialing,
            JobState::Sending,
            JobState::Sent
        ]
    );
}

#[tokio::test]
async fn fax_call_is_originated_into_the_app_then_continued_into_fax_out() {
    let rig = rig().await;
    rig.sim
        .fax_machine(NUMBER, 30, Duration::from_millis(50), receives(3));
    let job = rig.queue(4).await;
    rig.attempt().await;
    let channel = format!("ringside-fax-{}-1", job.id);
    let calls = rig.sim.rest_calls();
    let originate = calls
        .iter()
        .find(|c| c.method == "POST" && c.path == format!("/channels/{channel}"))
        .expect("originate with our channel id");
    let text = format!("{originate:?}");
    assert!(text.contains("Local/5551234@ringside-outbound"), "{text}");
    assert!(text.contains("RINGSIDE_FAX_FILE"), "{text}");
    let destroyed = rig.sim.destroyed(&channel).expect("call ended");
    let continued = destroyed.0.continued.expect("continued into the dialplan");
    assert_eq!(
        (continued.context.as_str(), continued.extension.as_str()),
        ("ringside-fax-out", "s")
    );
}

#[tokio::test]
async fn fax_refused_by_the_far_end_fails_with_asterisks_error_after_the_last_attempt() {
    let rig = rig().await;
    rig.sim.fax_machine(
        NUMBER,
        30,
        Duration::from_millis(50),
        FarFax::Fails {
            error: "NEGOTIATION_FAILED".into(),
            status_string: "Disconnected after permitted retries, DCS".into(),
            pages: 0,
        },
    );
    let job = rig.queue(1).await;
    rig.attempt().await;
    let done = rig.job(job.id).await;
    assert_eq!(done.state, JobState::Failed);
    assert_eq!(done.fax_status.as_deref(), Some("FAILED"));
    assert_eq!(done.fax_error.as_deref(), Some("NEGOTIATION_FAILED"));
    assert_eq!(
        done.fax_status_string.as_deref(),
        Some("Disconnected after permitted retries, DCS")
    );
}

#[tokio::test]
async fn busy_number_is_retried_then_sent_when_the_machine_is_free() {
    let rig = rig().await;
    rig.sim.phone(NUMBER, Script::busy());
    let job = rig.queue(4).await;
    rig.attempt().await;
    let waiting = rig.job(job.id).await;
    assert_eq!(waiting.state, JobState::Queued);
    assert!(
        waiting.error.as_deref().unwrap_or("").contains("busy"),
        "{waiting:?}"
    );
    rig.sim
        .fax_machine(NUMBER, 30, Duration::from_millis(50), receives(3));
    rig.attempt().await;
    let done = rig.job(job.id).await;
    assert_eq!(done.state, JobState::Sent);
    assert_eq!(done.attempts, 2);
}

#[tokio::test]
async fn unanswered_number_is_retried_as_no_answer() {
    let rig = rig().await;
    rig.sim.phone(NUMBER, Script::never_answer());
    let job = rig.queue(4).await;
    rig.attempt().await;
    let waiting = rig.job(job.id).await;
    assert_eq!(waiting.state, JobState::Queued);
    assert!(
        waiting
            .error
            .as_deref()
            .unwrap_or("")
            .contains("nobody answered"),
        "{waiting:?}"
    );
}

#[tokio::test]
async fn busy_on_every_attempt_fails_after_the_last() {
    let rig = rig().await;
    rig.sim.phone(NUMBER, Script::busy());
    let job = rig.queue(2).await;
    rig.attempt().await;
    rig.attempt().await;
    let done = rig.job(job.id).await;
    assert_eq!(done.state, JobState::Failed);
    assert_eq!(
        done.error.as_deref(),
        Some("the line was busy (gave up after 2 attempts)")
    );
}

#[tokio::test]
async fn far_end_hanging_up_mid_transfer_is_retried_with_the_pages_that_went_through() {
    let rig = rig().await;
    rig.sim.fax_machine(
        NUMBER,
        30,
        Duration::from_millis(50),
        FarFax::HangsUpAfter { pages: 1 },
    );
    let job = rig.queue(4).await;
    rig.attempt().await;
    let waiting = rig.job(job.id).await;
    assert_eq!(waiting.state, JobState::Queued);
    assert_eq!(waiting.pages_sent, 1);
    assert_eq!(waiting.fax_error.as_deref(), Some("HANGUP"));
}

#[tokio::test]
async fn missing_number_fails_the_attempt_as_unreachable() {
    let rig = rig().await;
    let job = rig.queue(1).await;
    rig.attempt().await;
    let done = rig.job(job.id).await;
    assert_eq!(done.state, JobState::Failed);
    assert!(
        done.error.as_deref().unwrap_or("").contains("call failed"),
        "{done:?}"
    );
}

#[tokio::test]
async fn job_cancelled_while_dialing_hangs_up_the_call() {
    let rig = rig().await;
    rig.sim.phone(NUMBER, Script::never_answer());
    let job = rig.queue(4).await;
    let channel = format!("ringside-fax-{}-1", job.id);
    let attempt = rig.worker.run_once();
    let cancel = async {
        assert!(
            rig.sim
                .wait_until(Duration::from_secs(5), |s| s.channel(&channel).is_some())
                .await,
            "call placed"
        );
        rig.store
            .cancel_fax_job(job.id, at(1))
            .await
            .expect("cancel");
    };
    let (worked, ()) = tokio::join!(attempt, cancel);
    assert!(worked.expect("worker"));
    let done = rig.job(job.id).await;
    assert_eq!(done.state, JobState::Cancelled);
    assert_eq!(
        done.error.as_deref(),
        Some("cancelled by the user while dialing")
    );
    assert!(rig.sim.destroyed(&channel).is_some(), "call hung up");
}

#[tokio::test]
async fn fax_call_answered_after_its_worker_is_gone_is_hung_up() {
    let rig = rig().await;
    rig.sim.phone(NUMBER, Script::answer_after_ms(20));
    // A call placed by a daemon that has since restarted: nobody claims its channel.
    rig.client
        .originate(&ringside::ari::Originate {
            endpoint: format!("Local/{NUMBER}@ringside-outbound"),
            channel_id: Some("ringside-fax-99-1".into()),
            app: Some("ringside".into()),
            app_args: Some("fax,99".into()),
            ..Default::default()
        })
        .await
        .expect("originate");
    assert!(
        rig.sim
            .wait_until(Duration::from_secs(5), |s| s
                .destroyed("ringside-fax-99-1")
                .is_some())
            .await,
        "stray fax call hung up"
    );
    let continued = rig
        .sim
        .destroyed("ringside-fax-99-1")
        .and_then(|(view, _)| view.continued);
    assert_eq!(continued, None, "not sent into the dialplan");
}

/// The fax's report comes while no daemon listens (its daemon was killed mid-transfer). The
/// daemon that takes the job over reads the report Asterisk kept: the job is sent, the fax is
/// not sent a second time, and the kept report is dropped.
#[tokio::test]
async fn fax_finished_while_its_daemon_was_down_is_sent_once() {
    let rig = rig_with_lease(Duration::from_millis(300)).await;
    rig.sim
        .fax_machine(NUMBER, 30, Duration::from_millis(300), receives(3));
    let job = rig.queue(4).await;
    rig.kill_worker_while_sending(job.id).await;
    let channel = format!("ringside-fax-{}-1", job.id);
    assert!(
        rig.sim
            .wait_until(Duration::from_secs(5), |s| s.destroyed(&channel).is_some())
            .await,
        "the fax call ended with nobody listening"
    );
    let (_, done) = rig.take_over_after_the_lease(job.id).await;
    assert_eq!(done.state, JobState::Sent, "{done:?}");
    assert_eq!(done.pages_sent, 3);
    assert_eq!(done.attempts, 1);
    assert_eq!(rig.fax_out_runs(), 1, "the fax went out once");
    let kept = rig
        .client
        .global_var(&ringside::flows::fax::call::report_variable(&channel))
        .await
        .expect("global variable");
    assert_eq!(kept, "", "kept report dropped once saved");
}

/// Killed mid-transfer with `SendFAX` still running: the daemon taking over watches the call
/// to its end and records its outcome; cutting it off would send part of the fax twice.
#[tokio::test]
async fn fax_still_sending_when_its_daemon_died_is_watched_to_its_end_and_sent_once() {
    let rig = rig_with_lease(Duration::from_millis(300)).await;
    rig.sim
        .fax_machine(NUMBER, 30, Duration::from_millis(1500), receives(3));
    let job = rig.queue(4).await;
    rig.kill_worker_while_sending(job.id).await;
    tokio::time::sleep(rig.lease + Duration::from_millis(100)).await;
    let first = format!("ringside-fax-{}-1", job.id);
    assert!(rig.sim.destroyed(&first).is_none(), "still sending");

    let successor = rig.other_worker("daemon-2");
    assert!(
        successor.run_once().await.expect("worker"),
        "job taken over"
    );
    let done = rig.job(job.id).await;
    assert_eq!(done.state, JobState::Sent, "{done:?}");
    assert_eq!(done.attempts, 1);
    assert_eq!(done.pages_sent, 3);
    assert_eq!(rig.fax_out_runs(), 1, "the fax went out once");
    assert!(
        !rig.sim
            .rest_calls()
            .iter()
            .any(|c| c.method == "DELETE" && c.path == format!("/channels/{first}")),
        "the call was left to finish"
    );
}

/// Killed after recording the job as sending but before handing its answered call to
/// `SendFAX`: the call waits in the app with nothing sent. The daemon taking over hands it to
/// `SendFAX` at once, rather than watching an idle call to its time limit and sending again.
#[tokio::test]
async fn fax_answered_but_never_handed_to_sendfax_is_sent_by_the_daemon_taking_over() {
    let rig = rig_with_lease(Duration::from_millis(300)).await;
    rig.sim
        .fax_machine(NUMBER, 30, Duration::from_millis(100), receives(3));
    let job = rig.queue(4).await;
    rig.kill_worker_before_send_fax(job.id).await;

    let (_, done) = rig.take_over_after_the_lease(job.id).await;
    assert_eq!(done.state, JobState::Sent, "{done:?}");
    assert_eq!(done.attempts, 1);
    assert_eq!(done.pages_sent, 3);
    assert_eq!(rig.fax_out_runs(), 1, "the fax went out once");
}

/// Killed mid-transfer, and the call gone with no report kept (Asterisk restarted): nobody
/// knows how far the fax got, so it is sent again.
#[tokio::test]
async fn fax_whose_call_vanished_with_its_daemon_is_sent_again() {
    let rig = rig_with_lease(Duration::from_millis(300)).await;
    rig.sim
        .fax_machine(NUMBER, 30, Duration::from_secs(30), receives(3));
    let job = rig.queue(4).await;
    rig.kill_worker_while_sending(job.id).await;
    let first = format!("ringside-fax-{}-1", job.id);
    assert!(rig.sim.hang_up(&first), "the call was up");

    let (successor, requeued) = rig.take_over_after_the_lease(job.id).await;
    assert_eq!(requeued.state, JobState::Queued, "{requeued:?}");
    rig.sim
        .fax_machine(NUMBER, 30, Duration::from_millis(100), receives(3));
    assert!(successor.run_once().await.expect("worker"), "sent again");
    let done = rig.job(job.id).await;
    assert_eq!(done.state, JobState::Sent, "{done:?}");
    assert_eq!(done.attempts, 2);
}
