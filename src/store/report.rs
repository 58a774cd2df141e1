//! Read-only views for the operator commands (`outbox`, `status`).

use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use super::notifications::pending_acks_in;
use super::outbox::PushState;
use super::{changes, outbox, Store, StoreError};

/// A push request as `kintone-line-gateway outbox` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct OutboxEntry {
    pub id: i64,
    pub state: PushState,
    pub recipients: String,
    pub message_count: i64,
    pub attempts: i64,
    pub created_ms: i64,
    pub next_attempt_ms: i64,
    pub last_error: Option<String>,
}

/// Counts for `kintone-line-gateway status`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub pending_acks: i64,
    pub outbox_pending: i64,
    pub dead_letters: i64,
    /// Notifications whose recipients resolved to nobody.
    pub undeliverable: i64,
    pub inbox_pending: i64,
    pub changes_pending: i64,
    pub last_push_ms: Option<i64>,
    /// The daemon's last `STATUS=` line and when it was written.
    pub daemon_status: Option<(String, i64)>,
    /// What the daemon had seen of LINE and kintone when it last saved
    /// (`None`: it never saved any).
    pub contacts: Option<crate::metrics::Contacts>,
}

impl Store {
    /// Pending and dead push requests, newest first.
    ///
    /// # Errors
    /// The read failed.
    pub async fn outbox_report(&self, include_sent: bool) -> Result<Vec<OutboxEntry>, StoreError> {
        self.read(move |c| {
            let mut st = c.prepare(
                "SELECT id, state, recipients, message_count, attempts, created_ms, next_attempt_ms, last_error
                 FROM outbox WHERE ?1 OR state != ?2 ORDER BY id DESC LIMIT 200",
            )?;
            let rows = st.query_map(params![include_sent, PushState::Sent], |r| {
                Ok(OutboxEntry {
                    id: r.get(0)?,
                    state: r.get(1)?,
                    recipients: r.get(2)?,
                    message_count: r.get(3)?,
                    attempts: r.get(4)?,
                    created_ms: r.get(5)?,
                    next_attempt_ms: r.get(6)?,
                    last_error: r.get(7)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    /// The numbers behind the status line, read from the store.
    ///
    /// # Errors
    /// The read failed.
    pub async fn summary(&self) -> Result<Summary, StoreError> {
        self.read(|c| {
            let count = |sql: &str| c.query_row(sql, [], |r| r.get::<_, i64>(0));
            Ok(Summary {
                pending_acks: pending_acks_in(c)?,
                outbox_pending: outbox::pending_count(c)?,
                dead_letters: outbox::dead_count(c)?,
                undeliverable: super::undeliverable::count(c)?,
                inbox_pending: count(super::inbox::PENDING_COUNT)?,
                changes_pending: count(changes::PENDING_COUNT)?,
                last_push_ms: c.query_row("SELECT MAX(sent_ms) FROM outbox", [], |r| r.get(0))?,
                daemon_status: c
                    .query_row(
                        "SELECT value, CAST(COALESCE((SELECT value FROM meta WHERE key = 'status_at'), '0') AS INTEGER)
                         FROM meta WHERE key = 'status'",
                        [],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()?,
                contacts: c
                    .query_row("SELECT value FROM meta WHERE key = 'contacts'", [], |r| {
                        r.get::<_, String>(0)
                    })
                    .optional()?
                    .and_then(|v| serde_json::from_str(&v).ok()),
            })
        })
        .await
    }

    /// Saves the daemon's status line (for `kintone-line-gateway status`),
    /// what it has seen of LINE and kintone, and today's kintone request
    /// counts (a restart adds to them), in one transaction.
    ///
    /// # Errors
    /// The write failed.
    pub async fn save_report(
        &self,
        line: String,
        usage: crate::metrics::Usage,
        contacts: crate::metrics::Contacts,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let usage = serde_json::to_string(&usage).unwrap_or_default();
        let contacts = serde_json::to_string(&contacts).unwrap_or_default();
        self.call(move |c| {
            for (k, v) in [
                ("status", line),
                ("status_at", now_ms.to_string()),
                ("kintone_usage", usage),
                ("contacts", contacts),
            ] {
                c.execute(
                    "INSERT INTO meta(key, value) VALUES (?1, ?2)
                     ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    params![k, v],
                )?;
            }
            Ok(())
        })
        .await
    }

    /// The kintone request counts saved last (none, or unreadable: `None`).
    ///
    /// # Errors
    /// The read failed.
    pub async fn kintone_usage(&self) -> Result<Option<crate::metrics::Usage>, StoreError> {
        let raw: Option<String> = self
            .read(|c| {
                Ok(c.query_row(
                    "SELECT value FROM meta WHERE key = 'kintone_usage'",
                    [],
                    |r| r.get(0),
                )
                .optional()?)
            })
            .await?;
        Ok(raw.and_then(|v| serde_json::from_str(&v).ok()))
    }
}
