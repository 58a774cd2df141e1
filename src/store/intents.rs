//! Write-back intents: the revision a status or field write-back will
//! produce, stored *before* the write is sent, so the write's webhook echo
//! notifies no one whatever arrives first — the echo, kintone's answer, or a
//! power cut.
//!
//! The write carries the revision it expects, so its result is known in
//! advance: a status action moves the revision by 2, a field update by 1.
//! An intent (one per write-back, keyed by its inbox event id) lives like
//! this:
//! - [`Store::begin_write`] records it in the transaction that enters the
//!   `writing` stage: no extra commit per acknowledgement.
//! - [`Store::write_landed`]: kintone answered, or a resumed attempt found the
//!   write done. The revision joins `own_writes` (an echo from then on) and
//!   the intent goes.
//! - [`Store::write_refused`]: kintone definitely did not apply it (409, other
//!   4xx). The intent goes, so a person's change that took that revision
//!   notifies as it should.
//! - Outcome unknown (timeout, 5xx, kill -9): the intent stays until the
//!   write-back's next attempt resolves it one way or the other.
//!
//! While an intent is live, a change of its record that reaches exactly its
//! revision is *held*, not judged (`notify::detect::decide`): calling it an
//! echo because an intent exists would swallow a person's change whenever our
//! write did not land. Resolving an intent makes the record's held changes
//! due at once and wakes the change worker. [`INTENT_LIFE`] bounds the hold.

use std::time::Duration;

use rusqlite::{params, Connection};

use super::changes::{release_held, release_held_by_owner};
use super::inbox::{set_stage_in, Stage};
use super::{Store, StoreError};
use crate::clock::millis as ms;

/// How long an intent whose owner is not a pending inbox event (an office
/// panel write cut off by a crash) holds its record's changes; after that
/// the change is judged as anyone's. An intent of a pending inbox event holds
/// for as long as the event is pending: its next attempt, however far the
/// backoff puts it, resolves the intent, and finishing the event drops it.
pub const INTENT_LIFE: Duration = Duration::from_secs(600);

/// A held change is looked at again at least this often (resolving its
/// intent makes it due at once). Kept well under
/// [`crate::clock::MAX_RETRY_AHEAD`], beyond which a stored time reads as
/// one from before the clock went back.
pub const HOLD_RECHECK: Duration = Duration::from_secs(60);

/// The revision a write-back is about to produce on a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Intent {
    pub app: i64,
    pub record: i64,
    pub revision: i64,
}

