//! Wakeup call flow over ARI: originates a call to a member into the `ringside` app with our own
//! channel id, plays the prompt when answered, and reports the outcome to the scheduler.
//!
//! The decisions are in [`machine`] (pure); this file only executes them: originate, play,
//! hang up, and the two timers (ring time, call limit). It does not schedule anything.

pub mod machine;
pub mod scheduler;

pub use scheduler::{
    CallResult, Placed, Scheduler, SchedulerConfig, SchedulerHandle, TAKEN_OVER, WakeupCall,
    WakeupDialer,
};

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::ari::{AriClient, AriError, HangupReason, Originate};
use crate::flows::dispatch::{EngineBuilder, FlowCall, FlowFuture, FlowInput, Inbox};
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

/// Our channel id for a pending call: one per call row (a retry or snooze is a new row), and
/// the same for whichever scheduler places it, so one that takes the call over from a
/// scheduler that died can ask Asterisk whether the call is already there.
pub fn channel_id(call: &WakeupCall) -> String {
    format!("{CHANNEL_PREFIX}{}-{}", call.wakeup_id, call.call_id)
}

/// How every wakeup call's channel id starts.
pub const CHANNEL_PREFIX: &str = "wakeup-";

/// What a scheduler taking a call over does with it, from what Asterisk says about its
/// channel (pure).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Takeover {
    /// The call is there: follow it (`answered`: it is up and in our app, the prompt plays).
    Adopt { answered: bool },
    /// No such channel and none was ever placed: place it now.
    Place,
    /// No such channel, but Asterisk had accepted it: it ended while no daemon watched.
    EndedUnwatched,
}

pub fn takeover(channel: Option<&crate::ari::model::Channel>, placed_before: bool) -> Takeover {
    match channel {
        Some(c) => Takeover::Adopt {
            answered: c.state == "Up",
        },
        None if placed_before => Takeover::EndedUnwatched,
        None => Takeover::Place,
    }
}

