//! The Stasis dispatcher: routes each new call to the flow named by its first Stasis argument
//! and every later event to the flow that owns the channel.
//!
//! `Stasis(ringside,followme,1001)` starts the `followme` flow; other flows register their own
//! name with [`EngineBuilder::route`]. A flow owns the channels it claims through its
//! [`Inbox`] (the caller's channel is claimed for it); claiming a channel id *before*
//! creating or originating it means no event can arrive for an id nobody knows. A call for
//! which no flow is registered, or that arrives while the daemon stops, continues in the
//! dialplan at once so it is never stuck. After a reconnect the engine reconciles: channels
//! of the app that no flow owns are hung up, flows whose channels vanished are told so, and
//! flows whose channels changed state while the socket was down get that state as a
//! `ChannelStateChange` (Asterisk does not replay what it sent to a closed socket).
//! The engine does not decide anything about calls itself.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::ari::connection::{ReceivedEvent, StreamItem};
use crate::ari::events::StasisStart;
use crate::ari::{AriClient, AriError, DialplanTarget, Event, HangupReason};

/// What a flow receives about its channels.
#[derive(Debug, Clone)]
pub enum FlowInput {
    /// An ARI event about one of its channels, with the instant its frame was read. Boxed:
    /// an `Event` is several hundred bytes and every inbox's queue blocks are sized by it.
    Event {
        event: Box<Event>,
        received_at: Instant,
    },
    /// After a reconnect the channel is no longer in the app (it ended while we were away).
    Vanished { channel_id: String },
    /// The daemon is stopping: hand calls back to the dialplan.
    Shutdown,
}

type Sender = mpsc::UnboundedSender<FlowInput>;

struct Owner {
    tx: Sender,
    /// An event has been seen for the channel and it is not destroyed: it exists.
    live: bool,
    /// The channel state in the last event routed to the flow.
    state: Option<String>,
}

#[derive(Default)]
struct Owners {
    by_channel: HashMap<String, Owner>,
    /// Channels whose flow ended lately: not orphans even if a stale listing shows them.
    released: HashMap<String, Instant>,
}

/// Channel id -> the flow that owns it. Cheap to clone.
#[derive(Clone, Default)]
pub struct ChannelRegistry {
    inner: Arc<Mutex<Owners>>,
}

const RELEASED_MEMORY: std::time::Duration = std::time::Duration::from_secs(60);

impl ChannelRegistry {
    fn lock(&self) -> std::sync::MutexGuard<'_, Owners> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn claim(&self, channel_id: &str, tx: &Sender) {
        self.lock().by_channel.insert(
            channel_id.to_owned(),
            Owner {
                tx: tx.clone(),
                live: false,
                state: None,
            },
        );
    }

    fn release(&self, ids: &[String]) {
        self.release_held_by(ids, None);
    }

    /// Releases `ids`, but with `holder` only those still routed to it: a channel another
    /// flow has claimed since (a call taken over) stays with that flow.
    fn release_held_by(&self, ids: &[String], holder: Option<&Sender>) {
        let mut owners = self.lock();
        let now = Instant::now();
        owners
            .released
            .retain(|_, at| now.duration_since(*at) < RELEASED_MEMORY);
        for id in ids {
            let held = owners
                .by_channel
                .get(id)
                .is_some_and(|o| holder.is_none_or(|h| o.tx.same_channel(h)));
            if held && owners.by_channel.remove(id).is_some() {
                owners.released.insert(id.clone(), now);
            }
        }
    }

    /// The owner's sender, noting whether the channel exists after this event and the
    /// state the flow now knows it in.
    fn route(&self, channel_id: &str, event: &Event) -> Option<Sender> {
        let mut owners = self.lock();
        let owner = owners.by_channel.get_mut(channel_id)?;
        owner.live = !matches!(event, Event::ChannelDestroyed(_));
        if let Some(state) = event.channel_state() {
            if owner.state.as_deref() != Some(state) {
                owner.state = Some(state.to_owned());
            }
        }
        Some(owner.tx.clone())
    }

    /// Delivers a channel snapshot read after a reconnect as a `ChannelStateChange`, when
    /// its state differs from the last one the owning flow saw.
    fn deliver_missed_state(&self, channel: crate::ari::model::Channel) {
        let mut owners = self.lock();
        let Some(owner) = owners.by_channel.get_mut(&channel.id) else {
            return;
        };
        if owner.state.as_deref() == Some(channel.state.as_str()) {
            return;
        }
        owner.state = Some(channel.state.clone());
        let event = Event::ChannelStateChange(crate::ari::events::ChannelEvent { channel });
        let _ = owner.tx.send(FlowInput::Event {
            event: Box::new(event),
            received_at: Instant::now(),
        });
    }

    fn sender(&self, channel_id: &str) -> Option<Sender> {
        self.lock().by_channel.get(channel_id).map(|o| o.tx.clone())
    }

    /// A fresh inbox for a flow the daemon starts itself, usable while the engine runs.
    pub fn inbox(&self) -> Inbox {
        Inbox::new(self.clone())
    }

    pub fn is_owned(&self, channel_id: &str) -> bool {
        self.lock().by_channel.contains_key(channel_id)
    }

    pub fn owned_ids(&self) -> Vec<String> {
        self.lock().by_channel.keys().cloned().collect()
    }

    /// Owned channels known to exist (claimed ids not created yet are not live).
    fn live_ids(&self) -> Vec<String> {
        self.lock()
            .by_channel
            .iter()
            .filter(|(_, o)| o.live)
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// A fresh inbox, for a flow the daemon starts itself (e.g. a wakeup call it
    /// originates): claim the channel id, then originate it.
    pub fn new_inbox(&self) -> Inbox {
        Inbox::new(self.clone())
    }

    /// Notes a channel the engine dealt with without a flow (so it is no orphan).
    fn remember(&self, channel_id: &str) {
        self.lock()
            .released
            .insert(channel_id.to_owned(), Instant::now());
    }

    fn recently_released(&self, channel_id: &str) -> bool {
        self.lock().released.contains_key(channel_id)
    }

    pub fn len(&self) -> usize {
        self.lock().by_channel.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lock().by_channel.is_empty()
    }

    fn all_senders(&self) -> Vec<Sender> {
        self.lock()
            .by_channel
            .values()
            .map(|o| o.tx.clone())
            .collect()
    }
}

