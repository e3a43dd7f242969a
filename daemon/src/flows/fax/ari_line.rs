//! The fax line over ARI.
//!
//! A fax call is an originate to the `[dial] external` endpoint with a channel id we chose,
//! into our Stasis app (`appArgs` = `fax,<job>`), carrying `RINGSIDE_FAX_JOB` and
//! `RINGSIDE_FAX_FILE`. Originating into the app subscribes the app to the channel from the
//! start, so an unanswered call's `Dial` status and hang-up cause reach us (Asterisk 22 sends
//! them; StasisStart only comes on answer). On answer we subscribe the app to the channel
//! explicitly (so events keep coming once it leaves Stasis) and continue it into
//! `ringside-fax-out`, whose hangup handler reports `SendFAX`'s outcome as
//! `UserEvent(RingsideFax, …)`.
//!
//! The channel's events come through the engine's [`Inbox`]; the id is claimed before the
//! originate so none is missed. [`signal_from`] (pure) turns them into [`CallSignal`]s.

use std::collections::BTreeMap;

use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::call::{
    CallSignal, FAX_USER_EVENT, REPORT_VARIABLE_CHANNEL_VAR, parse_fax_report, parse_kept_report,
    report_variable,
};
use super::machine::FaxResult;
use super::ports::{AdoptedCall, CallSignals, FaxCall, FaxLine, LineError};
use crate::ari::{AriClient, AriError, DialplanTarget, Event, HangupReason, Originate};
use crate::flows::dispatch::{FlowInput, Inbox};

/// The dialplan context that runs `SendFAX` (see `dialplan/extensions_ringside.conf`).
pub const FAX_OUT_CONTEXT: &str = "ringside-fax-out";
/// First Stasis argument of a fax call.
pub const STASIS_ROUTE: &str = "fax";

type Claim = (String, oneshot::Sender<()>);

/// [`FaxLine`] over an ARI client and the engine's event routing.
pub struct AriFaxLine {
    client: AriClient,
    claims: mpsc::UnboundedSender<Claim>,
}

impl AriFaxLine {
    /// Starts forwarding the events of claimed channels to `signals` until `stop`.
    pub fn start(
        client: AriClient,
        inbox: Inbox,
        signals: CallSignals,
        stop: CancellationToken,
    ) -> Self {
        let (claims, requests) = mpsc::unbounded_channel();
        tokio::spawn(forward_events(inbox, requests, signals, stop));
        Self { client, claims }
    }

    async fn claim(&self, channel_id: &str) -> Result<(), LineError> {
        let (done, claimed) = oneshot::channel();
        self.claims
            .send((channel_id.to_owned(), done))
            .map_err(|_| LineError("the fax line has stopped".into()))?;
        claimed
            .await
            .map_err(|_| LineError("the fax line has stopped".into()))
    }
}

async fn forward_events(
    mut inbox: Inbox,
    mut requests: mpsc::UnboundedReceiver<Claim>,
    signals: CallSignals,
    stop: CancellationToken,
) {
    loop {
        tokio::select! {
            () = stop.cancelled() => break,
            request = requests.recv() => match request {
                Some((channel_id, done)) => {
                    inbox.claim(&channel_id);
                    let _ = done.send(());
                }
                None => break,
            },
            input = inbox.recv() => match input {
                Some(input) => {
                    if let Some((channel_id, signal)) = signal_from(&input) {
                        if !signals.dispatch(&channel_id, signal) {
                            tracing::debug!(channel = %channel_id, "fax call event nobody waits for");
                        }
                    }
                }
                None => break,
            },
        }
    }
}

