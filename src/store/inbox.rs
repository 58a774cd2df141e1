//! The inbox: LINE events, stored (deduplicated on `webhookEventId`) before the
//! webhook is answered, then worked through by the acknowledgement worker.
//!
//! An event's progress is kept here step by step (`stage`, `reply_attempted`),
//! so a crash at any point resumes without doing a step twice: the steps and
//! the event's end are in `inbox/progress.rs`. The events still to handle
//! are the ones in `inbox_queue`, narrow entries the finish deletes, so an
//! event's own row is written once, when it comes in.

use std::collections::HashSet;

use rusqlite::{params, OptionalExtension, Row};

use super::{Store, StoreError};
use crate::secret::Secret;

mod progress;

pub(super) use progress::set_stage_in;

/// How far an acknowledgement has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Nothing written to kintone yet.
    New,
    /// A write-back was started; it may or may not have reached kintone.
    Writing,
    /// The write-back is confirmed.
    Written,
}

impl Stage {
    fn as_str(self) -> &'static str {
        match self {
            Stage::New => "new",
            Stage::Writing => "writing",
            Stage::Written => "written",
        }
    }

    fn parse(s: &str) -> Stage {
        match s {
            "writing" => Stage::Writing,
            "written" => Stage::Written,
            _ => Stage::New,
        }
    }
}

/// A stored event and its progress.
#[derive(Debug, Clone)]
pub struct InboxRow {
    pub seq: i64,
    pub event_id: String,
    pub kind: String,
    pub json: String,
    pub event_ts_ms: i64,
    pub received_ms: i64,
    pub stage: Stage,
    pub writeback_ref: Option<String>,
    pub reply_attempted: bool,
    pub attempts: i64,
    /// The event's reply token while it waits (kept with its queue entry);
    /// an event stored before the token moved there has it in `json`.
    pub reply_token: Option<Secret>,
}

/// What an insert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Inserted {
    pub new: usize,
    pub duplicates: usize,
}

/// How an event's processing ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finish {
    Done,
    Failed,
}

fn row(r: &Row<'_>) -> rusqlite::Result<InboxRow> {
    Ok(InboxRow {
        seq: r.get(0)?,
        event_id: r.get(1)?,
        kind: r.get(2)?,
        json: r.get(3)?,
        event_ts_ms: r.get(4)?,
        received_ms: r.get(5)?,
        stage: Stage::parse(&r.get::<_, String>(6)?),
        writeback_ref: r.get(7)?,
        reply_attempted: r.get(8)?,
        attempts: r.get(9)?,
        reply_token: r.get::<_, Option<String>>(10)?.map(Secret::new),
    })
}

/// One event's identity and its JSON, as stored in the inbox.
#[derive(Debug, Clone)]
pub struct EventEnvelope {
    /// `webhookEventId`: the key LINE redeliveries share.
    pub id: String,
    /// `timestamp`, ms since the epoch (LINE's clock).
    pub timestamp_ms: i64,
    /// `deliveryContext.isRedelivery`.
    pub redelivery: bool,
    pub kind: String,
    /// The event without its reply token and what the columns keep
    /// ([`slim`]).
    pub json: String,
    /// `replyToken`, stored with the queue entry so the finish takes it away.
    pub reply_token: Option<Secret>,
}

/// Takes `replyToken` out of the event `ev`, as the inbox keeps it: the
/// token with the event's queue entry, the rest as the event's JSON.
pub fn take_reply_token(ev: &mut serde_json::Value) -> Option<Secret> {
    match ev.as_object_mut()?.remove("replyToken")? {
        serde_json::Value::String(token) => Some(Secret::new(token)),
        _ => None,
    }
}

