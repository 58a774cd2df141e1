//! Reminders and escalations: the task that wakes when the earliest open
//! chain is due (`store::chains`), never on a fixed tick, and turns each due
//! step into deliveries — so a step goes through the outbox like every card
//! (retry key, batching with that person's other cards, the quota guard).
//!
//! `plan` is the rule's timeline and the catch-up rule; `step` builds one
//! chain's step off the store thread; the store moves the chain and stores
//! the step's deliveries in one transaction, so a step is pushed once.
//! Acknowledgements and the record moving on stop chains where they are
//! recorded (`store::audit`, `store::verdicts`); `give_up` stops them here.
//!
//! In the quiet hours a chain whose rule holds its cards (`at_night =
//! "hold"`) waits: its steps due then go out once when the hours end (the
//! catch-up rule), not as a pile of reminders in the morning's batch. With
//! `[notify] reminders_at_night = "pause"` its clock stands still instead:
//! the first step missed goes, the rest keep their spacing from it.

pub mod plan;
mod step;

use std::pin::pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::NotifyContext;
use crate::config::quiet::QuietHours;
use crate::store::chains;
use crate::store::StoreError;
use step::{Action, Night};

/// The longest the task sleeps without looking: every due time is slept to
/// exactly; this bounds how stale the open-chain gauges get after an
/// acknowledgement, and how late a chain waiting out the quiet hours goes.
const MAX_SLEEP: Duration = Duration::from_secs(60);

/// Chains handled per store round trip.
const BATCH: usize = 64;

/// Runs until `shutdown`.
/// `pause`: `[notify] reminders_at_night = "pause"` (see `step::Night`).
pub async fn run(
    ctx: Arc<NotifyContext>,
    quiet_hours: Option<QuietHours>,
    pause: bool,
    shutdown: CancellationToken,
) {
    loop {
        let mut jumped = pin!(ctx.clock.jumped());
        jumped.as_mut().enable();
        let quiet = quiet_hours
            .as_ref()
            .is_some_and(|q| q.contains_ms(ctx.clock.now_ms(), &ctx.config.time_zone));
        let wait = match pass(&ctx, Night { quiet, pause }).await {
            Ok(next) => next.map_or(MAX_SLEEP, |due| until(&ctx, due)),
            Err(e) => {
                tracing::error!(error = %e, "could not advance reminders; trying again");
                Duration::from_secs(30)
            }
        };
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(wait) => {}
            () = ctx.chain_wake.notified() => {}
            () = jumped => {}
        }
    }
}

fn until(ctx: &NotifyContext, due_ms: i64) -> Duration {
    crate::clock::from_millis(due_ms.saturating_sub(ctx.clock.steady_ms())).min(MAX_SLEEP)
}

/// Handles every chain due now (`quiet`: in the quiet hours); returns when
/// the next one is due, not counting those waiting for the hours to end.
async fn pass(ctx: &NotifyContext, night: Night) -> Result<Option<i64>, StoreError> {
    // Chains waiting out the quiet hours are read again by each round.
    let mut waiting = std::collections::HashSet::new();
    loop {
        let now = ctx.clock.steady_ms();
        let due = ctx
            .store
            .read(move |c| chains::due_chains(c, now, BATCH))
            .await?;
        let actions: Vec<Action> = due
            .iter()
            .map(|h| step::action(ctx, h, now, night))
            .collect();
        let waits = due
            .iter()
            .zip(&actions)
            .filter(|(_, a)| matches!(a, Action::Wait))
            .map(|(h, _)| h.notification.clone())
            .collect::<Vec<_>>();
        let all_wait = waits.len() == due.len();
        waiting.extend(waits);
        // A full batch of chains that all wait would be read again and again.
        let full = due.len() == BATCH && !all_wait;
        let done = ctx
            .store
            .call(move |c| {
                actions
                    .iter()
                    .map(|a| a.apply(c, now))
                    .collect::<Result<Vec<_>, _>>()
            })
            .await?;
        let (mut reminders, mut escalations) = (0, 0);
        for (h, outcome) in due.iter().zip(&done) {
            outcome.log(&h.notification);
            reminders += outcome.cards.0;
            escalations += outcome.cards.1;
        }
        if reminders + escalations > 0 {
            let m = &ctx.metrics.chains;
            m.reminders.fetch_add(reminders as u64, Ordering::Relaxed);
            m.escalations
                .fetch_add(escalations as u64, Ordering::Relaxed);
            ctx.outbox_wake.notify_one();
        }
        if !full {
            break;
        }
    }
    // Chains waiting out the quiet hours are due already: look past them.
    let m = &ctx.metrics.chains;
    m.waiting_quiet
        .store(waiting.len() as i64, Ordering::Relaxed);
    let after = if !waiting.is_empty() {
        ctx.clock.steady_ms()
    } else {
        i64::MIN
    };
    let (next, open) = ctx
        .store
        .read(move |c| Ok((chains::next_due(c, after)?, chains::open_by_stage(c)?)))
        .await?;
    let m = &ctx.metrics.chains;
    m.open_first.store(open.0, Ordering::Relaxed);
    m.open_reminded.store(open.1, Ordering::Relaxed);
    m.open_escalated.store(open.2, Ordering::Relaxed);
    Ok(next)
}
