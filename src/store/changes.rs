//! `changes`: the queue of kintone changes waiting to be judged — webhook
//! hints and polled records that were held. A change leaves the queue in the
//! transaction that stores its verdict (see [`crate::store::verdicts`]).
//! A change a write-back intent expects is *held* until the intent resolves
//! (see [`crate::store::intents`]); releasing it makes it due at once.

use rusqlite::{params, Connection};

use super::StoreError;
use crate::clock::retry_due_before;
use crate::domain::{AppId, RecordId};

/// Where a change is in its life (`changes.state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeState {
    /// Waiting to be judged (maybe held, maybe retrying).
    Pending,
    /// Judged, or given up on (`last_error` says why).
    Done,
}

/// [`ChangeState::Pending`] as stored, for the queries that must spell it
/// out.
const PENDING: &str = "pending";

impl ChangeState {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeState::Pending => PENDING,
            ChangeState::Done => "done",
        }
    }
}

/// A queued change as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingChange {
    pub seq: i64,
    pub app: i64,
    pub record: i64,
    /// The webhook body; `None` for a change the poller queued.
    pub payload: Option<String>,
    pub attempts: i64,
}

/// Due changes: `?1` now, `?2` how many, `?3` the time beyond which a retry
/// time is from before the clock went back.
const DUE: &str = "SELECT seq, app, record, payload, attempts FROM changes
     WHERE state = 'pending' AND (next_attempt_ms <= ?1 OR next_attempt_ms > ?3)
     ORDER BY seq LIMIT ?2";

