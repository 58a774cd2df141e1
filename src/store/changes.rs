//! `changes`: the queue of kintone changes waiting to be judged — webhook
//! hints and polled records that were held. A change leaves the queue in the
//! transaction that stores its verdict (see [`crate::store::verdicts`]).

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

impl ChangeState {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeState::Pending => "pending",
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

/// Up to `limit` changes due at steady time `now`, oldest first. A retry
/// time further ahead than any backoff was stored before the clock went
/// back: due now.
///
/// # Errors
/// The read failed.
pub fn due(c: &Connection, now: i64, limit: i64) -> Result<Vec<PendingChange>, StoreError> {
    let mut st = c.prepare_cached(
        "SELECT seq, app, record, payload, attempts FROM changes
         WHERE state = ?4 AND (next_attempt_ms <= ?1 OR next_attempt_ms > ?3)
         ORDER BY seq LIMIT ?2",
    )?;
    let pending = ChangeState::Pending.as_str();
    let rows = st.query_map(params![now, limit, retry_due_before(now), pending], |r| {
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
///
/// # Errors
/// The write failed.
pub fn close(c: &Connection, seq: i64, note: Option<&str>) -> Result<(), StoreError> {
    c.prepare_cached(
        "UPDATE changes SET state = ?2, last_error = COALESCE(?3, last_error) WHERE seq = ?1",
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

/// Changes still waiting (for `status`).
pub(super) const PENDING_COUNT: &str = "SELECT COUNT(*) FROM changes WHERE state = 'pending'";
