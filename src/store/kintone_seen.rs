//! `kintone_seen`: webhook ids already taken in. kintone may send one twice;
//! only the first is queued.

use rusqlite::{params, Connection};

use super::changes::queue_webhook;
use super::field_state::forget_record;
use super::StoreError;
use crate::domain::{AppId, RecordId};

/// What a webhook asks of the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookKind {
    /// The record changed: queue it to be judged.
    Change,
    /// The record was deleted: forget its stored values.
    Delete,
}

/// Marks webhook `id` taken in at `now`; `false` if it already was.
///
/// # Errors
/// The write failed.
pub fn mark_seen(c: &Connection, id: &str, now: i64) -> Result<bool, StoreError> {
    Ok(
        c.prepare_cached("INSERT OR IGNORE INTO kintone_seen(id, at_ms) VALUES (?1, ?2)")?
            .execute(params![id, now])?
            == 1,
    )
}

/// Takes in webhook `id` about `record` (its body `payload`), once: the
/// transaction the intake answers after. Returns whether it was new.
///
/// # Errors
/// The write failed.
pub fn take_webhook(
    c: &Connection,
    id: &str,
    app: AppId,
    record: RecordId,
    kind: WebhookKind,
    payload: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let fresh = mark_seen(c, id, now)?;
    match kind {
        _ if !fresh => {}
        WebhookKind::Delete => forget_record(c, app, record)?,
        WebhookKind::Change => queue_webhook(c, app, record, payload, now)?,
    }
    Ok(fresh)
}

/// Deletes up to `limit` webhook ids taken in before `before`, oldest first.
///
/// # Errors
/// The write failed.
pub(super) fn prune(c: &Connection, before: i64, limit: i64) -> Result<usize, StoreError> {
    let keys = super::retention::oldest(c, OLDEST, rusqlite::params![], before, limit)?;
    super::retention::delete_keys(c, "DELETE FROM kintone_seen WHERE rowid = ?1", &keys)
}

/// The pruning walk: `time, prunable, key` in row order (the tests read
/// its plan).
pub(super) const OLDEST: &str = "SELECT at_ms, 1, rowid FROM kintone_seen ORDER BY rowid";