/// Up to `limit` changes due at steady time `now`, oldest first. A retry
/// time further ahead than any backoff was stored before the clock went
/// back: due now.
///
/// # Errors
/// The read failed.
pub fn due(c: &Connection, now: i64, limit: i64) -> Result<Vec<PendingChange>, StoreError> {
    // `state = 'pending'` written out: only a literal lets SQLite use the
    // partial index on pending changes (`PENDING` is the same text).
    let mut st = c.prepare_cached(DUE)?;
    let rows = st.query_map(params![now, limit, retry_due_before(now)], |r| {
        Ok(PendingChange {
            seq: r.get(0)?,
            app: r.get(1)?,
            record: r.get(2)?,
            payload: r.get(3)?,
            attempts: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// The earliest retry or hold time (steady) of a pending change, if any.
///
/// # Errors
/// The read failed.
pub fn next_due(c: &Connection) -> Result<Option<i64>, StoreError> {
    Ok(
        c.prepare_cached("SELECT MIN(next_attempt_ms) FROM changes WHERE state = 'pending'")?
            .query_row([], |r| r.get(0))?,
    )
}

/// Queues a webhook hint (its body as received) at wall time `now`.
///
/// # Errors
/// The write failed.
pub fn queue_webhook(
    c: &Connection,
    app: AppId,
    record: RecordId,
    payload: &str,
    now: i64,
) -> Result<(), StoreError> {
    c.prepare_cached(
        "INSERT INTO changes(app, record, source, payload, received_ms)
         VALUES (?1, ?2, 'webhook', ?3, ?4)",
    )?
    .execute(params![app.stored(), record.stored(), payload, now])?;
    Ok(())
}

/// Takes change `seq` off the queue; `note` says why, when it was not judged.
/// Its webhook body goes: only a pending change is read, and kept, the
/// body's pages (several KiB of record JSON) would be copied again with
/// the row's new state.
///
/// # Errors
/// The write failed.
pub fn close(c: &Connection, seq: i64, note: Option<&str>) -> Result<(), StoreError> {
    c.prepare_cached(
        "UPDATE changes SET state = ?2, payload = NULL, last_error = COALESCE(?3, last_error)
         WHERE seq = ?1",
    )?
    .execute(params![seq, ChangeState::Done.as_str(), note])?;
    Ok(())
}

/// Schedules another attempt at change `seq` at steady time `next`.
///
/// # Errors
/// The write failed.
pub fn schedule_retry(c: &Connection, seq: i64, next: i64, why: &str) -> Result<(), StoreError> {
    c.prepare_cached(
        "UPDATE changes SET attempts = attempts + 1, next_attempt_ms = ?2, last_error = ?3
         WHERE seq = ?1",
    )?
    .execute(params![seq, next, why])?;
    Ok(())
}

/// `last_error` of a held change: why it waits.
const HELD_NOTE: &str = "held: a write-back to this record is in flight";

/// Holds change `seq` until `until_ms` (or until the write-back resolves).
///
/// # Errors
/// The write failed.
pub fn hold_change(c: &Connection, seq: i64, until_ms: i64) -> Result<(), StoreError> {
    c.prepare_cached(
        "UPDATE changes SET held = 1, next_attempt_ms = ?2, last_error = ?3 WHERE seq = ?1",
    )?
    .execute(params![seq, until_ms, HELD_NOTE])?;
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
         SELECT ?1, ?2, 'poll', NULL, ?4, 1, ?3, ?5
         WHERE NOT EXISTS (SELECT 1 FROM changes
                           WHERE app = ?1 AND record = ?2 AND held = 1 AND state = 'pending')",
    )?
    .execute(params![app, record, until_ms, now_ms, HELD_NOTE])?;
    Ok(())
}

/// Makes the record's held changes due now. Returns how many.
///
/// # Errors
/// The write failed.
pub(super) fn release_held(c: &Connection, app: i64, record: i64) -> Result<usize, StoreError> {
    Ok(c.prepare_cached(
        "UPDATE changes SET held = 0, next_attempt_ms = 0
         WHERE app = ?1 AND record = ?2 AND held = 1 AND state = 'pending'",
    )?
    .execute(params![app, record])?)
}

/// Makes due the held changes of every record inbox event `owner` has a
/// write intent on. Returns how many.
///
/// # Errors
/// The write failed.
pub(super) fn release_held_by_owner(c: &Connection, owner: &str) -> Result<usize, StoreError> {
    Ok(c.prepare_cached(
        "UPDATE changes SET held = 0, next_attempt_ms = 0
         WHERE held = 1 AND state = 'pending'
           AND (app, record) IN (SELECT app, record FROM write_intents WHERE owner = ?1)",
    )?
    .execute([owner])?)
}

/// Deletes up to `limit` judged changes received before `before`, oldest
/// first (with the webhook bodies they kept).
///
/// # Errors
/// The write failed.
pub(super) fn prune(c: &Connection, before: i64, limit: i64) -> Result<usize, StoreError> {
    let keys = super::retention::oldest(c, OLDEST, rusqlite::params![], before, limit)?;
    super::retention::delete_keys(c, "DELETE FROM changes WHERE seq = ?1", &keys)
}

/// The pruning walk: `time, prunable, key` in row order (the tests read
/// its plan).
pub(super) const OLDEST: &str =
    "SELECT received_ms, state != 'pending', seq FROM changes ORDER BY seq";

/// Changes still waiting (for `status`).
pub(super) const PENDING_COUNT: &str = "SELECT COUNT(*) FROM changes WHERE state = 'pending'";

#[cfg(test)]
mod tests {
    #[test]
    fn the_queries_spell_the_pending_state_as_it_is_stored() {
        assert!(super::PENDING_COUNT.contains(&format!("'{}'", super::PENDING)));
    }
    #[test]
    fn due_reads_walk_the_partial_index_of_pending_rows() {
        let plan = crate::store::query_plan(super::DUE, [1, 2, 3]);
        assert!(plan.join(" ").contains("changes_pending_order"), "{plan:?}");
    }

    #[test]
    fn the_next_due_time_is_the_earliest_pending_retry_or_hold() {
        let c = rusqlite::Connection::open_in_memory().expect("db");
        crate::store::schema::migrate(&c).expect("migrate");
        assert_eq!(super::next_due(&c).expect("read"), None, "nothing pending");
        c.execute_batch(
            "INSERT INTO changes(app, record, source, received_ms, next_attempt_ms, state)
             VALUES (1, 1, 'poll', 0, 900, 'pending'), (1, 2, 'poll', 0, 500, 'pending'),
                    (1, 3, 'poll', 0, 100, 'done')",
        )
        .expect("rows");
        assert_eq!(super::next_due(&c).expect("read"), Some(500));
    }
}
