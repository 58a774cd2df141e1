//! The outbox: deliveries become push requests, and push requests reach LINE
//! exactly once.
//!
//! **Cost and speed.** LINE counts one message per recipient per request,
//! however many bubbles it holds. Each recipient's queue is sent when
//! [`Pacing::plan`] says so (`notify::pacing`): within a short debounce when
//! the recipient is quiet, packed into full requests during a burst;
//! `notify::batch` stores the requests (multicast for users owed the same
//! cards).
//!
//! **Exactly once.** A request's body and `X-Line-Retry-Key` are stored before
//! the first attempt; retries (5xx, timeouts, rate-limit 429s) resend the same
//! body with the same key, and a 409 for an already-accepted key counts as
//! delivered. Other 4xx go to the dead letters. On the monthly-limit 429 all
//! pushing pauses (nothing is dropped) until the quota returns.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use rusqlite::params;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::batch;
use super::pacing::Pacing;
use super::NotifyContext;
use crate::clock::now_ms;
use crate::clock::retry_due_before;
use crate::config::notify::OutboxSettings;
use crate::domain::{LineGroupId, LineUserId, PushTarget};
use crate::line::client::LineClient;
use crate::line::error::LineError;
use crate::line::message::Message;
use crate::retry::default_backoff;
use crate::store::StoreError;

/// One push request as stored.
#[derive(Debug, Clone)]
struct Request {
    id: i64,
    retry_key: String,
    recipients: Vec<String>,
    messages: String,
    attempts: i64,
}

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
    loop {
        crate::service::Heartbeats::tick(&ctx.beats.outbox);
        if quota.due() {
            quota.check(&ctx, &line).await;
        }
        let next_flush = match flush(&ctx, settings.pacing).await {
            Ok(n) => n,
            Err(e) => {
                tracing::error!(error = %e, "could not batch deliveries");
                None
            }
        };
        if !quota.paused {
            send_due(&ctx, &line, &mut quota).await;
        }
        refresh_gauges(&ctx).await;
        let wait = next_flush
            .map(|at| Duration::from_millis(u64::try_from(at - ctx.clock.steady_ms()).unwrap_or(0)))
            .unwrap_or(Duration::from_secs(1))
            .min(Duration::from_secs(1));
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = ctx.outbox_wake.notified() => {}
            () = tokio::time::sleep(wait) => {}
        }
    }
}

/// Turns due deliveries into stored push requests. Returns when the next
/// waiting recipient becomes due.
async fn flush(ctx: &NotifyContext, pacing: Pacing) -> Result<Option<i64>, StoreError> {
    // Arrivals, pacing history and retries are steady time.
    let now = ctx.clock.steady_ms();
    let created = ctx
        .store
        .call(move |c| batch::batch(c, &pacing, now))
        .await?;
    if created.0 > 0 {
        tracing::debug!(requests = created.0, "push requests queued");
    }
    Ok(created.1)
}

