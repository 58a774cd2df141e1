//! `undeliverable`: notifications whose recipients resolved to nobody when
//! they were stored — kept with the reason, and the fallback recipients
//! they went to instead (if `[notify] fallback` is set), so a misspelled or
//! unlinked recipient is never silence.

use rusqlite::{params, Connection};
use serde::Serialize;

use super::recipients::RecipientKey;
use super::{Store, StoreError};

/// An undeliverable notification as `outbox` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UndeliverableEntry {
    pub notification: String,
    pub rule: String,
    pub app: i64,
    pub record: i64,
    pub reason: String,
    /// The LINE ids it went to instead, if a fallback reached anyone.
    pub fallback: Option<String>,
    pub created_ms: i64,
}

/// Why `keys` reached nobody, for people: each key as it is configured.
pub fn reason(keys: &[RecipientKey]) -> String {
    let each: Vec<String> = keys
        .iter()
        .map(|k| match k {
            RecipientKey::StaffName(n) => format!("{n:?} (no linked staff member)"),
            RecipientKey::KintoneUsers(c) if c.is_empty() => {
                "a user field (empty on this record)".to_owned()
            }
            RecipientKey::KintoneUsers(c) => {
                format!("kintone:{} (no linked staff member)", c.join(","))
            }
            RecipientKey::GroupName(n) => format!("group:{n} (the bot is not in it)"),
            RecipientKey::LineId(id) => id.clone(),
        })
        .collect();
    format!("nobody reached: {}", each.join(", "))
}

/// Records notification `id` as undeliverable (steady time `now_ms`).
///
/// # Errors
/// The write failed.
pub fn record(
    c: &Connection,
    id: &str,
    reason: &str,
    fallback: Option<&str>,
    now_ms: i64,
) -> Result<(), StoreError> {
    c.prepare_cached(
        "INSERT OR IGNORE INTO undeliverable(notification, reason, fallback, created_ms)
         VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![id, reason, fallback, now_ms])?;
    Ok(())
}

/// How many notifications were undeliverable.
///
/// # Errors
/// The read failed.
pub fn count(c: &Connection) -> Result<i64, StoreError> {
    Ok(c.prepare_cached("SELECT COUNT(*) FROM undeliverable")?
        .query_row([], |r| r.get(0))?)
}

impl Store {
    /// The latest undeliverable notifications, newest first.
    ///
    /// # Errors
    /// The read failed.
    pub async fn undeliverable(&self, limit: i64) -> Result<Vec<UndeliverableEntry>, StoreError> {
        self.read(move |c| {
            let mut st = c.prepare(
                "SELECT u.notification, n.rule, n.app, n.record, u.reason, u.fallback, n.created_ms
                 FROM undeliverable u JOIN notifications n ON n.id = u.notification
                 ORDER BY n.created_ms DESC, u.notification LIMIT ?1",
            )?;
            let rows = st.query_map([limit], |r| {
                Ok(UndeliverableEntry {
                    notification: r.get(0)?,
                    rule: r.get(1)?,
                    app: r.get(2)?,
                    record: r.get(3)?,
                    reason: r.get(4)?,
                    fallback: r.get(5)?,
                    created_ms: r.get(6)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }
}