/// Until when a change of `record` at `revision` is held (steady time
/// `now_ms`): `Some` while a live intent expects that revision — its owner
/// is a pending inbox event, or it is younger than [`INTENT_LIFE`]. A time
/// stored ahead of `now_ms` (before the clock went back) counts as `now_ms`.
/// The hold ends by [`HOLD_RECHECK`] at the latest, to be looked at again.
///
/// # Errors
/// The read failed.
pub fn held_until(
    c: &Connection,
    app: i64,
    record: i64,
    revision: i64,
    now_ms: i64,
) -> Result<Option<i64>, StoreError> {
    let (at, owner_pending): (Option<i64>, Option<bool>) = c
        .prepare_cached(
            "SELECT MAX(MIN(w.at_ms, ?4)),
                    MAX(EXISTS (SELECT 1 FROM inbox i JOIN inbox_queue q
                                  ON q.event_ts_ms = i.event_ts_ms AND q.seq = i.seq
                                WHERE i.event_id = w.owner))
             FROM write_intents w WHERE w.app = ?1 AND w.record = ?2 AND w.revision = ?3",
        )?
        .query_row(params![app, record, revision, now_ms], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    let Some(at) = at else {
        return Ok(None);
    };
    let recheck = now_ms.saturating_add(ms(HOLD_RECHECK));
    if owner_pending == Some(true) {
        return Ok(Some(recheck));
    }
    let ends = at.saturating_add(ms(INTENT_LIFE));
    Ok((ends > now_ms).then_some(ends.min(recheck)))
}

/// Drops the intent of inbox event `owner`, which has finished, and makes
/// the changes it held due: whatever its write did, nothing will resolve it
/// now. Returns how many changes were released.
///
/// # Errors
/// The write failed.
pub(super) fn finish_owner(c: &Connection, owner: &str) -> Result<usize, StoreError> {
    let released = release_held_by_owner(c, owner)?;
    drop_intent(c, owner)?;
    Ok(released)
}

fn drop_intent(c: &Connection, owner: &str) -> Result<(), StoreError> {
    c.prepare_cached("DELETE FROM write_intents WHERE owner = ?1")?
        .execute([owner])?;
    Ok(())
}

impl Store {
    /// Enters the `writing` stage of inbox row `seq`, if any (as
    /// [`Store::inbox_set_stage`]) and, in the same transaction, records
    /// what the write is about to produce (replacing `owner`'s earlier
    /// intent: an attempt that got this far again did not land before).
    ///
    /// # Errors
    /// The write failed: do not send the write.
    pub async fn begin_write(
        &self,
        seq: Option<i64>,
        owner: &str,
        writeback_ref: Option<String>,
        intent: Intent,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let owner = owner.to_owned();
        self.call(move |c| {
            if let Some(seq) = seq {
                set_stage_in(c, seq, Stage::Writing, writeback_ref.as_deref())?;
            }
            c.prepare_cached(
                "INSERT INTO write_intents(owner, app, record, revision, at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(owner) DO UPDATE SET app = excluded.app, record = excluded.record,
                    revision = excluded.revision, at_ms = excluded.at_ms",
            )?
            .execute(params![
                owner,
                intent.app,
                intent.record,
                intent.revision,
                now_ms
            ])?;
            Ok(())
        })
        .await
    }

    /// `owner`'s write is in kintone: `revision` (or, when a resumed attempt
    /// only found it done, the revision its intent expected) is the
    /// gateway's own, and the record's held changes are due.
    ///
    /// # Errors
    /// The write failed.
    pub async fn write_landed(
        &self,
        owner: &str,
        app: i64,
        record: i64,
        revision: Option<i64>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let owner = owner.to_owned();
        let released = self
            .call(move |c| {
                match revision {
                    Some(rev) => c
                        .prepare_cached(
                            "INSERT OR IGNORE INTO own_writes(app, record, revision, at_ms)
                             VALUES (?1, ?2, ?3, ?4)",
                        )?
                        .execute(params![app, record, rev, now_ms])?,
                    None => c
                        .prepare_cached(
                            "INSERT OR IGNORE INTO own_writes(app, record, revision, at_ms)
                             SELECT app, record, revision, ?2 FROM write_intents WHERE owner = ?1",
                        )?
                        .execute(params![owner, now_ms])?,
                };
                drop_intent(c, &owner)?;
                release_held(c, app, record)
            })
            .await?;
        if released > 0 {
            self.changes_wake.notify_one();
        }
        Ok(())
    }

    /// `owner`'s write definitely did not reach kintone: nothing of the
    /// gateway's is out there. The intent goes, inbox row `seq` (if any) is back at
    /// `new` (a later attempt must not take a revision that moved meanwhile
    /// for its own), and the record's held changes are due.
    ///
    /// # Errors
    /// The write failed.
    pub async fn write_refused(
        &self,
        seq: Option<i64>,
        owner: &str,
        app: i64,
        record: i64,
    ) -> Result<(), StoreError> {
        let owner = owner.to_owned();
        let released = self
            .call(move |c| {
                drop_intent(c, &owner)?;
                if let Some(seq) = seq {
                    set_stage_in(c, seq, Stage::New, None)?;
                }
                release_held(c, app, record)
            })
            .await?;
        if released > 0 {
            self.changes_wake.notify_one();
        }
        Ok(())
    }
}

/// Deletes up to `limit` of the gateway's own revisions recorded before
/// `before`, oldest first: their echoes were judged long ago.
///
/// # Errors
/// The write failed.
pub(super) fn prune_own_writes(
    c: &Connection,
    before: i64,
    limit: i64,
) -> Result<usize, StoreError> {
    super::retention::delete_oldest(
        c,
        "DELETE FROM own_writes WHERE rowid IN (
             SELECT rowid FROM own_writes WHERE at_ms < ?1 ORDER BY at_ms LIMIT ?2)",
        before,
        limit,
    )
}

#[cfg(test)]
mod tests;
