//! The monthly message quota: warned about early, and on exhaustion all
//! pushing pauses (nothing is dropped) until LINE reports room again.

use std::sync::atomic::Ordering;

use crate::config::notify::OutboxSettings;
use crate::line::client::LineClient;
use crate::notify::NotifyContext;

/// Watches the monthly quota: warns early, pauses on exhaustion, resumes
/// when LINE reports room again.
pub(super) struct QuotaGuard {
    settings: OutboxSettings,
    pub(super) paused: bool,
    warned: bool,
    next_check: tokio::time::Instant,
}

impl QuotaGuard {
    pub(super) fn new(settings: OutboxSettings) -> Self {
        QuotaGuard {
            settings,
            paused: false,
            warned: false,
            next_check: tokio::time::Instant::now(),
        }
    }

    pub(super) fn due(&self) -> bool {
        tokio::time::Instant::now() >= self.next_check
    }

    pub(super) fn exhausted(&mut self, ctx: &NotifyContext) {
        if !self.paused {
            tracing::error!("LINE monthly message limit reached: pushing paused, notifications kept queued until the quota resets");
        }
        self.paused = true;
        ctx.metrics.quota_exhausted.store(1, Ordering::Relaxed);
        self.next_check = tokio::time::Instant::now() + self.settings.quota_check;
    }

    pub(super) async fn check(&mut self, ctx: &NotifyContext, line: &LineClient) {
        self.next_check = tokio::time::Instant::now() + self.settings.quota_check;
        let q = match line.quota().await {
            Ok(q) => q,
            Err(e) => return tracing::info!(error = %e, "quota check failed"),
        };
        let m = &ctx.metrics;
        m.quota_used
            .store(i64::try_from(q.used).unwrap_or(i64::MAX), Ordering::Relaxed);
        let Some(limit) = q.limit else {
            m.quota_limit.store(-1, Ordering::Relaxed);
            return self.resume(ctx);
        };
        m.quota_limit
            .store(i64::try_from(limit).unwrap_or(i64::MAX), Ordering::Relaxed);
        if q.used >= limit {
            return self.exhausted(ctx);
        }
        self.resume(ctx);
        let used = q.used as f64 / limit.max(1) as f64;
        if used >= self.settings.quota_warn && !self.warned {
            tracing::warn!(
                used = q.used,
                limit,
                "LINE monthly quota {:.0}% used",
                used * 100.0
            );
            self.warned = true;
        }
    }

    pub(super) fn resume(&mut self, ctx: &NotifyContext) {
        if self.paused {
            tracing::info!("LINE quota available again: pushing resumed");
        }
        self.paused = false;
        ctx.metrics.quota_exhausted.store(0, Ordering::Relaxed);
    }
}
