//! Runs one follow-me call against ARI: turns events into [`Input`]s for the state machine
//! and its [`Action`]s into REST calls, keeps the timers, and makes sure the caller always
//! ends somewhere (bridged, voicemail, or back in the dialplan) even when ARI misbehaves.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::future::join_all;

use super::machine::{Action, FollowMe, Input, LegId, Timer};
use super::plan::{Caller, DialTemplates, plan};
use super::source::FollowMeSource;
use crate::ari::model::DialStatus;
use crate::ari::{AriClient, AriError, CreateChannel, DialplanTarget, Event, HangupReason};
use crate::flows::dispatch::{
    FlowCall, FlowFuture, FlowInput, Inbox, StasisHandler, continue_or_hang_up,
};

/// Context the caller continues to when nobody takes the call.
pub const VOICEMAIL_CONTEXT: &str = "ringside-voicemail";
/// Prompt a callee hears when confirmation is on ("press 1 to accept, 2 to reject").
pub const CONFIRM_PROMPT: &str = "sound:followme/options";
const DIAL_TIMEOUT_MARGIN_SECS: u32 = 5;

/// Latencies from an event arriving to the first REST call it caused (microseconds).
#[derive(Debug, Clone, Default)]
pub struct LatencyRecorder {
    samples: Arc<Mutex<Vec<u32>>>,
}

impl LatencyRecorder {
    pub fn record(&self, d: Duration) {
        let us = u32::try_from(d.as_micros()).unwrap_or(u32::MAX);
        self.samples
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(us);
    }

    pub fn take(&self) -> Vec<u32> {
        std::mem::take(&mut *self.samples.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// Everything follow-me needs besides the call itself; shared by all calls.
pub struct FollowMeFlow {
    pub source: Arc<dyn FollowMeSource>,
    pub templates: DialTemplates,
    /// Length of one second of ring time (tests shrink it together with the simulator's).
    pub second: Duration,
    pub moh_class: Option<String>,
    pub latency: Option<LatencyRecorder>,
}

impl StasisHandler for Arc<FollowMeFlow> {
    fn start(&self, call: FlowCall) -> FlowFuture {
        let flow = Arc::clone(self);
        Box::pin(async move { flow.run(call).await })
    }
}

impl FollowMeFlow {
    pub async fn run(&self, call: FlowCall) {
        let FlowCall {
            client,
            start,
            received_at,
            inbox,
        } = call;
        let caller_id = start.channel.id.clone();
        let Some(extension) = start.args.get(1).cloned() else {
            tracing::warn!(channel = %caller_id, "follow-me call without an extension argument; continuing in the dialplan");
            continue_or_hang_up(&client, &caller_id).await;
            return;
        };
        let settings = match self.source.settings(&extension).await {
            Ok(Some(s)) if s.enabled => s,
            Ok(_) => {
                tracing::debug!(channel = %caller_id, %extension, "follow-me off; continuing in the dialplan");
                self.record(received_at);
                continue_or_hang_up(&client, &caller_id).await;
                return;
            }
            Err(e) => {
                tracing::error!(channel = %caller_id, %extension, error = %e, "cannot read follow-me settings; continuing in the dialplan");
                continue_or_hang_up(&client, &caller_id).await;
                return;
            }
        };
        let numbers: Vec<String> = settings
            .steps
            .iter()
            .flat_map(|s| s.numbers.iter().map(|n| n.trim().to_owned()))
            .collect();
        let known = match self.source.known_extensions(&numbers).await {
            Ok(k) => k,
            Err(e) => {
                tracing::error!(channel = %caller_id, error = %e, "cannot look up extensions; continuing in the dialplan");
                continue_or_hang_up(&client, &caller_id).await;
                return;
            }
        };
        let caller = Caller {
            number: start.channel.caller.number.clone(),
            name: start.channel.caller.name.clone(),
        };
        let plan = match plan(&settings, &caller, &self.templates, |n| known.contains(n)) {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(channel = %caller_id, error = %e, "follow-me cannot be planned; continuing in the dialplan");
                continue_or_hang_up(&client, &caller_id).await;
                return;
            }
        };
        let mut call = Call::new(
            self,
            client,
            caller_id,
            extension,
            FollowMe::new(plan),
            inbox,
        );
        call.pending_event = Some(received_at);
        call.run().await;
    }

    fn record(&self, received_at: Instant) {
        let latency = received_at.elapsed();
        crate::telemetry::followme_event_action(latency);
        if let Some(l) = &self.latency {
            l.record(latency);
        }
    }
}

struct Call<'a> {
    flow: &'a FollowMeFlow,
    client: AriClient,
    caller: String,
    extension: String,
    machine: FollowMe,
    inbox: Inbox,
    leg_ids: Vec<String>,
    leg_by_id: HashMap<String, LegId>,
    bridge_id: String,
    bridge_created: bool,
    caller_answered: bool,
    timers: BTreeMap<Timer, Instant>,
    /// When the event being handled arrived; consumed by the first REST call it causes.
    pending_event: Option<Instant>,
    done: bool,
    shutting_down: bool,
}

impl<'a> Call<'a> {
    fn new(
        flow: &'a FollowMeFlow,
        client: AriClient,
        caller: String,
        extension: String,
        machine: FollowMe,
        mut inbox: Inbox,
    ) -> Self {
        let leg_ids: Vec<String> = (0..machine.leg_count())
            .map(|i| format!("{caller}-fm{i}"))
            .collect();
        let mut leg_by_id = HashMap::new();
        for (i, id) in leg_ids.iter().enumerate() {
            // Claimed before they exist, so no event can arrive for an unknown id.
            inbox.claim(id);
            leg_by_id.insert(id.clone(), i);
        }
        let bridge_id = format!("{caller}-fm-bridge");
        Self {
            flow,
            client,
            caller,
            extension,
            machine,
            inbox,
            leg_ids,
            leg_by_id,
            bridge_id,
            bridge_created: false,
            caller_answered: false,
            timers: BTreeMap::new(),
            pending_event: None,
            done: false,
            shutting_down: false,
        }
    }

