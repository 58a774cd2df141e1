//! The outbox: deliveries become push requests, and push requests reach LINE
//! exactly once.
//!
//! **Cost.** LINE counts one message per recipient per request, however many
//! message objects and bubbles it holds. So the first notification to a
//! recipient goes out at once, and further ones within `coalesce_window` wait
//! and go together (bubbles packed into carousels, up to 60 per request).
//! Recipients owed exactly the same cards share one multicast.
//!
//! **Exactly once.** A request's body and `X-Line-Retry-Key` are stored before
//! the first attempt; retries (5xx, timeouts, rate-limit 429s) resend the same
//! body with the same key, and a 409 for an already-accepted key counts as
//! delivered. Other 4xx go to the dead letters. On the monthly-limit 429 all
//! pushing pauses (nothing is dropped) until the quota returns.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use rusqlite::{params, Connection};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::NotifyContext;
use crate::domain::{LineGroupId, LineUserId, PushTarget};
use crate::line::client::LineClient;
use crate::line::error::LineError;
use crate::line::flex;
use crate::line::message::Message;
use crate::retry::default_backoff;
use crate::store::{now_ms, StoreError};

/// LINE's multicast limit.
const MULTICAST_MAX: usize = 500;

/// `[notify]` settings.
#[derive(Debug, Clone)]
pub struct OutboxSettings {
    pub coalesce_window: Duration,
    /// Warn when this fraction of the monthly quota is used.
    pub quota_warn: f64,
    pub quota_check: Duration,
}

