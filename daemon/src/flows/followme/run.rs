//! Runs one inbound call against ARI: reads the settings of the called user (and of the
//! users its forwards lead to), asks the inbound planner for the call's tree, and walks it.
//! Each ringing stage (follow-me, the own device, a forward) is one [`FollowMe`] machine: ARI
//! events become [`Input`]s and its [`Action`]s REST calls, with the timers kept here. The
//! caller always ends somewhere (bridged, voicemail, or back in the dialplan) even when ARI
//! misbehaves.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::future::join_all;

use super::machine::{Action, FollowMe, Input, LegId, Timer, VoicemailReason};
use super::plan::{Caller, DialTemplates, plan_stage};
use super::source::FollowMeSource;
use crate::ari::model::DialStatus;
use crate::ari::{AriClient, AriError, CreateChannel, DialplanTarget, Event, HangupReason};
use crate::flows::dispatch::{
    FlowCall, FlowFuture, FlowInput, Inbox, StasisHandler, continue_or_hang_up,
};
use crate::flows::inbound::plan::route;
use crate::flows::inbound::{self, ChainStop, MAX_HOPS, Ring, Ringing, Route, UserSettings};
use crate::store::{ForwardKind, StoreError};
use crate::voicemail::greeting_rule::Reason;

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
            tracing::warn!(channel = %caller_id, "inbound call without an extension argument; continuing in the dialplan");
            continue_or_hang_up(&client, &caller_id).await;
            return;
        };
        let users = match self.gather(&extension).await {
            Ok(users) => users,
            Err(e) => {
                tracing::error!(channel = %caller_id, %extension, error = %e, "cannot read call settings; continuing in the dialplan");
                continue_or_hang_up(&client, &caller_id).await;
                return;
            }
        };
        let caller = Caller {
            number: start.channel.caller.number.clone(),
            name: start.channel.caller.name.clone(),
        };
        let planned = route(
            &inbound::plan::Call {
                extension: &extension,
                caller: &caller.number,
                now: self.source.now(),
            },
            &|n: &str| users.get(n).cloned(),
        );
        let root = match planned {
            Ok(Route::Dialplan) => {
                tracing::debug!(channel = %caller_id, %extension, "no call handling or follow-me; continuing in the dialplan");
                self.record(received_at);
                continue_or_hang_up(&client, &caller_id).await;
                return;
            }
            Ok(root) => root,
            Err(e) => {
                tracing::warn!(channel = %caller_id, error = %e, "call handling cannot be applied; continuing in the dialplan");
                continue_or_hang_up(&client, &caller_id).await;
                return;
            }
        };
        let mut walk = Walk {
            client,
            caller_id,
            caller,
            inbox: Some(inbox),
            received_at: Some(received_at),
            stage: 0,
            indication: None,
            caller_answered: false,
        };
        self.walk(&mut walk, root).await;
    }

    /// Settings of the called user and of every user a forward may lead to, as far as a
    /// chain may go.
    async fn gather(&self, extension: &str) -> Result<HashMap<String, UserSettings>, StoreError> {
        let mut users: HashMap<String, UserSettings> = HashMap::new();
        let mut frontier = vec![extension.to_owned()];
        for _ in 0..=MAX_HOPS {
            frontier.retain(|n| !users.contains_key(n));
            if frontier.is_empty() {
                break;
            }
            let known = self.source.known_extensions(&frontier).await?;
            let mut next = Vec::new();
            for number in std::mem::take(&mut frontier) {
                let followme = self.source.settings(&number).await?;
                let handling = self.source.call_handling(&number).await?;
                let is_user = number == extension
                    || known.contains(&number)
                    || followme.is_some()
                    || handling.is_some();
                if !is_user {
                    continue;
                }
                if let Some(h) = &handling {
                    for kind in ForwardKind::ALL {
                        let f = h.forward(kind);
                        if f.enabled && !f.number.is_empty() {
                            next.push(f.number.clone());
                        }
                    }
                }
                users.insert(number, UserSettings { handling, followme });
            }
            frontier = next;
        }
        Ok(users)
    }

    /// Walks the planned tree: rings each stage, follows what its outcome leads to, and
    /// ends the caller in a bridge, a voicemail or the dialplan.
    async fn walk(&self, w: &mut Walk, mut route: Route) {
        loop {
            match route {
                Route::Dialplan => {
                    self.stop_indication(w).await;
                    continue_or_hang_up(&w.client, &w.caller_id).await;
                    return;
                }
                Route::Voicemail { mailbox, reason } => {
                    self.to_voicemail(w, &mailbox, reason).await;
                    return;
                }
                Route::Stopped {
                    mailbox,
                    reason,
                    why,
                } => {
                    match &why {
                        ChainStop::Loop(chain) => {
                            tracing::warn!(channel = %w.caller_id, chain = %chain.join(" -> "), "call forwarding loop; caller to the first user's voicemail")
                        }
                        ChainStop::TooManyHops(chain) => {
                            tracing::warn!(channel = %w.caller_id, chain = %chain.join(" -> "), max = MAX_HOPS, "too many call forwards; caller to the first user's voicemail")
                        }
                    }
                    self.to_voicemail(w, &mailbox, reason).await;
                    return;
                }
                Route::Ring(ring) => {
                    let Some(reason) = self.ring(w, &ring).await else {
                        return;
                    };
                    route = ring.next(reason.into()).clone();
                    w.stage += 1;
                }
            }
        }
    }

    /// Rings one stage; `Some(reason)` when it ended unanswered and the call goes on.
    async fn ring(&self, w: &mut Walk, ring: &Ring) -> Option<VoicemailReason> {
        let numbers: Vec<String> = match &ring.ringing {
            Ringing::FollowMe(settings) => settings
                .steps
                .iter()
                .flat_map(|s| s.numbers.iter().map(|n| n.trim().to_owned()))
                .collect(),
            _ => Vec::new(),
        };
        let known = match self.source.known_extensions(&numbers).await {
            Ok(k) => k,
            Err(e) => {
                tracing::error!(channel = %w.caller_id, error = %e, "cannot look up extensions; continuing in the dialplan");
                self.stop_indication(w).await;
                continue_or_hang_up(&w.client, &w.caller_id).await;
                return None;
            }
        };
        let plan = match plan_stage(&ring.ringing, &w.caller, &self.templates, |n| {
            known.contains(n)
        }) {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(channel = %w.caller_id, error = %e, "call cannot be planned; continuing in the dialplan");
                self.stop_indication(w).await;
                continue_or_hang_up(&w.client, &w.caller_id).await;
                return None;
            }
        };
        let inbox = w.inbox.take()?;
        let moh = plan.moh;
        let mut call = Call::new(
            self,
            w.client.clone(),
            w.caller_id.clone(),
            ring.user.clone(),
            FollowMe::new(plan),
            inbox,
            w.stage,
        );
        call.caller_answered = w.caller_answered;
        call.pending_event = w.received_at.take();
        call.run().await;
        w.caller_answered = call.caller_answered;
        if call.indicated {
            w.indication = Some(moh);
        }
        let unanswered = call.unanswered;
        w.inbox = Some(call.inbox);
        unanswered
    }

    async fn stop_indication(&self, w: &Walk) {
        let result = match w.indication {
            None => return,
            Some(true) => w.client.stop_moh(&w.caller_id).await,
            Some(false) => w.client.ring_stop(&w.caller_id).await,
        };
        if let Err(e) = result {
            tracing::debug!(channel = %w.caller_id, error = %e, "stopping ringing/music failed");
        }
    }

    async fn to_voicemail(&self, w: &mut Walk, mailbox: &str, reason: Reason) {
        if let Some(at) = w.received_at.take() {
            self.record(at);
        }
        self.stop_indication(w).await;
        let reason = reason.as_str();
        match w
            .client
            .set_variable(&w.caller_id, "RINGSIDE_REASON", reason)
            .await
        {
            Ok(()) => {}
            Err(AriError::NotFound(_)) => return,
            Err(e) => {
                tracing::warn!(channel = %w.caller_id, error = %e, "cannot set RINGSIDE_REASON")
            }
        }
        let target = DialplanTarget {
            context: Some(VOICEMAIL_CONTEXT.to_owned()),
            extension: Some(mailbox.to_owned()),
            priority: Some(1),
            label: None,
        };
        tracing::info!(channel = %w.caller_id, %mailbox, reason, "caller to voicemail");
        match w.client.continue_in_dialplan(&w.caller_id, &target).await {
            Ok(()) | Err(AriError::NotFound(_)) => {}
            Err(e) => {
                tracing::error!(channel = %w.caller_id, error = %e, "cannot send the caller to voicemail; continuing in the dialplan");
                continue_or_hang_up(&w.client, &w.caller_id).await;
            }
        }
    }

    fn record(&self, received_at: Instant) {
        let latency = received_at.elapsed();
        crate::telemetry::followme_event_action(latency);
        if let Some(l) = &self.latency {
            l.record(latency);
        }
    }
}

