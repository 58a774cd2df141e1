//! Running as the service: start, report ready, reload on SIGHUP, stop on
//! SIGTERM or SIGINT.

use std::path::Path;

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio::signal::unix::{signal, SignalKind};

use super::{Gateway, ReloadError};
use crate::config::setup::Setup;
use crate::service;
use crate::text::Language;

/// Runs until SIGTERM or SIGINT, then stops gracefully; each SIGHUP reloads
/// the config at `path`.
///
/// # Errors
/// The listener cannot be bound or the gateway cannot start.
pub async fn run_until_signal(setup: Setup, path: &Path) -> anyhow::Result<()> {
    let listen = setup.config.server.listen;
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
    let locale = gateway.locale.clone();
    service::ready(&service::status_line(&gateway.metrics, &locale));
    loop {
        tokio::select! {
            _ = hup.recv() => reload(&gateway, path, locale.language),
            _ = term.recv() => break,
            _ = int.recv() => break,
        }
    }
    tracing::info!("stopping");
    service::stopping(locale.language);
    gateway.stop().await;
    Ok(())
}

/// One reload as systemd sees it: `RELOADING=1`, the work, `READY=1` with
/// what happened in `STATUS=`.
fn reload(gateway: &Gateway, path: &Path, language: Language) {
    tracing::info!(config = %path.display(), "SIGHUP: reloading the config");
    service::reloading(language);
    let status = match gateway.reload(path) {
        Ok(done) => {
            let summary = done.summary();
            tracing::info!(live = ?done.live, restart = ?done.restart, "{summary}");
            service::reloaded_line(language, &done.live, &done.restart)
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
            service::refused_line(language, Some(n))
        }
        Err(e @ ReloadError::Tls(_)) => {
            tracing::error!(error = %e, "config reload refused; still running on the previous config");
            service::refused_line(language, None)
        }
    };
    service::ready(&status);
}
