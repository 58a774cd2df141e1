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

use rusqlite::params;
use tokio_util::sync::CancellationToken;

use super::detect::{examine, Verdict};
use super::{NotifyContext, NotifyEvent};
use crate::clock::retry_due_before;
use crate::domain::{AppId, RecordId};
use crate::kintone::error::KintoneError;
use crate::kintone::record::Record;
use crate::retry::default_backoff;
use crate::store::intents::hold_change;
use crate::store::StoreError;

const BATCH: i64 = 32;
const IDLE_POLL: Duration = Duration::from_secs(1);

struct Pending {
    seq: i64,
    app: i64,
    record: i64,
    payload: Option<String>,
    attempts: i64,
}

/// Runs until `shutdown`.
pub async fn run(ctx: Arc<NotifyContext>, shutdown: CancellationToken) {
    loop {
        crate::service::Heartbeats::tick(&ctx.beats.changes);
        let now = ctx.clock.steady_ms();
        let due = ctx
            .store
            .call(move |c| {
                // Retry times are steady time; one further ahead than any
                // backoff was stored before the clock went back: due now.
                let mut st = c.prepare_cached(
                    "SELECT seq, app, record, payload, attempts FROM changes
                     WHERE state = 'pending' AND (next_attempt_ms <= ?1 OR next_attempt_ms > ?3)
                     ORDER BY seq LIMIT ?2",
                )?;
                let rows = st.query_map(params![now, BATCH, retry_due_before(now)], |r| {
                    Ok(Pending {
                        seq: r.get(0)?,
                        app: r.get(1)?,
                        record: r.get(2)?,
                        payload: r.get(3)?,
                        attempts: r.get(4)?,
                    })
                })?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await;
        let due = match due {
            Ok(d) => d,
            Err(e) => {
                tracing::error!(error = %e, "cannot read pending kintone changes");
                Vec::new()
            }
        };
        let worked = !due.is_empty();
        for p in due {
            one(&ctx, p).await;
        }
        if worked {
            continue;
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = ctx.changes_wake.notified() => {}
            () = tokio::time::sleep(IDLE_POLL) => {}
        }
    }
}

async fn one(ctx: &Arc<NotifyContext>, p: Pending) {
    let ids = u64::try_from(p.app)
        .ok()
        .and_then(|a| AppId::new(a).ok())
        .zip(
            u64::try_from(p.record)
                .ok()
                .and_then(|r| RecordId::new(r).ok()),
        );
    let Some((app_id, record_id)) = ids else {
        return done(ctx, p.seq, "bad ids").await;
    };
    let Some(app) = ctx.config.app(app_id) else {
        return done(ctx, p.seq, "app no longer configured").await;
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
    // A change queued by the poller (held then) has no payload: read it.
    let record = if app.webhook_reread || p.payload.is_none() {
        match ctx.kintone.get_record(&app.auth, record_id).await {
            Ok(r) => r,
            Err(KintoneError::NotFound { .. }) => return done(ctx, p.seq, "record deleted").await,
            Err(e) if e.is_retryable() => return retry(ctx, &p, &e.to_string()).await,
            Err(e) => {
                tracing::error!(app = %app_id, record = %record_id, error = %e, "cannot read the record");
                return done(ctx, p.seq, &e.to_string()).await;
            }
        }
    } else {
        match payload
            .and_then(|mut v| v.get_mut("record").map(serde_json::Value::take))
            .map(Record::from_json)
        {
            Some(Ok(r)) => r,
            _ => return done(ctx, p.seq, "payload has no readable record").await,
        }
    };
    let rules = ctx.rules_for(app_id);
    let ctx2 = ctx.clone();
    let seq = p.seq;
    // Steady time: holds and retries share the change queue's timeline.
    let now = ctx.clock.steady_ms();
    let verdict = ctx
        .store
        .call(move |c| {
            let app = ctx2
                .config
                .app(app_id)
                .ok_or_else(|| StoreError::Invalid("app vanished".into()))?;
            let judge = ctx2.judge(app, &rules, title_hint.as_deref());
            let v = examine(c, &judge, &record, now)?;
            if let Verdict::Held { until_ms } = v {
                hold_change(c, seq, until_ms)?;
            } else {
                c.prepare_cached("UPDATE changes SET state = 'done' WHERE seq = ?1")?
                    .execute([seq])?;
            }
            Ok(v)
        })
        .await;
    match verdict {
        Ok(v) => announce(ctx, &v),
        Err(e) => {
            tracing::error!(error = %e, "could not judge a kintone change");
            retry(ctx, &p, &e.to_string()).await;
        }
    }
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
        .call(move |c| {
            c.prepare_cached("UPDATE changes SET state = 'done', last_error = ?2 WHERE seq = ?1")?
                .execute(params![seq, note])?;
            Ok(())
        })
        .await;
    if let Err(e) = r {
        tracing::error!(error = %e, "could not close a kintone change");
    }
}

async fn retry(ctx: &NotifyContext, p: &Pending, why: &str) {
    ctx.metrics.retries.fetch_add(1, Ordering::Relaxed);
    let attempt = u32::try_from(p.attempts + 1).unwrap_or(u32::MAX);
    let next = ctx.clock.steady_after(default_backoff(attempt));
    let (seq, why) = (p.seq, why.to_owned());
    tracing::warn!(error = %why, "kintone change will be retried");
    let r = ctx
        .store
        .call(move |c| {
            c.prepare_cached("UPDATE changes SET attempts = attempts + 1, next_attempt_ms = ?2, last_error = ?3 WHERE seq = ?1")?.execute(params![seq, next, why],
            )?;
            Ok(())
        })
        .await;
    if let Err(e) = r {
        tracing::error!(error = %e, "could not schedule a kintone change retry");
    }
}
