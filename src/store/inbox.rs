//! The inbox: LINE events, stored (deduplicated on `webhookEventId`) before the
//! webhook is answered, then worked through by the acknowledgement worker.
//!
//! An event's progress is kept here step by step (`stage`, `reply_attempted`),
//! so a crash at any point resumes without doing a step twice: the steps and
//! the event's end are in `inbox/progress.rs`.

use std::collections::HashSet;

use rusqlite::{params, OptionalExtension, Row};

use super::{Store, StoreError};

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
    pub json: String,
}

const COLUMNS: &str = "seq, event_id, kind, json, event_ts_ms, received_ms, stage, \
                       writeback_ref, reply_attempted, attempts";

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
            let mut out = Inserted::default();
            for e in &events {
                if st.execute(params![e.id, e.kind, e.json, e.timestamp_ms, received_ms])? == 1 {
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
                "SELECT seq FROM inbox WHERE state = 'pending'
                   AND (next_attempt_ms <= ?1 OR next_attempt_ms > ?2)
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
            Ok(
                c.prepare_cached("SELECT COUNT(*) FROM inbox WHERE state = 'pending'")?
                    .query_row([], |r| r.get(0))?,
            )
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(id: &str) -> EventEnvelope {
        EventEnvelope {
            id: id.into(),
            timestamp_ms: 10,
            redelivery: false,
            kind: "postback".into(),
            json: "{}".into(),
        }
    }

    #[tokio::test]
    async fn dedupes_and_tracks_progress() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let r = store
            .inbox_insert(vec![ev("a"), ev("b")], 100)
            .await
            .unwrap();
        assert_eq!(
            r,
            Inserted {
                new: 2,
                duplicates: 0
            }
        );
        let r = store.inbox_insert(vec![ev("a")], 200).await.unwrap();
        assert_eq!(
            r,
            Inserted {
                new: 0,
                duplicates: 1
            }
        );

        let due = store.inbox_due(1_000, 10, HashSet::new()).await.unwrap();
        assert_eq!(due.len(), 2);
        // Rows being handled are left out, and the limit counts the rest.
        let skip = HashSet::from([due[0].seq]);
        let rest = store.inbox_due(1_000, 1, skip).await.unwrap();
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0].event_id, due[1].event_id);
        assert_eq!(
            store.inbox_due(1_000, 1, HashSet::new()).await.unwrap()[0].event_id,
            due[0].event_id
        );
        let a = &due[0];
        store
            .inbox_set_stage(a.seq, Stage::Writing, None)
            .await
            .unwrap();
        store
            .inbox_set_stage(a.seq, Stage::Written, Some("c9".into()))
            .await
            .unwrap();
        store.inbox_mark_reply_attempted(a.seq).await.unwrap();
        let a = store.inbox_get("a").await.unwrap().unwrap();
        assert_eq!(a.stage, Stage::Written);
        assert_eq!(a.writeback_ref.as_deref(), Some("c9"));
        assert!(a.reply_attempted);
        assert_eq!(a.attempts, 1);

        store
            .inbox_retry_at(a.seq, 5_000, "later".into())
            .await
            .unwrap();
        let due_at = |now| {
            let store = store.clone();
            async move {
                store
                    .inbox_due(now, 10, HashSet::new())
                    .await
                    .unwrap()
                    .len()
            }
        };
        assert_eq!(
            due_at(1_000).await,
            1,
            "`a` waits for its retry time; only the other row is due"
        );
        // The clock went back an hour after `a` was scheduled: a retry time
        // further ahead than any backoff is due now, not in an hour.
        assert_eq!(due_at(5_000 - 3_600_000).await, 2);
        store
            .inbox_finish(a.seq, Finish::Done, None, None, None, 6_000)
            .await
            .unwrap();
        assert_eq!(
            due_at(10_000).await,
            1,
            "finished: only the other row is left"
        );
        assert_eq!(store.inbox_pending_count().await.unwrap(), 1);
    }
}
