//! Live page progress of a fax being sent: the real fax worker over the ARI simulator, the
//! real manager client against the AMI simulator, whose fax sessions the test moves page by
//! page as res_fax would while `SendFAX` runs. Progress mid-transfer, a session that cannot be
//! found, a manager user not allowed to ask, no manager link at all, and a manager link that
//! drops mid-transfer.

use std::time::Duration;

use ringside::ami::simulator::AmiSimulator;
use ringside::ami::simulator::fax::FaxOperation;
use ringside::ami::{AmiClient, LinkState};
use ringside::flows::fax::{FaxTransfers, LiveTransfer};
use ringside::store::fax::{FaxJob, JobState};
use tokio_util::sync::CancellationToken;

use crate::common;
use crate::common::fax_rig::{NUMBER, Rig, receives, rig, wait_for};

const SECRET: &str = "fax-progress-secret";
/// Long enough for every check the tests make while `SendFAX` runs.
const TRANSFER: Duration = Duration::from_secs(6);
const WAIT: Duration = Duration::from_secs(5);

/// The rig with a manager link to an AMI simulator and the transfers looked up through it.
struct Progress {
    rig: Rig,
    ami_sim: AmiSimulator,
    transfers: FaxTransfers,
    stop: CancellationToken,
    _spool: tempfile::TempDir,
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop.cancel();
        self.ami_sim.shutdown();
    }
}

async fn progress() -> Progress {
    progress_reconnecting_after(Duration::from_millis(50)).await
}

/// With the manager link waiting between `first_wait / 2` and `first_wait` before it
/// reconnects.
async fn progress_reconnecting_after(first_wait: Duration) -> Progress {
    let rig = rig().await;
    let spool = tempfile::tempdir().expect("spool");
    let ami_sim = common::ami::simulator(spool.path(), SECRET).await;
    let stop = CancellationToken::new();
    let ami = AmiClient::spawn(
        common::ami::config(ami_sim.addr(), SECRET),
        common::ami::timers((first_wait, first_wait * 4)),
        stop.clone(),
    );
    assert!(ami.wait_connected(WAIT).await, "manager link up");
    let transfers = FaxTransfers::new(ami, rig.client.clone());
    Progress {
        rig,
        ami_sim,
        transfers,
        stop,
        _spool: spool,
    }
}

/// Waits until job `id` is in `sending` and returns it with its channel's name.
async fn sending(rig: &Rig, id: i64) -> (FaxJob, String) {
    assert!(
        wait_for(WAIT, || async {
            rig.job(id).await.state == JobState::Sending
        })
        .await,
        "the fax started"
    );
    let job = rig.job(id).await;
    let channel = job.channel_id.clone().expect("the call's channel");
    let name = rig.sim.channel(&channel).expect("channel up").channel.name;
    (job, name)
}

/// `SendFAX` on the job's channel and, as in a loop-back call, `ReceiveFAX` on the far half
/// of the Local pair; returns the sending session's number.
fn both_halves(ami_sim: &AmiSimulator, name: &str) -> u32 {
    let far = format!("{};2", name.trim_end_matches(";1"));
    let send = ami_sim.start_fax_session(name, FaxOperation::Send, "/fax/sent/1.tif");
    let receive = ami_sim.start_fax_session(&far, FaxOperation::Receive, "/fax/in/1.tif");
    // The far half goes faster, so a wrong match would show.
    assert!(ami_sim.set_fax_page(receive, 3, 2));
    send
}

/// Asks until the answer is `want` (answers are kept for up to a second).
async fn shows(transfers: &FaxTransfers, rig: &Rig, id: i64, want: Option<LiveTransfer>) -> bool {
    wait_for(WAIT, || async {
        transfers.current(&rig.job(id).await).await == want
    })
    .await
}

fn page(page: u32, pages_sent: u32) -> Option<LiveTransfer> {
    Some(LiveTransfer {
        page,
        pages_total: Some(3),
        pages_sent,
        bit_rate: Some(14400),
    })
}

#[tokio::test]
async fn progress_is_reported_page_by_page_for_the_sending_half_then_ends_with_the_fax() {
    let p = progress().await;
    p.rig.sim.fax_machine(NUMBER, 30, TRANSFER, receives(3));
    let job = p.rig.queue(4).await;
    let watch = async {
        let (_, name) = sending(&p.rig, job.id).await;
        let session = both_halves(&p.ami_sim, &name);
        assert!(
            shows(&p.transfers, &p.rig, job.id, page(1, 0)).await,
            "page 1 of 3"
        );
        assert!(p.ami_sim.set_fax_page(session, 2, 1));
        assert!(
            shows(&p.transfers, &p.rig, job.id, page(2, 1)).await,
            "page 2 of 3"
        );
        session
    };
    let ((), session) = tokio::join!(p.rig.attempt(), watch);
    p.ami_sim.end_fax_session(session);
    let done = p.rig.job(job.id).await;
    assert_eq!(done.state, JobState::Sent, "{done:?}");
    assert_eq!(
        p.transfers.current(&done).await,
        None,
        "nothing after the end"
    );
}

