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
                    MAX(EXISTS (SELECT 1 FROM inbox i
                                WHERE i.event_id = w.owner AND i.state = 'pending'))
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
    let released = c
        .prepare_cached(
            "UPDATE changes SET held = 0, next_attempt_ms = 0
             WHERE held = 1 AND state = 'pending'
               AND (app, record) IN (SELECT app, record FROM write_intents WHERE owner = ?1)",
        )?
        .execute([owner])?;
    drop_intent(c, owner)?;
    Ok(released)
}

/// Holds change `seq` until `until_ms` (or until the write-back resolves).
///
/// # Errors
/// The write failed.
pub fn hold_change(c: &Connection, seq: i64, until_ms: i64) -> Result<(), StoreError> {
    c.prepare_cached(
        "UPDATE changes SET held = 1, next_attempt_ms = ?2,
            last_error = 'held: a write-back to this record is in flight'
         WHERE seq = ?1",
    )?
    .execute(params![seq, until_ms])?;
    Ok(())
}

/// Queues a polled record as a held change (once per record), so the poller
/// loses nothing it may not judge yet. It is re-read when released.
///
/// # Errors
/// The write failed.
pub fn queue_held(
    c: &Connection,
    app: i64,
    record: i64,
    until_ms: i64,
    now_ms: i64,
) -> Result<(), StoreError> {
    c.prepare_cached(
        "INSERT INTO changes(app, record, source, payload, received_ms, held, next_attempt_ms, last_error)
         SELECT ?1, ?2, 'poll', NULL, ?4, 1, ?3, 'held: a write-back to this record is in flight'
         WHERE NOT EXISTS (SELECT 1 FROM changes
                           WHERE app = ?1 AND record = ?2 AND held = 1 AND state = 'pending')",
    )?
    .execute(params![app, record, until_ms, now_ms])?;
    Ok(())
}

/// Makes the record's held changes due now.
fn release(c: &Connection, app: i64, record: i64) -> Result<usize, StoreError> {
    Ok(c.prepare_cached(
        "UPDATE changes SET held = 0, next_attempt_ms = 0
         WHERE app = ?1 AND record = ?2 AND held = 1 AND state = 'pending'",
    )?
    .execute(params![app, record])?)
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
                release(c, app, record)
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
                    c.prepare_cached("UPDATE inbox SET stage = 'new' WHERE seq = ?1")?
                        .execute([seq])?;
                }
                release(c, app, record)
            })
            .await?;
        if released > 0 {
            self.changes_wake.notify_one();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Record 5 of app 1, whose write-back will make revision 7.
    const INTENT: Intent = Intent {
        app: 1,
        record: 5,
        revision: 7,
    };

    fn changes(c: &Connection) -> Vec<(i64, i64)> {
        let mut st = c
            .prepare("SELECT held, next_attempt_ms FROM changes ORDER BY seq")
            .expect("query");
        let rows = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("rows");
        rows.map(|r| r.expect("row")).collect()
    }

    #[tokio::test]
    async fn an_intent_holds_its_revision_only_until_it_resolves_or_expires() {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::open(dir.path()).expect("store");
        let intent = INTENT;
        // A panel write: no inbox event owns it, so its life bounds it.
        store
            .begin_write(None, "panel:n1", None, intent, 1_000)
            .await
            .expect("begin");
        let (life, recheck) = (ms(INTENT_LIFE), ms(HOLD_RECHECK));
        let held = store
            .call(move |c| {
                let exact = held_until(c, 1, 5, 7, 2_000)?;
                let other = held_until(c, 1, 5, 6, 2_000)?;
                let late = held_until(c, 1, 5, 7, 1_000 + life - 1_000)?;
                let expired = held_until(c, 1, 5, 7, 1_000 + life)?;
                queue_held(c, 1, 5, 2_000 + recheck, 2_000)?;
                queue_held(c, 1, 5, 3_000 + recheck, 3_000)?;
                Ok((exact, other, late, expired, changes(c)))
            })
            .await
            .expect("read");
        assert_eq!(held.0, Some(2_000 + recheck), "held, looked at again soon");
        assert_eq!(held.1, None, "another revision cannot be this write's");
        assert_eq!(held.2, Some(1_000 + life), "the hold ends with the life");
        assert_eq!(held.3, None, "an intent's hold ends with its life");
        assert_eq!(held.4, vec![(1, 2_000 + recheck)], "one held poll change");

        store
            .write_landed("panel:n1", 1, 5, None, 4_000)
            .await
            .expect("landed");
        let after = store
            .call(|c| {
                let own: i64 = c.query_row(
                    "SELECT revision FROM own_writes WHERE app = 1 AND record = 5",
                    [],
                    |r| r.get(0),
                )?;
                Ok((own, held_until(c, 1, 5, 7, 4_000)?, changes(c)))
            })
            .await
            .expect("read");
        assert_eq!(after.0, 7, "the intent's revision became the gateway's own");
        assert_eq!(after.1, None);
        assert_eq!(after.2, vec![(0, 0)], "the held change is due");
    }

    #[tokio::test]
    async fn a_pending_events_intent_holds_until_the_event_ends() {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::open(dir.path()).expect("store");
        let seq = store.seed_event("ev1").await.expect("event");
        let intent = INTENT;
        store
            .begin_write(Some(seq), "ev1", None, intent, 1_000)
            .await
            .expect("begin");
        let (life, recheck) = (ms(INTENT_LIFE), ms(HOLD_RECHECK));
        // Long past its life (kintone out for an hour, the event retried
        // meanwhile), and with a time stored before the clock went back.
        let much_later = 1_000 + life + 3_600_000;
        let held = store
            .call(move |c| {
                let late = held_until(c, 1, 5, 7, much_later)?;
                let before = held_until(c, 1, 5, 7, 500)?;
                queue_held(c, 1, 5, much_later + recheck, much_later)?;
                Ok((late, before))
            })
            .await
            .expect("read");
        assert_eq!(held.0, Some(much_later + recheck), "the event is pending");
        assert_eq!(held.1, Some(500 + recheck), "a time ahead counts as now");

        // The event ends without its write resolved (a permanent error):
        // nothing will resolve the intent now, so it goes and the change is due.
        store
            .inbox_finish(
                seq,
                crate::store::inbox::Finish::Failed,
                None,
                None,
                None,
                2_000,
            )
            .await
            .expect("finish");
        let after = store
            .call(move |c| Ok((held_until(c, 1, 5, 7, much_later)?, changes(c))))
            .await
            .expect("read");
        assert_eq!(after.0, None);
        assert_eq!(after.1, vec![(0, 0)], "the held change is due");
    }

    #[tokio::test]
    async fn a_refused_write_leaves_no_own_revision() {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::open(dir.path()).expect("store");
        let intent = INTENT;
        store
            .begin_write(None, "ev1", None, intent, 1_000)
            .await
            .expect("begin");
        store
            .write_refused(None, "ev1", 1, 5)
            .await
            .expect("refused");
        let (own, held): (i64, Option<i64>) = store
            .call(|c| {
                let own = c.query_row("SELECT COUNT(*) FROM own_writes", [], |r| r.get(0))?;
                Ok((own, held_until(c, 1, 5, 7, 2_000)?))
            })
            .await
            .expect("read");
        assert_eq!((own, held), (0, None));
    }
}