    async fn run(&mut self) {
        self.feed(Input::Start).await;
        while !self.done {
            let next_timer = self
                .timers
                .iter()
                .min_by_key(|(_, at)| **at)
                .map(|(t, at)| (*t, *at));
            let input = match next_timer {
                Some((timer, at)) => tokio::select! {
                    msg = self.inbox.recv() => msg,
                    _ = tokio::time::sleep_until(at.into()) => {
                        self.timers.remove(&timer);
                        self.feed(Input::TimerFired(timer)).await;
                        continue;
                    }
                },
                None => self.inbox.recv().await,
            };
            let Some(msg) = input else { break };
            let input = match msg {
                FlowInput::Event { event, received_at } => {
                    let Some(input) = self.translate(&event) else {
                        continue;
                    };
                    self.pending_event = Some(received_at);
                    input
                }
                FlowInput::Vanished { channel_id } => match self.leg_by_id.get(&channel_id) {
                    Some(&leg) => Input::LegGone { leg, cause: None },
                    None => Input::CallerGone,
                },
                FlowInput::Shutdown => {
                    self.shutting_down = true;
                    Input::Shutdown
                }
            };
            self.feed(input).await;
        }
    }

    fn translate(&self, event: &Event) -> Option<Input> {
        let id = event.channel_id()?;
        if id == self.caller {
            return match event {
                Event::StasisEnd(_)
                | Event::ChannelHangupRequest(_)
                | Event::ChannelDestroyed(_) => Some(Input::CallerGone),
                _ => None,
            };
        }
        let leg = *self.leg_by_id.get(id)?;
        match event {
            Event::Dial(d) => match DialStatus::parse(&d.dialstatus) {
                DialStatus::Ringing => Some(Input::LegRinging(leg)),
                DialStatus::Answer => Some(Input::LegAnswered(leg)),
                DialStatus::Busy => Some(Input::LegBusy(leg)),
                DialStatus::Congestion => Some(Input::LegCongestion(leg)),
                DialStatus::ChanUnavail => Some(Input::LegUnavailable(leg)),
                _ => None,
            },
            Event::ChannelStateChange(c) if c.channel.state == "Up" => {
                Some(Input::LegAnswered(leg))
            }
            Event::ChannelDtmfReceived(d) => d
                .digit
                .chars()
                .next()
                .map(|digit| Input::LegDtmf { leg, digit }),
            Event::ChannelDestroyed(d) => Some(Input::LegGone {
                leg,
                cause: Some(d.cause),
            }),
            Event::StasisEnd(_) => Some(Input::LegGone { leg, cause: None }),
            _ => None,
        }
    }

    /// Feeds one input and carries out what the machine decides, including inputs that
    /// the REST answers themselves produce (a leg that cannot be created, ...).
    async fn feed(&mut self, input: Input) {
        let mut queue = vec![input];
        while let Some(input) = queue.pop() {
            let actions = self.machine.handle(input);
            for action in actions {
                let follow_ups = self.execute(action).await;
                queue.extend(follow_ups);
            }
        }
    }

