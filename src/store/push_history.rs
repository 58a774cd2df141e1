//! `push_history`: how many cards each recipient's recent push requests
//! carried, for the pacing (`notify::pacing`), which says how long it counts.

use rusqlite::{params, Connection};

use super::StoreError;

/// Drops history made at or before steady time `until`.
///
/// # Errors
/// The write failed.
pub fn forget_old(c: &Connection, until: i64) -> Result<(), StoreError> {
    c.prepare_cached("DELETE FROM push_history WHERE at_ms <= ?1")?
        .execute([until])?;
    Ok(())
}

/// Times ahead of `now` become `now`.
///
/// # Errors
/// The write failed.
pub fn settle_future(c: &Connection, now: i64) -> Result<(), StoreError> {
    c.prepare_cached("UPDATE push_history SET at_ms = ?1 WHERE at_ms > ?1")?
        .execute([now])?;
    Ok(())
}

/// When `recipient`'s requests made after `since` with fewer than `full`
/// cards were made.
///
/// # Errors
/// The read failed.
pub fn recent_partials(
    c: &Connection,
    recipient: &str,
    since: i64,
    full: i64,
) -> Result<Vec<i64>, StoreError> {
    let mut st = c.prepare_cached(
        "SELECT at_ms FROM push_history WHERE recipient = ?1 AND at_ms > ?2 AND cards < ?3",
    )?;
    let rows = st.query_map(params![recipient, since, full], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Records a request of `cards` cards to each of `recipients` at `now`.
///
/// # Errors
/// The write failed.
pub fn remember(
    c: &Connection,
    recipients: &[String],
    cards: i64,
    now: i64,
) -> Result<(), StoreError> {
    let mut st =
        c.prepare_cached("INSERT INTO push_history(recipient, at_ms, cards) VALUES (?1, ?2, ?3)")?;
    for recipient in recipients {
        st.execute(params![recipient, now, cards])?;
    }
    Ok(())
}

/// Deletes up to `limit` history rows made (steady) before `before`.
///
/// # Errors
/// The write failed.
pub(super) fn prune(c: &Connection, before: i64, limit: i64) -> Result<usize, StoreError> {
    let keys = super::retention::oldest(c, OLDEST, rusqlite::params![], before, limit)?;
    super::retention::delete_keys(c, "DELETE FROM push_history WHERE rowid = ?1", &keys)
}

/// The pruning walk: `time, prunable, key` in row order.
pub(super) const OLDEST: &str = "SELECT at_ms, 1, rowid FROM push_history ORDER BY rowid";

/// Rows kept (tests check the window).
///
/// # Errors
/// The read failed.
#[cfg(any(test, feature = "sim"))]
pub fn count(c: &Connection) -> Result<i64, StoreError> {
    Ok(c.query_row("SELECT COUNT(*) FROM push_history", [], |r| r.get(0))?)
}
