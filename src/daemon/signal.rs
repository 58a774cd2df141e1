//! Running as the service: start, report ready, stop on SIGTERM or SIGINT.

use anyhow::Context as _;
use tokio::net::TcpListener;

use super::Gateway;
use crate::config::setup::Setup;
use crate::service;

/// Runs until SIGTERM or SIGINT, then stops gracefully.
///
/// # Errors
/// The listener cannot be bound or the gateway cannot start.
pub async fn run_until_signal(setup: Setup) -> anyhow::Result<()> {
    let listen = setup.config.server.listen;
    let zone = setup.config.time_zone.clone();
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let gateway = Gateway::start(setup, listener).await?;
    // The listener is bound and the store open: now we are ready.
    service::ready(&service::status_line(&gateway.metrics, &zone));
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
