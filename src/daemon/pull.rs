//! The Pub/Sub side: when `[ingress.pubsub]` is set, the pull loop hands each
//! message to the same handlers the HTTP server uses.

use std::sync::Arc;

use super::serve::Hooks;
use super::Core;
use crate::config::ingress::IngressConfig;
use crate::service::Heartbeats;

/// Starts pulling when the config asks for it.
///
/// # Errors
/// The Pub/Sub client cannot be built (e.g. an unreadable key).
pub(super) fn spawn(
    core: &Core,
    ingress: &IngressConfig,
    hooks: &Hooks,
    beats: &Arc<Heartbeats>,
) -> anyhow::Result<()> {
    let Some(settings) = ingress.pubsub.clone() else {
        return Ok(());
    };
    let b = beats.clone();
    let pull = crate::pull::PullContext {
        client: crate::pull::client(&settings, crate::pull::TIMEOUT)?,
        settings,
        site: core.config.site.as_str().to_owned(),
        line: hooks.line.clone(),
        kintone: hooks.kintone.clone(),
        notify_api: hooks.notify_api.clone(),
        metrics: core.metrics.clone(),
        clock: core.clock.clone(),
        store: core.store.clone(),
        beat: Box::new(move || Heartbeats::tick(&b.pull)),
    };
    core.tasks
        .spawn(crate::pull::run(Arc::new(pull), core.shutdown.clone()));
    Ok(())
}