/// One inbound call across its stages.
struct Walk {
    client: AriClient,
    caller_id: String,
    caller: Caller,
    /// Lent to each stage in turn.
    inbox: Option<Inbox>,
    /// When the StasisStart arrived; consumed by the first REST call.
    received_at: Option<Instant>,
    stage: usize,
    /// What the caller hears while stages ring: `Some(true)` music, `Some(false)` ringing.
    indication: Option<bool>,
    caller_answered: bool,
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
    /// Set when nobody took the call: the inbound plan decides what follows.
    unanswered: Option<VoicemailReason>,
    /// The caller was told to ring or hear music.
    indicated: bool,
}

impl<'a> Call<'a> {
    fn new(
        flow: &'a FollowMeFlow,
        client: AriClient,
        caller: String,
        extension: String,
        machine: FollowMe,
        mut inbox: Inbox,
        stage: usize,
    ) -> Self {
        // Later stages get their own ids: a leg of an earlier stage may still be ending.
        let leg_ids: Vec<String> = (0..machine.leg_count())
            .map(|i| match stage {
                0 => format!("{caller}-fm{i}"),
                n => format!("{caller}-s{n}-fm{i}"),
            })
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
            unanswered: None,
            indicated: false,
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
            // ChannelDestroyed follows with the cause, which says why the leg ended.
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
                self.indicated = true;
                self.on_caller(self.client.ring(&self.caller).await, "ring")
            }
            Action::StartMoh => {
                self.rest_starting();
                self.indicated = true;
                let mut follow = if self.caller_answered {
                    Vec::new()
                } else {
                    self.on_caller(self.client.answer(&self.caller).await, "answer")
                };
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
                self.unanswered = Some(reason);
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
                    // Gone already: its ChannelDestroyed, queued or on its way, carries the
                    // cause that says why, whichever order the two arrive in.
                    Ok(()) | Err(AriError::NotFound(_)) => None,
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

    async fn destroy_bridge_if_ended(&mut self) {
        match self.client.destroy_bridge(&self.bridge_id).await {
            Ok(()) | Err(AriError::NotFound(_)) => {}
            Err(e) => {
                tracing::warn!(bridge = %self.bridge_id, error = %e, "cannot destroy the bridge")
            }
        }
    }
}
