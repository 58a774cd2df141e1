//! One-off pushes the acknowledgement loop hands to the outbox worker: a
//! person told how their acknowledgement ended after an early Reply.
//!
//! The row is written in the same transaction that finishes the inbox event,
//! so a crash cannot lose the message or send it twice: the outbox worker
//! sends a stored row as it is, with the retry key fixed here.

use rusqlite::{params, Connection};
use uuid::Uuid;

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

/// Stores one pending push request with a fresh `X-Line-Retry-Key`, fixed
/// from now on: `recipients` and `messages` are JSON arrays, `message_count`
/// what LINE will count. `created_ms` is wall time (the `outbox` command
/// prints it). Returns the request's id.
///
/// # Errors
/// The write failed.
pub fn insert_request(
    c: &Connection,
    recipients: &str,
    messages: &str,
    message_count: i64,
    created_ms: i64,
) -> Result<i64, StoreError> {
    c.prepare_cached(
        "INSERT INTO outbox(retry_key, recipients, messages, message_count, created_ms)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        Uuid::new_v4().to_string(),
        recipients,
        messages,
        message_count,
        created_ms
    ])?;
    Ok(c.last_insert_rowid())
}