    fn rest_starting(&mut self) {
        if let Some(at) = self.pending_event.take() {
            self.flow.record(at);
        }
    }

    async fn execute(&mut self, action: Action) -> Vec<Input> {
        match action {
            Action::IndicateRinging => {
                self.rest_starting();
                self.on_caller(self.client.ring(&self.caller).await, "ring")
            }
            Action::StartMoh => {
                self.rest_starting();
                let mut follow = self.on_caller(self.client.answer(&self.caller).await, "answer");
                self.caller_answered = true;
                if follow.is_empty() {
                    let class = self.flow.moh_class.clone();
                    follow = self.on_caller(
                        self.client.start_moh(&self.caller, class.as_deref()).await,
                        "start music on hold",
                    );
                }
                follow
            }
            Action::StartLegs {
                legs, ring_secs, ..
            } => {
                self.rest_starting();
                self.start_legs(&legs, ring_secs).await
            }
            Action::Hangup { leg, reason } => {
                self.rest_starting();
                let id = &self.leg_ids[leg];
                match self.client.hangup(id, reason).await {
                    Ok(()) | Err(AriError::NotFound(_)) => {}
                    Err(e) => {
                        tracing::warn!(channel = %id, error = %e, "cannot hang up follow-me leg")
                    }
                }
                Vec::new()
            }
            Action::PlayConfirmPrompt { leg } => {
                self.rest_starting();
                let id = self.leg_ids[leg].clone();
                let playback = format!("{id}-confirm");
                match self.client.play(&id, &playback, CONFIRM_PROMPT).await {
                    Ok(_) => Vec::new(),
                    Err(AriError::NotFound(_)) => vec![Input::LegGone { leg, cause: None }],
                    Err(e) => {
                        // The callee can still press 1; the confirm timer still runs.
                        tracing::warn!(channel = %id, error = %e, "cannot play the confirmation prompt");
                        Vec::new()
                    }
                }
            }
            Action::SetTimer { timer, secs } => {
                self.timers
                    .insert(timer, Instant::now() + self.flow.second * secs);
                Vec::new()
            }
            Action::Bridge { leg } => {
                self.rest_starting();
                self.timers.clear();
                self.bridge(leg).await
            }
            Action::HangupCaller => {
                self.rest_starting();
                match self.client.hangup(&self.caller, HangupReason::Normal).await {
                    Ok(()) | Err(AriError::NotFound(_)) => {}
                    Err(e) => {
                        tracing::warn!(channel = %self.caller, error = %e, "cannot hang up the caller")
                    }
                }
                Vec::new()
            }
            Action::ToVoicemail(reason) => {
                self.rest_starting();
                self.send_to_voicemail(reason.as_str()).await;
                Vec::new()
            }
            Action::ToDialplan => {
                self.rest_starting();
                self.stop_indication().await;
                continue_or_hang_up(&self.client, &self.caller).await;
                Vec::new()
            }
            Action::Finished => {
                self.done = true;
                // On shutdown a connected call stays up in its bridge.
                if self.bridge_created && !self.shutting_down {
                    self.destroy_bridge_if_ended().await;
                }
                Vec::new()
            }
        }
    }

    /// A REST call on the caller: 404 means the caller is gone.
    fn on_caller(&self, result: Result<(), AriError>, what: &str) -> Vec<Input> {
        match result {
            Ok(()) => Vec::new(),
            Err(AriError::NotFound(_)) => vec![Input::CallerGone],
            Err(e) => {
                tracing::warn!(channel = %self.caller, error = %e, "cannot {what} for the caller");
                Vec::new()
            }
        }
    }