/// A flow's mailbox: everything about the channels it claimed. Dropping it releases them.
pub struct Inbox {
    rx: mpsc::UnboundedReceiver<FlowInput>,
    tx: Sender,
    registry: ChannelRegistry,
    claimed: Vec<String>,
}

impl Inbox {
    fn new(registry: ChannelRegistry) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        Self {
            rx,
            tx,
            registry,
            claimed: Vec::new(),
        }
    }

    /// Routes events for `channel_id` to this inbox from now on.
    pub fn claim(&mut self, channel_id: &str) {
        self.registry.claim(channel_id, &self.tx);
        self.claimed.push(channel_id.to_owned());
    }

    /// The next input; `None` only if the engine is gone.
    pub async fn recv(&mut self) -> Option<FlowInput> {
        self.rx.recv().await
    }

    pub fn try_recv(&mut self) -> Option<FlowInput> {
        self.rx.try_recv().ok()
    }
}

impl Inbox {
    /// Whether events for `channel_id` still come to this inbox (another flow may have
    /// claimed the channel since).
    pub fn owns(&self, channel_id: &str) -> bool {
        self.registry
            .lock()
            .by_channel
            .get(channel_id)
            .is_some_and(|o| o.tx.same_channel(&self.tx))
    }
}

impl Drop for Inbox {
    fn drop(&mut self) {
        self.registry.release_held_by(&self.claimed, Some(&self.tx));
    }
}

/// A new call handed to a flow.
pub struct FlowCall {
    pub client: AriClient,
    pub start: StasisStart,
    pub received_at: Instant,
    /// Already claims the caller's channel.
    pub inbox: Inbox,
}

pub type FlowFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// A kind of call flow, chosen by the first Stasis argument.
pub trait StasisHandler: Send + Sync + 'static {
    fn start(&self, call: FlowCall) -> FlowFuture;
}

impl<F> StasisHandler for F
where
    F: Fn(FlowCall) -> FlowFuture + Send + Sync + 'static,
{
    fn start(&self, call: FlowCall) -> FlowFuture {
        self(call)
    }
}

pub struct EngineBuilder {
    client: AriClient,
    routes: HashMap<String, Arc<dyn StasisHandler>>,
    registry: ChannelRegistry,
    adoptable: Vec<(String, std::time::Duration)>,
}

