//! One inbox event, by kind: a postback goes to [`super::postback`], the
//! rest to [`super::onboarding`]; every event ends here, its row finished
//! (with its audit row and outcome push, in one transaction) or scheduled
//! for a retry.

use std::sync::atomic::Ordering;

use super::prepare::Prepared;
use super::respond::{Answer, PendingReply};
use super::{onboarding, postback, AckContext};
use crate::clock::now_ms;
use crate::inbound::events::{EventKind, InboundEvent};
use crate::inbound::reply::ReplyToken;
use crate::retry::default_backoff;
use crate::store::audit::AckRecord;
use crate::store::inbox::{Finish, InboxRow};
use crate::store::pushes::{OthersNotice, QueuedPush};

pub(super) async fn process(ctx: &AckContext, prepared: Prepared) {
    let Prepared { row, event, known } = prepared;
    let row = &row;
    let ev = match event {
        Ok(ev) => ev,
        Err(e) => {
            tracing::warn!(event = %row.event_id, error = %e, "stored event does not parse; dropped");
            finish(ctx, row, Finish::Failed, Some(e.to_string()), None).await;
            return;
        }
    };
    let InboundEvent {
        kind,
        source,
        standby,
        ..
    } = ev;
    // A token whose use was already attempted (before a restart) is spent.
    let fresh = |t: Option<ReplyToken>| t.filter(|_| !row.reply_attempted);
    let after = match kind {
        // Another channel is answering this chat: whatever the event, it is
        // only kept (deduplicated) — no write-back, no Reply, no push, no
        // onboarding. Two channels on one chat must not acknowledge twice.
        _ if standby => None,
        EventKind::Postback { data, reply } => {
            // Finishes the row itself: its end carries an audit row.
            return postback::postback(ctx, row, &source, &data, fresh(reply), known).await;
        }
        EventKind::Message { text, reply } => {
            onboarding::message(ctx, source.user(), text.as_deref(), fresh(reply)).await
        }
        EventKind::Follow { reply } => onboarding::follow(ctx, source.user(), fresh(reply)).await,
        EventKind::Join { reply } => onboarding::join(ctx, &source, fresh(reply)).await,
        EventKind::Leave => {
            onboarding::leave(ctx, &source).await;
            None
        }
        EventKind::Unfollow | EventKind::Other(_) => None,
    };
    finish_telling(ctx, row, Finish::Done, None, None, None, after).await;
}

pub(super) async fn finish(
    ctx: &AckContext,
    row: &InboxRow,
    how: Finish,
    err: Option<String>,
    audit: Option<AckRecord>,
) {
    finish_telling(ctx, row, how, err, audit, None, None).await;
}

/// Finishes the event and, in the same transaction, queues the push that
/// tells the person its outcome; then sends the Reply that tells it, if
/// that is how the outcome goes.
pub(super) async fn finish_telling(
    ctx: &AckContext,
    row: &InboxRow,
    how: Finish,
    err: Option<String>,
    audit: Option<AckRecord>,
    tell: Option<QueuedPush>,
    after: Option<PendingReply>,
) {
    finish_acknowledged(ctx, row, how, err, (audit, None), tell, after).await;
}

/// [`finish_telling`], with the notice to the notification's other
/// recipients, queued if this acknowledgement is its first.
pub(super) async fn finish_acknowledged(
    ctx: &AckContext,
    row: &InboxRow,
    how: Finish,
    err: Option<String>,
    audit: (Option<AckRecord>, Option<OthersNotice>),
    tell: Option<QueuedPush>,
    after: Option<PendingReply>,
) {
    let pushed = tell.is_some();
    let audited = audit.0.is_some();
    match ctx
        .store
        .inbox_finish(row.seq, how, err, audit, tell, now_ms())
        .await
    {
        Ok(told) => {
            ctx.resume.finished(row.seq);
            if pushed {
                ctx.metrics.ack_late_pushes.fetch_add(1, Ordering::Relaxed);
            }
            if told > 0 {
                let told = told as u64;
                ctx.metrics
                    .ack_told_others
                    .fetch_add(told, Ordering::Relaxed);
            }
            if pushed || told > 0 {
                ctx.outbox_wake.notify_one();
            }
            if let Some(reply) = after {
                // Boxed: the Reply's future is only alive after the finish,
                // and inline it would be part of every task's size while it
                // waits for its commit (docs/BENCHMARKS.md, peak memory).
                Box::pin(reply_after(ctx, row, reply, audited)).await;
            }
        }
        Err(e) => {
            // The Reply is not sent: the resumed event sends it.
            tracing::error!(event = %row.event_id, error = %e, "could not record the event's end; it will be resumed");
        }
    }
}

/// Sends the finished event's Reply; the audit row, written as "replied",
/// is corrected if it went otherwise (the rare case pays the commit).
async fn reply_after(ctx: &AckContext, row: &InboxRow, reply: PendingReply, audited: bool) {
    let answered = reply.send(ctx).await;
    if answered == Answer::Replied || !audited {
        return;
    }
    if let Err(e) = ctx
        .store
        .audit_set_reply(row.event_id.clone(), answered.audit())
        .await
    {
        tracing::warn!(event = %row.event_id, error = %e, "could not record how the answer went");
    }
}

/// Schedules the event's next attempt after the usual backoff.
pub(super) async fn retry_later(ctx: &AckContext, row: &InboxRow, why: &str) {
    let next = ctx.clock.steady_after(default_backoff(row_attempts(row)));
    tracing::warn!(event = %row.event_id, error = why, "the acknowledgement will be retried");
    if let Err(se) = ctx
        .store
        .inbox_retry_at(row.seq, next, why.to_owned())
        .await
    {
        tracing::error!(error = %se, "could not schedule the retry; it will be resumed on restart");
    }
}

fn row_attempts(row: &InboxRow) -> u32 {
    u32::try_from(row.attempts.max(1)).unwrap_or(u32::MAX)
}
