//! One pulled batch: every message to its handler at once, then acknowledge
//! what was committed or refused and hand back what failed. While the batch takes
//! longer than half its ack deadline, the deadline is extended so Pub/Sub
//! does not deliver it to us a second time meanwhile.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use super::PullContext;
use crate::http::{Reply, BODY_LIMIT};
use crate::pubsub::{PubsubError, Received};
use crate::secret::Presented;

/// What becomes of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    /// Committed (2xx): acknowledge.
    Done,
    /// Refused for good (4xx): acknowledge, never redeliver poison.
    Refused,
    /// Failed (5xx): hand back for redelivery.
    Retry,
    /// Another site's: acknowledge without acting.
    Foreign,
}

pub(super) async fn handle(ctx: &Arc<PullContext>, messages: Vec<Received>) {
    let p = &ctx.metrics.pubsub;
    if messages.is_empty() {
        p.oldest_unacked_age_s.store(0, Ordering::Relaxed);
        return;
    }
    p.pulled.fetch_add(messages.len() as u64, Ordering::Relaxed);
    p.oldest_unacked_age_s.store(
        oldest_age_s(&messages, ctx.clock.now_ms()),
        Ordering::Relaxed,
    );
    let ids: Vec<String> = messages.iter().map(|m| m.ack_id.clone()).collect();
    let fates = tokio::select! {
        fates = handle_all(ctx, &messages) => fates,
        () = keep_alive(ctx, &ids) => Vec::new(),
    };
    let (mut ack, mut nack) = (Vec::new(), Vec::new());
    for (m, fate) in messages.iter().zip(&fates) {
        if *fate == Fate::Retry {
            nack.push(m.ack_id.clone());
        } else {
            ack.push(m.ack_id.clone());
        }
    }
    // Waiting on Pub/Sub's answer is not being stuck.
    super::beating(&ctx.beat, finish(ctx, ack, nack)).await;
}

/// Every message of the batch at once, as concurrent posts would come, so
/// their commits share the store's group commit (one at a time, each waited
/// for its own fsync). The fates come back in the messages' order; a
/// handler that panicked leaves its message to come again.
async fn handle_all(ctx: &Arc<PullContext>, messages: &[Received]) -> Vec<Fate> {
    let mut set = tokio::task::JoinSet::new();
    for (i, m) in messages.iter().enumerate() {
        let (ctx, m) = (ctx.clone(), m.clone());
        set.spawn(async move { (i, handle_one(&ctx, &m).await) });
    }
    let mut fates = vec![Fate::Retry; messages.len()];
    while let Some(joined) = set.join_next().await {
        (ctx.beat)();
        match joined {
            Ok((i, fate)) => fates[i] = fate,
            Err(e) => {
                tracing::error!(error = %e, "a pulled message's handler failed; it comes again")
            }
        }
    }
    fates
}

/// Seconds since the oldest message of the batch was published.
fn oldest_age_s(messages: &[Received], now_ms: i64) -> i64 {
    let oldest = messages
        .iter()
        .filter_map(|m| m.publish_time.parse::<jiff::Timestamp>().ok())
        .map(|t| t.as_millisecond())
        .min();
    oldest.map_or(0, |t| (now_ms - t).max(0) / 1000)
}

/// Extends the batch's deadline at half its length, forever (the caller
/// drops this when the batch is done).
async fn keep_alive(ctx: &PullContext, ids: &[String]) {
    let deadline = ctx.settings.ack_deadline;
    let secs = u32::try_from(deadline.as_secs()).unwrap_or(600);
    loop {
        tokio::time::sleep(deadline / 2).await;
        if let Err(e) = ctx.client.modify_ack_deadline(ids, secs).await {
            tracing::warn!(error = %e, "could not extend the ack deadline; Pub/Sub may deliver the batch again (it is deduplicated)");
        }
    }
}

async fn handle_one(ctx: &PullContext, m: &Received) -> Fate {
    if let Some(site) = m.attribute("site") {
        if site != ctx.site {
            ctx.metrics
                .pubsub
                .foreign_site
                .fetch_add(1, Ordering::Relaxed);
            return Fate::Foreign;
        }
    }
    // As the HTTP server answers 503: the store's file is gone, and an
    // acknowledged message would be lost with it.
    if ctx.store.file_check().is_err() {
        return Fate::Retry;
    }
    // The relay publishes no body the board would refuse over HTTP.
    if m.data.len() > BODY_LIMIT {
        let reply = Reply::error(hyper::StatusCode::PAYLOAD_TOO_LARGE, "body too large");
        ctx.metrics.pubsub.refused.fetch_add(1, Ordering::Relaxed);
        REFUSALS.log(ctx, m, &reply);
        return Fate::Refused;
    }
    let reply = dispatch(ctx, m).await;
    match reply.status.as_u16() {
        200..=299 if ctx.store.file_check().is_err() => Fate::Retry,
        200..=299 => Fate::Done,
        400..=499 => {
            ctx.metrics.pubsub.refused.fetch_add(1, Ordering::Relaxed);
            REFUSALS.log(ctx, m, &reply);
            Fate::Refused
        }
        _ => Fate::Retry,
    }
}

