//! `outbox`: push requests, their body and `X-Line-Retry-Key` fixed before
//! the first attempt, sent as stored until LINE accepts or refuses them. A
//! request of one part's cards (`cards`) keeps no copy of them: its body is
//! the cards of the deliveries carrying its id (`cards`, written once).

use rusqlite::{params, Connection};
use uuid::Uuid;

use super::StoreError;
use crate::clock::retry_due_before;

/// Where a push request is (`outbox.state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PushState {
    /// Not accepted yet: due at `next_attempt_ms`.
    Pending,
    /// LINE accepted it (or answered 409 for its key).
    Sent,
    /// LINE refused it: a dead letter.
    Dead,
}

impl PushState {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            PushState::Pending => "pending",
            PushState::Sent => "sent",
            PushState::Dead => "dead",
        }
    }
}

impl std::fmt::Display for PushState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// Compares with the stored text (what the operator commands print).
impl PartialEq<&str> for PushState {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl rusqlite::types::ToSql for PushState {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(self.as_str().into())
    }
}

impl rusqlite::types::FromSql for PushState {
    fn column_result(v: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        let text = v.as_str()?;
        [PushState::Pending, PushState::Sent, PushState::Dead]
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| {
                rusqlite::types::FromSqlError::Other(format!("push state {text:?}").into())
            })
    }
}

/// A push request as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushRequest {
    pub id: i64,
    pub retry_key: String,
    /// LINE user or group ids.
    pub recipients: Vec<String>,
    /// A JSON array of message objects; empty when [`PushRequest::cards`].
    pub messages: String,
    /// Its messages are the cards of the deliveries carrying its id
    /// ([`super::deliveries::cards_of_push`]), packed as when it was made.
    pub cards: bool,
    pub attempts: i64,
    /// Sent with `notificationDisabled` (made in the quiet hours).
    pub silent: bool,
}

/// What an attempt at a push request came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// Accepted, at wall time `at_ms`, with LINE's request id.
    Sent { at_ms: i64, request_id: String },
    /// Try again at steady time `next_ms`.
    Retry { next_ms: i64, error: String },
    /// Refused for good.
    Dead { error: String },
}

/// One push request to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPush {
    /// LINE ids, as a JSON array.
    pub recipients: String,
    /// Messages, as a JSON array; empty when `cards`.
    pub messages: String,
    /// The messages are the cards of `deliveries` (one recipient's), not
    /// stored again: the request's only when a part packs into one.
    pub cards: bool,
    /// What LINE will count: one per recipient.
    pub message_count: i64,
    /// The deliveries it carries (the first request of a part keeps them).
    pub deliveries: Vec<i64>,
    /// Goes with `notificationDisabled`.
    pub silent: bool,
}

/// One request's worth of cards for some recipients: its requests, and
/// what the pacing remembers about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub pushes: Vec<NewPush>,
    pub recipients: Vec<String>,
    pub cards: i64,
}

