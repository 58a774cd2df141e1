//! Running as the service: start, report ready, reload on SIGHUP, stop on
//! SIGTERM or SIGINT.

use std::path::Path;

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio::signal::unix::{signal, SignalKind};

use super::{Gateway, ReloadError};
use crate::config::setup::Setup;
use crate::service;

/// Runs until SIGTERM or SIGINT, then stops gracefully; each SIGHUP reloads
/// the config at `path`.
///
/// # Errors
/// The listener cannot be bound or the gateway cannot start.
pub async fn run_until_signal(setup: Setup, path: &Path) -> anyhow::Result<()> {
    let listen = setup.config.server.listen;
    let zone = setup.config.time_zone.clone();
    // Before anything else, so a SIGHUP from now on reloads instead of
    // killing the daemon (its default action).
    let mut hup = signal(SignalKind::hangup())?;
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let gateway = Gateway::start(setup, listener).await?;
    // The listener is bound and the store open: now we are ready.
    service::ready(&service::status_line(&gateway.metrics, &zone));
    loop {
        tokio::select! {
            _ = hup.recv() => reload(&gateway, path),
            _ = term.recv() => break,
            _ = int.recv() => break,
        }
    }
    tracing::info!("stopping");
    service::stopping();
    gateway.stop().await;
    Ok(())
}

/// One reload as systemd sees it: `RELOADING=1`, the work, `READY=1` with
/// what happened in `STATUS=`.
fn reload(gateway: &Gateway, path: &Path) {
    tracing::info!(config = %path.display(), "SIGHUP: reloading the config");
    service::reloading();
    let status = match gateway.reload(path) {
        Ok(done) => {
            let summary = done.summary();
            tracing::info!(live = ?done.live, restart = ?done.restart, "{summary}");
            summary
        }
        Err(ReloadError::Config(e)) => {
            for p in &e.problems {
                tracing::error!(problem = %p, "config reload refused");
            }
            let n = e.problems.len();
            tracing::error!(
                "config reload refused: {n} problem(s) in {}; still running on the previous config",
                path.display()
            );
            format!("reload refused: {n} problem(s) in the config; running on the previous one")
        }
        Err(e @ ReloadError::Tls(_)) => {
            tracing::error!(error = %e, "config reload refused; still running on the previous config");
            "reload refused: TLS files unusable; running on the previous config".to_owned()
        }
    };
    service::ready(&status);
}
