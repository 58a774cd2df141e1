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

pub use super::outbox::insert_request;
