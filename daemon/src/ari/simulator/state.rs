//! The simulator's world: channels, bridges, playbacks, connected apps, and the events each
//! change produces, in the order Asterisk 22 produces them (see the recorded traces).
//!
//! Everything here runs under one lock and never awaits; delayed behaviour (a phone
//! answering after 2 s) is a spawned timer that takes the lock again when it fires.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

use super::script::{ContextAction, ContextCall, ContextHook, Reaction, Script};
use crate::ari::model::{Bridge, CallerId, Channel, DialplanCep, Playback, cause};

pub(crate) const ASTERISK_ID: &str = "02:fc:00:00:00:01";

/// A frame for one connected WebSocket client.
#[derive(Debug)]
pub(crate) enum WsOut {
    Text(String),
    Close,
}

pub(crate) struct WsClient {
    pub id: u64,
    pub apps: Vec<String>,
    pub tx: mpsc::UnboundedSender<WsOut>,
}

/// One REST request the simulator answered.
#[derive(Debug, Clone, PartialEq)]
pub struct RestCall {
    pub at: Instant,
    pub method: String,
    /// Path below `/ari`, e.g. `/channels/leg-1/dial`.
    pub path: String,
    pub query: BTreeMap<String, String>,
    pub body: Option<Value>,
    pub status: u16,
    /// Sent as a `RESTRequest` on the event WebSocket rather than over HTTP.
    pub over_websocket: bool,
}

/// One event the simulator sent (or would have sent, had the app been connected).
#[derive(Debug, Clone, PartialEq)]
pub struct SentEvent {
    pub at: Instant,
    pub app: String,
    pub kind: String,
    pub channel_id: Option<String>,
    /// Whether a client of the app was connected to receive it.
    pub delivered: bool,
    pub json: Arc<Value>,
}

/// A REST failure to answer instead of the real thing.
#[derive(Debug, Clone)]
pub(crate) struct InjectedFailure {
    pub method: String,
    pub path_prefix: String,
    pub status: u16,
    pub body: Value,
    pub remaining: u32,
}

/// In which order a client receives a dialled leg's events and the answer to the `dial` that
/// caused them. On a real Asterisk both orders happen; tests pin one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LegEventOrder {
    /// Events are sent while the request is handled, the answer right after, on another
    /// connection: usually the answer wins, not always.
    #[default]
    AsItHappens,
    /// The answer is held back until the leg's first events have reached the client.
    EventsFirst,
    /// The leg's events start only after the answer has reached the client.
    AnswerFirst,
}

/// How long one side waits for the other when a [`LegEventOrder`] is pinned.
pub(crate) const ORDER_GAP: Duration = Duration::from_millis(40);

/// How a channel came to exist; decides which events follow StasisEnd.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Entered Stasis from the dialplan (an inbound call): the app's subscription ends with
    /// StasisEnd.
    Dialplan,
    /// `channels/create` or originate: the app stays subscribed until ChannelDestroyed.
    Rest,
}

/// Where a channel left Stasis to, for tests to assert on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Continued {
    pub context: String,
    pub extension: String,
    pub priority: i64,
}

pub(crate) struct SimChannel {
    pub chan: Channel,
    pub origin: Origin,
    pub endpoint: String,
    pub script: Script,
    /// App whose Stasis the channel is in.
    pub stasis_app: Option<String>,
    /// Apps that get its events (outside Stasis too).
    pub subscribers: HashSet<String>,
    pub dialed: bool,
    pub bridge: Option<String>,
    pub vars: BTreeMap<String, String>,
    pub tasks: Vec<AbortHandle>,
    pub continued: Option<Continued>,
    pub moh: bool,
    pub ringing_indicated: bool,
    /// Originate target once answered: app + args, or a context.
    pub on_answer: OnAnswer,
    pub hangup_reason: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) enum OnAnswer {
    Nothing,
    Stasis {
        app: String,
        args: Vec<String>,
    },
    Context {
        context: String,
        extension: String,
        priority: i64,
    },
}