impl Default for OutboxSettings {
    fn default() -> Self {
        OutboxSettings {
            coalesce_window: Duration::from_secs(60),
            quota_warn: 0.8,
            quota_check: Duration::from_secs(600),
        }
    }
}

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
    let mut quota = QuotaGuard::new(settings.clone());
    quota.check(&ctx, &line).await;
    loop {
        crate::service::Heartbeats::tick(&ctx.beats.outbox);
        if quota.due() {
            quota.check(&ctx, &line).await;
        }
        let next_flush = match flush(&ctx, settings.coalesce_window).await {
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
            .map(|at| Duration::from_millis(u64::try_from(at - now_ms()).unwrap_or(0)))
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
async fn flush(ctx: &NotifyContext, window: Duration) -> Result<Option<i64>, StoreError> {
    let window_ms = i64::try_from(window.as_millis()).unwrap_or(i64::MAX);
    let created = ctx
        .store
        .call(move |c| batch(c, window_ms, now_ms()))
        .await?;
    if created.0 > 0 {
        tracing::debug!(requests = created.0, "push requests queued");
    }
    Ok(created.1)
}

fn batch(c: &Connection, window_ms: i64, now: i64) -> Result<(usize, Option<i64>), StoreError> {
    // recipient -> (seq, notification, bubble, alt)
    let mut owed: BTreeMap<String, Owed> = BTreeMap::new();
    {
        let mut st = c.prepare_cached(
            "SELECT d.seq, d.recipient, d.notification, d.bubble, d.alt_text, COALESCE(l.at_ms, 0)
             FROM deliveries d LEFT JOIN last_push l ON l.recipient = d.recipient
             WHERE d.push_id IS NULL ORDER BY d.seq",
        )?;
        let mut rows = st.query([])?;
        let mut next_due: Option<i64> = None;
        while let Some(r) = rows.next()? {
            let last: i64 = r.get(5)?;
            let due_at = last.saturating_add(window_ms);
            if due_at > now {
                next_due = Some(next_due.map_or(due_at, |n: i64| n.min(due_at)));
                continue;
            }
            owed.entry(r.get(1)?)
                .or_default()
                .push((r.get(0)?, r.get(2)?, r.get(3)?, r.get(4)?));
        }
        if owed.is_empty() {
            return Ok((0, next_due));
        }
        let created = store_requests(c, owed, now)?;
        Ok((created, next_due))
    }
}

/// Cards per push request at most: five carousels of twelve bubbles.
const CARDS_PER_REQUEST: usize = flex::MAX_MESSAGES_PER_REQUEST * flex::MAX_CAROUSEL_BUBBLES;

/// One recipient's owed deliveries: (seq, notification, bubble, alt text).
type Owed = Vec<(i64, String, String, String)>;
/// Recipients owed the same cards, each with their delivery seqs in card order.
type Members = Vec<(String, Vec<i64>)>;

fn store_requests(
    c: &Connection,
    owed: BTreeMap<String, Owed>,
    now: i64,
) -> Result<usize, StoreError> {
    // Users owed exactly the same cards share a multicast; groups push alone.
    // (kind, notification ids) -> recipients with their delivery seqs, in card order.
    let mut shared: BTreeMap<(bool, Vec<String>), Members> = BTreeMap::new();
    let mut cards: BTreeMap<Vec<String>, Vec<(String, String)>> = BTreeMap::new();
    for (recipient, items) in owed {
        let key: Vec<String> = items.iter().map(|i| i.1.clone()).collect();
        let seqs: Vec<i64> = items.iter().map(|i| i.0).collect();
        if !cards.contains_key(&key) {
            cards.insert(
                key.clone(),
                items.into_iter().map(|(_, _, b, alt)| (b, alt)).collect(),
            );
        }
        let is_group = !recipient.starts_with('U');
        let group = if is_group {
            (
                true,
                std::iter::once(recipient.clone()).chain(key).collect(),
            )
        } else {
            (false, key)
        };
        shared.entry(group).or_default().push((recipient, seqs));
    }
    let mut created = 0;
    for ((is_group, key), members) in shared {
        let notif_key = if is_group { &key[1..] } else { &key[..] };
        let Some(items) = cards.get(notif_key) else {
            continue;
        };
        // One request's worth of cards at a time: a burst of a thousand
        // cards never sits in memory as JSON trees all at once.
        for (part_no, part) in items.chunks(CARDS_PER_REQUEST).enumerate() {
            let first = part_no * CARDS_PER_REQUEST;
            let bubbles = part
                .iter()
                .map(|(b, alt)| {
                    Ok((
                        serde_json::from_str::<serde_json::Value>(b)
                            .map_err(|e| StoreError::Invalid(e.to_string()))?,
                        alt.clone(),
                    ))
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            let requests = flex::pack(bubbles)
                .map_err(|e| StoreError::Invalid(format!("packing cards: {e}")))?;
            for chunk in members.chunks(MULTICAST_MAX) {
                let to: Vec<&str> = chunk.iter().map(|(r, _)| r.as_str()).collect();
                let to =
                    serde_json::to_string(&to).map_err(|e| StoreError::Invalid(e.to_string()))?;
                for messages in &requests {
                    let body = serde_json::to_string(messages)
                        .map_err(|e| StoreError::Invalid(e.to_string()))?;
                    c.prepare_cached("INSERT INTO outbox(retry_key, recipients, messages, message_count, created_ms)
                         VALUES (?1, ?2, ?3, ?4, ?5)")?.execute(params![
                            Uuid::new_v4().to_string(),
                            to,
                            body,
                            i64::try_from(chunk.len()).unwrap_or(i64::MAX),
                            now
                        ],
                    )?;
                    let push_id = c.last_insert_rowid();
                    created += 1;
                    // This part's deliveries belong to its (first) request.
                    for (_, seqs) in chunk {
                        for seq in seqs.iter().skip(first).take(part.len()) {
                            c.prepare_cached("UPDATE deliveries SET push_id = ?2 WHERE seq = ?1 AND push_id IS NULL")?.execute(params![seq, push_id],
                            )?;
                        }
                    }
                }
            }
        }
        for (r, _) in &members {
            c.prepare_cached(
                "INSERT INTO last_push(recipient, at_ms) VALUES (?1, ?2)
                 ON CONFLICT(recipient) DO UPDATE SET at_ms = excluded.at_ms",
            )?
            .execute(params![r, now])?;
        }
    }
    Ok(created)
}

async fn send_due(ctx: &NotifyContext, line: &LineClient, quota: &mut QuotaGuard) {
    // Requests go out one after another, so only a few are read at a time:
    // each can hold five full carousels.
    let due = ctx
        .store
        .read(|c| {
            let mut st = c.prepare_cached(
                "SELECT id, retry_key, recipients, messages, attempts FROM outbox
                 WHERE state = 'pending' AND next_attempt_ms <= ?1 ORDER BY id LIMIT 4",
            )?;
            let rows = st.query_map([now_ms()], |r| {
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
            let next =
                now + i64::try_from(default_backoff(attempt).as_millis()).unwrap_or(i64::MAX);
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
        #[allow(clippy::cast_precision_loss)]
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