async fn send_due(ctx: &NotifyContext, line: &LineClient, quota: &mut QuotaGuard) {
    // Requests go out one after another, so only a few are read at a time:
    // each can hold five full carousels.
    let now = ctx.clock.steady_ms();
    let due = ctx
        .store
        .read(move |c| {
            // A retry time further ahead than any backoff was stored before
            // the clock went back: due now.
            let mut st = c.prepare_cached(
                "SELECT id, retry_key, recipients, messages, attempts FROM outbox
                 WHERE state = 'pending' AND (next_attempt_ms <= ?1 OR next_attempt_ms > ?2)
                 ORDER BY id LIMIT 4",
            )?;
            let rows = st.query_map([now, retry_due_before(now)], |r| {
                let recipients: String = r.get(2)?;
                Ok(Request {
                    id: r.get(0)?,
                    retry_key: r.get(1)?,
                    recipients: serde_json::from_str(&recipients).unwrap_or_default(),
                    messages: r.get(3)?,
                    attempts: r.get(4)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await;
    let due = match due {
        Ok(d) => d,
        Err(e) => return tracing::error!(error = %e, "cannot read the outbox"),
    };
    for req in due {
        if quota.paused {
            return;
        }
        crate::service::Heartbeats::tick(&ctx.beats.outbox);
        let result = send(line, &req).await;
        record(ctx, &req, result, quota).await;
    }
}

async fn send(line: &LineClient, req: &Request) -> Result<Option<String>, LineError> {
    let messages: Vec<Message> = serde_json::from_str(&req.messages)
        .map_err(|e| LineError::Protocol(format!("stored messages unreadable: {e}")))?;
    let key = Uuid::parse_str(&req.retry_key).map_err(|e| LineError::Protocol(e.to_string()))?;
    let delivery = match req.recipients.as_slice() {
        [one] => {
            let target = match (LineUserId::parse(one), LineGroupId::parse(one)) {
                (Ok(u), _) => PushTarget::User(u),
                (_, Ok(g)) => PushTarget::Group(g),
                _ => return Err(LineError::Protocol(format!("{one:?} is not a LINE id"))),
            };
            line.push(&target, &messages, key).await?
        }
        many => {
            let users = many
                .iter()
                .map(|u| LineUserId::parse(u).map_err(|e| LineError::Protocol(e.to_string())))
                .collect::<Result<Vec<_>, _>>()?;
            line.multicast(&users, &messages, key).await?
        }
    };
    Ok(delivery.request_id())
}

async fn record(
    ctx: &NotifyContext,
    req: &Request,
    result: Result<Option<String>, LineError>,
    quota: &mut QuotaGuard,
) {
    let now = now_ms();
    let (id, n) = (req.id, req.recipients.len() as u64);
    let update = match result {
        Ok(request_id) => {
            ctx.metrics.pushes.fetch_add(1, Ordering::Relaxed);
            ctx.metrics.quota_messages.fetch_add(n, Ordering::Relaxed);
            ctx.metrics.last_push_ms.store(now, Ordering::Relaxed);
            ctx.metrics.line_down.store(0, Ordering::Relaxed);
            Some(("sent".to_owned(), 0, request_id.unwrap_or_default()))
        }
        Err(LineError::QuotaExhausted) => {
            quota.exhausted(ctx);
            None
        }
        Err(e) if e.is_retryable() => {
            ctx.metrics.retries.fetch_add(1, Ordering::Relaxed);
            ctx.metrics.line_down.store(1, Ordering::Relaxed);
            let attempt = u32::try_from(req.attempts + 1).unwrap_or(u32::MAX);
            let next = ctx.clock.steady_ms()
                + i64::try_from(default_backoff(attempt).as_millis()).unwrap_or(i64::MAX);
            tracing::warn!(request = id, error = %e, "push failed; will retry with the same key");
            Some(("pending".to_owned(), next, e.to_string()))
        }
        Err(e) => {
            ctx.metrics.dead_letters.fetch_add(1, Ordering::Relaxed);
            tracing::error!(request = id, error = %e, "push refused by LINE; moved to dead letters (see `kintone-line-gateway outbox`)");
            Some(("dead".to_owned(), 0, e.to_string()))
        }
    };
    let Some((state, next, note)) = update else {
        return;
    };
    let r = ctx
        .store
        .call(move |c| {
            let sent = state == "sent";
            c.prepare_cached(
                "UPDATE outbox SET state = ?2, attempts = attempts + 1, next_attempt_ms = ?3,
                    sent_ms = CASE WHEN ?4 THEN ?5 END,
                    request_id = CASE WHEN ?4 THEN ?6 END,
                    last_error = CASE WHEN ?4 THEN last_error ELSE ?6 END
                 WHERE id = ?1",
            )?
            .execute(params![id, state, next, sent, now, note])?;
            Ok(())
        })
        .await;
    if let Err(e) = r {
        tracing::error!(error = %e, "could not record a push outcome; it may be resent with the same key (LINE answers 409)");
    }
}

async fn refresh_gauges(ctx: &NotifyContext) {
    let r = ctx
        .store
        .call(|c| {
            let pending: i64 = c
                .prepare_cached("SELECT COUNT(*) FROM outbox WHERE state = 'pending'")?
                .query_row([], |r| r.get(0))?;
            let acks: i64 = c
                .prepare_cached("SELECT COUNT(*) FROM notifications WHERE acked_ms IS NULL")?
                .query_row([], |r| r.get(0))?;
            Ok((pending, acks))
        })
        .await;
    if let Ok((pending, acks)) = r {
        ctx.metrics.outbox_pending.store(pending, Ordering::Relaxed);
        ctx.metrics.pending_acks.store(acks, Ordering::Relaxed);
    }
}

/// Watches the monthly quota: warns early, pauses on exhaustion, resumes
/// when LINE reports room again.
struct QuotaGuard {
    settings: OutboxSettings,
    paused: bool,
    warned: bool,
    next_check: tokio::time::Instant,
}

impl QuotaGuard {
    fn new(settings: OutboxSettings) -> Self {
        QuotaGuard {
            settings,
            paused: false,
            warned: false,
            next_check: tokio::time::Instant::now(),
        }
    }

    fn due(&self) -> bool {
        tokio::time::Instant::now() >= self.next_check
    }

    fn exhausted(&mut self, ctx: &NotifyContext) {
        if !self.paused {
            tracing::error!("LINE monthly message limit reached: pushing paused, notifications kept queued until the quota resets");
        }
        self.paused = true;
        ctx.metrics.quota_exhausted.store(1, Ordering::Relaxed);
        self.next_check = tokio::time::Instant::now() + self.settings.quota_check;
    }

    async fn check(&mut self, ctx: &NotifyContext, line: &LineClient) {
        self.next_check = tokio::time::Instant::now() + self.settings.quota_check;
        let q = match line.quota().await {
            Ok(q) => q,
            Err(e) => return tracing::info!(error = %e, "quota check failed"),
        };
        let Some(limit) = q.limit else {
            return self.resume(ctx);
        };
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

    fn resume(&mut self, ctx: &NotifyContext) {
        if self.paused {
            tracing::info!("LINE quota available again: pushing resumed");
        }
        self.paused = false;
        ctx.metrics.quota_exhausted.store(0, Ordering::Relaxed);
    }
}