pub(crate) struct SimBridge {
    pub bridge: Bridge,
    pub app: String,
}

pub(crate) struct SimPlayback {
    pub playback: Playback,
    pub channel: String,
    pub app: String,
    pub task: Option<AbortHandle>,
}

/// A channel as the simulator's tests see it.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelView {
    pub channel: Channel,
    pub endpoint: String,
    pub in_stasis: bool,
    pub bridge: Option<String>,
    pub vars: BTreeMap<String, String>,
    pub continued: Option<Continued>,
    pub moh: bool,
    pub ringing_indicated: bool,
    pub hangup_reason: Option<String>,
}

pub(crate) struct State {
    pub channels: HashMap<String, SimChannel>,
    /// Channels that are gone, kept for assertions (id -> final view and cause).
    pub destroyed: HashMap<String, (ChannelView, i64)>,
    pub bridges: HashMap<String, SimBridge>,
    pub playbacks: HashMap<String, SimPlayback>,
    pub clients: Vec<WsClient>,
    pub known_apps: HashSet<String>,
    pub phones: HashMap<String, Script>,
    pub rest_log: Vec<RestCall>,
    pub event_log: Vec<SentEvent>,
    pub failures: Vec<InjectedFailure>,
    pub context_hooks: HashMap<String, ContextHook>,
    pub media_durations: HashMap<String, Duration>,
    /// Media this Asterisk does not have (a sound file missing): playing it fails at once.
    pub missing_media: HashSet<String>,
    pub default_media_duration: Duration,
    /// Length of one "second" in dial and originate timeouts (tests shrink it).
    pub second: Duration,
    pub record_event_bodies: bool,
    pub refuse_websockets: bool,
    /// How long after `channels/create` the channel enters Stasis (`None`: at once).
    pub stasis_start_delay: Option<Duration>,
    pub leg_event_order: LegEventOrder,
    /// Device states set through `PUT /deviceStates/{name}` (name -> state).
    pub device_states: BTreeMap<String, String>,
    /// `system.version` in `asterisk/info`; below 22.4 REST requests on the WebSocket are
    /// ignored, as those versions do.
    pub version: String,
    /// Global dialplan variables (`GLOBAL()` in the dialplan, `asterisk/variable` in ARI).
    pub globals: BTreeMap<String, String>,
    pub seq: u64,
    pub epoch: u64,
}

/// Shared handle: the state plus what timers need to reach it.
#[derive(Clone)]
pub(crate) struct World {
    pub state: Arc<Mutex<State>>,
}

pub(crate) fn timestamp() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3f%z")
        .to_string()
}