impl EngineBuilder {
    /// Calls whose first Stasis argument is `name` go to `handler`.
    pub fn route(mut self, name: &str, handler: impl StasisHandler) -> Self {
        self.routes.insert(name.to_owned(), Arc::new(handler));
        self
    }

    /// Channels whose id starts with `prefix` that no flow owns after a (re)connect are left
    /// for `wait` to a flow that adopts them (a call taken over from a daemon that died), and
    /// hung up only if none has by then.
    pub fn adoptable(mut self, prefix: &str, wait: std::time::Duration) -> Self {
        self.adoptable.push((prefix.to_owned(), wait));
        self
    }

    pub fn build(self) -> Engine {
        Engine {
            client: self.client,
            routes: self.routes,
            registry: self.registry,
            adoptable: Arc::new(self.adoptable),
            flows: tokio::task::JoinSet::new(),
        }
    }
}

pub struct Engine {
    client: AriClient,
    routes: HashMap<String, Arc<dyn StasisHandler>>,
    registry: ChannelRegistry,
    flows: tokio::task::JoinSet<()>,
    adoptable: Arc<Vec<(String, std::time::Duration)>>,
}

impl Engine {
    pub fn builder(client: AriClient) -> EngineBuilder {
        EngineBuilder {
            client,
            routes: HashMap::new(),
            registry: ChannelRegistry::default(),
            adoptable: Vec::new(),
        }
    }

    pub fn registry(&self) -> ChannelRegistry {
        self.registry.clone()
    }

    /// A fresh inbox for a flow the daemon starts itself (e.g. a wakeup call it originates).
    pub fn inbox(&self) -> Inbox {
        Inbox::new(self.registry.clone())
    }

    /// Dispatches until `items` ends or `stop` fires; then tells every flow to hand its call
    /// back to the dialplan and waits (briefly) for them.
    pub async fn run(
        mut self,
        mut items: mpsc::UnboundedReceiver<StreamItem>,
        stop: CancellationToken,
    ) {
        loop {
            let item = tokio::select! {
                _ = stop.cancelled() => break,
                item = items.recv() => item,
                Some(_) = self.flows.join_next(), if !self.flows.is_empty() => continue,
            };
            match item {
                None => break,
                Some(StreamItem::Event(ev)) => self.dispatch(ev),
                Some(StreamItem::Connected { reconnect }) => self.spawn_reconcile(reconnect),
                Some(StreamItem::Disconnected { .. }) => {}
            }
        }
        self.shutdown().await;
    }

    fn dispatch(&mut self, ev: ReceivedEvent) {
        let ReceivedEvent { event, received_at } = ev;
        if let Some(id) = event.channel_id() {
            if let Some(tx) = self.registry.route(id, &event) {
                let id = id.to_owned();
                if tx.send(FlowInput::Event { event, received_at }).is_err() {
                    self.registry.release(&[id]);
                }
                return;
            }
        }
        match *event {
            Event::StasisStart(start) => self.start_flow(start, received_at),
            Event::ApplicationReplaced(_) => {
                tracing::error!(
                    "another client took over ARI application {}",
                    self.client.app()
                );
            }
            Event::Unknown(ref v) => {
                tracing::debug!(kind = event.kind(), raw = %v, "unhandled ARI event")
            }
            other => {
                tracing::trace!(kind = other.kind(), channel = ?other.channel_id(), "event for a channel no flow owns")
            }
        }
    }

    fn start_flow(&mut self, start: StasisStart, received_at: Instant) {
        let channel_id = start.channel.id.clone();
        let route = start.args.first().cloned().unwrap_or_default();
        let Some(handler) = self.routes.get(&route).cloned() else {
            self.registry.remember(&channel_id);
            let client = self.client.clone();
            if start.channel.state == "Down" {
                // Created through ARI (not a call from the dialplan) and nobody wants it.
                tracing::warn!(channel = %channel_id, args = ?start.args, "hanging up a channel no flow wants");
                self.flows.spawn(async move {
                    if let Err(e) = client.hangup(&channel_id, HangupReason::Normal).await {
                        tracing::debug!(channel = %channel_id, error = %e, "hang-up failed");
                    }
                });
            } else {
                tracing::warn!(channel = %channel_id, args = ?start.args, "no flow for this Stasis call; continuing in the dialplan");
                self.flows
                    .spawn(async move { continue_or_hang_up(&client, &channel_id).await });
            }
            return;
        };
        let mut inbox = Inbox::new(self.registry.clone());
        inbox.claim(&channel_id);
        tracing::debug!(channel = %channel_id, flow = %route, "call started");
        let call = FlowCall {
            client: self.client.clone(),
            start,
            received_at,
            inbox,
        };
        let in_progress = crate::telemetry::call_in_progress(&route);
        let flow = handler.start(call);
        self.flows.spawn(async move {
            flow.await;
            drop(in_progress);
        });
    }

