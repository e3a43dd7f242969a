//! Wakeup call flow over ARI: originates a call to a member into the `ringside` app with our own
//! channel id, plays the prompt when answered, and reports the outcome to the scheduler.
//!
//! The decisions are in [`machine`] (pure); this file only executes them: originate, play,
//! hang up, and the two timers (ring time, call limit). It does not schedule anything.

pub mod machine;
pub mod scheduler;

pub use scheduler::{
    CallResult, Scheduler, SchedulerConfig, SchedulerHandle, WakeupCall, WakeupDialer,
};

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::ari::{AriClient, AriError, HangupReason, Originate};
use crate::flows::dispatch::{FlowCall, FlowFuture, FlowInput, Inbox};
use crate::schedule::Outcome;
use machine::{Action, CallMachine};

/// The first Stasis argument of wakeup calls (`appArgs=wakeup,<id>,<member>`).
pub const ROUTE: &str = "wakeup";

/// Settings of the call flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WakeupFlowConfig {
    /// Dial string for a member's devices; `{ext}` is replaced by the extension.
    pub endpoint_template: String,
    /// Caller ID shown to the member.
    pub caller_id: String,
    /// Times the prompt plays before the call ends without a key.
    pub max_plays: u32,
    /// Longest an answered call lasts.
    pub call_limit: Duration,
    /// Extra wait beyond the ring time for Asterisk's own end of an unanswered call.
    pub ring_margin: Duration,
    /// Originate requests in flight at once over HTTP: Asterisk's HTTP server takes a limited
    /// number of sessions (`sessionlimit`, 100 by default), and thousands of parallel
    /// connections only queue there while failing here. REST over the event WebSocket has no
    /// such limit (one connection carries every request), so there they are not capped.
    pub max_parallel_originates: usize,
}

impl WakeupFlowConfig {
    pub fn from_config(config: &crate::config::Config) -> Self {
        Self {
            endpoint_template: config.dial.extension.clone(),
            ..Self::default()
        }
    }
}

impl Default for WakeupFlowConfig {
    fn default() -> Self {
        Self {
            endpoint_template: "PJSIP/{ext}".into(),
            caller_id: "\"Wakeup\" <wakeup>".into(),
            max_plays: 5,
            call_limit: Duration::from_secs(180),
            ring_margin: Duration::from_secs(10),
            max_parallel_originates: 32,
        }
    }
}

/// Creates a fresh engine inbox (routing events of the channels it claims to this call).
pub type InboxFactory = Arc<dyn Fn() -> Inbox + Send + Sync>;

/// Places wakeup calls through ARI; the scheduler's [`WakeupDialer`].
pub struct AriWakeupDialer {
    client: AriClient,
    inboxes: InboxFactory,
    originates: tokio::sync::Semaphore,
    config: WakeupFlowConfig,
}

impl AriWakeupDialer {
    pub fn new(client: AriClient, inboxes: InboxFactory, config: WakeupFlowConfig) -> Self {
        Self {
            client,
            inboxes,
            originates: tokio::sync::Semaphore::new(config.max_parallel_originates.max(1)),
            config,
        }
    }
}

/// Our channel id for one attempt: unique even when a call is retried or taken over.
pub fn channel_id(call: &WakeupCall) -> String {
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    format!("wakeup-{}-{}-{}", call.wakeup_id, call.call_id, &nonce[..8])
}

