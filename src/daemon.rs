//! Putting the gateway together: build every part from the validated config,
//! run them, stop them cleanly.
//!
//! [`Gateway::start`] takes an already-bound listener (tests bind port 0),
//! opens the store, and only then reports ready. [`Gateway::stop`] stops
//! accepting, lets in-flight work finish within the grace period, and
//! returns; queued work stays in the store for the next start.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::acknowledge::AckEvent;
use crate::config::setup::Setup;
use crate::config::{Config, TokenConfig};
use crate::http::{self, Ingress};
use crate::inbound::signature::ChannelSecret;
use crate::inbound::webhook::LineIntake;
use crate::inbox_worker::{self, AckContext};
use crate::kintone::client::KintoneClient;
use crate::line::client::LineClient;
use crate::line::token::AccessTokenProvider;
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
    shutdown: CancellationToken,
    tasks: TaskTracker,
    pub store: Store,
    pub metrics: Arc<Metrics>,
    pub acks: tokio::sync::broadcast::Sender<AckEvent>,
    pub notifications: tokio::sync::broadcast::Sender<NotifyEvent>,
    /// The office panel (button edges can be sent through it too).
    pub indicator: crate::indicator::IndicatorHandle,
}

/// Builds the LINE client the config describes.
///
/// # Errors
/// The HTTP client could not be built.
pub fn line_client(config: &Config) -> anyhow::Result<LineClient> {
    let line = &config.line;
    let token = match &line.token {
        TokenConfig::LongLived(t) => AccessTokenProvider::long_lived(t.clone()),
        TokenConfig::Stateless { channel_id } => AccessTokenProvider::stateless(
            &line.api_base,
            channel_id.clone(),
            line.channel_secret.clone(),
            line.timeout,
        )?,
    };
    Ok(LineClient::new(&line.api_base, token, line.timeout)?)
}

/// Builds the kintone client the config describes.
///
/// # Errors
/// The HTTP client could not be built.
pub fn kintone_client(config: &Config) -> anyhow::Result<KintoneClient> {
    let k = &config.kintone;
    Ok(KintoneClient::new(&k.base_url, k.guest_space, k.timeout)?)
}