#[tokio::test]
async fn a_steady_poll_asks_asterisk_about_once_a_second_whatever_the_viewers() {
    let p = progress().await;
    p.rig.sim.fax_machine(NUMBER, 30, TRANSFER, receives(3));
    let job = p.rig.queue(4).await;
    let watch = async {
        let (job, name) = sending(&p.rig, job.id).await;
        both_halves(&p.ami_sim, &name);
        let before = p.ami_sim.actions().len();
        // Ten viewers at once, then again: one list and one look, then nothing new.
        let looks = (0..10).map(|_| p.transfers.current(&job));
        let answers = futures_util::future::join_all(looks).await;
        assert!(answers.iter().all(|a| *a == page(1, 0)), "{answers:?}");
        let again = futures_util::future::join_all((0..10).map(|_| p.transfers.current(&job)));
        again.await;
        let asked: Vec<String> = p.ami_sim.actions()[before..]
            .iter()
            .filter_map(|a| a.get("Action").map(str::to_owned))
            .filter(|a| a != "Ping")
            .collect();
        assert_eq!(asked, ["FAXSessions", "FAXSession"]);
    };
    tokio::join!(p.rig.attempt(), watch);
}

#[tokio::test]
async fn a_sending_job_without_a_session_has_no_progress_and_no_error() {
    let p = progress().await;
    p.rig.sim.fax_machine(NUMBER, 30, TRANSFER, receives(3));
    let job = p.rig.queue(4).await;
    let watch = async {
        let (job, name) = sending(&p.rig, job.id).await;
        // Only the far half runs a fax application: no session sends on the job's channel.
        let far = format!("{};2", name.trim_end_matches(";1"));
        p.ami_sim
            .start_fax_session(&far, FaxOperation::Receive, "/fax/in/1.tif");
        assert_eq!(p.transfers.current(&job).await, None);
        let listed = p
            .ami_sim
            .actions()
            .iter()
            .any(|a| a.get("Action") == Some("FAXSessions"));
        assert!(listed, "the sessions were looked at");
        // A session that ended between the list and the look (`Session not found`).
        let session = p
            .ami_sim
            .start_fax_session(&name, FaxOperation::Send, "/fax/sent/1.tif");
        assert!(
            shows(&p.transfers, &p.rig, job.id, page(1, 0)).await,
            "found once it runs"
        );
        assert!(p.ami_sim.end_fax_session(session));
        assert!(
            shows(&p.transfers, &p.rig, job.id, None).await,
            "nothing once it ended"
        );
    };
    tokio::join!(p.rig.attempt(), watch);
    assert_eq!(p.rig.job(job.id).await.state, JobState::Sent);
}

#[tokio::test]
async fn a_manager_user_without_the_call_class_gets_no_progress_and_no_error() {
    let p = progress().await;
    p.ami_sim.deny_actions(&["FAXSessions", "FAXSession"]);
    p.rig.sim.fax_machine(NUMBER, 30, TRANSFER, receives(3));
    let job = p.rig.queue(4).await;
    let watch = async {
        let (job, name) = sending(&p.rig, job.id).await;
        both_halves(&p.ami_sim, &name);
        assert_eq!(p.transfers.current(&job).await, None);
        let asked = p
            .ami_sim
            .actions()
            .iter()
            .any(|a| a.get("Action") == Some("FAXSessions"));
        assert!(asked, "the sessions were asked for");
    };
    tokio::join!(p.rig.attempt(), watch);
    assert_eq!(p.rig.job(job.id).await.state, JobState::Sent);
}

#[tokio::test]
async fn without_a_manager_link_a_sending_job_shows_as_recorded() {
    use ringside_portal::Backend;
    use ringside_portal::model::FaxState;

    let rig = rig().await;
    rig.sim.fax_machine(NUMBER, 30, TRANSFER, receives(3));
    let backend =
        crate::common::backend::offline_backend(&rig.store, rig.dir.path()).with_fax_transfers(
            FaxTransfers::new(AmiClient::unavailable(), rig.client.clone()),
        );
    assert_eq!(
        *AmiClient::unavailable().state().borrow(),
        LinkState::NotConfigured
    );
    let job = rig.queue(4).await;
    let watch = async {
        sending(&rig, job.id).await;
        let shown = backend.fax_job(job.id).await.expect("job").expect("found");
        assert_eq!(shown.state, FaxState::Sending);
        assert_eq!(backend.fax_transfer(job.id).await, Ok(None));
    };
    tokio::join!(rig.attempt(), watch);
    let shown = backend.fax_job(job.id).await.expect("job").expect("found");
    assert_eq!((shown.state, shown.pages_sent), (FaxState::Sent, 3));
    assert_eq!(backend.fax_transfer(job.id).await, Ok(None));
}

#[tokio::test]
async fn a_manager_link_dropped_mid_transfer_shows_nothing_until_it_is_back() {
    // Down for at least a second, so the gap can be seen.
    let p = progress_reconnecting_after(Duration::from_secs(2)).await;
    let transfer = TRANSFER * 2;
    p.rig.sim.fax_machine(NUMBER, 30, transfer, receives(3));
    let job = p.rig.queue(4).await;
    let watch = async {
        let (_, name) = sending(&p.rig, job.id).await;
        let session = both_halves(&p.ami_sim, &name);
        assert!(shows(&p.transfers, &p.rig, job.id, page(1, 0)).await);
        let logins = p.ami_sim.logins();
        p.ami_sim.drop_connections();
        assert!(p.ami_sim.set_fax_page(session, 2, 1));
        assert!(
            shows(&p.transfers, &p.rig, job.id, None).await,
            "no progress while the link is down"
        );
        assert!(
            wait_for(WAIT, || async { p.ami_sim.logins() > logins }).await,
            "the link came back"
        );
        assert!(
            shows(&p.transfers, &p.rig, job.id, page(2, 1)).await,
            "progress again once it is back"
        );
    };
    tokio::join!(p.rig.attempt(), watch);
    assert_eq!(p.rig.job(job.id).await.state, JobState::Sent);
}
