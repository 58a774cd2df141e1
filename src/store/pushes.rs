//! One-off pushes the acknowledgement loop hands to the outbox worker: a
//! person told how their acknowledgement ended after an early Reply.
//!
//! The row is written in the same transaction that finishes the inbox event,
//! so a crash cannot lose the message or send it twice: the outbox worker
//! sends a stored row as it is, with the retry key fixed here.

use rusqlite::Connection;

use super::StoreError;

/// A push to one LINE user or group, its messages already serialised as the
/// Messaging API takes them (the store does not know LINE's types).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedPush {
    pub recipient: String,
    /// A JSON array of message objects.
    pub messages: String,
}

/// Stores `push` as a pending outbox request; returns its id.
///
/// # Errors
/// The write failed.
pub(super) fn queue_in(c: &Connection, push: &QueuedPush, now_ms: i64) -> Result<i64, StoreError> {
    let to = serde_json::to_string(&[&push.recipient])
        .map_err(|e| StoreError::Invalid(e.to_string()))?;
    insert_request(c, &to, &push.messages, 1, now_ms)
}

/// A notice for a notification's other 1:1 recipients (`tell_others`):
/// everyone it was pushed to but `except` (who acknowledged) and groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OthersNotice {
    pub notification: String,
    pub except: Option<String>,
    /// A JSON array of message objects.
    pub messages: String,
}

/// Stores the notice as one pending request to the others; returns how many
/// it goes to (LINE counts each).
///
/// # Errors
/// The write failed.
pub(super) fn queue_others(
    c: &Connection,
    notice: &OthersNotice,
    now_ms: i64,
) -> Result<usize, StoreError> {
    let mut st = c.prepare_cached(
        "SELECT DISTINCT recipient FROM deliveries
         WHERE notification = ?1 AND recipient LIKE 'U%' AND recipient <> COALESCE(?2, '')
         ORDER BY recipient",
    )?;
    let others: Vec<String> = st
        .query_map(rusqlite::params![notice.notification, notice.except], |r| {
            r.get(0)
        })?
        .collect::<Result<_, _>>()?;
    if others.is_empty() {
        return Ok(0);
    }
    let to = serde_json::to_string(&others).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let count = i64::try_from(others.len()).unwrap_or(i64::MAX);
    insert_request(c, &to, &notice.messages, count, now_ms)?;
    Ok(others.len())
}

pub use super::outbox::insert_request;
