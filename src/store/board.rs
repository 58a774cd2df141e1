//! Read-only views for the board's web page (`src/ui/`): what is open now,
//! the last acknowledgements, and the pushes LINE counted since a time.

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use super::audit::{ack_row, AckRecord, ACK_COLUMNS};
use super::{Store, StoreError};

/// An unacknowledged notification as the *Now* page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpenNotification {
    pub id: String,
    pub app: i64,
    pub record: i64,
    pub title: String,
    pub rule: String,
    /// The value the record reached (the notified state).
    pub status: String,
    pub created_ms: i64,
    /// Whom it went to: staff or profile names, group names, else the id.
    pub recipients: Vec<String>,
    /// Its chain's stage (`first`, `reminder:1`, `escalation:1` …), if it has one.
    pub stage: Option<String>,
    /// When the chain's next step is due (steady ms).
    pub next_step_ms: Option<i64>,
}

/// One sent push request: when, and what LINE counted for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SentPush {
    pub sent_ms: i64,
    /// Messages LINE counts: one per recipient.
    pub counted: i64,
    /// Cards it carried to all its recipients (what unbatched pushes would have counted).
    pub cards: i64,
}

fn open_in(c: &Connection, limit: i64) -> Result<Vec<OpenNotification>, StoreError> {
    let mut st = c.prepare_cached(
        "SELECT n.id, n.app, n.record, n.title, n.rule, n.to_value, n.created_ms,
                ch.stage, CASE WHEN ch.stopped_ms IS NULL THEN ch.due_ms END
         FROM notifications n LEFT JOIN chains ch ON ch.notification = n.id
         WHERE n.acked_ms IS NULL ORDER BY n.created_ms DESC, n.id LIMIT ?1",
    )?;
    let rows = st.query_map([limit], |r| {
        Ok(OpenNotification {
            id: r.get(0)?,
            app: r.get(1)?,
            record: r.get(2)?,
            title: r.get(3)?,
            rule: r.get(4)?,
            status: r.get(5)?,
            created_ms: r.get(6)?,
            recipients: Vec::new(),
            stage: r.get(7)?,
            next_step_ms: r.get(8)?,
        })
    })?;
    let mut out = rows.collect::<Result<Vec<_>, _>>()?;
    for n in &mut out {
        n.recipients = recipient_names(c, &n.id)?;
    }
    Ok(out)
}

fn recipient_names(c: &Connection, id: &str) -> Result<Vec<String>, StoreError> {
    let mut st = c.prepare_cached(
        "SELECT DISTINCT COALESCE(s.display_name, p.display_name, g.name, d.recipient)
         FROM deliveries d
         LEFT JOIN staff s ON s.line_user_id = d.recipient
         LEFT JOIN profiles p ON p.line_user_id = d.recipient
         LEFT JOIN groups g ON g.group_id = d.recipient
         WHERE d.notification = ?1 ORDER BY d.seq",
    )?;
    let rows = st.query_map([id], |r| r.get(0))?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

fn recent_acks_in(c: &Connection, limit: i64) -> Result<Vec<AckRecord>, StoreError> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {ACK_COLUMNS} FROM acks ORDER BY id DESC LIMIT ?1"
    ))?;
    let rows = st.query_map([limit], ack_row)?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

fn sent_since_in(c: &Connection, since_ms: i64) -> Result<Vec<SentPush>, StoreError> {
    let mut st = c.prepare_cached(
        // What LINE counts (one per recipient), as stored with the request.
        "SELECT o.sent_ms, o.message_count,
                (SELECT COUNT(*) FROM deliveries d WHERE d.push_id = o.id)
         FROM outbox o WHERE o.state = 'sent' AND o.sent_ms >= ?1 ORDER BY o.sent_ms",
    )?;
    let rows = st.query_map(params![since_ms], |r| {
        Ok(SentPush {
            sent_ms: r.get(0)?,
            counted: r.get(1)?,
            cards: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

impl Store {
    /// Unacknowledged notifications, newest first, at most `limit`.
    ///
    /// # Errors
    /// The read failed.
    pub async fn board_open(&self, limit: i64) -> Result<Vec<OpenNotification>, StoreError> {
        self.read(move |c| open_in(c, limit)).await
    }

    /// The last `limit` acknowledgements, newest first.
    ///
    /// # Errors
    /// The read failed.
    pub async fn recent_acks(&self, limit: i64) -> Result<Vec<AckRecord>, StoreError> {
        self.read(move |c| recent_acks_in(c, limit)).await
    }

    /// Push requests sent at or after wall time `since_ms`, oldest first.
    ///
    /// # Errors
    /// The read failed.
    pub async fn sent_since(&self, since_ms: i64) -> Result<Vec<SentPush>, StoreError> {
        self.read(move |c| sent_since_in(c, since_ms)).await
    }
}

impl Store {
    /// The card the gateway last stored for a notification of rule `rule`
    /// (the Flex bubble JSON exactly as pushed), if any.
    ///
    /// # Errors
    /// The read failed.
    pub async fn last_card(&self, rule: String) -> Result<Option<String>, StoreError> {
        self.read(move |c| {
            Ok(c.prepare_cached(
                "SELECT k.bubble FROM deliveries d JOIN notifications n ON n.id = d.notification
                 JOIN cards k ON k.delivery = d.seq
                 WHERE n.rule = ?1 ORDER BY d.seq DESC LIMIT 1",
            )?
            .query_row([rule], |r| r.get(0))
            .optional()?)
        })
        .await
    }
}
