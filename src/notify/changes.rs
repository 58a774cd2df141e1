//! The change worker: each stored webhook hint becomes a fresh read of the
//! record (unless the app trusts payloads), judged against stored state. A
//! change leaves the queue in the same transaction that stores its verdict,
//! so a crash can neither lose nor repeat it. A change held because a
//! write-back to its record is in flight stays queued, not due, until the
//! write-back resolves (which makes it due and wakes this worker) or its
//! intent's life ends; it is then read afresh.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::examine::{examine, Item, Verdict};
use super::{NotifyContext, NotifyEvent};
use crate::domain::{AppId, RecordId};
use crate::kintone::error::KintoneError;
use crate::kintone::record::Record;
use crate::retry::default_backoff;
use crate::service::pace::Pace;
use crate::store::changes::{self, PendingChange};
use crate::store::verdicts::Source;

const BATCH: i64 = 32;
/// A look that could not read the store is tried again this soon.
const AGAIN: Duration = Duration::from_secs(2);
/// With no retry or hold pending, the store is still looked at this often.
/// Everything that queues a change wakes the loop at once (the intake,
/// a released hold); this only bounds a missed wake-up.
const IDLE_LOOK: Duration = Duration::from_secs(10);

/// Runs until `shutdown`.
///
/// Between looks it sleeps until the earliest retry or hold of a pending
/// change (the loop schedules those itself), a wake-up, or [`IDLE_LOOK`]:
/// an idle board's store is not asked every two seconds.
pub async fn run(ctx: Arc<NotifyContext>, shutdown: CancellationToken) {
    let mut pace = Pace::default();
    loop {
        crate::service::Heartbeats::tick(&ctx.beats.changes);
        if pace.due() {
            match look(&ctx).await {
                None => continue,
                Some(wait) => pace.next_in(wait),
            }
        }
        if !pace.wait(&ctx.changes_wake, &shutdown).await {
            return;
        }
    }
}

/// Judges the due changes; `None` if there were some (look again at once),
/// else how long until the next pending one is due.
async fn look(ctx: &Arc<NotifyContext>) -> Option<Duration> {
    let now = ctx.clock.steady_ms();
    let read = ctx
        .store
        .call(move |c| {
            let due = changes::due(c, now, BATCH)?;
            // When to look next matters only when nothing is due now.
            let next = if due.is_empty() {
                changes::next_due(c)?
            } else {
                None
            };
            Ok((due, next))
        })
        .await;
    let (due, next) = match read {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "cannot read pending kintone changes");
            return Some(AGAIN);
        }
    };
    if !due.is_empty() {
        for p in due {
            one(ctx, p).await;
        }
        return None;
    }
    // A retry time further ahead than any backoff was stored before the
    // clock went back: `due` takes it now, so look again soon.
    Some(match next {
        Some(at) if at <= crate::clock::retry_due_before(now) => {
            crate::clock::from_millis(at - now).min(IDLE_LOOK)
        }
        Some(_) => AGAIN,
        None => IDLE_LOOK,
    })
}

/// Why a change could not be judged now.
enum Skip {
    /// Give up on it, saying why.
    Close(String),
    /// Try again later.
    Retry(String),
}

async fn one(ctx: &Arc<NotifyContext>, p: PendingChange) {
    let ids = AppId::from_stored(p.app)
        .ok()
        .zip(RecordId::from_stored(p.record).ok());
    let Some((app_id, record_id)) = ids else {
        return done(ctx, p.seq, "bad ids").await;
    };
    let payload: Option<serde_json::Value> = p
        .payload
        .as_deref()
        .and_then(|s| serde_json::from_str(s).ok());
    let title_hint = payload
        .as_ref()
        .and_then(|v| v.get("recordTitle"))
        .and_then(|v| v.as_str())
        .map(str::to_owned);
    let record = match record(ctx, app_id, record_id, payload, p.payload.is_none()).await {
        Ok(r) => r,
        Err(Skip::Close(note)) => return done(ctx, p.seq, &note).await,
        Err(Skip::Retry(why)) => return retry(ctx, &p, &why).await,
    };
    let item = Item {
        record,
        source: Source::Change { seq: p.seq },
    };
    match examine(ctx, app_id, vec![item], title_hint).await {
        Ok(verdicts) => verdicts.iter().for_each(|v| announce(ctx, v)),
        Err(e) => {
            tracing::error!(error = %e, "could not judge a kintone change");
            retry(ctx, &p, &e.to_string()).await;
        }
    }
}