/// Stores one part's requests (wall time `created_ms`) and, in the pacing
/// history, that its recipients got them at steady time `now`. Returns how
/// many requests were stored.
///
/// # Errors
/// The write failed.
pub fn insert_part(
    c: &Connection,
    part: &Part,
    now: i64,
    created_ms: i64,
) -> Result<usize, StoreError> {
    for push in &part.pushes {
        let id = insert_request(
            c,
            &push.recipients,
            &push.messages,
            push.message_count,
            created_ms,
        )?;
        if push.silent || push.cards {
            c.prepare_cached("UPDATE outbox SET silent = ?2, cards = ?3 WHERE id = ?1")?
                .execute(params![id, push.silent, push.cards])?;
        }
        super::deliveries::assign(c, &push.deliveries, id)?;
    }
    super::push_history::remember(c, &part.recipients, part.cards, now)?;
    Ok(part.pushes.len())
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

/// Due requests: `?1` now, `?2` the time beyond which a retry time is from
/// before the clock went back, `?3` how many.
const DUE: &str = "SELECT id, retry_key, recipients, messages, attempts, silent, cards FROM outbox
     WHERE state = 'pending' AND (next_attempt_ms <= ?1 OR next_attempt_ms > ?2)
     ORDER BY id LIMIT ?3";

/// Up to `limit` requests due at steady time `now`, oldest first. A retry
/// time further ahead than any backoff was stored before the clock went
/// back: due now.
///
/// # Errors
/// The read failed.
pub fn due(c: &Connection, now: i64, limit: i64) -> Result<Vec<PushRequest>, StoreError> {
    // `state = 'pending'` written out: only a literal lets SQLite use the
    // partial index on pending requests.
    let mut st = c.prepare_cached(DUE)?;
    let rows = st.query_map(params![now, retry_due_before(now), limit], |r| {
        let recipients: String = r.get(2)?;
        Ok(PushRequest {
            id: r.get(0)?,
            retry_key: r.get(1)?,
            recipients: serde_json::from_str(&recipients).unwrap_or_default(),
            messages: r.get(3)?,
            attempts: r.get(4)?,
            silent: r.get(5)?,
            cards: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// Records attempt `attempt` at request `id`. A sent request's messages
/// go: only a pending one is sent, and kept, the card's pages would be
/// copied again with the row's new state.
///
/// # Errors
/// The write failed.
pub fn record_attempt(c: &Connection, id: i64, attempt: &Attempt) -> Result<(), StoreError> {
    let (state, next, sent_ms, note) = match attempt {
        Attempt::Sent { at_ms, request_id } => (PushState::Sent, 0, Some(*at_ms), request_id),
        Attempt::Retry { next_ms, error } => (PushState::Pending, *next_ms, None, error),
        Attempt::Dead { error } => (PushState::Dead, 0, None, error),
    };
    let sent = state == PushState::Sent;
    c.prepare_cached(
        "UPDATE outbox SET state = ?2, attempts = attempts + 1, next_attempt_ms = ?3,
            sent_ms = ?4, messages = CASE WHEN ?5 THEN '' ELSE messages END,
            request_id = CASE WHEN ?5 THEN ?6 END,
            last_error = CASE WHEN ?5 THEN last_error ELSE ?6 END
         WHERE id = ?1",
    )?
    .execute(params![id, state, next, sent_ms, sent, note])?;
    Ok(())
}

/// Requests not yet accepted.
///
/// # Errors
/// The read failed.
pub fn pending_count(c: &Connection) -> Result<i64, StoreError> {
    Ok(
        c.prepare_cached("SELECT COUNT(*) FROM outbox WHERE state = 'pending'")?
            .query_row([], |r| r.get(0))?,
    )
}

/// Requests LINE refused.
///
/// # Errors
/// The read failed.
pub fn dead_count(c: &Connection) -> Result<i64, StoreError> {
    Ok(
        c.prepare_cached("SELECT COUNT(*) FROM outbox WHERE state = 'dead'")?
            .query_row([], |r| r.get(0))?,
    )
}

/// Deletes up to `limit` sent requests created before `before`, oldest
/// first. Pending and dead requests are never pruned.
///
/// # Errors
/// The write failed.
pub(super) fn prune(c: &Connection, before: i64, limit: i64) -> Result<usize, StoreError> {
    let keys = super::retention::oldest(c, OLDEST, rusqlite::params![], before, limit)?;
    super::retention::delete_keys(c, "DELETE FROM outbox WHERE id = ?1", &keys)
}

/// The pruning walk: `time, prunable, key` in row order (the tests read
/// its plan).
pub(super) const OLDEST: &str = "SELECT created_ms, state = 'sent', id FROM outbox ORDER BY id";

/// The dead letters' ids, oldest first.
///
/// # Errors
/// The read failed.
pub fn dead_ids(c: &Connection) -> Result<Vec<i64>, StoreError> {
    let mut st = c.prepare_cached("SELECT id FROM outbox WHERE state = 'dead' ORDER BY id")?;
    let rows = st.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// The state of request `id` (`None`: there is none).
///
/// # Errors
/// The read failed.
pub fn state_of(c: &Connection, id: i64) -> Result<Option<PushState>, StoreError> {
    use rusqlite::OptionalExtension as _;
    Ok(c.prepare_cached("SELECT state FROM outbox WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?)
}

/// Puts dead request `id` back in the queue, due now, with a fresh
/// `X-Line-Retry-Key` and its attempts counted from zero; returns the keys
/// (old, new).
///
/// # Errors
/// The write failed, or `id` is not a dead letter.
pub fn requeue_dead(c: &Connection, id: i64) -> Result<(String, String), StoreError> {
    let new_key = Uuid::new_v4().to_string();
    let old_key: String = c
        .prepare_cached("SELECT retry_key FROM outbox WHERE id = ?1 AND state = 'dead'")?
        .query_row([id], |r| r.get(0))?;
    c.prepare_cached(
        "UPDATE outbox SET state = 'pending', retry_key = ?2, attempts = 0, next_attempt_ms = 0
         WHERE id = ?1 AND state = 'dead'",
    )?
    .execute(params![id, new_key])?;
    Ok((old_key, new_key))
}

#[cfg(test)]
mod tests {
    #[test]
    fn due_reads_walk_the_partial_index_of_pending_rows() {
        let plan = crate::store::query_plan(super::DUE, [1, 2, 3]);
        assert!(plan.join(" ").contains("outbox_pending_order"), "{plan:?}");
    }
}