#[async_trait::async_trait]
impl WakeupDialer for AriWakeupDialer {
    async fn call(&self, call: WakeupCall) -> CallResult {
        let id = channel_id(&call);
        let mut machine = CallMachine::new(&id, &call.prompt, self.config.max_plays);
        let mut inbox = (self.inboxes)();
        // Claimed before originating: no event can arrive for an id nobody knows.
        inbox.claim(&id);
        let request = Originate {
            endpoint: self.config.endpoint_template.replace("{ext}", &call.member),
            channel_id: Some(id.clone()),
            app: Some(self.client.app().to_owned()),
            app_args: Some(format!("{ROUTE},{},{}", call.wakeup_id, call.member)),
            caller_id: Some(self.config.caller_id.clone()),
            timeout_secs: Some(call.ring_secs),
            ..Originate::default()
        };
        let originated = if self.client.rest_over_ws().is_attached() {
            self.client.originate(&request).await
        } else {
            match self.originates.acquire().await {
                Ok(_permit) => self.client.originate(&request).await,
                // Never closed; a closed semaphore would only mean the dialer is going away.
                Err(_) => return CallResult::new(Outcome::Failed, "dialer stopped"),
            }
        };
        if let Err(e) = originated {
            tracing::warn!(channel = %id, member = %call.member, error = %e, "wakeup originate refused");
            return CallResult::new(Outcome::Failed, format!("originate refused: {e}"));
        }
        let ring_deadline = Instant::now()
            + Duration::from_secs(u64::from(call.ring_secs))
            + self.config.ring_margin;
        let mut call_deadline: Option<Instant> = None;
        loop {
            if let Some(result) = machine.result() {
                return result.clone();
            }
            let deadline = call_deadline.unwrap_or(ring_deadline);
            let actions = tokio::select! {
                input = inbox.recv() => match input {
                    Some(FlowInput::Event { event, .. }) => {
                        let was_answered = machine.is_answered();
                        let actions = machine.on_event(&event);
                        if !was_answered && machine.is_answered() {
                            call_deadline = Some(Instant::now() + self.config.call_limit);
                        }
                        actions
                    }
                    Some(FlowInput::Vanished { .. }) => machine.on_failure("channel vanished while ARI was disconnected"),
                    Some(FlowInput::Shutdown) | None => machine.on_failure("daemon stopping"),
                },
                () = tokio::time::sleep_until(deadline) => {
                    if machine.is_answered() { machine.on_call_limit() } else { machine.on_ring_timeout() }
                }
            };
            for action in actions {
                self.execute(&id, action, &mut machine).await;
            }
        }
    }
}

impl AriWakeupDialer {
    async fn execute(&self, id: &str, action: Action, machine: &mut CallMachine) {
        match action {
            Action::Play { playback_id, media } => {
                match self.client.play(id, &playback_id, &media).await {
                    Ok(_) => {}
                    // The member hung up just now: the hang-up event tells the outcome.
                    Err(AriError::NotFound(_)) => {}
                    Err(e) => {
                        let follow = machine.on_failure(format!("cannot play {media}: {e}"));
                        for a in follow {
                            if a == Action::Hangup {
                                self.hang_up(id).await;
                            }
                        }
                    }
                }
            }
            Action::Hangup => self.hang_up(id).await,
        }
    }

    async fn hang_up(&self, id: &str) {
        match self.client.hangup(id, HangupReason::Normal).await {
            Ok(()) | Err(AriError::NotFound(_)) => {}
            Err(e) => tracing::warn!(channel = %id, error = %e, "cannot hang up wakeup call"),
        }
    }
}

/// The engine route for `Stasis(ringside,wakeup,…)` calls no flow here owns: wakeup calls are
/// only ever originated by a scheduler, which claims its channel first, so such a call is left
/// over from a daemon that stopped mid-call. It is hung up rather than left in the app.
pub fn orphan_handler(call: FlowCall) -> FlowFuture {
    Box::pin(async move {
        let id = call.start.channel.id.clone();
        tracing::info!(channel = %id, args = ?call.start.args, "hanging up a wakeup call no scheduler here placed");
        match call.client.hangup(&id, HangupReason::Normal).await {
            Ok(()) | Err(AriError::NotFound(_)) => {}
            Err(e) => {
                tracing::warn!(channel = %id, error = %e, "cannot hang up orphan wakeup call")
            }
        }
    })
}
