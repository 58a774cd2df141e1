//! The local audit trail: one row per acknowledgement — who, when, which
//! record, how it was written back, and whether they got a Reply or a fallback.

use rusqlite::{params, Connection};
use serde::Serialize;

use super::{Store, StoreError};

/// One acknowledgement, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AckRecord {
    pub at_ms: i64,
    /// The webhook event (or panel action) it came from; unique.
    pub event_id: String,
    pub line_user_id: Option<String>,
    /// Display name, or "office panel".
    pub actor: String,
    pub app: i64,
    pub record: i64,
    pub notification: String,
    /// comment | fields | status
    pub method: String,
    /// written | already-written | failed: <reason>
    pub outcome: String,
    /// replied | replied-early | fallback-none | fallback-push | reply-failed: … | none
    pub reply: String,
}

pub(super) fn insert(c: &Connection, a: &AckRecord) -> Result<(), StoreError> {
    c.prepare_cached(
        "INSERT OR REPLACE INTO acks(at_ms, event_id, line_user_id, actor, app, record,
            notification, method, outcome, reply)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        a.at_ms,
        a.event_id,
        a.line_user_id,
        a.actor,
        a.app,
        a.record,
        a.notification,
        a.method,
        a.outcome,
        a.reply
    ])?;
    Ok(())
}

impl Store {
    /// Acknowledgements at or after `since_ms`, oldest first.
    ///
    /// # Errors
    /// The read failed.
    pub async fn acks_since(&self, since_ms: i64) -> Result<Vec<AckRecord>, StoreError> {
        self.read(move |c| {
            let mut st = c.prepare(
                "SELECT at_ms, event_id, line_user_id, actor, app, record, notification,
                        method, outcome, reply
                 FROM acks WHERE at_ms >= ?1 ORDER BY at_ms, id",
            )?;
            let rows = st.query_map([since_ms], |r| {
                Ok(AckRecord {
                    at_ms: r.get(0)?,
                    event_id: r.get(1)?,
                    line_user_id: r.get(2)?,
                    actor: r.get(3)?,
                    app: r.get(4)?,
                    record: r.get(5)?,
                    notification: r.get(6)?,
                    method: r.get(7)?,
                    outcome: r.get(8)?,
                    reply: r.get(9)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    /// Records an acknowledgement on its own (panel acknowledgements have no
    /// inbox row).
    ///
    /// # Errors
    /// The write failed.
    pub async fn ack_record(&self, a: AckRecord) -> Result<(), StoreError> {
        self.call(move |c| insert(c, &a)).await
    }
}

impl Store {
    /// Records an acknowledgement made at the office panel and, when it was
    /// written back, marks the notification acknowledged — in one transaction.
    ///
    /// # Errors
    /// The write failed.
    pub async fn panel_ack(&self, a: AckRecord) -> Result<(), StoreError> {
        self.call(move |c| record(c, &a)).await
    }
}

/// Writes the audit row and, when the acknowledgement reached kintone, marks
/// its notification acknowledged (the first acknowledgement wins).
pub(super) fn record(c: &Connection, a: &AckRecord) -> Result<(), StoreError> {
    insert(c, a)?;
    if a.outcome == "written" || a.outcome == "already-written" {
        c.prepare_cached(
            "UPDATE notifications SET acked_ms = ?2, acked_by = ?3
             WHERE id = ?1 AND acked_ms IS NULL",
        )?
        .execute(params![a.notification, a.at_ms, a.actor])?;
    }
    Ok(())
}