/// What an ARI event about a fax call's channel signals, if anything.
pub fn signal_from(input: &FlowInput) -> Option<(String, CallSignal)> {
    let event = match input {
        FlowInput::Event { event, .. } => &**event,
        FlowInput::Vanished { channel_id } => {
            return Some((
                channel_id.clone(),
                CallSignal::Destroyed {
                    cause: 0,
                    cause_txt: "the call ended while ARI was disconnected".into(),
                },
            ));
        }
        FlowInput::Shutdown => return None,
    };
    let id = event.channel_id()?.to_owned();
    let signal = match event {
        Event::StasisStart(_) => CallSignal::Answered,
        Event::Dial(dial) => CallSignal::DialStatus(dial.dialstatus.clone()),
        Event::ChannelDestroyed(gone) => CallSignal::Destroyed {
            cause: gone.cause,
            cause_txt: gone.cause_txt.clone(),
        },
        Event::ChannelUserevent(user) if user.eventname == FAX_USER_EVENT => {
            let field = |name: &str| {
                user.userevent.get(name).map(|v| match v.as_str() {
                    Some(s) => s.to_owned(),
                    None => v.to_string(),
                })
            };
            match parse_fax_report(field) {
                Ok((_, result)) => CallSignal::FaxReport(result),
                Err(err) => {
                    tracing::warn!(channel = %id, error = %err, "unreadable fax report");
                    return None;
                }
            }
        }
        _ => return None,
    };
    Some((id, signal))
}

fn line_error(what: &str, err: AriError) -> LineError {
    LineError(format!("{what}: {err}"))
}

#[async_trait::async_trait]
impl FaxLine for AriFaxLine {
    async fn originate(&self, call: &FaxCall) -> Result<(), LineError> {
        self.claim(&call.channel_id).await?;
        let variables = BTreeMap::from([
            ("RINGSIDE_FAX_JOB".to_owned(), call.job_id.to_string()),
            (
                "RINGSIDE_FAX_FILE".to_owned(),
                call.tiff_path.display().to_string(),
            ),
            (
                REPORT_VARIABLE_CHANNEL_VAR.to_owned(),
                report_variable(&call.channel_id),
            ),
        ]);
        let request = Originate {
            endpoint: call.endpoint.clone(),
            channel_id: Some(call.channel_id.clone()),
            app: Some(self.client.app().to_owned()),
            app_args: Some(format!("{STASIS_ROUTE},{}", call.job_id)),
            caller_id: (!call.caller_id.is_empty()).then(|| call.caller_id.clone()),
            timeout_secs: Some(call.timeout_secs),
            variables,
            ..Originate::default()
        };
        self.client
            .originate(&request)
            .await
            .map(|_| ())
            .map_err(|e| line_error("cannot place the fax call", e))
    }

    async fn start_send_fax(&self, channel_id: &str, job_id: i64) -> Result<(), LineError> {
        // Keeps the channel's events (the fax report, the hang-up) coming after it leaves
        // Stasis for the dialplan.
        self.client
            .subscribe(self.client.app(), &format!("channel:{channel_id}"))
            .await
            .map_err(|e| line_error("cannot subscribe to the fax call", e))?;
        let target = DialplanTarget {
            context: Some(FAX_OUT_CONTEXT.to_owned()),
            extension: Some("s".to_owned()),
            priority: Some(1),
            label: None,
        };
        tracing::debug!(channel = %channel_id, job = job_id, "fax call answered; running SendFAX");
        self.client
            .continue_in_dialplan(channel_id, &target)
            .await
            .map_err(|e| line_error("cannot start SendFAX", e))
    }

    async fn hangup(&self, channel_id: &str) -> Result<(), LineError> {
        match self.client.hangup(channel_id, HangupReason::Normal).await {
            Ok(()) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(line_error("cannot hang up the fax call", e)),
        }
    }

    async fn kept_report(&self, channel_id: &str) -> Result<Option<FaxResult>, LineError> {
        let text = self
            .client
            .global_var(&report_variable(channel_id))
            .await
            .map_err(|e| line_error("cannot read the kept fax report", e))?;
        match parse_kept_report(&text) {
            Ok(Some((_, result))) => Ok(Some(result)),
            Ok(None) => Ok(None),
            Err(err) => {
                // Unreadable is as good as absent: the call counts as abandoned mid-fax.
                tracing::warn!(channel = %channel_id, error = %err, "unreadable kept fax report");
                Ok(None)
            }
        }
    }