/// Makes the event `ev` the JSON the inbox stores and returns its reply
/// token, which goes with the queue entry ([`take_reply_token`]). Also taken
/// out: what the row's columns keep (`webhookEventId`, `type`, `timestamp`)
/// and what only says LINE's default (`mode` active, the `deliveryContext`
/// of a first delivery), so two postbacks share a 512-byte page;
/// [`InboxRow::event`] puts the columns back.
pub fn slim(ev: &mut serde_json::Value) -> Option<Secret> {
    use serde_json::Value;
    let reply_token = take_reply_token(ev);
    let Some(obj) = ev.as_object_mut() else {
        return reply_token;
    };
    for key in ["webhookEventId", "type", "timestamp"] {
        obj.remove(key);
    }
    if obj.get("mode").and_then(Value::as_str) == Some("active") {
        obj.remove("mode");
    }
    let first = serde_json::json!({ "isRedelivery": false });
    if obj.get("deliveryContext") == Some(&first) {
        obj.remove("deliveryContext");
    }
    reply_token
}

impl InboxRow {
    /// The stored event as LINE sent it, less its reply token: its JSON with
    /// the fields [`slim`] left to the columns put back (an event stored
    /// before it has them already).
    ///
    /// # Errors
    /// The stored JSON does not parse.
    pub fn event(&self) -> Result<serde_json::Value, serde_json::Error> {
        unslim(&self.json, &self.event_id, &self.kind, self.event_ts_ms)
    }
}

/// [`slim`]'s event `json` with the columns' fields put back.
///
/// # Errors
/// `json` does not parse.
pub(crate) fn unslim(
    json: &str,
    id: &str,
    kind: &str,
    timestamp_ms: i64,
) -> Result<serde_json::Value, serde_json::Error> {
    let mut ev: serde_json::Value = serde_json::from_str(json)?;
    if let Some(obj) = ev.as_object_mut() {
        obj.entry("webhookEventId").or_insert_with(|| id.into());
        obj.entry("type").or_insert_with(|| kind.into());
        obj.entry("timestamp").or_insert(timestamp_ms.into());
    }
    Ok(ev)
}

/// An inbox row's columns, and the reply token of its queue entry (none once
/// it is finished).
const COLUMNS: &str = "seq, event_id, kind, json, event_ts_ms, received_ms, stage, \
                       writeback_ref, reply_attempted, attempts, \
                       (SELECT q.reply_token FROM inbox_queue q \
                         WHERE q.event_ts_ms = inbox.event_ts_ms AND q.seq = inbox.seq)";

impl Store {
    /// Stores new events; events already stored (LINE redeliveries, relay
    /// retries) are counted as duplicates and left alone.
    ///
    /// # Errors
    /// The write or commit failed: nothing was stored, answer 5xx.
    pub async fn inbox_insert(
        &self,
        events: Vec<EventEnvelope>,
        received_ms: i64,
    ) -> Result<Inserted, StoreError> {
        self.call(move |c| {
            let mut st = c.prepare_cached(
                "INSERT OR IGNORE INTO inbox(event_id, kind, json, event_ts_ms, received_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            let mut queue = c.prepare_cached(
                "INSERT INTO inbox_queue(event_ts_ms, seq, reply_token)
                 VALUES (?1, last_insert_rowid(), ?2)",
            )?;
            let mut out = Inserted::default();
            for e in &events {
                if st.execute(params![e.id, e.kind, e.json, e.timestamp_ms, received_ms])? == 1 {
                    let token = e.reply_token.as_ref().map(Secret::expose);
                    queue.execute(params![e.timestamp_ms, token])?;
                    out.new += 1;
                } else {
                    out.duplicates += 1;
                }
            }
            Ok(out)
        })
        .await
    }