#[async_trait::async_trait]
impl WakeupDialer for AriWakeupDialer {
    async fn call(&self, call: WakeupCall, placed: Placed) -> Option<CallResult> {
        let id = channel_id(&call);
        let mut inbox = (self.inboxes)();
        // Claimed before originating or looking: no event can arrive for an id nobody knows.
        inbox.claim(&id);
        let decision = if call.taken_over {
            match self.client.channel(&id).await {
                Ok(channel) => takeover(Some(&channel), call.placed_before),
                Err(AriError::NotFound(_)) => takeover(None, call.placed_before),
                Err(e) => {
                    tracing::warn!(channel = %id, error = %e, "cannot ask Asterisk about a wakeup call taken over");
                    return Some(CallResult::new(
                        Outcome::Failed,
                        format!("cannot look for the call placed before: {e}"),
                    ));
                }
            }
        } else {
            Takeover::Place
        };
        let (mut machine, first) = match decision {
            Takeover::EndedUnwatched => {
                return Some(CallResult::new(
                    Outcome::Failed,
                    "the call ended while no daemon watched it",
                ));
            }
            Takeover::Adopt { answered } => {
                tracing::info!(channel = %id, answered, "adopting a wakeup call placed before a restart");
                placed.placed();
                CallMachine::taken_over(&id, &call.prompt, self.config.max_plays, answered)
            }
            Takeover::Place => {
                let machine = CallMachine::new(&id, &call.prompt, self.config.max_plays);
                if let Err(e) = self.originate(&call, &id).await {
                    tracing::warn!(channel = %id, member = %call.member, error = %e, "wakeup originate refused");
                    return Some(CallResult::new(
                        Outcome::Failed,
                        format!("originate refused: {e}"),
                    ));
                }
                placed.placed();
                (machine, Vec::new())
            }
        };
        for action in first {
            self.execute(&id, action, &mut machine).await;
        }
        let ring_deadline = Instant::now()
            + Duration::from_secs(u64::from(call.ring_secs))
            + self.config.ring_margin;
        let mut call_deadline: Option<Instant> = machine
            .is_answered()
            .then(|| Instant::now() + self.config.call_limit);
        loop {
            if let Some(result) = machine.result() {
                return Some(result.clone());
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
                    // The call goes on in Asterisk; the scheduler hands its claim back and the
                    // next one to take it adopts the call.
                    Some(FlowInput::Shutdown) | None => return None,
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
    async fn originate(&self, call: &WakeupCall, id: &str) -> Result<(), AriError> {
        let request = Originate {
            endpoint: self.config.endpoint_template.replace("{ext}", &call.member),
            channel_id: Some(id.to_owned()),
            app: Some(self.client.app().to_owned()),
            app_args: Some(format!("{ROUTE},{},{}", call.wakeup_id, call.member)),
            caller_id: Some(self.config.caller_id.clone()),
            timeout_secs: Some(call.ring_secs),
            ..Originate::default()
        };
        if self.client.rest_over_ws().is_attached() {
            return self.client.originate(&request).await.map(|_| ());
        }
        match self.originates.acquire().await {
            Ok(_permit) => self.client.originate(&request).await.map(|_| ()),
            // Never closed; a closed semaphore would only mean the dialer is going away.
            Err(_) => Err(AriError::Transport("dialer stopped".into())),
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

/// How long a wakeup call no scheduler here placed is left for one to adopt: longer than a
/// call lease, so that the scheduler taking over the calls of one that died finds it.
pub const ADOPTION_WAIT: Duration = Duration::from_secs(30);

/// What a Stasis dispatcher needs for the wakeup calls of a daemon that places them: the route
/// for calls no scheduler here placed, and the wait that leaves such calls for the scheduler
/// taking them over. Without the wait, a daemon restarted after a crash would hang up every
/// call its predecessor left answered in the app, and its scheduler would then call the
/// member again; the daemon, its tests and its benchmarks all build their engine through this.
pub fn engine_routes(builder: EngineBuilder) -> EngineBuilder {
    builder
        .route(ROUTE, orphan_handler)
        .adoptable(CHANNEL_PREFIX, ADOPTION_WAIT)
}

/// The engine route for `Stasis(ringside,wakeup,…)` calls no flow here owns: wakeup calls are
/// only ever originated by a scheduler, which claims its channel first, so such a call was
/// placed by a daemon that stopped (or this one before a restart). The scheduler that takes
/// the call over adopts it; a call nobody adopts within [`ADOPTION_WAIT`] is hung up rather
/// than left in the app.
pub fn orphan_handler(call: FlowCall) -> FlowFuture {
    orphan_handler_waiting(call, ADOPTION_WAIT)
}

/// [`orphan_handler`] with its wait chosen (tests shorten it).
pub fn orphan_handler_waiting(call: FlowCall, wait: Duration) -> FlowFuture {
    Box::pin(async move {
        let FlowCall {
            client,
            start,
            mut inbox,
            ..
        } = call;
        let id = start.channel.id.clone();
        tracing::info!(channel = %id, args = ?start.args, "wakeup call no scheduler here placed; waiting for one to take it over");
        let deadline = Instant::now() + wait;
        loop {
            tokio::select! {
                input = inbox.recv() => match input {
                    Some(FlowInput::Event { event, .. }) => {
                        if matches!(*event, crate::ari::Event::ChannelDestroyed(_)) {
                            return;
                        }
                    }
                    Some(FlowInput::Vanished { .. }) | Some(FlowInput::Shutdown) | None => return,
                },
                () = tokio::time::sleep_until(deadline) => break,
            }
            if !inbox.owns(&id) {
                return;
            }
        }
        if !inbox.owns(&id) {
            return;
        }
        tracing::info!(channel = %id, "hanging up a wakeup call no scheduler took over");
        match client.hangup(&id, HangupReason::Normal).await {
            Ok(()) | Err(AriError::NotFound(_)) => {}
            Err(e) => {
                tracing::warn!(channel = %id, error = %e, "cannot hang up orphan wakeup call")
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ari::model::Channel;

    fn channel(state: &str) -> Channel {
        serde_json::from_value(
            serde_json::json!({"id": "wakeup-1-2", "name": "PJSIP/1001-1", "state": state}),
        )
        .expect("channel json")
    }

    #[test]
    fn a_call_still_ringing_is_adopted_unanswered() {
        assert_eq!(
            takeover(Some(&channel("Ringing")), true),
            Takeover::Adopt { answered: false }
        );
    }

    #[test]
    fn a_call_that_is_up_is_adopted_answered() {
        assert_eq!(
            takeover(Some(&channel("Up")), false),
            Takeover::Adopt { answered: true }
        );
    }

    #[test]
    fn a_call_never_placed_is_placed_by_the_scheduler_taking_over() {
        assert_eq!(takeover(None, false), Takeover::Place);
    }

    #[test]
    fn a_call_placed_and_gone_is_not_placed_again() {
        assert_eq!(takeover(None, true), Takeover::EndedUnwatched);
    }

    #[test]
    fn the_channel_id_is_the_same_for_every_scheduler() {
        let call = WakeupCall {
            call_id: 42,
            wakeup_id: 7,
            member: "1001".into(),
            prompt: "p".into(),
            ring_secs: 30,
            due_at: chrono::DateTime::UNIX_EPOCH,
            taken_over: false,
            placed_before: false,
        };
        let again = WakeupCall {
            taken_over: true,
            ..call.clone()
        };
        assert_eq!(channel_id(&call), "wakeup-7-42");
        assert_eq!(channel_id(&again), channel_id(&call));
    }
}