    async fn adopt(&self, channel_id: &str) -> Result<AdoptedCall, LineError> {
        self.claim(channel_id).await?;
        // The app's subscription may have gone with the daemon that made it; a call already
        // gone cannot be subscribed to, which the look-up below says plainly.
        if let Err(err) = self
            .client
            .subscribe(self.client.app(), &format!("channel:{channel_id}"))
            .await
        {
            tracing::debug!(channel = %channel_id, error = %err, "fax call not subscribed on adoption");
        }
        match self.client.channel(channel_id).await {
            // A channel in Stasis reports the app as what it runs; once continued, it runs the
            // fax-out dialplan's applications instead.
            Ok(channel) if channel.dialplan.app_name == "Stasis" => Ok(AdoptedCall::Answered),
            Ok(_) => Ok(AdoptedCall::Sending),
            Err(e) if e.is_not_found() => Ok(AdoptedCall::Gone),
            Err(e) => Err(line_error("cannot look the fax call up", e)),
        }
    }

    async fn forget_report(&self, channel_id: &str) -> Result<(), LineError> {
        self.client
            .set_global_var(&report_variable(channel_id), None)
            .await
            .map_err(|e| line_error("cannot drop the kept fax report", e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(json: &str) -> FlowInput {
        FlowInput::Event {
            event: Box::new(Event::parse(json).expect("valid event")),
            received_at: std::time::Instant::now(),
        }
    }

    const CHANNEL: &str = r#""channel":{"id":"ringside-fax-7-1","name":"Local/5551234@ringside-outbound-00000001;1","state":"Up","caller":{"name":"","number":""}}"#;

    #[test]
    fn stasis_start_means_answered() {
        let json = format!(r#"{{"type":"StasisStart","args":["fax","7"],{CHANNEL}}}"#);
        assert_eq!(
            signal_from(&input(&json)),
            Some(("ringside-fax-7-1".into(), CallSignal::Answered))
        );
    }

    #[test]
    fn dial_event_carries_its_status_for_the_peer() {
        let json = r#"{"type":"Dial","dialstatus":"BUSY","dialstring":"5551234@ringside-outbound","peer":{"id":"ringside-fax-7-1","name":"Local/5551234@ringside-outbound-00000001;1","state":"Down"}}"#;
        assert_eq!(
            signal_from(&input(json)),
            Some((
                "ringside-fax-7-1".into(),
                CallSignal::DialStatus("BUSY".into())
            ))
        );
    }

    #[test]
    fn destroyed_channel_carries_its_cause() {
        let json = format!(
            r#"{{"type":"ChannelDestroyed","cause":19,"cause_txt":"User alerting, no answer",{CHANNEL}}}"#
        );
        assert_eq!(
            signal_from(&input(&json)),
            Some((
                "ringside-fax-7-1".into(),
                CallSignal::Destroyed {
                    cause: 19,
                    cause_txt: "User alerting, no answer".into()
                }
            ))
        );
    }

    #[test]
    fn ringside_fax_user_event_is_the_fax_report() {
        let json = format!(
            r#"{{"type":"ChannelUserevent","eventname":"RingsideFax","userevent":{{"job":"7","status":"SUCCESS","error":"","statusstring":"OK","pages":"3","remote":"REMOTE"}},{CHANNEL}}}"#
        );
        let Some((_, CallSignal::FaxReport(result))) = signal_from(&input(&json)) else {
            panic!("not a fax report");
        };
        assert!(result.succeeded());
        assert_eq!(result.pages, 3);
    }

    #[test]
    fn other_user_events_are_ignored() {
        let json = format!(
            r#"{{"type":"ChannelUserevent","eventname":"Other","userevent":{{}},{CHANNEL}}}"#
        );
        assert_eq!(signal_from(&input(&json)), None);
    }

    #[test]
    fn vanished_channel_is_gone() {
        let signal = signal_from(&FlowInput::Vanished {
            channel_id: "ringside-fax-7-1".into(),
        });
        assert!(matches!(
            signal,
            Some((_, CallSignal::Destroyed { cause: 0, .. }))
        ));
    }
}