    async fn start_legs(&mut self, legs: &[LegId], ring_secs: u32) -> Vec<Input> {
        let plan = self.machine.plan().clone();
        let planned: Vec<_> = plan.steps.iter().flat_map(|s| s.legs.iter()).collect();
        let client = &self.client;
        let app = client.app().to_owned();
        let jobs = legs.iter().map(|&leg| {
            let p = planned[leg];
            let id = self.leg_ids[leg].clone();
            let mut variables = BTreeMap::new();
            if let Some((number, name)) = &p.caller_id {
                if !number.is_empty() {
                    variables.insert("CALLERID(num)".to_owned(), number.clone());
                }
                if !name.is_empty() {
                    variables.insert("CALLERID(name)".to_owned(), name.clone());
                }
            }
            let request = CreateChannel {
                endpoint: p.endpoint.clone(),
                app: app.clone(),
                channel_id: Some(id.clone()),
                variables,
                ..CreateChannel::default()
            };
            async move {
                match client.create_channel(&request).await {
                    Ok(_) => {}
                    Err(e) => {
                        let unreachable = matches!(e, AriError::Server(..) | AriError::BadRequest(_));
                        tracing::info!(channel = %id, endpoint = %request.endpoint, error = %e, "follow-me leg cannot be created");
                        return Some(Input::LegCreateFailed { leg, unreachable });
                    }
                }
                // The step timer decides when ringing ends; Asterisk's own dial timeout is
                // only a safety net should the daemon lose track of the leg.
                // A leg is in Stasis only once its StasisStart has come; a dial before that is
                // refused with 409 and means "not yet", not "failed".
                let dialled = crate::flows::stasis_ready::once_in_stasis(
                    crate::flows::stasis_ready::PATIENCE,
                    || client.dial(&id, None, Some(ring_secs + DIAL_TIMEOUT_MARGIN_SECS)),
                )
                .await;
                match dialled {
                    Ok(()) => None,
                    Err(AriError::NotFound(_)) => Some(Input::LegGone { leg, cause: None }),
                    Err(e) => {
                        tracing::warn!(channel = %id, error = %e, "follow-me leg cannot be dialled");
                        let _ = client.hangup(&id, HangupReason::Normal).await;
                        Some(Input::LegCreateFailed { leg, unreachable: false })
                    }
                }
            }
        });
        join_all(jobs).await.into_iter().flatten().collect()
    }

    async fn bridge(&mut self, leg: LegId) -> Vec<Input> {
        let leg_id = self.leg_ids[leg].clone();
        if self.machine.plan().moh {
            let _ = self.client.stop_moh(&self.caller).await;
        } else {
            let _ = self.client.ring_stop(&self.caller).await;
        }
        if !self.caller_answered {
            match self.client.answer(&self.caller).await {
                Ok(()) => self.caller_answered = true,
                Err(AriError::NotFound(_)) => return vec![Input::CallerGone],
                Err(e) => {
                    tracing::warn!(channel = %self.caller, error = %e, "cannot answer the caller");
                    return vec![Input::BridgeFailed];
                }
            }
        }
        match self.client.create_bridge(&self.bridge_id, "mixing").await {
            Ok(_) => self.bridge_created = true,
            Err(e) => {
                tracing::warn!(bridge = %self.bridge_id, error = %e, "cannot create the bridge");
                return vec![Input::BridgeFailed];
            }
        }
        match self
            .client
            .add_channels(&self.bridge_id, &[self.caller.as_str(), leg_id.as_str()])
            .await
        {
            Ok(()) => {
                tracing::info!(channel = %self.caller, extension = %self.extension, leg = %leg_id, "follow-me call connected");
                Vec::new()
            }
            Err(e) => {
                tracing::warn!(bridge = %self.bridge_id, error = %e, "cannot bridge caller and callee");
                vec![Input::BridgeFailed]
            }
        }
    }

    async fn stop_indication(&mut self) {
        let result = if self.machine.plan().moh {
            self.client.stop_moh(&self.caller).await
        } else {
            self.client.ring_stop(&self.caller).await
        };
        if let Err(e) = result {
            tracing::debug!(channel = %self.caller, error = %e, "stopping ringing/music failed");
        }
    }

    async fn send_to_voicemail(&mut self, reason: &str) {
        self.stop_indication().await;
        match self
            .client
            .set_variable(&self.caller, "RINGSIDE_REASON", reason)
            .await
        {
            Ok(()) => {}
            Err(AriError::NotFound(_)) => return,
            Err(e) => {
                tracing::warn!(channel = %self.caller, error = %e, "cannot set RINGSIDE_REASON")
            }
        }
        let target = DialplanTarget {
            context: Some(VOICEMAIL_CONTEXT.to_owned()),
            extension: Some(self.extension.clone()),
            priority: Some(1),
            label: None,
        };
        tracing::info!(channel = %self.caller, extension = %self.extension, reason, "follow-me unanswered; caller to voicemail");
        match self
            .client
            .continue_in_dialplan(&self.caller, &target)
            .await
        {
            Ok(()) | Err(AriError::NotFound(_)) => {}
            Err(e) => {
                tracing::error!(channel = %self.caller, error = %e, "cannot send the caller to voicemail; continuing in the dialplan");
                continue_or_hang_up(&self.client, &self.caller).await;
            }
        }
    }

    async fn destroy_bridge_if_ended(&mut self) {
        match self.client.destroy_bridge(&self.bridge_id).await {
            Ok(()) | Err(AriError::NotFound(_)) => {}
            Err(e) => {
                tracing::warn!(bridge = %self.bridge_id, error = %e, "cannot destroy the bridge")
            }
        }
    }
}