impl World {
    pub fn new(second: Duration) -> Self {
        let epoch = chrono::Utc::now().timestamp().max(0) as u64;
        Self {
            state: Arc::new(Mutex::new(State {
                channels: HashMap::new(),
                destroyed: HashMap::new(),
                bridges: HashMap::new(),
                playbacks: HashMap::new(),
                clients: Vec::new(),
                known_apps: HashSet::new(),
                phones: HashMap::new(),
                rest_log: Vec::new(),
                event_log: Vec::new(),
                failures: Vec::new(),
                context_hooks: HashMap::new(),
                media_durations: HashMap::new(),
                missing_media: HashSet::new(),
                default_media_duration: Duration::from_millis(500),
                second,
                record_event_bodies: true,
                refuse_websockets: false,
                stasis_start_delay: None,
                leg_event_order: LegEventOrder::default(),
                device_states: BTreeMap::new(),
                version: "22.11.0".into(),
                globals: BTreeMap::new(),
                seq: 0,
                epoch,
            })),
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock only happens in a failing test; keep serving.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl SimChannel {
    pub fn view(&self) -> ChannelView {
        ChannelView {
            channel: self.chan.clone(),
            endpoint: self.endpoint.clone(),
            in_stasis: self.stasis_app.is_some(),
            bridge: self.bridge.clone(),
            vars: self.vars.clone(),
            continued: self.continued.clone(),
            moh: self.moh,
            ringing_indicated: self.ringing_indicated,
            hangup_reason: self.hangup_reason.clone(),
        }
    }

    fn event_apps(&self) -> Vec<String> {
        let mut apps: Vec<String> = self.subscribers.iter().cloned().collect();
        if let Some(app) = &self.stasis_app {
            if !apps.contains(app) {
                apps.push(app.clone());
            }
        }
        apps.sort();
        apps
    }
}

/// `Local/2001@phones` -> `2001@phones`; `PJSIP/2001` -> `2001`.
pub(crate) fn dialstring_of(endpoint: &str) -> String {
    endpoint
        .split_once('/')
        .map(|(_, rest)| rest.to_owned())
        .unwrap_or_default()
}

/// The number an endpoint dials: `Local/2001@ctx` and `PJSIP/2001` both give `2001`.
fn number_of(endpoint: &str) -> &str {
    let rest = endpoint.split_once('/').map(|(_, r)| r).unwrap_or(endpoint);
    rest.split(['@', '/']).next().unwrap_or(rest)
}

impl State {
    pub fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    pub fn unique_id(&mut self) -> String {
        let n = self.next_seq();
        format!("{}.{}", self.epoch, n)
    }

    /// The script of the endpoint: exact endpoint first, then its number; an unknown
    /// `Local/` extension does not exist, any other unknown endpoint is unreachable.
    pub fn script_for(&self, endpoint: &str) -> Script {
        if let Some(s) = self.phones.get(endpoint) {
            return s.clone();
        }
        if let Some(s) = self.phones.get(number_of(endpoint)) {
            return s.clone();
        }
        if endpoint.starts_with("Local/") {
            Script::missing()
        } else {
            Script::unreachable()
        }
    }

    pub fn channel_name(&mut self, endpoint: &str) -> String {
        let n = self.next_seq();
        if endpoint.starts_with("Local/") {
            format!("{endpoint}-{n:08x};1")
        } else {
            format!("{endpoint}-{n:08x}")
        }
    }

    /// Sends an event to the given apps' clients and records it.
    pub fn deliver(&mut self, apps: &[String], mut event: Value) {
        let kind = event
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let channel_id = event
            .get("channel")
            .or_else(|| event.get("peer"))
            .and_then(|c| c.get("id"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let now = Instant::now();
        for app in apps {
            if let Some(obj) = event.as_object_mut() {
                obj.insert("application".into(), Value::String(app.clone()));
            }
            let text = event.to_string();
            let mut delivered = false;
            for client in &self.clients {
                if client.apps.iter().any(|a| a == app)
                    && client.tx.send(WsOut::Text(text.clone())).is_ok()
                {
                    delivered = true;
                }
            }
            self.event_log.push(SentEvent {
                at: now,
                app: app.clone(),
                kind: kind.clone(),
                channel_id: channel_id.clone(),
                delivered,
                json: Arc::new(if self.record_event_bodies {
                    event.clone()
                } else {
                    Value::Null
                }),
            });
        }
    }

    fn base_event(kind: &str) -> serde_json::Map<String, Value> {
        let mut m = serde_json::Map::new();
        m.insert("type".into(), json!(kind));
        m.insert("timestamp".into(), json!(timestamp()));
        m.insert("asterisk_id".into(), json!(ASTERISK_ID));
        m
    }

    /// Emits `kind` about channel `id` (as `channel`, or `peer` for Dial) with extra fields.
    pub fn emit(&mut self, id: &str, kind: &str, extra: Value) {
        let Some(ch) = self.channels.get(id) else {
            return;
        };
        let apps = ch.event_apps();
        if apps.is_empty() {
            return;
        }
        let mut m = Self::base_event(kind);
        if let Value::Object(extra) = extra {
            m.extend(extra);
        }
        let key = if kind == "Dial" { "peer" } else { "channel" };
        m.insert(key.into(), json!(ch.chan));
        self.deliver(&apps, Value::Object(m));
    }

    pub fn set_state(&mut self, id: &str, state: &str) {
        let changed = match self.channels.get_mut(id) {
            Some(ch) if ch.chan.state != state => {
                ch.chan.state = state.to_owned();
                true
            }
            _ => false,
        };
        if changed {
            self.emit(id, "ChannelStateChange", json!({}));
        }
    }

    pub fn set_var(&mut self, id: &str, name: &str, value: &str) {
        if let Some(ch) = self.channels.get_mut(id) {
            match name {
                "CALLERID(num)" => ch.chan.caller.number = value.to_owned(),
                "CALLERID(name)" => ch.chan.caller.name = value.to_owned(),
                _ => {}
            }
            ch.vars.insert(name.to_owned(), value.to_owned());
        }
        self.emit(
            id,
            "ChannelVarset",
            json!({"variable": name, "value": value}),
        );
    }

    pub fn new_channel(
        &mut self,
        id: String,
        endpoint: &str,
        origin: Origin,
        caller: CallerId,
        dialplan: DialplanCep,
        state: &str,
    ) -> &mut SimChannel {
        let name = self.channel_name(endpoint);
        let script = self.script_for(endpoint);
        let chan = Channel {
            id: id.clone(),
            name,
            state: state.to_owned(),
            protocol_id: String::new(),
            caller,
            connected: CallerId::default(),
            accountcode: String::new(),
            dialplan,
            creationtime: timestamp(),
            language: "en".into(),
            channelvars: None,
        };
        self.channels.insert(
            id.clone(),
            SimChannel {
                chan,
                origin,
                endpoint: endpoint.to_owned(),
                script,
                stasis_app: None,
                subscribers: HashSet::new(),
                dialed: false,
                bridge: None,
                vars: BTreeMap::new(),
                tasks: Vec::new(),
                continued: None,
                moh: false,
                ringing_indicated: false,
                on_answer: OnAnswer::Nothing,
                hangup_reason: None,
            },
        );
        match self.channels.get_mut(&id) {
            Some(ch) => ch,
            None => unreachable!("just inserted"),
        }
    }

    /// StasisStart for a channel entering `app` (created, answered originate, or inbound).
    pub fn enter_stasis(&mut self, id: &str, app: &str, args: Vec<String>, with_varset: bool) {
        if let Some(ch) = self.channels.get_mut(id) {
            ch.stasis_app = Some(app.to_owned());
            ch.chan.dialplan.app_name = "Stasis".into();
            ch.chan.dialplan.app_data = std::iter::once(app.to_owned())
                .chain(args.iter().cloned())
                .collect::<Vec<_>>()
                .join(",");
        }
        if with_varset {
            self.emit(
                id,
                "ChannelVarset",
                json!({"variable": "STASISSTATUS", "value": ""}),
            );
        }
        self.emit(id, "StasisStart", json!({"args": args}));
    }

    /// Leaves a bridge with the events Asterisk sends (BRIDGEPEER cleared, ChannelLeftBridge).
    pub fn leave_bridge(&mut self, id: &str) {
        let Some(bridge_id) = self.channels.get_mut(id).and_then(|c| c.bridge.take()) else {
            return;
        };
        let bridge_json = match self.bridges.get_mut(&bridge_id) {
            Some(b) => {
                b.bridge.channels.retain(|c| c != id);
                json!(b.bridge)
            }
            None => return,
        };
        self.emit(
            id,
            "ChannelVarset",
            json!({"variable": "BRIDGEPEER", "value": ""}),
        );
        self.emit(id, "ChannelLeftBridge", json!({"bridge": bridge_json}));
    }

    /// Ends every playback on the channel (PlaybackFinished).
    fn finish_playbacks_of(&mut self, id: &str) {
        let ids: Vec<String> = self
            .playbacks
            .iter()
            .filter(|(_, p)| p.channel == id)
            .map(|(k, _)| k.clone())
            .collect();
        for pb in ids {
            self.finish_playback(&pb, "done");
        }
    }

    pub fn finish_playback(&mut self, playback_id: &str, state: &str) {
        if let Some(mut p) = self.playbacks.remove(playback_id) {
            if let Some(t) = p.task.take() {
                t.abort();
            }
            p.playback.state = state.to_owned();
            let mut m = Self::base_event("PlaybackFinished");
            m.insert("playback".into(), json!(p.playback));
            self.deliver(&[p.app], Value::Object(m));
        }
    }

    /// The whole hang-up sequence: request, bridge leave, StasisEnd, destroy.
    /// `request` is the ChannelHangupRequest's (cause, soft); `None` sends none.
    pub fn hangup(&mut self, id: &str, request: Option<(i64, bool)>, final_cause: i64) {
        if !self.channels.contains_key(id) {
            return;
        }
        if let Some((c, soft)) = request {
            if soft {
                self.emit(
                    id,
                    "ChannelHangupRequest",
                    json!({"cause": c, "soft": true}),
                );
            } else {
                self.emit(id, "ChannelHangupRequest", json!({"cause": c}));
            }
        }
        self.finish_playbacks_of(id);
        self.leave_bridge(id);
        let in_stasis = self
            .channels
            .get(id)
            .is_some_and(|c| c.stasis_app.is_some());
        if in_stasis {
            self.emit(id, "StasisEnd", json!({}));
            let origin = self.channels.get(id).map(|c| c.origin);
            if let Some(ch) = self.channels.get_mut(id) {
                ch.stasis_app = None;
                if origin == Some(Origin::Dialplan) {
                    ch.subscribers.clear();
                }
            }
            if origin == Some(Origin::Rest) {
                self.emit(
                    id,
                    "ChannelVarset",
                    json!({"variable": "STASISSTATUS", "value": "SUCCESS"}),
                );
            }
        }
        self.destroy(id, final_cause);
    }

    /// ChannelDestroyed and removal.
    pub fn destroy(&mut self, id: &str, final_cause: i64) {
        if let Some(ch) = self.channels.get_mut(id) {
            ch.chan.dialplan.app_name.clear();
            ch.chan.dialplan.app_data.clear();
        }
        self.emit(
            id,
            "ChannelDestroyed",
            json!({"cause": final_cause, "cause_txt": cause::text(final_cause)}),
        );
        if let Some(ch) = self.channels.remove(id) {
            for t in &ch.tasks {
                t.abort();
            }
            self.destroyed
                .insert(id.to_owned(), (ch.view(), final_cause));
        }
    }

    pub fn context_hook(&self, context: &str) -> Option<ContextHook> {
        self.context_hooks.get(context).cloned()
    }
}

/// Starts dialling a created channel (`POST /channels/{id}/dial`).
pub(crate) fn start_dial(world: &World, st: &mut State, id: &str, timeout: Option<Duration>) {
    let Some(ch) = st.channels.get_mut(id) else {
        return;
    };
    ch.dialed = true;
    let script = ch.script.clone();
    let dialstring = dialstring_of(&ch.endpoint);
    if script.reaction == Reaction::Missing {
        st.hangup(id, None, cause::NORMAL_CLEARING);
        return;
    }
    st.emit(
        id,
        "Dial",
        json!({"dialstatus": "", "forward": "", "dialstring": dialstring}),
    );
    progress(world, st, id, &script, "");
    if let Some(t) = timeout {
        world_after(world, st, id, t, |_w, st, id| {
            let answered = st.channels.get(id).is_some_and(|c| c.chan.state == "Up");
            if !answered {
                st.hangup(id, Some((32, true)), cause::NO_ANSWER);
            }
        });
    }
}

/// Dial progress events after the first `Dial`; `dialstring` is repeated on every Dial event
/// for originated channels (as Asterisk does) and empty for created ones.
fn progress(world: &World, st: &mut State, id: &str, script: &Script, dialstring: &str) {
    match &script.reaction {
        Reaction::AnswerAfter(delay) => {
            st.set_state(id, "Ringing");
            st.emit(
                id,
                "Dial",
                json!({"dialstatus": "RINGING", "forward": "", "dialstring": dialstring}),
            );
            let ds = dialstring.to_owned();
            let script = script.clone();
            world_after(world, st, id, *delay, move |w, st, id| {
                st.set_state(id, "Up");
                st.emit(
                    id,
                    "Dial",
                    json!({"dialstatus": "ANSWER", "forward": "", "dialstring": ds}),
                );
                answered(w, st, id, &script);
            });
        }
        Reaction::NeverAnswer => {
            st.set_state(id, "Ringing");
            st.emit(
                id,
                "Dial",
                json!({"dialstatus": "RINGING", "forward": "", "dialstring": dialstring}),
            );
        }
        Reaction::Busy => {
            st.emit(
                id,
                "Dial",
                json!({"dialstatus": "BUSY", "forward": "", "dialstring": dialstring}),
            );
        }
        Reaction::Congestion => {
            st.emit(
                id,
                "Dial",
                json!({"dialstatus": "CONGESTION", "forward": "", "dialstring": dialstring}),
            );
        }
        Reaction::HangupCause(c) => {
            let c = *c;
            st.emit(
                id,
                "Dial",
                json!({"dialstatus": "CHANUNAVAIL", "forward": "", "dialstring": dialstring}),
            );
            st.hangup(id, Some((c, false)), c);
        }
        Reaction::Missing | Reaction::Unreachable => {}
    }
}

/// After a channel answered: originate target, then the script's DTMF and hang-up.
fn answered(world: &World, st: &mut State, id: &str, script: &Script) {
    let on_answer = st
        .channels
        .get(id)
        .map(|c| c.on_answer.clone())
        .unwrap_or(OnAnswer::Nothing);
    match on_answer {
        OnAnswer::Nothing => {}
        OnAnswer::Stasis { app, args } => st.enter_stasis(id, &app, args, true),
        OnAnswer::Context {
            context,
            extension,
            priority,
        } => {
            if let Some(ch) = st.channels.get_mut(id) {
                ch.chan.dialplan = DialplanCep {
                    context: context.clone(),
                    exten: extension.clone(),
                    priority,
                    app_name: String::new(),
                    app_data: String::new(),
                };
            }
            if let Some(hook) = st.context_hook(&context) {
                let call = ContextCall {
                    channel_id: id.to_owned(),
                    endpoint: st
                        .channels
                        .get(id)
                        .map(|c| c.endpoint.clone())
                        .unwrap_or_default(),
                    context,
                    extension,
                    priority,
                    variables: st
                        .channels
                        .get(id)
                        .map(|c| c.vars.clone())
                        .unwrap_or_default(),
                };
                let actions = hook(&call);
                run_context_actions(world, st, id, actions);
            }
        }
    }
    if let Some((delay, digits)) = &script.dtmf {
        let digits = digits.clone();
        world_after(world, st, id, *delay, move |_w, st, id| {
            for d in digits.chars() {
                st.emit(
                    id,
                    "ChannelDtmfReceived",
                    json!({"digit": d.to_string(), "duration_ms": 100}),
                );
            }
        });
    }
    if let Some(delay) = script.hangup_after {
        world_after(world, st, id, delay, |_w, st, id| {
            st.hangup(
                id,
                Some((cause::NORMAL_CLEARING, false)),
                cause::NORMAL_CLEARING,
            );
        });
    }
}

fn run_context_actions(world: &World, st: &mut State, id: &str, mut actions: Vec<ContextAction>) {
    while !actions.is_empty() {
        let action = actions.remove(0);
        match action {
            ContextAction::Wait(d) => {
                world_after(world, st, id, d, move |w, st, id| {
                    run_context_actions(w, st, id, actions);
                });
                return;
            }
            ContextAction::SetVar { name, value } => st.set_var(id, &name, &value),
            ContextAction::UserEvent { name, fields } => {
                st.emit(
                    id,
                    "ChannelUserevent",
                    json!({"eventname": name, "userevent": fields}),
                );
            }
            ContextAction::Hangup { cause: c } => {
                st.hangup(id, Some((c, false)), c);
                return;
            }
        }
    }
}

/// Schedules `f` for channel `id` while the lock is already held by the caller.
pub(crate) fn world_after(
    world: &World,
    st: &mut State,
    id: &str,
    delay: Duration,
    f: impl FnOnce(&World, &mut State, &str) + Send + 'static,
) {
    let w = world.clone();
    let key = id.to_owned();
    let handle = tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        let w2 = w.clone();
        let mut guard = w.lock();
        if guard.channels.contains_key(&key) {
            f(&w2, &mut guard, &key);
        }
    });
    if let Some(ch) = st.channels.get_mut(id) {
        ch.tasks.push(handle.abort_handle());
    } else {
        handle.abort();
    }
}

/// Originate: the channel dials at once; Stasis (or the context) only once answered.
pub(crate) fn start_originate(world: &World, st: &mut State, id: &str, timeout: Duration) {
    let Some(ch) = st.channels.get(id) else {
        return;
    };
    let script = ch.script.clone();
    let dialstring = dialstring_of(&ch.endpoint);
    st.emit(
        id,
        "Dial",
        json!({"dialstatus": "", "forward": "", "dialstring": dialstring}),
    );
    match script.reaction {
        Reaction::Busy | Reaction::Congestion => {
            progress(world, st, id, &script, &dialstring);
            st.destroy(id, 0);
        }
        Reaction::Missing => st.destroy(id, cause::NORMAL_CLEARING),
        _ => {
            progress(world, st, id, &script, &dialstring);
            world_after(world, st, id, timeout, |_w, st, id| {
                let up = st.channels.get(id).is_some_and(|c| c.chan.state == "Up");
                if !up {
                    st.destroy(id, cause::NO_ANSWER);
                }
            });
        }
    }
}

/// Plays media to a channel: PlaybackStarted now, PlaybackFinished after its duration.
pub(crate) fn start_playback(
    world: &World,
    st: &mut State,
    channel_id: &str,
    playback_id: &str,
    media: &str,
    app: &str,
) -> Playback {
    let playback = Playback {
        id: playback_id.to_owned(),
        media_uri: media.to_owned(),
        target_uri: format!("channel:{channel_id}"),
        language: "en".into(),
        state: "queued".into(),
    };
    let duration = st
        .media_durations
        .get(media)
        .copied()
        .unwrap_or(st.default_media_duration);
    let mut started = playback.clone();
    started.state = "playing".into();
    let mut m = State::base_event("PlaybackStarted");
    m.insert("playback".into(), json!(started));
    st.deliver(&[app.to_owned()], Value::Object(m));
    let w = world.clone();
    let pid = playback_id.to_owned();
    // A missing sound file: Asterisk starts the playback, cannot open the file and ends it
    // at once with state "failed".
    let (duration, end_state) = if st.missing_media.contains(media) {
        (Duration::ZERO, "failed")
    } else {
        (duration, "done")
    };
    let handle = tokio::spawn(async move {
        tokio::time::sleep(duration).await;
        let mut guard = w.lock();
        guard.finish_playback(&pid, end_state);
    });
    st.playbacks.insert(
        playback_id.to_owned(),
        SimPlayback {
            playback: started,
            channel: channel_id.to_owned(),
            app: app.to_owned(),
            task: Some(handle.abort_handle()),
        },
    );
    playback
}
