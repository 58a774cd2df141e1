//! Answering the person who tapped: Reply while the token is good, otherwise
//! the configured fallback — and a record of which happened.
//!
//! Before the Reply API is called, the inbox records that a reply was
//! attempted: a crash right after can never spend the single-use token twice.

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

/// Replies with `text` if the token is still good; otherwise applies the
/// fallback for `user`.
pub async fn answer(
    ctx: &AckContext,
    seq: i64,
    token: Option<ReplyToken>,
    user: Option<&LineUserId>,
    text: String,
) -> Answer {
    let messages = [Message::text(text)];
    // No token: a standby event (never answered), or one whose reply was
    // already attempted before a restart (a paid push could double it).
    // The fallback is only for a token that ran out of time.
    let Some(token) = token else {
        return Answer::Nothing;
    };
    if token
        .remaining(ctx.clock.steady_ms(), ctx.config.line.reply_deadline)
        .is_none()
    {
        return fallback(ctx, user, &messages, "reply deadline passed").await;
    }
    if let Err(e) = ctx.store.inbox_mark_reply_attempted(seq).await {
        // Without the mark a crash could reuse the token; do not reply.
        tracing::error!(error = %e, "could not record reply attempt; not replying");
        return Answer::Failed(e.to_string());
    }
    let sent = reply::send(
        &ctx.line,
        token,
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
            fallback(ctx, user, &messages, "reply token expired").await
        }
        Err(ReplyError::Line(e)) => {
            tracing::warn!(error = %e, "Reply failed");
            Answer::Failed(e.to_string())
        }
    }
}

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
