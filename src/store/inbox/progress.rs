//! An inbox event's steps and its end: the write-back stage, the Reply
//! attempt, a scheduled retry, and the finish that writes the audit row and
//! the outcome push in the same transaction.

use rusqlite::{params, OptionalExtension};

use super::{Finish, Stage};
use crate::store::audit::AckRecord;
use crate::store::pushes::{OthersNotice, QueuedPush};
use crate::store::{Store, StoreError};

/// [`Store::inbox_set_stage`] on connection `c` (so another write can share
/// its transaction).
pub(in crate::store) fn set_stage_in(
    c: &rusqlite::Connection,
    seq: i64,
    stage: Stage,
    writeback_ref: Option<&str>,
) -> Result<(), StoreError> {
    c.prepare_cached(
        "UPDATE inbox SET stage = ?2, writeback_ref = COALESCE(?3, writeback_ref)
         WHERE seq = ?1",
    )?
    .execute(params![seq, stage.as_str(), writeback_ref])?;
    Ok(())
}

impl Store {
    /// Records the write-back stage (and what it produced).
    ///
    /// # Errors
    /// The write failed.
    pub async fn inbox_set_stage(
        &self,
        seq: i64,
        stage: Stage,
        writeback_ref: Option<String>,
    ) -> Result<(), StoreError> {
        self.call(move |c| set_stage_in(c, seq, stage, writeback_ref.as_deref()))
            .await
    }

    /// Marks that the Reply API is about to be called: a crash after this never
    /// calls it again for this event (the token is single-use).
    ///
    /// # Errors
    /// The write failed: do not call Reply.
    pub async fn inbox_mark_reply_attempted(&self, seq: i64) -> Result<(), StoreError> {
        self.call(move |c| {
            c.prepare_cached("UPDATE inbox SET reply_attempted = 1 WHERE seq = ?1")?
                .execute([seq])?;
            Ok(())
        })
        .await
    }

    /// Schedules another attempt, counting the one that failed (its
    /// backoff grows with the count).
    ///
    /// # Errors
    /// The write failed.
    pub async fn inbox_retry_at(
        &self,
        seq: i64,
        next_attempt_ms: i64,
        error: String,
    ) -> Result<(), StoreError> {
        self.call(move |c| {
            c.prepare_cached(
                "UPDATE inbox SET last_error = ?2, attempts = attempts + 1 WHERE seq = ?1",
            )?
            .execute(params![seq, error])?;
            c.prepare_cached(
                "UPDATE inbox_queue SET next_attempt_ms = ?2
                 WHERE seq = ?1 AND event_ts_ms = (SELECT event_ts_ms FROM inbox WHERE seq = ?1)",
            )?
            .execute(params![seq, next_attempt_ms])?;
            Ok(())
        })
        .await
    }

    /// Ends an event's processing, writing its audit row and the push that
    /// tells the person the outcome (if any) in the same transaction; and,
    /// if this acknowledgement was the notification's first, the notice to
    /// its other recipients (`others`). Returns how many the notice goes to.
    ///
    /// # Errors
    /// The write failed: the event stays pending and is resumed.
    pub async fn inbox_finish(
        &self,
        seq: i64,
        how: Finish,
        error: Option<String>,
        (audit, others): (Option<AckRecord>, Option<OthersNotice>),
        tell: Option<QueuedPush>,
        now_ms: i64,
    ) -> Result<usize, StoreError> {
        let (released, told) = self
            .call(move |c| {
                let event: Option<(String, i64)> = c
                    .prepare_cached("SELECT event_id, event_ts_ms FROM inbox WHERE seq = ?1")?
                    .query_row([seq], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?;
                let left_queue = match &event {
                    Some((_, ts)) => c
                        .prepare_cached(
                            "DELETE FROM inbox_queue WHERE event_ts_ms = ?1 AND seq = ?2",
                        )?
                        .execute(params![ts, seq])?,
                    None => 0,
                };
                // Once per event: a row already finished (or gone) records
                // nothing again, no audit row (the audit has no event-id key
                // to refuse a second) and no push.
                let Some((owner, _)) = event.filter(|_| left_queue == 1) else {
                    return Ok((0, 0));
                };
                // The event's row is written again only for what it must
                // keep: a failure and its reason; and a body that holds a
                // person's words (a message) is blanked. A postback's body
                // (our button's data) stays as it came until retention
                // removes the row; its reply token went with the queue entry.
                c.prepare_cached(
                    "UPDATE inbox SET failed = ?2, last_error = COALESCE(?3, last_error),
                        json = CASE kind WHEN 'postback' THEN json ELSE '' END
                     WHERE seq = ?1 AND (?2 OR ?3 IS NOT NULL OR kind != 'postback')",
                )?
                .execute(params![seq, matches!(how, Finish::Failed), error])?;
                let mut told = 0;
                if let Some(a) = audit {
                    let first = crate::store::audit::record(c, &a)?;
                    if let Some(notice) = others.filter(|_| first) {
                        told = crate::store::pushes::queue_others(c, &notice, now_ms)?;
                    }
                }
                if let Some(p) = tell {
                    crate::store::pushes::queue_in(c, &p, now_ms)?;
                }
                // An intent its write-back left unresolved (a permanent
                // error with the outcome unknown) must not hold a change.
                let released = crate::store::intents::finish_owner(c, &owner)?;
                Ok((released, told))
            })
            .await?;
        if released > 0 {
            self.changes_wake.notify_one();
        }
        Ok(told)
    }
}
