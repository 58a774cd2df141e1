//! Writing back within the Reply's deadline: a slow kintone gets an early
//! "Received — recording…" Reply while the write goes on, and a busy one is
//! retried in-call while the Reply can still wait.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::postback::Tap;
use super::respond::{answer, Answer};
use super::AckContext;
use crate::acknowledge::writeback::{write_back, Services, WriteBackError, WriteJob, Written};
use crate::config::AckMethod;
use crate::inbound::reply::ReplyToken;
use crate::retry::default_backoff;
use crate::store::inbox::{InboxRow, Stage};

/// Replies go out early ("Received — recording…") when the write-back is
/// still running this long before the deadline.
const EARLY_REPLY_MARGIN: Duration = Duration::from_secs(5);

/// The result of the write-back, and the token if it was not spent early.
pub(super) struct Outcome {
    pub(super) result: Result<Written, WriteBackError>,
    pub(super) token: Option<ReplyToken>,
    pub(super) early: Answer,
}

/// Writes `tap` back, answering early if kintone is slow and retrying
/// while the Reply can wait.
pub(super) async fn write_with_deadline(
    ctx: &AckContext,
    tap: &Tap<'_>,
    vars: &HashMap<&'static str, String>,
    mut token: Option<ReplyToken>,
) -> Outcome {
    let mut early = Answer::Nothing;
    let mut attempt = 0u32;
    // The row as the store has it: an attempt that failed may have got as far
    // as the `Writing` stage (a comment stored by kintone whose answer was
    // lost), and the next attempt must resume from there — search for the
    // marker, use the stored revision — not start over.
    let mut current = tap.row.clone();
    loop {
        let result = write_once(ctx, tap, &current, vars, &mut token, &mut early).await;
        let e = match result {
            Err(e) if e.is_retryable() => e,
            result => {
                break Outcome {
                    result,
                    token,
                    early,
                }
            }
        };
        attempt += 1;
        ctx.metrics.retries.fetch_add(1, Ordering::Relaxed);
        let pause = default_backoff(attempt);
        if reply_time_left(ctx, token.as_ref()).is_some_and(|l| l > pause + EARLY_REPLY_MARGIN) {
            tracing::info!(event = %tap.row.event_id, error = %e, "kintone busy; retrying while the reply can wait");
            tokio::time::sleep(pause).await;
            // Not knowing how far the attempt got (the row cannot be read),
            // retrying now could double the write: leave it to the scheduled
            // retry, which reads the row afresh.
            if let Ok(Some(stored)) = ctx.store.inbox_get(&tap.row.event_id).await {
                current = stored;
                continue;
            }
        }
        break Outcome {
            result: Err(e),
            token,
            early,
        };
    }
}

/// One write-back attempt from `current` (the row as stored), answering
/// early (spending `token` into `early`) if it runs close to the deadline.
async fn write_once(
    ctx: &AckContext,
    tap: &Tap<'_>,
    current: &InboxRow,
    vars: &HashMap<&'static str, String>,
    token: &mut Option<ReplyToken>,
    early: &mut Answer,
) -> Result<Written, WriteBackError> {
    let services = Services {
        store: &ctx.store,
        kintone: &ctx.kintone,
        clock: &ctx.clock,
    };
    // A comment's attempt stores no stage before it posts: whether an
    // earlier run or attempt may have posted is `resume`'s to say.
    let comment = matches!(tap.app.ack.method, AckMethod::Comment(_));
    let stage = match current.stage {
        Stage::New if comment && ctx.resume.may_be_written(current.seq) => Stage::Writing,
        stage => stage,
    };
    ctx.resume.trying(current.seq);
    let job = WriteJob {
        inbox: Some(current.seq),
        key: &current.event_id,
        stage,
        writeback_ref: current.writeback_ref.as_deref(),
        record: tap.ack.record,
        method: &tap.app.ack.method,
        vars,
        language: ctx.config.language,
    };
    let work = write_back(services, &tap.app.auth, job);
    tokio::pin!(work);
    let Some(wait) = reply_time_left(ctx, token.as_ref()) else {
        return work.await;
    };
    tokio::select! {
        r = &mut work => r,
        () = tokio::time::sleep(wait.saturating_sub(EARLY_REPLY_MARGIN)) => {
            // Slow kintone: answer now, keep writing.
            let recording = ctx.config.language.catalogue().recording;
            // Boxed: inline, this rare path's future would be part of every
            // acknowledgement task's size (docs/BENCHMARKS.md, peak memory).
            *early = Box::pin(answer(ctx, tap.row.seq, token.take(), None, recording.into())).await;
            work.await
        }
    }
}

/// How long the Reply can still be sent; `None` without a token.
fn reply_time_left(ctx: &AckContext, token: Option<&ReplyToken>) -> Option<Duration> {
    token.and_then(|t| t.remaining(ctx.clock.steady_ms(), ctx.config.line.reply_deadline))
}
