//! Answering the person who tapped: Reply while the token is good, otherwise
//! the configured fallback — and a record of which happened.
//!
//! A token is never spent twice across a crash. An answer the event goes on
//! after (an interim "Received…", "busy, retrying") is sent only once the
//! inbox records that a reply was attempted ([`answer`]). The event's last
//! word is sent only once its finish is stored ([`PendingReply`]): a
//! finished event is never resumed, so that commit is the record, and an
//! acknowledgement needs one durable commit fewer (an SD card's block or
//! two). A crash between that commit and the Reply loses the answer, as a
//! crash between the mark and the Reply always did; it never doubles it.

use std::sync::atomic::Ordering;

use uuid::Uuid;

use super::AckContext;
use crate::config::Fallback;
use crate::domain::{LineUserId, PushTarget};
use crate::inbound::reply::{self, ReplyError, ReplyToken};
use crate::line::error::LineError;
use crate::line::message::Message;

/// What happened to an answer, for the audit row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Replied,
    FallbackNone,
    FallbackPush,
    Failed(String),
    /// No token and no fallback applies (e.g. already answered before a restart).
    Nothing,
}

impl Answer {
    pub fn audit(&self) -> String {
        match self {
            Answer::Replied => "replied".into(),
            Answer::FallbackNone => "fallback-none".into(),
            Answer::FallbackPush => "fallback-push".into(),
            Answer::Failed(e) => format!("reply-failed: {e}"),
            Answer::Nothing => "none".into(),
        }
    }
}

/// A Reply decided on and not sent yet: the event's last word, sent after
/// its finish is stored ([`PendingReply::send`]).
pub struct PendingReply {
    token: ReplyToken,
    /// Told by the fallback if the token runs out after all.
    user: Option<LineUserId>,
    text: String,
}

/// How an answer goes: settled now, or a Reply to send.
pub enum Decided {
    Now(Answer),
    Reply(PendingReply),
}

/// Decides how `text` reaches the person: nothing without a token, the
/// fallback for `user` once the token is past its deadline, else a Reply.
pub async fn decide(
    ctx: &AckContext,
    token: Option<ReplyToken>,
    user: Option<&LineUserId>,
    text: String,
) -> Decided {
    // No token: a standby event (never answered), or one whose reply was
    // already attempted before a restart (a paid push could double it).
    // The fallback is only for a token that ran out of time.
    let Some(token) = token else {
        return Decided::Now(Answer::Nothing);
    };
    if token
        .remaining(ctx.clock.steady_ms(), ctx.config.line.reply_deadline)
        .is_none()
    {
        let messages = [Message::text(text)];
        let fell_back = Box::pin(fallback(ctx, user, &messages, "reply deadline passed")).await;
        return Decided::Now(fell_back);
    }
    Decided::Reply(PendingReply {
        token,
        user: user.cloned(),
        text,
    })
}

/// Replies with `text` now, if the token is still good (recording the
/// attempt first: the event goes on after this answer); otherwise applies
/// the fallback for `user`.
pub async fn answer(
    ctx: &AckContext,
    seq: i64,
    token: Option<ReplyToken>,
    user: Option<&LineUserId>,
    text: String,
) -> Answer {
    let pending = match decide(ctx, token, user, text).await {
        Decided::Now(answer) => return answer,
        Decided::Reply(pending) => pending,
    };
    if let Err(e) = ctx.store.inbox_mark_reply_attempted(seq).await {
        // Without the mark a crash could reuse the token; do not reply.
        tracing::error!(error = %e, "could not record reply attempt; not replying");
        return Answer::Failed(e.to_string());
    }
    pending.send(ctx).await
}

impl PendingReply {
    /// Calls the Reply API; a token that ran out after all gets the
    /// fallback.
    pub async fn send(self, ctx: &AckContext) -> Answer {
        let messages = [Message::text(self.text)];
        let sent = reply::send(
            &ctx.line,
            self.token,
            &messages,
            ctx.config.line.reply_deadline,
            ctx.clock.steady_ms(),
        )
        .await;
        match sent {
            Ok(()) => {
                ctx.metrics.replies.fetch_add(1, Ordering::Relaxed);
                Answer::Replied
            }
            Err(ReplyError::Expired { .. } | ReplyError::Line(LineError::InvalidReplyToken)) => {
                Box::pin(fallback(
                    ctx,
                    self.user.as_ref(),
                    &messages,
                    "reply token expired",
                ))
                .await
            }
            Err(ReplyError::Line(e)) => {
                tracing::warn!(error = %e, "Reply failed");
                Answer::Failed(e.to_string())
            }
        }
    }
}

/// Called boxed: inline, this rare path's future (a push) would be part of
/// every acknowledgement task's size (docs/BENCHMARKS.md, peak memory).
async fn fallback(
    ctx: &AckContext,
    user: Option<&LineUserId>,
    messages: &[Message],
    why: &str,
) -> Answer {
    ctx.metrics.fallbacks.fetch_add(1, Ordering::Relaxed);
    match (ctx.config.line.deadline_fallback, user) {
        (Fallback::Push, Some(user)) => {
            let target = PushTarget::User(user.clone());
            // A one-off push: a fresh key; LINE deduplicates retries of it for 24 h.
            match ctx.line.push(&target, messages, Uuid::new_v4()).await {
                Ok(_) => {
                    tracing::info!(reason = why, "answered with a paid push instead of Reply");
                    Answer::FallbackPush
                }
                Err(e) => {
                    tracing::warn!(reason = why, error = %e, "fallback push failed");
                    Answer::Failed(e.to_string())
                }
            }
        }
        (Fallback::Push, None) | (Fallback::None, _) => {
            tracing::info!(reason = why, "no Reply sent (deadline fallback: none)");
            Answer::FallbackNone
        }
    }
}
