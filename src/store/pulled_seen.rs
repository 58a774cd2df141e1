//! `pulled_seen`: Pub/Sub message ids of LINE Notify calls already taken
//! in. Pub/Sub delivers at least once; a webhook carries its own id (LINE's
//! `webhookEventId`, kintone's `id`), a LINE Notify call only the message's.

use rusqlite::{params, Connection};

use super::StoreError;

/// Marks message `id` taken in at `now`; `false` if it already was.
///
/// # Errors
/// The write failed.
pub fn mark_seen(c: &Connection, id: &str, now: i64) -> Result<bool, StoreError> {
    Ok(
        c.prepare_cached("INSERT OR IGNORE INTO pulled_seen(id, at_ms) VALUES (?1, ?2)")?
            .execute(params![id, now])?
            == 1,
    )
}

/// Deletes up to `limit` message ids taken in before `before`, oldest
/// first (Pub/Sub keeps a message at most 7 days).
///
/// # Errors
/// The write failed.
pub(super) fn prune(c: &Connection, before: i64, limit: i64) -> Result<usize, StoreError> {
    super::retention::delete_oldest(
        c,
        "DELETE FROM pulled_seen WHERE rowid IN (
             SELECT rowid FROM pulled_seen WHERE at_ms < ?1 ORDER BY at_ms LIMIT ?2)",
        before,
        limit,
    )
}
