//! The transports' side: one handler per webhook source, shared by the HTTP
//! server and the Pub/Sub pull, and the HTTP server on the listener the
//! caller bound.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use bytes::Bytes;
use hyper::StatusCode;
use tokio::net::TcpListener;
use tokio::sync::Notify;

use super::{Core, GRACE};
use crate::config::ingress::IngressConfig;
use crate::config::live::Live;
use crate::config::ui::UiConfig;
use crate::http::{self, Ingress, KintoneWebhooks, LineWebhooks, NotifyApi, Reply};
use crate::inbound::stale::StaleEvents;
use crate::inbound::webhook::LineIntake;
use crate::notify::{self, NotifyContext};
use crate::notify_api::{limit, ApiIntake};
use crate::secret::LastMatch;

/// The webhook handlers: LINE's always, kintone's only when an app has a
/// webhook token.
#[derive(Clone)]
pub(super) struct Hooks {
    pub line: Arc<dyn LineWebhooks>,
    pub kintone: Option<Arc<dyn KintoneWebhooks>>,
    /// `/api/notify` and `/api/status` (404 while no token is configured).
    pub notify_api: Arc<dyn NotifyApi>,
}

impl Hooks {
    pub(super) fn new(
        core: &Core,
        notify_ctx: &Arc<NotifyContext>,
        ack_wake: Arc<Notify>,
    ) -> Hooks {
        let config = &core.config;
        let has_webhooks = config
            .kintone
            .apps
            .iter()
            .any(|a| a.webhook_token.is_some());
        Hooks {
            line: Arc::new(LineIntake {
                store: core.store.clone(),
                channel_secret: core.live.channel_secret.clone(),
                signed_with: LastMatch::default(),
                ack_wake,
                clock: core.clock.clone(),
                metrics: core.metrics.clone(),
                stale: StaleEvents::new(config.retention.line_dedup),
            }),
            kintone: has_webhooks.then(|| {
                Arc::new(notify::intake::Intake {
                    ctx: notify_ctx.clone(),
                }) as Arc<dyn KintoneWebhooks>
            }),
            // Always there: a reload may add the first token.
            notify_api: Arc::new(ApiIntake {
                tokens: core.live.notify_api.clone(),
                store: core.store.clone(),
                outbox_wake: notify_ctx.outbox_wake.clone(),
                clock: core.clock.clone(),
                limits: limit::Limits::default(),
            }),
        }
    }
}

/// `POST /line/webhook` when webhooks come only from Pub/Sub: the route is
/// not there (404), as a kintone route without a token is not. A LINE event
/// posted here would bypass the subscription: it is dropped, never stored.
struct NoLineRoute;

impl LineWebhooks for NoLineRoute {
    fn handle(
        &self,
        _signature: Option<String>,
        _body: Bytes,
        _received_ms: i64,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Reply> + Send + '_>> {
        Box::pin(async { Reply::error(StatusCode::NOT_FOUND, "not found") })
    }
}

/// Serves the metrics page and health, and the webhooks when `webhooks` is
/// set (`[ingress] mode` includes "http"); returns the address.
pub(super) fn serve(
    core: &Core,
    listener: TcpListener,
    hooks: Hooks,
    webhooks: bool,
) -> anyhow::Result<SocketAddr> {
    let config = &core.config;
    let m = core.metrics.clone();
    let (line, kintone) = if webhooks {
        (hooks.line.clone(), hooks.kintone.clone())
    } else {
        tracing::info!("webhooks come only from Pub/Sub: the webhook routes answer 404");
        (Arc::new(NoLineRoute) as Arc<dyn LineWebhooks>, None)
    };
    let ingress = Arc::new(Ingress {
        store: core.store.clone(),
        line,
        // Without webhook routes the token guards nothing: every POST is 404.
        relay_token: if webhooks {
            core.live.relay_token.clone()
        } else {
            Live::new(None)
        },
        relay_match: LastMatch::default(),
        kintone,
        // Tools on the office network call it directly: the bearer token is
        // its lock, not the relay's header, and it is served in every mode.
        notify_api: Some(hooks.notify_api),
        metrics: Some(Arc::new(move || m.render())),
        read_timeout: config.server.read_timeout,
        clock: core.clock.clone(),
        counters: core.metrics.clone(),
        max_connections: config.server.max_connections,
        max_body_reads: config.server.max_body_reads,
    });
    let addr = listener.local_addr()?;
    core.tasks.spawn(http::serve(
        listener,
        core.live.tls.clone(),
        ingress,
        core.shutdown.clone(),
        GRACE,
    ));
    Ok(addr)
}

/// The web page on its own listener (`[ui] listen`), when `[ui]` turns it
/// on; returns its address.
pub(super) async fn serve_page(
    core: &Core,
    ui: &UiConfig,
    ingress: &IngressConfig,
    line: &crate::line::client::LineClient,
    beats: &Arc<crate::service::Heartbeats>,
) -> anyhow::Result<Option<SocketAddr>> {
    if !ui.enabled {
        return Ok(None);
    }
    let listener = TcpListener::bind(ui.listen).await.with_context(|| {
        format!(
            "cannot listen on {} for the web page ([ui] listen)",
            ui.listen
        )
    })?;
    let mode = match (ingress.http, ingress.pubsub.is_some()) {
        (true, true) => "HTTP + Pub/Sub",
        (false, true) => "Pub/Sub",
        _ => "HTTP",
    };
    let parts = crate::ui::UiParts {
        config: core.config.clone(),
        store: core.store.clone(),
        metrics: core.metrics.clone(),
        clock: core.clock.clone(),
        line: line.clone(),
        rules: core.live.rules.clone(),
        beats: beats.clone(),
        tls: core.live.tls.clone(),
        ingress: mode.to_owned(),
    };
    let addr = crate::ui::spawn(ui, parts, listener, &core.tasks, &core.shutdown, GRACE)?;
    let scheme = if core.live.tls.is_some() {
        "https"
    } else {
        "http"
    };
    tracing::info!(url = %format!("{scheme}://{addr}/ui/"), "web page listening");
    Ok(Some(addr))
}
