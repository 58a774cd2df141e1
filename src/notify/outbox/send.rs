//! Sending stored push requests: each as stored, with its fixed
//! `X-Line-Retry-Key`, and its outcome recorded — sent (a 409 for an
//! accepted key counts), retried with the same key, or dead-lettered.

use std::sync::atomic::Ordering;

use uuid::Uuid;

use super::quota::QuotaGuard;
use crate::clock::now_ms;
use crate::domain::{LineGroupId, LineUserId, PushTarget};
use crate::line::client::{LineClient, Sound};
use crate::line::error::LineError;
use crate::line::message::Message;
use crate::notify::NotifyContext;
use crate::retry::default_backoff;
use crate::store::deliveries;
use crate::store::outbox::{self, Attempt, PushRequest};

/// Requests read at a time: they go out one after another, and each can
/// hold five full carousels.
const DUE_AT_ONCE: i64 = 4;

/// Sends the requests due now, until the quota runs out.
pub(super) async fn send_due(ctx: &NotifyContext, line: &LineClient, quota: &mut QuotaGuard) {
    let now = ctx.clock.steady_ms();
    let due = ctx
        .store
        .read(move |c| outbox::due(c, now, DUE_AT_ONCE))
        .await;
    let due = match due {
        Ok(d) => d,
        Err(e) => return tracing::error!(error = %e, "cannot read the outbox"),
    };
    for mut req in due {
        if quota.paused {
            return;
        }
        crate::service::Heartbeats::tick(&ctx.beats.outbox);
        let attempt = match messages_of(ctx, &mut req).await {
            Ok(()) => outcome(ctx, &req, send(line, &req).await, quota),
            Err(Unsendable::Later(e)) => {
                tracing::error!(request = req.id, error = %e, "cannot read a push request's cards; will try again");
                None
            }
            Err(Unsendable::Never(error)) => {
                ctx.metrics.dead_letters.fetch_add(1, Ordering::Relaxed);
                tracing::error!(request = req.id, error = %error, "push request cannot be made; moved to dead letters (see `kintone-line-gateway outbox`)");
                Some(Attempt::Dead { error })
            }
        };
        let Some(attempt) = attempt else {
            continue;
        };
        let id = req.id;
        // Redoable: lost in a crash, the request is sent again with its
        // key, and LINE's 409 for an accepted key counts as sent.
        let r = ctx
            .store
            .call_redoable(move |c| outbox::record_attempt(c, id, &attempt))
            .await;
        if let Err(e) = r {
            tracing::error!(error = %e, "could not record a push outcome; it may be resent with the same key (LINE answers 409)");
        }
    }
}

/// Why a request's messages could not be made.
enum Unsendable {
    /// The store could not be read: the next round tries again.
    Later(crate::store::StoreError),
    /// Its cards are gone (a damaged store rescued) or no longer pack into
    /// one request: a dead letter, with why.
    Never(String),
}

/// Fills in the messages of a request stored without a copy of its cards:
/// they are packed again as they were when it was made (the same cards in
/// the same order make the same request, so a retry with its key repeats
/// it).
async fn messages_of(ctx: &NotifyContext, req: &mut PushRequest) -> Result<(), Unsendable> {
    if !req.cards {
        return Ok(());
    }
    // Every recipient of the request is owed the same cards.
    let (id, first) = (req.id, req.recipients.first().cloned().unwrap_or_default());
    let cards = ctx
        .store
        .read(move |c| deliveries::cards_of_push(c, id, &first))
        .await
        .map_err(Unsendable::Later)?;
    if cards.is_empty() {
        return Err(Unsendable::Never(
            "its cards are no longer in the store".into(),
        ));
    }
    let packed = super::request::pack(&cards)
        .map_err(|e| Unsendable::Never(format!("its cards cannot be packed: {e}")))?;
    match <[String; 1]>::try_from(packed) {
        Ok([one]) => {
            req.messages = one;
            Ok(())
        }
        Err(_) => Err(Unsendable::Never(
            "its cards no longer pack into one request".into(),
        )),
    }
}

async fn send(line: &LineClient, req: &PushRequest) -> Result<Option<String>, LineError> {
    let messages: Vec<Message> = serde_json::from_str(&req.messages)
        .map_err(|e| LineError::Protocol(format!("stored messages unreadable: {e}")))?;
    let key = Uuid::parse_str(&req.retry_key).map_err(|e| LineError::Protocol(e.to_string()))?;
    let sound = if req.silent {
        Sound::Silent
    } else {
        Sound::Normal
    };
    let delivery = match req.recipients.as_slice() {
        [one] => {
            let target = match (LineUserId::parse(one), LineGroupId::parse(one)) {
                (Ok(u), _) => PushTarget::User(u),
                (_, Ok(g)) => PushTarget::Group(g),
                _ => return Err(LineError::Protocol(format!("{one:?} is not a LINE id"))),
            };
            line.push_as(&target, &messages, key, sound).await?
        }
        many => {
            let users = many
                .iter()
                .map(|u| LineUserId::parse(u).map_err(|e| LineError::Protocol(e.to_string())))
                .collect::<Result<Vec<_>, _>>()?;
            line.multicast(&users, &messages, key, sound).await?
        }
    };
    Ok(delivery.request_id())
}

/// What to record of an attempt, counting it in the metrics; `None` when
/// the quota ran out (the request stays as it is).
fn outcome(
    ctx: &NotifyContext,
    req: &PushRequest,
    result: Result<Option<String>, LineError>,
    quota: &mut QuotaGuard,
) -> Option<Attempt> {
    let m = &ctx.metrics;
    match result {
        Ok(request_id) => {
            let now = now_ms();
            m.pushes.fetch_add(1, Ordering::Relaxed);
            m.quota_messages
                .fetch_add(req.recipients.len() as u64, Ordering::Relaxed);
            m.last_push_ms.store(now, Ordering::Relaxed);
            m.line_down.store(0, Ordering::Relaxed);
            Some(Attempt::Sent {
                at_ms: now,
                request_id: request_id.unwrap_or_default(),
            })
        }
        Err(LineError::QuotaExhausted) => {
            quota.exhausted(ctx);
            None
        }
        Err(e) if e.is_retryable() => {
            m.retries.fetch_add(1, Ordering::Relaxed);
            m.line_down.store(1, Ordering::Relaxed);
            let attempt = u32::try_from(req.attempts + 1).unwrap_or(u32::MAX);
            let next_ms = ctx.clock.steady_ms()
                + i64::try_from(default_backoff(attempt).as_millis()).unwrap_or(i64::MAX);
            tracing::warn!(request = req.id, error = %e, "push failed; will retry with the same key");
            Some(Attempt::Retry {
                next_ms,
                error: e.to_string(),
            })
        }
        Err(e) => {
            m.dead_letters.fetch_add(1, Ordering::Relaxed);
            tracing::error!(request = req.id, error = %e, "push refused by LINE; moved to dead letters (see `kintone-line-gateway outbox`)");
            Some(Attempt::Dead {
                error: e.to_string(),
            })
        }
    }
}
