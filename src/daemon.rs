//! Putting the gateway together: build every part from the validated config,
//! run them, stop them cleanly.
//!
//! [`Gateway::start`] takes an already-bound listener (tests bind port 0),
//! opens the store, and only then reports ready. [`Gateway::stop`] stops
//! accepting, lets in-flight work finish within the grace period, and
//! returns; queued work stays in the store for the next start.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio::sync::{broadcast, Notify};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

mod clients;
mod prune;
#[cfg(feature = "pubsub")]
mod pull;
mod reload;
mod serve;
mod signal;

use clients::Clients;
pub use clients::{kintone_client, line_client};
pub use reload::{ReloadError, Reloaded};
pub use signal::run_until_signal;

use crate::acknowledge::AckEvent;
use crate::clock::Clock;
use crate::config::indicator::IndicatorConfig;
use crate::config::notify::OutboxSettings;
use crate::config::setup::Setup;
use crate::config::Config;
use crate::inbox_worker::{self, AckContext};
use crate::indicator::IndicatorHandle;
use crate::metrics::Metrics;
use crate::notify::{self, NotifyContext, NotifyEvent};
use crate::service::{self, Heartbeats};
use crate::store::Store;

/// How long in-flight work may take to finish on stop. Shorter than the
/// unit's `TimeoutStopSec=` (30 s) so systemd never has to kill us.
pub const GRACE: Duration = Duration::from_secs(20);

/// A running gateway.
pub struct Gateway {
    addr: SocketAddr,
    /// Where the web page listens (`[ui]`), if it is on.
    ui_addr: Option<SocketAddr>,
    shutdown: CancellationToken,
    tasks: TaskTracker,
    pub store: Store,
    pub metrics: Arc<Metrics>,
    pub acks: tokio::sync::broadcast::Sender<AckEvent>,
    pub notifications: tokio::sync::broadcast::Sender<NotifyEvent>,
    /// The office panel (button edges can be sent through it too).
    pub indicator: IndicatorHandle,
    /// The site's zone and language, for the status line saved on stop.
    locale: service::Locale,
    /// Swaps the live parts on SIGHUP.
    reloader: reload::Reloader,
}

/// What every loop shares: the config, the store, the counters, the clock,
/// and the one shutdown signal and task set they all run under.
struct Core {
    config: Arc<Config>,
    store: Store,
    metrics: Arc<Metrics>,
    clock: Clock,
    shutdown: CancellationToken,
    tasks: TaskTracker,
    /// The cells of what a reload swaps.
    live: reload::LiveParts,
}

impl Core {
    /// How the site reads `STATUS=`.
    fn locale(&self) -> service::Locale {
        service::Locale {
            zone: self.config.time_zone.clone(),
            language: self.config.language,
        }
    }
}

impl Gateway {
    /// Opens the store and starts serving on `listener`.
    ///
    /// # Errors
    /// The store cannot be opened, TLS files are unusable, or a client cannot
    /// be built.
    pub async fn start(setup: Setup, listener: TcpListener) -> anyhow::Result<Gateway> {
        crate::outbound::install_crypto_provider();
        let started = setup.clone();
        let Setup {
            config,
            rules,
            outbox,
            indicator,
            ingress,
            notify_api,
            ui,
            clock,
            written: _,
        } = setup;
        for warning in &config.warnings {
            tracing::warn!("config: {warning}");
        }
        let config = Arc::new(config);
        let store = open_store(&config).await?;
        // TLS files are checked before anything runs, so a bad file stops the start.
        let live = reload::LiveParts::new(&config, &rules, notify_api.tokens)?;
        let metrics = Arc::new(Metrics::default());
        let clients = clients::build_clients(&config, &store, &metrics).await?;
        let line_token = clients.line.token_provider();
        let core = Core {
            config,
            store,
            metrics,
            clock,
            shutdown: CancellationToken::new(),
            tasks: TaskTracker::new(),
            live,
        };
        let (acks, _) = tokio::sync::broadcast::channel(256);
        let (notifications, _) = tokio::sync::broadcast::channel(256);
        let beats = Arc::new(Heartbeats::default());
        let notify_ctx = spawn_notify(&core, outbox, &clients, &notifications, &beats);
        let indicator = spawn_indicator(&core, indicator, &clients, &acks, &notifications);
        let ui_addr = serve::serve_page(&core, &ui, &ingress, &clients.line, &beats).await?;
        let wake = Arc::new(Notify::new());
        spawn_acknowledgements(&core, clients, &notify_ctx, &acks, beats.clone(), &wake);
        prune::spawn(&core);
        let hooks = serve::Hooks::new(&core, &notify_ctx, wake);
        #[cfg(feature = "pubsub")]
        pull::spawn(&core, &ingress, &hooks, &beats)?;
        let addr = serve::serve(&core, listener, hooks, ingress.http)?;
        tracing::info!(%addr, state = %core.config.state_dir.display(), "gateway started");
        let locale = core.locale();
        Ok(Gateway {
            addr,
            ui_addr,
            shutdown: core.shutdown,
            tasks: core.tasks,
            store: core.store,
            metrics: core.metrics,
            acks,
            notifications,
            locale,
            reloader: reload::Reloader::new(core.live, started, line_token, indicator.clone()),
            indicator,
        })
    }

