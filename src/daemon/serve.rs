//! The transports' side: one handler per webhook source, shared by the HTTP
//! server and the Pub/Sub pull, and the HTTP server on the listener the
//! caller bound.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio_rustls::TlsAcceptor;

use super::{Core, GRACE};
use crate::http::{self, Ingress, KintoneWebhooks, LineWebhooks};
use crate::inbound::signature::ChannelSecret;
use crate::inbound::webhook::LineIntake;
use crate::notify::{self, NotifyContext};

/// The webhook handlers: LINE's always, kintone's only when an app has a
/// webhook token.
#[derive(Clone)]
pub(super) struct Hooks {
    pub line: Arc<dyn LineWebhooks>,
    pub kintone: Option<Arc<dyn KintoneWebhooks>>,
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
                channel_secret: ChannelSecret::new(config.line.channel_secret.clone()),
                ack_wake,
                clock: core.clock.clone(),
                metrics: core.metrics.clone(),
            }),
            kintone: has_webhooks.then(|| {
                Arc::new(notify::intake::Intake {
                    ctx: notify_ctx.clone(),
                }) as Arc<dyn KintoneWebhooks>
            }),
        }
    }
}

/// Serves the webhooks and the metrics page; returns the address.
pub(super) fn serve(
    core: &Core,
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    hooks: Hooks,
) -> anyhow::Result<SocketAddr> {
    let config = &core.config;
    let m = core.metrics.clone();
    let ingress = Arc::new(Ingress {
        store: core.store.clone(),
        line: hooks.line,
        relay_token: config.server.relay_token.clone(),
        kintone: hooks.kintone,
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
        tls,
        ingress,
        core.shutdown.clone(),
        GRACE,
    ));
    Ok(addr)
}