    /// Up to `limit` pending events whose next attempt is due at steady time
    /// `now_ms` ([`crate::clock`]), oldest event
    /// first, leaving out the rows in `skip` (the ones being handled now).
    ///
    /// The walk reads only row numbers until it has found `limit` rows to
    /// return, so the worker can ask again every time one of its hundreds of
    /// events finishes without decoding the ones still in flight.
    ///
    /// # Errors
    /// The read failed.
    pub async fn inbox_due(
        &self,
        now_ms: i64,
        limit: usize,
        skip: HashSet<i64>,
    ) -> Result<Vec<InboxRow>, StoreError> {
        // A retry time further ahead than any backoff was stored before the
        // clock went back: due now, not in an hour.
        let ahead = crate::clock::retry_due_before(now_ms);
        self.read(move |c| {
            let mut walk = c.prepare_cached(
                "SELECT seq FROM inbox_queue
                 WHERE next_attempt_ms <= ?1 OR next_attempt_ms > ?2
                 ORDER BY event_ts_ms, seq",
            )?;
            let mut seqs = walk.query([now_ms, ahead])?;
            let mut picked = Vec::new();
            while picked.len() < limit {
                let Some(r) = seqs.next()? else { break };
                let seq: i64 = r.get(0)?;
                if !skip.contains(&seq) {
                    picked.push(seq);
                }
            }
            let mut one =
                c.prepare_cached(&format!("SELECT {COLUMNS} FROM inbox WHERE seq = ?1"))?;
            let mut rows = Vec::with_capacity(picked.len());
            for seq in picked {
                rows.push(one.query_row([seq], row)?);
            }
            Ok(rows)
        })
        .await
    }

    /// The highest row number stored so far (0: none).
    ///
    /// # Errors
    /// The read failed.
    pub async fn inbox_last_seq(&self) -> Result<i64, StoreError> {
        self.read(|c| {
            Ok(c.prepare_cached("SELECT COALESCE(MAX(seq), 0) FROM inbox")?
                .query_row([], |r| r.get(0))?)
        })
        .await
    }

    /// One event by its `webhookEventId`.
    ///
    /// # Errors
    /// The read failed.
    pub async fn inbox_get(&self, event_id: &str) -> Result<Option<InboxRow>, StoreError> {
        let id = event_id.to_owned();
        self.read(move |c| {
            Ok(
                c.prepare_cached(&format!("SELECT {COLUMNS} FROM inbox WHERE event_id = ?1"))?
                    .query_row([id], row)
                    .optional()?,
            )
        })
        .await
    }

    /// Stores a postback event `id` as if its webhook had just come in and
    /// returns its row: a fixture for the tests.
    ///
    /// # Errors
    /// The write failed.
    #[cfg(test)]
    pub(crate) async fn seed_event(&self, id: &str) -> Result<i64, StoreError> {
        let event = EventEnvelope {
            id: id.into(),
            timestamp_ms: 10,
            redelivery: false,
            kind: "postback".into(),
            json: "{}".into(),
            reply_token: None,
        };
        self.inbox_insert(vec![event], 100).await?;
        let row = self.inbox_get(id).await?;
        row.map(|r| r.seq)
            .ok_or_else(|| StoreError::Invalid(format!("event {id} not stored")))
    }

    /// Events not yet finished.
    ///
    /// # Errors
    /// The read failed.
    pub async fn inbox_pending_count(&self) -> Result<i64, StoreError> {
        self.read(|c| {
            Ok(c.prepare_cached(PENDING_COUNT)?
                .query_row([], |r| r.get(0))?)
        })
        .await
    }
}

/// How many events are still to handle.
pub(super) const PENDING_COUNT: &str = "SELECT COUNT(*) FROM inbox_queue";

/// Deletes up to `limit` finished events received (steady) before `before`
/// whose timestamps (LINE's clock) are before `line_before`: their keys are
/// past the dedup window, so the intake refuses them anyway.
///
/// # Errors
/// The write failed.
pub(super) fn prune_events(
    c: &rusqlite::Connection,
    before: i64,
    line_before: i64,
    limit: i64,
) -> Result<usize, StoreError> {
    let seqs = super::retention::oldest(c, OLDEST, [line_before], before, limit)?;
    super::retention::delete_keys(c, "DELETE FROM inbox WHERE seq = ?1", &seqs)
}

/// [`prune_events`]'s walk (the tests read its plan): finished events
/// whose timestamps (LINE's clock) are before `?1`, by receipt.
pub(super) const OLDEST: &str = "SELECT received_ms, event_ts_ms < ?1 AND NOT EXISTS
       (SELECT 1 FROM inbox_queue q WHERE q.event_ts_ms = inbox.event_ts_ms AND q.seq = inbox.seq),
     seq FROM inbox ORDER BY seq";

#[cfg(test)]
mod tests;
