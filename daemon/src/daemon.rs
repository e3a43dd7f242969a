//! The daemon as a whole: configuration, store, ARI client and the services that run until
//! shutdown. `ringside serve` is a thin wrapper around [`Daemon::run`].
//!
//! Services are started in [`Daemon::run`], one block each; the ARI engine is the first.
//! Flows are registered with the engine in [`Daemon::engine`]. Stopping is graceful: no new
//! calls are taken, calls still ringing are handed back to the dialplan, connected calls are
//! left to Asterisk.

use std::sync::Arc;
use std::time::Duration;

use ringside_portal::PortalSettings;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::agi::AgiServer;
use crate::ari::connection::{self, ConnectionState};
use crate::ari::{AriClient, AriError};
use crate::config::Config;
use crate::flows::dispatch::Engine;
use crate::flows::fax;
use crate::flows::followme::{DialTemplates, FollowMeFlow};
use crate::flows::greeting::GreetingHandler;
use crate::portal::{self, AgiStatus, FaxAccess, PortalBackend};
use crate::store::{Store, StoreError};
use crate::voicemail::greetings::{GreetingError, GreetingFiles};

#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error("cannot open the database: {0}")]
    Store(#[from] StoreError),
    #[error("ARI settings are not usable: {0}")]
    Ari(#[from] AriError),
}

pub struct Daemon {
    config: Config,
    store: Store,
    client: AriClient,
    fax_updates: fax::service::FaxUpdates,
    /// Told when do-not-disturb changed, so its lamps follow at once.
    dnd_changed: Arc<tokio::sync::Notify>,
}

/// How often the do-not-disturb lamps are compared with the settings.
const DND_LAMP_TICK: Duration = Duration::from_secs(15);

impl Daemon {
    /// Opens the database (migrating it) and prepares the ARI client; connects nothing yet.
    pub async fn new(config: Config) -> Result<Self, DaemonError> {
        let store = Store::connect(&config.database_url()).await?;
        let client = AriClient::from_config(&config.ari)?;
        Ok(Self {
            config,
            store,
            client,
            fax_updates: fax::service::FaxUpdates::default(),
            dnd_changed: Arc::new(tokio::sync::Notify::new()),
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn ari_client(&self) -> &AriClient {
        &self.client
    }

    /// Every fax job change while the daemon runs (for the portal's live progress).
    pub fn fax_updates(&self) -> &fax::service::FaxUpdates {
        &self.fax_updates
    }

    /// The Stasis dispatcher with every flow registered.
    pub fn engine(&self) -> Engine {
        let followme = Arc::new(FollowMeFlow {
            source: Arc::new(self.store.clone()),
            templates: DialTemplates::from(&self.config.dial),
            second: Duration::from_secs(1),
            moh_class: None,
            latency: None,
        });
        // Both names run the one inbound flow; the dialplan uses `followme`.
        let builder = Engine::builder(self.client.clone())
            .route("inbound", followme.clone())
            .route("followme", followme)
            .route(fax::ari_line::STASIS_ROUTE, fax::service::stale_call);
        crate::flows::wakeup::engine_routes(builder).build()
    }

    /// The FastAGI server with every script registered.
    pub fn agi_server(&self) -> Result<AgiServer, GreetingError> {
        let greetings = GreetingFiles::from_config(&self.config.voicemail)?;
        let fax_received = fax::agi::FaxReceivedScript {
            store: self.store.clone(),
            converter: Arc::new(fax::MediaConverter::default()),
            received_dir: fax::fax_dir(&self.config.data_dir).join("received"),
        };
        Ok(AgiServer::new(&self.config.agi)
            .route("greeting", GreetingHandler::new(greetings))
            .route(
                "feature",
                crate::flows::features::FeatureHandler::new(
                    self.store.clone(),
                    self.config.features.clone(),
                    self.dnd_changed.clone(),
                ),
            )
            .route(fax::agi::AGI_SCRIPT, fax_received))
    }

    /// The portal's backend over this daemon's store, greeting files and live link states.
    pub fn portal_backend(
        &self,
        ari: watch::Receiver<ConnectionState>,
        agi: AgiStatus,
    ) -> PortalBackend {
        let greetings = GreetingFiles::from_config(&self.config.voicemail)
            .inspect_err(|err| tracing::error!(%err, "portal greetings unavailable"))
            .ok();
        PortalBackend::new(
            self.store.clone(),
            greetings,
            &self.config.data_dir,
            ari,
            agi,
        )
        .with_limits(portal::PortalLimits::from_config(&self.config.portal))
        .with_call_handling_changes(self.dnd_changed.clone())
        .with_default_zone(&self.default_user_zone())
        .with_user_prompts(crate::user_prompts::UserPromptFiles::new(
            &self.config.wakeup.sounds_dir,
        ))
    }

    /// `[portal] default_time_zone`, or this machine's zone when it is empty or unknown (the
    /// latter logged for the operator).
    fn default_user_zone(&self) -> crate::schedule::zone::Zone {
        let name = &self.config.portal.default_time_zone;
        portal::default_user_zone(name).unwrap_or_else(|err| {
            tracing::error!(
                %err,
                "[portal] default_time_zone is not a time zone: using this machine's zone"
            );
            portal::default_user_zone("").unwrap_or_else(|_| crate::schedule::zone::Zone::utc())
        })
    }

    /// Runs every service until `stop` is cancelled, then shuts down gracefully.
    pub async fn run(self, stop: CancellationToken) -> Result<(), DaemonError> {
        let mut services = tokio::task::JoinSet::new();

        // ARI: event connection (retries until Asterisk is up) and the engine.
        let connection = connection::spawn(self.client.clone(), stop.clone());
        let ari_state: watch::Receiver<ConnectionState> = connection.state.clone();
        let health = crate::ops::Health::new(self.store.clone(), ari_state.clone());
        crate::ops::spawn_metrics(
            &self.config.metrics,
            health.clone(),
            self.fax_updates.subscribe(),
            &mut services,
            stop.clone(),
        )
        .await;
        let engine = self.engine();
        let registry = engine.registry();
        let fax_inbox = engine.inbox();
        services.spawn(engine.run(connection.items, stop.clone()));
        services.spawn(async move {
            let _ = connection.task.await;
        });

        // FastAGI: greeting choice for the voicemail hand-off. A port already taken is
        // logged and leaves the other services running: the dialplan falls back without it.
        let mut agi_up_since = None;
        match self.agi_server() {
            Ok(agi) => match tokio::net::TcpListener::bind(self.config.agi.listen).await {
                Ok(listener) => {
                    agi_up_since = Some(chrono::Utc::now());
                    let stop = stop.clone();
                    services.spawn(async move {
                        if let Err(err) = agi.serve(listener, stop).await {
                            tracing::error!(%err, "FastAGI server stopped");
                        }
                    });
                }
                Err(err) => tracing::error!(
                    listen = %self.config.agi.listen,
                    %err,
                    "cannot listen for FastAGI; greetings fall back to the dialplan's default"
                ),
            },
            Err(err) => tracing::error!(%err, "FastAGI server not started"),
        }

        // Do-not-disturb lamps: device states that follow the settings and their time rules.
        services.spawn(crate::flows::dnd_lamps::run(
            self.client.clone(),
            self.store.clone(),
            self.dnd_changed.clone(),
            DND_LAMP_TICK,
            stop.clone(),
        ));

        // Fax: the outgoing queue's worker on the ARI fax line; the portal shows its progress.
        let fax_documents: Arc<dyn fax::DocumentConverter> =
            Arc::new(fax::MediaConverter::default());
        services.spawn(fax::service::run_worker(
            self.config.clone(),
            self.store.clone(),
            self.client.clone(),
            fax_inbox,
            fax_documents.clone(),
            self.fax_updates.clone(),
            stop.clone(),
        ));

        warn_if_default_prompt_missing(&self.config.data_dir, &self.config.wakeup.sounds_dir);

        // Wakeup scheduler: places due calls through the engine.
        let dialer = crate::flows::wakeup::AriWakeupDialer::new(
            self.client.clone(),
            Arc::new(move || registry.inbox()),
            crate::flows::wakeup::WakeupFlowConfig::from_config(&self.config),
        );
        let scheduler = crate::flows::wakeup::Scheduler::new(
            self.store.clone(),
            Arc::new(crate::schedule::SystemClock),
            Arc::new(dialer),
            crate::flows::wakeup::SchedulerConfig::from_config(&self.config.wakeup),
        );
        services.spawn(scheduler.run(stop.clone()));

        // Manager link (AMI) for the voicemail inbox and the fax page's page in transfer:
        // listing and playing read the spool and work without it; a missing or refused login
        // only disables changing messages, and a fax being sent shows its job as recorded.
        let ami = if self.config.ami.is_configured() {
            crate::ami::AmiClient::spawn(
                self.config.ami.clone(),
                crate::ami::Timers::default(),
                stop.clone(),
            )
        } else {
            tracing::warn!(
                "no [ami] secret configured: voicemail messages can be listed and played, but not marked read, moved or deleted, and faxes being sent show no page in transfer (manager link not available)"
            );
            crate::ami::AmiClient::unavailable()
        };
        // Call history: live Cdr events over the same link, caught up from Master.csv.
        let calls_access = match crate::calls::cdr_zone(&self.config.calls.cdr_time_zone) {
            Ok(zone) => {
                let csv = Some(self.config.calls.master_csv.clone())
                    .filter(|p| !p.as_os_str().is_empty());
                services.spawn(crate::calls::ingest::run(
                    self.store.clone(),
                    ami.clone(),
                    crate::calls::ingest::IngestConfig::new(
                        csv,
                        zone.clone(),
                        self.config.calls.keep_days,
                    ),
                    stop.clone(),
                ));
                Some(portal::CallsAccess {
                    recordings_dir: self.config.calls.recordings_dir.clone(),
                    default_zone: zone,
                    export_dir: self.config.data_dir.join("exports"),
                })
            }
            Err(err) => {
                tracing::error!(
                    %err,
                    "[calls] cdr_time_zone is not a time zone: call history is not recorded"
                );
                None
            }
        };
        services.spawn(crate::ops::watch::watch_ami(ami.state(), stop.clone()));
        let inbox = crate::voicemail::inbox::Inbox::new(
            crate::voicemail::spool::Spool::new(
                &self.config.voicemail.spool_dir,
                &self.config.voicemail.context,
            ),
            ami.clone(),
        );

        // Portal: web UI and JSON API. A port already taken is logged and leaves the call
        // services running.
        let agi_status = AgiStatus {
            listen: self.config.agi.listen.to_string(),
            up_since: agi_up_since,
        };
        let backend = self
            .portal_backend(ari_state, agi_status)
            .with_fax(FaxAccess {
                converter: fax_documents,
                max_attempts: self.config.fax.retries.saturating_add(1),
            })
            .with_fax_transfers(fax::FaxTransfers::new(ami.clone(), self.client.clone()))
            .with_voicemail(inbox);
        let backend = match calls_access {
            Some(access) => backend.with_calls(access),
            None => backend,
        };
        services.spawn(portal::forward_fax_updates(
            self.fax_updates.subscribe(),
            backend.fax_progress_sender(),
            stop.clone(),
        ));
        services.spawn(portal::sweep_expired_sessions(
            self.store.clone(),
            portal::SESSION_SWEEP_EVERY,
            stop.clone(),
        ));
        let backend = backend.into_shared();
        match tokio::net::TcpListener::bind(self.config.portal.listen).await {
            Ok(listener) => {
                tracing::info!(listen = %self.config.portal.listen, "portal listening");
                let settings = PortalSettings {
                    secure_cookies: self.config.portal.secure_cookies,
                    ..PortalSettings::default()
                };
                let timeouts = portal::Timeouts {
                    header_read: Duration::from_secs(self.config.portal.header_read_timeout_secs),
                    idle: Duration::from_secs(self.config.portal.idle_timeout_secs),
                };
                let app = crate::ops::portal::instrument(
                    ringside_portal::router(backend, settings),
                    health,
                );
                let stop = stop.clone();
                services.spawn(async move {
                    if let Err(err) = portal::serve_router(listener, app, timeouts, stop).await {
                        tracing::error!(%err, "portal stopped");
                    }
                });
            }
            Err(err) => tracing::error!(
                listen = %self.config.portal.listen,
                %err,
                "cannot listen for the portal"
            ),
        }

        // Both listeners are bound (or reported as failed): the service manager may go on.
        crate::ops::notify::ready();

        stop.cancelled().await;
        tracing::info!("shutting down: no new calls; calls in progress are left to Asterisk");
        while services.join_next().await.is_some() {}
        tracing::info!("stopped");
        Ok(())
    }
}

/// Says at start when this host's Asterisk sounds lack the default wakeup prompt (Ringside's
/// own, which the package installs there when Asterisk is present): calls then play a tone.
fn warn_if_default_prompt_missing(data_dir: &std::path::Path, sounds_dir: &std::path::Path) {
    use crate::schedule::prompt::{DEFAULT_PROMPT, SoundDirs};
    if SoundDirs::configured(data_dir, sounds_dir).has_sound_file(DEFAULT_PROMPT) == Some(false) {
        tracing::warn!(
            prompt = DEFAULT_PROMPT,
            "the default wakeup prompt is not among this host's Asterisk sounds; wakeups without a prompt of their own will play a tone: install Ringside's /usr/share/ringside/sounds/*.wav into Asterisk's sounds under ringside/ or give wakeups an uploaded prompt"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_config_parses_to_the_defaults_apart_from_the_data_dir() {
        let text = include_str!("../../ringside.example.toml");
        let parsed = Config::from_toml(text).expect("example config is valid");
        let expected = Config {
            data_dir: parsed.data_dir.clone(),
            ..Config::default()
        };
        assert_eq!(parsed, expected);
    }

    /// A daemon's config with no Asterisk to reach and its portal on a free port, so parallel
    /// tests never contend for the default one.
    fn offline_config(data_dir: &std::path::Path) -> Config {
        Config {
            data_dir: data_dir.to_owned(),
            ari: crate::config::AriConfig {
                url: "http://127.0.0.1:9/ari".into(),
                ..Default::default()
            },
            portal: crate::config::PortalConfig {
                listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
                secure_cookies: false,
                ..Default::default()
            },
            ..Config::default()
        }
    }

    #[tokio::test]
    async fn daemon_stops_when_asked_even_without_asterisk() {
        let dir = tempfile::tempdir().expect("tempdir");
        let daemon = Daemon::new(offline_config(dir.path()))
            .await
            .expect("daemon");
        let stop = CancellationToken::new();
        let run = tokio::spawn(daemon.run(stop.clone()));
        tokio::time::sleep(Duration::from_millis(50)).await;
        stop.cancel();
        let result = tokio::time::timeout(Duration::from_secs(5), run)
            .await
            .expect("stops in time")
            .expect("no panic");
        assert!(result.is_ok());
    }

    #[tokio::test]
    async fn running_daemon_answers_fastagi_greeting_requests() {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

        let dir = tempfile::tempdir().expect("tempdir");
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("probe port");
            probe.local_addr().expect("addr").port()
        };
        let config = Config {
            agi: crate::config::AgiConfig {
                listen: std::net::SocketAddr::from(([127, 0, 0, 1], port)),
            },
            voicemail: crate::config::VoicemailConfig {
                spool_dir: dir.path().join("voicemail"),
                context: "default".into(),
            },
            ..offline_config(dir.path())
        };
        let daemon = Daemon::new(config).await.expect("daemon");
        let stop = CancellationToken::new();
        let run = tokio::spawn(daemon.run(stop.clone()));

        let mut stream = None;
        for _ in 0..100 {
            if let Ok(s) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
                stream = Some(s);
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let stream = stream.expect("FastAGI listener comes up");
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read).lines();
        write
            .write_all(
                b"agi_network: yes\nagi_network_script: greeting\nagi_request: agi://127.0.0.1/greeting\nagi_channel: Local/1001@x-1;2\nagi_arg_1: 1001\nagi_arg_2: busy\n\n",
            )
            .await
            .expect("send header");
        let mut commands = Vec::new();
        while let Ok(Ok(Some(line))) =
            tokio::time::timeout(Duration::from_secs(5), lines.next_line()).await
        {
            commands.push(line.clone());
            write.write_all(b"200 result=1\n").await.expect("reply");
            if line.contains("RINGSIDE_GREETING_STATUS") {
                break;
            }
        }
        assert!(
            commands
                .iter()
                .any(|c| c.starts_with("SET VARIABLE RINGSIDE_VM_OPTS")),
            "{commands:?}"
        );
        stop.cancel();
        let _ = tokio::time::timeout(Duration::from_secs(5), run).await;
    }
}