/// The record to judge: read afresh, or taken from a trusted payload.
async fn record(
    ctx: &NotifyContext,
    app_id: AppId,
    record_id: RecordId,
    payload: Option<serde_json::Value>,
    from_poller: bool,
) -> Result<Record, Skip> {
    let Some(app) = ctx.apps.app(app_id) else {
        return Err(Skip::Close("app no longer configured".into()));
    };
    // A change queued by the poller (held then) has no payload, and a
    // webhook's keeps its record only where the app trusts payloads (the
    // setting may have changed since): read it.
    let trusted = payload
        .filter(|_| !app.webhook_reread && !from_poller)
        .and_then(|mut v| v.get_mut("record").map(serde_json::Value::take));
    let Some(trusted) = trusted else {
        return match ctx.kintone.get_record(&app.auth, record_id).await {
            Ok(r) => Ok(r),
            Err(KintoneError::NotFound { .. }) => Err(Skip::Close("record deleted".into())),
            Err(e) if e.is_retryable() => Err(Skip::Retry(e.to_string())),
            Err(e) => {
                tracing::error!(app = %app_id, record = %record_id, error = %e, "cannot read the record");
                Err(Skip::Close(e.to_string()))
            }
        };
    };
    Record::from_json(trusted).map_err(|_| Skip::Close("payload has no readable record".into()))
}

/// Tells the outbox and the indicator about new notifications.
pub(super) fn announce(ctx: &NotifyContext, v: &Verdict) {
    match v {
        Verdict::Echo => {
            ctx.metrics.kintone_echoes.fetch_add(1, Ordering::Relaxed);
        }
        Verdict::Held { .. } => {
            ctx.metrics.kintone_held.fetch_add(1, Ordering::Relaxed);
        }
        _ => {}
    }
    if let Verdict::Notified(created) = v {
        if created.is_empty() {
            return;
        }
        ctx.metrics
            .notifications
            .fetch_add(created.len() as u64, Ordering::Relaxed);
        for n in created {
            tracing::info!(notification = %n.id, rule = %n.rule, from = n.from.as_deref().unwrap_or("(new)"), to = %n.to, recipients = n.recipients.len(), "notification created");
        }
        ctx.outbox_wake.notify_one();
        ctx.chain_wake.notify_one();
        let _ = ctx.events.send(NotifyEvent::Created {
            count: created.len(),
            buzz: created.iter().any(|n| n.buzz),
        });
    }
}

async fn done(ctx: &NotifyContext, seq: i64, note: &str) {
    let note = note.to_owned();
    let r = ctx
        .store
        .call_redoable(move |c| changes::close(c, seq, Some(&note)))
        .await;
    if let Err(e) = r {
        tracing::error!(error = %e, "could not close a kintone change");
    }
}

async fn retry(ctx: &NotifyContext, p: &PendingChange, why: &str) {
    ctx.metrics.retries.fetch_add(1, Ordering::Relaxed);
    let attempt = u32::try_from(p.attempts + 1).unwrap_or(u32::MAX);
    let next = ctx.clock.steady_after(default_backoff(attempt));
    let (seq, why) = (p.seq, why.to_owned());
    tracing::warn!(error = %why, "kintone change will be retried");
    let r = ctx
        .store
        .call_redoable(move |c| changes::schedule_retry(c, seq, next, &why))
        .await;
    if let Err(e) = r {
        tracing::error!(error = %e, "could not schedule a kintone change retry");
    }
}