impl Gateway {
    /// Opens the store and starts serving on `listener`.
    ///
    /// # Errors
    /// The store cannot be opened, TLS files are unusable, or a client cannot
    /// be built.
    pub async fn start(setup: Setup, listener: TcpListener) -> anyhow::Result<Gateway> {
        crate::outbound::install_crypto_provider();
        let Setup {
            config,
            rules,
            outbox,
            indicator,
            clock,
        } = setup;
        let config = Arc::new(config);
        let store = Store::open(&config.state_dir)
            .with_context(|| format!("opening the store in {}", config.state_dir.display()))?;
        store.probe().await.context("the store is not writable")?;
        let tls = match &config.server.tls {
            Some(files) => Some(http::load_tls(files)?),
            None => None,
        };
        let metrics = Arc::new(Metrics::default());
        let (acks, _) = tokio::sync::broadcast::channel(256);
        let line = line_client(&config)?;
        let kintone = kintone_client(&config)?.with_usage(metrics.kintone_usage.clone());
        if let Ok(Some(saved)) = store.kintone_usage().await {
            metrics
                .kintone_usage
                .restore(&saved, crate::clock::now_ms());
        }
        let shutdown = CancellationToken::new();
        let tasks = TaskTracker::new();
        let wake = Arc::new(Notify::new());

        let beats = Arc::new(Heartbeats::default());
        let (notifications, _) = tokio::sync::broadcast::channel(256);
        let notify_ctx = Arc::new(
            NotifyContext::new(
                config.clone(),
                rules,
                store.clone(),
                kintone.clone(),
                metrics.clone(),
                notifications.clone(),
                beats.clone(),
            )
            .with_clock(clock.clone()),
        );
        notify::poll::log_budget(&notify_ctx);
        tasks.spawn(notify::changes::run(notify_ctx.clone(), shutdown.clone()));
        tasks.spawn(notify::outbox::run(
            notify_ctx.clone(),
            line.clone(),
            outbox,
            shutdown.clone(),
        ));
        for app in &config.kintone.apps {
            // An app no rule watches has nothing to notify: it is only
            // written to (acknowledgements), so it is never read in bulk.
            if notify_ctx.rules_for(app.id).is_empty() {
                tracing::info!(app = %app.id, "no rule watches this app: not polled");
                continue;
            }
            tasks.spawn(notify::poll::run_app(
                notify_ctx.clone(),
                app.id,
                shutdown.clone(),
            ));
        }
        let has_webhooks = config
            .kintone
            .apps
            .iter()
            .any(|a| a.webhook_token.is_some());

        let indicator = crate::indicator::spawn(
            indicator,
            crate::indicator::Wiring {
                config: config.clone(),
                store: store.clone(),
                kintone: kintone.clone(),
                metrics: metrics.clone(),
                acks: acks.clone(),
                notifications: notifications.clone(),
                clock: clock.clone(),
            },
            &tasks,
            &shutdown,
        );
        let ack_ctx = Arc::new(AckContext {
            config: config.clone(),
            store: store.clone(),
            line,
            kintone,
            metrics: metrics.clone(),
            events: acks.clone(),
            beats: beats.clone(),
            clock: clock.clone(),
            replies: crate::inbound::reply::ReplyIssuer::new(),
            ack_by: notify_ctx.rules.iter().fold(HashMap::new(), |mut by, r| {
                let e = by.entry(r.name.clone()).or_insert(r.ack_by);
                *e = (*e).min(r.ack_by);
                by
            }),
            outbox_wake: notify_ctx.outbox_wake.clone(),
        });
        tasks.spawn(service::watchdog(
            store.clone(),
            metrics.clone(),
            beats,
            shutdown.clone(),
        ));
        tasks.spawn(inbox_worker::run(ack_ctx, wake.clone(), shutdown.clone()));

        let m = metrics.clone();
        let ingress = Arc::new(Ingress {
            store: store.clone(),
            line: Arc::new(LineIntake {
                store: store.clone(),
                channel_secret: ChannelSecret::new(config.line.channel_secret.clone()),
                ack_wake: wake,
                clock: clock.clone(),
                metrics: metrics.clone(),
            }),
            relay_token: config.server.relay_token.clone(),
            kintone: has_webhooks.then(|| {
                Arc::new(notify::intake::Intake {
                    ctx: notify_ctx.clone(),
                }) as Arc<dyn http::KintoneWebhooks>
            }),
            metrics: Some(Arc::new(move || m.render())),
            read_timeout: config.server.read_timeout,
            clock: clock.clone(),
            counters: metrics.clone(),
            max_connections: config.server.max_connections,
            max_body_reads: config.server.max_body_reads,
        });
        let addr = listener.local_addr()?;
        tasks.spawn(http::serve(listener, tls, ingress, shutdown.clone(), GRACE));
        tracing::info!(%addr, state = %config.state_dir.display(), "gateway started");
        Ok(Gateway {
            addr,
            shutdown,
            tasks,
            store,
            metrics,
            acks,
            notifications,
            indicator,
        })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
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
        service::save_final_status(&self.store, &self.metrics).await;
        tracing::info!("gateway stopped");
    }
}

/// Runs until SIGTERM or SIGINT, then stops gracefully.
///
/// # Errors
/// The listener cannot be bound or the gateway cannot start.
pub async fn run_until_signal(setup: Setup) -> anyhow::Result<()> {
    let listen = setup.config.server.listen;
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let gateway = Gateway::start(setup, listener).await?;
    // The listener is bound and the store open: now we are ready.
    service::ready(&service::status_line(&gateway.metrics));
    wait_for_signal().await?;
    tracing::info!("stopping");
    service::stopping();
    gateway.stop().await;
    Ok(())
}

async fn wait_for_signal() -> anyhow::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    Ok(())
}
