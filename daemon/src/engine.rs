//! The Stasis dispatcher: routes each new call to the flow named by its first Stasis argument
//! and every later event to the flow that owns the channel.
//!
//! `Stasis(ringside,followme,1001)` starts the `followme` flow; other flows register their own
//! name with [`EngineBuilder::route`]. A flow owns the channels it claims through its
//! [`Inbox`] (the caller's channel is claimed for it); claiming a channel id *before*
//! creating or originating it means no event can arrive for an id nobody knows. A call for
//! which no flow is registered, or that arrives while the daemon stops, continues in the
//! dialplan at once so it is never stuck. After a reconnect the engine reconciles: channels
//! of the app that no flow owns are hung up, flows whose channels vanished are told so.
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
    /// An ARI event about one of its channels, with the instant its frame was read.
    Event { event: Event, received_at: Instant },
    /// After a reconnect the channel is no longer in the app (it ended while we were away).
    Vanished { channel_id: String },
    /// The daemon is stopping: hand calls back to the dialplan.
    Shutdown,
}

type Sender = mpsc::UnboundedSender<FlowInput>;

/// Channel id -> the flow that owns it. Cheap to clone.
#[derive(Clone, Default)]
pub struct ChannelRegistry {
    inner: Arc<Mutex<HashMap<String, Sender>>>,
}

impl ChannelRegistry {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Sender>> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn claim(&self, channel_id: &str, tx: &Sender) {
        self.lock().insert(channel_id.to_owned(), tx.clone());
    }

    fn release(&self, ids: &[String]) {
        let mut map = self.lock();
        for id in ids {
            map.remove(id);
        }
    }

    fn sender(&self, channel_id: &str) -> Option<Sender> {
        self.lock().get(channel_id).cloned()
    }

    /// A fresh inbox for a flow the daemon starts itself, usable while the engine runs.
    pub fn inbox(&self) -> Inbox {
        Inbox::new(self.clone())
    }

    pub fn is_owned(&self, channel_id: &str) -> bool {
        self.lock().contains_key(channel_id)
    }

    pub fn owned_ids(&self) -> Vec<String> {
        self.lock().keys().cloned().collect()
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    fn all_senders(&self) -> Vec<Sender> {
        self.lock().values().cloned().collect()
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

impl Drop for Inbox {
    fn drop(&mut self) {
        self.registry.release(&self.claimed);
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
}

impl EngineBuilder {
    /// Calls whose first Stasis argument is `name` go to `handler`.
    pub fn route(mut self, name: &str, handler: impl StasisHandler) -> Self {
        self.routes.insert(name.to_owned(), Arc::new(handler));
        self
    }

    pub fn build(self) -> Engine {
        Engine {
            client: self.client,
            routes: self.routes,
            registry: self.registry,
            flows: tokio::task::JoinSet::new(),
        }
    }
}

pub struct Engine {
    client: AriClient,
    routes: HashMap<String, Arc<dyn StasisHandler>>,
    registry: ChannelRegistry,
    flows: tokio::task::JoinSet<()>,
}

impl Engine {
    pub fn builder(client: AriClient) -> EngineBuilder {
        EngineBuilder {
            client,
            routes: HashMap::new(),
            registry: ChannelRegistry::default(),
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
                Some(StreamItem::Connected { reconnect: true }) => self.spawn_reconcile(),
                Some(StreamItem::Connected { reconnect: false }) => self.spawn_reconcile(),
                Some(StreamItem::Disconnected { .. }) => {}
            }
        }
        self.shutdown().await;
    }

    fn dispatch(&mut self, ev: ReceivedEvent) {
        let ReceivedEvent { event, received_at } = ev;
        if let Some(id) = event.channel_id() {
            if let Some(tx) = self.registry.sender(id) {
                let id = id.to_owned();
                if tx.send(FlowInput::Event { event, received_at }).is_err() {
                    self.registry.release(&[id]);
                }
                return;
            }
        }
        match event {
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
            tracing::warn!(channel = %channel_id, args = ?start.args, "no flow for this Stasis call; continuing in the dialplan");
            let client = self.client.clone();
            self.flows
                .spawn(async move { continue_or_hang_up(&client, &channel_id).await });
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
        self.flows.spawn(handler.start(call));
    }

    fn spawn_reconcile(&mut self) {
        let client = self.client.clone();
        let registry = self.registry.clone();
        self.flows.spawn(async move {
            if let Err(e) = reconcile(&client, &registry).await {
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

async fn reconcile(client: &AriClient, registry: &ChannelRegistry) -> Result<(), AriError> {
    let app = client.application(client.app()).await?;
    let bridges = client.bridges().await?;
    let app_bridges: Vec<(String, Vec<String>)> = bridges
        .into_iter()
        .filter(|b| app.bridge_ids.contains(&b.id))
        .map(|b| (b.id, b.channels))
        .collect();
    let owned = registry.owned_ids();
    let plan = reconcile_plan(&app.channel_ids, &app_bridges, &owned);
    if plan != Reconciliation::default() {
        tracing::info!(
            orphans = plan.orphans.len(),
            vanished = plan.vanished.len(),
            orphan_bridges = plan.orphan_bridges.len(),
            "reconciling calls with Asterisk"
        );
    }
    for id in &plan.orphans {
        tracing::info!(channel = %id, "hanging up a channel no flow owns");
        if let Err(e) = client.hangup(id, HangupReason::Normal).await {
            if !e.is_not_found() {
                tracing::warn!(channel = %id, error = %e, "cannot hang up orphan channel");
            }
        }
    }
    for id in &plan.vanished {
        if let Some(tx) = registry.sender(id) {
            let _ = tx.send(FlowInput::Vanished {
                channel_id: id.clone(),
            });
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
