//! The retention pruner's schedule: one pass shortly after start, then one
//! every `[retention] interval`; counts go to `klg_pruned_rows_total` and,
//! when a pass removed anything, one info line. The deleting itself is
//! `store::retention`, in steps that leave the loops' calls room.

use std::time::Duration;

use super::Core;
use crate::clock::Clock;
use crate::config::retention::RetentionSettings;
use crate::metrics::Metrics;
use crate::store::retention::{Horizons, Spans};
use crate::store::Store;

/// The first pass waits this long (or one interval, if shorter), so a
/// restart's catching up goes first.
const FIRST_PASS: Duration = Duration::from_secs(60);

/// Starts the pruner under the daemon's shutdown.
pub(super) fn spawn(core: &Core) {
    let pruner = Pruner {
        store: core.store.clone(),
        metrics: core.metrics.clone(),
        clock: core.clock.clone(),
        settings: core.config.retention,
    };
    let stop = core.shutdown.clone();
    core.tasks.spawn(async move {
        let mut wait = pruner.settings.interval.min(FIRST_PASS);
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(wait) => {}
            }
            tokio::select! {
                () = stop.cancelled() => return,
                () = pruner.pass() => {}
            }
            wait = pruner.settings.interval;
        }
    });
}

struct Pruner {
    store: Store,
    metrics: std::sync::Arc<Metrics>,
    clock: Clock,
    settings: RetentionSettings,
}

impl Pruner {
    async fn pass(&self) {
        let s = self.settings;
        let spans = Spans {
            line_events: s.line_events,
            line_dedup: s.line_dedup,
            audit: s.audit,
            history: s.history,
        };
        let steady = self.clock.steady_ms();
        let line = self.clock.line_time_at(steady);
        let h = Horizons::at(steady, self.clock.now_ms(), line, spans);
        let counted = |kind: crate::store::retention::Pruned, n: usize| {
            self.metrics.pruned.add(kind.label(), n as u64);
        };
        match self.store.prune_pass(h, counted).await {
            Ok(c) if c.total() > 0 => tracing::info!(
                rows = c.total(),
                "retention: pruned {} row(s): {}",
                c.total(),
                c.summary()
            ),
            Ok(_) => tracing::debug!("retention: nothing to prune"),
            Err(e) => {
                tracing::warn!(error = %e, "retention pass failed; the next pass tries again")
            }
        }
    }
}