/// The handler the HTTP server would call for this message.
async fn dispatch(ctx: &PullContext, m: &Received) -> Reply {
    let body: Bytes = m.data.clone();
    match m.attribute("source") {
        Some("line") => {
            let signature = m.attribute("signature").map(str::to_owned);
            ctx.line
                .handle_queued(signature, body, ctx.clock.steady_ms())
                .await
        }
        Some("kintone") => match (&ctx.kintone, presented(m, "kintone_token", Some)) {
            (Some(k), Some(token)) => k.handle(token, body).await,
            _ => Reply::error(hyper::StatusCode::NOT_FOUND, "not found"),
        },
        Some("notify_api") => {
            let api = &ctx.notify_api;
            match presented(m, "authorization", crate::http::bearer_token) {
                Some(token) if api.serves() && api.knows(token) => {
                    let content_type = m.attribute("content_type");
                    api.notify(token, content_type, body, Some(&m.message_id))
                        .await
                }
                _ => api.refuse(),
            }
        }
        _ => Reply::error(
            hyper::StatusCode::BAD_REQUEST,
            "message without source = line | kintone | notify_api",
        ),
    }
}

/// The key a message presents in attribute `name`: the token's SHA-256
/// (`{name}_sha256`), as the relay publishes it; or, from a relay older than
/// that, the attribute itself, read by `token` (said once in the log: such
/// a relay leaves the token in the clear in Pub/Sub, where messages wait
/// for days).
fn presented<'m>(
    m: &'m Received,
    name: &str,
    token: impl Fn(&'m str) -> Option<&'m str>,
) -> Option<Presented<'m>> {
    if let Some(digest) = m.attribute(&format!("{name}_sha256")) {
        return Some(Presented::Sha256(digest));
    }
    let plain = m.attribute(name)?;
    if !PLAIN_TOKEN_SEEN.swap(true, Ordering::Relaxed) {
        tracing::warn!(
            attribute = name,
            "a Pub/Sub message carries a token in the clear (an older relay): \
             deploy the relay of this release, which publishes only its SHA-256"
        );
    }
    token(plain).map(Presented::Token)
}

/// Whether a message with a token in the clear was seen (said once).
static PLAIN_TOKEN_SEEN: AtomicBool = AtomicBool::new(false);

/// Refusals are logged at most once per interval, with how many were not.
struct RateLimited {
    last_ms: AtomicI64,
    quiet: AtomicU64,
}

static REFUSALS: RateLimited = RateLimited {
    last_ms: AtomicI64::new(i64::MIN),
    quiet: AtomicU64::new(0),
};

const LOG_EVERY: Duration = Duration::from_secs(10);

impl RateLimited {
    fn log(&self, ctx: &PullContext, m: &Received, reply: &Reply) {
        let now = ctx.clock.steady_ms();
        let last = self.last_ms.load(Ordering::Relaxed);
        if now.saturating_sub(last) < crate::clock::millis(LOG_EVERY) {
            self.quiet.fetch_add(1, Ordering::Relaxed);
            return;
        }
        self.last_ms.store(now, Ordering::Relaxed);
        let also = self.quiet.swap(0, Ordering::Relaxed);
        tracing::warn!(
            message_id = %m.message_id,
            source = m.attribute("source").unwrap_or("?"),
            status = reply.status.as_u16(),
            answer = %reply.body,
            refused_since_last_log = also,
            "Pub/Sub message refused and acknowledged (it would be refused every time)"
        );
    }
}

/// Acknowledges and hands back; a failed acknowledgement is tried again a
/// few times, and otherwise the message comes again and is deduplicated.
async fn finish(ctx: &PullContext, ack: Vec<String>, nack: Vec<String>) {
    let p = &ctx.metrics.pubsub;
    for attempt in 1..=3 {
        match ctx.client.acknowledge(&ack).await {
            Ok(()) => {
                p.acked.fetch_add(ack.len() as u64, Ordering::Relaxed);
                break;
            }
            Err(e) if e.is_retryable() && attempt < 3 => {
                tokio::time::sleep(crate::retry::default_backoff(attempt)).await;
            }
            Err(e) => {
                warn_unacked(&e, ack.len());
                break;
            }
        }
    }
    if nack.is_empty() {
        return;
    }
    p.nacked.fetch_add(nack.len() as u64, Ordering::Relaxed);
    // Deadline 0: delivered again at once (and if this fails, when the
    // deadline runs out).
    if let Err(e) = ctx.client.modify_ack_deadline(&nack, 0).await {
        tracing::debug!(error = %e, "could not hand messages back; they come again after the deadline");
    }
}

fn warn_unacked(e: &PubsubError, n: usize) {
    tracing::warn!(error = %e, messages = n, "could not acknowledge; Pub/Sub will deliver them again (they are deduplicated)");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(publish_time: &str) -> Received {
        Received {
            ack_id: String::new(),
            message_id: String::new(),
            data: Bytes::new(),
            attributes: serde_json::Map::new(),
            publish_time: publish_time.to_owned(),
        }
    }

    #[test]
    fn the_oldest_message_sets_the_age() {
        let now = "2026-12-01T00:10:00Z"
            .parse::<jiff::Timestamp>()
            .unwrap()
            .as_millisecond();
        let batch = [
            at("2026-12-01T00:09:00Z"),
            at("2026-12-01T00:00:00.5Z"),
            at("garbled"),
        ];
        assert_eq!(oldest_age_s(&batch, now), 599);
        assert_eq!(oldest_age_s(&[at("garbled")], now), 0);
    }
}