    fn spawn_reconcile(&mut self, reconnect: bool) {
        let client = self.client.clone();
        let registry = self.registry.clone();
        let adoptable = self.adoptable.clone();
        self.flows.spawn(async move {
            if let Err(e) = reconcile(&client, &registry, reconnect, &adoptable).await {
                tracing::warn!(error = %e, "reconciling calls after connecting failed");
            }
        });
    }

    async fn shutdown(&mut self) {
        for tx in self.registry.all_senders() {
            let _ = tx.send(FlowInput::Shutdown);
        }
        let deadline = tokio::time::sleep(std::time::Duration::from_secs(5));
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                _ = &mut deadline => {
                    tracing::warn!(left = self.flows.len(), "flows still running at shutdown");
                    self.flows.abort_all();
                    break;
                }
                next = self.flows.join_next() => if next.is_none() { break },
            }
        }
    }
}

/// Hands a call back to the dialplan; if even that fails, hangs it up rather than leave it
/// stuck in Stasis.
pub async fn continue_or_hang_up(client: &AriClient, channel_id: &str) {
    match client
        .continue_in_dialplan(channel_id, &DialplanTarget::default())
        .await
    {
        Ok(()) | Err(AriError::NotFound(_)) => {}
        Err(e) => {
            tracing::error!(channel = %channel_id, error = %e, "cannot continue the call in the dialplan; hanging up");
            if let Err(e) = client.hangup(channel_id, HangupReason::Normal).await {
                if !e.is_not_found() {
                    tracing::error!(channel = %channel_id, error = %e, "cannot hang up the call either");
                }
            }
        }
    }
}

/// After (re)connecting: what the app still has vs. what flows own.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reconciliation {
    /// In the app but owned by no flow: to hang up.
    pub orphans: Vec<String>,
    /// Owned by a flow but no longer in the app: the flow is told.
    pub vanished: Vec<String>,
    /// Bridges of the app that contain no owned channel: to destroy.
    pub orphan_bridges: Vec<String>,
}

/// Pure comparison of the app's channels/bridges with the owned channel ids.
pub fn reconcile_plan(
    app_channels: &[String],
    app_bridges: &[(String, Vec<String>)],
    owned: &[String],
) -> Reconciliation {
    let mut r = Reconciliation {
        orphans: app_channels
            .iter()
            .filter(|c| !owned.contains(c))
            .cloned()
            .collect(),
        vanished: owned
            .iter()
            .filter(|c| !app_channels.contains(c))
            .cloned()
            .collect(),
        orphan_bridges: app_bridges
            .iter()
            .filter(|(_, members)| !members.iter().any(|m| owned.contains(m)))
            .map(|(id, _)| id.clone())
            .collect(),
    };
    r.orphans.sort();
    r.vanished.sort();
    r.orphan_bridges.sort();
    r
}

