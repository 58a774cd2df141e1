//! The outbox: deliveries become push requests, and push requests reach LINE
//! exactly once.
//!
//! **Cost and speed.** LINE counts one message per recipient per request,
//! however many bubbles it holds. Each recipient's queue is sent when
//! [`Pacing::plan`] says so (`notify::pacing`): within a short debounce when
//! the recipient is quiet, packed into full requests during a burst;
//! `coalesce` stores the requests (multicast for users owed the same
//! cards).
//!
//! **Exactly once.** A request's body and `X-Line-Retry-Key` are stored before
//! the first attempt (for a request of one part's cards, the body is those
//! cards, written once, and packed the same way at every attempt); retries
//! (5xx, timeouts, rate-limit 429s) resend the same body with the same key,
//! and a 409 for an already-accepted key counts as delivered. Other 4xx go
//! to the dead letters. On the monthly-limit 429 all pushing pauses (nothing
//! is dropped) until the quota returns.

mod coalesce;
mod quota;
mod request;
mod send;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::NotifyContext;
use crate::config::notify::OutboxSettings;
use crate::line::client::LineClient;
use crate::service::pace::Pace;
use crate::store::deliveries::any_unbatched;
use crate::store::notifications::{pending_acks_in, show_pending_acks};
use crate::store::outbox::pending_count;
use crate::store::StoreError;
use quota::QuotaGuard;
use send::send_due;

/// With nothing waiting (no card to batch, no request to send), how often
/// the loop still looks at the store: for requests another process queued
/// (`send`, `outbox retry` from the command line). Producers in the daemon
/// wake it at once.
const IDLE_LOOK: Duration = Duration::from_secs(5);

/// Runs until `shutdown`.
pub async fn run(
    ctx: Arc<NotifyContext>,
    line: LineClient,
    settings: OutboxSettings,
    shutdown: CancellationToken,
) {
    for note in &settings.deprecated {
        tracing::warn!("{note}");
    }
    let mut quota = QuotaGuard::new(settings.clone());
    quota.check(&ctx, &line).await;
    let mut pace = Pace::default();
    loop {
        crate::service::Heartbeats::tick(&ctx.beats.outbox);
        if pace.due() {
            pace.next_in(look(&ctx, &line, &settings, &mut quota).await);
        }
        if !pace.wait(&ctx.outbox_wake, &shutdown).await {
            return;
        }
    }
}

/// One look: the quota when due, due cards batched, due requests sent.
/// Returns how long until the next look: a second at most while anything
/// waits (retries, held or paced cards, a paused quota), else
/// [`IDLE_LOOK`] — an idle board's store is not asked three times a second.
async fn look(
    ctx: &NotifyContext,
    line: &LineClient,
    settings: &OutboxSettings,
    quota: &mut QuotaGuard,
) -> Duration {
    if quota.due() {
        quota.check(ctx, line).await;
    }
    let next_flush = match flush(ctx, settings).await {
        Ok(n) => n,
        Err(e) => {
            tracing::error!(error = %e, "could not batch deliveries");
            None
        }
    };
    if !quota.paused {
        send_due(ctx, line, quota).await;
    }
    if !refresh_gauges(ctx).await && next_flush.is_none() {
        return IDLE_LOOK;
    }
    next_flush
        .map(|at| crate::clock::from_millis(at - ctx.clock.steady_ms()))
        .unwrap_or(Duration::from_secs(1))
        .min(Duration::from_secs(1))
}

/// Turns due deliveries into stored push requests. Returns when the next
/// waiting recipient becomes due.
async fn flush(ctx: &NotifyContext, settings: &OutboxSettings) -> Result<Option<i64>, StoreError> {
    // Arrivals, pacing history and retries are steady time; the quiet hours
    // are the site's wall clock. The loop looks at least once a second, so
    // held cards go within a second of the end.
    let now = ctx.clock.steady_ms();
    let quiet = settings
        .quiet_hours
        .as_ref()
        .is_some_and(|q| q.contains_ms(ctx.clock.now_ms(), &ctx.config.time_zone));
    let created = coalesce::batch(&ctx.store, &settings.pacing, (now, quiet)).await?;
    if created.0 > 0 {
        tracing::debug!(requests = created.0, "push requests queued");
    }
    Ok(created.1)
}

/// Updates the outbox gauges; returns whether anything waits: a request
/// not sent yet, or a card not batched (`true` too if the read failed).
async fn refresh_gauges(ctx: &NotifyContext) -> bool {
    let r = ctx
        .store
        .read(|c| Ok((pending_count(c)?, pending_acks_in(c)?, any_unbatched(c)?)))
        .await;
    let Ok((pending, acks, unbatched)) = r else {
        return true;
    };
    ctx.metrics.outbox_pending.store(pending, Ordering::Relaxed);
    show_pending_acks(&ctx.metrics, acks);
    pending > 0 || unbatched
}
