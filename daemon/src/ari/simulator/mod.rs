//! An in-process ARI server that behaves like Asterisk 22 for the subset Ringside uses.
//!
//! REST paths, parameters, status codes and error bodies follow the ARI Swagger files; event
//! JSON and event order follow the traces recorded from a real Asterisk 22 (busy legs stay in
//! the app, a missing extension gives no Dial event, originate enters Stasis only on answer,
//! an app hang-up shows as a soft request with cause 32, nothing is replayed after a
//! WebSocket drop). Endpoints are scripted ([`Script`]); contexts that originated channels
//! enter can be scripted ([`ContextHook`]). Tests and benches share it; `ringside ari-sim`
//! runs it standalone. It is not a media server: no audio flows anywhere.
//!
//! Not modelled: the `;2` half of Local channels (its events are not sent), channel hold,
//! snoop, recording, external media.

mod fax;
mod rest;
mod script;
mod server;
mod state;

pub use fax::FarFax;
pub use script::{ContextAction, ContextCall, ContextHook, Reaction, Script};
pub use state::{ChannelView, Continued, LegEventOrder, RestCall, SentEvent};

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::ari::model::{Bridge, CallerId, DialplanCep};
use state::{InjectedFailure, Origin, World, WsOut};

/// How to start a simulator.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// `127.0.0.1:0` picks a free port.
    pub listen: SocketAddr,
    /// Required HTTP basic-auth credentials; `None` accepts any.
    pub credentials: Option<(String, String)>,
    /// Length of one second in dial/originate `timeout` parameters (tests shrink it).
    pub second: Duration,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            credentials: None,
            second: Duration::from_secs(1),
        }
    }
}

/// Handle to a running simulator; cheap to clone.
#[derive(Clone)]
pub struct Simulator {
    world: World,
    credentials: Option<(String, String)>,
    connected: Arc<Notify>,
    addr: SocketAddr,
    stop: CancellationToken,
}