async fn reconcile(
    client: &AriClient,
    registry: &ChannelRegistry,
    reconnect: bool,
    adoptable: &[(String, std::time::Duration)],
) -> Result<(), AriError> {
    // Listings are snapshots while calls go on: only channels that were live before and
    // are still owned after can have vanished; only channels owned neither before nor
    // after, and not just released, are orphans.
    let live_before = registry.live_ids();
    let owned_before = registry.owned_ids();
    let app = client.application(client.app()).await?;
    let bridges = client.bridges().await?;
    let app_bridges: Vec<(String, Vec<String>)> = bridges
        .into_iter()
        .filter(|b| app.bridge_ids.contains(&b.id))
        .map(|b| (b.id, b.channels))
        .collect();
    let owned_after = registry.owned_ids();
    let mut owned: Vec<String> = owned_after.clone();
    owned.extend(owned_before.iter().cloned());
    let app_channels: Vec<String> = app
        .channel_ids
        .iter()
        .filter(|c| !registry.recently_released(c))
        .cloned()
        .collect();
    let mut plan = reconcile_plan(&app_channels, &app_bridges, &owned);
    plan.vanished = if reconnect {
        live_before
            .iter()
            .filter(|c| owned_after.contains(c) && !app.channel_ids.contains(c))
            .cloned()
            .collect()
    } else {
        Vec::new()
    };
    plan.orphan_bridges.retain(|b| {
        !app_bridges
            .iter()
            .any(|(id, m)| id == b && m.iter().any(|c| registry.recently_released(c)))
    });
    if plan != Reconciliation::default() {
        tracing::info!(
            orphans = plan.orphans.len(),
            vanished = plan.vanished.len(),
            orphan_bridges = plan.orphan_bridges.len(),
            "reconciling calls with Asterisk"
        );
    }
    let mut later: Vec<(String, std::time::Duration)> = Vec::new();
    for id in &plan.orphans {
        if let Some((_, wait)) = adoptable.iter().find(|(p, _)| id.starts_with(p.as_str())) {
            later.push((id.clone(), *wait));
            continue;
        }
        // An application also lists the channels it only watches: a call still ringing, or
        // one continued into the dialplan (a fax being sent). Those are not stuck in the app;
        // hanging them up would cut a fax mid-page. Only a channel in Stasis is an orphan.
        match client.channel(id).await {
            Ok(channel) if channel.dialplan.app_name != "Stasis" => {
                tracing::info!(channel = %id, running = %channel.dialplan.app_name, "leaving a watched channel that is not in the app");
                continue;
            }
            Err(e) if e.is_not_found() => continue,
            _ => {}
        }
        tracing::info!(channel = %id, "hanging up a channel no flow owns");
        if let Err(e) = client.hangup(id, HangupReason::Normal).await {
            if !e.is_not_found() {
                tracing::warn!(channel = %id, error = %e, "cannot hang up orphan channel");
            }
        }
    }
    if !later.is_empty() {
        let client = client.clone();
        let registry = registry.clone();
        let listed = tokio::time::Instant::now();
        tokio::spawn(async move {
            for (id, wait) in later {
                tokio::time::sleep_until(listed + wait).await;
                if registry.is_owned(&id) {
                    continue;
                }
                tracing::info!(channel = %id, "hanging up a channel no flow adopted");
                if let Err(e) = client.hangup(&id, HangupReason::Normal).await {
                    if !e.is_not_found() {
                        tracing::warn!(channel = %id, error = %e, "cannot hang up orphan channel");
                    }
                }
            }
        });
    }
    for id in &plan.vanished {
        if let Some(tx) = registry.sender(id) {
            let _ = tx.send(FlowInput::Vanished {
                channel_id: id.clone(),
            });
        }
    }
    if reconnect {
        // Still here after the gap: read each one's state, which may have moved unseen
        // (a leg answered while the socket was down).
        let survivors = owned_after
            .iter()
            .filter(|c| live_before.contains(c) && app.channel_ids.contains(c));
        for id in survivors {
            match client.channel(id).await {
                Ok(channel) => registry.deliver_missed_state(channel),
                Err(e) if e.is_not_found() => {}
                Err(e) => {
                    tracing::warn!(channel = %id, error = %e, "cannot read channel state after reconnecting")
                }
            }
        }
    }
    for id in &plan.orphan_bridges {
        if let Err(e) = client.destroy_bridge(id).await {
            if !e.is_not_found() {
                tracing::warn!(bridge = %id, error = %e, "cannot destroy orphan bridge");
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_owned()).collect()
    }

    #[test]
    fn channel_in_app_that_no_flow_owns_is_an_orphan() {
        let r = reconcile_plan(&s(&["a", "b"]), &[], &s(&["a"]));
        assert_eq!(r.orphans, s(&["b"]));
    }

    #[test]
    fn owned_channel_missing_from_app_has_vanished() {
        let r = reconcile_plan(&s(&["a"]), &[], &s(&["a", "leg"]));
        assert_eq!(r.vanished, s(&["leg"]));
    }

    #[test]
    fn bridge_without_owned_members_is_an_orphan() {
        let bridges = vec![("br1".to_owned(), s(&["a"])), ("br2".to_owned(), s(&["x"]))];
        let r = reconcile_plan(&s(&["a", "x"]), &bridges, &s(&["a"]));
        assert_eq!(r.orphan_bridges, s(&["br2"]));
    }

    #[test]
    fn everything_owned_needs_no_action() {
        let r = reconcile_plan(&s(&["a"]), &[("br".into(), s(&["a"]))], &s(&["a"]));
        assert_eq!(r, Reconciliation::default());
    }
}