    /// Re-reads and validates the config at `path` and its secrets, and
    /// swaps what can change live (SIGHUP does this; so can a test). With
    /// any problem nothing changes.
    ///
    /// # Errors
    /// [`ReloadError`] with every problem; the gateway runs on as before.
    pub fn reload(&self, path: &std::path::Path) -> Result<Reloaded, ReloadError> {
        self.reloader.reload_file(path)
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Where the web page listens, when `[ui]` turned it on.
    pub fn ui_addr(&self) -> Option<SocketAddr> {
        self.ui_addr
    }

    /// Stops accepting, lets in-flight work finish (within [`GRACE`]); the
    /// indicator's outputs end off.
    pub async fn stop(self) {
        self.shutdown.cancel();
        self.tasks.close();
        if tokio::time::timeout(GRACE, self.tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!("some work did not finish within the grace period; it stays queued");
        }
        service::save_final_status(&self.store, &self.metrics, &self.locale).await;
        tracing::info!("gateway stopped");
    }
}

/// Opens the store and proves it writable before anything depends on it.
async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let store = Store::open(&config.state_dir)
        .with_context(|| format!("opening the store in {}", config.state_dir.display()))?;
    store
        .probe_write()
        .await
        .context("the store is not writable")?;
    Ok(store)
}

/// The notification loop: change intake, the outbox, and one poller per
/// watched app.
fn spawn_notify(
    core: &Core,
    outbox: OutboxSettings,
    clients: &Clients,
    notifications: &broadcast::Sender<NotifyEvent>,
    beats: &Arc<Heartbeats>,
) -> Arc<NotifyContext> {
    let ctx = Arc::new(
        NotifyContext::new(
            core.config.clone(),
            core.live.rules.clone(),
            core.store.clone(),
            clients.kintone.clone(),
            core.metrics.clone(),
            notifications.clone(),
            beats.clone(),
        )
        .with_clock(core.clock.clone())
        .with_fallback(&outbox.fallback)
        .with_poll_intervals(core.live.poll_intervals.clone())
        .with_apps(core.live.apps.clone()),
    );
    notify::poll::log_budget(&ctx);
    let (tasks, shutdown) = (&core.tasks, &core.shutdown);
    tasks.spawn(notify::changes::run(ctx.clone(), shutdown.clone()));
    let quiet = outbox.quiet_hours.clone();
    tasks.spawn(notify::chain::run(
        ctx.clone(),
        quiet,
        outbox.pause_reminders,
        shutdown.clone(),
    ));
    tasks.spawn(notify::outbox::run(
        ctx.clone(),
        clients.line.clone(),
        outbox,
        shutdown.clone(),
    ));
    for app in &core.config.kintone.apps {
        // An app no rule watches has nothing to notify: it is only
        // written to (acknowledgements), so it is never read in bulk.
        if ctx.rules_for(app.id).is_empty() {
            tracing::info!(app = %app.id, "no rule watches this app: not polled");
            continue;
        }
        tasks.spawn(notify::poll::run_app(ctx.clone(), app.id, shutdown.clone()));
    }
    ctx
}

/// The office panel, fed by both loops' events.
fn spawn_indicator(
    core: &Core,
    settings: IndicatorConfig,
    clients: &Clients,
    acks: &broadcast::Sender<AckEvent>,
    notifications: &broadcast::Sender<NotifyEvent>,
) -> IndicatorHandle {
    crate::indicator::spawn(
        settings,
        crate::indicator::Wiring {
            config: core.config.clone(),
            apps: core.live.apps.clone(),
            store: core.store.clone(),
            kintone: clients.kintone.clone(),
            metrics: core.metrics.clone(),
            acks: acks.clone(),
            notifications: notifications.clone(),
            clock: core.clock.clone(),
        },
        &core.tasks,
        &core.shutdown,
    )
}

/// The acknowledgement loop (the inbox worker) and the watchdog. This is
/// the one place the reply capability is made.
fn spawn_acknowledgements(
    core: &Core,
    clients: Clients,
    notify_ctx: &NotifyContext,
    acks: &broadcast::Sender<AckEvent>,
    beats: Arc<Heartbeats>,
    wake: &Arc<Notify>,
) {
    let ack_ctx = Arc::new(AckContext {
        config: core.config.clone(),
        store: core.store.clone(),
        line: clients.line,
        kintone: clients.kintone,
        metrics: core.metrics.clone(),
        events: acks.clone(),
        beats: beats.clone(),
        clock: core.clock.clone(),
        replies: crate::inbound::reply::ReplyIssuer::new(),
        ack_by: core.live.ack_by.clone(),
        tell_others: core.live.tell_others.clone(),
        outbox_wake: notify_ctx.outbox_wake.clone(),
        resume: inbox_worker::resume::Resume::default(),
        apps: core.live.apps.clone(),
    });
    core.tasks.spawn(service::watchdog(
        core.store.clone(),
        core.metrics.clone(),
        beats,
        core.locale(),
        core.shutdown.clone(),
    ));
    core.tasks.spawn(inbox_worker::run(
        ack_ctx,
        wake.clone(),
        core.shutdown.clone(),
    ));
}