impl Simulator {
    /// Binds and starts serving in the background.
    pub async fn start(config: SimConfig) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(config.listen).await?;
        let addr = listener.local_addr()?;
        let sim = Self {
            world: World::new(config.second),
            credentials: config.credentials,
            connected: Arc::new(Notify::new()),
            addr,
            stop: CancellationToken::new(),
        };
        let app = server::router(sim.clone());
        let stop = sim.stop.clone();
        let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
            // Asterisk's HTTP server sends each event and answer at once; so does this.
            let _ = tcp.set_nodelay(true);
        });
        tokio::spawn(async move {
            let result = axum::serve(listener, app)
                .with_graceful_shutdown(async move { stop.cancelled().await })
                .await;
            if let Err(e) = result {
                tracing::error!(error = %e, "ARI simulator stopped");
            }
        });
        Ok(sim)
    }

    /// A simulator on a free loopback port with default settings.
    pub async fn start_default() -> std::io::Result<Self> {
        Self::start(SimConfig::default()).await
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// ARI base URL, e.g. `http://127.0.0.1:40123/ari`.
    pub fn base_url(&self) -> String {
        format!("http://{}/ari", self.addr)
    }

    /// Stops serving and closes every WebSocket.
    pub fn shutdown(&self) {
        self.drop_connections();
        self.stop.cancel();
    }

    // --- scripting ---

    /// What dialling `target` does. `target` is a number (`2001`, matching `PJSIP/2001` and
    /// `Local/2001@any`) or an exact endpoint (`Local/2001@phones`).
    pub fn phone(&self, target: &str, script: Script) {
        self.world.lock().phones.insert(target.to_owned(), script);
    }

    /// What a channel originated into `context` does once answered.
    pub fn on_context(&self, context: &str, hook: ContextHook) {
        self.world
            .lock()
            .context_hooks
            .insert(context.to_owned(), hook);
    }

    /// How long playing `media` (e.g. `sound:followme/options`) takes.
    pub fn set_media_duration(&self, media: &str, duration: Duration) {
        self.world
            .lock()
            .media_durations
            .insert(media.to_owned(), duration);
    }

    /// Makes `media` (e.g. `sound:this-is-yr-wakeup-call`) a sound this Asterisk lacks.
    pub fn set_media_missing(&self, media: &str) {
        self.world.lock().missing_media.insert(media.to_owned());
    }

    pub fn set_default_media_duration(&self, duration: Duration) {
        self.world.lock().default_media_duration = duration;
    }

    /// Channels made with `channels/create` enter Stasis `delay` after the create is
    /// answered, as on a loaded or just-restarted Asterisk: a `dial` in between is refused
    /// with 409 "Channel not in Stasis application". `None` (the default): at once.
    pub fn delay_stasis_start_after_create(&self, delay: Option<Duration>) {
        self.world.lock().stasis_start_delay = delay;
    }

    /// In which order dialled legs' events and the answers to their `dial` reach clients.
    pub fn set_leg_event_order(&self, order: LegEventOrder) {
        self.world.lock().leg_event_order = order;
    }

    /// A device state as last set through `PUT /deviceStates/{name}`.
    pub fn device_state(&self, name: &str) -> Option<String> {
        self.world.lock().device_states.get(name).cloned()
    }

    /// Keep only metadata of sent events (benchmarks: thousands of calls).
    pub fn set_record_event_bodies(&self, on: bool) {
        self.world.lock().record_event_bodies = on;
    }

    /// While on, WebSocket connects are answered 503 (Asterisk not ready).
    /// The version `asterisk/info` reports. Below 22.4 (and 21.9, 20.14) REST requests sent
    /// on the WebSocket get no answer, as with a real Asterisk of that age.
    pub fn set_asterisk_version(&self, version: &str) {
        self.world.lock().version = version.to_owned();
    }

    /// REST requests that arrived over the WebSocket so far (a subset of [`Self::rest_calls`]).
    pub fn rest_calls_over_websocket(&self) -> usize {
        self.world
            .lock()
            .rest_log
            .iter()
            .filter(|c| c.over_websocket)
            .count()
    }

    pub fn refuse_websockets(&self, on: bool) {
        self.world.lock().refuse_websockets = on;
    }

    /// The next `times` requests `method` to a path starting with `path_prefix` (below
    /// `/ari`) get `status` and `body` instead of their real answer.
    pub fn fail_next(&self, method: &str, path_prefix: &str, status: u16, body: Value, times: u32) {
        self.world.lock().failures.push(InjectedFailure {
            method: method.to_owned(),
            path_prefix: path_prefix.to_owned(),
            status,
            body,
            remaining: times.max(1),
        });
    }

    // --- driving calls ---

    /// A call from outside enters `Stasis(app,args...)` from the dialplan, like an inbound
    /// call routed by `[ringside-inbound]`. When no client of `app` is connected, Stasis fails
    /// and the call continues at the next priority with `STASISSTATUS=FAILED`, as in Asterisk.
    pub fn inbound_call(
        &self,
        app: &str,
        args: &[String],
        caller_number: &str,
        caller_name: &str,
    ) -> String {
        let mut st = self.world.lock();
        let id = st.unique_id();
        let exten = args.get(1).cloned().unwrap_or_else(|| "s".into());
        let endpoint = format!(
            "PJSIP/{}",
            if caller_number.is_empty() {
                "anonymous"
            } else {
                caller_number
            }
        );
        let dialplan = DialplanCep {
            context: "ringside-inbound".into(),
            exten: exten.clone(),
            priority: 1,
            app_name: "Stasis".into(),
            app_data: String::new(),
        };
        let caller = CallerId {
            name: caller_name.to_owned(),
            number: caller_number.to_owned(),
        };
        st.new_channel(
            id.clone(),
            &endpoint,
            Origin::Dialplan,
            caller,
            dialplan,
            "Ring",
        );
        let connected = st.clients.iter().any(|c| c.apps.iter().any(|a| a == app));
        if connected {
            st.enter_stasis(&id, app, args.to_vec(), false);
        } else if let Some(c) = st.channels.get_mut(&id) {
            c.vars.insert("STASISSTATUS".into(), "FAILED".into());
            c.chan.dialplan.priority = 2;
            c.continued = Some(Continued {
                context: "ringside-inbound".into(),
                extension: exten,
                priority: 2,
            });
        }
        id
    }

    /// The far end hangs up `channel_id` (cause 16). False when there is no such channel.
    pub fn hang_up(&self, channel_id: &str) -> bool {
        let mut st = self.world.lock();
        if !st.channels.contains_key(channel_id) {
            return false;
        }
        st.hangup(channel_id, Some((16, false)), 16);
        true
    }

    /// The channel sends DTMF digits.
    pub fn press(&self, channel_id: &str, digits: &str) -> bool {
        let mut st = self.world.lock();
        if !st.channels.contains_key(channel_id) {
            return false;
        }
        for d in digits.chars() {
            st.emit(
                channel_id,
                "ChannelDtmfReceived",
                json!({"digit": d.to_string(), "duration_ms": 100}),
            );
        }
        true
    }

    /// Closes every WebSocket at once (calls stay, nothing missed is replayed).
    pub fn drop_connections(&self) {
        let mut st = self.world.lock();
        for c in st.clients.drain(..) {
            let _ = c.tx.send(WsOut::Close);
        }
    }

    /// Sends a raw text frame (e.g. malformed JSON) to every client of `app`.
    pub fn inject_raw(&self, app: &str, text: &str) {
        let st = self.world.lock();
        for c in st
            .clients
            .iter()
            .filter(|c| c.apps.iter().any(|a| a == app))
        {
            let _ = c.tx.send(WsOut::Text(text.to_owned()));
        }
    }

    // --- observing ---

    pub fn is_connected(&self, app: &str) -> bool {
        self.world
            .lock()
            .clients
            .iter()
            .any(|c| c.apps.iter().any(|a| a == app))
    }

    /// Waits until a client of `app` is connected; false on timeout.
    pub async fn wait_connected(&self, app: &str, timeout: Duration) -> bool {
        self.wait_until(timeout, |s| s.is_connected(app)).await
    }

    /// Polls `cond` every 2 ms until it holds; false on timeout.
    pub async fn wait_until(&self, timeout: Duration, cond: impl Fn(&Simulator) -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if cond(self) {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::select! {
                _ = self.connected.notified() => {}
                _ = tokio::time::sleep(Duration::from_millis(2)) => {}
            }
        }
    }

    /// Every REST request answered so far, in order.
    pub fn rest_calls(&self) -> Vec<RestCall> {
        self.world.lock().rest_log.clone()
    }

    /// Every event produced so far, in order.
    pub fn events(&self) -> Vec<SentEvent> {
        self.world.lock().event_log.clone()
    }

    pub fn clear_logs(&self) {
        let mut st = self.world.lock();
        st.rest_log.clear();
        st.event_log.clear();
    }

    /// A live channel.
    pub fn channel(&self, id: &str) -> Option<ChannelView> {
        self.world.lock().channels.get(id).map(|c| c.view())
    }

    /// A channel that is gone, with its final cause.
    pub fn destroyed(&self, id: &str) -> Option<(ChannelView, i64)> {
        self.world.lock().destroyed.get(id).cloned()
    }

    pub fn channels(&self) -> Vec<ChannelView> {
        let st = self.world.lock();
        let mut v: Vec<ChannelView> = st.channels.values().map(|c| c.view()).collect();
        v.sort_by(|a, b| a.channel.id.cmp(&b.channel.id));
        v
    }

    pub fn bridges(&self) -> Vec<Bridge> {
        self.world
            .lock()
            .bridges
            .values()
            .map(|b| b.bridge.clone())
            .collect()
    }

    /// Channels currently in `app`'s Stasis.
    pub fn channels_in_app(&self, app: &str) -> Vec<String> {
        let st = self.world.lock();
        let mut v: Vec<String> = st
            .channels
            .iter()
            .filter(|(_, c)| c.stasis_app.as_deref() == Some(app))
            .map(|(k, _)| k.clone())
            .collect();
        v.sort();
        v
    }

    /// A standard phone book for demos: 2001 answers after 2 s, 2002 busy, 2003 never
    /// answers, 2004 congestion, 2005 answers after 4 s and presses 1, 9999 does not exist
    /// (the extensions of the recorded traces), plus 1001..1003 answering after 3 s.
    pub fn load_demo_phone_book(&self) {
        self.phone("2001", Script::answer_after_ms(2000));
        self.phone("2002", Script::busy());
        self.phone("2003", Script::never_answer());
        self.phone("2004", Script::congestion());
        self.phone("2005", Script::answer_after_ms(4000).then_press("1", 1000));
        self.phone("9999", Script::missing());
        for ext in ["1001", "1002", "1003"] {
            self.phone(ext, Script::answer_after_ms(3000));
        }
    }
}
