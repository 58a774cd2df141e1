//! The HTTP side: LINE's and kintone's webhooks and the metrics page, on
//! the listener the caller bound.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio_rustls::TlsAcceptor;

use super::{Core, GRACE};
use crate::http::{self, Ingress};
use crate::inbound::signature::ChannelSecret;
use crate::inbound::webhook::LineIntake;
use crate::notify::{self, NotifyContext};

/// Serves LINE's and kintone's webhooks (kintone's only when an app has a
/// webhook token) and the metrics page; returns the address.
pub(super) fn serve(
    core: &Core,
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    notify_ctx: &Arc<NotifyContext>,
    ack_wake: Arc<Notify>,
) -> anyhow::Result<SocketAddr> {
    let config = &core.config;
    let has_webhooks = config
        .kintone
        .apps
        .iter()
        .any(|a| a.webhook_token.is_some());
    let m = core.metrics.clone();
    let ingress = Arc::new(Ingress {
        store: core.store.clone(),
        line: Arc::new(LineIntake {
            store: core.store.clone(),
            channel_secret: ChannelSecret::new(config.line.channel_secret.clone()),
            ack_wake,
            clock: core.clock.clone(),
        }),
        relay_token: config.server.relay_token.clone(),
        kintone: has_webhooks.then(|| {
            Arc::new(notify::intake::Intake {
                ctx: notify_ctx.clone(),
            }) as Arc<dyn http::KintoneWebhooks>
        }),
        metrics: Some(Arc::new(move || m.render())),
        read_timeout: config.server.read_timeout,
        clock: core.clock.clone(),
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
